import { type HttpResponse, platformManifestSchema } from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import { caught, recordRequests, sortRows, usePluginTest } from '../../test/support/plugin-harness.ts'
import { defineReplayTests } from '../../test/support/replay.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapAccounts, mapTransaction, mapTransactions } from './map.ts'
import { checkResponse } from './report.ts'
import { simulatorPublisherId, simulatorToken } from './simulator.ts'

// The contract suite runs the plugin against its simulator through the host; these tests pin what it cannot see:
// how each transaction field, status and answer is read, and which publisher a token may reach.

const NOW = '2026-06-15T12:00:00Z'
const clock = fixedClock(NOW)
const t = usePluginTest(new URL('.', import.meta.url), { seed: 'awin-test', now: () => clock.now() })
const TOKEN = 'd910c415-9306-444f-9feb-52bdcc4e2b20'

/** The transaction of Awin's published response sample (wiki, 2017). */
const SAMPLE = {
  id: 259630312,
  url: 'http://www.publisher.com',
  advertiserId: 7052,
  publisherId: 189069,
  siteName: 'Publisher',
  commissionStatus: 'pending',
  commissionAmount: { amount: 5.59, currency: 'GBP' },
  saleAmount: { amount: 55.96, currency: 'GBP' },
  clickRefs: { clickRef: '12345', clickRef2: '22222' },
  clickDate: '2017-01-23T12:18:00',
  transactionDate: '2017-02-20T22:04:00',
  validationDate: null,
  type: 'Commission group transaction',
}

function response(status: number, text = '[]', headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers,
    text,
    url: 'https://api.awin.com/publishers/45628/transactions/',
    json: () => JSON.parse(text),
  }
}

describe('awin manifest and connection', () => {
  it("given the manifest, when validated, then it declares Awin's 31-day range and 20 calls a minute", () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.limits).toEqual({ maxWindowDays: 31, perAccount: { requests: 20, intervalMs: 60_000 } })
  })

  it('given values as users paste them, when parsed, then each is normalised and a bad one names its field', () => {
    for (const apiToken of [
      `Bearer ${TOKEN}`,
      `https://api.awin.com/accounts?accessToken=${TOKEN}`,
      ` ${TOKEN} `,
    ]) {
      expect(connection.schema.parse({ publisherId: '#045628', apiToken, timeZone: '' })).toEqual({
        publisherId: '45628',
        apiToken: TOKEN,
        timeZone: undefined,
      })
    }
    const bad = connection.schema.safeParse({
      publisherId: 'me',
      apiToken: 'short',
      timeZone: 'Europe/Nowhere',
    })
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual(['apiToken', 'publisherId', 'timeZone'])
  })
})

describe('awin transaction mapping', () => {
  it("given Awin's published sample, when mapped, then it is one pending sale of its local day for its advertiser and clickRef", () => {
    expect(mapTransaction(SAMPLE).row).toMatchObject({
      date: '2017-02-20',
      brand: '7052',
      campaign: '12345',
      currency: 'GBP',
      salesCount: 1,
      salesAmount: '55.96',
      commission: '5.59',
      clicks: null,
    })
  })

  it('given declined, deleted, approved and foreign-currency transactions, when mapped, then only pending and approved count and a foreign sale amount is left out', () => {
    expect(mapTransaction({ ...SAMPLE, commissionStatus: 'declined' })).toEqual({
      row: null,
      status: 'declined',
    })
    expect(mapTransaction({ ...SAMPLE, commissionStatus: 'deleted' }).row).toBeNull()
    expect(mapTransaction({ ...SAMPLE, commissionStatus: 'approved', clickRefs: null }).row).toMatchObject({
      campaign: null,
      salesCount: 1,
    })
    expect(mapTransaction({ ...SAMPLE, saleAmount: { amount: 64.1, currency: 'EUR' } }).row).toMatchObject({
      currency: 'GBP',
      salesAmount: null,
      commission: '5.59',
    })
    expect(
      mapTransaction({ ...SAMPLE, commissionAmount: { amount: 1234567.89, currency: 'GBP' } }).row
        ?.commission,
    ).toBe('1234567.89')
  })

  it.each([
    [{ ...SAMPLE, commissionStatus: undefined }, /has no commissionStatus/],
    [{ ...SAMPLE, transactionDate: '20/02/2017' }, /transactionDate is not a date-time/],
    [{ ...SAMPLE, advertiserId: null }, /has no advertiserId/],
    [{ ...SAMPLE, commissionAmount: 5.59 }, /commissionAmount is not an \{amount, currency\} object/],
    [
      { ...SAMPLE, commissionAmount: { amount: '5,59', currency: 'GBP' } },
      /commissionAmount.amount is not a decimal/,
    ],
  ])(
    'given a transaction the plugin cannot trust (%#), when mapped, then a ResponseFormatError names it',
    (tx, message) => {
      const error = caught(() => mapTransaction(tx))
      expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
      expect(error.message).toMatch(message)
    },
  )

  it('given answers that are not a list and an account list, when read, then the first names what came and the second keeps ids and types', () => {
    expect(caught(() => mapTransactions({ error: 'x', description: 'y' })).message).toMatch(
      /found: error, description/,
    )
    expect(mapTransactions([])).toEqual([])
    expect(
      mapAccounts({
        userId: 1,
        accounts: [{ accountId: 45628, accountName: 'My site', accountType: 'publisher', userRole: 'Admin' }],
      }),
    ).toEqual([{ accountId: '45628', accountName: 'My site', accountType: 'publisher' }])
  })
})

