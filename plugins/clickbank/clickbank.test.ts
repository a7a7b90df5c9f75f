import { readFileSync } from 'node:fs'
import {
  AuthError,
  type HttpResponse,
  mergeRows,
  type PlatformSimulator,
  platformManifestSchema,
  RateLimitError,
  ResponseFormatError,
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
import { testDay } from '../../test/support/test-clock.ts'
import { connection, DEFAULT_API_BASE_URL } from './credentials.ts'
import platform from './index.ts'
import { mapAnalyticsPage } from './map.ts'
import { ANALYTICS_PATH, apiBase, type ClickbankConnection, checkResponse, STATUS_PATH } from './report.ts'
import {
  CAPTAIN_DEV_KEY,
  type ClickbankSimulatorOptions,
  simulatorApiKey,
  simulatorNickname,
  TEXT,
} from './simulator.ts'

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

const KEY = 'API-KX7Q2M9ZP4RT8WNC6VHB3YJD5LFG1SAE'

// ---------------------------------------------------------------------------------------------------------------
// The plugin end to end runs on the host's own runner and HTTP client: retries, rate limits, redaction.
// ---------------------------------------------------------------------------------------------------------------

const t = usePluginTest<PlatformSimulator, ClickbankSimulatorOptions>(new URL('.', import.meta.url), {
  seed: 'clickbank-test',
})

const response = (status: number, text: string, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  url: 'https://api.clickbank.com/rest/1.3/analytics/AFFILIATE/TRACKING_ID',
  text,
  json: <T>() => JSON.parse(text) as T,
})

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

const connOf = (sim: PlatformSimulator, index = 0) => t.conn(sim, index) as ClickbankConnection

function analyticsUrl(sim: PlatformSimulator, nickname: string, day: string, select: string[] = []): string {
  return withQuery(`${sim.baseUrl}${ANALYTICS_PATH}`, {
    account: nickname,
    startDate: day,
    endDate: day,
    select,
  })
}

const daysAgo = (n: number) => testDay(-n)

// ---------------------------------------------------------------------------------------------------------------

describe('clickbank manifest', () => {
  it('given the plugin, when the host validates its manifest, then it passes with a central host and USD metrics', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.id).toBe('clickbank')
    expect(platform.name).toBe('ClickBank')
    expect(platform.capabilities.perProgramHost).toBe(false)
    expect(platform.connection.fields).not.toHaveProperty('baseUrl')
    expect(platform.connection.fields.apiBaseUrl).toMatchObject({ required: false, secret: false })
    expect(platform.capabilities.metrics).toEqual([
      'clicks',
      'salesCount',
      'refundCount',
      'chargebackCount',
      'salesAmount',
      'refundAmount',
      'chargebackAmount',
      'commission',
    ])
    expect(platform.capabilities.breakdowns).toEqual(['campaign'])
    expect(platform.limits.perHost).toEqual({ requests: 10, intervalMs: 1000 })
    expect(platform.limits.perAccount!.intervalMs).toBe(86_400_000)
    expect(platform.limits.perAccount!.requests).toBeLessThanOrEqual(25_000)
  })
})

describe('clickbank connection', () => {
  it.each([
    ['a current key', KEY, KEY],
    ['a legacy developer:clerk pair', `${CAPTAIN_DEV_KEY}:${KEY}`, `${CAPTAIN_DEV_KEY}:${KEY}`],
    ['a key with whitespace and a Bearer prefix', `  Bearer ${KEY}\n`, KEY],
  ])(
    'given %s, when parsed, then the key is kept verbatim for the Authorization header',
    (_l, input, out) => {
      expect(connection.schema.parse({ apiKey: input, nickname: 'mynick1' }).apiKey).toBe(out)
    },
  )

  it.each([
    ['a password-like value', 'hunter2hunter2'],
    ['a bare developer key', CAPTAIN_DEV_KEY],
    ['a key with inner spaces', 'API-KX7Q2M9Z P4RT8WNC6'],
  ])('given %s, when parsed, then the apiKey field is rejected with a hint', (_l, apiKey) => {
    const result = connection.schema.safeParse({ apiKey, nickname: 'mynick1' })
    expect(result.error?.issues.map((i) => i.path)).toEqual([['apiKey']])
    expect(result.error?.issues[0]?.message).toMatch(/API-/)
  })

  it('given no or an empty API base URL, when parsed, then the public ClickBank host is used', () => {
    const absent = connection.schema.parse({ apiKey: KEY, nickname: 'mynick1' })
    const empty = connection.schema.parse({ apiKey: KEY, nickname: 'mynick1', apiBaseUrl: '  ' })
    expect(apiBase(absent)).toBe(DEFAULT_API_BASE_URL)
    expect(apiBase(empty)).toBe(DEFAULT_API_BASE_URL)
    expect(
      apiBase(connection.schema.parse({ apiKey: KEY, nickname: 'n1', apiBaseUrl: 'http://127.0.0.1:9/' })),
    ).toBe('http://127.0.0.1:9')
  })

  it('given a nickname with spaces or an API base URL with a query, when parsed, then those fields are rejected', () => {
    const result = connection.schema.safeParse({
      apiKey: KEY,
      nickname: 'my nick',
      apiBaseUrl: 'https://x.test/?a=1',
    })
    expect(result.error?.issues.map((i) => i.path[0]).sort()).toEqual(['apiBaseUrl', 'nickname'])
  })
})

