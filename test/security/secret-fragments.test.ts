import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { plantCanary } from '../support/log-sink.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

/*
 * Plugins quote the first characters of an unexpected body in their errors (Cellxpert keeps 60), and the host
 * redacts afterwards: a key the program echoed is then cut, and a cut key is no longer the key. Here a program host
 * echoes the account's key at every position across Cellxpert's cut, and testConnection's answers, the account's
 * stored last error and every log line are searched for any six characters of it.
 */

/** The cut Cellxpert's excerpt makes (plugins/cellxpert/report.ts). */
const CUT = 60
const FRAGMENT = 6

/** Every piece of `secret` at least `length` long that `text` holds. */
function fragmentsIn(text: string, secret: string, length = FRAGMENT): string[] {
  const found = new Set<string>()
  for (let at = 0; at + length <= secret.length; at++) {
    const piece = secret.slice(at, at + length)
    if (text.includes(piece)) found.add(piece)
  }
  return [...found]
}

describe('secrets cut inside messages', () => {
  let t: TestApp
  let sim: PlatformSimulator
  let token: string
  let program: { url: string; close(): Promise<void> }
  // Letters of both cases and digits: no six of them in a row turn up in a log by chance.
  const canary = plantCanary(`Zq${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`)
  /** How the program host answers: forwarded to the simulator, or the key echoed after `pad` characters. */
  let mode: { echo: false } | { echo: true; status: number; pad: number } = { echo: false }
  let simKey = ''
  const answers: string[] = []

  beforeAll(async () => {
    // Two credential checks per echoed answer: more than the default allowance for one token.
    t = await createTestApp({
      env: {
        AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST: '1000/10m',
        AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST_PER_IP: '1000/10m',
      },
    })
    sim = await t.registry.get('cellxpert')!.definition.simulator.create({ accounts: 1, seed: 'fragments' })
    simKey = sim.accounts[0]!.connection.apiKey!
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('connection', 'close')
      if (mode.echo) {
        const body = `${'e'.repeat(mode.pad)}${canary} is not a valid key for this program`
        res.writeHead(mode.status, { 'content-type': 'text/plain' })
        res.end(body)
        return
      }
      // The stored key is the canary; the simulator knows its own, so the forwarder swaps them.
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers.set(name, value)
      }
      headers.set('x-api-key', simKey)
      fetch(`${new URL(sim.baseUrl).origin}${req.url ?? '/'}`, { method: req.method, headers })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' })
          res.end(Buffer.from(await answer.arrayBuffer()))
        })
        .catch(() => {
          res.writeHead(502)
          res.end()
        })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    program = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    }
    token = (await t.workspace('fragments')).token
  }, 120_000)

  afterAll(async () => {
    await program?.close()
    await sim?.close()
    await t?.close()
  })

  const gql = async (query: string, variables: Record<string, unknown>) => {
    const result = await t.gql(query, variables, token)
    answers.push(JSON.stringify(result.body))
    return result.body
  }

  it('given a program that echoes the key cut at every position by the plugin, at HTTP 200, 401 and 500, when the connection is tested and the stored account rechecked, then no six characters of the key are in the answers, the stored last error or the logs', async () => {
    const fieldName = t.registry.get('cellxpert')!.fieldName
    const connection = { ...sim.accounts[0]!.connection, baseUrl: `${program.url}/api/`, apiKey: canary }
    const connected = await gql(
      `mutation ($c: ConnectionInput!) { connectAccount(input: { connection: $c }) {
        __typename ... on ConnectAccountSuccess { account { id } } ... on UserError { message } } }`,
      { c: { [fieldName]: connection } },
    )
    const id = (connected.data as { connectAccount: { account?: { id: string } } }).connectAccount.account?.id
    expect(id, JSON.stringify(connected)).toBeTruthy()

    // The key straddles the cut by 1 to length-1 characters, and also sits whole on either side of it.
    const pads = [CUT - canary.length - 2, CUT + 2]
    for (let inside = 1; inside < canary.length; inside++) pads.push(CUT - inside)
    const cases = [
      ...pads.map((pad) => ({ status: 200, pad })),
      { status: 401, pad: CUT - 10 },
      { status: 500, pad: CUT - 10 },
    ]
    const messages: string[] = []
    let stored = ''
    for (const { status, pad } of cases) {
      mode = { echo: true, status, pad }
      const tested = await gql(
        `mutation ($c: ConnectionInput!) { testConnection(input: $c) { __typename ... on UserError { code message } } }`,
        { c: { [fieldName]: connection } },
      )
      const result = (
        tested.data as { testConnection?: { __typename: string; message?: string } } | undefined
      )?.testConnection
      if (!result) throw new Error(`HTTP ${status}, pad ${pad}: ${JSON.stringify(tested).slice(0, 300)}`)
      expect(result.__typename, `HTTP ${status}, pad ${pad}`).not.toBe('ConnectionOk')
      messages.push(result.message ?? '')
      await gql(
        `mutation ($id: ID!) { checkAccount(input: { accountId: $id }) { __typename ... on UserError { message } } }`,
        { id },
      )
      const rows = await t.db.query<{ text: string }>(
        `select coalesce(last_error_message, '') as text from account where id = ?`,
        [databaseIdOf(id!)],
      )
      stored += `${rows[0]?.text ?? ''}\n`
    }
    // The plugin's quote is really there: the test would see a piece that got through.
    expect(messages.some((m) => m.includes('eeeeee'))).toBe(true)
    expect(stored).toContain('eeeeee')
    console.log(
      `secret fragments: ${cases.length} echoed answers (${pads.length} cut positions at HTTP 200, one each at 401 and 500), ${answers.length} GraphQL answers and ${t.logs.lines.length} log lines searched for ${canary.length - FRAGMENT + 1} six-character pieces of the key`,
    )
    expect(fragmentsIn(answers.join('\n'), canary), 'GraphQL answers').toEqual([])
    expect(fragmentsIn(stored, canary), 'stored last_error_message').toEqual([])
    expect(fragmentsIn(t.logs.text(), canary), 'logs').toEqual([])
  }, 120_000)
})
