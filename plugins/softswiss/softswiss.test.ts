import { readFileSync } from 'node:fs'
import {
  AuthError,
  type DateWindow,
  type HttpResponse,
  isPlatformError,
  mergeRows,
  type PlatformSimulator,
  platformManifestSchema,
  RateLimitError,
  ResponseFormatError,
  rowKey,
  UnavailableError,
} from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import {
  rawGet,
  recordRequests,
  sortRows,
  usePluginTest,
  withQuery,
} from '../../test/support/plugin-harness.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { chooseColumns, mapAvailableColumns, mapReportPage, mapReportRow } from './map.ts'
import { ATTRIBUTES_PATH, checkResponse, REPORT_PATH } from './report.ts'
import { decimalToCents, exportUrl, type SoftswissSimulatorOptions, simulatorToken } from './simulator.ts'

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

const TOKEN = 'fk3Hq9ZrT2wLx7VbN4pYc8MdJ6sAe1Gu'

// ---------------------------------------------------------------------------------------------------------------
// The plugin end to end runs on the host's own runner and HTTP client: retries, rate limits, redaction.
// ---------------------------------------------------------------------------------------------------------------

const t = usePluginTest<PlatformSimulator, SoftswissSimulatorOptions>(new URL('.', import.meta.url), {
  seed: 'affgraph',
})
const tokenOf = (sim: PlatformSimulator, index = 0) => t.conn(sim, index).token as string

const reportRequests = (sim: PlatformSimulator) => sim.log.filter((e) => e.path === REPORT_PATH).length

// ---------------------------------------------------------------------------------------------------------------

describe('softswiss manifest', () => {
  it('given the plugin, when the host validates its manifest, then it passes and its id is the folder name', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.id).toBe('softswiss')
    expect(platform.capabilities.metrics).toEqual([
      'clicks',
      'signups',
      'ftds',
      'depositCount',
      'deposits',
      'netRevenue',
      'commission',
    ])
    expect(platform.simulator.faults).toEqual(
      expect.arrayContaining([
        'outage',
        'rate-limit',
        'slow',
        'malformed',
        'truncated',
        'connection-reset',
        'missing-permission',
      ]),
    )
  })
})

describe('softswiss connection', () => {
  const base = 'https://partners.example-casino.com'

  it('given a bare token with stray whitespace, when parsed, then the trimmed token is kept', () => {
    expect(connection.schema.parse({ baseUrl: base, token: `  ${TOKEN}\n` }).token).toBe(TOKEN)
  })

  it('given the whole export URL, when parsed, then only the token between token= and &page= is kept', () => {
    const pasted = ` ${base}/api/customer/v1/partner/report?from=2026-01-01&to=2026-01-31&columns[]=ngr&group_by[]=day&async=false&token=${TOKEN}&page=1 `
    expect(connection.schema.parse({ baseUrl: base, token: pasted }).token).toBe(TOKEN)
  })

  it('given an export URL whose token is percent-encoded or last, when parsed, then the decoded token is kept', () => {
    const encoded = `${base}/api/customer/v1/partner/report?token=${TOKEN.slice(0, 10)}%2D${TOKEN.slice(10)}`
    expect(connection.schema.parse({ baseUrl: base, token: encoded }).token).toBe(
      `${TOKEN.slice(0, 10)}-${TOKEN.slice(10)}`,
    )
  })

  it('given a URL without a token parameter, when parsed, then the token field is rejected with a hint', () => {
    const result = connection.schema.safeParse({ baseUrl: base, token: `${base}/partner/reports?page=1` })
    expect(result.success).toBe(false)
    const issue = result.error?.issues[0]
    expect(issue?.path).toEqual(['token'])
    expect(issue?.message).toMatch(/Export report → JSON/)
  })

  it.each([
    ['too short', 'abc123'],
    ['inner spaces', 'fk3Hq9ZrT2wL x7VbN4pYc8MdJ6sAe1Gu'],
    ['odd characters', 'fk3Hq9ZrT2wL<x7VbN4pYc8MdJ6sAe1Gu>'],
    ['empty', '   '],
    ['an empty token= in a URL', `${base}/api/customer/v1/partner/report?token=&page=1`],
  ])('given a token that is %s, when parsed, then the issue path is ["token"]', (_label, token) => {
    const result = connection.schema.safeParse({ baseUrl: base, token })
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => i.path)).toEqual([['token']])
  })

  it('given a dashboard page address, when parsed, then the base URL is cut back to the dashboard root', () => {
    const parsed = connection.schema.parse({ baseUrl: `${base}/partner/dashboard/`, token: TOKEN })
    expect(parsed.baseUrl).toBe(base)
    expect(connection.schema.parse({ baseUrl: 'https://partner.example.com', token: TOKEN }).baseUrl).toBe(
      'https://partner.example.com',
    )
  })

  it('given the export URL pasted as base URL, when parsed, then the base URL field is rejected', () => {
    const result = connection.schema.safeParse({
      baseUrl: `${base}/api/customer/v1/partner/report?token=${TOKEN}`,
      token: TOKEN,
    })
    expect(result.error?.issues.map((i) => i.path)).toEqual([['baseUrl']])
  })
})

