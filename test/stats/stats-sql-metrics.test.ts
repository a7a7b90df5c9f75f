import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildStatsSql, type StatsQuery } from '../../src/stats/stats-sql.ts'
import { ensureWorkspace } from '../../src/workspace/workspace.service.ts'
import { openTestDatabase, TEST_DATABASE_KIND, type TestDatabase } from '../support/test-database.ts'
import { insertAccounts, insertRates, insertStatRows } from './stats-seed.ts'

/**
 * A query may ask for a subset of the metrics (the dataloader narrows to what the selection reads). With counts only
 * there is no money to break down per currency, and the statement must still be valid SQL.
 */
describe(`stats statements that ask for counts only, on ${TEST_DATABASE_KIND}`, () => {
  let db: TestDatabase
  let workspaceId = ''

  beforeAll(async () => {
    db = await openTestDatabase()
    workspaceId = (await ensureWorkspace(db.fork(), 'counts-only')).workspace.id
    const [a, b] = await insertAccounts(db, workspaceId, [
      { platformId: 'softswiss' },
      { platformId: 'netrefer' },
    ])
    await insertRates(db, [{ day: '2026-03-02', currency: 'USD', rate: '1.1' }])
    await insertStatRows(db, workspaceId, [
      { accountId: a!, day: '2026-03-02', currency: 'EUR', clicks: 10, ftds: 1, commission: '5.00' },
      { accountId: a!, day: '2026-03-03', currency: 'USD', clicks: 7, ftds: 2, commission: '3.00' },
      { accountId: b!, day: '2026-03-02', currency: '', clicks: 5, ftds: null, commission: null },
    ])
  })
  afterAll(async () => {
    await db?.close()
  })

  const shapes: Partial<StatsQuery>[] = [
    { granularity: 'TOTAL', groupBy: [] },
    { granularity: 'DAY', groupBy: ['PLATFORM'] },
    { granularity: 'MONTH', groupBy: ['ACCOUNT'], currency: 'EUR', fx: { policy: 'DAILY' } },
    { granularity: 'TOTAL', groupBy: ['PLATFORM'], currency: 'EUR', fx: { policy: 'DAILY' }, native: true },
  ]
  for (const shape of shapes) {
    it(`given counts only and native amounts asked for (${JSON.stringify(shape)}), when the statement runs, then it sums the counts and breaks down no money`, async () => {
      const query = {
        from: '2026-03-01',
        to: '2026-03-31',
        metrics: ['clicks', 'ftds'],
        native: true,
        ...shape,
      } as StatsQuery
      const { sql, params } = buildStatsSql(query, workspaceId)
      const rows = (await db.prepared(sql, params)) as Record<string, unknown>[]
      const total = rows.find((r) => r.kind === 'total')
      expect(Number(total?.clicks)).toBe(22)
      expect(Number(total?.ftds)).toBe(3)
      for (const row of rows) {
        const native = JSON.parse(String(row.native ?? '[]')) as Record<string, unknown>[]
        for (const entry of native) expect(Object.keys(entry)).toEqual(['currency'])
      }
    })
  }
})
