import { readFileSync } from 'node:fs'
import {
  createGroundTruth,
  type DateWindow,
  defaultTruthAccounts,
  type FaultName,
  type FaultOptions,
  type HttpResponse,
  mergeRows,
  platformManifestSchema,
  projectRows,
  type ReportRow,
} from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { sortRows, usePluginTest } from '../../test/support/plugin-harness.ts'
import { testDay } from '../../test/support/test-clock.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapMediaReport } from './map.ts'
import { checkResponse, mediaReportQuery } from './report.ts'
import type { CellxpertSimulator, CellxpertSimulatorOptions } from './simulator.ts'
import { ERROR_BODIES, HEADERS } from './wire.ts'

const SEED = 'cellxpert-test'
const daysAgo = (n: number) => testDay(-n)
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

interface Failure {
  code?: string
  message: string
  stack?: string
  field?: string
  retryAfterMs?: number
  cause?: unknown
}

const errorsSeen: Failure[] = []
const secretsSeen = new Set<string>()
const t = usePluginTest<CellxpertSimulator, CellxpertSimulatorOptions>(new URL('.', import.meta.url), {
  seed: SEED,
})

async function startSim(options: CellxpertSimulatorOptions = {}): Promise<CellxpertSimulator> {
  const sim = await t.sim(options)
  for (const account of sim.accounts) secretsSeen.add(account.connection.apiKey!.trim())
  return sim
}

const connOf = (sim: CellxpertSimulator, index = 0) => t.conn(sim, index)

async function recorded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    errorsSeen.push(error as Failure)
    throw error
  }
}

/** A fresh account key per call, so the per-account limit never slows the suite down. */
const fetchVia = (sim: CellxpertSimulator, window: DateWindow, index = 0) =>
  recorded(() => t.fetch(sim, window, { index }))

const failureOf = (promise: Promise<unknown>): Promise<Failure> =>
  promise.then(
    () => Promise.reject(new Error('expected a failure')),
    (error: Failure) => error,
  )

function answer(status: number, text: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, text, headers, url: 'https://track.example-brand.com/api/', json: () => JSON.parse(text) }
}

function thrown(fn: () => unknown): Failure {
  try {
    fn()
  } catch (error) {
    return error as Failure
  }
  throw new Error('expected a throw')
}

describe('cellxpert manifest and connection', () => {
  it('given the default export, when validated, then it declares a per-program host, 31-day windows, UTC days and the mapped metrics', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.capabilities.perProgramHost).toBe(true)
    expect(platform.limits.maxWindowDays).toBe(31)
    expect(platform.capabilities.timeZone).toBe('UTC')
    expect(platform.capabilities.breakdowns).toEqual(['brand', 'campaign'])
    expect(platform.capabilities.metrics).toEqual([
      'impressions',
      'clicks',
      'signups',
      'ftds',
      'cpaCount',
      'deposits',
      'netRevenue',
      'commission',
    ])
  })

  it.each([
    ['track.example-brand.com', 'https://track.example-brand.com/api'],
    ['  https://track.example-brand.com/api/  ', 'https://track.example-brand.com/api'],
    ['https://track.example-brand.com', 'https://track.example-brand.com/api'],
    [
      'https://track.example-brand.com//api/?command=mediareport&fromdate=2024-01-01',
      'https://track.example-brand.com/api',
    ],
    ['https://Track.Example-Brand.com/API/#top', 'https://track.example-brand.com/api'],
    [
      'https://track.example-brand.com/visit/?bta=36063&brand=examplecasino',
      'https://track.example-brand.com/api',
    ],
    ['http://partners.example.net:8080/cx/api/x', 'http://partners.example.net:8080/cx/api'],
  ])(
    'given the API URL pasted as %j, when parsed, then it becomes the API root %j and parses to itself again',
    (input, root) => {
      const parsed = connection.schema.parse({
        baseUrl: input,
        affiliateId: '36063',
        apiKey: 'k'.repeat(40),
        currency: 'USD',
      })
      expect(parsed.baseUrl).toBe(root)
      expect(connection.schema.parse(parsed)).toEqual(parsed)
    },
  )

  it.each([
    'ftp://track.example-brand.com/api/',
    'https://user:pw@track.example-brand.com/api/',
    'not a url',
  ])('given the unusable API URL %j, when parsed, then it fails on baseUrl', (input) => {
    const result = connection.schema.safeParse({
      baseUrl: input,
      affiliateId: '1',
      apiKey: 'k'.repeat(40),
      currency: 'USD',
    })
    expect(result.error?.issues.map((i) => i.path[0])).toEqual(['baseUrl'])
  })

  it('given an affiliate id, a key and a currency as users paste them, when parsed, then each is normalised and a bad value names its field', () => {
    const base = { baseUrl: 'https://track.example-brand.com/api/' }
    const key = 'ab12'.repeat(23)
    for (const affiliateId of [
      ' 36063 ',
      'affiliateid: 36063',
      'https://track.example-brand.com/visit/?bta=36063&nci=5657',
    ])
      expect(
        connection.schema.parse({ ...base, affiliateId, apiKey: key, currency: 'usd' }).affiliateId,
      ).toBe('36063')
    expect(
      connection.schema.parse({ ...base, affiliateId: '1', apiKey: `x-api-key: ${key}\n`, currency: '€' }),
    ).toMatchObject({
      apiKey: key,
      currency: 'EUR',
    })
    const bad = connection.schema.safeParse({ ...base, affiliateId: 'me', apiKey: 'short', currency: '$' })
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual(['affiliateId', 'apiKey', 'currency'])
  })
})

