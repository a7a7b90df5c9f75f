import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { announceLocally } from '../../src/db/change-feed.ts'
import { statementCoalescing, statsRunner } from '../../src/stats/statement-coalescing.ts'
import { buildStatsSql } from '../../src/stats/stats-sql.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { insertAccounts, insertStatRows } from './stats-seed.ts'

let t: TestApp
let workspaceId: string
let other: string

/** Stats statements the database received while `fn` ran. */
async function statementsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  let statements = 0
  const config = t.db.orm.config
  const previous = config.get('onQuery')
  config.set('onQuery', (sql: string, params: readonly unknown[]) => {
    if (sql.includes('from stat_day s')) statements++
    return previous(sql, params)
  })
  try {
    return { result: await fn(), statements }
  } finally {
    config.set('onQuery', previous)
  }
}

const statement = (ws: string) =>
  buildStatsSql({ from: '2026-03-01', to: '2026-03-31', granularity: 'TOTAL', groupBy: ['PLATFORM'] }, ws)

beforeAll(async () => {
  t = await createTestApp()
  await t.services.db.changes.start()
  for (const name of ['coalescing-a', 'coalescing-b']) {
    const ws = await t.workspace(name)
    const [accountId] = await insertAccounts(t.db, ws.id, [{ label: name }])
    await insertStatRows(t.db, ws.id, [
      { accountId: accountId!, day: '2026-03-10', currency: 'EUR', clicks: 7 },
    ])
    if (name === 'coalescing-a') workspaceId = ws.id
    else other = ws.id
  }
})

afterAll(async () => {
  await t?.close()
})

describe(`stats statements shared while in flight on ${TEST_DATABASE_KIND}`, () => {
  it('given the same statement asked twice at once, when both are answered, then the database ran it once and both got its rows', async () => {
    const { sql, params } = statement(workspaceId)
    const before = statementCoalescing(t.services).joined
    const { result, statements } = await statementsDuring(() =>
      Promise.all([
        statsRunner(t.services, workspaceId).prepared(sql, params),
        statsRunner(t.services, workspaceId).prepared(sql, params),
      ]),
    )
    expect(statements).toBe(1)
    expect(statementCoalescing(t.services).joined - before).toBe(1)
    expect(result[1]).toEqual(result[0])
    expect(result[0]!.some((r) => Number(r.clicks) === 7)).toBe(true)
  })

  it('given a statement in flight, when a write to its workspace is announced before the same statement is asked again, then the second runs on its own', async () => {
    const { sql, params } = statement(workspaceId)
    const before = statementCoalescing(t.services).joined
    const { statements } = await statementsDuring(() => {
      const first = statsRunner(t.services, workspaceId).prepared(sql, params)
      announceLocally(`ws:${workspaceId}`)
      const second = statsRunner(t.services, workspaceId).prepared(sql, params)
      return Promise.all([first, second])
    })
    expect(statements).toBe(2)
    expect(statementCoalescing(t.services).joined - before).toBe(0)
  })

  it('given the same shape for two workspaces at once, when answered, then each workspace gets its own statement and rows', async () => {
    const mine = statement(workspaceId)
    const theirs = statement(other)
    expect(theirs.sql).toBe(mine.sql)
    const { result, statements } = await statementsDuring(() =>
      Promise.all([
        statsRunner(t.services, workspaceId).prepared(mine.sql, mine.params),
        statsRunner(t.services, other).prepared(theirs.sql, theirs.params),
      ]),
    )
    expect(statements).toBe(2)
    expect(result[0]).not.toBe(result[1])
  })
})
