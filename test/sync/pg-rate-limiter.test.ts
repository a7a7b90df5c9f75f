import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiterRegistry } from '../../src/http/rate-limiter.ts'
import { createPostgresRateLimiterStore } from '../../src/sync/pg-rate-limiter-store.ts'
import { openTestDatabase, TEST_DATABASE_KIND, type TestDatabase } from '../support/test-database.ts'

describe(`rate limits kept in the database (${TEST_DATABASE_KIND})`, () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await openTestDatabase()
  })
  afterAll(async () => {
    await db?.close()
  })

  it('given two independent limiters on one database, when both send at once, then no window holds more than the limit', async () => {
    // Two registries with stores of their own stand for two worker processes: only the database is shared.
    const slots: number[] = []
    const onReserve = (slot: { atMs: number }) => slots.push(slot.atMs)
    const a = createRateLimiterRegistry({ store: createPostgresRateLimiterStore(db, { onReserve }) })
    const b = createRateLimiterRegistry({ store: createPostgresRateLimiterStore(db, { onReserve }) })
    const limit = { requests: 4, intervalMs: 400 }
    const released: number[] = []
    const started = performance.now()
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await (i % 2 ? a : b).acquire('host:shared.example', limit)
        released.push(Date.now())
      }),
    )
    slots.sort((x, y) => x - y)
    released.sort((x, y) => x - y)
    // The database runs on this machine, so its clock is ours. If every request went at or after its own slot,
    // the k-th release is at or after the k-th slot (1 ms for clock rounding).
    for (const [k, at] of released.entries()) expect(at, `release ${k}`).toBeGreaterThanOrEqual(slots[k]! - 1)
    expect(slots.length).toBe(12)
    for (let i = 0; i + limit.requests < slots.length; i++) {
      // In the database clock the guarantee is exact: any 5 consecutive slots span at least 400 ms.
      expect(slots[i + limit.requests]! - slots[i]!).toBeGreaterThanOrEqual(limit.intervalMs - 0.001)
    }
    // …and the limit is the only brake: 12 requests need 11 spacings of 100 ms.
    expect(performance.now() - started).toBeLessThan(1100 + 600)
  })
})