describe('cellxpert media report mapping (fixtures)', () => {
  it('given the vendor layout with a duplicated <Leads>, when mapped, then signups come from the second <Leads>, days from YYYY/MM/DD and amounts are exact', () => {
    const rows = mapMediaReport(fixture('media-report-duplicate-leads.xml'), 'USD')
    expect(rows.map((r) => [r.date, r.brand, r.campaign, r.signups])).toEqual([
      ['2024-03-04', 'Example Casino', 'Default', 12],
      ['2024-03-04', 'Example Sports & Poker', 'spring-promo', 0],
      ['2024-03-05', 'Example Casino', 'Default', 9],
    ])
    expect(rows[0]).toEqual({
      date: '2024-03-04',
      brand: 'Example Casino',
      campaign: 'Default',
      currency: 'USD',
      impressions: 1200,
      clicks: 310,
      signups: 12,
      ftds: 4,
      depositCount: null,
      cpaCount: 3,
      salesCount: null,
      refundCount: null,
      chargebackCount: null,
      deposits: '850.5',
      netRevenue: '-120.25',
      commission: '18371.6054',
      salesAmount: null,
      refundAmount: null,
      chargebackAmount: null,
    })
    expect(rows[2]).toMatchObject({ deposits: '100', netRevenue: '33.4', commission: '-20' })
  })

  it('given the live layout with a <Registrations> element, when mapped, then signups come from Registrations, not Leads', () => {
    const [row] = mapMediaReport(fixture('media-report-registrations.xml'), 'EUR')
    expect(row).toMatchObject({
      signups: 981,
      clicks: 2480,
      ftds: 219,
      cpaCount: 201,
      commission: '1837.1654',
    })
  })

  it('given missing and empty elements, when mapped and folded, then those metrics are null (never 0) and amounts add up exactly', () => {
    const rows = mapMediaReport(fixture('media-report-sparse.xml'), 'USD')
    expect(rows.map((r) => [r.ftds, r.signups, r.clicks])).toEqual([
      [null, null, 0],
      [1, null, 5],
    ])
    const [folded, ...rest] = mergeRows(rows, { from: '2024-03-06', to: '2024-03-06' })
    expect(rest).toEqual([])
    expect(folded).toMatchObject({
      brand: null,
      campaign: null,
      currency: 'GBP',
      impressions: null,
      clicks: 5,
      signups: null,
      ftds: 1,
      cpaCount: null,
      deposits: '0.3',
      netRevenue: null,
      commission: '12.5',
    })
  })

  it('given an empty ResultSet in either spelling, when mapped, then the report is empty', () => {
    expect(mapMediaReport(fixture('media-report-empty.xml'), 'USD')).toEqual([])
    expect(mapMediaReport('<?xml version="1.0"?>\n<ResultSet>\n</ResultSet>', 'USD')).toEqual([])
  })

  it.each([
    [
      'an impossible day',
      '<ResultSet><row><Day>2023/02/30</Day><Visitors>1</Visitors></row></ResultSet>',
      /impossible Day/,
    ],
    ['a day-first date', '<ResultSet><row><Day>04/03/2024</Day></row></ResultSet>', /YYYY\/MM\/DD/],
    [
      'a fractional count',
      '<ResultSet><row><Day>2024/03/04</Day><FTD>1.5</FTD></row></ResultSet>',
      /FTD is not a count/,
    ],
    [
      'a non-decimal amount',
      '<ResultSet><row><Day>2024/03/04</Day><PL>1,5</PL></row></ResultSet>',
      /PL is not a decimal/,
    ],
    [
      'a repeated element that disagrees',
      '<ResultSet><row><Day>2024/03/04</Day><FTD>1</FTD><FTD>2</FTD></row></ResultSet>',
      /repeats FTD/,
    ],
    ['unescaped markup', '<ResultSet><row><Brand>A & B</Brand></row></ResultSet>', /not well-formed XML/],
    ['another XML document', '<Error><Message>failed</Message></Error>', /no ResultSet/],
  ])('given %s, when mapped, then a ResponseFormatError names the problem', (_name, xml, message) => {
    const error = thrown(() => mapMediaReport(xml, 'USD'))
    expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(error.message).toMatch(message)
  })
})

