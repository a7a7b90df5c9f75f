import { readFileSync } from 'node:fs'
import {
  AuthError,
  mergeRows,
  platformManifestSchema,
  RateLimitError,
  ResponseFormatError,
  UnavailableError,
} from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import { httpResponse, sortRows, thrown, usePluginTest } from '../../test/support/plugin-harness.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapCommissionRecord, mapCommissionsPage } from './map.ts'
import { apiBase, type CjConnection, checkResponse } from './report.ts'
import { type CjSimulator, type CjSimulatorOptions, splitCents, TEXT } from './simulator.ts'
import { DEFAULT_API_BASE_URL, PUBLISHER_COMMISSIONS_QUERY, QUERY_PATH } from './wire.ts'

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'))

const TOKEN = 'x4Kq9vN2pT7wZ1bC8mR5yH3jL6dF0sGaQeUoIiPzXcVbNm'
// The simulated platform's "now": days are chosen from it, never from the machine's clock.
const NOW = new Date('2026-06-15T12:00:00Z')
const clock = fixedClock(NOW)

const t = usePluginTest<CjSimulator, CjSimulatorOptions>(new URL('.', import.meta.url), {
  seed: 'cj-test',
  now: () => clock.now(),
})

const response = (status: number, text: string, headers: Record<string, string> = {}) =>
  httpResponse(status, text, headers, `${DEFAULT_API_BASE_URL}${QUERY_PATH}`)

interface GraphqlAnswer {
  data?: {
    publisherCommissions: {
      payloadComplete: boolean
      maxCommissionId: string | null
      records: { commissionId: string; pubCommissionAmountUsd: unknown }[]
    }
  } | null
  errors?: { message: string }[]
}

