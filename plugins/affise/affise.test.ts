import { readFileSync } from 'node:fs'
import {
  AuthError,
  type HttpResponse,
  platformManifestSchema,
  RateLimitError,
  ResponseFormatError,
  UnavailableError,
} from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import {
  httpResponse,
  rawGet,
  recordRequests,
  sortRows,
  thrown,
  usePluginTest,
  withQuery,
} from '../../test/support/plugin-harness.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapStatsItem, mapStatsPage } from './map.ts'
import { checkResponse } from './report.ts'
import { type AffiseSimulator, type AffiseSimulatorOptions, TEXT } from './simulator.ts'
import { STATS_PATH } from './wire.ts'

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

const KEY = '1ca97dd8c1b19bf8ae554c063112a489'
const NOW = new Date('2026-06-15T12:00:00Z')
const clock = fixedClock(NOW)

const t = usePluginTest<AffiseSimulator, AffiseSimulatorOptions>(new URL('.', import.meta.url), {
  seed: 'affise-test',
  now: () => clock.now(),
})

const response = (status: number, text: string, headers: Record<string, string> = {}) =>
  httpResponse(status, text, headers, `https://api-example-network.affise.com${STATS_PATH}`)

const statsUrl = (sim: AffiseSimulator, query: Record<string, string | string[]>) =>
  withQuery(`${sim.baseUrl}${STATS_PATH}`, query)

const DAY_QUERY = {
  'slice[]': ['year', 'month', 'day', 'offer', 'sub1'],
  'filter[date_from]': '2026-06-01',
  'filter[date_to]': '2026-06-03',
}

describe('affise manifest', () => {
  it('given the plugin, when the host validates its manifest, then it passes with a host per network and payout metrics', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.id).toBe('affise')
    expect(platform.capabilities).toMatchObject({
      metrics: ['clicks', 'cpaCount', 'commission'],
      breakdowns: ['brand', 'campaign'],
      perProgramHost: true,
    })
    expect(platform.limits.maxWindowDays).toBe(31)
  })
})

describe('affise connection', () => {
  it.each([
    ['the bare host', 'api-example-network.affise.com'],
    ['the documentation page', 'https://api-example-network.affise.com/docs3.1/'],
    [
      'a whole API call',
      `https://api-example-network.affise.com/3.0/stats/custom?API-Key=${KEY}&slice[]=day`,
    ],
  ])('given %s as the API URL, when parsed, then the origin is kept', (_l, baseUrl) => {
    const parsed = connection.schema.parse({ baseUrl, apiKey: KEY, currency: 'usd' })
    expect(parsed).toEqual({
      baseUrl: 'https://api-example-network.affise.com',
      apiKey: KEY,
      currency: 'USD',
    })
  })

  it('given the key as a header line and a time zone, when parsed, then the key is bare and the zone kept', () => {
    const parsed = connection.schema.parse({
      baseUrl: 'https://api-example-network.affise.com',
      apiKey: `API-Key: ${KEY}`,
      currency: 'EUR',
      timeZone: ' Europe/Berlin ',
    })
    expect(parsed).toMatchObject({ apiKey: KEY, timeZone: 'Europe/Berlin' })
    expect(
      connection.schema.parse({ baseUrl: 'a.affise.com', apiKey: KEY, currency: 'EUR', timeZone: '' })
        .timeZone,
    ).toBeUndefined()
  })

  it('given a short key, a URL with a password, a $ currency and an unknown zone, when parsed, then each field is refused', () => {
    const result = connection.schema.safeParse({
      baseUrl: 'https://user:pw@api-example-network.affise.com',
      apiKey: 'abc123',
      currency: '$',
      timeZone: 'Mars/Olympus',
    })
    expect(result.error?.issues.map((i) => i.path[0]).sort()).toEqual([
      'apiKey',
      'baseUrl',
      'currency',
      'timeZone',
    ])
  })
})

