import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  AuthError,
  type HttpResponse,
  type PlatformSimulator,
  platformManifestSchema,
  type RateLimitError,
  ResponseFormatError,
  UnavailableError,
} from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { recordRequests, sortRows, usePluginTest } from '../../test/support/plugin-harness.ts'
import { connection, DEFAULT_CURRENCY } from './credentials.ts'
import platform from './index.ts'
import { mapReportCsv, parseCsv } from './map.ts'
import { checkResponse, classifyRefusal, type IncomeAccessConnection, yesterday } from './report.ts'
import { findDateParams, rewriteDates } from './wire.ts'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

const SITE = 'https://affiliates.example-casino.com'
const KEY = 'c3VwZXJzZWNyZXRrZXk4Mjc1'
/** A generated URL: its path and parameter names are not public, so these are as arbitrary as any. */
const GENERATED = `${SITE}/reports/api.aspx?sk=${KEY}&rid=7&mid=12&sd=2026-01-13&ed=2026-01-31&f=csv`

const CHECK_NOW = new Date('2026-03-10T12:00:00Z')
const t = usePluginTest<PlatformSimulator>(new URL('.', import.meta.url), { seed: 'ia-test' })
const conn = (sim: PlatformSimulator, index = 0) => t.conn(sim, index) as IncomeAccessConnection
const parse = (input: Record<string, string>) => connection.schema.parse(input)
const issuesOf = (input: Record<string, string>) => connection.schema.safeParse(input).error?.issues ?? []

function response(status: number, text: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    text,
    headers,
    url: GENERATED,
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

describe('income-access manifest and connection', () => {
  it('given the default export, when validated as a manifest, then it is accepted with the report URL as its secret', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.capabilities.breakdowns).toEqual(['brand'])
    expect(platform.connection.fields.reportUrl.secret).toBe(true)
    expect(platform.connection.fields.currency.required).toBe(false)
    expect(platform.connection.fields.currency.help).toMatch(/Leave empty for EUR/)
  })

  // Before: only the key was kept from a pasted URL, and the plugin rebuilt an invented one around it.
  it('given a pasted generated URL, when parsed, then it is kept whole, the site is its origin and the currency defaults to EUR', () => {
    const parsed = parse({ reportUrl: ` ${GENERATED} ` })
    expect(parsed).toEqual({ reportUrl: GENERATED, currency: DEFAULT_CURRENCY, baseUrl: SITE })
    expect(parse(parsed as Record<string, string>), 'a parsed connection parses to itself').toEqual(parsed)
    expect(parse({ reportUrl: GENERATED, currency: '£', baseUrl: `${SITE}/` }).currency).toBe('GBP')
  })

  it('given a bare key, a URL without dates or with day and month undecidable, when parsed, then reportUrl is named and the key is not echoed', () => {
    for (const [reportUrl, message] of [
      [KEY, /whole URL.*not the key alone/],
      [`${SITE}/r?sk=${KEY}&f=csv`, /has no date in it/],
      [`${SITE}/r?sk=${KEY}&sd=2026-01-13&f=csv`, /one date only \("sd"\)/],
      [
        `${SITE}/r?sk=${KEY}&sd=05/01/2026&ed=07/01/2026`,
        /day and month cannot be told apart.*after the 12th/,
      ],
    ] as const) {
      const issues = issuesOf({ reportUrl })
      expect(issues.map((i) => i.path[0])).toEqual(['reportUrl'])
      expect(issues[0]?.message).toMatch(message)
      expect(JSON.stringify(issues)).not.toContain(KEY)
    }
  })

  it('given an affiliate site other than the report URL, or a currency that is only "$", when parsed, then that field is named', () => {
    expect(issuesOf({ reportUrl: GENERATED, baseUrl: 'https://other.example.com' })[0]?.path).toEqual([
      'baseUrl',
    ])
    expect(issuesOf({ reportUrl: GENERATED, currency: '$' })[0]?.path).toEqual(['currency'])
  })
})

describe('income-access outbound guard', () => {
  it("given a report URL on a metadata address, when the host checks the connection's URLs, then the affiliate site taken from it is refused before any request", async () => {
    const conn = parse({ reportUrl: `http://169.254.169.254/r?sk=${KEY}&sd=2026-01-13&ed=2026-01-31` })
    expect(conn.baseUrl).toBe('http://169.254.169.254')
    const refused = await t.harness.runner.refusedUrlField(t.harness.platform, conn)
    expect(refused?.field).toBe('baseUrl')
  })
})

