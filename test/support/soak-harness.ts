import { randomBytes } from 'node:crypto'
import { Account } from '../../src/account/account.entity.ts'
import { connectAccount } from '../../src/account/account.service.ts'
import type { AppServices } from '../../src/app-services.ts'
import { createAppServices } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config.ts'
import { generateMasterKeyEntry } from '../../src/crypto/master-key.ts'
import { openDatabase } from '../../src/db/database.ts'
import type { LoadedPlatform } from '../../src/platform/platform-registry.ts'
import {
  COUNT_METRICS,
  type DateWindow,
  eachDay,
  FAULT_NAMES,
  MONEY_METRICS,
  normalizeDecimal,
  type PlatformSimulator,
  type ReportRow,
  seededRandom,
} from '../../src/sdk/index.ts'
import type { CrashPointName } from '../../src/sync/crash-points.ts'
import { SYNC_QUEUE, SyncEngine } from '../../src/sync/sync-engine.ts'
import { ensureWorkspace, issueApiToken } from '../../src/workspace/workspace.service.ts'
import {
  type AffgraphProcess,
  makeTempDir,
  type RunningServer,
  spawnAffgraph,
  startServer,
  waitForStdout,
} from '../server/support/affgraph-process.ts'
import { captureLogs } from './log-capture.ts'
import { sinkLogText } from './log-sink.ts'
import { sortRows } from './plugin-harness.ts'
import { type PrivatePostgres, startPrivatePostgres } from './private-postgres.ts'
import { rollupDifferences } from './rollup-check.ts'
import { suiteClock, testWindow } from './test-clock.ts'

const DAY = 86_400_000
/**
 * The workers run every platform's limits at this fraction of their intervals: in shape (bursts, spacing, shared
 * across processes) but short enough that impact.com's 1,000 an hour does not outlast the run. Budgets are checked
 * at the same scale.
 */
const RATE_LIMIT_TIME_SCALE = 0.05
const iso = (t: number) => new Date(t).toISOString().slice(0, 10)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface SoakOptions {
  seed: number
  /** Accounts in all, spread over every bundled platform. */
  accounts: number
  /** Days of history per account, ending the day before yesterday. */
  days: number
  /** Worker processes kept alive. */
  workers: number
  /** Share of upstream answers that are faults. */
  faultRate: number
  /** Share of the account-days revised while the chaos runs. */
  reviseShare: number
  /** Chance of a SIGKILL at each crash point a job passes. */
  crashProbability: number
  /** How long the chaos lasts (faults, kills, revisions; the PostgreSQL restart falls in the middle). */
  chaosMs: number
  /** Longest wait for the queue to settle once the chaos stops. */
  settleTimeoutMs: number
  /** A job active longer than this is presumed lost with its worker (AFFGRAPH_SYNC_JOB_TIMEOUT_SECONDS). */
  jobTimeoutSeconds: number
  log?: (line: string) => void
}

export interface SoakFigures {
  seed: number
  accounts: number
  days: number
  storedRows: number
  upstreamRequests: number
  faultsInjected: number
  /** Upstream requests while the faults were on, and the share of them that met one. */
  requestsInChaos: number
  faultShare: number
  kills: Record<CrashPointName | 'other', number>
  workerStarts: number
  /** Workers that started while PostgreSQL was restarting, exited 1 and were started again. */
  workerStartsRefused: number
  pgRestarts: number
  apiAfterRestart: { failedRequests: number; recovered: boolean }
  jobs: number
  retries: number
  revisions: number
  revisionsCheckable: number
  revisionsRecorded: number
  differences: number
  duplicateKeys: number
  /** Rollup rows that differ from the month and week sums of the stored days (see rollup-check.ts). */
  rollupDifferences: number
  jobsNotDone: number
  runsNotSucceeded: number
  overBudgetHosts: string[]
  chaosMs: number
  settleMs: number
  totalMs: number
}

export interface SoakResult {
  figures: SoakFigures
  /** The first few differences and problems, for the failure message. */
  samples: string[]
}

interface Connected {
  platform: LoadedPlatform
  sim: PlatformSimulator
  simKey: string
  accountId: string
}

