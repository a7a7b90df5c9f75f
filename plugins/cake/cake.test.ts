import { readFileSync } from 'node:fs'
import { platformManifestSchema } from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import {
  defineFaultTests,
  defineRevisionTest,
  failureOf,
  httpAnswer,
  type SimulatedFetch,
  thrownBy,
  useSecretSweep,
} from '../../test/support/plugin-checks.ts'
import { rawGet, sortRows, usePluginTest, withQuery } from '../../test/support/plugin-harness.ts'
import { testDay, testNow, testWindow } from '../../test/support/test-clock.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapDailySummary, parseResponse, symbolMatches } from './map.ts'
import { type CakeConnection, checkResponse, dailySummaryQuery } from './report.ts'
import { type CakeSimulator, type CakeSimulatorOptions, simulatorApiKey } from './simulator.ts'
import { DAILY_SUMMARY_PATH } from './wire.ts'

const SEED = 'cake-test'
const clock = fixedClock(testNow())
const text = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const daily = (name: string, currency = 'USD') =>
  mapDailySummary(parseResponse(text(name), 'daily summary').body, currency)

const t = usePluginTest<CakeSimulator, CakeSimulatorOptions>(new URL('.', import.meta.url), {
  seed: SEED,
  now: () => clock.now(),
})
const sweep = useSecretSweep(() => t.harness)

async function startSim(options: CakeSimulatorOptions = {}): Promise<CakeSimulator> {
  const sim = await t.sim({ clock, ...options })
  for (const account of sim.accounts) sweep.secret(simulatorApiKey(SEED, account.key))
  return sim
}

describe('cake manifest and connection', () => {
  it('given the default export, when validated, then it declares a per-network domain, 31-day windows, daily rows without breakdowns', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.capabilities).toMatchObject({ perProgramHost: true, breakdowns: [] })
    expect(platform.limits.maxWindowDays).toBe(31)
    expect(platform.capabilities.metrics).toEqual(['clicks', 'cpaCount', 'commission'])
  })

  it.each([
    ['affiliates.example-network.com', 'https://affiliates.example-network.com'],
    [
      'https://affiliates.example-network.com/login.ashx?ReturnUrl=%2f',
      'https://affiliates.example-network.com',
    ],
    [
      'https://demo.cakemarketing.com/affiliates/api/2/reports.asmx/PerformanceSummary?api_key=x&affiliate_id=2699',
      'https://demo.cakemarketing.com',
    ],
    ['https://partners.example.net/cake/affiliates/Dashboard.aspx', 'https://partners.example.net/cake'],
  ])(
    'given the portal address %j, when parsed, then it becomes %j and parses to itself again',
    (input, root) => {
      const parsed = connection.schema.parse({
        baseUrl: input,
        affiliateId: '2699',
        apiKey: 's15Sl4xmfA',
        currency: 'GBP',
      })
      expect(parsed.baseUrl).toBe(root)
      expect(connection.schema.parse(parsed)).toEqual(parsed)
    },
  )

  it('given an id and a key pasted with their parameter names or as an API call, when parsed, then the bare values are kept; bad values name their field', () => {
    const call =
      'https://demo.cakemarketing.com/affiliates/api/2/reports.asmx/PerformanceSummary?api_key=s15Sl4xmfA&affiliate_id=2699'
    for (const [affiliateId, apiKey] of [
      [' 2699 ', ' s15Sl4xmfA '],
      ['affiliate_id=2699', 'api_key=s15Sl4xmfA'],
      [call, call],
    ])
      expect(
        connection.schema.parse({ baseUrl: 'x.example.com', affiliateId, apiKey, currency: 'usd' }),
      ).toMatchObject({
        affiliateId: '2699',
        apiKey: 's15Sl4xmfA',
        currency: 'USD',
      })
    const bad = connection.schema.safeParse({
      baseUrl: 'ftp://x',
      affiliateId: 'me',
      apiKey: 'short',
      currency: '$',
    })
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual([
      'affiliateId',
      'apiKey',
      'baseUrl',
      'currency',
    ])
  })
})