describe('softswiss map', () => {
  const page = mapReportPage(fixture('report-page.json'))

  it('given money in cents with a trailing ".0", when mapped, then decimals are exact', () => {
    const eur = page.rows[0]!
    expect(eur).toMatchObject({
      date: '2026-01-05',
      brand: 'Example Casino',
      campaign: 'spring-push',
      currency: 'EUR',
    })
    expect(eur.deposits).toBe('417.11')
    expect(eur.commission).toBe('15.2')
    expect(page.rows[1]!.netRevenue).toBe('30.015')
  })

  it('given a negative NGR, when mapped, then the sign survives', () => {
    expect(page.rows[0]!.netRevenue).toBe('-23.5')
  })

  it('given one group with two currencies, when mapped, then there is one row per currency', () => {
    const [eur, usd] = page.rows
    expect(rowKey({ ...eur!, currency: null })).toBe(rowKey({ ...usd!, currency: null }))
    expect([eur!.currency, usd!.currency]).toEqual(['EUR', 'USD'])
    expect(usd).toMatchObject({ clicks: 0, ftds: 1, depositCount: 2, deposits: '50.05', commission: '9' })
  })

  it('given counts, when mapped, then they become numbers and unmapped cells are ignored', () => {
    expect(page.rows[0]).toMatchObject({ clicks: 120, signups: 14, ftds: 5, depositCount: 9 })
    expect(page.rows[0]).toMatchObject({ impressions: null, salesAmount: null })
  })

  it('given a row without a partner_income cell and a null campaign, when mapped, then both are null', () => {
    expect(page.rows[2]).toMatchObject({ campaign: null, commission: null, netRevenue: '0', deposits: '0' })
  })

  it('given the pagination fields, when mapped, then the page numbers are read', () => {
    expect(page).toMatchObject({ currentPage: 1, totalPages: 2 })
  })

  it('given a legacy instance, when mapped, then aliases, `day`, units amounts and brand objects are read', () => {
    const [row] = mapReportPage(fixture('report-legacy.json')).rows
    expect(row).toMatchObject({
      date: '2026-01-07',
      brand: 'Example Casino',
      campaign: 'default',
      currency: 'CAD',
      ftds: 2,
      deposits: '250.4',
      netRevenue: '-75.5',
      commission: '12.34',
    })
  })

  it('given money cells in two currencies in one row, when mapped, then it is a format error', () => {
    const row = [
      { name: 'date', value: '2026-01-05' },
      { name: 'deposits_sum', value: { currency: 'EUR', amount_cents: '100.0' } },
      { name: 'ngr', value: { currency: 'USD', amount_cents: '100.0' } },
    ]
    expect(() => mapReportRow(row)).toThrow(/mixes currencies/)
  })

  const date = { name: 'date', value: '2026-01-05' }
  it.each([
    ['a body that is not an object', []],
    ['no rows', { totals: {} }],
    ['a row that is not an array', { rows: { data: [{ name: 'date' }] } }],
    ['a cell without a name', { rows: { data: [[{ value: 1 }]] } }],
    ['no date cell', { rows: { data: [[{ name: 'visits_count', value: 1 }]] } }],
    ['an unreadable date', { rows: { data: [[{ name: 'date', value: 'yesterday' }]] } }],
    ['a fractional count', { rows: { data: [[date, { name: 'visits_count', value: 1.5 }]] } }],
    ['a negative count', { rows: { data: [[date, { name: 'visits_count', value: '-3' }]] } }],
    ['money without currency', { rows: { data: [[date, { name: 'ngr', value: { amount_cents: '1.0' } }]] } }],
    ['money as a bare number', { rows: { data: [[date, { name: 'ngr', value: 12 }]] } }],
    [
      'a non-decimal amount',
      { rows: { data: [[date, { name: 'ngr', value: { currency: 'EUR', amount_cents: '1e5' } }]] } },
    ],
    ['a bad total_pages', { rows: { data: [] }, total_pages: 'many' }],
  ])('given %s, when mapped, then a ResponseFormatError is thrown', (_label, body) => {
    expect(() => mapReportPage(body)).toThrow(ResponseFormatError)
  })

  it('given attributes from a legacy instance, when columns are chosen, then the aliases are asked for', () => {
    const legacy = mapAvailableColumns({
      available_columns: ['visits_count', 'ftd_count', { name: 'casino_ngr' }],
    })
    expect(chooseColumns(legacy)).toContain('ftd_count')
    expect(chooseColumns(legacy)).toContain('casino_ngr')
    expect(chooseColumns([])).toEqual([
      'visits_count',
      'registrations_count',
      'first_deposits_count',
      'deposits_count',
      'deposits_sum',
      'ngr',
      'partner_income',
    ])
    expect(() => mapAvailableColumns({ columns: [] })).toThrow(ResponseFormatError)
  })

  // Before: `campaign_id` was not read, so both campaigns collapsed into one row with no campaign.
  it('given the published layout of an instance naming the campaign cell campaign_id, when mapped, then each campaign keeps its own row', () => {
    const { rows } = mapReportPage(fixture('report-campaign-id.json'))
    expect(
      mergeRows(rows).map((r) => [r.campaign, r.clicks, r.deposits, r.netRevenue, r.commission]),
    ).toEqual([
      ['41876', 120, '417.11', '-85.2', '25.56'],
      ['41877', 40, '25', '12', '3.6'],
    ])
    expect(
      rows.every((r) => r.date === '2026-01-05' && r.brand === 'Example Casino' && r.currency === 'EUR'),
    ).toBe(true)
  })

  it('given rows past the window and two campaigns of one name, when collected, then out-of-window rows go and twins add up', () => {
    const [a, , c] = page.rows
    const rows = mergeRows([a!, a!, c!], { from: '2026-01-05', to: '2026-01-05' })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ clicks: 240, deposits: '834.22', netRevenue: '-47' })
  })
})

