import type { EntityManager } from '@mikro-orm/core'
import { createPubSub } from 'graphql-yoga'
import pg from 'pg'
import type PgBoss from 'pg-boss'
import type { Logger } from 'pino'
import { Account } from '../account/account.entity.ts'
import { openConnection, toUserError } from '../account/account.service.ts'
import { type EvaluationScope, evaluateAlerts } from '../alerts/alert-engine.ts'
import type { AppServices } from '../app-services.ts'
import { isoDay } from '../db/iso-day.ts'
import { fetchPlatformPayments } from '../deals/platform-payments.ts'
import type { LoadedPlatform } from '../platform/platform-registry.ts'
import { splitWindow } from '../platform/window.ts'
import type { ConnectionField } from '../sdk/connection.ts'
import { type DateWindow, isPlatformError, retryAfterOf } from '../sdk/index.ts'
import { writeReport } from '../stats/stat-writer.ts'
import { crashPoint } from './crash-points.ts'
import { createJobQueue } from './job-queue.ts'
import { SyncRun, type SyncRunKind, type SyncRunStatus } from './sync.entity.ts'

export const SYNC_QUEUE = 'affgraph-sync-window'
/** An hour: a fetch inside a request is bounded by its platform's timeouts and rate limits, far below this. */
export const ON_DEMAND_ABANDONED_AFTER_MS = 60 * 60_000
export const SCHEDULE_QUEUE = 'affgraph-sync-schedule'
const PROGRESS_CHANNEL = 'affgraph_sync_progress'
const ALERT_CHANNEL = 'affgraph_alert'

/** An alert opened, refreshed or resolved somewhere: subscribers re-read it. */
export interface AlertEvent {
  workspaceId: string
  alertId: string
  event: 'FIRED' | 'UPDATED' | 'RESOLVED'
}

export interface SyncJobData {
  runId: string
  accountId: string
  from: string
  to: string
  kind: SyncRunKind
}

export interface SyncProgressEvent {
  workspaceId: string
  accountId: string
  runId: string
  kind: SyncRunKind
  status: SyncRunStatus
  window: DateWindow
  requests: number
  rowsWritten: number
  rowsChanged: number
  errorCode: string | null
  errorMessage: string | null
  at: Date
}

export interface SyncEngineOptions {
  /** Run job handlers in this process (the server does by default; `npm run worker` processes always do). */
  work: boolean
  concurrency: number
  /** Schedule periodic syncs (cron). */
  schedule: boolean
  retryLimit: number
  retryDelaySeconds: number
  pollingIntervalSeconds: number
  /** Failures in a row after which a host's circuit opens. */
  circuitThreshold: number
  circuitOpenSeconds: number
  /**
   * A job active for longer is presumed lost with its worker (killed, cut off) and pg-boss hands it back for a
   * retry. It must outlast the longest honest run: rate-limit waits plus the HTTP timeouts of every page.
   */
  jobTimeoutSeconds?: number
}

const DAY = 86_400_000
const DEFAULT_JOB_TIMEOUT_SECONDS = 15 * 60
const dayString = (t: number) => new Date(t).toISOString().slice(0, 10)

/** Today in the account's reporting time zone: the last day a platform can have figures for. */
export function platformToday(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now)
}

export function trailingWindow(days: number, timeZone: string, now: Date): DateWindow {
  const to = platformToday(timeZone, now)
  return { from: dayString(Date.parse(`${to}T00:00:00Z`) - (days - 1) * DAY), to }
}

/**
 * The host an account's fetch will call: the first address among its connection's URL fields (the program's
 * base URL, or an API address the user set), else the plugin's own default host, named after the platform.
 */
function predictedHost(
  account: Account,
  platform: LoadedPlatform | undefined,
  connection: Record<string, string> | null,
): string {
  const urls = [
    account.baseUrl,
    ...Object.entries(platform?.definition.connection.fields ?? {})
      .filter(([, field]) => (field as ConnectionField).kind === 'url')
      .map(([name]) => connection?.[name]),
  ]
  for (const url of urls) {
    if (!url) continue
    try {
      return new URL(url).host
    } catch {
      // a stored URL that no longer parses: try the next, else the platform's default
    }
  }
  return `platform:${account.platformId}`
}

