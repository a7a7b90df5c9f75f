import { readFileSync } from 'node:fs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthError,
  type DateWindow,
  type HttpResponse,
  mergeRows,
  type PlatformSimulator,
  platformManifestSchema,
  RateLimitError,
  ResponseFormatError,
  UnavailableError,
} from '../../src/sdk/index.ts'
import {
  createPluginHarness,
  type PluginHarness,
  recordRequests,
  sortRows,
} from '../../test/support/plugin-harness.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapReportCsv, parseCsv } from './map.ts'
import { checkResponse, classifyRefusal, yesterday } from './report.ts'
import {
  generatedUrl,
  type IncomeAccessSimulatorOptions,
  REFUSAL_BODIES,
  simulator,
  simulatorKey,
  toCsv,
} from './simulator.ts'
import { WIRE } from './wire.ts'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

const KEY = 'c3VwZXJzZWNyZXRrZXk4Mjc1'
const BASE = 'https://affiliates.example-casino.com'

// ---------------------------------------------------------------------------------------------------------------
// The plugin end to end runs on the host's own runner and HTTP client: retries, rate limits, redaction.
// ---------------------------------------------------------------------------------------------------------------

const CHECK_NOW = new Date('2026-03-10T12:00:00Z')
let harness: PluginHarness
/** The same host with its clock stopped, for the day `check` asks for. */
let clocked: PluginHarness
beforeAll(async () => {
  harness = await createPluginHarness(new URL('.', import.meta.url))
  clocked = await createPluginHarness(new URL('.', import.meta.url), { now: () => CHECK_NOW })
})

/** A fresh account key per call: no cache or per-account rate limit carries over between tests. */
let keys = 0
const fetchRows = (conn: Record<string, unknown>, window: DateWindow) =>
  harness.runner.fetchReport(harness.platform, conn, window, { accountKey: `k${++keys}` })
const check = (conn: Record<string, unknown>, host = harness) =>
  host.runner.check(host.platform, conn, { accountKey: `k${++keys}` })

function response(status: number, text: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    text,
    headers,
    url: `${BASE}${WIRE.path}`,
    json: () => {
      throw new ResponseFormatError('not JSON')
    },
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

let sims: PlatformSimulator[] = []
async function startSim(options: IncomeAccessSimulatorOptions = {}): Promise<PlatformSimulator> {
  const sim = await simulator.create(options)
  sims.push(sim)
  return sim
}
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()))
  sims = []
})

const parse = (input: Record<string, string>) => connection.schema.parse(input)

// ---------------------------------------------------------------------------------------------------------------

describe('income-access manifest', () => {
  it('given the default export, when validated as a manifest, then it is accepted with brand as the only breakdown', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.id).toBe('income-access')
    expect(platform.capabilities.breakdowns).toEqual(['brand'])
    expect(platform.connection.fields.securityKey.secret).toBe(true)
    expect(platform.connection.fields.merchantId.required).toBe(false)
  })
})

