import type { LookupAddress } from 'node:dns'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { Account } from '../../src/account/account.entity.ts'
import { encryptCredentials } from '../../src/crypto/credential-cipher.ts'
import { createHttpClient } from '../../src/http/http-client.ts'
import { createSsrfGuard, OutboundBlockedError, type SsrfGuard } from '../../src/http/ssrf-guard.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { SyncRun } from '../../src/sync/sync.entity.ts'
import { SyncEngine, trailingWindow } from '../../src/sync/sync-engine.ts'
import { Workspace } from '../../src/workspace/workspace.entity.ts'
import {
  type AccountResult,
  bearer,
  CONNECT_ACCOUNT,
  countAccounts,
  type GqlResponse,
  send,
  TEST_CONNECTION,
} from '../graphql/graphql-helpers.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

/*
 * One corpus of program URLs that must never be called, run against every bundled URL field at connect time
 * (testConnection and connectAccount over GraphQL, allowlist empty) and at request time (the HTTP client with the
 * guard, and sync runs of accounts already stored with such a URL). Loopback targets carry the port of real
 * listeners on 127.0.0.1 and ::1, which count every TCP connection they accept: a leak cannot go unnoticed.
 */

/** In the userinfo case; must never come back in a response. */
const URL_PASSWORD = 'corpus-pw-5e3f9a'

interface Ports {
  /** Listeners on 127.0.0.1 and ::1 that nothing may reach. */
  inside: number
}

interface CorpusCase {
  name: string
  url: (p: Ports) => string
}

const corpus: CorpusCase[] = [
  { name: 'loopback 127.0.0.1', url: (p) => `http://127.0.0.1:${p.inside}/` },
  { name: 'short loopback 127.1', url: (p) => `http://127.1:${p.inside}/` },
  { name: 'localhost', url: (p) => `http://localhost:${p.inside}/` },
  { name: 'LOCALHOST. (case, trailing dot)', url: (p) => `http://LOCALHOST.:${p.inside}/` },
  { name: 'a name under .localhost', url: (p) => `http://partners.localhost:${p.inside}/` },
  { name: 'IPv6 loopback [::1]', url: (p) => `http://[::1]:${p.inside}/` },
  { name: 'unspecified 0.0.0.0', url: (p) => `http://0.0.0.0:${p.inside}/` },
  { name: 'unspecified [::]', url: (p) => `http://[::]:${p.inside}/` },
  { name: 'cloud metadata 169.254.169.254', url: () => 'http://169.254.169.254/latest/meta-data' },
  { name: 'AWS IPv6 metadata [fd00:ec2::254]', url: () => 'http://[fd00:ec2::254]/latest/meta-data' },
  // Not resolvable on most machines, so it is refused by name (.internal is private-use), not by its address.
  { name: 'metadata.google.internal', url: () => 'http://metadata.google.internal/computeMetadata/v1' },
  { name: 'private 10.0.0.1', url: () => 'http://10.0.0.1/' },
  { name: 'private 172.16.0.1', url: () => 'http://172.16.0.1/' },
  { name: 'private 192.168.1.1', url: () => 'https://192.168.1.1/partners' },
  { name: 'CGNAT 100.64.0.1', url: () => 'http://100.64.0.1/' },
  { name: 'unique local [fc00::1]', url: () => 'http://[fc00::1]/' },
  { name: 'link-local [fe80::1]', url: () => 'http://[fe80::1]/' },
  { name: 'IPv4-mapped [::ffff:127.0.0.1]', url: (p) => `http://[::ffff:127.0.0.1]:${p.inside}/` },
  { name: 'IPv4-mapped hex [::ffff:7f00:1]', url: (p) => `http://[::ffff:7f00:1]:${p.inside}/` },
  { name: 'IPv4-mapped private [::ffff:a00:1]', url: () => 'http://[::ffff:a00:1]/' },
  { name: 'NAT64 of loopback [64:ff9b::7f00:1]', url: (p) => `http://[64:ff9b::7f00:1]:${p.inside}/` },
  { name: 'decimal 2130706433', url: (p) => `http://2130706433:${p.inside}/` },
  { name: 'hex 0x7f000001', url: (p) => `http://0x7f000001:${p.inside}/` },
  { name: 'octal 017700000001', url: (p) => `http://017700000001:${p.inside}/` },
  { name: 'mixed 0x7f.1', url: (p) => `http://0x7f.1:${p.inside}/` },
  { name: 'userinfo naming an allowed host', url: (p) => `http://allowed.example@127.0.0.1:${p.inside}/` },
  { name: 'fragment hiding the host', url: (p) => `http://127.0.0.1:${p.inside}#@allowed.example/` },
  {
    name: 'user and password on a loopback host',
    url: (p) => `http://user:${URL_PASSWORD}@127.0.0.1:${p.inside}/`,
  },
  {
    name: 'user and password on a public host',
    url: () => `https://user:${URL_PASSWORD}@partners.example.com/`,
  },
  { name: 'file scheme', url: () => 'file:///etc/passwd' },
  { name: 'gopher scheme', url: (p) => `gopher://127.0.0.1:${p.inside}/_GET` },
  { name: 'ftp scheme', url: (p) => `ftp://127.0.0.1:${p.inside}/` },
  { name: 'data scheme', url: () => 'data:text/plain,hi' },
  { name: 'javascript scheme', url: () => 'javascript:alert(1)' },
]

