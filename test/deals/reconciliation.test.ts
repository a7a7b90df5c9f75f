import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import type { PlatformSimulator, ScriptedDay, TruthAccountSpec } from '../../src/sdk/index.ts'
import { writeReport } from '../../src/stats/stat-writer.ts'
import { insertRates } from '../stats/stats-seed.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { connectSimulatorAccount } from './deal-test-support.ts'

/**
 * Deals, payments and reconciliation over statistics synced from the platform simulators (the real plugins
 * reading their wire formats): scripted days, so that every expected figure can be worked out by hand below.
 * "Today" is 2026-11-20 (injected); a month's commission is due its last day + the deal's net days.
 */
const NOW = '2026-11-20T12:00:00Z'

const SET_TERMS = /* GraphQL */ `
  mutation ($input: SetDealTermsInput!) {
    setDealTerms(input: $input) {
      __typename
      ... on SetDealTermsSuccess { deal { id versions { validFrom validTo } } version { id } }
      ... on UserError { code fields { path message } }
    }
  }
`
const RECORD = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on RecordPaymentSuccess { payment { id month amount { amount currency } source } }
      ... on UserError { code fields { path message } }
    }
  }
`
const RECONCILE = /* GraphQL */ `
  query ($from: String!, $to: String!, $ids: [ID!], $currency: CurrencyCode) {
    reconciliation(fromMonth: $from, toMonth: $to, accountIds: $ids, reportCurrency: $currency) {
      rows {
        account { label }
        month status owedFrom dueOn daysOverdue
        owed { amount } reported { amount } expected { amount } expectedUpperBound { amount }
        difference { amount } paid { amount } outstanding { amount } currency
        reasons { code count amount { amount } }
        breakdown {
          ftds qualifiedCpas netRevenue { amount } cpa { amount } revenueShare { amount } fees { amount }
          carriedIn { amount } carriedOut { amount } tierPercents versionsInForce
        }
        inReportCurrency { rate rateDay owed { amount currency } paid { amount } outstanding { amount } }
      }
    }
  }