describe('awin statuses', () => {
  it.each([
    [
      401,
      '{"error":"invalid_token","error_description":"Invalid access token"}',
      'PLATFORM_AUTH',
      'apiToken',
      /new API token/,
    ],
    [
      403,
      '{"error":"forbidden","description":"no permission"}',
      'PLATFORM_AUTH',
      'publisherId',
      /no permission for this publisher/,
    ],
    [429, '{"error":"too_many_requests"}', 'PLATFORM_RATE_LIMITED', undefined, /20 calls a minute/],
    [
      400,
      '{"error":"bad_request","description":"the maximum date range is 31 days"}',
      'PLATFORM_RESPONSE_FORMAT',
      undefined,
      /maximum date range is 31 days/,
    ],
    [404, '{}', 'PLATFORM_RESPONSE_FORMAT', 'publisherId', /publisher ID/],
    [502, '<html></html>', 'PLATFORM_UNAVAILABLE', undefined, /HTTP 502/],
    [200, '<!DOCTYPE html><html></html>', 'PLATFORM_UNAVAILABLE', undefined, /web page/],
  ])('given HTTP %i, when checked, then it is %s', (status, body, code, field, message) => {
    const error = caught(() => checkResponse(response(status, body)))
    expect(error.code).toBe(code)
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
  })
})

describe('awin against its simulator through the host', () => {
  it("given the token and its user's publisher, when checked, then the account is named; another publisher ID is refused naming the IDs the token reaches", async () => {
    const sim = await t.sim({ clock })
    expect(await t.check(sim.accounts[1]!.connection)).toEqual({
      accountName: 'Publisher acct-2',
      timeZone: 'Europe/London',
    })
    const apiToken = simulatorToken('awin-test', sim.accounts[0]!.key)
    const other = await t
      .check({ publisherId: '99', apiToken, apiBaseUrl: sim.baseUrl })
      .catch((e: Error) => e)
    expect(other).toMatchObject({ code: 'PLATFORM_AUTH', field: 'publisherId' })
    expect((other as Error).message).toMatch(`reaches publisher IDs ${simulatorPublisherId(0)}`)
    // The same user's advertiser account is not a publisher.
    const advertiser = await t
      .check({ publisherId: '10000', apiToken, apiBaseUrl: sim.baseUrl })
      .catch((e: Error) => e)
    expect(advertiser).toMatchObject({ field: 'publisherId' })
  })

  it('given a window, when fetched, then one request asks the whole days in the zone with a Bearer token, declined sales are listed but not counted, and the rows equal the truth', async () => {
    const sim = await t.sim({ clock })
    const window = { from: '2026-05-01', to: '2026-05-31' }
    const conn = t.conn(sim, 1)
    const { requests, result } = await recordRequests(sim.baseUrl, () => t.fetch(sim, window, { index: 1 }))
    expect(requests).toHaveLength(1)
    expect(requests[0]!.url.pathname).toBe(`/publishers/${conn.publisherId}/transactions/`)
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({
      startDate: '2026-05-01T00:00:00',
      endDate: '2026-05-31T23:59:59',
      timezone: 'Europe/London',
      dateType: 'transaction',
    })
    expect(requests[0]!.headers.authorization).toBe(`Bearer ${conn.apiToken}`)
    expect(sortRows(result)).toEqual(sortRows(sim.truth(sim.accounts[1]!.key, window)))
    const wire = await fetch(`${sim.baseUrl}${requests[0]!.url.pathname}${requests[0]!.url.search}`, {
      headers: requests[0]!.headers,
    })
    const statuses = new Set(
      ((await wire.json()) as { commissionStatus: string }[]).map((tx) => tx.commissionStatus),
    )
    expect([...statuses].sort()).toEqual(['approved', 'declined', 'pending'])
  })
})

defineReplayTests(new URL('.', import.meta.url))
