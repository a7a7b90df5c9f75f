import { readFileSync } from 'node:fs'
import { mergeRows, platformManifestSchema } from 'affgraph/sdk'
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
import { mapMediaReport } from './map.ts'
import { checkResponse, mediaReportQuery } from './report.ts'
import { type SmarticoSimulator, type SmarticoSimulatorOptions, simulatorApiKey } from './simulator.ts'
import { MEDIA_REPORT_PATH, RECORD_CAP, THROTTLED_STATUS } from './wire.ts'

const SEED = 'smartico-test'
const clock = fixedClock(testNow())
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

const t = usePluginTest<SmarticoSimulator, SmarticoSimulatorOptions>(new URL('.', import.meta.url), {
  seed: SEED,
  now: () => clock.now(),
})
const sweep = useSecretSweep(() => t.harness)

async function startSim(options: SmarticoSimulatorOptions = {}): Promise<SmarticoSimulator> {
  const sim = await t.sim({ clock, ...options })
  for (const account of sim.accounts) sweep.secret(simulatorApiKey(SEED, account.key))
  return sim
}

describe('smartico manifest and connection', () => {
  it('given the default export, when validated, then it declares a per-operator API URL, 31-day windows, UTC days and the mapped metrics', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.capabilities).toMatchObject({ perProgramHost: true, timeZone: 'UTC' })
    expect(platform.limits.maxWindowDays).toBe(31)
    expect(platform.capabilities.metrics).toEqual([
      'clicks',
      'signups',
      'ftds',
      'depositCount',
      'cpaCount',
      'deposits',
      'netRevenue',
      'commission',
    ])
  })

  it.each([
    ['boapi3.smartico.ai', 'https://boapi3.smartico.ai'],
    [' https://boapi.smartico.ai/ ', 'https://boapi.smartico.ai'],
    [
      'https://boapi7.smartico.ai/api/af2_media_report_af?aggregation_period=DAY&date_from=2022-07-12',
      'https://boapi7.smartico.ai',
    ],
    [
      'https://data.example-operator.com/tap/api/af2_media_report_af',
      'https://data.example-operator.com/tap',
    ],
  ])(
    'given the API URL pasted as %j, when parsed, then it becomes %j and parses to itself again',
    (input, root) => {
      const parsed = connection.schema.parse({ baseUrl: input, apiKey: 'k'.repeat(40), currency: 'EUR' })
      expect(parsed.baseUrl).toBe(root)
      expect(connection.schema.parse(parsed)).toEqual(parsed)
    },
  )

  it('given a key pasted with its header name or a Bearer prefix, when parsed, then the bare key is kept; bad values name their field', () => {
    const key = '7c1e9a40-5b2d-11f0-9a3e-0a1b2c3d4e5f-204817'
    for (const pasted of [` ${key} `, `authorization: ${key}`, `Bearer ${key}`, `"${key}"`])
      expect(
        connection.schema.parse({ baseUrl: 'boapi.smartico.ai', apiKey: pasted, currency: '€' }),
      ).toEqual({
        baseUrl: 'https://boapi.smartico.ai',
        apiKey: key,
        currency: 'EUR',
      })
    const bad = connection.schema.safeParse({
      baseUrl: 'ftp://boapi.smartico.ai',
      apiKey: 'short',
      currency: '$',
    })
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual(['apiKey', 'baseUrl', 'currency'])
  })
})

