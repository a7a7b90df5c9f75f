import { addDecimals, type HttpResponse, platformManifestSchema } from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import { caught, recordRequests, sortRows, usePluginTest } from '../../test/support/plugin-harness.ts'
import { defineReplayTests } from '../../test/support/replay.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { dayOfDateColumn, mapTable, mapTableRow } from './map.ts'
import { mapInvoice, PAYMENTS } from './payments.ts'
import { checkResponse } from './report.ts'
import { type EverflowSimulatorOptions, simulatorApiKey, zonedMidnight } from './simulator.ts'
import { TABLE_PATH } from './wire.ts'

// The contract suite runs the plugin against its simulator through the host; these tests pin what it cannot see:
// how each wire field and status is read, the time zones, and the 10,000-row cap.

const NOW = '2026-06-15T12:00:00Z'
const clock = fixedClock(NOW)
const t = usePluginTest<Awaited<ReturnType<typeof platform.simulator.create>>, EverflowSimulatorOptions>(
  new URL('.', import.meta.url),
  { seed: 'everflow-test', now: () => clock.now() },
)
const KEY = 'Kq3vT8xZp2LmN7wR4yB6cD'

function response(status: number, text = '{}', headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, text, url: `https://api.eflow.team${TABLE_PATH}`, json: () => JSON.parse(text) }
}

const dateColumn = (id: string, label = id) => ({ column_type: 'date', id, label })
const seconds = (iso: string) => String(Date.parse(iso) / 1000)

describe('everflow manifest and connection', () => {
  it('given the manifest, when validated, then it declares one host for all accounts, 31-day windows and the affiliate quota', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.capabilities.perProgramHost).toBe(false)
    expect(platform.limits).toEqual({ maxWindowDays: 31, perAccount: { requests: 5, intervalMs: 1000 } })
    expect(platform.capabilities.metrics).toEqual(['impressions', 'clicks', 'cpaCount', 'commission'])
  })

  it('given a key pasted with its header name, a numeric zone and a lower-case currency, when parsed, then each is normalised', () => {
    expect(
      connection.schema.parse({
        apiKey: ` X-Eflow-API-Key: ${KEY} `,
        timezone: ' 080 ',
        currency: 'eur',
        apiBaseUrl: '',
      }),
    ).toEqual({ apiKey: KEY, timezone: '80', currency: 'EUR', apiBaseUrl: undefined })
    expect(connection.schema.parse({ apiKey: KEY, timezone: '', currency: '' })).toEqual({
      apiKey: KEY,
      timezone: undefined,
      currency: undefined,
    })
  })

  it('given a short key, an unknown zone and a currency symbol, when parsed, then each field is named', () => {
    const result = connection.schema.safeParse({ apiKey: 'abc', timezone: 'Mars/Olympus', currency: '$' })
    expect(result.error?.issues.map((i) => i.path[0]).sort()).toEqual(['apiKey', 'currency', 'timezone'])
  })
})