describe('affise map', () => {
  it('given a page with titled, id-only and bare offers, when mapped, then paying conversions and payouts are summed and declined ones left out', () => {
    const page = mapStatsPage(fixture('custom-stats-page.json'), 'USD', { page: 1, limit: 500 })
    expect(page.more).toBe(true)
    expect(page.rows).toMatchObject([
      {
        date: '2026-03-01',
        brand: 'HD-smart [Web]',
        campaign: 'fb-campaign-7',
        currency: 'USD',
        clicks: 1200,
        cpaCount: 15,
        commission: '58.5',
      },
      { date: '2026-03-02', brand: 'Offer 935', campaign: null, clicks: 88, cpaCount: 0, commission: '0' },
      {
        date: '2026-03-02',
        brand: 'Offer 936',
        campaign: '12345',
        clicks: 0,
        cpaCount: 1,
        commission: '0.35',
      },
    ])
    expect(page.rows.every((r) => r.signups === null && r.ftds === null && r.impressions === null)).toBe(true)
  })

  it.each([
    ['no day', { slice: { year: 2026, month: 3 } }, /item 0 has no day/],
    ['30 February', { slice: { year: 2026, month: 2, day: 30 } }, /not a calendar day/],
    ['clicks with a separator', { slice: { day: '2026-03-01' }, traffic: { raw: '1,200' } }, /traffic.raw/],
    ['sub1 as an object', { slice: { day: '2026-03-01', sub1: { value: 'x' } } }, /sub1/],
    ['another currency', { slice: { day: '2026-03-01', currency: 'EUR' } }, /in EUR, not in the USD/],
    ['an offer without id or title', { slice: { day: '2026-03-01', offer: {} } }, /offer has neither/],
    [
      'a revenue as text',
      { slice: { day: '2026-03-01' }, actions: { confirmed: { revenue: 'ten', count: 1 } } },
      /revenue/,
    ],
  ])(
    'given an item with %s, when mapped, then a ResponseFormatError names the item and the field',
    (_l, item, message) => {
      const error = thrown(() => mapStatsItem(item, 'USD', 0))
      expect(error).toBeInstanceOf(ResponseFormatError)
      expect((error as Error).message).toMatch(message)
    },
  )

  it('given a day with no actions at all, when mapped, then conversions and payout are null, not 0', () => {
    const row = mapStatsItem({ slice: { day: '2026-03-01' }, traffic: { raw: '5' } }, 'USD')
    expect(row).toMatchObject({ clicks: 5, cpaCount: null, commission: null })
  })

  it('given pagination under other names or none, when mapped, then whether more pages follow is still known', () => {
    const item = { slice: { day: '2026-03-01' }, traffic: { raw: '1' } }
    expect(
      mapStatsPage({ stats: [item], pagination: { page: 2, pages: 2 } }, 'USD', { page: 2, limit: 1 }).more,
    ).toBe(false)
    expect(mapStatsPage({ stats: [item], pagination: { count: 3 } }, 'USD', { page: 1, limit: 1 }).more).toBe(
      true,
    )
    expect(mapStatsPage({ stats: [item] }, 'USD', { page: 1, limit: 1 }).more).toBe(true)
    expect(mapStatsPage({ stats: [] }, 'USD', { page: 1, limit: 1 }).more).toBe(false)
    expect(thrown(() => mapStatsPage({ status: 1 }, 'USD', { page: 1, limit: 1 }))).toBeInstanceOf(
      ResponseFormatError,
    )
  })
})

describe('affise statuses', () => {
  const refusal = (message: string, key = 'message') => JSON.stringify({ status: 2, [key]: message })

  it('given each refusal Affise documents, with its status or with 200, when checked, then it is the SDK error a user can act on', () => {
    const cases: [HttpResponse, new (...args: never[]) => Error, string | undefined][] = [
      [response(401, refusal(TEXT.tokenNecessary)), AuthError, 'apiKey'],
      [response(403, refusal(TEXT.authDenied)), AuthError, 'apiKey'],
      [response(200, refusal(TEXT.tokenNecessary)), AuthError, 'apiKey'],
      [response(404, refusal(TEXT.pageNotFound, 'error')), ResponseFormatError, 'baseUrl'],
      [response(200, refusal('date_from must be earlier than date_to')), ResponseFormatError, undefined],
      [response(400, refusal('Bad Request')), ResponseFormatError, undefined],
      [response(429, refusal(TEXT.tooMany), { 'retry-after': '3' }), RateLimitError, undefined],
      [response(200, refusal('Too many requests')), RateLimitError, undefined],
      [
        response(500, refusal('Server error, Please contact your administrator')),
        UnavailableError,
        undefined,
      ],
      [response(502, '<html><body>502 Bad Gateway</body></html>'), UnavailableError, undefined],
      [response(200, '<!DOCTYPE html><html><body>maintenance</body></html>'), UnavailableError, undefined],
      [response(404, '<html>not found</html>'), ResponseFormatError, 'baseUrl'],
    ]
    for (const [res, type, field] of cases) {
      const error = thrown(() => checkResponse(res))
      expect(error, `${res.status} ${res.text}`).toBeInstanceOf(type)
      expect((error as { field?: string }).field, `${res.status} ${res.text}`).toBe(field)
    }
    expect(thrown(() => checkResponse(response(200, '{"status":1,"stats":[]}')))).toBeUndefined()
  })
})