describe('income-access report mapping', () => {
  it('given the detailed member report fixture, when mapped, then each line becomes a row and the totals line is skipped', () => {
    const rows = mapReportCsv(fixture('member-report.csv'))
    expect(rows).toHaveLength(3)
    expect(rows[0]).toEqual({
      date: '2026-01-05',
      brand: 'Example Casino',
      campaign: null,
      currency: 'EUR',
      impressions: 1200,
      clicks: 140,
      signups: 12,
      ftds: 4,
      cpaCount: 3,
      depositCount: null,
      salesCount: null,
      refundCount: null,
      chargebackCount: null,
      deposits: '1250.5',
      netRevenue: '-87.25',
      commission: '150',
      salesAmount: null,
      refundAmount: null,
      chargebackAmount: null,
    })
    // A quoted merchant with a comma, and an accounting negative "(12.40)".
    expect(rows[1]).toMatchObject({ brand: 'Example Sports, Live', netRevenue: '-12.4', commission: '0' })
    expect(rows[2]).toMatchObject({
      date: '2026-01-06',
      currency: 'GBP',
      netRevenue: '0.5',
      commission: '0.15',
    })
  })

  it('given other spellings of the headers, when mapped, then the same metrics are read', () => {
    const [row] = mapReportCsv(fixture('member-report-aliases.csv'))
    expect(row).toMatchObject({
      date: '2026-02-01',
      brand: 'Brand A',
      currency: 'USD',
      impressions: 10,
      clicks: 1002,
      signups: 5,
      ftds: 2,
      cpaCount: 1,
      deposits: '200',
      netRevenue: '10.1',
      commission: '33',
    })
  })

  it('given a report without a mapped column, when mapped, then a ResponseFormatError names the missing metric', () => {
    const csv = 'Date,Merchant,Currency,Impressions,Clicks,Signups,FTD,CPA Count,Deposits,Net Revenue\n'
    const error = thrown(() => mapReportCsv(csv))
    expect(error).toBeInstanceOf(ResponseFormatError)
    expect((error as Error).message).toContain('commission')
  })

  it('given a line with a field count unlike the header, when mapped, then it fails rather than shifting columns', () => {
    const csv = `${fixture('member-report.csv').split('\r\n')[0]}\n2026-01-05,Example Casino,EUR,1\n`
    expect(thrown(() => mapReportCsv(csv))).toBeInstanceOf(ResponseFormatError)
  })

  it('given rows outside the window and a merchant listed twice, when collected, then only the window remains and the duplicates add up', () => {
    const rows = mapReportCsv(fixture('member-report.csv'))
    const twice = mergeRows([...rows, rows[0]!], { from: '2026-01-05', to: '2026-01-05' })
    expect(twice).toHaveLength(2)
    expect(twice[0]).toMatchObject({ clicks: 280, deposits: '2501', netRevenue: '-174.5' })
  })

  it('given simulator rows, when written as CSV and read back, then they are unchanged', () => {
    const rows = mapReportCsv(fixture('member-report.csv'))
    expect(mapReportCsv(toCsv(rows))).toEqual(rows)
    expect(parseCsv('a,"b ""c"""\r\n\r\n1,2')).toEqual([
      ['a', 'b "c"'],
      ['1', '2'],
    ])
  })
})

describe('income-access connection', () => {
  it('given a pasted Generate URL with a merchant, when parsed, then the key and the merchant are taken from it', () => {
    const url = `${BASE}${WIRE.path}?key=${KEY}&report=member-detailed&merchant=7&from=2026-01-01&to=2026-01-31&format=csv`
    const parsed = parse({ baseUrl: `${BASE}/`, securityKey: url })
    expect(parsed).toEqual({ baseUrl: BASE, securityKey: KEY, merchantId: '7' })
    // Parsing is idempotent: a stored connection parses to itself.
    expect(parse(parsed as Record<string, string>)).toEqual(parsed)
  })

  it('given a pasted URL and a Merchant ID typed by the user, when parsed, then the typed merchant wins', () => {
    const parsed = parse({ baseUrl: BASE, securityKey: generatedUrl(BASE, KEY, '7'), merchantId: '3' })
    expect(parsed.merchantId).toBe('3')
    expect(parsed.securityKey).toBe(KEY)
  })

  it('given a URL whose key parameter is named securitykey, when parsed, then the key is still found', () => {
    const parsed = parse({ baseUrl: BASE, securityKey: `${BASE}/x?report=5&securitykey=${KEY}&format=csv` })
    expect(parsed).toEqual({ baseUrl: BASE, securityKey: KEY, merchantId: undefined })
  })

  it('given a bare key and no merchant, when parsed, then the merchant stays empty (every merchant is reported)', () => {
    expect(parse({ baseUrl: BASE, securityKey: ` ${KEY} `, merchantId: '' })).toEqual({
      baseUrl: BASE,
      securityKey: KEY,
      merchantId: undefined,
    })
  })

  it('given a link without a key or a key too short, when parsed, then the error is on securityKey and explains what to copy', () => {
    for (const securityKey of [`${BASE}${WIRE.path}?report=5&merchant=1`, 'abc123']) {
      const result = connection.schema.safeParse({ baseUrl: BASE, securityKey })
      expect(result.success).toBe(false)
      const issue = result.error?.issues.find((i) => i.path[0] === 'securityKey')
      expect(issue?.message).toMatch(/security ?key/i)
      expect(JSON.stringify(result.error?.issues)).not.toContain('abc123')
    }
  })
})