describe('softswiss status mapping', () => {
  const response = (status: number, text = '{}', headers: Record<string, string> = {}): HttpResponse => ({
    status,
    headers,
    url: 'https://partners.example-casino.com/api/customer/v1/partner/report',
    text,
    json: () => JSON.parse(text),
  })

  const thrown = (fn: () => void): unknown => {
    try {
      fn()
    } catch (error) {
      return error
    }
    throw new Error('expected an error')
  }

  it('given 401, when checked, then an AuthError on the token tells where to copy it again', () => {
    const error = thrown(() => checkResponse(response(401)))
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).field).toBe('token')
    expect((error as AuthError).message).toMatch(/Reports → Statistics → Export report → JSON/)
  })

  it('given 403, when checked, then an AuthError on the token says statistics are not allowed', () => {
    const error = thrown(() => checkResponse(response(403)))
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ field: 'token', message: expect.stringMatching(/no access to statistics/) })
  })

  it('given 429 with Retry-After, when checked, then a RateLimitError carries the delay', () => {
    const error = thrown(() => checkResponse(response(429, '', { 'retry-after': '3' })))
    expect(error).toBeInstanceOf(RateLimitError)
    expect((error as RateLimitError).retryAfterMs).toBe(3000)
  })

  it('given 503, a 200 maintenance page or 404, when checked, then unavailable, unavailable and a base URL problem', () => {
    expect(thrown(() => checkResponse(response(503, '<html></html>')))).toBeInstanceOf(UnavailableError)
    expect(
      thrown(() => checkResponse(response(200, '<!DOCTYPE html><html>maintenance</html>'))),
    ).toBeInstanceOf(UnavailableError)
    const notFound = thrown(() => checkResponse(response(404)))
    expect(notFound).toBeInstanceOf(ResponseFormatError)
    expect((notFound as ResponseFormatError).field).toBe('baseUrl')
    expect(() => checkResponse(response(200, '{"available_columns":[]}'))).not.toThrow()
  })
})