describe('cake daily summary mapping (fixtures)', () => {
  it('given a daily summary, when mapped, then each day is a row in the connection’s currency with exact amounts', () => {
    const rows = daily('daily-summary.xml')
    expect(rows.map((r) => [r.date, r.clicks, r.cpaCount, r.commission])).toEqual([
      ['2026-05-04', 412, 9, '315'],
      ['2026-05-05', 37, 0, '0'],
      ['2026-05-06', 96, 1, '4.25'],
    ])
    expect(rows[0]).toMatchObject({
      brand: null,
      campaign: null,
      currency: 'USD',
      impressions: null,
      signups: null,
    })
  })

  it('given one day with a US date and a negative revenue, when mapped, then the single day is a list of one', () => {
    expect(daily('daily-summary-us-dates.xml', 'GBP')).toEqual([
      expect.objectContaining({
        date: '2026-05-07',
        clicks: 12,
        cpaCount: 1,
        commission: '-12.5',
        currency: 'GBP',
      }),
    ])
  })

  it('given an empty days element, when mapped, then the report is empty', () => {
    expect(daily('daily-summary-empty.xml')).toEqual([])
  })

  it.each([
    [
      'a day without figures',
      '<r><success>true</success><days><day><date>2026-05-04</date><name>x</name></day></days></r>',
      /none of clicks, conversions, revenue \(found: date, name\)/,
    ],
    [
      'an impossible date',
      '<r><success>true</success><days><day><date>2026-02-30</date><clicks>1</clicks></day></days></r>',
      /no usable date/,
    ],
    [
      'a fractional count',
      '<r><success>true</success><days><day><date>2026-05-04</date><clicks>1.5</clicks></day></days></r>',
      /clicks is not a count/,
    ],
    [
      'a bad amount',
      '<r><success>true</success><days><day><date>2026-05-04</date><revenue>1,50</revenue></day></days></r>',
      /revenue is not a decimal/,
    ],
    [
      'unescaped markup',
      '<r><success>true</success><days><day><date>A & B</date></day></days></r>',
      /not well-formed XML/,
    ],
    ['two documents', '<a/><b/>', /not well-formed XML|no single response element/],
  ])('given %s, when mapped, then a ResponseFormatError names it', (_name, xml, message) => {
    const error = thrownBy(() => mapDailySummary(parseResponse(xml, 'daily summary').body, 'USD'))
    expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(error.message).toMatch(message)
  })

  it('given the KB’s PerformanceSummary sample, when compared with a currency, then £ stands for GBP only', () => {
    const body = parseResponse(text('performance-summary.xml'), 'performance summary').body
    expect(symbolMatches(body, 'GBP')).toEqual({ symbol: '£', matches: true })
    expect(symbolMatches(body, 'USD')).toEqual({ symbol: '£', matches: false })
  })
})

describe('cake answers read by checkResponse', () => {
  it.each([
    ['a 200 "Invalid API Key" refusal', 200, text('invalid-api-key.xml'), 'PLATFORM_AUTH', 'apiKey'],
    ['a 500 "Invalid API Key"', 500, 'Invalid API Key', 'PLATFORM_AUTH', 'apiKey'],
    [
      'a 200 refusal naming the affiliate',
      200,
      '<r><success>false</success><message>Affiliate not found</message></r>',
      'PLATFORM_AUTH',
      'affiliateId',
    ],
    [
      'a 200 refusal about the dates',
      200,
      '<r><success>false</success><message>Invalid date range</message></r>',
      'PLATFORM_RESPONSE_FORMAT',
      undefined,
    ],
    ['a 500 missing parameter', 500, text('missing-parameter.txt'), 'PLATFORM_RESPONSE_FORMAT', undefined],
    ['a 200 web page', 200, '<!DOCTYPE html><html></html>', 'PLATFORM_UNAVAILABLE', undefined],
    ['a 200 empty body', 200, ' ', 'PLATFORM_UNAVAILABLE', undefined],
    [
      'a 200 answer cut short',
      200,
      '<daily_summary_response><success>true</success><days><day>',
      'PLATFORM_UNAVAILABLE',
      undefined,
    ],
    ['a 200 text', 200, 'Object reference not set', 'PLATFORM_RESPONSE_FORMAT', undefined],
    ['a 429', 429, 'Too Many Requests', 'PLATFORM_RATE_LIMITED', undefined],
    ['a 404', 404, 'Not Found', 'PLATFORM_RESPONSE_FORMAT', 'baseUrl'],
    ['a 503', 503, '<html></html>', 'PLATFORM_UNAVAILABLE', undefined],
  ])(
    'given %s, when checked, then it raises %s, never an empty report',
    (_name, status, body, code, field) => {
      const error = thrownBy(() => checkResponse(httpAnswer(status, body)))
      expect(error.code).toBe(code)
      expect(error.field).toBe(field)
    },
  )

  it('given a successful answer, when checked, then it passes', () => {
    expect(() => checkResponse(httpAnswer(200, text('daily-summary.xml')))).not.toThrow()
    expect(() => checkResponse(httpAnswer(200, text('daily-summary-empty.xml')))).not.toThrow()
    expect(() => checkResponse(httpAnswer(200, text('performance-summary.xml')))).not.toThrow()
  })
})

