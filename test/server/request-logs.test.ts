import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/logger.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { expectNoSecret } from '../graphql/graphql-helpers.ts'
import { sinkLogText } from '../support/log-sink.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

const TEST_CONNECTION = `mutation ($c: ConnectionInput!) { testConnection(input: $c) { __typename } }`

let t: TestApp
let sim: PlatformSimulator
let ws: { id: string; token: string }

beforeAll(async () => {
  t = await createTestApp()
  sim = await t.registry.get('softswiss')!.definition.simulator.create({ seed: 'request-logs', accounts: 1 })
  ws = await t.workspace('request-logs')
})

afterAll(async () => {
  await sim?.close()
  await t?.close()
})

/** Sends one operation and returns the response with the log lines written while it was served. */
async function serve(
  headers: Record<string, string>,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const from = t.logs.lines.length
  const response = await t.app.fetch('http://affgraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  })
  await response.text()
  const lines = t.logs.lines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>)
  return { response, lines }
}

describe('request ids in logs', () => {
  it('given an x-request-id, when a request reaches a platform, then every log line written while serving it carries that id and the response returns it', async () => {
    const { response, lines } = await serve(
      { authorization: `Bearer ${ws.token}`, 'x-request-id': 'req-logs-0001' },
      TEST_CONNECTION,
      { c: { softSwiss: sim.accounts[0]!.connection } },
    )
    expect(response.headers.get('x-request-id')).toBe('req-logs-0001')
    // The plugin's line comes through the process-wide platform logger, the access line through the HTTP layer.
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['softswiss report attributes', 'request served']),
    )
    for (const line of lines) expect(line, JSON.stringify(line)).toMatchObject({ requestId: 'req-logs-0001' })
    expect(lines.find((l) => l.msg === 'request served')).toMatchObject({
      method: 'POST',
      path: '/graphql',
      status: 200,
    })
  })

  it('given no x-request-id, when a request is served, then a fresh UUID is used for its log lines and returned', async () => {
    const { response, lines } = await serve({}, '{ platforms { id } }')
    const id = response.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line.requestId).toBe(id)
    const other = await serve({}, '{ platforms { id } }')
    expect(other.response.headers.get('x-request-id')).not.toBe(id)
  })

  it('given Authorization headers, valid and forged, when requests are served and fail, then no header value appears in the logs', async () => {
    const forged = 'ag_live_0123456789abcdefFORGEDtokenValue42'
    await serve({ authorization: `Bearer ${forged}` }, '{ accounts { totalCount } }')
    await serve({ authorization: `Bearer ${ws.token}` }, '{ accounts { totalCount } }')
    await serve({ authorization: `Bearer ${ws.token}` }, TEST_CONNECTION, {
      c: { softSwiss: sim.invalidConnection() },
    })
    expectNoSecret(t.logs.text(), [forged, ws.token, sim.accounts[0]!.connection.token!], 'logs')
    expectNoSecret(t.logs.text(), [sim.invalidConnection().token!], 'logs')
  })

  it('given objects holding headers, connections, variables and plugin secret fields, when logged, then pino redacts their values', () => {
    const lines: string[] = []
    const logger = createLogger({
      level: 'info',
      secretFields: ['merchantSecret'],
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk))
          sinkLogText('logger', String(chunk))
          done()
        },
      }),
    })
    const secret = (name: string) => `s3cr3t-${name}-value-0123456789`
    logger.info({
      req: { headers: { authorization: `Bearer ${secret('req')}`, cookie: secret('cookie') } },
      request: { headers: { authorization: secret('request'), 'proxy-authorization': secret('proxy') } },
      variables: { c: { softSwiss: { token: secret('variables') } } },
      connection: { token: secret('connection') },
      account: { securityKey: secret('securityKey'), clientSecret: secret('clientSecret') },
      merchantSecret: secret('merchantSecret'),
      csv: `platform,token\nsoftswiss,${secret('csv')}`,
    })
    const text = lines.join('')
    expect(text).toContain('[REDACTED]')
    for (const name of [
      'req',
      'cookie',
      'request',
      'proxy',
      'variables',
      'connection',
      'securityKey',
      'clientSecret',
      'merchantSecret',
      'csv',
    ]) {
      expect(text).not.toContain(secret(name))
    }
  })
})