describe('softswiss simulator wire format', () => {
  const window = { from: '2026-01-01', to: '2026-01-10' }
  const columns = ['visits_count', 'first_deposits_count', 'deposits_sum', 'ngr', 'partner_income']
  const groupBy = ['day', 'brand', 'campaign']

  async function report(
    sim: PlatformSimulator,
    query: Record<string, string | number | string[]>,
    token?: string,
  ) {
    return rawGet(withQuery(`${sim.baseUrl}${REPORT_PATH}`, query), { authorization: token ?? tokenOf(sim) })
  }

  it('given the two list styles, when the same report is asked, then the answers are identical', async () => {
    const sim = await t.sim()
    const repeated = await report(sim, {
      ...window,
      'columns[]': columns,
      'group_by[]': groupBy,
      async: 'false',
    })
    const jsonArrays = await report(sim, {
      ...window,
      columns: JSON.stringify(columns),
      group_by: JSON.stringify(groupBy),
      async: 'false',
    })
    expect(repeated.status).toBe(200)
    expect(jsonArrays.text).toBe(repeated.text)
    expect(JSON.parse(repeated.text).rows.data.length).toBeGreaterThan(0)
  })

  it('given a small page size, when pages are walked, then current_page/total_pages describe every row once', async () => {
    const sim = await t.sim({ pageSize: 7 })
    const query = { ...window, 'columns[]': columns, 'group_by[]': groupBy }
    const first = JSON.parse((await report(sim, { ...query, page: 1 })).text)
    expect(first.current_page).toBe(1)
    expect(first.total_pages).toBeGreaterThan(1)
    const all: unknown[] = []
    for (let p = 1; p <= first.total_pages; p++) {
      const body = JSON.parse((await report(sim, { ...query, page: p })).text)
      expect(body.current_page).toBe(p)
      expect(body.rows.data.length).toBeLessThanOrEqual(7)
      all.push(...body.rows.data)
    }
    expect(all).toHaveLength(first.total_count)
    const past = JSON.parse((await report(sim, { ...query, page: first.total_pages + 1 })).text)
    expect(past.rows.data).toEqual([])
  })

  it('given a report, when money cells are read, then they are cents strings with ".0" in one currency per row', async () => {
    const sim = await t.sim()
    const body = JSON.parse(
      (await report(sim, { ...window, 'columns[]': columns, 'group_by[]': groupBy })).text,
    )
    for (const row of body.rows.data as { name: string; value: unknown; type: string }[][]) {
      const money = row
        .filter((c) => c.type === 'money')
        .map((c) => c.value as { currency: string; amount_cents: string })
      expect(money).toHaveLength(3)
      for (const m of money) expect(m.amount_cents).toMatch(/^-?\d+\.0$/)
      expect(new Set(money.map((m) => m.currency)).size).toBe(1)
      expect(row.find((c) => c.name === 'date')?.value).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/)
    }
    expect(body.totals.data.length).toBeGreaterThan(0)
    expect(decimalToCents('417.11')).toBe('41711.0')
    expect(decimalToCents('-0.5')).toBe('-50.0')
  })

  it('given from = to, when the report is asked, then only that day is returned (inclusive to)', async () => {
    const sim = await t.sim()
    const body = JSON.parse(
      (
        await report(sim, {
          from: '2026-01-03',
          to: '2026-01-03',
          'columns[]': columns,
          'group_by[]': groupBy,
        })
      ).text,
    )
    const days = new Set(body.rows.data.map((row: { name: string; value: string }[]) => row[0]!.value))
    expect([...days]).toEqual(['2026-01-03T00:00:00Z'])
  })

  it('given an unknown token, when any endpoint is called, then it answers 401', async () => {
    const sim = await t.sim()
    const unknown = sim.invalidConnection().token!
    expect(connection.schema.safeParse(sim.invalidConnection()).success).toBe(true)
    expect((await report(sim, window, unknown)).status).toBe(401)
    expect((await rawGet(`${sim.baseUrl}${REPORT_PATH}/attributes`, { authorization: unknown })).status).toBe(
      401,
    )
    expect((await rawGet(`${sim.baseUrl}${REPORT_PATH}/attributes`)).status).toBe(401)
  })

  it('given the token as Bearer or in the export link, when called, then the simulator accepts it', async () => {
    const sim = await t.sim()
    const token = tokenOf(sim)
    expect(
      (await rawGet(`${sim.baseUrl}${REPORT_PATH}/attributes`, { authorization: `Bearer ${token}` })).status,
    ).toBe(200)
    const link = await rawGet(exportUrl(sim.baseUrl, token))
    expect(link.status).toBe(200)
    expect(JSON.parse(link.text).rows.data.length).toBeGreaterThan(0)
  })

  it('given the default accounts, when their connections are read, then one is a pasted export link', async () => {
    const sim = await t.sim()
    const raw = sim.accounts.map((a) => a.connection.token!)
    expect(raw.some((t) => t.includes('token=') && t.includes('&page='))).toBe(true)
    for (const account of sim.accounts) {
      const token = connection.schema.parse(account.connection).token
      expect(token).toBe(simulatorToken('affgraph', account.key))
      expect(token.length).toBeGreaterThanOrEqual(24)
    }
  })

  it('given attributes, when asked, then available_columns lists the report columns', async () => {
    const sim = await t.sim()
    const res = await rawGet(`${sim.baseUrl}${REPORT_PATH}/attributes`, { authorization: tokenOf(sim) })
    expect(JSON.parse(res.text).available_columns).toEqual(
      expect.arrayContaining([...columns, 'registrations_count']),
    )
  })

  it('given a legacy instance, when a current column name is asked, then it is refused with 400', async () => {
    const sim = await t.sim({ legacyColumns: true })
    const attrs = JSON.parse(
      (await rawGet(`${sim.baseUrl}${REPORT_PATH}/attributes`, { authorization: tokenOf(sim) })).text,
    )
    expect(attrs.available_columns).toContain('ftd_count')
    expect((await report(sim, { ...window, 'columns[]': ['first_deposits_count'] })).status).toBe(400)
  })

  it('given the traffic report, when asked, then its to is exclusive', async () => {
    const sim = await t.sim()
    const res = await rawGet(
      withQuery(`${sim.baseUrl}/api/customer/v1/partner/traffic_report`, {
        from: '2026-01-03',
        to: '2026-01-05',
      }),
      { authorization: tokenOf(sim) },
    )
    const body = JSON.parse(res.text)
    expect(body.rows.data.map((row: { value: string }[]) => row[0]!.value)).toEqual([
      '2026-01-03T00:00:00Z',
      '2026-01-04T00:00:00Z',
    ])
    expect(body.overall_totals.visits_count).toBeGreaterThan(0)
  })

  describe('faults', () => {
    const attributes = (sim: PlatformSimulator) =>
      rawGet(`${sim.baseUrl}${REPORT_PATH}/attributes`, { authorization: tokenOf(sim) })

    it('given an outage, when called, then 503 with an HTML page, once', async () => {
      const sim = await t.sim()
      sim.faults.inject('outage', { times: 1 })
      const res = await attributes(sim)
      expect(res.status).toBe(503)
      expect(res.headers['content-type']).toMatch(/text\/html/)
      expect((await attributes(sim)).status).toBe(200)
    })

    it('given a rate limit, when called, then 429 with Retry-After in seconds', async () => {
      const sim = await t.sim()
      sim.faults.inject('rate-limit', { times: 1, delayMs: 2000 })
      const res = await attributes(sim)
      expect(res.status).toBe(429)
      expect(res.headers['retry-after']).toBe('2')
      sim.faults.inject('rate-limit', { times: 1 })
      expect((await attributes(sim)).headers['retry-after']).toBe('1')
    })

    it('given a maintenance page, when called, then 200 with an HTML body', async () => {
      const sim = await t.sim()
      sim.faults.inject('malformed', { times: 1 })
      const res = await attributes(sim)
      expect(res.status).toBe(200)
      expect(res.text).toMatch(/^<!DOCTYPE html>/)
    })

    it('given a missing permission or a revoked token, when called, then 403 or 401', async () => {
      const sim = await t.sim()
      sim.faults.inject('missing-permission', { times: 1 })
      expect((await attributes(sim)).status).toBe(403)
      sim.faults.inject('expired-token', { times: 1 })
      expect((await attributes(sim)).status).toBe(401)
    })

    it('given a connection reset or a truncated body, when called, then the request fails on the wire', async () => {
      const sim = await t.sim()
      sim.faults.inject('connection-reset', { times: 1 })
      await expect(attributes(sim)).rejects.toThrow()
      sim.faults.inject('truncated', { times: 1 })
      await expect(attributes(sim)).rejects.toThrow()
      expect(sim.faults.hits('truncated')).toBe(1)
    })

    it('given a slow platform, when called, then the answer comes after the delay', async () => {
      const sim = await t.sim()
      sim.faults.inject('slow', { times: 1, delayMs: 300 })
      const started = Date.now()
      expect((await attributes(sim)).status).toBe(200)
      expect(Date.now() - started).toBeGreaterThanOrEqual(280)
    })
  })
})