describe('everflow report mapping', () => {
  it('given a date column in Unix seconds, when read in the requested zone, then a zone midnight and a UTC midnight both give their day', () => {
    expect(dayOfDateColumn(dateColumn(seconds('2026-04-01T04:00:00Z')), 'America/New_York', 0)).toBe(
      '2026-04-01',
    )
    expect(dayOfDateColumn(dateColumn(seconds('2026-04-01T00:00:00Z')), 'America/New_York', 0)).toBe(
      '2026-04-01',
    )
    expect(dayOfDateColumn(dateColumn(seconds('2026-03-31T15:00:00Z')), 'Asia/Tokyo', 0)).toBe('2026-04-01')
    expect(dayOfDateColumn(dateColumn(seconds('2026-04-01T00:00:00Z')), 'UTC', 0)).toBe('2026-04-01')
    expect(dayOfDateColumn(dateColumn('1775001600', '2026-04-01'), 'UTC', 0)).toBe('2026-04-01')
    expect(dayOfDateColumn({ column_type: 'date', id: 1775001600, label: '' }, 'UTC', 0)).toBe('2026-04-01')
    expect(caught(() => dayOfDateColumn(dateColumn('April 1'), 'UTC', 3)).message).toMatch(
      /row 3: the date column/,
    )
  })

  it('given a row with offer, sub1 and metrics, when mapped, then the offer is the brand, sub1 the campaign and the payout exact', () => {
    const row = mapTableRow(
      {
        columns: [
          dateColumn(seconds('2026-04-01T04:00:00Z')),
          { column_type: 'offer', id: '882', label: 'Summer Offer' },
          { column_type: 'sub1', id: 'fb-ads', label: 'fb-ads' },
        ],
        reporting: { imp: 0, total_click: 310, unique_click: 290, cv: 12, revenue: 18371.6054, cvr: 3.87 },
      },
      'America/New_York',
      'USD',
    )
    expect(row).toMatchObject({
      date: '2026-04-01',
      brand: 'Summer Offer',
      campaign: 'fb-ads',
      currency: 'USD',
      impressions: 0,
      clicks: 310,
      cpaCount: 12,
      commission: '18371.6054',
      signups: null,
      salesCount: null,
    })
  })

  it('given traffic without a sub1, an offer without a label and a tiny payout, when mapped, then no campaign, the offer id and no exponent', () => {
    const row = mapTableRow(
      {
        columns: [
          dateColumn('2026-04-02'),
          { column_type: 'offer', id: '17', label: '' },
          { column_type: 'sub1', id: '', label: '' },
        ],
        reporting: { total_click: 1, cv: 0, revenue: 1e-7 },
      },
      'UTC',
      'EUR',
    )
    expect(row).toMatchObject({ brand: '17', campaign: null, impressions: null, commission: '0.0000001' })
  })

  it('given whole answers, when mapped, then the cap flag is read, table.rows is accepted and a missing table names what came', () => {
    const entry = { columns: [dateColumn('2026-04-02')], reporting: { total_click: 3 } }
    expect(mapTable({ table: [entry], incomplete_results: true }, 'UTC', 'USD')).toMatchObject({
      incomplete: true,
    })
    expect(mapTable({ table: { rows: [entry] } }, 'UTC', 'USD').rows).toHaveLength(1)
    expect(mapTable({ table: [] }, 'UTC', 'USD')).toEqual({ rows: [], incomplete: false })
    expect(caught(() => mapTable({ summary: {}, performance: [] }, 'UTC', 'USD')).message).toMatch(
      /no table \(found: summary, performance\)/,
    )
    expect(caught(() => mapTable({ table: [{ columns: [], reporting: {} }] }, 'UTC', 'USD')).message).toMatch(
      /row 0 has no date column/,
    )
    expect(
      caught(() => mapTable({ table: [{ ...entry, reporting: { total_click: 2.5 } }] }, 'UTC', 'USD'))
        .message,
    ).toMatch(/total_click is not a count/)
  })
})

describe('everflow statuses', () => {
  it.each([
    [401, '{"Error":"Unauthorized"}', 'PLATFORM_AUTH', 'apiKey', /Affiliate API key/],
    [403, '{"Error":"Out of realm"}', 'PLATFORM_AUTH', 'apiKey', /Out of realm/],
    [429, '{"Error":"Too Many Requests"}', 'PLATFORM_RATE_LIMITED', undefined, /5 requests a second/],
    [
      400,
      '{"Error":"Requested intervals are limited to one year"}',
      'PLATFORM_RESPONSE_FORMAT',
      undefined,
      /limited to one year/,
    ],
    [404, '{"Error":"Not Found"}', 'PLATFORM_RESPONSE_FORMAT', 'apiBaseUrl', /api-eu\.eflow\.team/],
    [503, '<html></html>', 'PLATFORM_UNAVAILABLE', undefined, /HTTP 503/],
    [200, '<!DOCTYPE html><html>maintenance</html>', 'PLATFORM_UNAVAILABLE', undefined, /web page/],
  ])('given HTTP %i, when checked, then it is %s on %s', (status, body, code, field, message) => {
    const error = caught(() => checkResponse(response(status, body)))
    expect(error.code).toBe(code)
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
  })
})

describe('everflow against its simulator through the host', () => {
  it('given an account reporting in Seoul time, when checked, then the zone is looked up once and returned; the days are Seoul days, not the UTC evenings before', async () => {
    const sim = await t.sim({ clock })
    const conn = t.conn(sim, 1)
    expect(conn.timezone).toBe('Asia/Seoul')
    const key = t.key()
    const { requests, result } = await recordRequests(sim.baseUrl, async () => {
      const checked = await t.harness.runner.check(t.harness.platform, conn, { accountKey: key })
      const rows = await t.fetch(sim, { from: '2026-05-01', to: '2026-05-10' }, { index: 1, accountKey: key })
      return { checked, rows }
    })
    expect(result.checked).toMatchObject({ timeZone: 'Asia/Seoul' })
    expect(requests.filter((r) => r.url.pathname === '/v1/meta/timezones')).toHaveLength(1)
    const body = requests.find((r) => r.url.pathname === TABLE_PATH)
    expect(body?.headers['x-eflow-api-key']).toBe(conn.apiKey)
    expect(sortRows(result.rows)).toEqual(
      sortRows(sim.truth(sim.accounts[1]!.key, { from: '2026-05-01', to: '2026-05-10' })),
    )
    expect(zonedMidnight('2026-05-01', 'Asia/Seoul')).toBe(Date.parse('2026-04-30T15:00:00Z'))
    expect(zonedMidnight('2026-05-01', 'America/New_York')).toBe(Date.parse('2026-05-01T04:00:00Z'))
  })

  it('given a month over the 10,000-row cap, when fetched, then the window is halved until each part is whole and the rows equal the truth', async () => {
    const sim = await t.sim({ clock, rowCap: 40 })
    const window = { from: '2026-04-01', to: '2026-04-30' }
    const before = sim.log.length
    const rows = await t.fetch(sim, window)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
    expect(sim.log.length - before).toBeGreaterThan(4)
  })

  it('given a single day over the cap, when fetched, then it is refused whole rather than stored in part', async () => {
    const sim = await t.sim({ clock, rowCap: 2 })
    const error = await t.fetch(sim, { from: '2026-04-03', to: '2026-04-03' }).catch((e: Error) => e)
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT' })
    expect((error as Error).message).toMatch(/more than 10,000 offer × sub1 rows for 2026-04-03/)
  })

  it('given a time zone Everflow does not list, when checked, then the error names the timezone field', async () => {
    const sim = await t.sim({ clock })
    const error = await t
      .check({
        apiKey: simulatorApiKey('everflow-test', sim.accounts[0]!.key),
        timezone: 'Europe/Paris',
        apiBaseUrl: sim.baseUrl,
      })
      .catch((e: Error) => e)
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT', field: 'timezone' })
  })
})

