/**
 * Load: the real server process over HTTP, seeded with realistic data (3 workspaces, 40 accounts, 365 days of
 * stats each, sync history), under autocannon with 100 connections for 60 s on a dashboard-like mix:
 * 60% stats (30 or 90 days, by program, platform or day), 20% account lists, 10% sync runs or one account,
 * 10% mutations (updateAccount tags/label, testConnection against a local simulator). A bare graphql-yoga
 * process answering `{ ping }` under the same settings, in the same run, is the baseline of the ratios.
 *
 *   npm run bench -- load                                  (PGlite in a temp data dir)
 *   DATABASE_URL=postgresql://… npm run bench -- load      (a database of its own on that server)
 *   BENCH_LOAD_DURATION=10 BENCH_LOAD_CONNECTIONS=50 …    (a quick run; also BENCH_LOAD_ACCOUNTS, _DAYS, _WORKSPACES)
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import autocannon, { type Result } from 'autocannon'
import softswiss from '../plugins/softswiss/index.ts'
import { encryptCredentials } from '../src/crypto/credential-cipher.ts'
import { generateMasterKeyEntry, type MasterKeyRing, parseMasterKeys } from '../src/crypto/master-key.ts'
import { type Database, openDatabase } from '../src/db/database.ts'
import { toGlobalId } from '../src/schema/global-ids.ts'
import type { PlatformSimulator } from '../src/sdk/index.ts'
import { ensureWorkspace, issueApiToken } from '../src/workspace/workspace.service.ts'
import {
  makeTempDir,
  type RunningServer,
  spawnAffgraph,
  startServer,
  stopProcess,
  waitForStdout,
} from '../test/server/support/affgraph-process.ts'
import { openBenchDatabase } from './support/bench-database.ts'
import { profileEnv, summariseProfile } from './support/cpu-profile.ts'

export interface LoadSeed {
  workspaces: number
  accounts: number
  days: number
}

export interface SeededWorkspace {
  token: string
  accountIds: string[]
}

const LAST_DAY = '2026-09-30'
const PLATFORMS = ['softswiss', 'myaffiliates', 'income-access', 'clickbank', 'cellxpert', 'netrefer']
const CURRENCIES = ['EUR', 'USD', 'GBP']

/**
 * Writes the data set straight into the tables with set-based SQL (seconds, not minutes): accounts spread over
 * the six platforms and five programs, two brands per account per day, coverage of the whole range so that no
 * query goes upstream, and 20 finished sync runs per account.
 */