/**
 * Keeps every account's daily stats current: backfill on connect, periodic lookback re-syncs, manual syncs.
 * Work is queued in pg-boss so any number of processes share it; a run never overlaps another run of the same
 * account (singleton policy keyed by account), auth failures stop an account's retries, transient failures are
 * retried with backoff, and a host that keeps failing has its circuit opened while other hosts carry on.
 */
export class SyncEngine {
  readonly pubsub = createPubSub<{ syncProgress: [SyncProgressEvent]; alertChanged: [AlertEvent] }>()
  readonly #services: AppServices
  readonly #options: SyncEngineOptions
  readonly #log: Logger
  #boss: PgBoss | null = null
  #listener: pg.Client | null = null
  #active = new Set<Promise<unknown>>()
  #stopping = false
  #pumping: Promise<void> | null = null
  #wake: (() => void) | null = null
  /** Settles when stop() is called, so a pump waiting for a free slot leaves at once, not after a job ends. */
  #requestStop: () => void = () => undefined
  readonly #stopRequested = new Promise<void>((resolve) => {
    this.#requestStop = resolve
  })
  readonly #abort = new AbortController()
  #analyzedAt = 0
  #paymentsEvaluatedHour = -1

  constructor(services: AppServices, options: SyncEngineOptions) {
    this.#services = services
    this.#options = options
    this.#log = services.logger.child({ component: 'sync' })
  }

  get boss(): PgBoss {
    if (!this.#boss) throw new Error('sync engine not started')
    return this.#boss
  }

  async start(): Promise<void> {
    const boss = createJobQueue(this.#services.db, { schedule: this.#options.schedule })
    boss.on('error', (error: Error) =>
      this.#log.error({ err: { message: error.message } }, 'job queue error'),
    )
    await boss.start()
    try {
      await boss.createQueue(SYNC_QUEUE, {
        policy: 'singleton',
        retryLimit: this.#options.retryLimit,
        retryDelay: this.#options.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: this.#options.jobTimeoutSeconds ?? DEFAULT_JOB_TIMEOUT_SECONDS,
      })
      await boss.createQueue(SCHEDULE_QUEUE, { policy: 'singleton' })
    } catch (error) {
      // A start cut short (the database went away) leaves no queue running behind: a caller may start again.
      await boss.stop({ graceful: false, close: true }).catch(() => undefined)
      throw error
    }
    this.#boss = boss
    await this.#listen()
    if (this.#options.schedule) await boss.schedule(SCHEDULE_QUEUE, '* * * * *', {}, { singletonKey: 'tick' })
    if (this.#options.work) {
      // Repairs are the scheduler's duty: an engine told not to schedule works only the jobs it is given.
      if (this.#options.schedule)
        await this.repairBackfills().catch((error: Error) =>
          this.#log.error({ err: { message: error.message } }, 'backfill repair failed'),
        )
      this.#pumping = this.#pump(boss)
      await boss.work(SCHEDULE_QUEUE, { pollingIntervalSeconds: 5 }, async () => {
        await this.enqueueDue()
        // Conditions that no sync reports (a sync that stopped happening, a key refused to a connection test) are
        // found by the clock; the others change only with stored figures, and every run evaluates those.
        await this.evaluateAlerts({ kinds: ['SYNC_STALE', 'CREDENTIALS_REFUSED'] })
        // A payment falls overdue with the calendar alone; its rules reconcile whole workspaces, so hourly is enough.
        const hour = Math.floor(this.#services.clock.now().getTime() / 3_600_000)
        if (hour !== this.#paymentsEvaluatedHour) {
          this.#paymentsEvaluatedHour = hour
          await this.evaluateAlerts({ kinds: ['PAYMENT_OVERDUE'] })
        }
      })
    }
  }

  /**
   * Progress crosses processes through PostgreSQL's LISTEN/NOTIFY, so a subscriber on an API server sees the runs
   * that worker processes execute. The embedded database serves one process, where the local pubsub suffices.
   */
  async #listen(): Promise<void> {
    const url = this.#services.db.kind === 'postgresql' ? this.#services.db.url : undefined
    if (!url) return
    const client = new pg.Client({ connectionString: url, application_name: 'affgraph-progress' })
    client.on('error', (error) =>
      this.#log.warn({ err: { message: error.message } }, 'progress listener error'),
    )
    client.on('notification', (message) => {
      if (!message.payload) return
      if (message.channel === ALERT_CHANNEL) {
        try {
          this.pubsub.publish('alertChanged', JSON.parse(message.payload) as AlertEvent)
        } catch {
          // a malformed notification is not ours to act on
        }
        return
      }
      if (message.channel !== PROGRESS_CHANNEL) return
      try {
        const event = JSON.parse(message.payload) as SyncProgressEvent
        this.pubsub.publish('syncProgress', { ...event, at: new Date(event.at) })
      } catch {
        // a malformed notification is not ours to act on
      }
    })
    await client.connect()
    await client.query(`listen ${PROGRESS_CHANNEL}`)
    await client.query(`listen ${ALERT_CHANNEL}`)
    this.#listener = client
  }

  /**
   * Keeps up to `concurrency` jobs in flight and fetches more as soon as one finishes. Jobs spend most of their
   * time waiting on the network or on a host's rate limit, so many run side by side; fetching one at a time per
   * worker would let the accounts of one busy host hold every worker while other hosts sit idle.
   */
  async #pump(boss: PgBoss): Promise<void> {
    const limit = this.#options.concurrency
    while (!this.#stopping) {
      const free = limit - this.#active.size
      if (free <= 0) {
        await Promise.race([...this.#active, this.#stopRequested]).catch(() => undefined)
        continue
      }
      let jobs: PgBoss.JobWithMetadata<SyncJobData>[] = []
      try {
        jobs = await boss.fetch<SyncJobData>(SYNC_QUEUE, { batchSize: free, includeMetadata: true })
      } catch (error) {
        if (this.#stopping) break
        this.#log.error({ err: { message: (error as Error).message } }, 'fetching jobs failed')
      }
      if (jobs.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#options.pollingIntervalSeconds * 1000)
          this.#wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        this.#wake = null
        continue
      }
      for (const job of jobs) {
        void this.#track(
          this.runJob(job.data, job.retryCount, job.retryLimit).then(
            () => boss.complete(SYNC_QUEUE, job.id),
            (error: Error) => boss.fail(SYNC_QUEUE, job.id, { message: error.message }),
          ),
        ).catch((error: Error) =>
          this.#log.error({ err: { message: error.message } }, 'job bookkeeping failed'),
        )
      }
    }
  }

  async #track<T>(promise: Promise<T>): Promise<T> {
    this.#active.add(promise)
    try {
      return await promise
    } finally {
      this.#active.delete(promise)
    }
  }

  /** Takes no new jobs, lets running ones finish within the deadline; unfinished ones are picked up again later. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.#stopping = true
    this.#requestStop()
    this.#wake?.()
    const boss = this.#boss
    if (!boss) return
    await this.#pumping
    const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs, 'deadline'))
    if ((await Promise.race([this.idle().then(() => 'idle'), deadline])) === 'deadline') {
      // Past the deadline the running jobs are aborted: each is marked failed and retried by whoever runs next.
      this.#abort.abort(new Error('sync engine stopping'))
      await this.idle()
    }
    this.#boss = null
    await boss.stop({ graceful: true, timeout: 5_000, close: true })
    await this.#listener?.end().catch(() => undefined)
    this.#listener = null
  }

  /** Queues the windows of a range for one account, each no longer than its platform allows. */
  async enqueue(
    em: EntityManager,
    account: Account,
    window: DateWindow,
    kind: SyncRunKind,
  ): Promise<SyncRun[]> {
    return this.enqueueMany(em, [{ account, window, kind }])
  }

  /** Queues many (account, window) pairs with one write of runs and one insert of jobs. */
  async enqueueMany(
    em: EntityManager,
    items: { account: Account; window: DateWindow; kind: SyncRunKind }[],
  ): Promise<SyncRun[]> {
    const planned: { account: Account; run: SyncRun }[] = []
    const now = this.#services.clock.now()
    for (const { account, window, kind } of items) {
      const platform = this.#services.registry.get(account.platformId)
      for (const piece of platform ? splitWindow(window, platform.definition.limits) : [window]) {
        const run = em.create(SyncRun, {
          id: crypto.randomUUID(),
          workspace: account.workspace,
          account,
          kind,
          windowFrom: piece.from,
          windowTo: piece.to,
          status: 'QUEUED',
          createdAt: now,
        })
        planned.push({ account, run })
      }
    }
    if (planned.length === 0) return []
    await em.flush()
    await this.boss.insert(
      SYNC_QUEUE,
      planned.map(({ account, run }) => ({
        name: SYNC_QUEUE,
        data: {
          runId: run.id,
          accountId: account.id,
          from: run.windowFrom,
          to: run.windowTo,
          kind: run.kind as SyncRunKind,
        } satisfies SyncJobData,
        singletonKey: account.id,
        // Syncs a user is waiting for go before periodic ones, and those before backfills.
        priority: run.kind === 'MANUAL' || run.kind === 'ON_DEMAND' ? 10 : run.kind === 'BACKFILL' ? 0 : 5,
        retryLimit: this.#options.retryLimit,
        retryDelay: this.#options.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: this.#options.jobTimeoutSeconds ?? DEFAULT_JOB_TIMEOUT_SECONDS,
      })),
    )
    for (const { account, run } of planned) this.publishProgress(account, run, 'QUEUED')
    this.#wake?.()
    return planned.map((p) => p.run)
  }

  async enqueueBackfill(
    em: EntityManager,
    account: Account,
    now = this.#services.clock.now(),
  ): Promise<SyncRun[]> {
    account.nextSyncAt = new Date(now.getTime() + account.syncIntervalMinutes * 60_000)
    return this.enqueue(em, account, trailingWindow(account.backfillDays, account.timeZone, now), 'BACKFILL')
  }

  /**
   * Queues the backfill of every account that was saved but never had one queued (the process died between the
   * two): an account with no run whose next sync time is unset or due. Each is first claimed by moving its next
   * sync time on in one conditional update, so of several processes repairing at once only one queues it; should
   * the claimer die too, the account is due again after one interval and is repaired then.
   */
  async repairBackfills(now = this.#services.clock.now()): Promise<number> {
    const em = this.#services.db.fork()
    const claimed = await em.getConnection().execute<{ id: string }[]>(
      `update account a set next_sync_at = ?::timestamptz + a.sync_interval_minutes * interval '1 minute'
         where a.id in (select b.id from account b where (b.next_sync_at is null or b.next_sync_at <= ?)
           and b.status <> 'AUTH_FAILED' and not exists (select 1 from sync_run r where r.account_id = b.id)
           limit 500)
         and (a.next_sync_at is null or a.next_sync_at <= ?)
         and not exists (select 1 from sync_run r where r.account_id = a.id)
       returning a.id`,
      [now, now, now],
      'all',
    )
    if (claimed.length === 0) return 0
    const accounts = await em.find(
      Account,
      { id: { $in: claimed.map((r: { id: string }) => r.id) } },
      { filters: false, populate: ['workspace'] },
    )
    for (const account of accounts) {
      this.#log.warn({ account: account.id }, 'queueing a backfill that was never queued')
      await this.enqueueBackfill(em, account, now)
    }
    return accounts.length
  }

  /** Periodic syncs that are due: the lookback window of every account whose next sync time has come. */
  async enqueueDue(now = this.#services.clock.now()): Promise<number> {
    if (this.#stopping) return 0
    await this.closeAbandonedOnDemandRuns(now)
    // Before the periodic pass, which would otherwise give an account that lost its backfill only the lookback.
    await this.repairBackfills(now)
    const em = this.#services.db.fork()
    const due = await em.find(
      Account,
      { $or: [{ nextSyncAt: null }, { nextSyncAt: { $lte: now } }], status: { $ne: 'AUTH_FAILED' } },
      { filters: false, limit: 500, populate: ['workspace'] },
    )
    for (const account of due)
      account.nextSyncAt = new Date(now.getTime() + account.syncIntervalMinutes * 60_000)
    await this.enqueueMany(
      em,
      due.map((account) => ({
        account,
        window: trailingWindow(account.lookbackDays, account.timeZone, now),
        kind: 'PERIODIC' as const,
      })),
    )
    return due.length
  }

  /**
   * An ON_DEMAND run lives inside one API request, not in the queue: when its process dies mid-fetch nothing would
   * ever finish it. One still running long after any request could have waited for it is closed as INTERRUPTED
   * (the days it did not store stay missing, so the next query asking for them fetches again).
   */
  async closeAbandonedOnDemandRuns(now = this.#services.clock.now()): Promise<number> {
    const em = this.#services.db.fork()
    const abandoned = await em.find(
      SyncRun,
      {
        kind: 'ON_DEMAND',
        status: 'RUNNING',
        startedAt: { $lt: new Date(now.getTime() - ON_DEMAND_ABANDONED_AFTER_MS) },
      },
      { filters: false, limit: 500, populate: ['account', 'workspace'] },
    )
    for (const run of abandoned) {
      run.status = 'FAILED'
      run.errorCode = 'INTERRUPTED'
      run.errorMessage =
        'The server stopped while this fetch ran; the days it did not store are fetched again when asked.'
      run.finishedAt = now
    }
    await em.flush()
    for (const run of abandoned) this.publishProgress(run.account, run, 'FAILED')
    return abandoned.length
  }

  /** Tells subscribers of `syncProgress` (on every process) where a run stands; runs made outside the queue too. */
  publishProgress(
    account: { id: string; workspace: { id: string } },
    run: SyncRun,
    status: SyncRunStatus,
  ): void {
    const event: SyncProgressEvent = {
      workspaceId: account.workspace.id,
      accountId: account.id,
      runId: run.id,
      kind: run.kind as SyncRunKind,
      status,
      window: { from: isoDay(run.windowFrom), to: isoDay(run.windowTo) },
      requests: run.requests,
      rowsWritten: run.rowsWritten,
      rowsChanged: run.rowsChanged,
      errorCode: run.errorCode ?? null,
      errorMessage: run.errorMessage ?? null,
      at: this.#services.clock.now(),
    }
    if (this.#services.db.kind !== 'postgresql') {
      this.pubsub.publish('syncProgress', event)
      return
    }
    // Every process, this one included, hears it back through LISTEN.
    this.#services.db
      .query('select pg_notify(?, ?)', [PROGRESS_CHANNEL, JSON.stringify(event)])
      .catch((error: Error) => this.#log.warn({ err: { message: error.message } }, 'progress not published'))
  }

  /**
   * Payments of the platforms that report them, for the months of the window and the two before: a month is paid
   * weeks after it ends, when the window of a daily sync has moved on. A failure is logged and never fails the
   * sync: statistics matter more than a payment list that the next run reads again.
   */
  async #syncPayments(account: Account, platform: LoadedPlatform, window: DateWindow): Promise<void> {
    if (!platform.definition.capabilities.payments) return
    const [y, m] = window.from.split('-').map(Number) as [number, number]
    const from = new Date(Date.UTC(y, m - 3, 1)).toISOString().slice(0, 10)
    try {
      const result = await fetchPlatformPayments(this.#services, account.id, { from, to: window.to })
      if ('code' in result)
        this.#log.warn({ account: account.id, code: result.code }, 'platform payments could not be read')
    } catch (error) {
      this.#log.error(
        { account: account.id, err: { message: (error as Error).message } },
        'storing payments failed',
      )
    }
  }

  /** Alert rules over what a sync just changed; a failure to evaluate never fails the sync. */
  async evaluateAlerts(scope: EvaluationScope): Promise<void> {
    try {
      await evaluateAlerts(this.#services, scope)
    } catch (error) {
      this.#log.error({ err: { message: (error as Error).message } }, 'alert evaluation failed')
    }
  }

  /** Tells subscribers of `alertChanged` (on every process) that an alert moved. */
  publishAlert(event: AlertEvent): void {
    if (this.#services.db.kind !== 'postgresql') {
      this.pubsub.publish('alertChanged', event)
      return
    }
    this.#services.db
      .query('select pg_notify(?, ?)', [ALERT_CHANNEL, JSON.stringify(event)])
      .catch((error: Error) =>
        this.#log.warn({ err: { message: error.message } }, 'alert event not published'),
      )
  }

  async #circuitOpenUntil(em: EntityManager, workspaceId: string, host: string): Promise<Date | null> {
    const rows = (await em
      .getConnection()
      .execute(
        'select opened_until from host_circuit where workspace_id = ? and host = ? and opened_until > now()',
        [workspaceId, host],
      )) as {
      opened_until: Date | string
    }[]
    const at = rows[0]?.opened_until
    return at ? new Date(at) : null
  }

  async #recordHostOutcome(
    em: EntityManager,
    workspaceId: string,
    host: string,
    failed: boolean,
  ): Promise<void> {
    const conn = em.getConnection()
    if (!failed) {
      await conn.execute(
        'update host_circuit set failures = 0, opened_until = null, updated_at = now() where workspace_id = ? and host = ?',
        [workspaceId, host],
      )
      return
    }
    await conn.execute(
      `insert into host_circuit (workspace_id, host, failures, opened_until, updated_at) values (?, ?, 1, null, now())
         on conflict (workspace_id, host) do update set failures = host_circuit.failures + 1, updated_at = now(),
           opened_until = case when host_circuit.failures + 1 >= ? then now() + (? * interval '1 second') else host_circuit.opened_until end`,
      [workspaceId, host, this.#options.circuitThreshold, this.#options.circuitOpenSeconds],
    )
  }

  /**
   * One (account, window). Returns normally when the job is done (including a permanent failure recorded on the
   * account); throws to have pg-boss retry it later.
   */
  async runJob(data: SyncJobData, retryCount = 0, retryLimit = this.#options.retryLimit): Promise<void> {
    const em = this.#services.db.fork()
    const run = await em.findOne(SyncRun, { id: data.runId }, { filters: false })
    const account = await em.findOne(
      Account,
      { id: data.accountId },
      { filters: false, populate: ['workspace'] },
    )
    if (!run || !account) return // disconnected meanwhile: nothing to do
    const window = { from: data.from, to: data.to }
    const platform = this.#services.registry.get(account.platformId)
    const finish = async (status: SyncRunStatus, error?: { code: string; message: string }) => {
      // The rules read the account as this run leaves it; they run before the run reads as finished, so whoever
      // waits for the run (a page, a test) finds its alerts already raised or resolved.
      await em.flush()
      await this.evaluateAlerts({ workspaceId: account.workspace.id, accountIds: [account.id] })
      run.status = status
      run.finishedAt = this.#services.clock.now()
      run.errorCode = error?.code ?? null
      run.errorMessage = error?.message ?? null
      await em.flush()
      this.publishProgress(account, run, status)
      this.#services.metrics.recordSyncRun(account.platformId, status)
    }
    if (!platform)
      return finish('FAILED', {
        code: 'PLATFORM_NOT_LOADED',
        message: `Plugin "${account.platformId}" is not loaded.`,
      })
    if (account.status === 'AUTH_FAILED' && data.kind !== 'MANUAL' && data.kind !== 'BACKFILL') {
      return finish('FAILED', {
        code: 'PLATFORM_AUTH_FAILED',
        message: 'Skipped: the account needs new credentials.',
      })
    }
    const workspaceId = account.workspace.id
    let connection: Record<string, string> | null = null
    try {
      connection = openConnection(this.#services, account)
    } catch {
      // unreadable credentials fail the run below, where every failure is reported
    }
    const host = predictedHost(account, platform, connection)
    const openUntil = await this.#circuitOpenUntil(em, workspaceId, host)
    if (openUntil) {
      run.status = 'RETRYING'
      run.errorCode = 'CIRCUIT_OPEN'
      run.errorMessage = `Calls to ${host} are paused after repeated failures, until ${openUntil.toISOString()}.`
      await em.flush()
      this.publishProgress(account, run, 'RETRYING')
      throw new Error('circuit open')
    }

    run.status = 'RUNNING'
    run.attempts += 1
    run.startedAt ??= this.#services.clock.now()
    await em.flush()
    this.publishProgress(account, run, 'RUNNING')
    let requests = 0
    // Outcomes count against the host the fetch really called (it may differ from the one predicted).
    let calledHost: string | null = null
    try {
      crashPoint('before-fetch')
      const rows = await this.#services.runner.fetchReport(
        platform,
        connection ?? openConnection(this.#services, account),
        window,
        {
          accountKey: account.id,
          signal: this.#abort.signal,
          onRequest: (info) => {
            requests += 1
            calledHost = info.host
            this.#services.metrics.recordUpstreamRequest(platform.definition.id, info)
          },
        },
      )
      crashPoint('after-fetch')
      const result = await writeReport(em.fork(), {
        workspaceId: account.workspace.id,
        accountId: account.id,
        window,
        rows,
        syncRunId: run.id,
        now: this.#services.clock.now(),
      })
      run.requests += requests
      run.rowsWritten += result.rowsWritten
      run.rowsChanged += result.rowsChanged
      await this.#syncPayments(account, platform, window)
      account.status = 'OK'
      account.lastSyncAt = this.#services.clock.now()
      account.lastErrorCode = null
      account.lastErrorMessage = null
      await this.#recordHostOutcome(em, workspaceId, calledHost ?? host, false)
      await finish('SUCCEEDED')
      if (result.rowsWritten > 0) await this.#refreshStatistics()
    } catch (error) {
      run.requests += requests
      if (this.#abort.signal.aborted) {
        // Cut short by shutdown, not by the platform: leave the account as it was and let the job run again.
        run.status = 'RETRYING'
        run.errorCode = 'INTERRUPTED'
        run.errorMessage = 'The worker stopped during this run; it will run again.'
        await em.flush()
        throw new Error('interrupted by shutdown')
      }
      const { error: userError, status } = toUserError(error)
      account.lastErrorCode = userError.code
      account.lastErrorMessage = userError.message
      const transient = isPlatformError(error)
        ? error.transient
        : (error as { code?: string }).code !== 'OUTBOUND_BLOCKED'
      if (!isPlatformError(error) || error.code !== 'PLATFORM_RATE_LIMITED') {
        if (transient) await this.#recordHostOutcome(em, workspaceId, calledHost ?? host, true)
      }
      account.status = status
      const lastAttempt = retryCount >= retryLimit
      if (transient && !lastAttempt) {
        run.errorCode = userError.code
        run.errorMessage = userError.message
        run.status = 'RETRYING'
        await em.flush()
        this.publishProgress(account, run, 'RETRYING')
        this.#log.warn(
          {
            account: account.id,
            run: run.id,
            code: userError.code,
            retryAfterMs: retryAfterOf(error),
          },
          'sync failed; will retry',
        )
        throw new Error(userError.code)
      }
      this.#log.warn({ account: account.id, run: run.id, code: userError.code }, 'sync failed')
      await finish('FAILED', { code: userError.code, message: userError.message })
    }
  }

  /**
   * The embedded PGlite has no autovacuum, so the planner would keep the statistics of an empty stat_day forever
   * and pick nested loops over millions of rows. After writes, at most every five minutes, refresh them.
   */
  async #refreshStatistics(): Promise<void> {
    if (this.#services.db.kind !== 'pglite' || Date.now() - this.#analyzedAt < 5 * 60_000) return
    this.#analyzedAt = Date.now()
    await this.#services.db
      .query('analyze stat_day, sync_coverage, account')
      .catch((error: Error) => this.#log.warn({ err: { message: error.message } }, 'analyze failed'))
  }

  /** Sync jobs by state, read live from the queue (for the metrics scrape); ready ones exclude deferred retries. */
  async queueDepth(): Promise<{ waiting: number; deferred: number; active: number }> {
    const stats = await this.boss.getQueueStats(SYNC_QUEUE)
    const deferred = stats.deferredCount ?? 0
    return {
      waiting: Math.max(0, (stats.queuedCount ?? 0) - deferred),
      deferred,
      active: stats.activeCount ?? 0,
    }
  }

  /** Resolves when no job handler of this process is running (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.#active.size > 0) await Promise.allSettled([...this.#active])
  }
}
