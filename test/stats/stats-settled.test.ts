import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import { ok } from '../graphql/graphql-helpers.ts'
import { globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { insertAccounts, insertStatRows } from './stats-seed.ts'

// Noon UTC on 20 April 2026. Smartico settles a day 7 full days after it (through 12 April); SoftSwiss programs
// are taken to settle a month 15 days after it closes (through 31 March); an account on Kiritimati (UTC+14) is
// already on 21 April.
const NOW = '2026-04-20T12:00:00Z'

const STATS = `query Stats($input: StatsInput!) {
  stats(input: $input) {
    settledThrough
    rows { nodes { periodStart periodEnd accountId settled clicks } }
  }
}`
const ACCOUNT_STATS = `query AccountStats($id: ID!, $input: StatsInput!) {
  node(id: $id) { ... on Account { stats(input: $input) { settledThrough rows { nodes { periodEnd settled } } } } }
}`
const PLATFORM = `query Platform($id: ID!) {
  platform(id: $id) {
    revisionHorizon { kind days monthCloseAfterDays isDefault settledThrough evidence { id topic confidence } }
  }
}`

interface Row {
  periodStart: string
  periodEnd: string
  accountId: string | null
  settled: boolean
  clicks: number | null
}
interface StatsData {
  stats: { settledThrough: string | null; rows: { nodes: Row[] } }
}

let t: TestApp
let token: string
let smartico: string
let softswiss: string
let kiritimati: string

beforeAll(async () => {
  t = await createTestApp({ overrides: { clock: fixedClock(NOW) } })
  const ws = await t.workspace('stats-settled')
  token = ws.token
  ;[smartico, softswiss, kiritimati] = (
    await insertAccounts(t.db, ws.id, [
      { platformId: 'smartico', tags: ['cpa'] },
      { platformId: 'softswiss', tags: ['revshare'] },
      { platformId: 'smartico', timeZone: 'Pacific/Kiritimati', tags: ['far'] },
    ])
  ).map((id) => globalId('Account', id)) as [string, string, string]
  const days = ['2026-03-31', '2026-04-01', '2026-04-11', '2026-04-12', '2026-04-13', '2026-04-14']
  await insertStatRows(
    t.db,
    ws.id,
    [smartico, softswiss, kiritimati].flatMap((accountId) =>
      days.map((day) => ({ accountId, day, clicks: 1 })),
    ),
  )
})

afterAll(async () => {
  await t?.close()
})

const stats = async (input: Record<string, unknown>) =>
  (await ok<StatsData>(t, token, STATS, { input })).stats
const settledByDay = (rows: Row[], accountId: string | null) =>
  Object.fromEntries(rows.filter((r) => r.accountId === accountId).map((r) => [r.periodEnd, r.settled]))

describe(`settled stats rows on ${TEST_DATABASE_KIND}`, () => {
  it('given a clock, when rows are grouped by account and day, then each row is settled up to its own platform horizon', async () => {
    const result = await stats({
      range: { from: '2026-03-31', to: '2026-04-14' },
      granularity: 'DAY',
      groupBy: ['ACCOUNT'],
    })
    expect(settledByDay(result.rows.nodes, smartico)).toEqual({
      '2026-03-31': true,
      '2026-04-01': true,
      '2026-04-11': true,
      '2026-04-12': true,
      '2026-04-13': false,
      '2026-04-14': false,
    })
    expect(settledByDay(result.rows.nodes, softswiss)).toEqual({
      '2026-03-31': true,
      '2026-04-01': false,
      '2026-04-11': false,
      '2026-04-12': false,
      '2026-04-13': false,
      '2026-04-14': false,
    })
    // Its own day is 21 April: one more day has settled than for the UTC account of the same platform.
    expect(settledByDay(result.rows.nodes, kiritimati)).toMatchObject({
      '2026-04-13': true,
      '2026-04-14': false,
    })
    expect(result.settledThrough).toBe('2026-03-31')
  })

  it('given rows over several platforms, when not grouped by account, then a row is settled only when every account is', async () => {
    const result = await stats({ range: { from: '2026-03-31', to: '2026-04-14' }, granularity: 'DAY' })
    expect(settledByDay(result.rows.nodes, null)).toMatchObject({ '2026-03-31': true, '2026-04-01': false })

    const cpa = await stats({
      range: { from: '2026-03-31', to: '2026-04-14' },
      granularity: 'DAY',
      filter: { platformIds: ['smartico'] },
    })
    expect(cpa.settledThrough).toBe('2026-04-12')
    expect(settledByDay(cpa.rows.nodes, null)).toMatchObject({ '2026-04-12': true, '2026-04-13': false })
  })

  it('given a period that ends after the last settled day, when summed by month, then the whole row is provisional', async () => {
    const result = await stats({
      range: { from: '2026-03-01', to: '2026-04-30' },
      granularity: 'MONTH',
      groupBy: ['ACCOUNT'],
      filter: { accountIds: [smartico, softswiss] },
    })
    expect(settledByDay(result.rows.nodes, smartico)).toEqual({ '2026-03-31': true, '2026-04-30': false })
    expect(settledByDay(result.rows.nodes, softswiss)).toEqual({ '2026-03-31': true, '2026-04-30': false })
  })

  it('given Account.stats, when its rows are read, then they are settled by that account alone', async () => {
    const data = await ok<{ node: { stats: StatsData['stats'] } }>(t, token, ACCOUNT_STATS, {
      id: smartico,
      input: { range: { from: '2026-04-12', to: '2026-04-13' }, granularity: 'DAY' },
    })
    expect(data.node.stats.settledThrough).toBe('2026-04-12')
    expect(data.node.stats.rows.nodes).toEqual([
      { periodEnd: '2026-04-12', settled: true },
      { periodEnd: '2026-04-13', settled: false },
    ])
  })

  it('given a platform, when its horizon is read, then it names its kind, its evidence and its last settled day', async () => {
    const softSwiss = await ok<{ platform: { revisionHorizon: Record<string, unknown> } }>(
      t,
      token,
      PLATFORM,
      {
        id: 'softswiss',
      },
    )
    expect(softSwiss.platform.revisionHorizon).toEqual({
      kind: 'MONTH_CLOSE',
      days: null,
      monthCloseAfterDays: 15,
      isDefault: false,
      settledThrough: '2026-03-31',
      evidence: { id: 'revisions', topic: 'REVISIONS', confidence: 'ASSUMED' },
    })
    const cj = await ok<{ platform: { revisionHorizon: Record<string, unknown> } }>(t, token, PLATFORM, {
      id: 'cj',
    })
    expect(cj.platform.revisionHorizon).toMatchObject({ kind: 'MONTH_CLOSE', monthCloseAfterDays: 41 })
  })
})