describe('cellxpert answers read by checkResponse', () => {
  it.each([
    [
      'a 200 "Bad Authentication Key"',
      'PLATFORM_AUTH',
      200,
      fixture('bad-authentication-key.txt'),
      /whitelisted/,
    ],
    ['a 200 "Bad Command"', 'PLATFORM_RESPONSE_FORMAT', 200, fixture('bad-command.txt'), /Bad Command/],
    ['a 200 "Too Many Requests"', 'PLATFORM_RATE_LIMITED', 200, 'Too Many Requests', /rate limiting/],
    [
      'a 200 with unknown text',
      'PLATFORM_RESPONSE_FORMAT',
      200,
      'Object reference not set',
      /Object reference/,
    ],
    ['a 200 with an empty body', 'PLATFORM_UNAVAILABLE', 200, '  ', /empty body/],
    ['a 200 web page', 'PLATFORM_UNAVAILABLE', 200, '<!DOCTYPE html><html></html>', /web page/],
    [
      'a 200 report cut short',
      'PLATFORM_UNAVAILABLE',
      200,
      '<ResultSet><row><Day>2024/03/04</Day>',
      /cut short/,
    ],
    ['a 403 from a firewall', 'PLATFORM_AUTH', 403, 'Forbidden', /whitelisted/],
    ['a 404', 'PLATFORM_RESPONSE_FORMAT', 404, 'Not Found', /API URL/],
    ['a 503', 'PLATFORM_UNAVAILABLE', 503, '<html></html>', /HTTP 503/],
  ])(
    'given %s, when checked, then it raises %s, never an empty report',
    (_name, code, status, body, message) => {
      const error = thrown(() => checkResponse(answer(status, body)))
      expect(error.code).toBe(code)
      expect(error.message).toMatch(message)
    },
  )

  it('given a 429 with Retry-After, when checked, then a RateLimitError carries the wait; a complete report passes', () => {
    expect(
      thrown(() => checkResponse(answer(429, 'Too Many Requests', { 'retry-after': '2' }))),
    ).toMatchObject({
      code: 'PLATFORM_RATE_LIMITED',
      retryAfterMs: 2000,
    })
    expect(() => checkResponse(answer(200, fixture('media-report-duplicate-leads.xml')))).not.toThrow()
    expect(() => checkResponse(answer(200, fixture('media-report-empty.xml')))).not.toThrow()
  })
})