describe('affise simulator wire format', () => {
  it('given the key in the API-Key header or parameter, or none, when stats are asked, then the first two answer and the last is "Token is necessary"', async () => {
    const sim = await t.sim({ clock })
    const { apiKey } = sim.credentials(sim.accounts[0]!.key)
    const byHeader = await rawGet(statsUrl(sim, DAY_QUERY), { 'API-Key': apiKey })
    const byParam = await rawGet(statsUrl(sim, { ...DAY_QUERY, 'API-Key': apiKey }))
    const none = await rawGet(statsUrl(sim, DAY_QUERY))
    expect([byHeader.status, byParam.status, none.status]).toEqual([200, 200, 401])
    expect(JSON.parse(byHeader.text)).toEqual(JSON.parse(byParam.text))
    expect(JSON.parse(none.text)).toEqual({ status: 2, message: TEXT.tokenNecessary })
  })

  it('given the documented request, when answered, then the slice, traffic strings, money numbers and pagination have the documented shape', async () => {
    const sim = await t.sim({ clock })
    const { apiKey } = sim.credentials(sim.accounts[0]!.key)
    const answer = await rawGet(statsUrl(sim, { ...DAY_QUERY, limit: '2' }), { 'api-key': apiKey })
    const body = JSON.parse(answer.text)
    expect(body.status).toBe(1)
    expect(body.pagination).toMatchObject({ per_page: 2, page: 1 })
    expect(body.pagination.total_count).toBeGreaterThan(2)
    const [item] = body.stats
    expect(item.slice).toMatchObject({ year: 2026, month: 6, day: 1, offer: { id: expect.any(Number) } })
    expect(typeof item.traffic.raw).toBe('string')
    expect(Object.keys(item.actions).sort()).toEqual(['confirmed', 'declined', 'hold', 'pending', 'total'])
    expect(typeof item.actions.confirmed.revenue).toBe('number')
    const big = JSON.parse(
      (await rawGet(statsUrl(sim, { ...DAY_QUERY, limit: '5000' }), { 'api-key': apiKey })).text,
    )
    expect(big.pagination.per_page).toBe(500)
  })

  it('given an admin-only slice or dates the wrong way round, when asked, then 403 "Auth Denied" and a status 2 refusal sent with HTTP 200', async () => {
    const sim = await t.sim({ clock })
    const { apiKey } = sim.credentials(sim.accounts[0]!.key)
    const admin = await rawGet(statsUrl(sim, { ...DAY_QUERY, 'slice[]': ['day', 'affiliate'] }), {
      'api-key': apiKey,
    })
    expect([admin.status, JSON.parse(admin.text).message]).toEqual([403, TEXT.authDenied])
    const reversed = await rawGet(
      statsUrl(sim, { ...DAY_QUERY, 'filter[date_from]': '2026-06-03', 'filter[date_to]': '2026-06-01' }),
      { 'api-key': apiKey },
    )
    expect(reversed.status).toBe(200)
    expect(JSON.parse(reversed.text).status).toBe(2)
  })

  it('given another currency in the filter, when asked, then the account’s statistics are empty', async () => {
    const sim = await t.sim({ clock })
    const { apiKey, currency } = sim.credentials(sim.accounts[0]!.key)
    const other = currency === 'USD' ? 'EUR' : 'USD'
    const answer = await rawGet(statsUrl(sim, { ...DAY_QUERY, 'filter[currency][]': other }), {
      'api-key': apiKey,
    })
    expect(JSON.parse(answer.text)).toMatchObject({ stats: [], pagination: { total_count: 0 } })
  })
})

describe('affise through the host runner', () => {
  it('given a window over several pages, when fetched, then the rows equal the truth and each request names the currency and UTC', async () => {
    const sim = await t.sim({ clock, pageSize: 7 })
    const window = { from: '2026-05-20', to: '2026-05-26' }
    const { result: rows, requests } = await recordRequests(sim.baseUrl, () => t.fetch(sim, window))
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
    expect(requests.length).toBeGreaterThan(2)
    const currency = sim.credentials(sim.accounts[0]!.key).currency
    for (const request of requests) {
      expect(request.url.searchParams.getAll('filter[currency][]')).toEqual([currency])
      expect(request.url.searchParams.get('timezone')).toBe('UTC')
      expect(request.url.searchParams.getAll('slice[]')).toEqual(['year', 'month', 'day', 'offer', 'sub1'])
      expect(request.headers['api-key']).toBeDefined()
      expect(request.url.search).not.toContain(sim.credentials(sim.accounts[0]!.key).apiKey)
    }
  })

  it('given offers sent as bare ids, when fetched, then each brand is named by its offer id', async () => {
    const sim = await t.sim({ clock, offerSlice: 'id' })
    const window = { from: '2026-05-20', to: '2026-05-22' }
    const rows = await t.fetch(sim, window)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
    expect(rows.every((r) => /^Offer \d+$/.test(r.brand ?? ''))).toBe(true)
  })

  it('given the second account typed with its zone, when checked, then the currency and zone come back and the request asks for that zone', async () => {
    const sim = await t.sim({ clock })
    const { result, requests } = await recordRequests(sim.baseUrl, () => t.check(sim.accounts[1]!.connection))
    expect(result).toEqual({
      currency: sim.credentials(sim.accounts[1]!.key).currency,
      timeZone: 'Europe/Berlin',
    })
    expect(requests).toHaveLength(1)
    expect(requests[0]!.url.searchParams.get('timezone')).toBe('Europe/Berlin')
    // Yesterday in Berlin for the simulated "now", asked as one day.
    expect(requests[0]!.url.searchParams.get('filter[date_from]')).toBe('2026-06-14')
    expect(requests[0]!.url.searchParams.get('limit')).toBe('1')
  })

  it('given a key Affise does not know, when checked, then an AuthError on apiKey and no retry', async () => {
    const sim = await t.sim({ clock })
    const error = await t.check(sim.invalidConnection()).catch((e) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error.field).toBe('apiKey')
    expect(error.message).toMatch(/Token is necessary/)
    expect(sim.log).toHaveLength(1)
  })
})