describe('clickbank map', () => {
  it('given `$`-wrapped strings, when mapped, then counts are numbers and amounts exact USD decimals', () => {
    const [row] = mapAnalyticsPage(fixture('analytics-page.json'), '2026-01-05')
    expect(row).toMatchObject({
      date: '2026-01-05',
      brand: null,
      campaign: 'springpush',
      currency: 'USD',
      clicks: 479,
      salesCount: 7,
      salesAmount: '343',
      refundCount: 1,
      refundAmount: '-47.1',
      chargebackCount: 0,
      chargebackAmount: '0',
      commission: '26.18',
      impressions: null,
      ftds: null,
    })
  })

  it('given a nil tracking id, a bare string value and missing or nil attributes, when mapped, then they are null', () => {
    const [, row] = mapAnalyticsPage(fixture('analytics-page.json'), '2026-01-05')
    expect(row).toMatchObject({
      campaign: null,
      clicks: 12,
      salesCount: 0,
      commission: null,
      refundCount: null,
    })
  })

  // Before: the no-tracking-id bucket was stored as a campaign named "Not Set".
  it('given the published live tracking-id table, when mapped, then "Not Set" is no campaign and tracking ids keep their case', () => {
    const rows = mapAnalyticsPage(fixture('analytics-live-tracking-ids.json'), '2026-07-14')
    expect(rows.map((r) => [r.campaign, r.clicks, r.salesCount])).toEqual([
      [null, 132, 0],
      ['index_top_txt', 26, 0],
      ['index_pic_txt', 24, 0],
      ['ABC29', 1, 0],
      ['mc_ind', 1, 0],
    ])
    expect(rows.every((r) => r.currency === 'USD' && r.date === '2026-07-14')).toBe(true)
    // Stored rows hold no campaign literally named "Not Set", whatever the case of the others.
    expect(mergeRows(rows).some((r) => r.campaign === 'Not Set')).toBe(false)
  })

  it('given a single row object and a single data object instead of arrays, when mapped, then one row is read', () => {
    const rows = mapAnalyticsPage(fixture('analytics-single.json'), '2026-02-01')
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ date: '2026-02-01', campaign: 'fbads', clicks: 5, salesCount: null })
  })

  it.each([
    ['no rows key', {}],
    ['rows null', { rows: null }],
    ['rows empty', { rows: {} }],
    ['rows an empty string', { rows: '' }],
    ['an empty row list', { rows: { row: [] } }],
  ])('given an empty answer with %s, when mapped, then there are no rows', (_l, body) => {
    expect(mapAnalyticsPage(body, '2026-01-01')).toEqual([])
  })

  it.each([
    ['a word as count', { attribute: 'HOP_COUNT', value: { $: 'many' } }],
    ['a fractional count', { attribute: 'SALE_COUNT', value: { $: '1.5' } }],
    ['a bad amount', { attribute: 'NET_SALE_AMOUNT', value: { $: '1,234.00' } }],
    ['a value that is a list', { attribute: 'HOP_COUNT', value: { $: ['1'] } }],
  ])('given %s, when mapped, then it is a ResponseFormatError', (_l, data) => {
    const error = thrown(() =>
      mapAnalyticsPage({ rows: { row: { dimensionValue: 'x', data } } }, '2026-01-01'),
    )
    expect(error).toBeInstanceOf(ResponseFormatError)
  })

  it('given two rows of one TID and rows outside the window, when collected, then twins add up and outsiders go', () => {
    const page = mapAnalyticsPage(fixture('analytics-page.json'), '2026-01-05')
    const outside = mapAnalyticsPage(fixture('analytics-page.json'), '2026-01-09')
    const rows = mergeRows([page[0]!, page[0]!, ...outside], { from: '2026-01-01', to: '2026-01-05' })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ clicks: 958, commission: '52.36', refundAmount: '-94.2' })
  })
})

