import { readFileSync } from 'node:fs'
import {
  AuthError,
  type DateWindow,
  type HttpResponse,
  type PlatformSimulator,
  platformManifestSchema,
  ResponseFormatError,
  reportRow,
  UnavailableError,
} from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { MIN_SECRET_LENGTH } from '../../src/http/redact.ts'
import { recordRequests, sortRows, usePluginTest } from '../../test/support/plugin-harness.ts'
import { connection, DEFAULT_CURRENCY } from './credentials.ts'
import platform from './index.ts'
import { mapStatisticsCsv, parseCsv } from './map.ts'
import {
  checkTokenResponse,
  createMyAffiliatesClient,
  DEFAULT_PATHS,
  fetchReport,
  type MyAffiliatesConnection,
} from './report.ts'
import type { MyAffiliatesSimulatorOptions } from './simulator.ts'

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

const t = usePluginTest<PlatformSimulator, MyAffiliatesSimulatorOptions>(new URL('.', import.meta.url), {
  seed: 'myaffiliates-test',
})
const conn = (sim: PlatformSimulator, index = 0) => t.conn(sim, index) as MyAffiliatesConnection
const tokenRequests = (sim: PlatformSimulator) => sim.log.filter((l) => l.path === DEFAULT_PATHS.token).length
const statsRequests = (sim: PlatformSimulator) =>
  sim.log.filter((l) => l.path === DEFAULT_PATHS.statistics).length
const WINDOW: DateWindow = { from: '2026-01-01', to: '2026-01-10' }

describe('myaffiliates manifest and connection', () => {
  it('given the manifest, when validated by the host schema, then it is accepted', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.capabilities.breakdowns).toEqual(['brand'])
  })

  it('given a pasted portal page or token URL, when parsed, then the base URL is the portal root', () => {
    const parse = (baseUrl: string) =>
      connection.schema.parse({ baseUrl, clientId: 'affgraph-1', clientSecret: 'S3cretS3cret' }).baseUrl
    expect(parse('https://affiliates.example.com/')).toBe('https://affiliates.example.com')
    expect(parse('https://affiliates.example.com/index.php')).toBe('https://affiliates.example.com')
    expect(parse('https://example.com/partners/oauth/access_token')).toBe('https://example.com/partners')
  })

  it('given a client secret with a space or too short, when parsed, then the clientSecret field is named', () => {
    for (const clientSecret of ['abc', 'has a space inside']) {
      const result = connection.schema.safeParse({
        baseUrl: 'https://a.example.com',
        clientId: 'x',
        clientSecret,
      })
      expect(result.success).toBe(false)
      expect(result.error?.issues[0]?.path).toEqual(['clientSecret'])
    }
  })
})