/** All stored days of every account at once, in ReportRow form, keyed by account. */
async function storedRowsByAccount(services: AppServices): Promise<Map<string, ReportRow[]>> {
  const rows = await services.db.query<Record<string, unknown>>(
    `select account_id, day::text as day, brand, campaign, currency,
       impressions, clicks, signups, ftds, deposit_count, cpa_count, sales_count, refund_count, chargeback_count,
       deposits::text as deposits, net_revenue::text as net_revenue, commission::text as commission,
       sales_amount::text as sales_amount, refund_amount::text as refund_amount,
       chargeback_amount::text as chargeback_amount
     from stat_day`,
  )
  const column = (metric: string) => metric.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
  const out = new Map<string, ReportRow[]>()
  for (const r of rows) {
    const row: Record<string, unknown> = {
      date: String(r.day).slice(0, 10),
      brand: r.brand || null,
      campaign: r.campaign || null,
      currency: r.currency || null,
    }
    for (const m of COUNT_METRICS) row[m] = r[column(m)] === null ? null : Number(r[column(m)])
    for (const m of MONEY_METRICS)
      row[m] = r[column(m)] === null ? null : normalizeDecimal(String(r[column(m)]))
    const id = String(r.account_id)
    out.set(id, [...(out.get(id) ?? []), row as ReportRow])
  }
  return out
}

/** Retries a database call across the PostgreSQL restart, when the first attempts meet a dead connection. */
async function persist<T>(fn: () => Promise<T>, attempts = 30): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (error) {
      if (i >= attempts) throw error
      await sleep(500)
    }
  }
}