describe('clickbank status mapping', () => {
  it('given 401 "Invalid API key", when checked, then an AuthError on apiKey says a regenerated key must be pasted again', () => {
    const error = thrown(() => checkResponse(response(401, TEXT.invalidKey))) as AuthError
    expect(error).toBeInstanceOf(AuthError)
    expect(error.field).toBe('apiKey')
    expect(error.message).toMatch(/regenerated/)
    expect(error.message).toMatch(/paste the new key/)
  })

  it('given 403 with a missing-permission text, when checked, then an AuthError names the Analytics permission for the nickname', () => {
    const error = thrown(() => checkResponse(response(403, TEXT.missingPermission('mynick1')))) as AuthError
    expect(error).toBeInstanceOf(AuthError)
    expect(error.field).toBe('nickname')
    expect(error.message).toMatch(/Analytics API permission for this account nickname/)
  })

  it.each([
    ['the per-second limit', TEXT.rateLimited],
    ['the daily limit', TEXT.dailyLimit('mynick1')],
    ['a terse text', 'Rate limit exceeded'],
  ])(
    'given 403 with the text of %s, when checked, then it is a RateLimitError, not an AuthError',
    (_l, body) => {
      expect(thrown(() => checkResponse(response(403, body)))).toBeInstanceOf(RateLimitError)
    },
  )

  it('given 503, an HTML 200, an XML 200, 404 and 206 JSON, when checked, then unavailable, unavailable, format, format, fine', () => {
    expect(thrown(() => checkResponse(response(503, 'down')))).toBeInstanceOf(UnavailableError)
    expect(thrown(() => checkResponse(response(200, '<!DOCTYPE html><html></html>')))).toBeInstanceOf(
      UnavailableError,
    )
    expect(thrown(() => checkResponse(response(200, '<?xml version="1.0"?><r/>')))).toBeInstanceOf(
      ResponseFormatError,
    )
    expect((thrown(() => checkResponse(response(404, 'Not Found'))) as ResponseFormatError).field).toBe(
      'apiBaseUrl',
    )
    expect(thrown(() => checkResponse(response(206, '{"rows":{}}')))).toBeUndefined()
  })
})