describe('myaffiliates CSV mapping', () => {
  it('given quoted fields, "" escapes, CRLF, a BOM and an embedded newline, when parsed, then cells are exact', () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\n"multi\nline",2\n\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', '2'],
    ])
  })

  it('given a body cut inside a quoted field, when parsed, then a ResponseFormatError is thrown', () => {
    expect(() => parseCsv('a,b\n"cut')).toThrow(ResponseFormatError)
  })

  it('given the simulator-style fixture, when mapped, then rows per channel, day and currency match exactly', () => {
    const rows = mapStatisticsCsv(fixture('statistics.csv'), { from: '2026-01-05', to: '2026-01-06' }, 'GBP')
    expect(sortRows(rows)).toEqual(
      sortRows([
        reportRow({
          date: '2026-01-05',
          brand: 'Casino Royale, EU',
          currency: 'EUR',
          clicks: 120,
          impressions: 2400,
          signups: 9,
          ftds: 3,
          deposits: '1234.5',
          netRevenue: '-85.2',
          commission: '40',
        }),
        reportRow({
          date: '2026-01-05',
          brand: 'Sportsbook',
          currency: 'EUR',
          clicks: 80,
          impressions: 1600,
          signups: 4,
          ftds: 1,
          deposits: '250',
          netRevenue: '-12.5',
          commission: '0',
        }),
        reportRow({
          date: '2026-01-05',
          brand: 'Sportsbook',
          currency: 'USD',
          clicks: 7,
          impressions: 150,
          signups: 1,
          ftds: 0,
          deposits: '0',
          netRevenue: '3.1',
          commission: '0.93',
        }),
        reportRow({
          date: '2026-01-06',
          brand: 'Said "Hi" Bingo',
          currency: 'EUR',
          clicks: 5,
          impressions: 100,
          signups: 0,
          ftds: 0,
          deposits: null,
          netRevenue: '0',
          commission: '0',
        }),
      ]),
    )
  })

  it("given alias headers, no currency column and duplicate lines, when mapped, then aliases map, lines add up and the connection's currency applies", () => {
    const rows = mapStatisticsCsv(
      fixture('statistics-aliases.csv'),
      { from: '2026-01-05', to: '2026-01-05' },
      'SEK',
    )
    expect(sortRows(rows)).toEqual([
      reportRow({
        date: '2026-01-05',
        brand: 'Brand A',
        currency: 'SEK',
        signups: 11,
        ftds: 2,
        deposits: '500',
        netRevenue: '120.5',
        commission: '36.15',
      }),
      reportRow({
        date: '2026-01-05',
        brand: 'Brand B',
        currency: 'SEK',
        signups: 3,
        ftds: 1,
        deposits: '100',
        netRevenue: '-20',
        commission: '0',
      }),
    ])
    expect(rows[0]!.clicks).toBeNull()
  })

  it('given a monthly "pay period" instead of a day, when mapped, then a ResponseFormatError names the line and the likely cause', () => {
    const csv = 'date,channel,clicks\n2026-01,Brand A,5\n'
    expect(() => mapStatisticsCsv(csv, WINDOW, 'EUR')).toThrow(
      /line 2: "2026-01" is not a day.*daily breakdown/,
    )
  })

  it('given a fractional count or an unparseable amount, when mapped, then a ResponseFormatError is thrown', () => {
    expect(() => mapStatisticsCsv('date,clicks\n2026-01-02,1.5\n', WINDOW, 'EUR')).toThrow(
      ResponseFormatError,
    )
    expect(() => mapStatisticsCsv('date,ngr\n2026-01-02,abc\n', WINDOW, 'EUR')).toThrow(ResponseFormatError)
  })

  it('given a CSV without any known metric column, when mapped, then the error names the columns found and those expected', () => {
    const error = (() => {
      try {
        mapStatisticsCsv('date,foo\n2026-01-02,1\n', WINDOW, 'EUR')
      } catch (e) {
        return e as Error
      }
    })()
    expect(error).toBeInstanceOf(ResponseFormatError)
    expect(error?.message).toMatch(/first line: "date", "foo"/)
    expect(error?.message).toMatch(/expected a "date" column and any of: clicks, impressions, signups, ftd/)
  })
})

describe('myaffiliates published export layouts', () => {
  const JUNE = { from: '2026-06-29', to: '2026-06-30' }
  const expected = (brand: string, day: string, figures: Record<string, unknown>) =>
    reportRow({ date: day, brand, currency: 'GBP', deposits: null, netRevenue: null, ...figures })
  const PUBLISHED = [
    expected('Wild Casino', '2026-06-29', {
      impressions: 1200,
      clicks: 85,
      signups: 6,
      ftds: 2,
      commission: '42.5',
    }),
    expected('Wild Casino', '2026-06-30', {
      impressions: 900,
      clicks: 60,
      signups: 3,
      ftds: 1,
      commission: '-12.25',
    }),
    expected('Super Slots', '2026-06-29', {
      impressions: 400,
      clicks: 22,
      signups: 1,
      ftds: 0,
      commission: '5',
    }),
    expected('Super Slots', '2026-06-30', {
      impressions: 380,
      clicks: 19,
      signups: 2,
      ftds: 1,
      commission: '7.1',
    }),
  ]

  // Before: the second header line was read as data ("Date" is not a day) and every amount was labelled EUR.
  it("given the live layout (header repeated before each channel block, Total lines), when mapped, then every channel's days are read in the connection's currency", () => {
    const rows = mapStatisticsCsv(fixture('statistics-channel-blocks.csv'), JUNE, 'GBP')
    expect(sortRows(rows)).toEqual(sortRows(PUBLISHED))
  })

  // Before: the title line was taken for the header and no date column was found.
  it('given the titled layout (a title line per channel, a header without Channel), when mapped, then the title names the channel', () => {
    const rows = mapStatisticsCsv(fixture('statistics-titled-blocks.csv'), JUNE, 'GBP')
    expect(sortRows(rows)).toEqual(sortRows(PUBLISHED))
  })

  it('given a connection without a currency, when parsed, then it states the EUR default, and a stated one is kept', () => {
    const input = {
      baseUrl: 'https://affiliates.example.com',
      clientId: 'affgraph-1',
      clientSecret: 'S3cretS3cret',
    }
    expect(connection.schema.parse(input).currency).toBe(DEFAULT_CURRENCY)
    expect(connection.schema.parse({ ...input, currency: '£' }).currency).toBe('GBP')
    const refused = connection.schema.safeParse({ ...input, currency: '$' })
    expect(refused.error?.issues[0]?.path).toEqual(['currency'])
    expect(platform.connection.fields.currency.help).toMatch(/Leave empty for EUR/)
  })

  // Before: the request had no sd, so the portal answered per pay period.
  it("given a fetch, when sent, then the statistics request carries the vendor example's parameters in its order, sd=1 included", async () => {
    const sim = await t.sim()
    const { requests } = await recordRequests(sim.baseUrl, () => t.fetch(sim, WINDOW))
    const stats = requests.find((r) => r.url.pathname === DEFAULT_PATHS.statistics)!
    expect([...stats.url.searchParams.keys()]).toEqual(['d1', 'd2', 'sd', 'mode', 'sbm', 'dnl'])
    expect(Object.fromEntries(stats.url.searchParams)).toEqual({
      d1: WINDOW.from,
      d2: WINDOW.to,
      sd: '1',
      mode: 'csv',
      sbm: '1',
      dnl: '1',
    })
    expect(stats.method).toBe('GET')
    expect(stats.headers.authorization).toMatch(/^Bearer /)
  })
})