describe('income-access generated URL dates', () => {
  it('given ISO, percent-encoded day-first, compact and date-time values, when found and rewritten, then only the date digits change', () => {
    const cases = [
      [
        GENERATED,
        'sd',
        'ed',
        GENERATED.replace('2026-01-13', '2026-02-03').replace('2026-01-31', '2026-02-28'),
      ],
      [
        `${SITE}/r?k=${KEY}&from=13%2F01%2F2026&to=31%2F01%2F2026`,
        'from',
        'to',
        `${SITE}/r?k=${KEY}&from=03%2F02%2F2026&to=28%2F02%2F2026`,
      ],
      [
        `${SITE}/r?k=${KEY}&startdate=20260113&enddate=20260131`,
        'startdate',
        'enddate',
        `${SITE}/r?k=${KEY}&startdate=20260203&enddate=20260228`,
      ],
      [
        `${SITE}/r?k=${KEY}&a=2026-01-13+00:00:00&b=2026-01-31+23:59:59`,
        'a',
        'b',
        `${SITE}/r?k=${KEY}&a=2026-02-03+00:00:00&b=2026-02-28+23:59:59`,
      ],
      [
        `${SITE}/r?k=${KEY}&d1=1/13/2026&d2=1/31/2026`,
        'd1',
        'd2',
        `${SITE}/r?k=${KEY}&d1=2/3/2026&d2=2/28/2026`,
      ],
    ] as const
    for (const [url, from, to, rewritten] of cases) {
      const found = findDateParams(url)
      expect([found.from.name, found.from.day, found.to.name, found.to.day]).toEqual([
        from,
        '2026-01-13',
        to,
        '2026-01-31',
      ])
      expect(rewriteDates(url, { from: '2026-02-03', to: '2026-02-28' })).toBe(rewritten)
    }
  })

  it('given the end date first, or more than two dates with start and end names, when found, then start and end are told apart', () => {
    const reversed = findDateParams(`${SITE}/r?end=2026-01-31&begin=2026-01-13`)
    expect([reversed.from.name, reversed.to.name]).toEqual(['begin', 'end'])
    const many = findDateParams(`${SITE}/r?created=2025-12-01&fromdate=2026-01-13&todate=2026-01-31`)
    expect([many.from.name, many.to.name]).toEqual(['fromdate', 'todate'])
    expect(() => findDateParams(`${SITE}/r?a=2025-12-01&b=2026-01-13&c=2026-01-31`)).toThrow(/3 dates/)
  })
})

describe('income-access report CSV', () => {
  it('given a report with a date and a currency column, when mapped, then each line is a row, totals are skipped and the column currency wins', () => {
    const { rows, columns } = mapReportCsv(fixture('member-report.csv'), { currency: 'SEK' })
    expect(columns.missing).toEqual([])
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatchObject({
      date: '2026-01-05',
      brand: 'Example Casino',
      currency: 'EUR',
      impressions: 1200,
      clicks: 140,
      cpaCount: 3,
      deposits: '1250.5',
      netRevenue: '-87.25',
    })
    expect(rows[1]).toMatchObject({ brand: 'Example Sports, Live', netRevenue: '-12.4', commission: '0' })
    expect(rows[2]).toMatchObject({ date: '2026-01-06', currency: 'GBP', commission: '0.15' })
  })

  // Before: a report without a currency column was refused ("no currency column").
  it("given other header spellings, no currency column and some metrics missing, when mapped, then the connection's currency applies and the missing metrics stay null", () => {
    const csv = 'Day,Brand Name,Views,Hits,Registrations\r\n2026-02-01,Brand A,10,"1,002",5\r\n'
    const { rows, columns } = mapReportCsv(csv, { currency: 'GBP' })
    expect(rows).toEqual([
      expect.objectContaining({
        date: '2026-02-01',
        brand: 'Brand A',
        currency: 'GBP',
        impressions: 10,
        clicks: 1002,
        signups: 5,
        ftds: null,
        commission: null,
      }),
    ])
    expect(columns.missing).toEqual(['ftds', 'cpaCount', 'deposits', 'netRevenue', 'commission'])
    const aliases = mapReportCsv(fixture('member-report-aliases.csv'), { currency: 'EUR' }).rows[0]
    expect(aliases).toMatchObject({
      currency: 'USD',
      ftds: 2,
      cpaCount: 1,
      deposits: '200',
      commission: '33',
    })
  })

  it('given a report without any metric column, when mapped, then the ResponseFormatError names the columns found and the ones missing', () => {
    const error = thrown(() => mapReportCsv('Date,Merchant,Player ID\n2026-01-05,X,1\n', { currency: 'EUR' }))
    expect(error).toBeInstanceOf(ResponseFormatError)
    expect((error as Error).message).toMatch(
      /found: "Date", "Merchant", "Player ID"; missing: Impressions, Clicks, Signups, FTD/,
    )
    expect((error as Error).message).toMatch(/Member Report – Detailed/)
  })

  it('given a report without a date column, when mapped for one day, then every line is that day; for no day, it is refused', () => {
    const csv = 'Merchant,Clicks,Commission\nSolo,3,1.50\nSolo,2,0.50\n'
    const { rows } = mapReportCsv(csv, { currency: 'EUR', day: '2026-01-05' })
    expect(rows.map((r) => [r.date, r.clicks, r.commission])).toEqual([
      ['2026-01-05', 3, '1.5'],
      ['2026-01-05', 2, '0.5'],
    ])
    expect(thrown(() => mapReportCsv(csv, { currency: 'EUR' }))).toBeInstanceOf(ResponseFormatError)
  })

  it('given a line with a field count unlike the header or a cut-off quote, when mapped, then it fails rather than shifting columns', () => {
    const header = fixture('member-report.csv').split('\r\n')[0]
    expect(
      thrown(() => mapReportCsv(`${header}\n2026-01-05,Example Casino,EUR,1\n`, { currency: 'EUR' })),
    ).toBeInstanceOf(ResponseFormatError)
    expect(thrown(() => parseCsv('a,b\n"cut'))).toBeInstanceOf(ResponseFormatError)
  })
})

