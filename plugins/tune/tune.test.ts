import { readFileSync } from 'node:fs'
import { platformManifestSchema, type QueryValue } from 'affgraph/sdk'
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
import { mapStatsData } from './map.ts'
import { checkResponse, statsQuery, type TuneConnection } from './report.ts'
import { simulatorApiKey, type TuneSimulator, type TuneSimulatorOptions } from './simulator.ts'
import { API_PATH, REQUESTED_FIELDS, REQUESTED_GROUPS } from './wire.ts'

const SEED = 'tune-test'
const clock = fixedClock(testNow())
const text = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const fixture = (name: string) => JSON.parse(text(name)) as { response: { data: unknown } }
const KEY = '3f9a0c1e7b2d4c6a8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d'

const t = usePluginTest<TuneSimulator, TuneSimulatorOptions>(new URL('.', import.meta.url), {
  seed: SEED,
  now: () => clock.now(),
})
const sweep = useSecretSweep(() => t.harness)

async function startSim(options: TuneSimulatorOptions = {}): Promise<TuneSimulator> {
  const sim = await t.sim({ clock, ...options })
  for (const account of sim.accounts) sweep.secret(simulatorApiKey(SEED, account.key))
  return sim
}

describe('tune manifest and connection', () => {
  it('given the default export, when validated, then it declares a network-derived host, 31-day windows and the mapped metrics', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.capabilities.perProgramHost).toBe(false)
    expect(platform.limits.maxWindowDays).toBe(31)
    expect(platform.capabilities.metrics).toEqual([
      'impressions',
      'clicks',
      'cpaCount',
      'commission',
      'salesAmount',
    ])
  })

  it.each([
    ['examplenet', 'examplenet'],
    [' ExampleNet ', 'examplenet'],
    ['https://examplenet.hasoffers.com/', 'examplenet'],
    ['https://examplenet.api.hasoffers.com/Apiv3/json?Target=Affiliate_Report', 'examplenet'],
    ['https://api.hasoffers.com/Apiv3/json?NetworkId=examplenet&Target=Affiliate_Report', 'examplenet'],
  ])('given the network id pasted as %j, when parsed, then it is %j', (input, id) => {
    const parsed = connection.schema.parse({ networkId: input, apiKey: KEY }) as TuneConnection
    expect(parsed).toEqual({ networkId: id, apiKey: KEY, currency: undefined, apiBaseUrl: undefined })
    expect(connection.schema.parse(parsed)).toEqual(parsed)
  })

  it('given a key pasted as a whole API call or with its parameter name, when parsed, then the bare key is kept; bad values name their field', () => {
    for (const pasted of [
      `https://examplenet.api.hasoffers.com/Apiv3/json?NetworkId=examplenet&api_key=${KEY}&Target=Affiliate_Report`,
      `api_key=${KEY}`,
      ` ${KEY} `,
    ])
      expect(
        connection.schema.parse({ networkId: 'examplenet', apiKey: pasted, currency: 'eur' }),
      ).toMatchObject({
        apiKey: KEY,
        currency: 'EUR',
      })
    const bad = connection.schema.safeParse({
      networkId: 'not a network!',
      apiKey: 'short',
      currency: '$',
      apiBaseUrl: 'ftp://x',
    })
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual([
      'apiBaseUrl',
      'apiKey',
      'currency',
      'networkId',
    ])
  })
})