export async function seedLoadData(
  db: Database,
  seed: LoadSeed,
  ring: MasterKeyRing,
): Promise<SeededWorkspace[]> {
  const out: SeededWorkspace[] = []
  const first = new Date(Date.parse(`${LAST_DAY}T00:00:00Z`) - (seed.days - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10)
  for (let w = 0; w < seed.workspaces; w++) {
    const em = db.fork()
    const { workspace } = await ensureWorkspace(em, `load ${w + 1}`)
    em.setFilterParams('workspace', { id: workspace.id })
    const { token } = await issueApiToken(em, workspace, 'load')
    const count = Math.floor(seed.accounts / seed.workspaces) + (w < seed.accounts % seed.workspaces ? 1 : 0)
    const rows = await db.query<{ id: string }>(
      `insert into account (id, workspace_id, platform_id, label, program_name, base_url, currency, time_zone, tags,
         status, credentials, connection_state, created_at, updated_at)
       select gen_random_uuid(), ?, (?::text[])[1 + i % 6], 'Account ' || i, 'Program ' || (i % 5),
              'https://program-' || (i % 5) || '.example', (?::text[])[1 + i % 3], 'UTC',
              array['tier-' || (i % 3)], 'OK', '{}', '{}', now(), now()
         from generate_series(0, ?::int - 1) i
       returning id`,
      [workspace.id, `{${PLATFORMS.join(',')}}`, `{${CURRENCIES.join(',')}}`, count],
    )
    await db.query(
      `insert into stat_day (account_id, day, brand, campaign, currency, workspace_id, clicks, signups, ftds,
         deposit_count, deposits, net_revenue, commission, synced_at)
       select a.id, d::date, b.brand, '', a.currency, a.workspace_id, c, c / 10, c / 40, c / 30,
              round((c * 7.31)::numeric, 2), round((c * 2.17 - 40)::numeric, 2), round((c * 0.93)::numeric, 2), now()
         from account a
        cross join generate_series(?::date, ?::date, interval '1 day') d
        cross join (values ('Main'), ('Second')) b(brand)
        cross join lateral (select 50 + (hashtext(a.id::text || d::text || b.brand) & 511) as c) v
        where a.workspace_id = ?`,
      [first, LAST_DAY, workspace.id],
    )
    await db.query(
      `insert into sync_coverage (account_id, from_day, to_day, synced_at)
       select id, ?, ?, now() from account where workspace_id = ?`,
      [first, LAST_DAY, workspace.id],
    )
    await db.query(
      `insert into sync_run (id, workspace_id, account_id, kind, window_from, window_to, status, attempts, requests,
         rows_written, rows_changed, created_at, started_at, finished_at)
       select gen_random_uuid(), a.workspace_id, a.id, 'PERIODIC', ?::date - 7, ?::date, 'SUCCEEDED', 1, 2, 16, 0,
              now() - (n || ' hours')::interval, now() - (n || ' hours')::interval, now() - (n || ' hours')::interval
         from account a cross join generate_series(1, 20) n
        where a.workspace_id = ?`,
      [LAST_DAY, LAST_DAY, workspace.id],
    )
    // Sealed like real credentials, so that a server start finds nothing to re-wrap or to complain about.
    for (const { id } of rows) {
      const sealed = encryptCredentials(
        ring,
        { token: `load-${id}`, baseUrl: 'https://program.example' },
        `account:${id}`,
      )
      await db.query('update account set credentials = cast(? as jsonb) where id = ?', [
        JSON.stringify(sealed),
        id,
      ])
    }
    // The API names accounts by global ids.
    out.push({ token, accountIds: rows.map((r) => toGlobalId('Account', r.id)) })
  }
  await db.query('analyze')
  return out
}

function daysBefore(last: string, days: number): string {
  return new Date(Date.parse(`${last}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10)
}

const STATS = `query Stats($input: StatsInput!) {
  stats(input: $input) { rows { nodes { periodStart platformId program clicks signups ftds deposits { amount } netRevenue { amount } commission { amount } } } }
}`
const ACCOUNTS = `query Accounts($first: Int) {
  accounts(first: $first) { totalCount nodes { id label status platformId programName tags currency lastSyncAt
    connectionFields { name isSet hint } } }
}`
const SYNC_RUNS = `query Runs($id: ID!) {
  account(id: $id) { id syncRuns(first: 20) { nodes { id kind status window { from to } rowsWritten finishedAt } } }
}`
const ONE_ACCOUNT = `query One($id: ID!) {
  account(id: $id) { id label status platformId programName baseUrl tags timeZone currency lastSyncAt nextSyncAt }
}`
const UPDATE = `mutation Update($input: UpdateAccountInput!) {
  updateAccount(input: $input) { __typename ... on UpdateAccountSuccess { account { id tags label } } }
}`
const TEST_CONNECTION = `mutation Test($input: ConnectionInput!) {
  testConnection(input: $input) { __typename }
}`

export type MixKind = 'stats' | 'accounts' | 'syncRuns' | 'account' | 'updateAccount' | 'testConnection'

/** The request mix, in percent; the kinds of one request are picked at random with these weights. */
export const MIX: readonly [MixKind, number][] = [
  ['stats', 60],
  ['accounts', 20],
  ['syncRuns', 5],
  ['account', 5],
  ['updateAccount', 7],
  ['testConnection', 3],
]
const EXPECTED_TYPENAME: Partial<Record<MixKind, string>> = {
  updateAccount: 'UpdateAccountSuccess',
  testConnection: 'TestConnectionSuccess',
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T
}

/**
 * Every block of 100 requests holds each kind exactly its weight's number of times, in a shuffled order: the
 * proportions hold even in a short run, and every kind is exercised once 100 requests have been answered.
 */
const SCHEDULE: MixKind[] = MIX.flatMap(([kind, weight]) => Array.from({ length: weight }, () => kind))
for (let i = SCHEDULE.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1))
  ;[SCHEDULE[i], SCHEDULE[j]] = [SCHEDULE[j] as MixKind, SCHEDULE[i] as MixKind]
}
let scheduled = 0

function pickKind(): MixKind {
  return SCHEDULE[scheduled++ % SCHEDULE.length] as MixKind
}

function requestFor(
  kind: MixKind,
  workspace: SeededWorkspace,
  connections: readonly Record<string, string>[],
): { query: string; variables: Record<string, unknown> } {
  const accountId = pick(workspace.accountIds)
  switch (kind) {
    case 'stats': {
      const days = pick([30, 90])
      const shape = pick([
        { granularity: 'TOTAL', groupBy: ['PROGRAM'] },
        { granularity: 'TOTAL', groupBy: ['PLATFORM'] },
        { granularity: 'DAY', groupBy: [] },
      ])
      return {
        query: STATS,
        variables: { input: { range: { from: daysBefore(LAST_DAY, days), to: LAST_DAY }, ...shape } },
      }
    }
    case 'accounts':
      return { query: ACCOUNTS, variables: { first: 50 } }
    case 'syncRuns':
      return { query: SYNC_RUNS, variables: { id: accountId } }
    case 'account':
      return { query: ONE_ACCOUNT, variables: { id: accountId } }
    case 'updateAccount':
      return {
        query: UPDATE,
        variables: {
          input: {
            accountId,
            tags: [pick(['tier-0', 'tier-1', 'tier-2']), 'load'],
            label: `Edited ${Date.now() % 1000}`,
          },
        },
      }
    case 'testConnection':
      return { query: TEST_CONNECTION, variables: { input: { softSwiss: pick(connections) } } }
  }
}

export interface MixResult {
  requests: number
  errors: number
  timeouts: number
  non2xx: number
  /** 200 answers carrying GraphQL errors, or a mutation answered with anything but its success type. */
  graphqlErrors: number
  byKind: Record<MixKind, number>
  /** Median latency per kind, measured from the request's setup to its answer. */
  p50ByKind: Record<MixKind, number>
  latencyMs: { p50: number; p95: number; p99: number; max: number }
  requestsPerSecond: number
  durationSeconds: number
  firstFailure: string | null
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

function summarize(result: Result, latencies: number[]): Pick<MixResult, 'latencyMs' | 'requestsPerSecond'> {
  const sorted = latencies.sort((a, b) => a - b)
  return {
    latencyMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? 0,
    },
    requestsPerSecond: result.duration > 0 ? latencies.length / result.duration : 0,
  }
}

/** The first request-level error of the latest run (a reset, a timeout), for the report. */
let firstRequestError: string | null = null

function fire(options: Parameters<typeof autocannon>[0], latencies: number[]): Promise<Result> {
  firstRequestError = null
  const instance = autocannon(options)
  instance.on('reqError', (error: Error) => {
    firstRequestError ??= `${(error as { code?: string }).code ?? error.name}: ${error.message}`
  })
  instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms))
  return instance
}

/** Runs the mix against a running affgraph server. */
export async function runMix(options: {
  graphqlUrl: string
  workspaces: SeededWorkspace[]
  /** Credentials testConnection sends, one picked per request. */
  credentials: readonly Record<string, string>[]
  connections: number
  durationSeconds: number
  /** Stop after this many requests instead of after the duration (whole blocks of 100 give the exact mix). */
  amount?: number
}): Promise<MixResult> {
  const byKind = Object.fromEntries(MIX.map(([kind]) => [kind, 0])) as Record<MixKind, number>
  let graphqlErrors = 0
  let firstFailure: string | null = null
  const latencies: number[] = []
  const kindLatencies = Object.fromEntries(MIX.map(([kind]) => [kind, [] as number[]])) as Record<
    MixKind,
    number[]
  >
  const result = await fire(
    {
      url: options.graphqlUrl,
      connections: options.connections,
      duration: options.durationSeconds,
      ...(options.amount ? { amount: options.amount } : {}),
      timeout: 30,
      requests: [
        {
          method: 'POST',
          setupRequest: (request, context) => {
            const kind = pickKind()
            const workspace = pick(options.workspaces)
            context.kind = kind
            context.sentAt = performance.now()
            return {
              ...request,
              headers: {
                'content-type': 'application/json',
                accept: 'application/graphql-response+json, application/json',
                authorization: `Bearer ${workspace.token}`,
              },
              body: JSON.stringify(requestFor(kind, workspace, options.credentials)),
            }
          },
          onResponse: (status, body, context) => {
            const kind = context.kind as MixKind
            byKind[kind]++
            kindLatencies[kind].push(performance.now() - Number(context.sentAt))
            let failure: string | null = status >= 200 && status < 300 ? null : `${kind}: HTTP ${status}`
            if (!failure) {
              try {
                const parsed = JSON.parse(body) as {
                  errors?: unknown[]
                  data?: Record<string, { __typename?: string } | null>
                }
                const expected = EXPECTED_TYPENAME[kind]
                const typename = parsed.data ? Object.values(parsed.data)[0]?.__typename : undefined
                if (parsed.errors?.length) failure = `${kind}: ${JSON.stringify(parsed.errors).slice(0, 300)}`
                else if (expected && typename !== expected) failure = `${kind}: answered ${typename}`
              } catch {
                failure = `${kind}: body is not JSON`
              }
            }
            if (failure) {
              graphqlErrors += status >= 200 && status < 300 ? 1 : 0
              firstFailure ??= failure
            }
          },
        },
      ],
    },
    latencies,
  )
  return {
    requests: result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    byKind,
    p50ByKind: Object.fromEntries(
      MIX.map(([kind]) => [
        kind,
        Math.round(
          percentile(
            kindLatencies[kind].sort((a, b) => a - b),
            50,
          ),
        ),
      ]),
    ) as Record<MixKind, number>,
    durationSeconds: result.duration,
    firstFailure: firstFailure ?? firstRequestError,
    ...summarize(result, latencies),
  }
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN)
  return kb / 1024
}

/** Samples the RSS every 250 ms until stopped; returns the peak. */
export function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0
  let running = true
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await rssMiB(pid).catch(() => 0))
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return peak
    },
  }
}

export interface LoadTarget {
  server: RunningServer
  workspaces: SeededWorkspace[]
  simulator: PlatformSimulator
  /**
   * Credentials of the simulator's accounts. Users test their own credentials: the platform's per-account limit
   * (1 request/s for SoftSwiss) would otherwise queue every test behind the previous one.
   */
  credentials: Record<string, string>[]
  seedMs: number
  /** The environment the server was started with (more processes on the same database take it too). */
  env: Record<string, string>
  dataDir: string
  close(): Promise<void>
}

/**
 * Seeds a database (PGlite in a temp data dir, or the given empty PostgreSQL database) and starts the real
 * server on it. On PGlite the seeding process closes the data dir before the server opens it.
 */
export async function startLoadTarget(seed: LoadSeed, databaseUrl?: string): Promise<LoadTarget> {
  const dataDir = await makeTempDir('load')
  const simulator = await softswiss.simulator.create({ seed: 'load', accounts: 20 })
  const db = await openDatabase({ url: databaseUrl, pgliteDir: join(dataDir.path, 'pglite') })
  const masterKey = generateMasterKeyEntry('load')
  const seeded = performance.now()
  let workspaces: SeededWorkspace[]
  try {
    workspaces = await seedLoadData(db, seed, parseMasterKeys(masterKey))
  } finally {
    await db.close()
  }
  const seedMs = performance.now() - seeded
  const env: Record<string, string> = {
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    AFFGRAPH_MASTER_KEY: masterKey,
    AFFGRAPH_SYNC: 'off',
    AFFGRAPH_FX_FETCH: 'false',
    // The production default: one log line per request is part of the cost being measured.
    AFFGRAPH_LOG_LEVEL: 'info',
    AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
    // The bench measures serving, not the abuse limits: a hundred clients behind one IP would trip them.
    AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST: 'off',
    AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST_PER_IP: 'off',
    AFFGRAPH_RATE_LIMIT_CONNECT: 'off',
    AFFGRAPH_RATE_LIMIT_CONNECT_PER_IP: 'off',
    AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER: 'off',
    AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER_PER_IP: 'off',
  }
  const server = await startServer({
    dataDir: dataDir.path,
    env: { ...env, ...(await profileEnv(databaseUrl ? 'load-postgresql' : 'load-pglite')) },
  })
  let closed = false
  return {
    server,
    workspaces,
    simulator,
    credentials: simulator.accounts.map((a) => a.connection),
    seedMs,
    env,
    dataDir: dataDir.path,
    async close() {
      if (closed) return
      closed = true
      await server.stop().catch(() => undefined)
      await simulator.close()
      await dataDir.remove()
    },
  }
}

/** The baseline: the bare yoga process under the same autocannon settings. */
export async function runBaseline(connections: number, durationSeconds: number) {
  const proc = spawnAffgraph('bench/support/bare-yoga-server.ts', [], {})
  try {
    const [, port] = await waitForStdout(proc, /listening (\d+)/)
    const latencies: number[] = []
    const result = await fire(
      {
        url: `http://127.0.0.1:${port}/graphql`,
        connections,
        duration: durationSeconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ ping }' }),
      },
      latencies,
    )
    return {
      requests: latencies.length,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      ...summarize(result, latencies),
    }
  } finally {
    await stopProcess(proc)
  }
}