/** Names the tests' resolver answers for; every other name goes to the system resolver. */
const LOOPBACK_NAME = 'loopback.affgraph.test'
const REBIND_NAME = 'rebind.affgraph.test'
const PUBLIC_ADDRESS = '93.184.216.34'

interface Counter {
  port: number
  connections: number
  close(): Promise<void>
}

/** A TCP listener that counts connections and answers nothing: anything reaching it is a leak. */
async function tcpListener(host: string, port = 0): Promise<Counter> {
  const sockets = new Set<Socket>()
  const state: Counter = { port: 0, connections: 0, close: async () => {} }
  const server: Server = createTcpServer((socket) => {
    state.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  state.port = (server.address() as AddressInfo).port
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  return state
}

/**
 * The program a user connected: an HTTP server on an allowlisted loopback port that forwards to the platform
 * simulator until it is switched to redirect inward, as a compromised or hostile program host would.
 */
async function programServer(upstream: string) {
  const state = {
    port: 0,
    hits: 0,
    redirectTo: undefined as string | undefined,
    close: async () => {},
  }
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    state.hits++
    // No keep-alive: every request must open a fresh connection, so the guard decides each one.
    res.setHeader('connection', 'close')
    if (state.redirectTo) {
      res.writeHead(302, { location: state.redirectTo })
      res.end()
      return
    }
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers.set(name, value)
    }
    fetch(`${upstream}${req.url ?? '/'}`, { method: req.method, headers })
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
  state.port = (server.address() as AddressInfo).port
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return state
}

/** Answers for the test names; a list is consumed one lookup at a time and its last answer then sticks. */
const answers = new Map<string, string[]>()
async function testResolver(hostname: string): Promise<LookupAddress[]> {
  const queue = answers.get(hostname.toLowerCase().replace(/\.$/, ''))
  if (!queue) {
    const { lookup } = await import('node:dns/promises')
    return lookup(hostname, { all: true })
  }
  const address = queue.length > 1 ? queue.shift()! : queue[0]!
  return [{ address, family: address.includes(':') ? 6 : 4 }]
}

/** What a refusal says, whichever layer refused: input validation (top-level error) or the guard (result type). */
function refusal(
  response: GqlResponse<Record<string, AccountResult>>,
  mutation: string,
): {
  code: string | undefined
  fields: string[]
} {
  const error = response.body.errors?.[0]
  if (error) {
    const fields = (error.extensions?.fields ?? []) as { path: string[] }[]
    return {
      code: error.extensions?.code as string | undefined,
      fields: fields.map((f) => String(f.path.at(-1))),
    }
  }
  const result = response.body.data?.[mutation]
  return { code: result?.code, fields: (result?.fields ?? []).map((f: { field: string }) => f.field) }
}

const NO_API_RATE_LIMITS = {
  AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST: 'off',
  AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST_PER_IP: 'off',
  AFFGRAPH_RATE_LIMIT_CONNECT: 'off',
  AFFGRAPH_RATE_LIMIT_CONNECT_PER_IP: 'off',
}

const tally = { connect: 0, client: 0, sync: 0 }
let v4: Counter
/** Null where the machine has no IPv6 loopback (some containers): IPv6 cases then have nothing to reach. */
let v6: Counter | null
const insideConnections = () => v4.connections + (v6?.connections ?? 0)

beforeAll(async () => {
  v4 = await tcpListener('127.0.0.1')
  v6 = await tcpListener('::1', v4.port).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT') return null
    throw error
  })
})

