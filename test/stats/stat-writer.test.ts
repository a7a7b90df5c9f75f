import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.entity.ts'
import { reportRow } from '../../src/sdk/index.ts'
import { missingWindows, writeReport } from '../../src/stats/stat-writer.ts'
import { ensureWorkspace } from '../../src/workspace/workspace.service.ts'
import { openTestDatabase, TEST_DATABASE_KIND, type TestDatabase } from '../support/test-database.ts'

describe(`stat writer on ${TEST_DATABASE_KIND}`, () => {
  let db: TestDatabase
  let workspaceId: string
  let accountId: string

  const rows = () => [
    reportRow({ date: '2026-03-01', brand: 'A', currency: 'EUR', clicks: 10, ftds: 2, commission: '12.50' }),
    reportRow({ date: '2026-03-01', brand: 'B', currency: 'EUR', clicks: 5, ftds: 0, commission: '0' }),
    reportRow({ date: '2026-03-02', brand: 'A', currency: 'USD', clicks: 7, ftds: 1, commission: '-3.1' }),
  ]
  const count = async (table: string) =>
    Number((await db.query<{ n: unknown }>(`select count(*) as n from ${table}`))[0]!.n)

  beforeAll(async () => {
    db = await openTestDatabase()
    const em = db.fork()
    const { workspace } = await ensureWorkspace(em, 'writer')
    workspaceId = workspace.id
    accountId = crypto.randomUUID()
    em.create(Account, {
      id: accountId,
      workspace,
      platformId: 'softswiss',
      label: 'x',
      timeZone: 'UTC',
      status: 'OK',
      credentials: {},
      connectionState: {},
    })
    await em.flush()
  })
  afterAll(async () => {
    await db?.close()
  })

  it('given a first report, when written, then every row is stored exactly and no change is recorded', async () => {
    const result = await writeReport(db.fork(), {
      workspaceId,
      accountId,
      window: { from: '2026-03-01', to: '2026-03-02' },
      rows: rows(),
    })
    expect(result.rowsWritten).toBe(3)
    expect(result.changes).toEqual([])
    const stored = await db.query<{ commission: unknown }>(
      'select commission::text as commission from stat_day order by day, brand',
    )
    expect(stored.map((r) => r.commission)).toEqual(['12.5', '0', '-3.1'])
  })

  it('given the same report again, when written, then nothing is written or recorded', async () => {
    const result = await writeReport(db.fork(), {
      workspaceId,
      accountId,
      window: { from: '2026-03-01', to: '2026-03-02' },
      rows: rows(),
    })
    expect(result).toMatchObject({ rowsWritten: 0, rowsChanged: 0, rowsRemoved: 0 })
    expect(await count('stat_change')).toBe(0)
    expect(await count('stat_day')).toBe(3)
  })

  it('given a revised day and a vanished row, when written, then the stored figures follow and each change is recorded', async () => {
    const revised = rows()
    revised[0] = reportRow({ ...revised[0]!, ftds: 1, commission: '10.5' })
    revised.splice(1, 1)
    const result = await writeReport(db.fork(), {
      workspaceId,
      accountId,
      window: { from: '2026-03-01', to: '2026-03-02' },
      rows: revised,
    })
    expect(result.rowsChanged).toBe(2)
    expect(result.rowsRemoved).toBe(1)
    const changes = await db.query<{ metric: string; old_value: unknown; new_value: unknown; brand: string }>(
      'select brand, metric, old_value::text as old_value, new_value::text as new_value from stat_change order by brand, metric',
    )
    expect(changes).toEqual([
      { brand: 'A', metric: 'commission', old_value: '12.5', new_value: '10.5' },
      { brand: 'A', metric: 'ftds', old_value: '2', new_value: '1' },
      { brand: 'B', metric: 'clicks', old_value: '5', new_value: null },
      { brand: 'B', metric: 'commission', old_value: '0', new_value: null },
      { brand: 'B', metric: 'ftds', old_value: '0', new_value: null },
    ])
    expect(await count('stat_day')).toBe(2)
  })

  it('given synced windows, when asked for gaps, then only the days never synced are returned', async () => {
    await writeReport(db.fork(), {
      workspaceId,
      accountId,
      window: { from: '2026-03-05', to: '2026-03-06' },
      rows: [],
    })
    const gaps = await missingWindows(db.fork(), [accountId, crypto.randomUUID()], {
      from: '2026-02-27',
      to: '2026-03-08',
    })
    expect(gaps.get(accountId)).toEqual([
      { from: '2026-02-27', to: '2026-02-28' },
      { from: '2026-03-03', to: '2026-03-04' },
      { from: '2026-03-07', to: '2026-03-08' },
    ])
    expect([...gaps.values()][1]).toEqual([{ from: '2026-02-27', to: '2026-03-08' }])
    await writeReport(db.fork(), {
      workspaceId,
      accountId,
      window: { from: '2026-03-03', to: '2026-03-04' },
      rows: [],
    })
    const merged = await db.query(
      'select from_day::text as f, to_day::text as t from sync_coverage where account_id = ?',
      [accountId],
    )
    expect(merged).toEqual([{ f: '2026-03-01', t: '2026-03-06' }])
  })
})