describe('cake simulator on the wire', () => {
  const conn = (sim: CakeSimulator) => t.conn(sim) as CakeConnection

  it('given start_date and an exclusive end_date one day later, when asked raw, then exactly that day comes back', async () => {
    const sim = await startSim()
    const day = testDay(-5)
    const raw = await rawGet(
      withQuery(`${sim.baseUrl}${DAILY_SUMMARY_PATH}`, dailySummaryQuery(conn(sim), { from: day, to: day })),
    )
    expect(raw.status).toBe(200)
    expect(raw.text.match(/<date>[^<]+<\/date>/g)).toEqual([`<date>${day}T00:00:00</date>`])
    expect(raw.text).toMatch(/<success>true<\/success>/)
  })

  it('given a parameter left out, when asked raw, then the web service answers HTTP 500 naming it', async () => {
    const sim = await startSim()
    const { site_offer_id: _, ...query } = dailySummaryQuery(conn(sim), testWindow(3, 2))
    const raw = await rawGet(withQuery(`${sim.baseUrl}${DAILY_SUMMARY_PATH}`, query))
    expect(raw.status).toBe(500)
    expect(raw.text).toMatch(/Missing parameter: site_offer_id/)
  })

  it('given 32 days, when asked raw, then CAKE refuses with success false', async () => {
    const sim = await startSim()
    const raw = await rawGet(
      withQuery(`${sim.baseUrl}${DAILY_SUMMARY_PATH}`, dailySummaryQuery(conn(sim), testWindow(3, 32))),
    )
    expect(raw.text).toMatch(/<success>false<\/success>/)
  })
})

describe('cake against its simulator through the host', () => {
  it('given a 45-day window, when fetched through the host, then it is cut in two, each with the day after its end, and the rows equal the truth', async () => {
    const sim = await startSim()
    const window = testWindow(3, 45)
    const rows = await sweep.recorded(() => t.fetch(sim, window))
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('acct-1', window)))
    expect(sim.requests.map((r) => [r.startDate, r.endDate, r.siteOfferId])).toEqual([
      [window.from, testDay(-16), '0'],
      [testDay(-16), testDay(-2), '0'],
    ])
  })

  it('given dates written the US way, when fetched, then the rows equal the truth all the same', async () => {
    const sim = await startSim({ dateStyle: 'us' })
    const window = testWindow(2, 9)
    expect(sortRows(await sweep.recorded(() => t.fetch(sim, window)))).toEqual(
      sortRows(sim.truth('acct-1', window)),
    )
  })

  it('given the pasted-style second account, when checked, then PerformanceSummary proves it and its symbol agrees with the currency', async () => {
    const sim = await startSim()
    const result = await sweep.recorded(() => t.check(sim.accounts[1]!.connection))
    expect(result).toEqual({ accountName: sim.credentials('acct-2').affiliateId, currency: 'USD' })
    expect(sim.requests.map((r) => [r.path, r.date])).toEqual([
      [
        '/affiliates/api/2/reports.asmx/PerformanceSummary',
        `${testDay(0).slice(5, 7)}/${testDay(0).slice(8, 10)}/${testDay(0).slice(0, 4)}`,
      ],
    ])
  })

  it('given a currency the network does not pay in, when checked, then the error names the currency field', async () => {
    const sim = await startSim()
    const error = await failureOf(
      sweep.recorded(() => t.check({ ...sim.accounts[0]!.connection, currency: 'GBP' })),
    )
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT', field: 'currency' })
    expect(error.message).toMatch(/€.*GBP/)
  })

  it('given a key CAKE refuses, when checked, then one call ends in an AuthError on the key', async () => {
    const sim = await startSim()
    const error = await failureOf(sweep.recorded(() => t.check(sim.invalidConnection())))
    expect(error).toMatchObject({ code: 'PLATFORM_AUTH', field: 'apiKey' })
    expect(sim.log).toHaveLength(1)
  })

  const run: SimulatedFetch<CakeSimulator, CakeSimulatorOptions> = {
    start: startSim,
    fetch: (sim, window) => sweep.recorded(() => t.fetch(sim, window)),
    window: testWindow(4, 5),
    accountKey: 'acct-1',
  }
  defineRevisionTest(run)
  defineFaultTests(
    [
      { fault: 'rate-limit', options: { times: 1, delayMs: 100 }, expect: 'truth' },
      { fault: 'outage', options: { times: 1 }, expect: 'truth' },
      { fault: 'outage', options: {}, expect: 'PLATFORM_UNAVAILABLE', calls: 3 },
      { fault: 'malformed', options: {}, expect: 'PLATFORM_RESPONSE_FORMAT', calls: 1 },
      { fault: 'truncated', options: { times: 1 }, expect: 'truth' },
      { fault: 'connection-reset', options: { times: 1 }, expect: 'truth' },
      { fault: 'expired-token', options: {}, expect: 'PLATFORM_AUTH', calls: 1 },
      { fault: 'missing-permission', options: {}, expect: 'PLATFORM_AUTH', calls: 1 },
    ],
    run,
  )

  sweep.defineSweepTest()
})