afterAll(async () => {
  await v4?.close()
  await v6?.close()
  const total = tally.connect + tally.client + tally.sync
  console.log(
    `SSRF corpus: ${corpus.length} URLs; refusals — connect time ${tally.connect} (GraphQL testConnection + connectAccount × every URL field), ` +
      `request time ${tally.client} (HTTP client) + ${tally.sync} (sync runs); ${total} blocked, ${insideConnections()} connections reached a loopback listener${v6 ? '' : ' (no IPv6 loopback on this machine)'}`,
  )
})

describe('SSRF corpus at connect time, allowlist empty', () => {
  let t: TestApp
  let token: string
  const urlFields: { platform: string; inputField: string; field: string; base: Record<string, string> }[] =
    []

  beforeAll(async () => {
    t = await createTestApp({
      // The corpus sends hundreds of credential checks from one token; the API's abuse limits are tested elsewhere.
      env: { AFFGRAPH_OUTBOUND_ALLOWLIST: '', ...NO_API_RATE_LIMITS },
    })
    token = (await t.workspace('ssrf-corpus')).token
    for (const platform of t.registry.all()) {
      const fields = platform.definition.connection.fields
      // The examples are valid connections (the contract suite checks it), so only the URL under test is wrong.
      const base = Object.fromEntries(platform.fieldNames.map((name) => [name, fields[name]!.example]))
      for (const name of platform.fieldNames) {
        if (fields[name]!.kind === 'url')
          urlFields.push({
            platform: platform.definition.id,
            inputField: platform.fieldName,
            field: name,
            base,
          })
      }
    }
  }, 60_000)

  afterAll(async () => {
    await t?.close()
  })

  it('given the bundled plugins, when their connection fields are listed, then every platform with a program URL is covered', () => {
    expect(urlFields.map((f) => `${f.platform}.${f.field}`).sort()).toEqual([
      'affise.baseUrl',
      'awin.apiBaseUrl',
      'cake.baseUrl',
      'cellxpert.baseUrl',
      'cj.apiBaseUrl',
      'clickbank.apiBaseUrl',
      'everflow.apiBaseUrl',
      'impact.apiBaseUrl',
      'income-access.baseUrl',
      'myaffiliates.baseUrl',
      'netrefer.baseUrl',
      'netrefer.tokenUrl',
      'smartico.baseUrl',
      'softswiss.baseUrl',
      'tune.apiBaseUrl',
    ])
  })

  it.each(corpus)(
    'given $name in each URL field, when testConnection and connectAccount run, then both are refused naming the field, nothing is stored and nothing is contacted',
    async ({ url }) => {
      const target = url({ inside: v4.port })
      const before = await countAccounts(t)
      for (const { inputField, field, base, platform } of urlFields) {
        const connection = { ...base, [field]: target }
        const tested = await send<Record<string, AccountResult>>(
          t,
          TEST_CONNECTION,
          { input: { [inputField]: connection } },
          bearer(token),
        )
        const connected = await send<Record<string, AccountResult>>(
          t,
          CONNECT_ACCOUNT,
          { input: { connection: { [inputField]: connection }, label: 'never stored' } },
          bearer(token),
        )
        for (const [response, mutation] of [
          [tested, 'testConnection'],
          [connected, 'connectAccount'],
        ] as const) {
          const where = `${platform}.${field} = ${target} via ${mutation}: ${response.text}`
          const { code, fields } = refusal(response, mutation)
          expect(['OUTBOUND_BLOCKED', 'CREDENTIALS_INVALID'], where).toContain(code)
          expect(fields, where).toContain(field)
          expect(response.body.data?.[mutation]?.account, where).toBeUndefined()
          expect(response.text, where).not.toContain(URL_PASSWORD)
          tally.connect++
        }
      }
      expect(await countAccounts(t)).toBe(before)
      expect(insideConnections()).toBe(0)
    },
  )
})