/**
 * The "nothing lost" soak. Simulators of every bundled platform hold a known truth and revise past days while
 * worker processes sync them through faults, self-inflicted SIGKILLs at crash points and a PostgreSQL restart;
 * once the chaos stops and the queue settles, the stored days are compared with the truth.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const say = options.log ?? (() => undefined)
  const started = Date.now()
  const random = seededRandom(`soak|${options.seed}`)
  const samples: string[] = []
  const postgres: PrivatePostgres = await startPrivatePostgres()
  const workers = new Set<AffgraphProcess>()
  const sims: PlatformSimulator[] = []
  let api: RunningServer | null = null
  let apiDir: { remove: () => Promise<void> } | null = null
  let services: AppServices | null = null
  let engine: SyncEngine | null = null
  let keepWorkersAlive = true
  const retiring = new Set<AffgraphProcess>()
  try {
    const url = await postgres.createDatabase(`soak_${randomBytes(4).toString('hex')}`)
    const masterKey = generateMasterKeyEntry('soak')
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: url,
      AFFGRAPH_MASTER_KEY: masterKey,
      AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
      AFFGRAPH_FX_FETCH: 'false',
      AFFGRAPH_LOG_LEVEL: 'warn',
    }
    const db = await openDatabase({ url })
    services = await createAppServices(loadConfig({ ...env, AFFGRAPH_SYNC: 'off' }), {
      db,
      logger: captureLogs('warn').logger,
      clock: suiteClock,
    })
    // This process only queues; the worker processes do all the work.
    engine = new SyncEngine(services, {
      work: false,
      schedule: false,
      concurrency: 1,
      retryLimit: 30,
      retryDelaySeconds: 1,
      pollingIntervalSeconds: 1,
      circuitThreshold: 1_000,
      circuitOpenSeconds: 1,
      jobTimeoutSeconds: options.jobTimeoutSeconds,
    })
    await engine.start()

    // --- the platforms and their accounts ------------------------------------------------------------------
    const platforms = services.registry.all()
    const range: DateWindow = testWindow(2, options.days)
    const em = db.fork()
    const { workspace } = await ensureWorkspace(em, 'soak')
    em.setFilterParams('workspace', { id: workspace.id })
    const connected: Connected[] = []
    const sync = services.sync
    services.sync = null // connect without the automatic backfill: the soak queues its own windows
    await Promise.all(
      platforms.map(async (platform, p) => {
        const count =
          Math.floor(options.accounts / platforms.length) + (p < options.accounts % platforms.length ? 1 : 0)
        if (count === 0) return
        const sim = await platform.definition.simulator.create({
          seed: `soak-${options.seed}`,
          accounts: count,
          pageSize: 500,
        })
        sims.push(sim)
        const forked = em.fork()
        for (const account of sim.accounts) {
          const connection = platform.definition.connection.schema.parse(account.connection) as Record<
            string,
            unknown
          >
          const outcome = await connectAccount(
            services!,
            forked,
            { workspaceId: workspace.id, workspaceName: 'soak', tokenId: '' },
            platform,
            connection,
            {},
          )
          if (!outcome.ok) throw new Error(`${platform.definition.id}: ${outcome.error.message}`)
          connected.push({ platform, sim, simKey: account.key, accountId: outcome.account.id })
        }
      }),
    )
    services.sync = sync
    // The workers' scheduler must not add periodic syncs of its own: the soak knows exactly what it queued.
    await db.query(`update "account" set "next_sync_at" = now() + interval '1 day'`)
    const requestsBeforeSync = new Map(sims.map((s) => [s, s.log.length]))
    say(
      `seed ${options.seed}: ${connected.length} accounts on ${sims.length} platforms, ${range.from}…${range.to}`,
    )

    // --- an API server, to show it survives the restart too ------------------------------------------------
    const { token } = await issueApiToken(em, workspace, 'soak')
    const dir = await makeTempDir('soak-api')
    apiDir = dir
    api = await startServer({
      dataDir: dir.path,
      env: { ...env, AFFGRAPH_SYNC: 'off', AFFGRAPH_LOG_LEVEL: 'info' },
    })

    // --- workers --------------------------------------------------------------------------------------------
    const kills: Record<CrashPointName | 'other', number> = {
      'before-fetch': 0,
      'after-fetch': 0,
      'mid-write': 0,
      'after-account-saved': 0,
      'alert-after-send': 0,
      other: 0,
    }
    let workerStarts = 0
    let workerStartsRefused = 0
    let crashPoints = true
    const startWorker = () => {
      workerStarts += 1
      const p = options.crashProbability
      const worker = spawnAffgraph('src/worker.ts', [], {
        ...env,
        AFFGRAPH_SYNC: 'on',
        AFFGRAPH_WORKER_CONCURRENCY: '4',
        AFFGRAPH_SYNC_POLL_SECONDS: '1',
        AFFGRAPH_SYNC_RETRY_LIMIT: '30',
        AFFGRAPH_SYNC_RETRY_DELAY_SECONDS: '1',
        AFFGRAPH_SYNC_JOB_TIMEOUT_SECONDS: String(options.jobTimeoutSeconds),
        AFFGRAPH_RATE_LIMIT_TIME_SCALE: String(RATE_LIMIT_TIME_SCALE),
        // A "timeout" fault answers after 3 s: past this deadline, well inside the job's.
        AFFGRAPH_HTTP_TIMEOUT_MS: '2000',
        AFFGRAPH_SHUTDOWN_TIMEOUT_SECONDS: '10',
        AFFGRAPH_LOG_LEVEL: 'info',
        ...(crashPoints
          ? {
              AFFGRAPH_CRASH_POINTS: `before-fetch:${p},after-fetch:${p},mid-write:${p}`,
              AFFGRAPH_CRASH_SEED: `soak-${options.seed}-${workerStarts}`,
            }
          : {}),
      })
      worker.child.stdout?.on('data', (chunk: string) => sinkLogText('soak-worker-stdout', chunk))
      worker.child.stderr?.on('data', (chunk: string) => sinkLogText('soak-worker-stderr', chunk))
      workers.add(worker)
      void worker.closed.then(({ code, signal }) => {
        workers.delete(worker)
        // A run given up for good during the chaos would leave its window stale: each one is a finding.
        for (const line of worker.stdout().split('\n')) {
          if (!line.includes('"msg":"sync failed"')) continue
          const account = /"account":"([^"]+)"/.exec(line)?.[1]
          const platform = connected.find((c) => c.accountId === account)?.platform.definition.id
          if (samples.length < 12) samples.push(`run given up (${platform}): ${line.slice(0, 400)}`)
        }
        const asked = retiring.has(worker) || !keepWorkersAlive
        const point = /affgraph crash point: ([a-z-]+)/.exec(worker.stderr())?.[1] as
          | CrashPointName
          | undefined
        // A worker started while PostgreSQL restarts cannot reach it and exits 1 with the reason, as it should:
        // a process supervisor starts it again, and so does this harness, a second later.
        const refusedAtStart =
          code === 1 &&
          /affgraph worker: .*(ECONNREFUSED|the database system is (starting up|shutting down|in recovery mode))/.test(
            worker.stderr(),
          )
        if (signal === 'SIGKILL' && point && point in kills) kills[point] += 1
        else if (refusedAtStart && !asked) workerStartsRefused += 1
        else if (!asked) {
          kills.other += 1
          samples.push(`worker exited unasked (${signal ?? code}):\n${worker.stderr().slice(-1500)}`)
        }
        if (asked) return
        if (!refusedAtStart) startWorker()
        else setTimeout(() => keepWorkersAlive && startWorker(), 1000)
      })
    }
    for (let i = 0; i < options.workers; i++) startWorker()
    // The chaos clock starts when the first workers are up: on a busy machine a start takes several seconds.
    await Promise.all([...workers].map((w) => waitForStdout(w, /affgraph worker started/)))
    say(`seed ${options.seed}: ${workers.size} workers up`)

    // --- the chaos ------------------------------------------------------------------------------------------
    const chaosStart = Date.now()
    const chaosFaults = [
      { name: 'outage' as const },
      { name: 'connection-reset' as const },
      { name: 'truncated' as const },
      { name: 'slow' as const, options: { delayMs: 3_000 } },
      // A rate limit that names its wait, and one that says "now" (Retry-After: 0).
      { name: 'rate-limit' as const, options: { delayMs: 1_000 } },
      { name: 'rate-limit' as const, options: { delayMs: 0 } },
    ]
    for (const sim of sims) {
      // Keyed by platform, not by start order, so that a seed replays the same faults.
      const id = connected.find((c) => c.sim === sim)!.platform.definition.id
      sim.faults.chaos({
        rate: options.faultRate,
        faults: chaosFaults,
        random: seededRandom(`soak|${options.seed}|faults|${id}`),
      })
    }
    // A fresh unit of work per batch: a batch that failed while PostgreSQL was down leaves nothing half-flushed.
    const enqueueWindows = async (items: { accountId: string; window: DateWindow }[]) => {
      const fork = db.fork()
      const accounts = await fork.find(
        Account,
        { id: { $in: [...new Set(items.map((i) => i.accountId))] } },
        { filters: false, populate: ['workspace'] },
      )
      const byId = new Map(accounts.map((a) => [a.id, a]))
      await engine!.enqueueMany(
        fork,
        items.map(({ accountId, window }) => ({
          account: byId.get(accountId)!,
          window,
          kind: 'PERIODIC' as const,
        })),
      )
    }
    await enqueueWindows(connected.map((c) => ({ accountId: c.accountId, window: range })))

    const allDays = eachDay(range)
    const revisionsTarget = Math.round(connected.length * allDays.length * options.reviseShare)
    const revisions: { c: Connected; day: string; at: number }[] = []
    const WORKER_CLOCK_LAG_MS = 1_000
    const pending: { accountId: string; window: DateWindow }[] = []
    let restarted = 0
    const apiAfterRestart = { failedRequests: 0, recovered: false }
    const restartAt = chaosStart + options.chaosMs / 2
    const tickMs = 500
    // The last tick revises whatever is still due, however slow the ticks were.
    for (let last = false; !last; ) {
      last = Date.now() - chaosStart + tickMs >= options.chaosMs
      // Revisions arrive evenly over the chaos; each is followed by a lookback sync of the days around it.
      const share = last ? 1 : Math.min(1, (Date.now() - chaosStart + tickMs) / options.chaosMs)
      const due = Math.round(revisionsTarget * share) - revisions.length
      for (let k = 0; k < due; k++) {
        const c = connected[Math.floor(random() * connected.length)]!
        const day = allDays[Math.floor(random() * allDays.length)]!
        c.sim.revise(c.simKey, day)
        // On the app's clock, like the runs' finish times and the changes' detection times it is compared with.
        revisions.push({ c, day, at: suiteClock.now().getTime() })
        const t = Date.parse(`${day}T00:00:00Z`)
        pending.push({
          accountId: c.accountId,
          window: {
            from: iso(Math.max(Date.parse(`${range.from}T00:00:00Z`), t - 3 * DAY)),
            to: iso(Math.min(Date.parse(`${range.to}T00:00:00Z`), t + 3 * DAY)),
          },
        })
      }
      if (pending.length > 0) {
        // Like a lookback sync, one window per account per tick however many of its days were revised.
        const merged = new Map<string, DateWindow>()
        for (const { accountId, window } of pending) {
          const seen = merged.get(accountId)
          merged.set(
            accountId,
            seen
              ? {
                  from: [seen.from, window.from].sort()[0]!,
                  to: [seen.to, window.to].sort()[1]!,
                }
              : window,
          )
        }
        pending.splice(
          0,
          pending.length,
          ...[...merged].map(([accountId, window]) => ({ accountId, window })),
        )
        try {
          await enqueueWindows(pending)
          pending.length = 0
        } catch {
          // PostgreSQL is down: the same windows go at the next tick.
        }
      }
      if (restarted === 0 && Date.now() >= restartAt) {
        say(`seed ${options.seed}: restarting PostgreSQL`)
        await postgres.restart(1_000)
        restarted += 1
        // The API answers again once its pool has replaced the connections the restart cut.
        for (let i = 0; i < 20 && !apiAfterRestart.recovered; i++) {
          const res = await api
            .gql<{ accounts: { nodes: { id: string }[] } }>(
              '{ accounts(first: 5) { nodes { id } } }',
              {},
              token,
            )
            .catch(() => null)
          if (res?.status === 200 && res.data?.accounts.nodes.length) apiAfterRestart.recovered = true
          else {
            apiAfterRestart.failedRequests += 1
            await sleep(250)
          }
        }
      }
      await sleep(tickMs)
    }
    while (pending.length > 0) {
      await persist(() => enqueueWindows(pending))
      pending.length = 0
    }
    for (const sim of sims) sim.faults.chaos(null)
    const requestsInChaos = sims.reduce((n, sim) => n + sim.log.length - requestsBeforeSync.get(sim)!, 0)
    // The chaos stops: the armed workers go (gracefully) and clean ones take over.
    // The clean ones start first, so the queue never waits for a start-up (seconds on a busy machine).
    crashPoints = false
    const armed = [...workers]
    for (const w of armed) retiring.add(w)
    for (let i = 0; i < options.workers; i++) startWorker()
    await Promise.all(
      [...workers]
        .filter((w) => !retiring.has(w))
        .map((w) => waitForStdout(w, /affgraph worker started/).catch(() => undefined)),
    )
    await Promise.all(
      armed.map(async (w) => {
        w.child.kill('SIGTERM')
        await w.closed
      }),
    )
    const chaosMs = Date.now() - chaosStart
    say(`seed ${options.seed}: chaos over after ${chaosMs} ms; settling`)

    // --- settle ---------------------------------------------------------------------------------------------
    const settleStart = Date.now()
    const openJobs = async () =>
      Number(
        (
          await persist(() =>
            db.query<{ n: unknown }>(
              `select count(*) as n from pgboss.job where name = ? and state in ('created', 'retry', 'active')`,
              [SYNC_QUEUE],
            ),
          )
        )[0]!.n,
      )
    const openRuns = async () =>
      Number(
        (
          await persist(() =>
            db.query<{ n: unknown }>(
              `select count(*) as n from sync_run where status not in ('SUCCEEDED', 'FAILED')`,
            ),
          )
        )[0]!.n,
      )
    for (let i = 0; Date.now() - settleStart < options.settleTimeoutMs; i++) {
      const jobs = await openJobs()
      if (jobs === 0 && (await openRuns()) === 0) break
      if (i % 10 === 0) {
        const states = await persist(() =>
          db.query<{ state: string; n: unknown }>(
            `select state::text as state, count(*) as n from pgboss.job where name = ? group by 1`,
            [SYNC_QUEUE],
          ),
        )
        say(
          `  ${((Date.now() - settleStart) / 1000).toFixed(0)} s: ${states.map((s) => `${s.state} ${s.n}`).join(', ')}`,
        )
      }
      await sleep(500)
    }
    const settleMs = Date.now() - settleStart
    keepWorkersAlive = false
    say(`seed ${options.seed}: settled in ${settleMs} ms`)

    // --- the checks -----------------------------------------------------------------------------------------
    const stored = await storedRowsByAccount(services)
    const fields = ['date', 'brand', 'campaign', 'currency', ...COUNT_METRICS, ...MONEY_METRICS] as const
    const show = (r: ReportRow | undefined) => (r ? JSON.stringify(fields.map((f) => r[f])) : 'nothing')
    let differences = 0
    let storedRows = 0
    for (const c of connected) {
      const truth = sortRows(c.sim.truth(c.simKey, range))
      const mine = sortRows(stored.get(c.accountId) ?? [])
      storedRows += mine.length
      for (let i = 0; i < Math.max(truth.length, mine.length); i++) {
        if (show(truth[i]) === show(mine[i])) continue
        differences += 1
        if (samples.length < 8)
          samples.push(
            `${c.platform.definition.id} ${c.simKey}: truth ${show(truth[i])} stored ${show(mine[i])}`,
          )
      }
    }
    const duplicates = await db.query<{ n: unknown }>(
      `select count(*) as n from (select 1 from stat_day group by account_id, day, brand, campaign, currency
         having count(*) > 1) d`,
    )
    const jobStates = await db.query<{ state: string; n: unknown; retries: unknown }>(
      'select state::text as state, count(*) as n, sum(retry_count) as retries from pgboss.job where name = ? group by state',
      [SYNC_QUEUE],
    )
    const runStates = await db.query<{ status: string; n: unknown }>(
      'select status, count(*) as n from sync_run group by status',
    )
    if (runStates.some((r) => r.status !== 'SUCCEEDED')) {
      samples.push(
        `runs by status: ${JSON.stringify(runStates)}; jobs by state: ${JSON.stringify(jobStates)}`,
      )
      const open = await db.query(
        `select j.state::text as state, j.retry_count, j.started_on, j.start_after, j.expire_seconds, j.singleton_key,
                a.platform_id, j.data->>'from' as window_from, j.data->>'to' as window_to, now() as now
           from pgboss.job j left join account a on a.id::text = j.singleton_key
          where j.name = ? and j.state <> 'completed' order by j.singleton_key`,
        [SYNC_QUEUE],
      )
      samples.push(`unfinished jobs: ${JSON.stringify(open)}`)
      const queue = await db.query('select name, singletons_active, monitor_on, now() from pgboss.queue')
      samples.push(`queues: ${JSON.stringify(queue)}`)
      for (const w of workers) samples.push(`worker tail: ${w.stdout().slice(-3000)}`)
    }

    // A revision of a day that was already stored when it happened must leave a change record after it.
    const runs = await db.query<{
      account_id: string
      window_from: string
      window_to: string
      finished_at: Date
    }>(
      `select account_id, window_from::text as window_from, window_to::text as window_to, finished_at
         from sync_run where status = 'SUCCEEDED'`,
    )
    const changes = await db.query<{ account_id: string; day: string; detected_at: Date }>(
      'select account_id, day::text as day, detected_at from stat_change',
    )
    let revisionsCheckable = 0
    let revisionsRecorded = 0
    for (const r of revisions) {
      const syncedBefore = runs.some(
        (run) =>
          run.account_id === r.c.accountId &&
          run.window_from <= r.day &&
          run.window_to >= r.day &&
          new Date(run.finished_at).getTime() < r.at,
      )
      if (!syncedBefore) continue
      revisionsCheckable += 1
      const recorded = changes.some(
        (ch) =>
          ch.account_id === r.c.accountId &&
          String(ch.day).slice(0, 10) === r.day &&
          // Each worker's clock starts from AFFGRAPH_NOW a few milliseconds after the harness read it, so a
          // worker's detection can carry a time slightly before the harness's record of the revision it saw.
          new Date(ch.detected_at).getTime() >= r.at - WORKER_CLOCK_LAG_MS,
      )
      if (recorded) revisionsRecorded += 1
      else if (samples.length < 12) {
        const seen = changes
          .filter((ch) => ch.account_id === r.c.accountId && String(ch.day).slice(0, 10) === r.day)
          .map((ch) => new Date(ch.detected_at).toISOString())
        const covering = runs
          .filter(
            (run) => run.account_id === r.c.accountId && run.window_from <= r.day && run.window_to >= r.day,
          )
          .map((run) => new Date(run.finished_at).toISOString())
        samples.push(
          `revision not recorded: ${r.c.simKey} ${r.day} revised at ${new Date(r.at).toISOString()}; changes detected ${JSON.stringify(seen)}; runs finished ${JSON.stringify(covering)}`,
        )
      }
    }

    // Upstream calls against what each host's declared limit allows over the time the soak talked to it.
    const elapsedMs = Date.now() - chaosStart
    let upstreamRequests = 0
    let faultsInjected = 0
    const overBudgetHosts: string[] = []
    for (const sim of sims) {
      const platform = connected.find((c) => c.sim === sim)!.platform
      const made = sim.log.length - requestsBeforeSync.get(sim)!
      upstreamRequests += made
      for (const name of FAULT_NAMES) faultsInjected += sim.faults.hits(name)
      const limit = platform.definition.limits.perHost
      if (limit) {
        const interval = limit.intervalMs * RATE_LIMIT_TIME_SCALE
        const budget = limit.requests * (Math.ceil(elapsedMs / interval) + 1)
        if (made > budget) overBudgetHosts.push(`${platform.definition.id}: ${made} > ${budget}`)
      }
    }
    const figures: SoakFigures = {
      seed: options.seed,
      accounts: connected.length,
      days: allDays.length,
      storedRows,
      upstreamRequests,
      faultsInjected,
      requestsInChaos,
      faultShare: requestsInChaos ? Math.round((faultsInjected / requestsInChaos) * 1000) / 1000 : 0,
      kills,
      workerStarts,
      workerStartsRefused,
      pgRestarts: restarted,
      apiAfterRestart,
      jobs: jobStates.reduce((n, s) => n + Number(s.n), 0),
      retries: jobStates.reduce((n, s) => n + Number(s.retries ?? 0), 0),
      revisions: revisions.length,
      revisionsCheckable,
      revisionsRecorded,
      differences,
      duplicateKeys: Number(duplicates[0]!.n),
      rollupDifferences: await rollupDifferences(db),
      jobsNotDone: jobStates.filter((s) => s.state !== 'completed').reduce((n, s) => n + Number(s.n), 0),
      runsNotSucceeded: runStates
        .filter((s) => s.status !== 'SUCCEEDED')
        .reduce((n, s) => n + Number(s.n), 0),
      overBudgetHosts,
      chaosMs,
      settleMs,
      totalMs: Date.now() - started,
    }
    return { figures, samples }
  } finally {
    keepWorkersAlive = false
    await Promise.all(
      [...workers].map(async (w) => {
        w.child.kill('SIGKILL')
        await w.closed
      }),
    )
    if (api) await api.stop().catch(() => undefined)
    await apiDir?.remove()
    await engine?.stop(2_000).catch(() => undefined)
    await services?.db.close().catch(() => undefined)
    await Promise.all(sims.map((s) => s.close()))
    await postgres.stop()
  }
}

/** One line per figure, for the test output and the script. */
export function formatFigures(f: SoakFigures): string {
  const kills = Object.entries(f.kills)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  return [
    `seed ${f.seed}: ${f.accounts} accounts × ${f.days} days = ${f.storedRows} stored rows`,
    `  upstream requests ${f.upstreamRequests}, faults injected ${f.faultsInjected} (${(f.faultShare * 100).toFixed(1)}% of the ${f.requestsInChaos} made during the chaos)`,
    `  kills: ${kills}; worker starts ${f.workerStarts} (${f.workerStartsRefused} refused by the restarting database, started again); PostgreSQL restarts ${f.pgRestarts} (API: ${f.apiAfterRestart.failedRequests} failed requests, recovered ${f.apiAfterRestart.recovered})`,
    `  jobs ${f.jobs}, retries ${f.retries}, not completed ${f.jobsNotDone}, runs not succeeded ${f.runsNotSucceeded}`,
    `  revisions ${f.revisions}, of which synced before ${f.revisionsCheckable}, recorded ${f.revisionsRecorded}`,
    `  differences ${f.differences}, duplicate keys ${f.duplicateKeys}, rollup differences ${f.rollupDifferences}, hosts over budget ${f.overBudgetHosts.length}`,
    `  chaos ${(f.chaosMs / 1000).toFixed(1)} s, settle ${(f.settleMs / 1000).toFixed(1)} s, total ${(f.totalMs / 1000).toFixed(1)} s`,
  ].join('\n')
}