/**
 * The same mix on two API processes and two workers sharing the target's PostgreSQL database: the single server
 * is restarted as a scheduler only, a second joins it, and two `npm run worker` processes take the queue. The
 * seeded accounts are not due, so the workers poll; the mix's mutations still go through every process's caches.
 */
async function runScaledOut(target: LoadTarget, connections: number, durationSeconds: number) {
  await target.server.stop()
  const db = await openDatabase({ url: target.env.DATABASE_URL })
  await db.query(`update account set next_sync_at = now() + interval '1 day'`)
  await db.close()
  const env = { ...target.env, AFFGRAPH_SYNC: 'schedule-only' }
  const apis = [
    await startServer({ dataDir: target.dataDir, env }),
    await startServer({ dataDir: target.dataDir, env }),
  ]
  const workers = [spawnAffgraph('src/worker.ts', [], env), spawnAffgraph('src/worker.ts', [], env)]
  try {
    for (const worker of workers) await waitForStdout(worker, /affgraph worker started/)
    const processes = [
      ...apis.map((api, i) => ({ name: `api ${i + 1}`, pid: api.proc.child.pid ?? 0 })),
      ...workers.map((worker, i) => ({ name: `worker ${i + 1}`, pid: worker.child.pid ?? 0 })),
    ]
    const samplers = processes.map((p) => sampleRss(p.pid))
    const mixes = await Promise.all(
      apis.map((api) =>
        runMix({
          graphqlUrl: api.graphqlUrl,
          workspaces: target.workspaces,
          credentials: target.credentials,
          connections: Math.max(1, Math.floor(connections / 2)),
          durationSeconds,
        }),
      ),
    )
    const peaks = await Promise.all(samplers.map((s) => s.stop()))
    return { mixes, rss: processes.map((p, i) => ({ name: p.name, peak: peaks[i] ?? 0 })) }
  } finally {
    await Promise.all([...apis.map((api) => api.stop()), ...workers.map((worker) => stopProcess(worker))])
  }
}