describe('tune getStats mapping (fixtures)', () => {
  it('given a page of string figures, when mapped, then offers are brands, aff_sub is the campaign, amounts are exact and the page is read', () => {
    const page = mapStatsData(fixture('getstats-page.json').response.data, undefined)
    expect([page.page, page.pageCount]).toEqual([1, 2])
    expect(page.rows.map((r) => [r.date, r.brand, r.campaign, r.currency])).toEqual([
      ['2026-05-04', 'Example Insurance Quote - US', 'fb-spring', 'USD'],
      ['2026-05-04', 'Example Insurance Quote - US', null, 'USD'],
      ['2026-05-05', 'Example Sweepstakes', 'fb-spring', 'USD'],
    ])
    expect(page.rows[0]).toEqual({
      date: '2026-05-04',
      brand: 'Example Insurance Quote - US',
      campaign: 'fb-spring',
      currency: 'USD',
      impressions: 0,
      clicks: 412,
      signups: null,
      ftds: null,
      depositCount: null,
      cpaCount: 9,
      salesCount: null,
      refundCount: null,
      chargebackCount: null,
      deposits: null,
      netRevenue: null,
      commission: '315',
      salesAmount: '1240.5',
      refundAmount: null,
      chargebackAmount: null,
    })
  })

  it('given amounts keyed by currency and a row naming none, when mapped, then each row takes the currency of its key; figures absent stay null', () => {
    const { rows } = mapStatsData(fixture('getstats-currency-columns.json').response.data, undefined)
    expect(rows.map((r) => [r.brand, r.currency, r.commission, r.salesAmount, r.impressions])).toEqual([
      ['Example Casino DE', 'EUR', '30.1', null, null],
      ['Example Bingo UK', 'GBP', '12.5', null, null],
    ])
  })

  it('given an empty answer, when mapped, then there are no rows and no page after it', () => {
    expect(mapStatsData(fixture('getstats-empty.json').response.data, undefined)).toEqual({
      rows: [],
      page: 1,
      pageCount: 0,
    })
  })

  it('given amounts with no currency anywhere, when mapped, then the error names the currency field, and the connection’s currency fills the gap', () => {
    const data = {
      page: 1,
      pageCount: 1,
      data: [{ Stat: { date: '2026-05-04', clicks: '3', payout: '1.5' } }],
    }
    expect(thrownBy(() => mapStatsData(data, undefined))).toMatchObject({
      code: 'PLATFORM_RESPONSE_FORMAT',
      field: 'currency',
    })
    expect(mapStatsData(data, 'USD').rows[0]).toMatchObject({ currency: 'USD', commission: '1.5', clicks: 3 })
  })

  it.each([
    ['data without a row list', { page: 1, message: 'x' }, /no list of rows \(found: page, message\)/],
    ['a bad date', { data: [{ Stat: { date: '05/04/2026', clicks: '1' } }] }, /no usable Stat.date/],
    [
      'a fractional count',
      { data: [{ Stat: { date: '2026-05-04', clicks: '1.5' } }] },
      /Stat.clicks is not a count/,
    ],
    [
      'an amount with a comma',
      { data: [{ Stat: { date: '2026-05-04', payout: '1,5', currency: 'USD' } }] },
      /Stat.payout is not a decimal/,
    ],
    [
      'a currency that is not a code',
      { data: [{ Stat: { date: '2026-05-04', currency: 'dollars' } }] },
      /not an ISO currency/,
    ],
    ['a page that is not a number', { page: 'two', data: [] }, /not a page number/],
  ])('given %s, when mapped, then a ResponseFormatError names it', (_name, data, message) => {
    const error = thrownBy(() => mapStatsData(data, 'USD'))
    expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(error.message).toMatch(message)
  })
})

