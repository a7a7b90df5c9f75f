import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ClientError, GraphQLClient } from 'graphql-request'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { type AccountResult, atFields, CONNECT_ACCOUNT } from './graphql-helpers.ts'

let t: TestApp
let sim: PlatformSimulator
let server: Server
let endpoint: string
let ws: { id: string; token: string }

beforeAll(async () => {
  t = await createTestApp()
  sim = await softswiss.simulator.create({ seed: 'http-server', accounts: 3 })
  ws = await t.workspace('http-server')
  server = createServer(t.app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
})

afterAll(async () => {
  if (server) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  await sim?.close()
  await t?.close()
})

const authed = () => new GraphQLClient(endpoint, { headers: { authorization: `Bearer ${ws.token}` } })

describe('over a real port with graphql-request', () => {
  it('given a server on an ephemeral port, when a client without a token asks for platforms, then it gets them', async () => {
    const client = new GraphQLClient(endpoint)
    const data = await client.request<{ platforms: { id: string; connectionInputType: string }[] }>(
      '{ platforms { id connectionInputType } }',
    )
    expect(data.platforms).toContainEqual({
      id: 'softswiss',
      connectionInputType: 'SoftSwissConnectionInput',
    })
  })

  it('given no token, when the client asks for accounts, then it gets HTTP 401 with TOKEN_MISSING', async () => {
    const client = new GraphQLClient(endpoint)
    const error = await client.request('{ accounts { totalCount } }').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ClientError)
    const { response } = error as ClientError
    expect(response.status).toBe(401)
    expect(response.errors?.[0]?.extensions?.code).toBe('TOKEN_MISSING')
  })

  it('given a token, when the client connects two accounts and lists them, then both come back in order with their labels', async () => {
    const client = authed()
    const ids: string[] = []
    for (const [i, label] of [
      [0, 'over http one'],
      [1, 'over http two'],
    ] as const) {
      const data = await client.request<{ connectAccount: AccountResult }>(CONNECT_ACCOUNT, {
        input: { connection: { softSwiss: sim.accounts[i]!.connection }, label, tags: ['http'] },
      })
      expect(data.connectAccount.__typename).toBe('ConnectAccountSuccess')
      expect(data.connectAccount.account).toMatchObject({
        label,
        status: 'OK',
        tags: ['http'],
        platform: { id: 'softswiss' },
      })
      ids.push(data.connectAccount.account!.id)
    }
    const page = await client.request<{
      accounts: { totalCount: number; nodes: { id: string; label: string }[] }
    }>('query($tag: String) { accounts(tag: $tag) { totalCount nodes { id label } } }', { tag: 'http' })
    expect(page.accounts).toEqual({
      totalCount: 2,
      nodes: [
        { id: ids[0], label: 'over http one' },
        { id: ids[1], label: 'over http two' },
      ],
    })
  })

  it('given a refused key, when the client connects it, then the typed error arrives as data, not as an HTTP failure', async () => {
    const data = await authed().request<{ connectAccount: AccountResult }>(CONNECT_ACCOUNT, {
      input: { connection: { softSwiss: sim.invalidConnection() } },
    })
    expect(data.connectAccount).toMatchObject({
      __typename: 'PlatformAuthError',
      code: 'PLATFORM_AUTH_FAILED',
      fields: atFields('token'),
    })
  })

  it('given malformed input, when the client connects it, then graphql-request gets CredentialsInvalidError as data, naming both fields', async () => {
    const data = await authed().request<{ connectAccount: AccountResult }>(CONNECT_ACCOUNT, {
      input: { connection: { softSwiss: { baseUrl: 'ftp://x', token: 'short' } } },
    })
    expect(data.connectAccount).toMatchObject({
      __typename: 'CredentialsInvalidError',
      code: 'CREDENTIALS_INVALID',
    })
    expect(data.connectAccount.fields?.map((f) => f.path).sort()).toEqual([
      ['input', 'connection', 'softSwiss', 'baseUrl'],
      ['input', 'connection', 'softSwiss', 'token'],
    ])
  })

  it('given the health endpoints, when called over the port, then /health and /ready answer', async () => {
    const base = endpoint.replace(/\/graphql$/, '')
    const health = await fetch(`${base}/health`)
    // Yoga's own health check answers /health first (200, empty body), before the app's JSON variant runs.
    expect(health.status).toBe(200)
    const ready = await fetch(`${base}/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })
  })
})
