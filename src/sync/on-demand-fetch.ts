import type { EntityManager } from '@mikro-orm/core'
import type { Account } from '../account/account.entity.ts'
import { openConnection, toUserError } from '../account/account.service.ts'
import type { AppServices } from '../app-services.ts'
import type { DateWindow } from '../sdk/index.ts'
import { missingWindows, writeReport } from '../stats/stat-writer.ts'

export interface OnDemandOutcome {
  accountId: string
  window: DateWindow | null
  rowsWritten: number
  error: { code: string; message: string } | null
}

/** Days are the platform's: a window never reaches past the platform's own "today". */
function clampToToday(window: DateWindow, timeZone: string, now: Date): DateWindow | null {
  const today = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now)
  // biome-ignore lint/complexity/useMathMinMax: ISO dates compared as strings; Math.min would turn them into NaN
  const to = window.to > today ? today : window.to
  return window.from > to ? null : { from: window.from, to }
}

/**
 * Fills the never-synced days of a window for many accounts before a query answers: one upstream window per
 * account (the span of its gaps, however many fields asked), accounts sharing a credential fetched once, all
 * under the host's rate limits. Failures are reported per account, never thrown: the stored data still answers.
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
        if (!platform) {
          outcomes.push({
            accountId: job.account.id,
            window: job.window,
            rowsWritten: 0,
            error: { code: 'PLATFORM_NOT_LOADED', message: `plugin "${platformId}" is not loaded` },
          })
          continue
        }
        try {
          const connection = openConnection(services, job.account)
          const rows = await services.runner.fetchReport(platform, connection, job.window, {
            accountKey: job.account.id,
            onRequest: (info) => services.metrics.recordUpstreamRequest(platformId, info),
          })
          const result = await writeReport(em.fork(), {
            workspaceId: job.account.workspace.id,
            accountId: job.account.id,
            window: job.window,
            rows,
            now,
          })
          outcomes.push({
            accountId: job.account.id,
            window: job.window,
            rowsWritten: result.rowsWritten,
            error: null,
          })
        } catch (error) {
          const { error: userError } = toUserError(error)
          outcomes.push({
            accountId: job.account.id,
            window: job.window,
            rowsWritten: 0,
            error: { code: userError.code, message: userError.message },
          })
        }
      }
    }),
  )
  return outcomes
}