describe('clickbank simulator wire format', () => {
  it('given the key as Bearer, unknown or absent, when called, then 401 "Invalid API key" in plain text', async () => {
    const sim = await t.sim()
    const conn = connOf(sim)
    const url = analyticsUrl(sim, conn.nickname, daysAgo(2))
    for (const authorization of [`Bearer ${conn.apiKey}`, simulatorApiKey('x', 'y'), '']) {
      const answer = await rawGet(url, { authorization, accept: 'application/json' })
      expect(answer.status).toBe(401)
      expect(answer.text).toBe('Invalid API key')
    }
  })

  it('given the bare key and the legacy DEV:API form, when called, then both are accepted', async () => {
    const sim = await t.sim()
    const conn = connOf(sim)
    expect(connOf(sim, 1).apiKey).toMatch(/^DEV-\w+:API-\w+$/)
    for (const authorization of [conn.apiKey, `DEV-ABCDEF123456:${conn.apiKey}`]) {
      const answer = await rawGet(`${sim.baseUrl}${STATUS_PATH}`, {
        authorization,
        accept: 'application/json',
      })
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.text)).toMatchObject({ status: 'GREEN' })
    }
  })

  it('given a page size of one, when pages are walked with the Page header, then 206 until the last page, single objects each', async () => {
    const sim = await t.sim({ pageSize: 1 })
    const conn = connOf(sim)
    const day = daysAgo(3)
    const headers = (page: number) => ({
      authorization: conn.apiKey,
      accept: 'application/json',
      page: String(page),
    })
    const truth = sim.truth(sim.accounts[0]!.key, { from: day, to: day })
    expect(truth.length).toBeGreaterThan(1)
    const statuses: number[] = []
    for (let page = 1; page <= truth.length; page++) {
      const answer = await rawGet(analyticsUrl(sim, conn.nickname, day, ['HOP_COUNT']), headers(page))
      statuses.push(answer.status)
      const body = JSON.parse(answer.text)
      expect(Array.isArray(body.rows.row)).toBe(false)
      expect(body.rows.row.data).toMatchObject({ attribute: 'HOP_COUNT', value: { $: expect.any(String) } })
    }
    expect(statuses).toEqual([...Array(truth.length - 1).fill(206), 200])
  })

  it('given single objects turned off, when a one-row page is asked, then rows and data stay arrays and amounts have 2 decimals', async () => {
    const sim = await t.sim({ pageSize: 1, singleObjects: false })
    const conn = connOf(sim)
    const answer = await rawGet(analyticsUrl(sim, conn.nickname, daysAgo(3), ['NET_SALE_AMOUNT']), {
      authorization: conn.apiKey,
      accept: 'application/json',
    })
    const body = JSON.parse(answer.text)
    expect(Array.isArray(body.rows.row)).toBe(true)
    expect(body.rows.row[0].data[0].value.$).toMatch(/^-?\d+\.\d\d$/)
  })

  it('given another nickname, a missing-permission or a rate-limit fault, when called, then 403 with distinct texts', async () => {
    const sim = await t.sim()
    const conn = connOf(sim)
    const headers = { authorization: conn.apiKey, accept: 'application/json' }
    const other = await rawGet(
      analyticsUrl(sim, simulatorNickname(sim.accounts[1]!.key), daysAgo(2)),
      headers,
    )
    expect([other.status, other.text]).toEqual([
      403,
      TEXT.missingPermission(simulatorNickname(sim.accounts[1]!.key)),
    ])
    sim.faults.inject('missing-permission', { times: 1 })
    const denied = await rawGet(analyticsUrl(sim, conn.nickname, daysAgo(2)), headers)
    expect(denied.status).toBe(403)
    expect(denied.text).toMatch(/permission/)
    sim.faults.inject('rate-limit', { times: 1 })
    const limited = await rawGet(analyticsUrl(sim, conn.nickname, daysAgo(2)), headers)
    expect(limited.status).toBe(403)
    expect(limited.text).toBe(TEXT.rateLimited)
  })

  it('given a daily limit, when it is used up, then 403 with the daily-limit text', async () => {
    const sim = await t.sim({ dailyLimit: 2 })
    const conn = connOf(sim)
    const headers = { authorization: conn.apiKey, accept: 'application/json' }
    const statuses: number[] = []
    for (let i = 0; i < 3; i++)
      statuses.push((await rawGet(analyticsUrl(sim, conn.nickname, daysAgo(2)), headers)).status)
    expect(statuses).toEqual([200, 200, 403])
  })

  it('given no Accept header, when called, then the answer is XML', async () => {
    const sim = await t.sim()
    const answer = await rawGet(analyticsUrl(sim, connOf(sim).nickname, daysAgo(2)), {
      authorization: connOf(sim).apiKey,
    })
    expect(answer.text).toMatch(/^<\?xml/)
  })
})