describe('cellxpert against its simulator through the host', () => {
  it('given a 45-day window, when fetched through the host runner, then the host cuts it, no call spans more than 31 days and the rows equal the truth', async () => {
    const sim = await startSim()
    const window = { from: daysAgo(47), to: daysAgo(3) }
    const pieces: DateWindow[] = []
    const definition = t.harness.platform.definition
    const spied = {
      ...t.harness.platform,
      definition: {
        ...definition,
        fetchReport: (...args: Parameters<typeof definition.fetchReport>) => {
          pieces.push(args[2])
          return definition.fetchReport(...args)
        },
      },
    }
    const rows = await recorded(() =>
      t.harness.runner.fetchReport(spied, connOf(sim), window, { accountKey: t.key() }),
    )
    expect(pieces, 'the host cut the window before the plugin saw it').toEqual([
      { from: window.from, to: daysAgo(17) },
      { from: daysAgo(16), to: window.to },
    ])
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('acct-1', window)))
    expect(sim.requests.map((r) => [r.fromdate, r.todate, r.outcome])).toEqual([
      [window.from, daysAgo(17), 'report'],
      [daysAgo(16), window.to, 'report'],
    ])
    expect(sim.requests.every((r) => r.breakdowns.join() === 'Day,TrackingCode,Brand')).toBe(true)
  })

  it('given the simulator asked directly for 45 days, when answered, then it refuses with "Bad Command", which is a non-retried format error', async () => {
    const sim = await startSim()
    const conn = connOf(sim)
    const error = await failureOf(
      recorded(() =>
        t.harness.context(conn).http.request({
          url: sim.baseUrl,
          query: mediaReportQuery({ from: daysAgo(47), to: daysAgo(3) }),
          headers: { [HEADERS.affiliateId]: String(conn.affiliateId), [HEADERS.apiKey]: String(conn.apiKey) },
          check: checkResponse,
        }),
      ),
    )
    expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(sim.requests.map((r) => r.outcome)).toEqual([ERROR_BODIES.badCommand])
  })

  it('given a report, when read raw, then every row repeats <Leads> with a first value other than registrations and days read YYYY/MM/DD', async () => {
    const sim = await startSim()
    const conn = connOf(sim)
    const window = { from: daysAgo(6), to: daysAgo(4) }
    const raw = await t.harness.context(conn).http.request({
      url: sim.baseUrl,
      query: mediaReportQuery(window),
      headers: { [HEADERS.affiliateId]: String(conn.affiliateId), [HEADERS.apiKey]: String(conn.apiKey) },
    })
    const rowsXml = raw.text.split('<row>').slice(1)
    expect(rowsXml.length).toBeGreaterThan(3)
    for (const row of rowsXml) {
      const leads = [...row.matchAll(/<Leads>(\d+)<\/Leads>/g)].map((m) => Number(m[1]))
      expect(leads).toHaveLength(2)
      expect(leads[0]).not.toBe(leads[1])
      expect(row).toMatch(/<Day>\d{4}\/\d{2}\/\d{2}<\/Day>/)
    }
    expect(raw.headers['content-type']).toContain('text/html')
    expect(sortRows(await fetchVia(sim, window))).toEqual(sortRows(sim.truth('acct-1', window)))
  })

  it('given a program that labels registrations <Registrations>, when fetched, then the rows equal the truth all the same', async () => {
    const sim = await startSim({ registrations: 'registrations' })
    const window = { from: daysAgo(9), to: daysAgo(2) }
    expect(sortRows(await fetchVia(sim, window))).toEqual(sortRows(sim.truth('acct-1', window)))
  })

  it('given the pasted-style connection of the second account, when checked, then the affiliate id and currency come back', async () => {
    const sim = await startSim()
    const result = await t.check(connOf(sim, 1), { accountKey: t.key() })
    expect(result).toEqual({ accountName: sim.credentials('acct-2').affiliateId, currency: 'USD' })
    expect(sim.requests).toHaveLength(1)
    expect(sim.requests[0]).toMatchObject({ fromdate: daysAgo(1), todate: daysAgo(1) })
  })

  it('given a key Cellxpert refuses, when checked, then one call ends in an AuthError that names the IP whitelist', async () => {
    const sim = await startSim()
    const error = await failureOf(recorded(() => t.check(sim.invalidConnection(), { accountKey: 'bad' })))
    expect(error.code).toBe('PLATFORM_AUTH')
    expect(error.message).toMatch(/Affiliate ID.*API access key.*whitelisted/s)
    expect(sim.requests.map((r) => r.outcome)).toEqual([ERROR_BODIES.badAuthentication])
  })

  it('given an unknown command, when sent, then "Bad Command" comes back before the credentials are read and is not retried', async () => {
    const sim = await startSim()
    const error = await failureOf(
      recorded(() =>
        t.harness.context().http.request({
          url: sim.baseUrl,
          query: { command: 'mediarepor', Day: 1 },
          headers: { [HEADERS.affiliateId]: '1', [HEADERS.apiKey]: 'placeholder-key-000' },
          check: checkResponse,
        }),
      ),
    )
    expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(sim.log).toHaveLength(1)
  })

  it('given a window reaching past today, when fetched, then no future day is asked for and the rows stop at today', async () => {
    const sim = await startSim()
    const window = { from: daysAgo(5), to: testDay(5) }
    const rows = await fetchVia(sim, window)
    expect(sim.requests.map((r) => r.todate)).toEqual([daysAgo(0)])
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('acct-1', window)))
    expect(rows.every((r) => r.date <= daysAgo(0))).toBe(true)
  })

  it('given a window wholly in the future, when fetched, then nothing is requested and the report is empty', async () => {
    const sim = await startSim()
    expect(await fetchVia(sim, { from: testDay(2), to: testDay(9) })).toEqual([])
    expect(sim.log).toHaveLength(0)
  })

  it('given a window before any activity, when fetched, then the empty ResultSet gives an empty report', async () => {
    const sim = await startSim()
    expect(await fetchVia(sim, { from: '2019-01-01', to: '2019-01-20' })).toEqual([])
    expect(sim.requests.map((r) => r.outcome)).toEqual(['report'])
  })

  it('given fetched rows, when compared with the shared ground truth, then metrics Cellxpert lacks are null and the figures are the seed’s own', async () => {
    const sim = await startSim()
    const window = { from: daysAgo(12), to: daysAgo(8) }
    const rows = sortRows(await fetchVia(sim, window))
    const spec = defaultTruthAccounts(2, SEED)[0]!
    const shared = projectRows(
      createGroundTruth(SEED).rows({ ...spec, currencies: [spec.currencies[0]!] }, window),
      {
        metrics: platform.capabilities.metrics,
        breakdowns: ['brand', 'campaign'],
      },
    )
    expect(rows).toEqual(sortRows(shared))
    expect(rows.length).toBeGreaterThan(10)
    for (const row of rows) {
      expect([row.depositCount, row.salesCount, row.refundAmount, row.chargebackAmount]).toEqual([
        null,
        null,
        null,
        null,
      ])
      expect(row.signups).not.toBeNull()
    }
  })

  it('given a revised past day, when fetched again, then the new figures come back', async () => {
    const sim = await startSim()
    const window = { from: daysAgo(6), to: daysAgo(6) }
    const before = sortRows(await fetchVia(sim, window))
    sim.revise('acct-1', window.from)
    const after = sortRows(await fetchVia(sim, window))
    expect(after).not.toEqual(before)
    expect(after).toEqual(sortRows(sim.truth('acct-1', window)))
  })

  const FAULTS: {
    fault: FaultName
    options: FaultOptions
    sim?: CellxpertSimulatorOptions
    expect: 'truth' | string
    calls?: number
  }[] = [
    { fault: 'outage', options: { times: 1 }, expect: 'truth' },
    { fault: 'outage', options: {}, expect: 'PLATFORM_UNAVAILABLE', calls: 3 },
    { fault: 'rate-limit', options: { times: 1, delayMs: 200 }, expect: 'truth' },
    { fault: 'rate-limit', options: { times: 1 }, sim: { rateLimitStyle: 'text-200' }, expect: 'truth' },
    {
      fault: 'rate-limit',
      options: {},
      sim: { rateLimitStyle: 'text-200' },
      expect: 'PLATFORM_RATE_LIMITED',
      calls: 3,
    },
    { fault: 'slow', options: { times: 1, delayMs: 300 }, expect: 'truth' },
    { fault: 'malformed', options: {}, expect: 'PLATFORM_RESPONSE_FORMAT', calls: 1 },
    { fault: 'truncated', options: { times: 1 }, expect: 'truth' },
    { fault: 'truncated', options: {}, expect: 'PLATFORM_UNAVAILABLE', calls: 3 },
    { fault: 'connection-reset', options: { times: 1 }, expect: 'truth' },
    { fault: 'missing-permission', options: {}, expect: 'PLATFORM_AUTH', calls: 1 },
    { fault: 'expired-token', options: {}, expect: 'PLATFORM_AUTH', calls: 1 },
  ]
  it.each(FAULTS)(
    'given the $fault fault ($options), when a report is fetched, then it ends as $expect',
    async (c) => {
      expect(platform.simulator.faults).toContain(c.fault)
      const sim = await startSim(c.sim)
      const window = { from: daysAgo(10), to: daysAgo(4) }
      sim.faults.inject(c.fault, c.options)
      const outcome = await fetchVia(sim, window).catch((error: Failure) => error)
      expect(sim.faults.hits(c.fault)).toBeGreaterThan(0)
      if (c.expect === 'truth') {
        expect(sortRows(outcome as ReportRow[])).toEqual(sortRows(sim.truth('acct-1', window)))
      } else {
        expect((outcome as Failure).code, (outcome as Failure).message).toBe(c.expect)
        if (c.calls !== undefined) expect(sim.log).toHaveLength(c.calls)
      }
    },
  )

  it('given every call of this file, when errors and log lines are swept, then no API key appears in any of them', () => {
    expect(errorsSeen.length).toBeGreaterThan(5)
    expect(t.harness.logs.lines.length).toBeGreaterThan(0)
    expect(secretsSeen.size).toBeGreaterThan(0)
    const haystacks = [
      t.harness.logs.text(),
      ...errorsSeen.map((e) => `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${String(e.cause)}`),
    ]
    for (const secret of secretsSeen) for (const hay of haystacks) expect(hay.includes(secret)).toBe(false)
  })
})