describe('myaffiliates OAuth token handling', () => {
  it('given two fetches with a valid client, when run, then one token is requested and registered as a secret', async () => {
    const sim = await t.sim()
    const ctx = t.harness.context(conn(sim))
    const { result, requests } = await recordRequests(sim.baseUrl, async () => [
      await fetchReport(ctx, conn(sim), WINDOW),
      await fetchReport(ctx, conn(sim), { from: '2026-01-11', to: '2026-01-20' }),
    ])
    const [first, second] = result
    expect(tokenRequests(sim)).toBe(1)
    expect(statsRequests(sim)).toBe(2)
    const tokens = new Set(
      requests
        .filter((r) => r.url.pathname === DEFAULT_PATHS.statistics)
        .map((r) => r.headers.authorization?.replace(/^Bearer /, '')),
    )
    expect(tokens.size).toBe(1)
    const token = [...tokens][0] ?? ''
    expect(token.length).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH)
    // Registered: whatever the plugin writes or throws with the token in it reaches logs and users redacted.
    ctx.log.warn(`careless line ${token}`, { token })
    expect(t.harness.logs.text()).toContain('careless line [REDACTED]')
    expect(t.harness.logs.text()).not.toContain(token)
    expect(ctx.redactError(new Error(`careless error ${token}`)).message).toBe('careless error [REDACTED]')
    expect(sortRows(first!)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, WINDOW)))
    expect(second!.length).toBeGreaterThan(0)
  })

  it('given an expired token (401 once), when fetched, then the token is renewed once and the rows are the truth', async () => {
    const sim = await t.sim()
    await t.fetch(sim, WINDOW, { accountKey: 'expired' })
    sim.faults.inject('expired-token', { times: 1 })
    const rows = await t.fetch(sim, WINDOW, { accountKey: 'expired' })
    expect(sim.faults.hits('expired-token')).toBe(1)
    expect(tokenRequests(sim)).toBe(2)
    expect(statsRequests(sim)).toBe(3)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, WINDOW)))
  })

  it('given a token refused twice in a row, when fetched, then an AuthError follows exactly one renewal', async () => {
    const sim = await t.sim({ expiredTokenAnswer: 'status-401' })
    sim.faults.inject('expired-token', { times: 5 })
    const error = await t.fetch(sim, WINDOW).catch((e) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error.field).toBe('clientSecret')
    expect(tokenRequests(sim)).toBe(2)
    expect(statsRequests(sim)).toBe(2)
  })

  it('given a token whose lifetime ran out, when fetched again, then a new token is requested without a 401', async () => {
    // Two seconds, not one: the host's per-account limit (one request a second) puts a second between the token
    // and the statistics request, and a one-second token could expire on the way.
    const sim = await t.sim({ tokenLifetimeS: 2 })
    await t.fetch(sim, WINDOW, { accountKey: 'short-lived' })
    // The first token is now past its two seconds on the simulator too: reusing it would earn a 401.
    await new Promise((r) => setTimeout(r, 1100))
    await t.fetch(sim, WINDOW, { accountKey: 'short-lived' })
    expect(tokenRequests(sim)).toBe(2)
    expect(statsRequests(sim)).toBe(2)
  })

  it('given a refused client (invalid_client), when checked, then an AuthError names clientSecret after one request', async () => {
    const sim = await t.sim()
    const error = await t.check(sim.invalidConnection()).catch((e) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error.field).toBe('clientSecret')
    expect(error.message).toMatch(/Client identifier and Client secret/)
    expect(sim.log).toHaveLength(1)
  })

  it('given token endpoint errors, when checked, then invalid_scope names clientId and a 404 names baseUrl', () => {
    const answer = (status: number, text: string): HttpResponse => ({
      status,
      headers: {},
      url: 'http://x/oauth/access_token',
      text,
      json: () => JSON.parse(text),
    })
    const thrown = (r: HttpResponse) => {
      try {
        checkTokenResponse(r)
      } catch (e) {
        return e as AuthError
      }
      throw new Error('nothing thrown')
    }
    expect(thrown(answer(400, '{"error":"invalid_scope"}')).field).toBe('clientId')
    expect(thrown(answer(401, '{"error":"invalid_client"}')).field).toBe('clientSecret')
    expect(thrown(answer(404, 'nope')).field).toBe('baseUrl')
    expect(thrown(answer(200, '<html>maintenance</html>'))).toBeInstanceOf(UnavailableError)
  })

  it('given the login page once instead of CSV, when fetched, then the token is renewed and the rows are the truth', async () => {
    const sim = await t.sim({ expiredTokenAnswer: 'login-page' })
    sim.faults.inject('expired-token', { times: 1 })
    const rows = await t.fetch(sim, WINDOW)
    expect(tokenRequests(sim)).toBe(2)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, WINDOW)))
  })

  it('given the login page even for a fresh token, when fetched, then an AuthError names clientId', async () => {
    const sim = await t.sim({ expiredTokenAnswer: 'login-page' })
    sim.faults.inject('expired-token', { times: 2 })
    const error = await t.fetch(sim, WINDOW).catch((e) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error.field).toBe('clientId')
  })

  it('given a 403 on statistics, when fetched, then an AuthError names clientId', async () => {
    const sim = await t.sim()
    sim.faults.inject('missing-permission', { times: 1 })
    const error = await t.fetch(sim, WINDOW).catch((e) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error.field).toBe('clientId')
  })
})