describe('tune answers read by checkResponse', () => {
  it.each([
    ['a 200 status -1 invalid key', 200, text('error-invalid-key.json'), 'PLATFORM_AUTH', 'apiKey'],
    [
      'a 200 status -1 unknown network',
      200,
      '{"response":{"status":-1,"errors":[{"err_msg":"Network ID nope not found"}]}}',
      'PLATFORM_AUTH',
      'networkId',
    ],
    [
      'a 200 status -1 rate limit',
      200,
      '{"response":{"status":-1,"errorMessage":"API usage exceeded rate limit"}}',
      'PLATFORM_RATE_LIMITED',
      undefined,
    ],
    [
      'a 200 status -1 about something else',
      200,
      '{"response":{"status":-1,"errors":[{"publicMessage":"Invalid field Stat.nope"}]}}',
      'PLATFORM_RESPONSE_FORMAT',
      undefined,
    ],
    ['a 200 plain-text rate limit', 200, text('rate-limit.txt'), 'PLATFORM_RATE_LIMITED', undefined],
    ['a 429 plain-text rate limit', 429, text('rate-limit.txt'), 'PLATFORM_RATE_LIMITED', undefined],
    ['a 200 web page', 200, '<html><body>Maintenance</body></html>', 'PLATFORM_UNAVAILABLE', undefined],
    ['a 200 empty body', 200, '', 'PLATFORM_UNAVAILABLE', undefined],
    ['a 200 other text', 200, 'Oops', 'PLATFORM_RESPONSE_FORMAT', undefined],
    ['a 200 JSON without the envelope', 200, '{"data":[]}', 'PLATFORM_RESPONSE_FORMAT', undefined],
    ['a 403', 403, 'Forbidden', 'PLATFORM_AUTH', 'apiKey'],
    ['a 404', 404, 'Not Found', 'PLATFORM_RESPONSE_FORMAT', 'networkId'],
    ['a 503', 503, '<html></html>', 'PLATFORM_UNAVAILABLE', undefined],
  ])(
    'given %s, when checked, then it raises %s, never an empty report',
    (_name, status, body, code, field) => {
      const error = thrownBy(() => checkResponse(httpAnswer(status, body)))
      expect(error.code).toBe(code)
      expect(error.field).toBe(field)
    },
  )

  it('given a status 1 answer, when checked, then it passes', () => {
    expect(() => checkResponse(httpAnswer(200, text('getstats-page.json')))).not.toThrow()
  })
})

describe('tune simulator on the wire', () => {
  const get = (sim: TuneSimulator, query: Record<string, QueryValue>) =>
    rawGet(
      withQuery(`${sim.baseUrl}${API_PATH}`, query as Record<string, string | number | readonly string[]>),
    )
  const conn = (sim: TuneSimulator) => t.conn(sim) as TuneConnection

  it('given a bad key or another network, when asked raw, then the refusal comes with HTTP 200 and status -1', async () => {
    const sim = await startSim()
    const window = testWindow(3, 2)
    for (const changed of [{ api_key: 'f'.repeat(64) }, { NetworkId: 'othernet' }]) {
      const raw = await get(sim, { ...statsQuery(conn(sim), window, 1), ...changed })
      expect(raw.status).toBe(200)
      const body = JSON.parse(raw.text) as {
        response: { status: number; errors: { publicMessage: string }[] }
      }
      expect(body.response.status).toBe(-1)
      expect(body.response.errors[0]?.publicMessage.length).toBeGreaterThan(5)
    }
  })

  it('given data_start that differs from the Stat.date filter, when asked raw, then it is refused as the docs say', async () => {
    const sim = await startSim()
    const query = { ...statsQuery(conn(sim), testWindow(3, 2), 1), data_start: testDay(-30) }
    const body = JSON.parse((await get(sim, query)).text) as { response: { status: number } }
    expect(body.response.status).toBe(-1)
  })

  it('given a page size cap and currency columns, when asked raw, then pages carry page/pageCount as counted and amounts are keyed by currency', async () => {
    const sim = await startSim({ pageSize: 5, currencyColumns: true })
    const raw = await get(sim, statsQuery(conn(sim), testWindow(3, 4), 2))
    const data = (JSON.parse(raw.text) as { response: { data: Record<string, unknown> } }).response.data
    expect(data.page).toBe('2')
    expect(data.current).toBe(5)
    expect(Number(data.pageCount)).toBe(Math.ceil(Number(data.count) / 5))
    const first = (data.data as { Stat: Record<string, string> }[])[0]!.Stat
    expect(Object.keys(first).some((k) => /^payout@[A-Z]{3}$/.test(k))).toBe(true)
    expect(first.clicks).toMatch(/^\d+$/)
  })

  it('given a rate-limit fault, when asked raw, then the refusal is plain text, not JSON', async () => {
    const sim = await startSim()
    sim.faults.inject('rate-limit', { times: 1 })
    const raw = await get(sim, statsQuery(conn(sim), testWindow(3, 2), 1))
    expect(raw.text).toBe('API usage exceeded rate limit')
  })
})

