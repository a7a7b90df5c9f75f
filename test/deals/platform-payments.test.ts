import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import { addDecimals, type PlatformSimulator, type TruthAccountSpec } from '../../src/sdk/index.ts'
import { writeReport } from '../../src/stats/stat-writer.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { connectSimulatorAccount } from './deal-test-support.ts'

/**
 * Payments read from a platform (Everflow's affiliate invoices, on its simulator) through `fetchPlatformPayments`,
 * listed by `payments` and counted by `reconciliation`. "Today" is 2026-11-10: the simulator invoices every ended
 * month with a payout and pays it on the 15th of the next month, so August and September are paid (09-15, 10-15)
 * and October's invoice (paid 11-15) is still listed as unpaid.
 */
const NOW = '2026-11-10T12:00:00Z'

const FETCH = /* GraphQL */ `
  mutation ($input: FetchPlatformPaymentsInput!) {
    fetchPlatformPayments(input: $input) {
      __typename
      ... on FetchPlatformPaymentsSuccess { created updated }
      ... on UserError { code message fields { path message } }
    }
  }
`
const PAYMENTS = /* GraphQL */ `
  query ($ids: [ID!]) {
    payments(filter: { accountIds: $ids }, first: 100) {
      totalCount
      nodes { month amount { amount currency } paidOn source reference brand }
    }
  }
`
const RECONCILE = /* GraphQL */ `
  query ($from: String!, $to: String!, $ids: [ID!]) {
    reconciliation(fromMonth: $from, toMonth: $to, accountIds: $ids) {
      rows {
        month status currency
        owed { amount } reported { amount } paid { amount } outstanding { amount }
        payments { month amount { amount } paidOn source }
      }
    }
  }
`

interface FetchResult {
  __typename: string
  created?: number
  updated?: number
  code?: string
  message?: string
  fields?: { path: string[]; message: string }[]
}
interface PaymentNode {
  month: string
  amount: { amount: string; currency: string }
  paidOn: string | null
  source: string
  reference: string | null
  brand: string | null
}
interface ReconciliationRow {
  month: string
  status: string
  currency: string
  owed: { amount: string } | null
  reported: { amount: string } | null
  paid: { amount: string }
  outstanding: { amount: string } | null
  payments: { month: string; amount: { amount: string }; paidOn: string | null; source: string }[]
}

const spec = (key: string, scripted: TruthAccountSpec['scripted']): TruthAccountSpec => ({
  key,
  brands: ['Lucky'],
  currencies: ['EUR'],
  scripted,
})

// August 1000.50 + 499.50 = 1500.00, September 800.00, October 1200.25 (EUR commission).
const MAIN = spec('ef-main', {
  '2026-08-04': { clicks: 40, commission: '1000.50' },
  '2026-08-20': { clicks: 25, commission: '499.50' },
  '2026-09-12': { clicks: 30, commission: '800' },
  '2026-10-07': { clicks: 50, commission: '1200.25' },
})
const OTHER = spec('ef-other', { '2026-09-03': { clicks: 10, commission: '300' } })

const MONTHS = [
  { month: '2026-08', from: '2026-08-01', to: '2026-08-31' },
  { month: '2026-09', from: '2026-09-01', to: '2026-09-30' },
  { month: '2026-10', from: '2026-10-01', to: '2026-10-31' },
]