describe('myaffiliates simulator and end-to-end reading', () => {
  it('given a rate limit and a truncated body, when fetched, then retries still give the truth', async () => {
    const sim = await t.sim()
    sim.faults.inject('rate-limit', { times: 1, delayMs: 0 })
    sim.faults.inject('truncated', { times: 1 })
    const rows = await t.fetch(sim, WINDOW)
    expect(sim.faults.hits('rate-limit')).toBe(1)
    expect(sim.faults.hits('truncated')).toBe(1)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, WINDOW)))
  })

  it('given a revised day, when fetched again, then the rows follow the revision and equal truth()', async () => {
    const sim = await t.sim()
    const before = await t.fetch(sim, WINDOW, { accountKey: 'revised' })
    sim.revise(sim.accounts[0]!.key, '2026-01-03')
    const after = await t.fetch(sim, WINDOW, { accountKey: 'revised' })
    expect(sortRows(after)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, WINDOW)))
    expect(after).not.toEqual(before)
  })

  it('given custom endpoint paths on both sides, when fetched, then the client follows them', async () => {
    const paths = { token: '/api/oauth2/token', statistics: '/reports/statistics.php' }
    const sim = await t.sim({ paths })
    const client = createMyAffiliatesClient(paths)
    const rows = await client.fetchReport(t.harness.context(conn(sim)), conn(sim), WINDOW)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, WINDOW)))
    expect(sim.log.map((l) => l.path)).toEqual([paths.token, paths.statistics])
  })

  it('given a portal without a currency column and a one-currency account, when fetched, then rows carry the default currency', async () => {
    const sim = await t.sim({
      accounts: [{ key: 'eur-only', brands: ['Brand A', 'Brand B'], currencies: [DEFAULT_CURRENCY] }],
    })
    const rows = await t.fetch(sim, WINDOW)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth('eur-only', WINDOW)))
  })

  it('given the second account with a pasted portal page URL, when checked and fetched, then it works', async () => {
    const sim = await t.sim()
    await expect(t.check(sim.accounts[1]!.connection, { accountKey: 'second' })).resolves.toEqual({
      currency: sim.accounts[1]!.connection.currency,
    })
    const rows = await t.fetch(sim, WINDOW, { accountKey: 'second', index: 1 })
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[1]!.key, WINDOW)))
  })
})
