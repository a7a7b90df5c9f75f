import type { EntityManager } from '@mikro-orm/core'
import { Account } from '../account/account.entity.ts'
import { openConnection, toUserError } from '../account/account.service.ts'
import type { AppServices } from '../app-services.ts'
import type { DateWindow } from '../sdk/index.ts'
import { missingWindows, writeReport } from '../stats/stat-writer.ts'
import { Workspace } from '../workspace/workspace.entity.ts'
import { SyncRun, type SyncRunStatus } from './sync.entity.ts'
import { platformToday } from './sync-engine.ts'

export interface OnDemandOutcome {
  accountId: string
  window: DateWindow | null
  rowsWritten: number
  error: { code: string; message: string } | null
  /** The ON_DEMAND run that records this fetch in the account's run history. */
  run: SyncRun
}

/**
 * Records a fetch a stats query made as an ON_DEMAND run, like the runs of the queue: the run history then shows
 * every call affgraph made to the platform, and subscribers of `syncProgress` see it start and end.
 */
class OnDemandRecorder {
  readonly run: SyncRun
  readonly services: AppServices
  readonly em: EntityManager
  readonly account: Account
  constructor(services: AppServices, em: EntityManager, account: Account, window: DateWindow) {
    this.services = services
    this.em = em
    this.account = account
    const now = services.clock.now()
    this.run = em.create(SyncRun, {
      id: crypto.randomUUID(),
      // References of this unit of work: the account itself belongs to the request's.
      workspace: em.getReference(Workspace, account.workspace.id),
      account: em.getReference(Account, account.id),
      kind: 'ON_DEMAND',
      windowFrom: window.from,
      windowTo: window.to,
      status: 'RUNNING',
      attempts: 1,
      createdAt: now,
      startedAt: now,
    })
  }

  async start(): Promise<void> {
    await this.em.flush()
    this.#publish('RUNNING')
  }

  async finish(
    status: Extract<SyncRunStatus, 'SUCCEEDED' | 'FAILED'>,
    figures: {
      requests: number
      rowsWritten?: number
      rowsChanged?: number
      error?: { code: string; message: string }
    },
  ): Promise<void> {
    Object.assign(this.run, {
      status,
      requests: figures.requests,
      rowsWritten: figures.rowsWritten ?? 0,
      rowsChanged: figures.rowsChanged ?? 0,
      errorCode: figures.error?.code ?? null,
      errorMessage: figures.error?.message ?? null,
      finishedAt: this.services.clock.now(),
    })
    await this.em.flush()
    this.#publish(status)
  }

  #publish(status: SyncRunStatus): void {
    this.services.sync?.publishProgress(this.account, this.run, status)
  }
}

/** Days are the platform's: a window never reaches past the platform's own "today". */
function clampToToday(window: DateWindow, timeZone: string, now: Date): DateWindow | null {
  const today = platformToday(timeZone, now)
  // biome-ignore lint/complexity/useMathMinMax: ISO dates compared as strings; Math.min would turn them into NaN
  const to = window.to > today ? today : window.to
  return window.from > to ? null : { from: window.from, to }
}

/**
 * Fills the never-synced days of a window for many accounts before a query answers: one upstream window per
 * account (the span of its gaps, however many fields asked), all under the host's rate limits, each recorded as
 * an ON_DEMAND run. Failures are reported per account, never thrown: the stored data still answers.
 */
export async function fetchMissing(
  services: AppServices,
  em: EntityManager,
  accounts: Account[],
  window: DateWindow,
  now = services.clock.now(),
): Promise<OnDemandOutcome[]> {
  const gaps = await missingWindows(
    em,
    accounts.map((a) => a.id),
    window,
  )
  const jobs: { account: Account; window: DateWindow }[] = []
  for (const account of accounts) {
    const list = gaps.get(account.id) ?? []
    if (list.length === 0) continue
    const span = clampToToday({ from: list[0]!.from, to: list.at(-1)!.to }, account.timeZone, now)
    if (span) jobs.push({ account, window: span })
  }
  // Accounts of one platform call the same hosts: run platforms side by side, each platform's accounts in turn,
  // so that one platform's slowness or rate limit never holds up another's.
  const byPlatform = new Map<string, typeof jobs>()
  for (const job of jobs)
    byPlatform.set(job.account.platformId, [...(byPlatform.get(job.account.platformId) ?? []), job])
  const outcomes: OnDemandOutcome[] = []
  await Promise.all(
    [...byPlatform.entries()].map(async ([platformId, list]) => {
      const platform = services.registry.get(platformId)
      for (const job of list) {
        // Its own unit of work: the request's is tenant-filtered and may hold unrelated changes.
        const recorder = new OnDemandRecorder(services, em.fork(), job.account, job.window)
        await recorder.start()
        let requests = 0
        const failed = async (error: { code: string; message: string }) => {
          await recorder.finish('FAILED', { requests, error })
          outcomes.push({
            accountId: job.account.id,
            window: job.window,
            rowsWritten: 0,
            error,
            run: recorder.run,
          })
        }
        if (!platform) {
          await failed({ code: 'PLATFORM_NOT_LOADED', message: `plugin "${platformId}" is not loaded` })
          continue
        }
        try {
          const connection = openConnection(services, job.account)
          const rows = await services.runner.fetchReport(platform, connection, job.window, {
            accountKey: job.account.id,
            onRequest: (info) => {
              requests += 1
              services.metrics.recordUpstreamRequest(platformId, info)
            },
          })
          const result = await writeReport(em.fork(), {
            workspaceId: job.account.workspace.id,
            accountId: job.account.id,
            window: job.window,
            rows,
            syncRunId: recorder.run.id,
            now,
          })
          await recorder.finish('SUCCEEDED', {
            requests,
            rowsWritten: result.rowsWritten,
            rowsChanged: result.rowsChanged,
          })
          outcomes.push({
            accountId: job.account.id,
            window: job.window,
            rowsWritten: result.rowsWritten,
            error: null,
            run: recorder.run,
          })
        } catch (error) {
          const { error: userError } = toUserError(error)
          await failed({ code: userError.code, message: userError.message })
        }
      }
    }),
  )
  return outcomes
}