describe(`platform payments (everflow invoices) on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let ws: { id: string; token: string }
  let everflow: PlatformSimulator
  let softswiss: PlatformSimulator
  const ids: Record<string, string> = {}
  const dbIds: Record<string, string> = {}

  const gql = async <T>(query: string, variables: Record<string, unknown>) => {
    const res = await t.gql<T>(query, variables, ws.token)
    expect(res.body.errors, JSON.stringify(res.body.errors) + t.logs.text().slice(-3000)).toBeUndefined()
    return res.body.data as T
  }
  const fetchPayments = async (label: string, fromMonth = '2026-08', toMonth = '2026-10') =>
    (
      await gql<{ fetchPlatformPayments: FetchResult }>(FETCH, {
        input: { accountId: ids[label], fromMonth, toMonth },
      })
    ).fetchPlatformPayments
  const listPayments = async (label: string) =>
    (await gql<{ payments: { totalCount: number; nodes: PaymentNode[] } }>(PAYMENTS, { ids: [ids[label]] }))
      .payments
  /** The simulator's commission of the month, as its ground truth has it: what its invoice bills. */
  const truthOfMonth = (window: { from: string; to: string }) =>
    addDecimals(
      ...everflow
        .truth(MAIN.key, window)
        .map((r) => r.commission)
        .filter((a): a is string => a !== null),
    )

  async function connect(platformId: string, sim: PlatformSimulator, index: number, label: string) {
    const connected = await connectSimulatorAccount(t, ws.id, platformId, sim, label, index)
    ids[label] = connected.id
    dbIds[label] = connected.accountId
    return connected
  }

  beforeAll(async () => {
    t = await createTestApp({ overrides: { clock: fixedClock(NOW) } })
    ws = await t.workspace('payments')
    const clock = fixedClock(NOW)
    everflow = await t.registry.get('everflow')!.definition.simulator.create({
      seed: 'platform-payments',
      clock,
      accounts: [MAIN, OTHER],
    })
    softswiss = await t.registry.get('softswiss')!.definition.simulator.create({
      seed: 'platform-payments-ss',
      clock,
      accounts: [spec('ss-main', { '2026-09-05': { ftds: 3, commission: '100' } })],
    })
    const main = await connect('everflow', everflow, 0, 'Everflow main')
    // The statistics of the same months, stored as a sync would store them.
    for (const window of MONTHS) {
      const rows = await t.services.runner.fetchReport(main.platform, main.connection, window, {
        accountKey: main.accountId,
      })
      await writeReport(t.db.fork(), { workspaceId: ws.id, accountId: main.accountId, window, rows })
    }
    await connect('everflow', everflow, 1, 'Everflow other')
    await connect('softswiss', softswiss, 0, 'SoftSwiss casino')
  }, 120_000)

  afterAll(async () => {
    await everflow?.close()
    await softswiss?.close()
    await t?.close()
  })

  it('given an Everflow account, when its payments are fetched for August to October, then each invoice is a PLATFORM payment with the simulator’s amount, month and paid day', async () => {
    const before = everflow.log.length
    expect(await fetchPayments('Everflow main')).toEqual({
      __typename: 'FetchPlatformPaymentsSuccess',
      created: 3,
      updated: 0,
    })
    expect(everflow.log.length, 'the simulator was asked').toBeGreaterThan(before)
    // The figures worked out by hand from the scripted days agree with the simulator's own ground truth.
    expect(MONTHS.map((m) => truthOfMonth(m))).toEqual(
      ['1500.00', '800.00', '1200.25'].map((a) => addDecimals(a)),
    )
    const { totalCount, nodes } = await listPayments('Everflow main')
    expect(totalCount).toBe(3)
    const byMonth = [...nodes].sort((a, b) => (a.month < b.month ? -1 : 1))
    expect(byMonth.map(({ reference: _r, ...rest }) => rest)).toEqual([
      {
        month: '2026-08',
        amount: { amount: '1500.00', currency: 'EUR' },
        paidOn: '2026-09-15',
        source: 'PLATFORM',
        brand: null,
      },
      {
        month: '2026-09',
        amount: { amount: '800.00', currency: 'EUR' },
        paidOn: '2026-10-15',
        source: 'PLATFORM',
        brand: null,
      },
      // Paid on 2026-11-15, after "today": the platform lists the invoice as unpaid.
      {
        month: '2026-10',
        amount: { amount: '1200.25', currency: 'EUR' },
        paidOn: null,
        source: 'PLATFORM',
        brand: null,
      },
    ])
    // Each amount equals the simulator's ground truth for its month, to the cent.
    for (const [i, m] of MONTHS.entries())
      expect(Number(byMonth[i]!.amount.amount), m.month).toBe(Number(truthOfMonth(m)))
    // The references are the invoice numbers, in the platform's own namespace, one per invoice.
    const references = byMonth.map((p) => p.reference)
    expect(new Set(references).size).toBe(3)
    for (const reference of references) expect(reference).toMatch(/^platform:\d+$/)
  })

  it('given the payments already read, when fetched again, then nothing is duplicated and each is updated', async () => {
    const before = await listPayments('Everflow main')
    expect(await fetchPayments('Everflow main')).toEqual({
      __typename: 'FetchPlatformPaymentsSuccess',
      created: 0,
      updated: 3,
    })
    const after = await listPayments('Everflow main')
    expect(after.totalCount).toBe(3)
    const key = (p: PaymentNode) => `${p.reference} ${p.month} ${p.amount.amount} ${p.paidOn}`
    expect(after.nodes.map(key).sort()).toEqual(before.nodes.map(key).sort())
  })

  it('given the stored statistics of the same months, when reconciled, then invoices equal to the reported commission read PAID and the unpaid invoice is shown but not counted', async () => {
    const { reconciliation } = await gql<{ reconciliation: { rows: ReconciliationRow[] } }>(RECONCILE, {
      from: '2026-08',
      to: '2026-10',
      ids: [ids['Everflow main']],
    })
    const row = (month: string) => {
      const found = reconciliation.rows.find((r) => r.month === month)
      if (!found) throw new Error(`no row for ${month}: ${JSON.stringify(reconciliation.rows)}`)
      return found
    }
    for (const [month, amount, paidOn] of [
      ['2026-08', '1500.00', '2026-09-15'],
      ['2026-09', '800.00', '2026-10-15'],
    ] as const) {
      expect(row(month), month).toMatchObject({
        status: 'PAID',
        currency: 'EUR',
        reported: { amount },
        owed: { amount },
        paid: { amount },
        outstanding: { amount: '0.00' },
        payments: [{ month, amount: { amount }, paidOn, source: 'PLATFORM' }],
      })
    }
    // October: 1200.25 reported, invoiced but not yet paid; due 2026-10-31 + 30 days, so not yet due either.
    expect(row('2026-10')).toMatchObject({
      status: 'NOT_DUE',
      reported: { amount: '1200.25' },
      paid: { amount: '0.00' },
      outstanding: { amount: '1200.25' },
      payments: [{ month: '2026-10', amount: { amount: '1200.25' }, paidOn: null, source: 'PLATFORM' }],
    })
  })

  it('given an account on a platform that does not report payments, when its payments are fetched, then an InvalidArgumentError names input.accountId', async () => {
    expect(t.registry.get('softswiss')!.definition.capabilities.payments).toBeUndefined()
    const before = softswiss.log.length
    const result = await fetchPayments('SoftSwiss casino')
    expect(result).toMatchObject({ __typename: 'InvalidArgumentError', code: 'INVALID_ARGUMENT' })
    expect(result.fields?.map((f) => f.path)).toEqual([['input', 'accountId']])
    expect(softswiss.log.length, 'the platform was not asked').toBe(before)
    expect((await listPayments('SoftSwiss casino')).totalCount).toBe(0)
  })

  it('given a platform outage, when payments are fetched, then a PlatformUnavailableError comes back and nothing is stored', async () => {
    everflow.faults.inject('outage')
    let result: FetchResult
    try {
      result = await fetchPayments('Everflow other')
    } finally {
      everflow.faults.clear()
    }
    expect(everflow.faults.hits('outage'), 'the fault was met').toBeGreaterThan(0)
    expect(result).toMatchObject({ __typename: 'PlatformUnavailableError', code: 'PLATFORM_UNAVAILABLE' })
    expect(result.message?.length).toBeGreaterThan(10)
    expect(`${result.message}`).not.toContain(String(everflow.accounts[1]!.connection.apiKey))
    expect((await listPayments('Everflow other')).totalCount).toBe(0)
    const stored = await t.db.query<{ n: string | number }>(
      'select count(*) as n from payment where account_id = ?',
      [dbIds['Everflow other']],
    )
    expect(Number(stored[0]?.n)).toBe(0)
    // The other account's payments are untouched.
    expect((await listPayments('Everflow main')).totalCount).toBe(3)
  })
})
