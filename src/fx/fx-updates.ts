import type PgBoss from 'pg-boss'
import type { AppServices } from '../app-services.ts'
import { createHttpClient } from '../http/http-client.ts'
import { createSsrfGuard } from '../http/ssrf-guard.ts'
import type { EcbFile } from './ecb-format.ts'
import { fetchAndStoreEcbRates } from './fx.service.ts'

export const FX_QUEUE = 'affgraph-fx-fetch'

/** The newest stored publication day, or null when no rate is stored yet. */
async function newestRateDay(services: AppServices): Promise<string | null> {
  const rows = await services.db.query<{ day: string | null }>('select max(day)::text as day from fx_rate')
  return rows[0]?.day ?? null
}

/** Fetches one ECB file and stores it; an offline server logs and tries again at the next run. */
export async function updateRates(services: AppServices, file: EcbFile): Promise<void> {
  const log = services.logger.child({ component: 'fx' })
  const http = createHttpClient({
    guard: createSsrfGuard({ allow: services.config.outboundAllowlist }),
    timeouts: { totalMs: 120_000 },
    retry: { attempts: 3 },
  })
  try {
    const result = await fetchAndStoreEcbRates(services.db, { http, baseUrl: services.config.fx.url, file })
    log.info(
      {
        source: result.source,
        days: result.days,
        inserted: result.inserted,
        updated: result.updated,
        last: result.lastDay,
      },
      'reference rates updated',
    )
  } catch (error) {
    log.warn(
      { file, code: (error as { code?: string }).code, err: { message: (error as Error).message } },
      'reference rates could not be fetched; stored rates are used as they are',
    )
  }
}

/**
 * Daily reference rates: a run each TARGET working day after the ECB publishes (around 16:00 CET), plus one at
 * start when stored rates are missing or stale — the whole history for an empty database, the last 90 days
 * otherwise. Offline deployments import a downloaded file with `npm run fx -- import <file>` instead.
 */
export async function startFxUpdates(services: AppServices, boss: PgBoss): Promise<void> {
  await boss.createQueue(FX_QUEUE, { policy: 'singleton', retryLimit: 3, retryDelay: 600 })
  await boss.schedule(FX_QUEUE, '30 15 * * 1-5', { file: 'daily' }, { tz: 'UTC', singletonKey: 'daily' })
  await boss.work<{ file?: EcbFile }>(FX_QUEUE, { pollingIntervalSeconds: 30 }, async ([job]) => {
    await updateRates(services, job?.data.file ?? 'daily')
  })
  const newest = await newestRateDay(services)
  const stale = !newest || Date.now() - Date.parse(`${newest}T00:00:00Z`) > 4 * 86_400_000
  if (stale) await boss.send(FX_QUEUE, { file: newest ? 'hist-90d' : 'hist' }, { singletonKey: 'catch-up' })
}