defineReplayTests(new URL('.', import.meta.url))

describe('everflow payments (affiliate invoices)', () => {
  type Sim = Awaited<ReturnType<typeof platform.simulator.create>>
  const payments = (sim: Sim, window: { from: string; to: string }) => {
    const conn = t.conn(sim)
    return platform.fetchPayments!(t.harness.context(conn, t.key()), conn as never, window)
  }
  const monthTotal = (sim: Sim, from: string, to: string) =>
    addDecimals(
      ...sim
        .truth(sim.accounts[0]!.key, { from, to })
        .map((r) => r.commission)
        .filter((a): a is string => a !== null),
    )

  it('given the simulator, when payments are fetched for a two-month window, then each overlapping invoice is a row with its paid day', async () => {
    const sim = await t.sim()
    const rows = await payments(sim, { from: '2026-03-10', to: '2026-04-20' })
    const currency = sim.accounts[0]!.connection.currency
    expect(rows.map(({ reference: _r, ...rest }) => rest)).toEqual([
      {
        periodFrom: '2026-04-01',
        periodTo: '2026-04-30',
        paidOn: '2026-05-15',
        amount: monthTotal(sim, '2026-04-01', '2026-04-30'),
        currency,
        brand: null,
        description: 'paid, wire_transfer',
      },
      {
        periodFrom: '2026-03-01',
        periodTo: '2026-03-31',
        paidOn: '2026-04-15',
        amount: monthTotal(sim, '2026-03-01', '2026-03-31'),
        currency,
        brand: null,
        description: 'paid, wire_transfer',
      },
    ])
    expect(rows.every((r) => /^\d+$/.test(r.reference))).toBe(true)
    // One page of the list (fewer than 50 invoices), then each paid invoice's payment history.
    expect(sim.log.map((e) => e.path)).toEqual([
      '/v1/affiliates/billings/affiliates/invoicestable',
      ...rows.map((r) => `/v1/affiliates/billings/affiliates/invoices/${r.reference}`),
    ])
  })

  it('given an answer without an invoice list, when payments are fetched, then a format error says so and leaks no key', async () => {
    const sim = await t.sim()
    sim.faults.inject('malformed')
    const error = (await payments(sim, { from: '2026-03-01', to: '2026-03-31' }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { code?: string }
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT' })
    expect(error.message).toMatch(/no "invoices" list/)
    expect(`${error.message}${JSON.stringify(error)}`).not.toContain(sim.accounts[0]!.connection.apiKey)
  })

  it('given invoices without a currency or amount, when mapped, then the missing field is named', () => {
    const invoice = {
      network_affiliate_invoice_id: 9,
      start_time: '2026-03-01 00:00:00',
      end_time: '2026-03-31 23:59:59',
    }
    expect(caught(() => mapInvoice({ ...invoice, billed: 5 }, 0)).message).toMatch(
      /invoice 9 has no currency_id/,
    )
    expect(caught(() => mapInvoice({ ...invoice, currency_id: 'USD' }, 0)).message).toMatch(
      /invoice 9 has no billed/,
    )
    expect(mapInvoice({ ...invoice, billed: 12.5, currency_id: 'usd' }, 0)).toMatchObject({
      from: '2026-03-01',
      to: '2026-03-31',
      billed: '12.5',
      currency: 'USD',
    })
  })

  it('given the prepared capability, when checked against the evidence, then it names a vendor payments fact', () => {
    expect(platform.evidence.find((f) => f.id === PAYMENTS.evidence)).toMatchObject({
      topic: 'payments',
      confidence: 'vendor',
    })
  })
})