describe('tune against its simulator through the host', () => {
  it('given a 45-day window over small pages, when fetched through the host, then every page of both pieces is read, the filter equals data_start/data_end, and the rows equal the truth', async () => {
    const sim = await startSim({ pageSize: 25 })
    const window = testWindow(3, 45)
    const rows = await sweep.recorded(() => t.fetch(sim, window))
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('acct-1', window)))
    expect(sim.requests.length).toBeGreaterThan(4)
    for (const r of sim.requests) {
      expect(r.filter).toEqual([r.dataStart, r.dataEnd])
      expect(r.fields).toEqual([...REQUESTED_FIELDS])
      expect(r.groups).toEqual([...REQUESTED_GROUPS])
    }
    expect(new Set(sim.requests.map((r) => `${r.dataStart}…${r.dataEnd}`))).toEqual(
      new Set([`${window.from}…${testDay(-17)}`, `${testDay(-16)}…${window.to}`]),
    )
  })

  it('given a network that keys amounts by currency, when fetched, then the rows equal the truth in every currency', async () => {
    const sim = await startSim({ currencyColumns: true })
    const window = testWindow(2, 10)
    const truth = sim.truth('acct-2', window)
    expect(new Set(truth.map((r) => r.currency)).size, 'the account earns in two currencies').toBe(2)
    expect(sortRows(await sweep.recorded(() => t.fetch(sim, window, { index: 1 })))).toEqual(sortRows(truth))
  })

  it('given the pasted-style second account, when checked, then the network id names the account with one call', async () => {
    const sim = await startSim()
    const result = await sweep.recorded(() => t.check(sim.accounts[1]!.connection))
    expect(result.accountName).toBe(sim.networkId)
    expect(sim.requests.map((r) => [r.dataStart, r.limit])).toEqual([[testDay(-1), '1']])
  })

  it('given a key TUNE refuses, when checked, then one call ends in an AuthError on the key', async () => {
    const sim = await startSim()
    const error = await failureOf(sweep.recorded(() => t.check(sim.invalidConnection())))
    expect(error).toMatchObject({ code: 'PLATFORM_AUTH', field: 'apiKey' })
    expect(sim.log).toHaveLength(1)
  })

  it('given a window before any activity, when fetched, then pageCount 0 ends the report after one call', async () => {
    const sim = await startSim()
    expect(await t.fetch(sim, { from: '2019-01-01', to: '2019-01-20' })).toEqual([])
    expect(sim.log).toHaveLength(1)
  })

  const run: SimulatedFetch<TuneSimulator, TuneSimulatorOptions> = {
    start: startSim,
    fetch: (sim, window) => sweep.recorded(() => t.fetch(sim, window)),
    window: testWindow(4, 5),
    accountKey: 'acct-1',
  }
  defineRevisionTest(run)
  defineFaultTests(
    [
      { fault: 'rate-limit', options: { times: 2 }, expect: 'truth' },
      { fault: 'rate-limit', options: {}, expect: 'PLATFORM_RATE_LIMITED', calls: 3 },
      { fault: 'outage', options: { times: 1 }, expect: 'truth' },
      { fault: 'malformed', options: {}, expect: 'PLATFORM_RESPONSE_FORMAT', calls: 1 },
      { fault: 'truncated', options: { times: 1 }, expect: 'truth' },
      { fault: 'truncated', options: { after: 1 }, sim: { pageSize: 10 }, expect: 'PLATFORM_UNAVAILABLE' },
      { fault: 'connection-reset', options: { times: 1 }, expect: 'truth' },
      { fault: 'expired-token', options: {}, expect: 'PLATFORM_AUTH', calls: 1 },
      { fault: 'missing-permission', options: {}, expect: 'PLATFORM_AUTH', calls: 1 },
    ],
    run,
  )

  sweep.defineSweepTest()
})
