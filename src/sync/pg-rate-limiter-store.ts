import type { Database } from '../db/database.ts'
import type { RateLimiterSpec, RateLimiterStore, RateLimitReservation } from '../http/rate-limiter.ts'

/**
 * How a limit of `requests` per `intervalMs` becomes a generic cell rate: up to `burst` requests may go back to
 * back, then one every `spacing`. Spacing is chosen so that no window of intervalMs ever holds more than
 * `requests`: a burst of b leaves (requests - b) for the rest of the window, hence intervalMs / (requests - b + 1).
 * Small limits (a few per second) get no burst, i.e. even spacing; large quotas (thousands a day) may spend 1% at
 * once, so a sync of a few dozen pages does not crawl at one request every few seconds.
 */
export function cellRate(limit: { requests: number; intervalMs: number }): {
  spacing: number
  tolerance: number
} {
  const burst = Math.max(1, Math.floor(limit.requests / 100))
  // A microsecond over the exact spacing: the database keeps microseconds, and rounding must never gain a slot.
  const spacing = limit.intervalMs / (limit.requests - burst + 1) + 0.001
  return { spacing, tolerance: (burst - 1) * spacing }
}

/**
 * The shared limits could not be read (the database restarting, say). Not the platform's fault nor the plugin's:
 * the run is retried later like any transient failure, instead of being failed as a plugin bug.
 */
export class RateLimitStoreError extends Error {
  readonly code = 'RATE_LIMIT_STORE_UNAVAILABLE'
  override readonly name = 'RateLimitStoreError'
}

/**
 * Rate limits shared by every process that reaches the same PostgreSQL: each key keeps its "theoretical arrival
 * time" (TAT), and one transaction moves every key of a request at once under row locks; the database clock is the
 * only clock that counts. A request may go once the clock has reached every key's TAT less its burst tolerance.
 * Slots are exact in the database clock; a process waits out the rest of its slot from the moment the reserving
 * transaction read the clock last, so a request is released late (by one commit) rather than early.
 * A cancelled reservation keeps its slot: giving it back safely would need the very coordination this avoids,
 * and erring towards slower never breaks a platform's limit.
 */
export function createPostgresRateLimiterStore(
  db: Database,
  options: { onReserve?: (slot: { keys: string[]; atMs: number; decidedAtMs: number }) => void } = {},
): RateLimiterStore {
  return {
    async reserve(specs: readonly RateLimiterSpec[]): Promise<RateLimitReservation> {
      const sorted = [...specs].sort((a, b) => a.key.localeCompare(b.key))
      const reserved = db.orm.em.fork().transactional(async (em) => {
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
        const tats = new Map(rows.map((row) => [row.key, Number(row.tat_ms)]))
        let slot = now
        for (const spec of sorted) {
          const tat = tats.get(spec.key) ?? Number.NEGATIVE_INFINITY
          const { tolerance } = cellRate(spec.limit)
          if (Number.isFinite(tat) && tat - tolerance > slot) slot = tat - tolerance
        }
        for (const spec of sorted) {
          const tat = tats.get(spec.key) ?? Number.NEGATIVE_INFINITY
          const { spacing } = cellRate(spec.limit)
          await conn.execute(
            'update rate_limit_state set tat = to_timestamp(? / 1000.0) where key = ?',
            [Math.max(Number.isFinite(tat) ? tat : slot, slot) + spacing, spec.key],
            'run',
            ctx,
          )
        }
        options.onReserve?.({ keys, atMs: slot, decidedAtMs: now })
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
      const { slot, now } = await reserved.catch((error: Error) => {
        throw new RateLimitStoreError(`rate limits unavailable: ${error.message}`, { cause: error })
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