describe('softswiss fetchReport against the simulator', () => {
  const window: DateWindow = { from: '2026-01-01', to: '2026-01-31' }

  it.each([
    ['an inclusive to', {}],
    ['an exclusive to', { exclusiveTo: true }],
    ['legacy column names', { legacyColumns: true }],
  ] as [string, SoftswissSimulatorOptions][])(
    'given an instance with %s, when every account is fetched, then the rows equal truth()',
    async (_label, options) => {
      // Pages small enough that every account needs several; the accounts run side by side, as the host's
      // per-account limit (one request a second) would otherwise make the test wait for each page in turn.
      const sim = await t.sim({ pageSize: 75, ...options })
      await Promise.all(
        sim.accounts.map(async (account, index) => {
          const rows = await t.fetch(sim, window, { index: index })
          const truth = sim.truth(account.key, window)
          expect(truth.length).toBeGreaterThan(75)
          expect(sortRows(rows)).toEqual(sortRows(truth))
        }),
      )
      expect(reportRequests(sim)).toBeGreaterThanOrEqual(2 * sim.accounts.length)
    },
  )

  it('given an account without campaigns, when fetched, then rows carry a null campaign and equal truth()', async () => {
    const sim = await t.sim({
      accounts: [{ key: 'solo', brands: ['Only Brand'], currencies: ['EUR', 'GBP'] }],
    })
    const rows = await t.fetch(sim, window)
    expect(rows.every((r) => r.campaign === null)).toBe(true)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('solo', window)))
  })

  it('given a one-day window, when fetched, then only that day comes back', async () => {
    const sim = await t.sim()
    const day = { from: '2026-02-14', to: '2026-02-14' }
    const rows = await t.fetch(sim, day)
    expect(new Set(rows.map((r) => r.date))).toEqual(new Set(['2026-02-14']))
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, day)))
  })

  it('given a fetch, when the requests are inspected, then the token is sent raw and the query is as documented', async () => {
    const sim = await t.sim({ pageSize: 20 })
    const conn = connection.schema.parse(sim.accounts[1]!.connection)
    const { requests: sent } = await recordRequests(sim.baseUrl, () =>
      t.fetch(sim, { from: '2026-01-01', to: '2026-01-07' }, { index: 1 }),
    )
    expect(sent.length).toBeGreaterThan(2)
    expect(sent).toHaveLength(sim.log.length)
    for (const r of sent) expect(r.headers.authorization).toBe(conn.token)
    const reportCalls = sent.map((r) => r.url).filter((u) => u.pathname === REPORT_PATH)
    const first = reportCalls[0]!.searchParams
    expect(first.getAll('group_by[]')).toEqual(['day', 'brand', 'campaign'])
    expect(first.getAll('columns[]')).toHaveLength(7)
    expect([first.get('from'), first.get('to'), first.get('async'), first.get('page')]).toEqual([
      '2026-01-01',
      '2026-01-08',
      'false',
      '1',
    ])
    expect(reportCalls.map((u) => u.searchParams.get('page'))).toEqual(
      reportCalls.map((_, i) => String(i + 1)),
    )
  })

  it('given a transient rate limit and outage, when fetched, then the retried result still equals truth()', async () => {
    const sim = await t.sim()
    sim.faults.inject('rate-limit', { times: 1, delayMs: 0 })
    sim.faults.inject('outage', { times: 1 })
    const rows = await t.fetch(sim, window)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
    expect([sim.faults.hits('rate-limit'), sim.faults.hits('outage')]).toEqual([1, 1])
    // The first request (the column lookup) met both faults: the host sent it three times.
    expect(sim.log.filter((e) => e.path === ATTRIBUTES_PATH)).toHaveLength(3)
    expect(reportRequests(sim)).toBeGreaterThan(1)
  })

  it('given check, when the token is good, unknown, unauthorised or behind maintenance, then it answers accordingly', async () => {
    const sim = await t.sim()
    const good = connection.schema.parse(sim.accounts[0]!.connection)
    await expect(t.check(good)).resolves.toEqual({})

    const bad = connection.schema.parse(sim.invalidConnection())
    const refused = await t.check(bad).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthError)
    expect((refused as AuthError).field).toBe('token')
    expect((refused as AuthError).message).not.toContain(bad.token)

    sim.faults.inject('missing-permission')
    await expect(t.check(good)).rejects.toBeInstanceOf(AuthError)
    expect(sim.faults.hits('missing-permission'), 'an AuthError is never retried').toBe(1)
    sim.faults.clear()

    sim.faults.inject('malformed')
    const down = await t.check(good).catch((e: unknown) => e)
    expect(down).toBeInstanceOf(UnavailableError)
    expect(sim.faults.hits('malformed'), 'a maintenance page is retried by the host').toBe(3)
    expect(isPlatformError(down) && down.message).not.toContain(good.token)

    const logs = t.harness.logs.text()
    for (const token of [good.token, bad.token]) expect(logs).not.toContain(token)
  })
})