describe('income-access refusals', () => {
  it('given an inactive key and an IP that is not whitelisted, when checked against the simulator, then two distinct AuthErrors name what to fix', async () => {
    const sim = await startSim({ seed: 'ia-test' })
    const conn = parse(sim.accounts[0]!.connection)

    sim.faults.inject('expired-token', { times: 1 })
    const inactive = await check(conn).catch((e: unknown) => e)
    sim.faults.inject('missing-permission', { times: 1 })
    const ip = await check(conn).catch((e: unknown) => e)
    const unknown = await check(parse(sim.invalidConnection())).catch((e: unknown) => e)

    expect(inactive).toBeInstanceOf(AuthError)
    expect(ip).toBeInstanceOf(AuthError)
    expect(unknown).toBeInstanceOf(AuthError)
    const [a, b, c] = [inactive, ip, unknown] as [AuthError, AuthError, AuthError]
    expect(a.message).toMatch(/not active/)
    expect(a.message).toMatch(/tick Active and press SUBMIT/)
    expect(a.field).toBe('securityKey')
    expect(b.message).toMatch(/IP address is not whitelisted/)
    expect(b.message).not.toMatch(/not active/)
    expect(b.field).toBeUndefined()
    expect(c.message).toMatch(/does not know this security key/)
    expect(c.field).toBe('securityKey')
    expect(new Set([a.message, b.message, c.message]).size).toBe(3)
    // An auth failure is not retried: three checks, three requests.
    expect(sim.log).toHaveLength(3)
    // The key travels in the query string: the host keeps it out of every error and log line.
    for (const error of [a, b, c]) expect(`${error.message}\n${error.stack}`).not.toContain(conn.securityKey)
    expect(harness.logs.text()).not.toContain(conn.securityKey)
  })

  it('given a program that sends refusals with HTTP 200, when checked, then they are still told apart', async () => {
    const sim = await startSim({ seed: 'ia-test', refusalStatus: 200 })
    const conn = parse(sim.accounts[0]!.connection)
    sim.faults.inject('missing-permission', { times: 1 })
    const ip = (await check(conn).catch((e: unknown) => e)) as AuthError
    sim.faults.inject('expired-token', { times: 1 })
    const inactive = (await check(conn).catch((e: unknown) => e)) as AuthError
    expect(ip).toBeInstanceOf(AuthError)
    expect(ip.message).toMatch(/whitelist/)
    expect(inactive).toBeInstanceOf(AuthError)
    expect(inactive.message).toMatch(/not active/)
  })

  it('given refusal texts, when classified, then each names its own cause', () => {
    expect(classifyRefusal(REFUSAL_BODIES.ipNotWhitelisted('10.0.0.1'))).toBe('ip-not-whitelisted')
    expect(classifyRefusal(REFUSAL_BODIES.inactiveKey)).toBe('key-inactive')
    expect(classifyRefusal(REFUSAL_BODIES.unknownKey)).toBe('key-unknown')
    expect(classifyRefusal('Your IP is not allowed')).toBe('ip-not-whitelisted')
    expect(classifyRefusal('This key is disabled')).toBe('key-inactive')
    expect(classifyRefusal('Date,Merchant,Currency')).toBeUndefined()
  })

  it('given an unrecognised 403 body, when checked, then the AuthError names both things to check', () => {
    const error = thrown(() => checkResponse(response(403, 'Forbidden')))
    expect(error).toBeInstanceOf(AuthError)
    expect((error as Error).message).toMatch(/whitelisted.*Active/)
  })

  it('given 429, 503, 404 and a maintenance page, when checked, then they map to rate limit, unavailable, wrong URL and unavailable', () => {
    const limited = thrown(() => checkResponse(response(429, 'Too many', { 'retry-after': '7' })))
    expect(limited).toBeInstanceOf(RateLimitError)
    expect((limited as RateLimitError).retryAfterMs).toBe(7000)
    expect(thrown(() => checkResponse(response(503, '')))).toBeInstanceOf(UnavailableError)
    const notFound = thrown(() => checkResponse(response(404, 'Not found')))
    expect(notFound).toBeInstanceOf(ResponseFormatError)
    expect((notFound as ResponseFormatError).field).toBe('baseUrl')
    expect(
      thrown(() => checkResponse(response(200, '<html><body>Maintenance</body></html>'))),
    ).toBeInstanceOf(UnavailableError)
  })
})