describe('income-access answers', () => {
  it('given refusal texts, when classified, then each names its own cause; an unrecognised 403 names the report URL', () => {
    expect(classifyRefusal('Access denied: IP address 10.0.0.1 is not whitelisted.')).toBe(
      'ip-not-whitelisted',
    )
    expect(classifyRefusal('This key is disabled')).toBe('key-inactive')
    expect(classifyRefusal('Invalid security key.')).toBe('key-unknown')
    expect(classifyRefusal('Date,Merchant,Clicks')).toBeUndefined()
    const forbidden = thrown(() => checkResponse(response(403, 'Forbidden'))) as AuthError
    expect(forbidden).toBeInstanceOf(AuthError)
    expect(forbidden.field).toBe('reportUrl')
    expect(forbidden.message).toMatch(/whitelisted.*Active.*generate the URL again/)
    const ip = thrown(() => checkResponse(response(200, 'Your IP is not allowed'))) as AuthError
    expect(ip.field).toBeUndefined()
  })

  it('given 429, 503, 404 and a maintenance page, when checked, then rate limit, unavailable, a stale report URL and unavailable', () => {
    const limited = thrown(() => checkResponse(response(429, 'Too many', { 'retry-after': '7' })))
    expect((limited as RateLimitError).retryAfterMs).toBe(7000)
    expect(thrown(() => checkResponse(response(503, '')))).toBeInstanceOf(UnavailableError)
    const notFound = thrown(() => checkResponse(response(404, 'Not found'))) as ResponseFormatError
    expect(notFound.field).toBe('reportUrl')
    expect(
      thrown(() => checkResponse(response(200, '<html><body>Maintenance</body></html>'))),
    ).toBeInstanceOf(UnavailableError)
  })
})

describe('income-access against its simulator', () => {
  // Before: the plugin called `${baseUrl}/api/reports?key=…&report=member-detailed…`, a path nothing public shows.
  it('given an account connected by its generated URL, when fetched, then each request is that URL with only its dates replaced and rows equal the truth', async () => {
    const sim = await t.sim()
    for (const [index, account] of sim.accounts.entries()) {
      const window = { from: '2026-01-01', to: '2026-01-20' }
      const { result: rows, requests } = await recordRequests(sim.baseUrl, () =>
        t.fetch(sim, window, { index }),
      )
      const pasted = conn(sim, index).reportUrl
      expect(requests.map((r) => r.url.href)).toEqual([rewriteDates(pasted, window)])
      expect(sortRows(rows)).toEqual(sortRows(sim.truth(account.key, window)))
      expect(rows.every((r) => r.currency === conn(sim, index).currency)).toBe(true)
    }
  })

  it('given a check, when run, then one request for yesterday is sent and the stated currency is the answer', async () => {
    const sim = await t.sim()
    const clocked = await t.variant({ now: () => CHECK_NOW })
    const { result, requests } = await recordRequests(sim.baseUrl, () =>
      t.check(sim.accounts[0]!.connection, { harness: clocked }),
    )
    expect(result).toEqual({ currency: conn(sim).currency })
    expect(requests.map((r) => r.url.href)).toEqual([
      rewriteDates(conn(sim).reportUrl, { from: yesterday(CHECK_NOW), to: yesterday(CHECK_NOW) }),
    ])
  })

  it('given a refused report URL, when checked, then an AuthError names it once and the key is in no error or log line', async () => {
    const sim = await t.sim()
    const bad = parse(sim.invalidConnection())
    const error = await t.check(bad).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(sim.log, 'an auth failure is not retried').toHaveLength(1)
    const keys = [...new URL(bad.reportUrl).searchParams.values()].filter((v) => v.length >= 16)
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      expect(`${(error as Error).message}\n${(error as Error).stack}`).not.toContain(key)
      expect(t.harness.logs.text()).not.toContain(key)
    }
  })

  it('given a revised day, when fetched again, then the new figures match the revised truth', async () => {
    const sim = await t.sim()
    const account = sim.accounts[0]!
    const window = { from: '2026-01-05', to: '2026-01-05' }
    const before = await t.fetch(sim, window)
    sim.revise(account.key, '2026-01-05')
    const after = await t.fetch(sim, window)
    expect(after).not.toEqual(before)
    expect(sortRows(after)).toEqual(sortRows(sim.truth(account.key, window)))
  })

  it('given a malformed answer and a rate limit, when fetched, then a ResponseFormatError and a retried success follow', async () => {
    const sim = await t.sim()
    const window = { from: '2026-01-01', to: '2026-01-03' }
    sim.faults.inject('malformed', { times: 1 })
    await expect(t.fetch(sim, window)).rejects.toBeInstanceOf(ResponseFormatError)
    expect(sim.log, 'a format error is not retried').toHaveLength(1)
    sim.faults.inject('rate-limit', { times: 1, delayMs: 0 })
    const rows = await t.fetch(sim, window)
    expect(sim.faults.hits('rate-limit')).toBe(1)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
  })
})