const envNumber = (name: string, fallback: number) => {
  const value = process.env[name]
  return value ? Number(value) : fallback
}

export async function main(): Promise<void> {
  const connections = envNumber('BENCH_LOAD_CONNECTIONS', 100)
  const durationSeconds = envNumber('BENCH_LOAD_DURATION', 60)
  const seed = {
    workspaces: envNumber('BENCH_LOAD_WORKSPACES', 3),
    accounts: envNumber('BENCH_LOAD_ACCOUNTS', 40),
    days: envNumber('BENCH_LOAD_DAYS', 365),
  }
  const pgUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL
  const bench = pgUrl ? await openBenchDatabase('affgraph_bench_load') : null
  const target = await startLoadTarget(seed, bench?.url)
  const pid = target.server.proc.child.pid ?? 0
  try {
    console.log(
      `${pgUrl ? 'postgresql' : 'pglite'}: seeded ${seed.workspaces} workspaces, ${seed.accounts} accounts × ${seed.days} days × 2 brands in ${Math.round(target.seedMs)} ms; ${connections} connections for ${durationSeconds} s`,
    )
    const before = await rssMiB(pid)
    const sampler = sampleRss(pid)
    const mix = await runMix({
      graphqlUrl: target.server.graphqlUrl,
      workspaces: target.workspaces,
      credentials: target.credentials,
      connections,
      durationSeconds,
    })
    const peak = await sampler.stop()
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const after = await rssMiB(pid)
    const scaledOut =
      pgUrl && process.env.BENCH_LOAD_SCALE_OUT !== 'false'
        ? await runScaledOut(target, connections, durationSeconds)
        : null
    await target.close()
    await summariseProfile(pgUrl ? 'load-postgresql' : 'load-pglite')
    const baseline = await runBaseline(connections, durationSeconds)

    const ms = (v: number) => `${v.toFixed(1)} ms`
    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toPrecision(2)}×` : 'n/a')
    console.table({
      affgraph: {
        requests: mix.requests,
        'req/s': mix.requestsPerSecond.toFixed(0),
        p50: ms(mix.latencyMs.p50),
        p95: ms(mix.latencyMs.p95),
        p99: ms(mix.latencyMs.p99),
        max: ms(mix.latencyMs.max),
        non2xx: mix.non2xx,
        'graphql errors': mix.graphqlErrors,
        'socket errors': mix.errors,
        timeouts: mix.timeouts,
      },
      'bare yoga': {
        requests: baseline.requests,
        'req/s': baseline.requestsPerSecond.toFixed(0),
        p50: ms(baseline.latencyMs.p50),
        p95: ms(baseline.latencyMs.p95),
        p99: ms(baseline.latencyMs.p99),
        max: ms(baseline.latencyMs.max),
        non2xx: baseline.non2xx,
        'graphql errors': 0,
        'socket errors': baseline.errors,
        timeouts: baseline.timeouts,
      },
    })
    console.log(
      `ratios affgraph / bare yoga: req/s ${ratio(mix.requestsPerSecond, baseline.requestsPerSecond)}, p50 ${ratio(mix.latencyMs.p50, baseline.latencyMs.p50)}, p95 ${ratio(mix.latencyMs.p95, baseline.latencyMs.p95)}, p99 ${ratio(mix.latencyMs.p99, baseline.latencyMs.p99)}`,
    )
    console.log(`mix (answers): ${JSON.stringify(mix.byKind)}`)
    console.log(`median ms by kind: ${JSON.stringify(mix.p50ByKind)}`)
    console.log(
      `server RSS: before ${before.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, after ${after.toFixed(0)} MiB`,
    )
    if (mix.firstFailure) console.log(`first failure: ${mix.firstFailure}`)
    if (mix.non2xx + mix.graphqlErrors + mix.errors > 0) process.exitCode = 1
    if (scaledOut) {
      const { mixes, rss } = scaledOut
      const requests = mixes.reduce((n, m) => n + m.requests, 0)
      const failures = mixes.reduce((n, m) => n + m.non2xx + m.graphqlErrors + m.errors + m.timeouts, 0)
      const rate = mixes.reduce((n, m) => n + m.requestsPerSecond, 0)
      console.log(
        `two API processes (AFFGRAPH_SYNC=schedule-only) and two workers on one PostgreSQL, the same mix split over both APIs: ${requests} requests, ${rate.toFixed(0)} req/s (${ratio(rate, baseline.requestsPerSecond)} of bare yoga), p99 ${Math.max(...mixes.map((m) => m.latencyMs.p99)).toFixed(0)} ms (the slower API), ${failures} errors; RSS peak per process ${rss.map((r) => `${r.name} ${r.peak.toFixed(0)} MiB`).join(', ')}`,
      )
      const failure = mixes.find((m) => m.firstFailure)?.firstFailure
      if (failure) console.log(`first failure (two APIs): ${failure}`)
      if (failures > 0) process.exitCode = 1
    }
  } finally {
    await target.close().catch(() => undefined)
    await bench?.drop().catch(() => undefined)
  }
}
