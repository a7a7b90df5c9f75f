import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { IMPORT_MAX_ROWS } from '../../src/account/account-import.ts'
import { type AffgraphApp, createApp } from '../../src/app.ts'
import { createAppServices } from '../../src/bootstrap.ts'
import { type Config, ConfigError, loadConfig } from '../../src/config.ts'
import { type Database, openDatabase } from '../../src/db/database.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { clientAddress, csvDataRows, IN_PROCESS_CLIENT } from '../../src/security/api-rate-limit.ts'
import { accountRowsText, CONNECT_ACCOUNT, TEST_CONNECTION } from '../graphql/graphql-helpers.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

/** Small budgets with long windows, so that nothing drains while a test runs; SYNC_TRIGGER drains fast on purpose. */
const LIMITED_ENV = {
  AFFGRAPH_TRUST_PROXY: '1',
  AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST: '3/1h',
  AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST_PER_IP: '4/1h',
  AFFGRAPH_RATE_LIMIT_CONNECT: '3/1h',
  AFFGRAPH_RATE_LIMIT_TOKEN_CREATE: '2/1h',
  AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER: '2/3s',
  AFFGRAPH_RATE_LIMIT_AUTH_FAILURE_PER_IP: '3/1h',
}

interface Reply {
  status: number
  retryAfter: string | null
  body: {
    data?: Record<string, unknown> | null
    errors?: { message: string; extensions?: Record<string, unknown> }[]
  }
}