describe('SSRF at request time: names, rebinding, redirects and stored accounts', () => {
  let t: TestApp
  let token: string
  let workspaceId: string
  let sim: PlatformSimulator
  let program: Awaited<ReturnType<typeof programServer>>
  /** Listens on 127.0.0.2 at the program's port (not allowlisted): where a rebound program name points. */
  let rebound: Counter
  let engine: SyncEngine
  const guards: SsrfGuard[] = []

  const softswissConnection = (baseUrl: string) => ({ baseUrl, token: sim.accounts[0]!.connection.token! })

  beforeAll(async () => {
    answers.clear()
    sim = await softswiss.simulator.create({ seed: 'ssrf-corpus', accounts: 1 })
    program = await programServer(sim.baseUrl)
    rebound = await tcpListener('127.0.0.2', program.port)
    t = await createTestApp({
      env: {
        AFFGRAPH_OUTBOUND_ALLOWLIST: `127.0.0.1:${program.port}`,
        AFFGRAPH_HTTP_RETRIES: '1',
        ...NO_API_RATE_LIMITS,
      },
      overrides: { outboundResolve: testResolver },
    })
    const ws = await t.workspace('ssrf-request-time')
    token = ws.token
    workspaceId = ws.id
    // The job handler alone, as a worker runs it: the queue itself plays no part in what the guard decides.
    engine = new SyncEngine(t.services, {
      work: false,
      schedule: false,
      concurrency: 1,
      retryLimit: 0,
      retryDelaySeconds: 1,
      pollingIntervalSeconds: 1,
      circuitThreshold: 1000,
      circuitOpenSeconds: 1,
    })
  }, 60_000)

  afterAll(async () => {
    await Promise.all(guards.map((g) => g.close()))
    await rebound?.close()
    await program?.close()
    await sim?.close()
    await t?.close()
  })

  const connect = async (baseUrl: string) =>
    send<Record<string, AccountResult>>(
      t,
      CONNECT_ACCOUNT,
      { input: { connection: { softSwiss: softswissConnection(baseUrl) } } },
      bearer(token),
    )

  /** Runs one manual sync of the account in this process and returns how it ended. */
  async function syncOnce(accountId: string) {
    const em = t.db.fork()
    em.setFilterParams('workspace', { id: workspaceId })
    const account = await em.findOneOrFail(Account, { id: accountId }, { populate: ['workspace'] })
    const window = trailingWindow(2, 'UTC', t.services.clock.now())
    const run = em.create(SyncRun, {
      id: crypto.randomUUID(),
      workspace: account.workspace,
      account,
      kind: 'MANUAL',
      windowFrom: window.from,
      windowTo: window.to,
      status: 'QUEUED',
      createdAt: new Date(),
    })
    await em.flush()
    await engine.runJob({ runId: run.id, accountId, from: window.from, to: window.to, kind: 'MANUAL' }, 0, 0)
    const fresh = t.db.fork()
    const finished = await fresh.findOneOrFail(SyncRun, { id: run.id }, { filters: false })
    const stored = await fresh.findOneOrFail(Account, { id: accountId }, { filters: false })
    return { run: finished, account: stored }
  }

  /** An account saved before the guard knew better (or by an older version): its URL was never checked. */
  async function storeUnchecked(baseUrl: string): Promise<string> {
    const em = t.db.fork()
    const id = crypto.randomUUID()
    em.create(Account, {
      id,
      workspace: em.getReference(Workspace, workspaceId),
      platformId: 'softswiss',
      label: 'stored before the check',
      programName: null,
      baseUrl,
      currency: null,
      timeZone: 'UTC',
      tags: [],
      status: 'OK',
      lastCheckAt: null,
      lastSyncAt: null,
      lastErrorCode: null,
      lastErrorMessage: null,
      credentials: encryptCredentials(
        t.services.keyRing,
        softswissConnection(baseUrl),
        `account:${id}`,
      ) as never,
      connectionState: {},
      externalAccountName: null,
    })
    await em.flush()
    return id
  }

  it('given a name the resolver points at loopback, when it is connected, then both mutations refuse it naming baseUrl before any request', async () => {
    answers.set(LOOPBACK_NAME, ['127.0.0.1'])
    const before = await countAccounts(t)
    const baseUrl = `http://${LOOPBACK_NAME}:${v4.port}`
    const tested = await send<Record<string, AccountResult>>(
      t,
      TEST_CONNECTION,
      { input: { softSwiss: softswissConnection(baseUrl) } },
      bearer(token),
    )
    const connected = await connect(baseUrl)
    for (const [response, mutation] of [
      [tested, 'testConnection'],
      [connected, 'connectAccount'],
    ] as const) {
      expect(refusal(response, mutation), response.text).toEqual({
        code: 'OUTBOUND_BLOCKED',
        fields: ['baseUrl'],
      })
      expect(response.body.data?.[mutation]?.message).toContain('resolves to 127.0.0.1')
      tally.connect++
    }
    expect(await countAccounts(t)).toBe(before)
    expect(insideConnections()).toBe(0)
  })

  it('given a name that answers public to the first lookup and loopback to the next, when it is connected, then the connection is refused naming baseUrl', async () => {
    const before = await countAccounts(t)
    const baseUrl = `http://${REBIND_NAME}:${v4.port}`
    for (const mutation of ['testConnection', 'connectAccount'] as const) {
      answers.set(REBIND_NAME, [PUBLIC_ADDRESS, '127.0.0.1'])
      const response =
        mutation === 'testConnection'
          ? await send<Record<string, AccountResult>>(
              t,
              TEST_CONNECTION,
              { input: { softSwiss: softswissConnection(baseUrl) } },
              bearer(token),
            )
          : await connect(baseUrl)
      expect(refusal(response, mutation), response.text).toEqual({
        code: 'OUTBOUND_BLOCKED',
        fields: ['baseUrl'],
      })
      // The first answer passed the form check: the refusal came from the lookup of the connection itself.
      expect(answers.get(REBIND_NAME)).toEqual(['127.0.0.1'])
      tally.connect++
    }
    expect(await countAccounts(t)).toBe(before)
    expect(insideConnections()).toBe(0)
  })

  it('given an allowlisted program that 302-redirects inward, when it is connected, then the redirect is refused naming baseUrl and its target never hears from us', async () => {
    const before = await countAccounts(t)
    program.redirectTo = `http://127.0.0.1:${v4.port}/latest/meta-data`
    try {
      const response = await connect(`http://127.0.0.1:${program.port}`)
      expect(refusal(response, 'connectAccount'), response.text).toEqual({
        code: 'OUTBOUND_BLOCKED',
        fields: ['baseUrl'],
      })
      tally.connect++
    } finally {
      program.redirectTo = undefined
    }
    expect(program.hits).toBeGreaterThan(0)
    expect(await countAccounts(t)).toBe(before)
    expect(insideConnections()).toBe(0)
  })

  it('given the HTTP client with the guard and no allowlist, when each corpus URL, the loopback name, the rebound name and a redirect inward are requested, then every one is OutboundBlockedError and no listener is reached', async () => {
    const guard = createSsrfGuard({ resolve: testResolver })
    const redirecting = createSsrfGuard({ allow: [`127.0.0.1:${program.port}`], resolve: testResolver })
    guards.push(guard, redirecting)
    const client = createHttpClient({ guard, retry: { attempts: 1 } })
    answers.set(LOOPBACK_NAME, ['127.0.0.1'])
    answers.set(REBIND_NAME, [PUBLIC_ADDRESS, '127.0.0.1'])
    const rebindUrl = new URL(`http://${REBIND_NAME}:${v4.port}/`)
    // The check a form would run sees the public answer; the request that follows must still be refused.
    await expect(guard.checkTarget(rebindUrl)).resolves.toBeUndefined()
    const urls = [
      ...corpus.map((c) => c.url({ inside: v4.port })),
      `http://${LOOPBACK_NAME}:${v4.port}/`,
      rebindUrl.toString(),
    ]
    for (const url of urls) {
      const error = await client.request({ url }).catch((e: unknown) => e)
      expect(error, url).toBeInstanceOf(OutboundBlockedError)
      expect((error as OutboundBlockedError).code).toBe('OUTBOUND_BLOCKED')
      expect((error as Error).message, url).not.toContain(URL_PASSWORD)
      tally.client++
    }
    program.redirectTo = `http://127.0.0.1:${v4.port}/`
    try {
      const hits = program.hits
      const error = await createHttpClient({ guard: redirecting, retry: { attempts: 1 } })
        .request({ url: `http://127.0.0.1:${program.port}/api` })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(OutboundBlockedError)
      expect((error as OutboundBlockedError).host).toBe(`127.0.0.1:${v4.port}`)
      expect(program.hits).toBe(hits + 1)
      tally.client++
    } finally {
      program.redirectTo = undefined
    }
    expect(insideConnections()).toBe(0)
  })

  it('given an account connected while its program behaved, when the program later redirects inward, then its sync fails with OUTBOUND_BLOCKED and the target is never reached', async () => {
    const connected = await connect(`http://127.0.0.1:${program.port}`)
    const account = connected.body.data?.connectAccount?.account
    expect(account, connected.text).toBeDefined()
    program.redirectTo = `http://127.0.0.1:${v4.port}/`
    try {
      const { run, account: after } = await syncOnce(databaseIdOf(account!.id))
      expect(run.status).toBe('FAILED')
      expect(run.errorCode).toBe('OUTBOUND_BLOCKED')
      expect(after.lastErrorCode).toBe('OUTBOUND_BLOCKED')
      expect(after.status).toBe('UNREACHABLE')
      tally.sync++
    } finally {
      program.redirectTo = undefined
    }
    expect(insideConnections()).toBe(0)
  })

  it('given an account connected under a name that resolved to the allowed program, when the name is re-pointed at another loopback address, then its sync fails with OUTBOUND_BLOCKED and the new address is never reached', async () => {
    answers.set(REBIND_NAME, ['127.0.0.1'])
    const connected = await connect(`http://${REBIND_NAME}:${program.port}`)
    const account = connected.body.data?.connectAccount?.account
    expect(account, connected.text).toBeDefined()
    answers.set(REBIND_NAME, ['127.0.0.2'])
    const programHits = program.hits
    const { run, account: after } = await syncOnce(databaseIdOf(account!.id))
    expect(run.status).toBe('FAILED')
    expect(run.errorCode).toBe('OUTBOUND_BLOCKED')
    expect(run.errorMessage).toContain('127.0.0.2')
    expect(after.lastErrorCode).toBe('OUTBOUND_BLOCKED')
    expect(program.hits).toBe(programHits)
    expect(rebound.connections).toBe(0)
    tally.sync++
  })

  it.each(corpus)(
    'given an account stored unchecked with $name, when it syncs, then the run fails with OUTBOUND_BLOCKED and no listener is reached',
    async ({ url }) => {
      const id = await storeUnchecked(url({ inside: v4.port }))
      const requests = sim.log.length
      const { run, account } = await syncOnce(id)
      expect(run.status, run.errorMessage ?? '').toBe('FAILED')
      expect(run.errorCode, run.errorMessage ?? '').toBe('OUTBOUND_BLOCKED')
      expect(run.errorMessage).not.toContain(URL_PASSWORD)
      expect(account.lastErrorCode).toBe('OUTBOUND_BLOCKED')
      expect(account.status).toBe('UNREACHABLE')
      expect(sim.log.length).toBe(requests)
      expect(insideConnections()).toBe(0)
      tally.sync++
    },
  )
})