describe('clickbank fetchReport against the simulator', () => {
  it('given several pages per day and both key forms, when fetched, then the rows equal truth() exactly', async () => {
    const sim = await t.sim({ pageSize: 1 })
    const window = { from: daysAgo(6), to: daysAgo(2) }
    for (const [index, account] of sim.accounts.entries()) {
      const rows = await t.fetch(sim, window, { index: index })
      expect(rows.length).toBeGreaterThan(5)
      expect(sortRows(rows)).toEqual(sortRows(sim.truth(account.key, window)))
    }
  })

  it('given a fetch, when the requests are inspected, then one day per request, the key verbatim, repeated select and Page', async () => {
    const sim = await t.sim({ pageSize: 1 })
    const conn = connOf(sim, 1)
    const { requests: sent } = await recordRequests(sim.baseUrl, () =>
      t.fetch(sim, { from: daysAgo(3), to: daysAgo(2) }, { index: 1 }),
    )
    expect(sent.length).toBeGreaterThan(2)
    expect(sent).toHaveLength(sim.log.length)
    for (const { url, headers } of sent) {
      expect(url.pathname).toBe('/rest/1.3/analytics/AFFILIATE/TRACKING_ID')
      expect(url.searchParams.get('startDate')).toBe(url.searchParams.get('endDate'))
      expect(url.searchParams.get('account')).toBe(conn.nickname)
      expect(url.searchParams.getAll('select')).toHaveLength(8)
      expect(headers.authorization).toBe(conn.apiKey)
      expect(headers.authorization).not.toMatch(/^Bearer/)
      expect(headers.accept).toBe('application/json')
      expect(headers.page).toMatch(/^\d+$/)
    }
    expect(new Set(sent.map((s) => s.url.searchParams.get('startDate')))).toEqual(
      new Set([daysAgo(3), daysAgo(2)]),
    )
  })

  it('given an account without tracking ids and arrays only, when fetched, then campaigns are null and rows equal truth()', async () => {
    const sim = await t.sim({
      singleObjects: false,
      accounts: [{ key: 'plain', brands: ['B'], currencies: ['EUR'] }],
    })
    const window = { from: daysAgo(5), to: daysAgo(2) }
    const rows = await t.fetch(sim, window)
    expect(rows.every((r) => r.campaign === null && r.currency === 'USD')).toBe(true)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('plain', window)))
  })

  it('given a revised day, when fetched again, then the new figures equal truth()', async () => {
    const sim = await t.sim()
    const window = { from: daysAgo(4), to: daysAgo(3) }
    const before = await t.fetch(sim, window)
    sim.revise(sim.accounts[0]!.key, daysAgo(3))
    const after = await t.fetch(sim, window)
    expect(sortRows(after)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
    expect(sortRows(after)).not.toEqual(sortRows(before))
  })

  it('given a transient 403 rate limit and an outage, when fetched, then the retried result still equals truth()', async () => {
    const sim = await t.sim()
    const window = { from: daysAgo(3), to: daysAgo(2) }
    sim.faults.inject('rate-limit', { times: 1 })
    sim.faults.inject('outage', { times: 1 })
    const rows = await t.fetch(sim, window)
    expect(sim.faults.hits('rate-limit')).toBe(1)
    expect(sim.faults.hits('outage')).toBe(1)
    // One request per day, the first sent three times (outage, then the 403 limit, then the answer).
    expect(sim.log).toHaveLength(4)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
  })

  it('given check, when the key is good, unknown, expired or lacks the permission, then it answers accordingly', async () => {
    const sim = await t.sim()
    expect(await t.check(connOf(sim))).toEqual({
      accountName: connOf(sim).nickname,
      currency: 'USD',
      timeZone: 'UTC',
    })
    const bad = await t.check(connection.schema.parse(sim.invalidConnection())).catch((e) => e)
    expect(bad).toBeInstanceOf(AuthError)
    expect(bad.field).toBe('apiKey')
    sim.faults.inject('expired-token', { times: 1 })
    expect(await t.check(connOf(sim)).catch((e) => e)).toBeInstanceOf(AuthError)
    sim.faults.inject('missing-permission', { times: 1 })
    const denied = await t.check(connOf(sim)).catch((e) => e)
    expect(denied).toBeInstanceOf(AuthError)
    expect(denied.field).toBe('nickname')
    // Four checks, four requests: a refused key or permission is never retried.
    expect(sim.log).toHaveLength(4)
  })

  it('given a malformed answer, when fetched, then it is a ResponseFormatError not retried; given answers cut short, then the host retries and ends with an UnavailableError', async () => {
    const sim = await t.sim()
    sim.faults.inject('malformed', { times: 1 })
    const window = { from: daysAgo(2), to: daysAgo(2) }
    expect(await t.fetch(sim, window).catch((e) => e)).toBeInstanceOf(ResponseFormatError)
    expect(sim.log, 'a format error is not retried').toHaveLength(1)
    sim.faults.inject('truncated', { times: 3 })
    const error = await t.fetch(sim, window).catch((e) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error).not.toBeInstanceOf(AuthError)
    expect(error).toBeInstanceOf(UnavailableError)
    expect(sim.faults.hits('truncated'), 'every attempt the host makes was cut short').toBe(3)
  })
})
