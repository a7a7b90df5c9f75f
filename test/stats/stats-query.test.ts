import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, ok, send } from '../graphql/graphql-helpers.ts'
import { globalId } from '../support/global-ids.ts'
import { pageRows } from '../support/stats-pages.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { insertAccounts, insertStatRows } from './stats-seed.ts'

const MONEY = '{ amount }'
const FIGURES = `clicks impressions signups ftds salesCount commission ${MONEY} deposits ${MONEY} salesAmount ${MONEY}
  epc clickToSignup signupToFtd accountsContributing currency
  native { currency commission ${MONEY} deposits ${MONEY} salesAmount ${MONEY} }`
const STATS = `query Stats($input: StatsInput!) {
  stats(input: $input) {
    from to granularity groupBy currency
    rows { nodes { periodStart periodEnd accountId program platformId brand campaign tag ${FIGURES} } }
    totals { ${FIGURES} }
  }
}`

/** A money figure as selected here: the amount rounded to the minor unit (EUR and USD: cents). */
type Money = { amount: string } | null
const money = (amount: string) => ({ amount })

interface Figures {
  clicks: number | null
  impressions: number | null
  signups: number | null
  ftds: number | null
  salesCount: number | null
  commission: Money
  deposits: Money
  salesAmount: Money
  epc: string | null
  clickToSignup: string | null
  signupToFtd: string | null
  accountsContributing: number
  currency: string | null
  native: {
    currency: string
    commission: Money
    deposits: Money
    salesAmount: Money
  }[]
}
interface Row extends Figures {
  periodStart: string
  periodEnd: string
  accountId: string | null
  program: string | null
  platformId: string | null
  brand: string | null
  campaign: string | null
  tag: string | null
}
interface StatsData {
  stats: {
    from: string
    to: string
    granularity: string
    groupBy: string[]
    currency: string | null
    rows: { nodes: Row[] }
    totals: Figures
  }
}

let t: TestApp
let token: string
let a1: string
let a2: string
let a3: string

beforeAll(async () => {
  t = await createTestApp()
  const ws = await t.workspace('stats-query')
  token = ws.token
  ;[a1, a2, a3] = (
    await insertAccounts(t.db, ws.id, [
      {
        platformId: 'softswiss',
        programName: 'Acme Partners',
        baseUrl: 'https://aff.acme.example',
        tags: ['eu', 'casino'],
      },
      {
        platformId: 'softswiss',
        label: 'Bingo login',
        programName: null,
        baseUrl: 'https://Partners.Bingo.example:8443/login?next=1',
        tags: ['eu'],
      },
      { platformId: 'income-access', programName: 'Zed', tags: [] },
    ])
  ).map((id) => globalId('Account', id)) as [string, string, string]
  // Ratios differ per row on purpose: a sum of ratios would never give the expected ratio of sums.
  await insertStatRows(t.db, ws.id, [
    {
      accountId: a1,
      day: '2026-03-02',
      brand: 'Alpha',
      campaign: 'c1',
      currency: 'EUR',
      clicks: 100,
      signups: 12,
      ftds: 2,
      commission: '14',
      deposits: '100.10',
    },
    {
      accountId: a1,
      day: '2026-03-08',
      brand: 'Alpha',
      currency: 'EUR',
      clicks: 60,
      signups: 4,
      ftds: 2,
      commission: '6',
      deposits: '0.9',
    },
    {
      accountId: a1,
      day: '2026-04-01',
      brand: 'Beta',
      currency: 'EUR',
      clicks: 30,
      signups: 3,
      ftds: 0,
      commission: '0.3',
    },
    {
      accountId: a2,
      day: '2026-03-02',
      currency: 'USD',
      impressions: 1000,
      clicks: 200,
      signups: 4,
      ftds: 1,
      commission: '20',
    },
    {
      accountId: a2,
      day: '2026-03-09',
      currency: 'USD',
      impressions: 500,
      clicks: 0,
      signups: 0,
      ftds: 0,
      commission: '-5.5',
    },
    { accountId: a3, day: '2026-03-03', currency: 'EUR', clicks: 10, salesCount: 2, salesAmount: '19.99' },
    { accountId: a3, day: '2027-01-04', currency: 'EUR', clicks: 5, salesCount: 1, salesAmount: '5.01' },
  ])
})

afterAll(async () => {
  await t?.close()
})

const stats = async (input: Record<string, unknown>) =>
  pageRows((await ok<StatsData>(t, token, STATS, { input })).stats)