describe('smartico media report mapping (fixtures)', () => {
  it('given a daily answer, when mapped, then figures keep null apart from 0, amounts stay exact and an empty afp is no campaign', () => {
    const rows = mapMediaReport(fixture('media-report-daily.json'), 'EUR')
    expect(rows.map((r) => [r.date, r.brand, r.campaign])).toEqual([
      ['2026-05-04', 'Example Casino', 'spring-promo'],
      ['2026-05-04', 'Example Casino', null],
      ['2026-05-05', 'Example Sports', 'spring-promo'],
    ])
    expect(rows[0]).toEqual({
      date: '2026-05-04',
      brand: 'Example Casino',
      campaign: 'spring-promo',
      currency: 'EUR',
      impressions: null,
      clicks: 310,
      signups: 12,
      ftds: 4,
      depositCount: 9,
      cpaCount: 3,
      salesCount: null,
      refundCount: null,
      chargebackCount: null,
      deposits: '850.5',
      netRevenue: '-120.25',
      commission: '183.4',
      salesAmount: null,
      refundAmount: null,
      chargebackAmount: null,
    })
    expect(rows[1]?.commission, 'a day’s commission change may be negative').toBe('-4.1')
    expect(rows[2]).toMatchObject({ deposits: '0.3', netRevenue: '12345678.91', commission: '50.1' })
  })

  it('given pl, commission parts, a brand id alone and a null figure, when mapped and folded, then each is read and added exactly', () => {
    const rows = mapMediaReport(fixture('media-report-parts.json'), 'GBP')
    const [row, ...rest] = mergeRows(rows, { from: '2026-05-06', to: '2026-05-06' })
    expect(rest).toEqual([])
    expect(row).toMatchObject({
      brand: '412',
      campaign: 'tw-01',
      currency: 'GBP',
      clicks: 25,
      signups: 2,
      ftds: 1,
      cpaCount: null,
      deposits: '25',
      netRevenue: '7.75',
      commission: '52.325',
    })
  })

  it('given an empty data list, when mapped, then the report is empty', () => {
    expect(mapMediaReport(fixture('media-report-empty.json'), 'EUR')).toEqual([])
  })

  it.each([
    ['an answer without data', { meta: {}, result: [] }, /no data list \(found: meta, result\)/],
    [
      'an item without figures',
      { data: [{ dt: '2026-05-04T00:00:00.000Z', id: 3 }] },
      /none of the report's figures \(found: dt, id/,
    ],
    ['a bad dt', { data: [{ dt: '04/05/2026', visit_count: 1 }] }, /no usable dt/],
    ['an impossible day', { data: [{ dt: '2026-02-30T00:00:00.000Z', visit_count: 1 }] }, /no usable dt/],
    ['a fractional count', { data: [{ dt: '2026-05-04', ftd_count: 1.5 }] }, /ftd_count is not a count/],
    ['a negative count', { data: [{ dt: '2026-05-04', visit_count: -1 }] }, /visit_count is not a count/],
    [
      'an amount that is text',
      { data: [{ dt: '2026-05-04', deposit_total: '1,5' }] },
      /deposit_total is not a decimal/,
    ],
  ])('given %s, when mapped, then a ResponseFormatError names it', (_name, body, message) => {
    const error = thrownBy(() => mapMediaReport(body, 'EUR'))
    expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(error.message).toMatch(message)
  })
})