/** A raw GraphQL call to the simulator, as any client would send it. */
async function post(sim: CjSimulator, body: unknown, token?: string) {
  const res = await fetch(`${sim.baseUrl}${QUERY_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as GraphqlAnswer }
}

const variables = (companyId: string, from: string, before: string, cursor: string | null = null) => ({
  forPublishers: [companyId],
  sinceEventDate: `${from}T00:00:00Z`,
  beforeEventDate: `${before}T00:00:00Z`,
  sinceCommissionId: cursor,
})

describe('cj manifest', () => {
  it('given the plugin, when the host validates its manifest, then it passes with CJ’s central host, UTC days and USD metrics', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.id).toBe('cj')
    expect(platform.graphqlName).toBe('Cj')
    expect(platform.capabilities).toMatchObject({
      timeZone: 'UTC',
      perProgramHost: false,
      breakdowns: ['brand', 'campaign'],
    })
    expect(platform.capabilities.metrics).not.toContain('clicks')
    expect(platform.limits).toMatchObject({
      maxWindowDays: 31,
      perAccount: { requests: 25, intervalMs: 60_000 },
    })
  })
})

describe('cj connection', () => {
  it.each([
    ['a bare token and CID', TOKEN, '1234567', TOKEN, '1234567'],
    [
      'a copied Bearer prefix and the CID in its parentheses',
      `Bearer ${TOKEN}`,
      '(1234567)',
      TOKEN,
      '1234567',
    ],
    [
      'a whole header line and "CID: …"',
      `Authorization: Bearer ${TOKEN}\n`,
      'CID: 1234567',
      TOKEN,
      '1234567',
    ],
  ])(
    'given %s, when parsed, then the token and the CID are kept bare',
    (_l, token, cid, outToken, outCid) => {
      const parsed = connection.schema.parse({ personalAccessToken: token, companyId: cid })
      expect(parsed).toMatchObject({ personalAccessToken: outToken, companyId: outCid })
      expect(apiBase(parsed as CjConnection)).toBe(DEFAULT_API_BASE_URL)
    },
  )

  it('given a token with spaces, a PID-like word and a bad base URL, when parsed, then each field is refused with a hint', () => {
    const result = connection.schema.safeParse({
      personalAccessToken: 'my cj password',
      companyId: 'PID 98765x',
      apiBaseUrl: 'ftp://example.test',
    })
    const issues = result.error?.issues ?? []
    expect(issues.map((i) => i.path[0]).sort()).toEqual(['apiBaseUrl', 'companyId', 'personalAccessToken'])
    expect(issues.find((i) => i.path[0] === 'companyId')?.message).toMatch(/next to your name/)
    expect(issues.find((i) => i.path[0] === 'personalAccessToken')?.message).toMatch(/Personal Access Tokens/)
  })
})

describe('cj map', () => {
  it('given originals, a restatement, reversals, leads and a bonus, when folded, then each day adds up to CJ’s current figures', () => {
    const page = mapCommissionsPage(fixture('corrections.json'))
    expect(page).toMatchObject({ payloadComplete: true, maxCommissionId: '3100000010' })
    const rows = sortRows(mergeRows(page.rows))
    const pick = (date: string, brand: string, campaign: string | null) =>
      rows.find((r) => r.date === date && r.brand === brand && r.campaign === campaign)
    // A sale of 120 restated to 80: one sale, one refund of 40, commission 12 − 12 + 8.
    expect(pick('2026-03-01', 'Acme Outdoor', 'spring-sale')).toMatchObject({
      salesCount: 1,
      salesAmount: '120',
      refundCount: 1,
      refundAmount: '40',
      commission: '8',
      signups: 0,
      currency: 'USD',
    })
    // 23:30 at UTC−5 is the next UTC day.
    expect(pick('2026-03-02', 'Acme Outdoor', 'spring-sale')).toMatchObject({
      salesCount: 1,
      salesAmount: '45.5',
      commission: '4.55',
    })
    // Two leads (one flagged "1"), a bonus with an empty SID, and a lead reversed as unqualified.
    expect(pick('2026-03-01', 'Acme Outdoor', null)).toMatchObject({
      signups: 2,
      salesCount: 0,
      commission: '27.5',
    })
    // A sale reversed whole keeps its three-decimal commission exact and nets to zero.
    expect(pick('2026-03-01', 'Beta Books', 'newsletter')).toMatchObject({
      salesCount: 1,
      salesAmount: '19.99',
      refundCount: 1,
      refundAmount: '19.99',
      commission: '0',
    })
    expect(rows).toHaveLength(4)
    expect(rows.every((r) => r.clicks === null && r.ftds === null)).toBe(true)
  })

  it.each([
    ['no eventDate', { eventDate: undefined }, /record 0: eventDate/],
    ['a US-style date', { eventDate: '03/01/2026' }, /record 0: eventDate/],
    [
      'an amount with a thousands separator',
      { pubCommissionAmountUsd: '1,200.00' },
      /pubCommissionAmountUsd/,
    ],
    ['no commission', { pubCommissionAmountUsd: null }, /no pubCommissionAmountUsd/],
    ['original as a word', { original: 'yes' }, /original/],
    ['no advertiser', { advertiserName: '', advertiserId: null }, /names no advertiser/],
    ['no action type', { actionType: '' }, /no actionType/],
  ])(
    'given a record with %s, when mapped, then a ResponseFormatError names the record and the field',
    (_l, change, message) => {
      const base = {
        commissionId: '1',
        actionType: 'sim_sale',
        original: true,
        advertiserName: 'Acme Outdoor',
        eventDate: '2026-03-01T10:00:00Z',
        saleAmountUsd: '10',
        pubCommissionAmountUsd: '1',
      }
      const error = thrown(() => mapCommissionRecord({ ...base, ...change }, 0))
      expect(error).toBeInstanceOf(ResponseFormatError)
      expect((error as Error).message).toMatch(message)
    },
  )

  it('given an advertiser without a name, when mapped, then its id names the brand', () => {
    const row = mapCommissionRecord({
      actionType: 'perf_inc',
      original: true,
      advertiserName: null,
      advertiserId: 4455667,
      eventDate: '2026-03-01',
      pubCommissionAmountUsd: 50,
    })
    expect(row).toMatchObject({
      brand: 'CJ advertiser 4455667',
      date: '2026-03-01',
      commission: '50',
      salesCount: 0,
    })
  })

  it('given answers without data, records or the completeness flag, when mapped, then each is a ResponseFormatError', () => {
    for (const body of [
      {},
      { data: null },
      { data: { publisherCommissions: { records: [] } } },
      { data: { publisherCommissions: { payloadComplete: true } } },
    ]) {
      expect(thrown(() => mapCommissionsPage(body))).toBeInstanceOf(ResponseFormatError)
    }
  })
})

describe('cj statuses and GraphQL errors', () => {
  it('given 401, 403, 429, 503, 404 and a web page with 200, when checked, then each is the SDK error a user can act on', () => {
    const auth = thrown(() => checkResponse(response(401, '{"errors":[{"message":"x"}]}'))) as AuthError
    expect(auth).toBeInstanceOf(AuthError)
    expect(auth.field).toBe('personalAccessToken')
    expect(auth.message).toMatch(/Personal Access Tokens/)
    expect(thrown(() => checkResponse(response(403, '')))).toBeInstanceOf(AuthError)
    const limited = thrown(() => checkResponse(response(429, '', { 'retry-after': '7' }))) as RateLimitError
    expect(limited.retryAfterMs).toBe(7000)
    expect(thrown(() => checkResponse(response(503, '<html></html>')))).toBeInstanceOf(UnavailableError)
    expect((thrown(() => checkResponse(response(404, 'nope'))) as ResponseFormatError).field).toBe(
      'apiBaseUrl',
    )
    expect(thrown(() => checkResponse(response(200, '<!DOCTYPE html><html/>')))).toBeInstanceOf(
      UnavailableError,
    )
    expect(thrown(() => checkResponse(response(200, '{"data":{}}')))).toBeUndefined()
  })

  it('given GraphQL errors with HTTP 200 or 400, when checked, then authorisation, limits and query errors are told apart', () => {
    const errors = (message: string) => JSON.stringify({ data: null, errors: [{ message }] })
    const cid = thrown(() =>
      checkResponse(response(200, errors(TEXT.notAuthorized(['7654321'])))),
    ) as AuthError
    expect(cid).toBeInstanceOf(AuthError)
    expect(cid.field).toBe('companyId')
    const token = thrown(() => checkResponse(response(200, errors('Invalid or expired token')))) as AuthError
    expect(token.field).toBe('personalAccessToken')
    expect(thrown(() => checkResponse(response(200, errors(TEXT.tooMany))))).toBeInstanceOf(RateLimitError)
    const query = thrown(() =>
      checkResponse(response(400, errors('Cannot query field "clicks" on type "PublisherCommission".'))),
    ) as ResponseFormatError
    expect(query).toBeInstanceOf(ResponseFormatError)
    expect(query.message).toMatch(/Cannot query field "clicks"/)
  })
})

describe('cj simulator wire format', () => {
  it('given no token or an unknown one, when the query is posted, then 401 with a GraphQL errors list', async () => {
    const sim = await t.sim({ clock })
    const { companyId } = sim.credentials(sim.accounts[0]!.key)
    const body = {
      query: PUBLISHER_COMMISSIONS_QUERY,
      variables: variables(companyId, '2026-06-01', '2026-06-02'),
    }
    for (const token of [undefined, 'not-a-known-token-at-all']) {
      const answer = await post(sim, body, token)
      expect(answer.status).toBe(401)
      expect(answer.body.errors?.[0]?.message).toBe(TEXT.notAuthenticated)
    }
  })

  it('given a field CJ’s schema does not have, when queried, then the schema refuses it as CJ would', async () => {
    const sim = await t.sim({ clock })
    const { token, companyId } = sim.credentials(sim.accounts[0]!.key)
    const query = '{ publisherCommissions(forPublishers: ["X"]) { records { clicks } } }'.replace(
      'X',
      companyId,
    )
    const answer = await post(sim, { query }, token)
    expect(answer.body.errors?.[0]?.message).toMatch(/Cannot query field "clicks"/)
    expect(answer.body.data).toBeUndefined()
  })

  it('given a small page, when pages are walked by maxCommissionId, then every record comes once, ids rising and amounts as strings', async () => {
    const sim = await t.sim({ clock, recordsPerPage: 50 })
    const key = sim.accounts[0]!.key
    const { token, companyId } = sim.credentials(key)
    const all = sim.records(key, { from: '2026-06-01', to: '2026-06-03' })
    expect(all.length).toBeGreaterThan(120)
    const seen: string[] = []
    let cursor: string | null = null
    const flags: boolean[] = []
    for (let i = 0; i < 50; i++) {
      const answer = await post(
        sim,
        {
          query: PUBLISHER_COMMISSIONS_QUERY,
          variables: variables(companyId, '2026-06-01', '2026-06-04', cursor),
        },
        token,
      )
      const result = answer.body.data!.publisherCommissions
      flags.push(result.payloadComplete)
      seen.push(...result.records.map((r) => r.commissionId))
      for (const r of result.records) expect(typeof r.pubCommissionAmountUsd).toBe('string')
      if (result.payloadComplete) break
      expect(result.maxCommissionId).toBe(result.records.at(-1)?.commissionId)
      cursor = result.maxCommissionId
    }
    expect(flags.at(-1)).toBe(true)
    expect(flags.slice(0, -1).every((f) => f === false)).toBe(true)
    expect(seen).toEqual(all.map((r) => r.commissionId))
    expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(seen)
  })

  it('given a refunded sale, when its records are read, then a restatement is a full reversal and the new state, tied by originalActionId', async () => {
    const sim = await t.sim({ clock })
    const key = sim.accounts[0]!.key
    const records = sim.records(key, { from: '2026-05-01', to: '2026-05-20' })
    const corrections = records.filter((r) => !r.original)
    expect(corrections.length).toBeGreaterThan(0)
    const restated = corrections.filter((r) => Number(r.saleAmountUsd) > 0)
    expect(restated.length).toBeGreaterThan(0)
    for (const state of restated) {
      const reversal = corrections.find(
        (r) => r.originalActionId === state.originalActionId && Number(r.saleAmountUsd) < 0,
      )
      const original = records.find((r) => r.commissionId === state.originalActionId)
      expect(reversal?.saleAmountUsd).toBe(`-${original?.saleAmountUsd}`)
      expect(reversal?.correctionReason).toBe('RETURNED_MERCHANDISE')
      expect(reversal?.eventDate).toBe(original?.eventDate)
    }
  })

  it('given another company’s CID or a range longer than 31 days, when queried, then GraphQL errors say so', async () => {
    const sim = await t.sim({ clock })
    const { token } = sim.credentials(sim.accounts[0]!.key)
    const other = sim.credentials(sim.accounts[1]!.key).companyId
    const foreign = await post(
      sim,
      { query: PUBLISHER_COMMISSIONS_QUERY, variables: variables(other, '2026-06-01', '2026-06-02') },
      token,
    )
    expect(foreign.status).toBe(200)
    expect(foreign.body.errors?.[0]?.message).toBe(TEXT.notAuthorized([other]))
    const mine = sim.credentials(sim.accounts[0]!.key).companyId
    const long = await post(
      sim,
      { query: PUBLISHER_COMMISSIONS_QUERY, variables: variables(mine, '2026-04-01', '2026-05-15') },
      token,
    )
    expect(long.body.errors?.[0]?.message).toBe(TEXT.rangeTooLong(44))
  })

  it('given amounts split into parts, when added up, then the parts give the total exactly', () => {
    for (const [total, n] of [
      [1000, 3],
      [-7, 4],
      [0, 2],
      [5, 7],
    ] as const) {
      const parts = splitCents(total, n)
      expect(parts).toHaveLength(n)
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total)
    }
  })
})

describe('cj through the host runner', () => {
  it('given a window over several pages, when fetched, then the rows equal the truth, both edge days included', async () => {
    const sim = await t.sim({ clock, recordsPerPage: 60 })
    const window = { from: '2026-05-20', to: '2026-05-26' }
    const rows = await t.fetch(sim, window)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
    expect(rows.some((r) => r.date === window.from)).toBe(true)
    expect(rows.some((r) => r.date === window.to)).toBe(true)
    expect(sim.log.length).toBeGreaterThan(2)
  })

  it('given CJ revised a day, when the window is fetched again, then the revised figures come back', async () => {
    const sim = await t.sim({ clock })
    const key = sim.accounts[0]!.key
    const window = { from: '2026-05-10', to: '2026-05-12' }
    const before = await t.fetch(sim, window)
    sim.revise(key, '2026-05-11')
    const after = await t.fetch(sim, window)
    expect(sortRows(after)).toEqual(sortRows(sim.truth(key, window)))
    expect(after.filter((r) => r.date === '2026-05-11')).not.toEqual(
      before.filter((r) => r.date === '2026-05-11'),
    )
    expect(after.filter((r) => r.date === '2026-05-10')).toEqual(
      before.filter((r) => r.date === '2026-05-10'),
    )
  })

  it('given the pasted forms of the second account, when checked, then the CID names the account in US dollars and UTC', async () => {
    const sim = await t.sim({ clock })
    const result = await t.check(sim.accounts[1]!.connection)
    expect(result).toEqual({
      accountName: sim.credentials(sim.accounts[1]!.key).companyId,
      currency: 'USD',
      timeZone: 'UTC',
    })
  })

  it('given a refused token or another company, when checked, then an AuthError names the field and nothing is retried', async () => {
    const sim = await t.sim({ clock })
    const refused = await t.check(sim.invalidConnection()).catch((e) => e)
    expect(refused).toBeInstanceOf(AuthError)
    expect(refused.field).toBe('personalAccessToken')
    const other = sim.credentials(sim.accounts[1]!.key).companyId
    const foreign = await t.check({ ...sim.accounts[0]!.connection, companyId: other }).catch((e) => e)
    expect(foreign).toBeInstanceOf(AuthError)
    expect(foreign.field).toBe('companyId')
    expect(sim.log).toHaveLength(2)
  })
})