async function listen(app: AffgraphApp): Promise<{ server: Server; endpoint: string }> {
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` }
}

async function stop(server: Server | undefined): Promise<void> {
  if (!server) return
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/** One POST over a real socket; `ip` is what the (trusted) proxy in front would have written. */
async function post(
  endpoint: string,
  query: string,
  variables: Record<string, unknown>,
  options: { token?: string; ip?: string } = {},
): Promise<Reply> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.ip ? { 'x-forwarded-for': options.ip } : {}),
    },
    body: JSON.stringify({ query, variables }),
  })
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
  }
}

/** Through `app.fetch`: no socket, hence the in-process client key. */
async function postInProcess(
  app: AffgraphApp,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<Reply> {
  const response = await app.fetch('http://affgraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  })
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
  }
}

function expectRefused(reply: Reply, scope: 'TOKEN' | 'IP', limitClass: string): number {
  expect(reply.status, JSON.stringify(reply.body)).toBe(429)
  expect(reply.body.data ?? null).toBeNull()
  const extensions = reply.body.errors?.[0]?.extensions ?? {}
  expect(extensions).toMatchObject({ code: 'RATE_LIMITED', scope, limitClass })
  const seconds = extensions.retryAfterSeconds as number
  expect(Number.isInteger(seconds) && seconds >= 1).toBe(true)
  expect(reply.retryAfter).toBe(String(seconds))
  return seconds
}

function expectAllowed(reply: Reply): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  expect(reply.body.errors, JSON.stringify(reply.body)).toBeUndefined()
}

const CREATE_TOKEN =
  'mutation { createApiToken(input: { name: "extra" }) { ... on CreateApiTokenSuccess { apiToken { id } } } }'
const SYNC_ACCOUNT = 'mutation Sync($id: ID!) { syncAccount(input: { accountId: $id }) { __typename } }'
const IMPORT =
  'mutation Import($input: ImportAccountsInput!) { importAccounts(input: $input) { ... on ImportAccountsSuccess { imported failed } } }'

let t: TestApp
let sim: PlatformSimulator
let server: Server
let endpoint: string

beforeAll(async () => {
  t = await createTestApp({ env: LIMITED_ENV })
  sim = await softswiss.simulator.create({ seed: 'api-rate-limit', accounts: 8 })
  ;({ server, endpoint } = await listen(t.app))
})

afterAll(async () => {
  await stop(server)
  await sim?.close()
  await t?.close()
})

/** Another app on the same database, as a second server process would be; on PostgreSQL with a pool of its own. */
async function sameDatabaseApp(config: Config): Promise<{ app: AffgraphApp; close: () => Promise<void> }> {
  const db: Database = t.db.url ? await openDatabase({ url: t.db.url, migrate: false }) : t.db
  const services = await createAppServices(config, {
    db,
    registry: t.registry,
    logger: t.services.logger,
    keyRing: t.services.keyRing,
  })
  return { app: createApp(services), close: async () => (db === t.db ? undefined : db.close()) }
}

describe('API rate limits with small configured budgets', () => {
  let tokens = 0
  /** A fresh token (in a workspace of its own) per test, so that no test spends another's budget. */
  const freshToken = async () => (await t.workspace(`rate-limit-${++tokens}`)).token
  let calls = 0
  /** Rotates over the simulator's accounts: the platform's own limit of one request a second per account is not under test. */
  const testConnection = (token: string, ip: string) =>
    post(
      endpoint,
      TEST_CONNECTION,
      { input: { softSwiss: sim.accounts[calls++ % sim.accounts.length]!.connection } },
      { token, ip },
    )

  it('given a token limited to 3 credential tests, when it sends 4, then 3 reach the program and the 4th gets 429 RATE_LIMITED with Retry-After before any request leaves', async () => {
    const token = await freshToken()
    const before = sim.log.length
    for (let i = 0; i < 3; i++) {
      const reply = await testConnection(token, '198.51.100.1')
      expectAllowed(reply)
      expect(reply.body.data).toMatchObject({ testConnection: { __typename: 'TestConnectionSuccess' } })
    }
    expect(sim.log.length - before).toBe(3)
    const seconds = expectRefused(await testConnection(token, '198.51.100.1'), 'TOKEN', 'CREDENTIAL_TEST')
    // 3 per hour, all spent at once: the next slot opens a third of an hour later.
    expect(seconds).toBeGreaterThan(1100)
    expect(seconds).toBeLessThanOrEqual(1200)
    expect(sim.log.length - before).toBe(3)
  })

  it('given one token used from two addresses, when the token budget is spent across both, then the next call is refused for the token although the second address has budget left', async () => {
    const token = await freshToken()
    expectAllowed(await testConnection(token, '198.51.100.2'))
    expectAllowed(await testConnection(token, '198.51.100.2'))
    expectAllowed(await testConnection(token, '198.51.100.3'))
    expectRefused(await testConnection(token, '198.51.100.3'), 'TOKEN', 'CREDENTIAL_TEST')
    // The address itself is not blocked: another token from it still passes.
    expectAllowed(await testConnection(await freshToken(), '198.51.100.3'))
  })

  it('given two tokens from one address, when together they spend the address budget of 4, then the next call is refused for the address while another address still passes', async () => {
    const first = await freshToken()
    const second = await freshToken()
    expectAllowed(await testConnection(first, '198.51.100.4'))
    expectAllowed(await testConnection(first, '198.51.100.4'))
    expectAllowed(await testConnection(second, '198.51.100.4'))
    expectAllowed(await testConnection(second, '198.51.100.4'))
    const before = sim.log.length
    expectRefused(await testConnection(second, '198.51.100.4'), 'IP', 'CREDENTIAL_TEST')
    expect(sim.log.length).toBe(before)
    expectAllowed(await testConnection(second, '198.51.100.5'))
  })

  it('given aliases and a fragment, when one operation names testConnection several times, then each one is counted and an operation that does not fit is refused whole', async () => {
    const token = await freshToken()
    const variables = {
      a: { softSwiss: sim.accounts[6]!.connection },
      b: { softSwiss: sim.accounts[7]!.connection },
    }
    const twice = `mutation Twice($a: ConnectionInput!, $b: ConnectionInput!) {
      a: testConnection(input: $a) { __typename }
      ...More
    }
    fragment More on Mutation { b: testConnection(input: $b) { __typename } }`
    const before = sim.log.length
    expectAllowed(await post(endpoint, twice, variables, { token, ip: '198.51.100.6' }))
    expect(sim.log.length - before).toBe(2)
    // One unit is left: two aliases do not fit, and neither of them runs.
    expectRefused(
      await post(endpoint, twice, variables, { token, ip: '198.51.100.6' }),
      'TOKEN',
      'CREDENTIAL_TEST',
    )
    expect(sim.log.length - before).toBe(2)
    expectAllowed(await testConnection(token, '198.51.100.6'))
    expectRefused(await testConnection(token, '198.51.100.6'), 'TOKEN', 'CREDENTIAL_TEST')
  })

  it('given a connect budget of 3, when a 2-row import and a connect spend it, then the next connect is refused and writes no account row and calls no program', async () => {
    const token = await freshToken()
    // Two data rows, one of them with a line break inside a quoted cell; neither names a known platform.
    const csv = 'platform,label\nnowhere,"two\nlines"\nnowhere,plain\n'
    const imported = await post(
      endpoint,
      IMPORT,
      { input: { csv, dryRun: true } },
      { token, ip: '198.51.100.7' },
    )
    expectAllowed(imported)
    const connect = { input: { connection: { softSwiss: sim.accounts[1]!.connection }, label: 'limited' } }
    expectAllowed(await post(endpoint, CONNECT_ACCOUNT, connect, { token, ip: '198.51.100.7' }))
    const rows = await accountRowsText(t)
    const requests = sim.log.length
    expectRefused(
      await post(endpoint, CONNECT_ACCOUNT, connect, { token, ip: '198.51.100.7' }),
      'TOKEN',
      'CONNECT',
    )
    expect(await accountRowsText(t)).toEqual(rows)
    expect(sim.log.length).toBe(requests)
  })

  it('given a sync budget of 2 per 3 s, when it is spent, then the third trigger is refused and passes again once Retry-After has elapsed', async () => {
    const token = await freshToken()
    const id = '00000000-0000-4000-8000-000000000000'
    expectAllowed(await post(endpoint, SYNC_ACCOUNT, { id }, { token, ip: '198.51.100.8' }))
    expectAllowed(await post(endpoint, SYNC_ACCOUNT, { id }, { token, ip: '198.51.100.8' }))
    const seconds = expectRefused(
      await post(endpoint, SYNC_ACCOUNT, { id }, { token, ip: '198.51.100.8' }),
      'TOKEN',
      'SYNC_TRIGGER',
    )
    expect(seconds).toBeLessThanOrEqual(2)
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    expectAllowed(await post(endpoint, SYNC_ACCOUNT, { id }, { token, ip: '198.51.100.8' }))
  })

  it('given 3 failed authentications from an address, when it presents any token again, then it gets 429 whether the token is good or bad, and other addresses are unaffected', async () => {
    const good = await freshToken()
    const bad = `${good.slice(0, -4)}zzzz`
    // A good request first: the address is seen clean, and that reading must not outlive the failures after it.
    expectAllowed(
      await post(endpoint, '{ viewer { workspace { name } } }', {}, { token: good, ip: '203.0.113.9' }),
    )
    for (let i = 0; i < 3; i++) {
      const reply = await post(
        endpoint,
        '{ viewer { workspace { name } } }',
        {},
        { token: bad, ip: '203.0.113.9' },
      )
      expect(reply.status).toBe(401)
    }
    expectRefused(
      await post(endpoint, '{ viewer { workspace { name } } }', {}, { token: bad, ip: '203.0.113.9' }),
      'IP',
      'AUTH_FAILURE',
    )
    expectRefused(
      await post(endpoint, '{ viewer { workspace { name } } }', {}, { token: good, ip: '203.0.113.9' }),
      'IP',
      'AUTH_FAILURE',
    )
    // Without a token nothing is being guessed: public fields still answer.
    expectAllowed(await post(endpoint, '{ platforms { id } }', {}, { ip: '203.0.113.9' }))
    expectAllowed(
      await post(endpoint, '{ viewer { workspace { name } } }', {}, { token: good, ip: '203.0.113.10' }),
    )
    const other = await post(
      endpoint,
      '{ viewer { workspace { name } } }',
      {},
      { token: bad, ip: '203.0.113.10' },
    )
    expect(other.status).toBe(401)
  })

  it('given two app instances on one database, when a token spends its budget across both, then both refuse the next creation', async () => {
    const token = await freshToken()
    const second = await sameDatabaseApp(t.services.config)
    try {
      expectAllowed(await post(endpoint, CREATE_TOKEN, {}, { token, ip: '198.51.100.11' }))
      expectAllowed(await postInProcess(second.app, CREATE_TOKEN, {}, token))
      expectRefused(
        await post(endpoint, CREATE_TOKEN, {}, { token, ip: '198.51.100.11' }),
        'TOKEN',
        'TOKEN_CREATE',
      )
      expectRefused(await postInProcess(second.app, CREATE_TOKEN, {}, token), 'TOKEN', 'TOKEN_CREATE')
      const [row] = await t.db.query<{ count: string }>(
        "select count(*)::text as count from api_token where name = 'extra'",
      )
      expect(row?.count).toBe('2')
    } finally {
      await second.close()
    }
  })

  it('given two app instances on one database, when 8 token creations race across both against a budget of 2, then exactly 2 run', async () => {
    const token = await freshToken()
    const second = await sameDatabaseApp(t.services.config)
    try {
      const burst =
        'mutation { createApiToken(input: { name: "burst" }) { ... on CreateApiTokenSuccess { apiToken { id } } } }'
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2 === 0
            ? post(endpoint, burst, {}, { token, ip: '198.51.100.12' })
            : postInProcess(second.app, burst, {}, token),
        ),
      )
      expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 429, 429, 429, 429, 429, 429])
      const [row] = await t.db.query<{ count: string }>(
        "select count(*)::text as count from api_token where name = 'burst'",
      )
      expect(row?.count).toBe('2')
    } finally {
      await second.close()
    }
  })
})

describe('API rate limits with default budgets and no trusted proxy', () => {
  let other: { app: AffgraphApp; close: () => Promise<void> }
  let otherServer: Server
  let otherEndpoint: string

  beforeAll(async () => {
    const defaults = loadConfig({ AFFGRAPH_RATE_LIMIT_TOKEN_CREATE_PER_IP: '2/1h' }).apiRateLimit
    other = await sameDatabaseApp({ ...t.services.config, apiRateLimit: defaults })
    ;({ server: otherServer, endpoint: otherEndpoint } = await listen(other.app))
  })

  afterAll(async () => {
    await stop(otherServer)
    await other?.close()
  })

  it('given no trusted proxy, when clients send different X-Forwarded-For values, then they all count under the socket address and the third is refused', async () => {
    const tokens = await Promise.all(
      ['xff-1', 'xff-2', 'xff-3'].map(async (n) => (await t.workspace(n)).token),
    )
    expectAllowed(await post(otherEndpoint, CREATE_TOKEN, {}, { token: tokens[0], ip: '198.51.100.21' }))
    expectAllowed(await post(otherEndpoint, CREATE_TOKEN, {}, { token: tokens[1], ip: '198.51.100.22' }))
    expectRefused(
      await post(otherEndpoint, CREATE_TOKEN, {}, { token: tokens[2], ip: '198.51.100.23' }),
      'IP',
      'TOKEN_CREATE',
    )
    // Calls through app.fetch have no socket and count under a key of their own.
    expectAllowed(await postInProcess(other.app, CREATE_TOKEN, {}, tokens[2]!))
    const keys = await t.db.query<{ key: string }>(
      "select key from rate_limit_state where key like 'api:TOKEN_CREATE:ip:%' order by key",
    )
    const names = keys.map((k) => k.key)
    expect(names).toEqual(
      expect.arrayContaining(['api:TOKEN_CREATE:ip:127.0.0.1', `api:TOKEN_CREATE:ip:${IN_PROCESS_CLIENT}`]),
    )
    for (const spoofed of ['198.51.100.21', '198.51.100.22', '198.51.100.23'])
      expect(names).not.toContain(`api:TOKEN_CREATE:ip:${spoofed}`)
  })

  it('given the default budgets, when a 500-row file is checked and then imported, then neither is refused', async () => {
    const token = (await t.workspace('big-import')).token
    const csv = `platform,label\n${Array.from({ length: IMPORT_MAX_ROWS }, (_, i) => `nowhere,row ${i}`).join('\n')}\n`
    for (const dryRun of [true, false]) {
      const reply = await postInProcess(other.app, IMPORT, { input: { csv, dryRun } }, token)
      expectAllowed(reply)
      expect(reply.body.data?.importAccounts).toEqual({ imported: 0, failed: IMPORT_MAX_ROWS })
    }
  })
})

describe('import rows: what the limiter charges is what the importer checks', () => {
  let counted: PlatformSimulator
  let next = 0
  /** Distinct accounts, so that no row of a file is refused as a duplicate of another and every valid row is checked. */
  const columns = () => Object.keys(counted.accounts[0]!.connection)
  const header = () => ['platform', 'label', ...columns()].join(',')
  const realRow = (label = `row ${next}`) => {
    const account = counted.accounts[next++ % counted.accounts.length]!
    const quoted = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)
    return ['softswiss', quoted(label), ...columns().map((c) => quoted(account.connection[c]!))].join(',')
  }
  /** Credential checks the importer runs for a dry run of `csv`, counted at the platform. */
  const checksRun = async (app: AffgraphApp, csv: string, token: string) => {
    const before = counted.log.length
    const reply = await postInProcess(app, IMPORT, { input: { csv, dryRun: true } }, token)
    return { reply, checks: counted.log.length - before }
  }
  const emptyCells = () => ','.repeat(columns().length + 1)

  let limited: { app: AffgraphApp; close: () => Promise<void> }
  let unlimited: { app: AffgraphApp; close: () => Promise<void> }

  beforeAll(async () => {
    counted = await softswiss.simulator.create({ seed: 'import-row-count', accounts: 30 })
    const budget = (connect: string) =>
      sameDatabaseApp({
        ...t.services.config,
        apiRateLimit: loadConfig({ AFFGRAPH_RATE_LIMIT_CONNECT: connect }).apiRateLimit,
      })
    limited = await budget('5/1h')
    unlimited = await budget('100000/1h')
  })

  afterAll(async () => {
    await limited?.close()
    await unlimited?.close()
    await counted?.close()
  })

  it('given CR-only, CRLF and LF line ends, quoted line breaks, blank and all-empty-cell rows and more than 500 rows, when the limiter counts a file, then its count equals the credential checks the importer runs', async () => {
    const token = (await t.workspace('import-row-count')).token
    const files: [string, string][] = [
      ['LF', `${header()}\n${realRow()}\n${realRow()}\n${realRow()}\n`],
      ['CRLF', `${header()}\r\n${realRow()}\r\n${realRow()}\r\n${realRow()}\r\n`],
      ['CR only', `${header()}\r${realRow()}\r${realRow()}\r${realRow()}`],
      ['quoted line breaks', `${header()}\n${realRow('a\nb')}\n${realRow('c\r\nd')}\r${realRow('e\rf')}\n`],
      [
        'blank and all-empty-cell rows',
        `\ufeff${header()}\n\n${emptyCells()}\n   \r\n${realRow()}\n${' , ,'.repeat(3)}\n${realRow()}\n\n`,
      ],
      [
        'more than 500 rows, most of them all-empty cells',
        `${header()}\n${`${emptyCells()}\n`.repeat(600)}${realRow()}\n${realRow()}\n`,
      ],
      [
        'more than 500 real rows, refused whole',
        `${header()}\n${Array.from({ length: 501 }, (_, i) => `nowhere,${i}`).join('\r')}\r${realRow()}\n`,
      ],
    ]
    const seen: Record<string, { counted: number; checked: number }> = {}
    for (const [name, csv] of files) {
      const { reply, checks } = await checksRun(unlimited.app, csv, token)
      expect(reply.status, name).toBe(200)
      seen[name] = { counted: csvDataRows(csv), checked: checks }
    }
    expect(seen).toEqual({
      LF: { counted: 3, checked: 3 },
      CRLF: { counted: 3, checked: 3 },
      'CR only': { counted: 3, checked: 3 },
      'quoted line breaks': { counted: 3, checked: 3 },
      'blank and all-empty-cell rows': { counted: 2, checked: 2 },
      'more than 500 rows, most of them all-empty cells': { counted: 2, checked: 2 },
      'more than 500 real rows, refused whole': { counted: 0, checked: 0 },
    })
  })

  it('given a connect budget of 5 an hour, when imports written every which way try to check 26 accounts, then exactly 5 checks reach the platform', async () => {
    const token = (await t.workspace('import-budget')).token
    const rows = (n: number, eol: string) => Array.from({ length: n }, () => realRow()).join(eol)
    let checks = 0
    // 20 rows with CR-only line ends: 20 units, more than the whole budget, refused before any check.
    const crOnly = await checksRun(limited.app, `${header()}\r${rows(20, '\r')}\r`, token)
    checks += crOnly.checks
    expectRefused(crOnly.reply, 'TOKEN', 'CONNECT')
    // 3 rows hidden among 600 all-empty-cell rows: 3 units, not the 1 a file over 500 rows would cost.
    const padded = await checksRun(
      limited.app,
      `${header()}\n${`${emptyCells()}\n`.repeat(600)}${rows(3, '\n')}\n`,
      token,
    )
    checks += padded.checks
    expectAllowed(padded.reply)
    // 2 rows, one with a quoted line break, CRLF: 2 units, the budget is spent.
    const quoted = await checksRun(
      limited.app,
      `${header()}\r\n${realRow('two\r\nlines')}\r\n${realRow()}`,
      token,
    )
    checks += quoted.checks
    expectAllowed(quoted.reply)
    const last = await checksRun(limited.app, `${header()}\n${realRow()}\n`, token)
    checks += last.checks
    expectRefused(last.reply, 'TOKEN', 'CONNECT')
    expect(checks).toBe(5)
  })
})

describe('client address and configuration', () => {
  it('given trusted proxy hops, when X-Forwarded-For holds spoofed entries, then only the entry written by the trusted proxy counts', () => {
    expect(clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.9', 1)).toBe('198.51.100.9')
    expect(clientAddress('10.0.0.2', '1.1.1.1, 198.51.100.9, 10.0.0.1', 2)).toBe('198.51.100.9')
    expect(clientAddress('10.0.0.2', '198.51.100.9', 0)).toBe('10.0.0.2')
    expect(clientAddress('10.0.0.2', 'not-an-address', 1)).toBe('10.0.0.2')
    expect(clientAddress('10.0.0.2', '198.51.100.9', 5)).toBe('198.51.100.9')
    expect(clientAddress(undefined, '198.51.100.9', 1)).toBe(IN_PROCESS_CLIENT)
  })

  it('given IPv4-mapped and IPv6 peers, when keyed, then the mapped form is plain IPv4 and IPv6 is keyed by its /64', () => {
    expect(clientAddress('::ffff:203.0.113.5', null, 0)).toBe('203.0.113.5')
    expect(clientAddress('2001:db8:1:2:aaaa::1', null, 0)).toBe('2001:db8:1:2::/64')
    expect(clientAddress('2001:db8:1:2:bbbb::9', null, 0)).toBe('2001:db8:1:2::/64')
    expect(clientAddress('10.0.0.2', '[2001:db8:1:3::7]', 1)).toBe('2001:db8:1:3::/64')
  })

  it('given CSV text, when its rows are counted, then the header, blank lines and quoted line breaks are not rows', () => {
    expect(csvDataRows('platform,label\n')).toBe(0)
    expect(csvDataRows('platform,label\r\na,b\r\n\r\nc,"d\ne"\n')).toBe(2)
    expect(csvDataRows('platform,label\na,b')).toBe(1)
    expect(csvDataRows('platform,label\ra,b\rc,d\r')).toBe(2)
    expect(csvDataRows('platform,label\na,b\n,,,\n , \r\n')).toBe(1)
  })

  it('given rate limit settings, when parsed, then units, off and bad values are handled and a bad value names its variable', () => {
    const config = loadConfig({
      AFFGRAPH_RATE_LIMIT_CONNECT: '20/m',
      AFFGRAPH_RATE_LIMIT_CONNECT_PER_IP: 'off',
      AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER: '5/30s',
      AFFGRAPH_TRUST_PROXY: 'true',
    })
    expect(config.apiRateLimit.limits.CONNECT).toEqual({
      perToken: { requests: 20, intervalMs: 60_000 },
      perIp: null,
    })
    expect(config.apiRateLimit.limits.SYNC_TRIGGER.perToken).toEqual({ requests: 5, intervalMs: 30_000 })
    expect(config.apiRateLimit.trustProxyHops).toBe(1)
    expect(loadConfig({}).apiRateLimit.limits.CREDENTIAL_TEST.perToken).toEqual({
      requests: 60,
      intervalMs: 600_000,
    })
    expect(loadConfig({}).apiRateLimit.trustProxyHops).toBe(0)
    for (const bad of ['20', '0/m', '20/week', '20/8d']) {
      expect(() => loadConfig({ AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST: bad })).toThrow(ConfigError)
      expect(() => loadConfig({ AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST: bad })).toThrow(
        /AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST:/,
      )
    }
    expect(() => loadConfig({ AFFGRAPH_TRUST_PROXY: 'yes please' })).toThrow(/AFFGRAPH_TRUST_PROXY/)
  })
})