const march = { from: '2026-03-01', to: '2026-03-31' }
const pick = (rows: Row[], keys: (keyof Row)[]) =>
  rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])) as Partial<Row>)

describe(`stats(input) on ${TEST_DATABASE_KIND}`, () => {
  it('given rows whose per-row ratios differ, when grouped by account, then EPC and conversions are ratios of the sums', async () => {
    const result = await stats({ range: march, groupBy: ['ACCOUNT'] })
    const byAccount = new Map(result.rows.map((r) => [r.accountId, r]))
    expect(byAccount.get(a1)).toMatchObject({
      periodStart: '2026-03-01',
      periodEnd: '2026-03-31',
      currency: 'EUR',
      clicks: 160,
      signups: 16,
      ftds: 4,
      commission: money('20.00'),
      deposits: money('101.00'),
      epc: '0.1250',
      clickToSignup: '0.1000',
      signupToFtd: '0.2500',
      accountsContributing: 1,
    })
    expect(byAccount.get(a2)).toMatchObject({
      currency: 'USD',
      impressions: 1500,
      clicks: 200,
      commission: money('14.50'),
      epc: '0.0725',
      clickToSignup: '0.0200',
      signupToFtd: '0.2500',
    })
  })

  it('given metrics a platform does not provide, when summed, then they stay null (never 0) and the derived ratio is null', async () => {
    const result = await stats({ range: march, groupBy: ['ACCOUNT'] })
    const zed = result.rows.find((r) => r.accountId === a3)!
    expect(zed).toMatchObject({
      clicks: 10,
      signups: null,
      ftds: null,
      commission: null,
      impressions: null,
      salesCount: 2,
      salesAmount: money('19.99'),
      epc: null,
      clickToSignup: null,
      signupToFtd: null,
      accountsContributing: 1,
      native: [{ currency: 'EUR', commission: null, deposits: null, salesAmount: money('19.99') }],
    })
  })

  it('given no report currency, when grouped by ISO week, then money stays native with one row per currency and zero clicks give a null EPC', async () => {
    const result = await stats({ range: { from: '2026-03-01', to: '2026-03-15' }, granularity: 'WEEK' })
    expect(result.currency).toBeNull()
    expect(
      pick(result.rows, [
        'periodStart',
        'periodEnd',
        'currency',
        'clicks',
        'commission',
        'salesAmount',
        'epc',
        'accountsContributing',
      ]),
    ).toEqual([
      {
        periodStart: '2026-03-02',
        periodEnd: '2026-03-08',
        currency: 'EUR',
        clicks: 170,
        commission: money('20.00'),
        salesAmount: money('19.99'),
        epc: '0.1176',
        accountsContributing: 2,
      },
      {
        periodStart: '2026-03-02',
        periodEnd: '2026-03-08',
        currency: 'USD',
        clicks: 200,
        commission: money('20.00'),
        salesAmount: null,
        epc: '0.1000',
        accountsContributing: 1,
      },
      {
        periodStart: '2026-03-09',
        periodEnd: '2026-03-15',
        currency: 'USD',
        clicks: 0,
        commission: money('-5.50'),
        salesAmount: null,
        epc: null,
        accountsContributing: 1,
      },
    ])
    // Totals span two currencies: counts add up, money is only given per currency.
    expect(result.totals).toMatchObject({
      clicks: 370,
      commission: null,
      currency: null,
      accountsContributing: 3,
      native: [
        {
          currency: 'EUR',
          commission: money('20.00'),
          deposits: money('101.00'),
          salesAmount: money('19.99'),
        },
        { currency: 'USD', commission: money('14.50'), deposits: null, salesAmount: null },
      ],
    })
  })

  it('given a range starting mid-week, when grouped by week, then the first period is clipped to the range', async () => {
    const result = await stats({
      range: { from: '2026-03-04', to: '2026-03-10' },
      granularity: 'WEEK',
      filter: { accountIds: [a2] },
    })
    expect(pick(result.rows, ['periodStart', 'periodEnd', 'commission'])).toEqual([
      { periodStart: '2026-03-09', periodEnd: '2026-03-10', commission: money('-5.50') },
    ])
  })

  it('given months and platforms, when grouped by both, then each platform and currency is summed per month', async () => {
    const result = await stats({
      range: { from: '2026-03-01', to: '2026-04-30' },
      granularity: 'MONTH',
      groupBy: ['PLATFORM'],
    })
    expect(
      pick(result.rows, [
        'periodStart',
        'periodEnd',
        'platformId',
        'currency',
        'clicks',
        'commission',
        'accountsContributing',
      ]),
    ).toEqual([
      {
        periodStart: '2026-03-01',
        periodEnd: '2026-03-31',
        platformId: 'income-access',
        currency: 'EUR',
        clicks: 10,
        commission: null,
        accountsContributing: 1,
      },
      {
        periodStart: '2026-03-01',
        periodEnd: '2026-03-31',
        platformId: 'softswiss',
        currency: 'EUR',
        clicks: 160,
        commission: money('20.00'),
        accountsContributing: 1,
      },
      {
        periodStart: '2026-03-01',
        periodEnd: '2026-03-31',
        platformId: 'softswiss',
        currency: 'USD',
        clicks: 200,
        commission: money('14.50'),
        accountsContributing: 1,
      },
      {
        periodStart: '2026-04-01',
        periodEnd: '2026-04-30',
        platformId: 'softswiss',
        currency: 'EUR',
        clicks: 30,
        commission: money('0.30'),
        accountsContributing: 1,
      },
    ])
  })

  it('given two years, when grouped by year, then each calendar year is one period', async () => {
    const result = await stats({ range: { from: '2026-01-01', to: '2027-12-31' }, granularity: 'YEAR' })
    expect(
      pick(result.rows, ['periodStart', 'periodEnd', 'currency', 'clicks', 'commission', 'salesAmount']),
    ).toEqual([
      {
        periodStart: '2026-01-01',
        periodEnd: '2026-12-31',
        currency: 'EUR',
        clicks: 200,
        commission: money('20.30'),
        salesAmount: money('19.99'),
      },
      {
        periodStart: '2026-01-01',
        periodEnd: '2026-12-31',
        currency: 'USD',
        clicks: 200,
        commission: money('14.50'),
        salesAmount: null,
      },
      {
        periodStart: '2027-01-01',
        periodEnd: '2027-12-31',
        currency: 'EUR',
        clicks: 5,
        commission: null,
        salesAmount: money('5.01'),
      },
    ])
  })

  it('given days and brands, when grouped by day and brand, then a report without brands is the null brand', async () => {
    const result = await stats({
      range: { from: '2026-03-02', to: '2026-03-03' },
      granularity: 'DAY',
      groupBy: ['BRAND'],
    })
    expect(pick(result.rows, ['periodStart', 'periodEnd', 'brand', 'currency', 'clicks'])).toEqual([
      { periodStart: '2026-03-02', periodEnd: '2026-03-02', brand: null, currency: 'USD', clicks: 200 },
      { periodStart: '2026-03-02', periodEnd: '2026-03-02', brand: 'Alpha', currency: 'EUR', clicks: 100 },
      { periodStart: '2026-03-03', periodEnd: '2026-03-03', brand: null, currency: 'EUR', clicks: 10 },
    ])
  })

  it('given program names and base URLs, when grouped by program and campaign, then a nameless program is its label, never its host', async () => {
    const result = await stats({ range: march, groupBy: ['PROGRAM', 'CAMPAIGN'] })
    const rows = pick(result.rows, ['program', 'campaign', 'currency', 'clicks']).sort((x, y) =>
      `${x.program}|${x.campaign ?? ''}`.localeCompare(`${y.program}|${y.campaign ?? ''}`),
    )
    expect(rows).toEqual([
      { program: 'Acme Partners', campaign: null, currency: 'EUR', clicks: 60 },
      { program: 'Acme Partners', campaign: 'c1', currency: 'EUR', clicks: 100 },
      { program: 'Bingo login', campaign: null, currency: 'USD', clicks: 200 },
      { program: 'Zed', campaign: null, currency: 'EUR', clicks: 10 },
    ])
  })

  it('given an account with two tags, when grouped by tag, then it counts in both groups but once in the totals', async () => {
    const result = await stats({ range: march, groupBy: ['TAG'] })
    const rows = pick(result.rows, ['tag', 'currency', 'clicks', 'accountsContributing']).sort((x, y) =>
      `${x.tag ?? ''}|${x.currency}`.localeCompare(`${y.tag ?? ''}|${y.currency}`),
    )
    expect(rows).toEqual([
      { tag: null, currency: 'EUR', clicks: 10, accountsContributing: 1 },
      { tag: 'casino', currency: 'EUR', clicks: 160, accountsContributing: 1 },
      { tag: 'eu', currency: 'EUR', clicks: 160, accountsContributing: 1 },
      { tag: 'eu', currency: 'USD', clicks: 200, accountsContributing: 1 },
    ])
    expect(result.totals).toMatchObject({ clicks: 370, accountsContributing: 3 })
  })

  it('given a tag filter, when grouped by tag, then only the filtered tags form groups', async () => {
    const result = await stats({ range: march, groupBy: ['TAG'], filter: { tags: ['eu'] } })
    expect(pick(result.rows, ['tag', 'currency', 'clicks'])).toEqual([
      { tag: 'eu', currency: 'EUR', clicks: 160 },
      { tag: 'eu', currency: 'USD', clicks: 200 },
    ])
    expect(result.totals).toMatchObject({ clicks: 360, accountsContributing: 2 })
  })

  it('given platform, brand and account filters, when applied, then only matching rows are summed', async () => {
    const platform = await stats({ range: march, filter: { platformIds: ['income-access'] } })
    expect(platform.totals).toMatchObject({ clicks: 10, accountsContributing: 1 })
    const brand = await stats({
      range: { from: '2026-03-01', to: '2026-04-30' },
      filter: { brands: ['Alpha'] },
    })
    expect(brand.totals).toMatchObject({
      clicks: 160,
      commission: money('20.00'),
      currency: 'EUR',
      accountsContributing: 1,
    })
    const account = await stats({ range: march, filter: { accountIds: [a2] }, groupBy: ['ACCOUNT'] })
    expect(account.rows.map((r) => r.accountId)).toEqual([a2])
  })

  it('given figures selected through a fragment on the interface, when stats runs, then the counts it asks for are computed', async () => {
    const data = await ok<{
      stats: {
        rows: { nodes: { clicks: number; accountsContributing: number }[] }
        totals: { accountsContributing: number }
      }
    }>(
      t,
      token,
      `query($input: StatsInput!) { stats(input: $input) { rows { nodes { ...F } } totals { ...F } } }
       fragment F on StatsFigures { clicks accountsContributing }`,
      {
        input: {
          range: march,
          currency: 'USD',
          filter: { accountIds: [a1, a3] },
          granularity: 'MONTH',
          groupBy: ['PLATFORM'],
        },
      },
    )
    expect(data.stats.rows.nodes).toEqual([
      { clicks: 10, accountsContributing: 1 },
      { clicks: 160, accountsContributing: 1 },
    ])
    expect(data.stats.totals).toEqual({ clicks: 170, accountsContributing: 2 })
  })

  it('given a range with no stored days, when queried, then there are no rows and the totals are null with no account', async () => {
    const result = await stats({ range: { from: '2025-01-01', to: '2025-01-31' }, granularity: 'DAY' })
    expect(result.rows).toEqual([])
    expect(result.totals).toMatchObject({
      clicks: null,
      commission: null,
      accountsContributing: 0,
      native: [],
    })
  })

  it.each([
    ['a reversed range', { range: { from: '2026-03-31', to: '2026-03-01' } }, ['input', 'range', 'to']],
    ['a range over ten years', { range: { from: '2010-01-01', to: '2026-03-01' } }, ['input', 'range', 'to']],
    [
      'a malformed account id',
      { range: march, filter: { accountIds: ['abc'] } },
      ['input', 'filter', 'accountIds', '0'],
    ],
    [
      'FIXED_DATE without a date',
      { range: march, currency: 'EUR', fx: { policy: 'FIXED_DATE' } },
      ['input', 'fx', 'date'],
    ],
    ['a dimension twice', { range: march, groupBy: ['TAG', 'TAG'] }, ['input', 'groupBy']],
    [
      'too many tags',
      { range: march, filter: { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) } },
      ['input', 'filter', 'tags'],
    ],
  ])('given %s, when stats runs, then INVALID_ARGUMENT names the field', async (_, input, path) => {
    const response = await send(t, STATS, { input }, bearer(token))
    const error = response.body.errors?.[0]
    expect(error?.extensions?.code).toBe('INVALID_ARGUMENT')
    expect(error?.extensions?.fields).toContainEqual(expect.objectContaining({ path }))
    expect(response.body.data).toBeNull()
  })

  it.each([
    ['a lower-case code', 'eur'],
    ['a currency name', 'euro'],
    ['three letters ISO 4217 does not list', 'XYZ'],
    ['a number', 978],
  ])(
    'given %s as the report currency, when stats runs, then the CurrencyCode scalar refuses it naming input.currency',
    async (_, currency) => {
      const response = await send(t, STATS, { input: { range: march, currency } }, bearer(token))
      const error = response.body.errors?.[0]
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT')
      expect(error?.message).toMatch(/CurrencyCode must be an upper-case ISO 4217 currency code/)
      expect(error?.extensions?.fields).toEqual([
        { path: ['input', 'currency'], message: expect.stringMatching(/^CurrencyCode must be/) },
      ])
      expect(response.body.data).toBeUndefined()
    },
  )

  it('given a day that does not exist, when stats runs, then the Date scalar refuses it', async () => {
    const response = await send(
      t,
      STATS,
      { input: { range: { from: '2026-02-30', to: '2026-03-01' } } },
      bearer(token),
    )
    expect(response.body.errors?.[0]?.message).toMatch(/Date must be a calendar day/)
  })

  it('given a daily breakdown, when its rows are paged forward and back, then the pages join up to the whole answer with totalCount and pageInfo both ways', async () => {
    type Page = {
      totalCount: number
      pageInfo: {
        hasNextPage: boolean
        hasPreviousPage: boolean
        startCursor: string | null
        endCursor: string | null
      }
      edges: {
        cursor: string
        node: { periodStart: string; accountId: string | null; clicks: number | null }
      }[]
    }
    const input = { range: march, granularity: 'DAY', groupBy: ['ACCOUNT'] }
    const page = async (args: string, variables: Record<string, unknown> = {}) =>
      (
        await ok<{ stats: { rows: Page } }>(
          t,
          token,
          `query($input: StatsInput!${Object.keys(variables)
            .map((v) => `, $${v}: String`)
            .join('')}) {
            stats(input: $input) {
              rows${args ? `(${args})` : ''} { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
                edges { cursor node { periodStart accountId clicks } } } } }`,
          { input, ...variables },
        )
      ).stats.rows
    const key = (e: Page['edges'][number]) => `${e.node.periodStart}|${e.node.accountId}`
    const whole = await page('')
    expect(whole.totalCount).toBeGreaterThan(4)
    expect(whole.edges).toHaveLength(whole.totalCount)
    expect(whole.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false })
    // Figures asked through edges are computed like those asked through nodes.
    expect(whole.edges.every((e) => typeof e.node.clicks === 'number')).toBe(true)

    const first = await page('first: 3')
    const second = await page('first: 100, after: $after', { after: first.pageInfo.endCursor })
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false })
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true })
    expect([...first.edges, ...second.edges].map(key)).toEqual(whole.edges.map(key))

    const last = await page('last: 2')
    const before = await page('last: 100, before: $before', { before: last.pageInfo.startCursor })
    expect(last.edges.map(key)).toEqual(whole.edges.slice(-2).map(key))
    expect(last.pageInfo).toMatchObject({ hasPreviousPage: true })
    expect([...before.edges, ...last.edges].map(key)).toEqual(whole.edges.map(key))
    expect(second.totalCount).toBe(whole.totalCount)
  })

  it('given paging arguments out of bounds or a cursor of another list, when stats rows are asked, then INVALID_ARGUMENT names the argument', async () => {
    const refusal = async (args: string, variables: Record<string, unknown> = {}) => {
      const response = await send(
        t,
        `query($input: StatsInput!${'cursor' in variables ? ', $cursor: String' : ''}) {
          stats(input: $input) { rows(${args}) { totalCount } } }`,
        { input: { range: march }, ...variables },
        bearer(token),
      )
      const error = response.body.errors?.[0]
      expect(error?.extensions?.code, response.text).toBe('INVALID_ARGUMENT')
      const fields = (error?.extensions?.fields ?? []) as { path: string[] }[]
      return fields[0]?.path
    }
    expect(await refusal('first: 1001')).toEqual(['first'])
    expect(await refusal('last: -1')).toEqual(['last'])
    expect(await refusal('first: 1, last: 1')).toEqual(['last'])
    const accounts = await ok<{ accounts: { pageInfo: { endCursor: string } } }>(
      t,
      token,
      '{ accounts(first: 1) { pageInfo { endCursor } } }',
    )
    expect(await refusal('after: $cursor', { cursor: accounts.accounts.pageInfo.endCursor })).toEqual([
      'after',
    ])
    expect(await refusal('before: $cursor', { cursor: 'not a cursor' })).toEqual(['before'])
  })

  it('given no token, when stats runs, then authentication is required', async () => {
    const response = await send(t, STATS, { input: { range: march } })
    expect(response.body.errors?.[0]?.extensions?.code).toBe('TOKEN_MISSING')
    expect(response.body.data?.stats).toBeUndefined()
  })
})