`

interface Row {
  account: { label: string }
  month: string
  status: string
  owedFrom: string
  dueOn: string
  daysOverdue: number
  owed: { amount: string } | null
  reported: { amount: string } | null
  expected: { amount: string } | null
  expectedUpperBound: { amount: string } | null
  difference: { amount: string } | null
  paid: { amount: string }
  outstanding: { amount: string } | null
  currency: string
  reasons: { code: string; count: number | null; amount: { amount: string } | null }[]
  breakdown: {
    ftds: number | null
    qualifiedCpas: number | null
    netRevenue: { amount: string } | null
    cpa: { amount: string } | null
    revenueShare: { amount: string } | null
    fees: { amount: string }
    carriedIn: { amount: string }
    carriedOut: { amount: string }
    tierPercents: string[]
    versionsInForce: string[]
  } | null
  inReportCurrency: {
    rate: string | null
    rateDay: string | null
    owed: { amount: string; currency: string } | null
    paid: { amount: string } | null
    outstanding: { amount: string } | null
  } | null
}

const spec = (key: string, scripted: Record<string, ScriptedDay>): TruthAccountSpec => ({
  key,
  brands: ['Lucky'],
  currencies: ['EUR'],
  scripted,
})

describe(`deals and reconciliation on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let ws: { id: string; token: string }
  const sims: PlatformSimulator[] = []
  const ids: Record<string, string> = {}

  const gql = async <T>(query: string, variables: Record<string, unknown>) => {
    const res = await t.gql<T>(query, variables, ws.token)
    expect(res.body.errors, JSON.stringify(res.body.errors) + t.logs.text().slice(-3000)).toBeUndefined()
    return res.body.data as T
  }
  const setTerms = async (input: Record<string, unknown>) => {
    const data = await gql<{ setDealTerms: { __typename: string } }>(SET_TERMS, { input })
    expect(data.setDealTerms.__typename, JSON.stringify(data)).toBe('SetDealTermsSuccess')
    return data.setDealTerms as unknown as {
      deal: { id: string; versions: { validFrom: string; validTo: string | null }[] }
    }
  }
  const pay = async (input: Record<string, unknown>) => {
    const data = await gql<{ recordPayment: { __typename: string } }>(RECORD, { input })
    expect(data.recordPayment.__typename, JSON.stringify(data)).toBe('RecordPaymentSuccess')
  }
  const reconcile = async (label: string, currency?: string) => {
    const data = await gql<{ reconciliation: { rows: Row[] } }>(RECONCILE, {
      from: '2026-08',
      to: '2026-10',
      ids: [ids[label]],
      currency,
    })
    return data.reconciliation.rows
  }
  const overdueAlerts = async (label: string) =>
    (
      await gql<{
        alerts: {
          nodes: {
            status: string
            title: string
            reasons: string[]
            beforeMoney: { amount: string; currency: string } | null
            account: { label: string }
          }[]
        }
      }>(
        `{ alerts(first: 20, filter: { kinds: [PAYMENT_OVERDUE] }) {
            nodes { status title reasons beforeMoney { amount currency } account { label } } } }`,
        {},
      )
    ).alerts.nodes
      .filter((a) => a.account.label === label)
      .map(({ account: _, ...rest }) => rest)
  const month = (rows: Row[], m: string) => {
    const row = rows.find((r) => r.month === m)
    if (!row) throw new Error(`no row for ${m}: ${JSON.stringify(rows.map((r) => r.month))}`)
    return row
  }

  /** Connects the simulator's account and stores August to October as the plugin reads them. */
  async function connectAndSync(platformId: string, sim: PlatformSimulator, label: string) {
    const { platform, connection, accountId, id } = await connectSimulatorAccount(
      t,
      ws.id,
      platformId,
      sim,
      label,
    )
    ids[label] = id
    for (const window of [
      { from: '2026-08-01', to: '2026-08-31' },
      { from: '2026-09-01', to: '2026-09-30' },
      { from: '2026-10-01', to: '2026-10-31' },
    ]) {
      const rows = await t.services.runner.fetchReport(platform, connection, window, {
        accountKey: accountId,
      })
      await writeReport(t.db.fork(), { workspaceId: ws.id, accountId, window, rows })
    }
  }

  beforeAll(async () => {
    t = await createTestApp({ overrides: { clock: fixedClock(NOW) } })
    ws = await t.workspace('deals')
    const cellxpert = t.registry.get('cellxpert')!.definition.simulator
    const softswiss = t.registry.get('softswiss')!.definition.simulator
    const clock = fixedClock(NOW)
    // Cellxpert reports qualified FTDs (qftd → cpaCount); SoftSwiss reports FTDs but no qualified count.
    const cpa = await cellxpert.create({
      seed: 'deals-cpa',
      clock,
      accounts: [
        spec('cpa', {
          '2026-08-03': { ftds: 12, cpaCount: 10, commission: '1000' },
          '2026-08-17': { ftds: 18, cpaCount: 14, commission: '1300' },
          '2026-09-10': { ftds: 10, cpaCount: 8, commission: '800' },
          '2026-09-20': { ftds: 6, cpaCount: 5, commission: '600' },
        }),
      ],
    })
    const revenue = {
      '2026-08-05': { ftds: 12, netRevenue: '10000' },
      '2026-09-05': { ftds: 5, netRevenue: '-4000' },
      '2026-10-05': { ftds: 30, netRevenue: '6000' },
    }
    const plain = await softswiss.create({
      seed: 'deals-rs',
      clock,
      accounts: [
        spec('rs-plain', {
          '2026-08-05': { ...revenue['2026-08-05'], commission: '3000' },
          '2026-09-05': { ...revenue['2026-09-05'], commission: '0' },
          '2026-10-05': { ...revenue['2026-10-05'], commission: '2100' },
        }),
      ],
    })
    const carry = await softswiss.create({
      seed: 'deals-nco',
      clock,
      accounts: [
        spec('rs-carry', {
          '2026-08-05': { ...revenue['2026-08-05'], commission: '3000' },
          '2026-09-05': { ...revenue['2026-09-05'], commission: '0' },
          '2026-10-05': { ...revenue['2026-10-05'], commission: '700' },
        }),
      ],
    })
    const unknown = await softswiss.create({
      seed: 'deals-unknown',
      clock,
      accounts: [spec('cpa-unknown', { '2026-08-11': { ftds: 30, commission: '1200' } })],
    })
    sims.push(cpa, plain, carry, unknown)
    await connectAndSync('cellxpert', cpa, 'CPA casino')
    await connectAndSync('softswiss', plain, 'Rev share casino')
    await connectAndSync('softswiss', carry, 'Carry-over casino')
    await connectAndSync('softswiss', unknown, 'Unverified CPA casino')
    // ECB-style reference rates: 1 EUR = 1.10 USD at the end of August, 1.05 USD at the end of September.
    await insertRates(t.db, [
      { day: '2026-08-31', currency: 'USD', rate: '1.1' },
      { day: '2026-09-30', currency: 'USD', rate: '1.05' },
      { day: '2026-10-30', currency: 'USD', rate: '1.08' },
    ])
  }, 120_000)

  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()))
    await t?.close()
  })

  it('given a CPA deal with a minimum first deposit and a platform that counts qualified FTDs, when reconciled, then only the qualified ones are expected and the shortfall is explained', async () => {
    await setTerms({
      accountId: ids['CPA casino'],
      validFrom: '2026-08-01',
      terms: { currency: 'EUR', cpa: { amount: '100', qualification: { minFirstDeposit: '20' } } },
      note: 'IO 2026-07-28',
    })
    const aug = month(await reconcile('CPA casino'), '2026-08')
    // August: FTDs 12 + 18 = 30, qualified 10 + 14 = 24 → expected 24 × 100 = 2400 EUR.
    // Reported 1000 + 1300 = 2300 → difference 2300 − 2400 = −100.
    // The 30 − 24 = 6 FTDs below qualification would have earned 6 × 100 = 600.
    expect(aug.breakdown).toMatchObject({ ftds: 30, qualifiedCpas: 24, cpa: { amount: '2400.00' } })
    expect([aug.expected?.amount, aug.reported?.amount, aug.difference?.amount]).toEqual([
      '2400.00',
      '2300.00',
      '-100.00',
    ])
    expect(aug.reasons).toEqual([
      { code: 'FTDS_BELOW_QUALIFICATION', count: 6, amount: { amount: '600.00' } },
    ])
    // Nothing paid; due 2026-08-31 + 30 days = 2026-09-30; on 2026-11-20 that is 51 days overdue.
    expect([aug.owedFrom, aug.status, aug.dueOn, aug.daysOverdue]).toEqual([
      'REPORTED',
      'OVERDUE',
      '2026-09-30',
      51,
    ])
  })

  it('given a deal whose CPA changes mid-month, when reconciled, then each part of the month is paid at the terms in force on its days', async () => {
    const { deal } = await setTerms({
      accountId: ids['CPA casino'],
      validFrom: '2026-09-16',
      terms: { currency: 'EUR', cpa: { amount: '120', qualification: { minFirstDeposit: '20' } } },
    })
    expect(deal.versions).toEqual([
      { validFrom: '2026-08-01', validTo: '2026-09-15' },
      { validFrom: '2026-09-16', validTo: null },
    ])
    const sep = month(await reconcile('CPA casino'), '2026-09')
    // 1–15 September at 100: 8 qualified on the 10th → 800. From the 16th at 120: 5 qualified on the 20th → 600.
    // Expected 800 + 600 = 1400 = reported 800 + 600 → difference 0. FTDs below: (10 − 8) × 100 + (6 − 5) × 120 = 320.
    expect([sep.expected?.amount, sep.reported?.amount, sep.difference?.amount]).toEqual([
      '1400.00',
      '1400.00',
      '0.00',
    ])
    expect(sep.breakdown?.versionsInForce).toEqual(['2026-08-01', '2026-09-16'])
    expect(sep.reasons.map((r) => [r.code, r.count, r.amount?.amount ?? null])).toEqual([
      ['TERMS_CHANGED_MID_MONTH', 2, null],
      ['FTDS_BELOW_QUALIFICATION', 3, '320.00'],
    ])
  })

  it('given a payment short by 150, when reconciled and alerted, then the month is SHORT by exactly that and an alert fires until the rest is paid', async () => {
    await pay({
      accountId: ids['CPA casino'],
      month: '2026-08',
      amount: '2300',
      currency: 'EUR',
      paidOn: '2026-09-25',
      reference: 'BANK-0825',
    })
    await pay({
      accountId: ids['CPA casino'],
      month: '2026-09',
      amount: '1250',
      currency: 'EUR',
      paidOn: '2026-10-28',
      reference: 'BANK-1028',
    })
    const rows = await reconcile('CPA casino', 'USD')
    const aug = month(rows, '2026-08')
    expect([aug.status, aug.paid.amount, aug.outstanding?.amount]).toEqual(['PAID', '2300.00', '0.00'])
    // In USD at the 2026-08-31 rate 1.1: owed 2300 × 1.1 = 2530.
    expect(aug.inReportCurrency).toMatchObject({
      rate: '1.1',
      rateDay: '2026-08-31',
      owed: { amount: '2530.00', currency: 'USD' },
    })
    const sep = month(rows, '2026-09')
    // Owed 1400 (reported), paid 1250 → 150 outstanding; due 2026-09-30 + 30 = 2026-10-30, 21 days ago.
    expect([sep.status, sep.paid.amount, sep.outstanding?.amount, sep.dueOn, sep.daysOverdue]).toEqual([
      'SHORT',
      '1250.00',
      '150.00',
      '2026-10-30',
      21,
    ])
    // At the 2026-09-30 rate 1.05: 150 × 1.05 = 157.50 USD outstanding.
    expect(sep.inReportCurrency?.outstanding?.amount).toBe('157.50')

    const created = await gql<{ createAlertRule: { __typename: string } }>(
      `mutation ($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { __typename } }`,
      { input: { name: 'Payments', kind: 'PAYMENT_OVERDUE', targetAccountIds: [ids['CPA casino']] } },
    )
    expect(created.createAlertRule.__typename).toBe('CreateAlertRuleSuccess')
    const alerts = async () =>
      (
        await gql<{ alerts: { nodes: { status: string; title: string; reasons: string[] }[] } }>(
          `{ alerts(first: 20, filter: { kinds: [PAYMENT_OVERDUE] }) { nodes { status title reasons } } }`,
          {},
        )
      ).alerts.nodes
    expect(await alerts()).toEqual([
      {
        status: 'OPEN',
        title: 'CPA casino: September 2026 paid short, EUR 1250.00 of EUR 1400.00 (EUR 150.00 outstanding)',
        reasons: ['SHORT'],
      },
    ])
    await pay({
      accountId: ids['CPA casino'],
      month: '2026-09',
      amount: '150',
      currency: 'EUR',
      paidOn: '2026-11-19',
      reference: 'BANK-1119',
    })
    expect((await alerts()).map((a) => a.status)).toEqual(['RESOLVED'])
    expect(month(await reconcile('CPA casino'), '2026-09').status).toBe('PAID')
  })

  it('given a tiered revenue share without carry-over, when a month is negative, then it earns nothing and the next month is paid in full at its tier', async () => {
    await setTerms({
      accountId: ids['Rev share casino'],
      validFrom: '2026-01-01',
      terms: {
        currency: 'EUR',
        revenueShare: {
          tierBasis: 'FTDS',
          tiers: [
            { from: '0', percent: '25' },
            { from: '11', percent: '30' },
            { from: '26', percent: '35' },
          ],
          negativeCarryOver: false,
        },
      },
    })
    const rows = await reconcile('Rev share casino')
    // August: 12 FTDs reach the 30 % tier: 10000 × 30 % = 3000.
    // September: NGR −4000 → 0 (no carry-over). October: 30 FTDs → 35 %: 6000 × 35 % = 2100.
    expect(rows.map((r) => [r.month, r.expected?.amount, r.breakdown?.tierPercents])).toEqual([
      ['2026-08', '3000.00', ['30']],
      ['2026-09', '0.00', ['25']],
      ['2026-10', '2100.00', ['35']],
    ])
    expect(month(rows, '2026-09').reasons.map((r) => [r.code, r.amount?.amount])).toEqual([
      ['NEGATIVE_MONTH', '-4000.00'],
    ])
    // August unpaid: due 2026-09-30, 51 days overdue. September owes nothing. October due 2026-11-30: not yet.
    expect(rows.map((r) => [r.month, r.status, r.daysOverdue])).toEqual([
      ['2026-08', 'OVERDUE', 51],
      ['2026-09', 'NOTHING_OWED', 0],
      ['2026-10', 'NOT_DUE', 0],
    ])
    // The overdue month raises an alert (grace of 3 days long past); the CSV import below pays it and resolves it.
    const created = await gql<{ createAlertRule: { __typename: string } }>(
      `mutation ($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { __typename } }`,
      {
        input: {
          name: 'Late revenue share',
          kind: 'PAYMENT_OVERDUE',
          settings: { graceDays: 3 },
          targetAccountIds: [ids['Rev share casino']],
        },
      },
    )
    expect(created.createAlertRule.__typename).toBe('CreateAlertRuleSuccess')
    expect(await overdueAlerts('Rev share casino')).toEqual([
      {
        status: 'OPEN',
        title: 'Rev share casino: August 2026 commission of EUR 3000.00 is 51 days overdue',
        reasons: ['OVERDUE'],
        beforeMoney: { amount: '3000.00', currency: 'EUR' },
      },
    ])
  })

  it('given the same figures under negative carry-over, when reconciled, then September’s loss is offset against October before the share', async () => {
    await setTerms({
      accountId: ids['Carry-over casino'],
      validFrom: '2026-01-01',
      terms: {
        currency: 'EUR',
        revenueShare: {
          tiers: [
            { from: '0', percent: '25' },
            { from: '11', percent: '30' },
            { from: '26', percent: '35' },
          ],
          negativeCarryOver: true,
        },
        paymentTermsDays: 15,
      },
    })
    const rows = await reconcile('Carry-over casino')
    // September: −4000 carried out. October: 30 FTDs → 35 %; base 6000 − 4000 = 2000 → 6000 × 35 % − 4000 × 35 %
    // = 2100 − 1400 = 700, which is what the program reported.
    const oct = month(rows, '2026-10')
    expect(month(rows, '2026-09').breakdown?.carriedOut.amount).toBe('-4000.00')
    expect([oct.breakdown?.carriedIn.amount, oct.expected?.amount, oct.difference?.amount]).toEqual([
      '-4000.00',
      '700.00',
      '0.00',
    ])
    expect(oct.reasons.map((r) => [r.code, r.amount?.amount])).toEqual([['CARRY_OVER_APPLIED', '-4000.00']])
    // Net 15: October is due 2026-10-31 + 15 = 2026-11-15, five days ago, nothing paid.
    expect([oct.status, oct.dueOn, oct.daysOverdue]).toEqual(['OVERDUE', '2026-11-15', 5])
  })

  it('given a CPA with a qualification on a platform that reports no qualified count, when reconciled, then the CPA is not guessed but bounded', async () => {
    await setTerms({
      accountId: ids['Unverified CPA casino'],
      validFrom: '2026-08-01',
      terms: { currency: 'EUR', cpa: { amount: '50', qualification: { minFirstDeposit: '20' } } },
    })
    const aug = month(await reconcile('Unverified CPA casino'), '2026-08')
    // 30 FTDs, none known to qualify: at most 30 × 50 = 1500; the program reported 1200.
    expect([aug.expected, aug.expectedUpperBound?.amount, aug.reported?.amount, aug.difference]).toEqual([
      null,
      '1500.00',
      '1200.00',
      null,
    ])
    expect(aug.reasons.map((r) => r.code)).toEqual(['QUALIFIED_COUNT_NOT_REPORTED'])
    expect(aug.owedFrom).toBe('REPORTED')
  })

  it('given terms that are not valid, when set, then the error names the input field and nothing is stored', async () => {
    const res = await t.gql<{ setDealTerms: { __typename: string; fields: { path: string[] }[] } }>(
      SET_TERMS,
      {
        input: {
          accountId: ids['Unverified CPA casino'],
          validFrom: '2026-12-01',
          terms: {
            currency: 'EUR',
            revenueShare: {
              tiers: [
                { from: '0', percent: '25' },
                { from: '0', percent: '30' },
              ],
            },
          },
        },
      },
      ws.token,
    )
    expect(res.body.data?.setDealTerms.__typename).toBe('InvalidArgumentError')
    expect(res.body.data?.setDealTerms.fields[0]?.path).toEqual([
      'input',
      'terms',
      'revenueShare',
      'tiers',
      '1',
      'from',
    ])
    const versions = await t.db.query<{ n: number }>(
      `select count(*)::int as n from deal_version v join deal d on d.id = v.deal_id
        join account a on a.id = d.account_id where a.label = 'Unverified CPA casino'`,
    )
    expect(versions[0]?.n).toBe(1)

    // A payment dated after today (2026-11-20, or 21 somewhere east) is one not yet made.
    const future = await t.gql<{ recordPayment: { __typename: string; fields: { path: string[] }[] } }>(
      RECORD,
      {
        input: {
          accountId: ids['Unverified CPA casino'],
          month: '2026-10',
          amount: '10',
          currency: 'EUR',
          paidOn: '2026-11-23',
        },
      },
      ws.token,
    )
    expect(future.body.data?.recordPayment.__typename).toBe('InvalidArgumentError')
    expect(future.body.data?.recordPayment.fields[0]?.path).toEqual(['input', 'paidOn'])
  })

  it('given a CSV statement imported twice, when reconciled, then each payment counts once and bad rows name their columns', async () => {
    const csv = [
      'account,month,amount,currency,paid_on,reference',
      `Rev share casino,2026-08,"3,000.00",EUR,2026-10-02,STMT-08`,
      `Rev share casino,2026-13,100,EUR,2026-10-02,STMT-BAD`,
      `Rev share casino,2026-10,100,EUR,2026-12-24,STMT-LATER`,
    ].join('\n')
    const IMPORT = `mutation ($csv: String!) { importPayments(input: { csv: $csv }) {
      __typename ... on ImportPaymentsSuccess { created updated rejected rows { line outcome errors } } } }`
    const first = await gql<{ importPayments: Record<string, unknown> }>(IMPORT, { csv })
    expect(first.importPayments).toMatchObject({ created: 1, updated: 0, rejected: 2 })
    expect((first.importPayments.rows as { errors: string[] }[]).slice(1).map((r) => r.errors)).toEqual([
      ['month: must be the month paid for, written YYYY-MM'],
      ['paid_on: must not be in the future'],
    ])
    const again = await gql<{ importPayments: Record<string, unknown> }>(IMPORT, { csv })
    expect(again.importPayments).toMatchObject({ created: 0, updated: 1, rejected: 2 })
    const aug = month(await reconcile('Rev share casino'), '2026-08')
    expect([aug.status, aug.paid.amount]).toEqual(['PAID', '3000.00'])
    expect((await overdueAlerts('Rev share casino')).map((a) => a.status)).toEqual(['RESOLVED'])
  })
})