describe('income-access reports the evidence leaves open', () => {
  /** A program whose Member Report has no date column (nothing public says it has one), on loopback. */
  async function undatedProgram(): Promise<{ url: string; asked: URL[]; close(): Promise<void> }> {
    const asked: URL[] = []
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      asked.push(url)
      const day = url.searchParams.get('from')
      if (url.searchParams.get('echo') === 'key') {
        // A refusal that repeats the key, as some servers echo the request.
        res
          .writeHead(403, { 'content-type': 'text/plain' })
          .end(`Forbidden for sk=${url.searchParams.get('sk')}`)
        return
      }
      const clicks = Number(day?.slice(8, 10) ?? 0)
      res
        .writeHead(200, { 'content-type': 'text/csv' })
        .end(`Merchant,Player ID,Clicks,Commission\r\nSolo,p1,${clicks},1.50\r\nSolo,p2,1,0.25\r\n`)
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}/r.aspx?sk=${KEY}&from=2026-01-13&to=2026-01-31&f=csv`,
      asked,
      close: () => new Promise((done) => server.close(() => done())),
    }
  }

  it('given a report without a date column, when a three-day window is fetched twice, then each day is asked on its own and only once a whole window', async () => {
    const program = await undatedProgram()
    try {
      const conn = parse({ reportUrl: program.url, currency: 'GBP' })
      const accountKey = t.key()
      const window = { from: '2026-02-01', to: '2026-02-03' }
      const rows = await t.fetch(conn, window, { accountKey })
      expect(rows.map((r) => [r.date, r.brand, r.currency, r.clicks, r.commission])).toEqual([
        ['2026-02-01', 'Solo', 'GBP', 2, '1.75'],
        ['2026-02-02', 'Solo', 'GBP', 3, '1.75'],
        ['2026-02-03', 'Solo', 'GBP', 4, '1.75'],
      ])
      const windows = program.asked.map((u) => `${u.searchParams.get('from')}…${u.searchParams.get('to')}`)
      expect(windows).toEqual([
        '2026-02-01…2026-02-03',
        '2026-02-01…2026-02-01',
        '2026-02-02…2026-02-02',
        '2026-02-03…2026-02-03',
      ])
      // The account remembers that its report has no date column: no whole-window request the second time.
      await t.fetch(conn, window, { accountKey })
      expect(
        program.asked.slice(4).every((u) => u.searchParams.get('from') === u.searchParams.get('to')),
      ).toBe(true)
      expect(program.asked).toHaveLength(7)
    } finally {
      await program.close()
    }
  })

  it('given a fetch, when its context redacts, then the key alone (not only the whole URL) is a secret', async () => {
    const program = await undatedProgram()
    try {
      const conn = parse({ reportUrl: program.url })
      const ctx = t.harness.context(conn)
      // Before any request the context knows the URL as a secret, but not the key inside it.
      expect(ctx.redactError(new Error(`echo ${KEY}`)).message).toBe(`echo ${KEY}`)
      await t.harness.platform.definition.fetchReport(ctx, conn, { from: '2026-02-01', to: '2026-02-01' })
      expect(ctx.redactError(new Error(`echo ${KEY}`)).message).toBe('echo [REDACTED]')
      ctx.log.warn(`careless ${KEY}`)
      expect(t.harness.logs.text()).not.toContain(KEY)
    } finally {
      await program.close()
    }
  })
})
