import type { Database } from '../db/database.ts'
import type { RateLimiterSpec, RateLimiterStore, RateLimitReservation } from '../http/rate-limiter.ts'

/**
 * Rate limits shared by every process that reaches the same PostgreSQL: each key keeps the earliest time its next
 * request may go ("theoretical arrival time"), and one transaction moves every key of a request at once under row
 * locks. Requests are spaced evenly (intervalMs / requests apart), so no window of intervalMs holds more than
 * `requests` of them, whichever process sent them; the database clock is the only clock that counts.
 * Slots are exact in the database clock; a process waits out the rest of its slot from the moment the reserving
 * transaction read the clock last, so a request is released late (by one commit) rather than early.
 * A cancelled reservation keeps its slot: giving it back safely would need the very coordination this avoids,
 * and erring towards slower never breaks a platform's limit.
 */
export function createPostgresRateLimiterStore(
  db: Database,
  options: { onReserve?: (slot: { keys: string[]; atMs: number }) => void } = {},
): RateLimiterStore {
  return {
    async reserve(specs: readonly RateLimiterSpec[]): Promise<RateLimitReservation> {
      const sorted = [...specs].sort((a, b) => a.key.localeCompare(b.key))
      const { slot, now } = await db.orm.em.fork().transactional(async (em) => {
        const conn = em.getConnection()
        const ctx = em.getTransactionContext()
        const keys = sorted.map((s) => s.key)
        const marks = keys.map(() => '?').join(', ')
        await conn.execute(
          `insert into rate_limit_state (key, tat) values ${keys.map(() => "(?, '-infinity')").join(', ')} on conflict (key) do nothing`,
          keys,
          'run',
          ctx,
        )
        const rows = (await conn.execute(
          `select key, extract(epoch from tat) * 1000 as tat_ms, extract(epoch from clock_timestamp()) * 1000 as now_ms
             from rate_limit_state where key in (${marks}) order by key for update`,
          keys,
          'all',
          ctx,
        )) as { key: string; tat_ms: unknown; now_ms: unknown }[]
        const now = Number(rows[0]?.now_ms)
        let slot = now
        for (const row of rows) {
          const tat = Number(row.tat_ms)
          if (Number.isFinite(tat) && tat > slot) slot = tat
        }
        for (const spec of sorted) {
          const spacing = spec.limit.intervalMs / spec.limit.requests
          await conn.execute(
            'update rate_limit_state set tat = to_timestamp(? / 1000.0) where key = ?',
            [slot + spacing, spec.key],
            'run',
            ctx,
          )
        }
        options.onReserve?.({ keys, atMs: slot })
        // Read the clock again at the very end, so the wait measured from here is late by one commit at most.
        const [end] = (await conn.execute(
          'select extract(epoch from clock_timestamp()) * 1000 as now_ms',
          [],
          'all',
          ctx,
        )) as {
          now_ms: unknown
        }[]
        return { slot, now: Number(end?.now_ms ?? now) }
      })
      const releaseAt = Date.now() + Math.max(0, slot - now)
      return {
        waitMs: Math.max(0, releaseAt - Date.now()),
        claim: async () => Math.max(0, releaseAt - Date.now()),
        cancel: async () => undefined,
      }
    },
  }
}