describe('smartico answers read by checkResponse', () => {
  it.each([
    ['a 291 (throttled)', THROTTLED_STATUS, '', 'PLATFORM_RATE_LIMITED', undefined],
    ['a 429', 429, '', 'PLATFORM_RATE_LIMITED', undefined],
    ['"label not allowed"', 403, 'label not allowed', 'PLATFORM_AUTH', 'baseUrl'],
    ['a 200 "label not allowed"', 200, '{"message":"label not allowed"}', 'PLATFORM_AUTH', 'baseUrl'],
    ['a 403 refusal', 403, JSON.stringify(fixture('error-access-denied.json')), 'PLATFORM_AUTH', 'apiKey'],
    [
      'a 200 error object about the key',
      200,
      JSON.stringify(fixture('error-access-denied.json')),
      'PLATFORM_AUTH',
      'apiKey',
    ],
    [
      'a 200 error object saying too many',
      200,
      '{"errorCode":1,"message":"Too many requests"}',
      'PLATFORM_RATE_LIMITED',
      undefined,
    ],
    [
      'a 200 error object about something else',
      200,
      '{"errorCode":"X","message":"Unknown group"}',
      'PLATFORM_RESPONSE_FORMAT',
      undefined,
    ],
    ['a 200 web page', 200, '<!DOCTYPE html><html></html>', 'PLATFORM_UNAVAILABLE', undefined],
    ['a 200 empty body', 200, '  ', 'PLATFORM_UNAVAILABLE', undefined],
    ['a 404', 404, 'Cannot GET', 'PLATFORM_RESPONSE_FORMAT', 'baseUrl'],
    ['a 502', 502, '<html></html>', 'PLATFORM_UNAVAILABLE', undefined],
  ])('given %s, when checked, then it raises %s', (_name, status, body, code, field) => {
    const error = thrownBy(() => checkResponse(httpAnswer(status, body)))
    expect(error.code).toBe(code)
    expect(error.field).toBe(field)
  })

  it('given a report, when checked, then it passes, even with a message field beside its data', () => {
    expect(() =>
      checkResponse(httpAnswer(200, JSON.stringify(fixture('media-report-daily.json')))),
    ).not.toThrow()
    expect(() => checkResponse(httpAnswer(200, '{"message":"ok","data":[]}'))).not.toThrow()
  })
})

describe('smartico simulator on the wire', () => {
  const get = (
    sim: SmarticoSimulator,
    query: Record<string, string>,
    key = simulatorApiKey(SEED, 'acct-1'),
  ) => rawGet(withQuery(`${sim.baseUrl}${MEDIA_REPORT_PATH}`, query), { authorization: key })

  it('given date_from and an exclusive date_to one day later, when asked raw, then exactly that day comes back in midnight-UTC items with JSON numbers', async () => {
    const sim = await startSim()
    const day = testDay(-5)
    const raw = await get(sim, mediaReportQuery(day, day))
    expect(raw.status).toBe(200)
    const body = JSON.parse(raw.text) as { meta: { affiliate_id: number }; data: Record<string, unknown>[] }
    expect(body.meta.affiliate_id).toBe(sim.affiliateId('acct-1'))
    expect(body.data.length).toBeGreaterThan(2)
    expect(new Set(body.data.map((i) => i.dt))).toEqual(new Set([`${day}T00:00:00.000Z`]))
    for (const item of body.data) {
      expect(typeof item.visit_count).toBe('number')
      expect(typeof item.deposit_total).toBe('number')
      expect(item).toHaveProperty('brand_name')
      expect(item).toHaveProperty('afp')
    }
  })

  it('given MONTH aggregation or no group_by, when asked raw, then items are per month and without brand or afp', async () => {
    const sim = await startSim()
    const raw = await get(sim, {
      aggregation_period: 'MONTH',
      date_from: '2026-04-01',
      date_to: '2026-06-01',
    })
    const data = (JSON.parse(raw.text) as { data: Record<string, unknown>[] }).data
    expect(data.map((i) => i.dt).sort()).toEqual(['2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'])
    expect(data.every((i) => !('brand_id' in i) && !('afp' in i))).toBe(true)
  })

  it('given a Bearer-prefixed key or an operator method, when asked raw, then both are refused with 403', async () => {
    const sim = await startSim()
    const key = simulatorApiKey(SEED, 'acct-1')
    expect((await get(sim, { aggregation_period: 'DAY' }, `Bearer ${key}`)).status).toBe(403)
    expect((await rawGet(`${sim.baseUrl}/api/af2_media_report_op`, { authorization: key })).status).toBe(403)
  })

  it('given a rate-limit fault, when asked raw, then Smartico throttles with HTTP 291', async () => {
    const sim = await startSim()
    sim.faults.inject('rate-limit', { times: 1 })
    expect((await get(sim, { aggregation_period: 'DAY' })).status).toBe(THROTTLED_STATUS)
  })
})