describe('income-access against its simulator', () => {
  it('given a connection, when checked, then one one-day report request is made with the configured parameter names', async () => {
    const sim = await startSim({ seed: 'ia-test' })
    const { requests: sent } = await recordRequests(sim.baseUrl, () =>
      check(parse(sim.accounts[0]!.connection), clocked),
    )
    expect(sent).toHaveLength(1)
    expect(sim.log).toHaveLength(1)
    const url = sent[0]!.url
    expect(url.pathname).toBe(WIRE.path)
    expect(url.searchParams.get(WIRE.params.from)).toBe(yesterday(CHECK_NOW))
    expect(url.searchParams.get(WIRE.params.to)).toBe('2026-03-09')
    expect(url.searchParams.get(WIRE.params.report)).toBe(WIRE.reportId)
    expect(url.searchParams.get(WIRE.params.format)).toBe('csv')
    expect(url.searchParams.has(WIRE.params.merchant)).toBe(false)
  })

  it('given a single-merchant account connected by its pasted Generate URL, when fetched, then the merchant is sent and rows equal the truth', async () => {
    const sim = await startSim({
      seed: 'ia-test',
      accounts: [
        { key: 'multi', brands: ['Brand A', 'Brand B'], currencies: ['EUR'] },
        { key: 'single', brands: ['Solo Casino'], currencies: ['GBP', 'EUR'] },
      ],
    })
    const account = sim.accounts[1]!
    expect(account.connection.securityKey).toContain(`${WIRE.params.merchant}=1`)
    const conn = parse(account.connection)
    expect(conn).toMatchObject({ securityKey: simulatorKey('ia-test', 'single'), merchantId: '1' })
    const window = { from: '2026-01-01', to: '2026-01-20' }
    const { result: rows, requests: sent } = await recordRequests(sim.baseUrl, () => fetchRows(conn, window))
    expect(sent[0]!.url.searchParams.get(WIRE.params.merchant)).toBe('1')
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('single', window)))
  })

  it('given a Merchant ID on a multi-merchant account, when fetched, then only that merchant (brand) is returned', async () => {
    const sim = await startSim({
      seed: 'ia-test',
      accounts: [{ key: 'multi', brands: ['Brand A', 'Brand B'], currencies: ['EUR'] }],
    })
    const window = { from: '2026-01-01', to: '2026-01-10' }
    const conn = parse({ ...sim.accounts[0]!.connection, merchantId: '2' })
    const rows = await fetchRows(conn, window)
    expect(rows.length).toBeGreaterThan(0)
    expect(new Set(rows.map((r) => r.brand))).toEqual(new Set(['Brand B']))
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('multi', window).filter((r) => r.brand === 'Brand B')))
  })

  it('given a revised day, when fetched again, then the new figures match the revised truth', async () => {
    const sim = await startSim({ seed: 'ia-test' })
    const account = sim.accounts[0]!
    const window = { from: '2026-01-05', to: '2026-01-05' }
    const before = await fetchRows(parse(account.connection), window)
    sim.revise(account.key, '2026-01-05')
    const after = await fetchRows(parse(account.connection), window)
    expect(after).not.toEqual(before)
    expect(sortRows(after)).toEqual(sortRows(sim.truth(account.key, window)))
  })

  it('given a malformed answer and a rate limit, when fetched, then a ResponseFormatError and a retried success follow', async () => {
    const sim = await startSim({ seed: 'ia-test' })
    const conn = parse(sim.accounts[0]!.connection)
    const window = { from: '2026-01-01', to: '2026-01-03' }
    sim.faults.inject('malformed', { times: 1 })
    await expect(fetchRows(conn, window)).rejects.toBeInstanceOf(ResponseFormatError)
    expect(sim.log, 'a format error is not retried').toHaveLength(1)
    sim.faults.inject('rate-limit', { times: 1, delayMs: 0 })
    const rows = await fetchRows(conn, window)
    expect(sim.faults.hits('rate-limit')).toBe(1)
    expect(sim.log, 'the rate-limited request was sent again').toHaveLength(3)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
  })
})