describe('smartico against its simulator through the host', () => {
  it('given a 45-day window, when fetched through the host, then it is cut in two, each sent with the day after its end, and the rows equal the truth', async () => {
    const sim = await startSim()
    const window = testWindow(3, 45)
    const rows = await sweep.recorded(() => t.fetch(sim, window, { accountKey: t.key() }))
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('acct-1', window)))
    expect(sim.requests.map((r) => [r.period, r.groupBy.join(','), r.from, r.to])).toEqual([
      ['DAY', 'brand_id,afp', window.from, testDay(-16)],
      ['DAY', 'brand_id,afp', testDay(-16), testDay(-2)],
    ])
  })

  it('given the pasted-style second account, when checked, then the affiliate id of meta names the account', async () => {
    const sim = await startSim()
    const result = await sweep.recorded(() => t.check(sim.accounts[1]!.connection))
    expect(result).toEqual({
      accountName: String(sim.affiliateId('acct-2')),
      currency: 'USD',
      timeZone: 'UTC',
    })
    expect(sim.requests.map((r) => [r.from, r.to])).toEqual([[testDay(-1), testDay(0)]])
  })

  it('given a key Smartico refuses, when checked, then one call ends in an AuthError on the key', async () => {
    const sim = await startSim()
    const error = await failureOf(sweep.recorded(() => t.check(sim.invalidConnection())))
    expect(error).toMatchObject({ code: 'PLATFORM_AUTH', field: 'apiKey' })
    expect(sim.log).toHaveLength(1)
  })

  /** An account with so many affiliate parameters that a week holds more items than one answer may. */
  const busy = (campaigns: number) => [
    {
      key: 'busy',
      brands: ['Brand A', 'Brand B', 'Brand C'],
      currencies: ['EUR'],
      campaigns: Array.from({ length: campaigns }, (_, i) => `tag-${i + 1}`),
    },
  ]

  it('given a week with more items than one answer holds, when fetched, then full answers are asked again in halves and the rows equal the truth', async () => {
    const sim = await startSim({ accounts: busy(60) })
    const window = testWindow(4, 7)
    const truth = sim.truth('busy', window)
    expect(truth.length, 'the week holds more than 1,000 items').toBeGreaterThan(RECORD_CAP)
    const rows = await sweep.recorded(() => t.fetch(sim, window))
    expect(sortRows(rows)).toEqual(sortRows(truth))
    expect(sim.requests[0]?.items).toBe(RECORD_CAP)
    expect(sim.requests.length).toBeGreaterThan(2)
    expect(sim.requests.slice(1).every((r) => r.items < RECORD_CAP)).toBe(true)
  })

  it('given a single day with more items than one answer holds, when fetched, then the report is refused rather than stored in part', async () => {
    const sim = await startSim({ accounts: busy(400) })
    const day = testDay(-4)
    const error = await failureOf(sweep.recorded(() => t.fetch(sim, { from: day, to: day })))
    expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(error.message).toMatch(/cut short/)
  })

  it('given an operator that names the net result pl and sends only the commission parts, when fetched, then the rows equal the truth all the same', async () => {
    const sim = await startSim({ netField: 'pl', commissionParts: true })
    const window = testWindow(2, 6)
    expect(sortRows(await sweep.recorded(() => t.fetch(sim, window)))).toEqual(
      sortRows(sim.truth('acct-1', window)),
    )
  })

  const run: SimulatedFetch<SmarticoSimulator, SmarticoSimulatorOptions> = {
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
      { fault: 'connection-reset', options: { times: 1 }, expect: 'truth' },
      { fault: 'expired-token', options: {}, expect: 'PLATFORM_AUTH', calls: 1 },
      { fault: 'missing-permission', options: {}, expect: 'PLATFORM_AUTH', calls: 1 },
    ],
    run,
  )

  sweep.defineSweepTest()
})
