import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { type HttpResponse, platformManifestSchema } from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.ts'
import { caught, recordRequests, sortRows, usePluginTest } from '../../test/support/plugin-harness.ts'
import { defineReplayTests } from '../../test/support/replay.ts'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapAction, mapActionsPage, mapCompanyInformation, zoneOfLabel } from './map.ts'
import { checkResponse } from './report.ts'

// The contract suite runs the plugin against its simulator through the host; these tests pin what it cannot see:
// how each action field, state and status is read, the widened date range and the account's time zone.

const NOW = '2026-06-15T12:00:00Z'
const clock = fixedClock(NOW)
const t = usePluginTest(new URL('.', import.meta.url), { seed: 'impact-test', now: () => clock.now() })
const SID = 'IRk7Qm3Zp9XvT2bL6wN4yR8cF5dH1jS0aE'
const TOKEN = 'Xb7Lq2Rm9Tz4Vw1Ny6Kp3Hs8Jd5Fg0Ce_Aa'

function response(status: number, text = '{}', headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers,
    text,
    url: `https://api.impact.com/Mediapartners/${SID}/Actions`,
    json: () => JSON.parse(text),
  }
}

/** The vendor's example action (partner Actions OpenAPI v16). */
const ACTION = {
  Id: '1000.4636.158133',
  CampaignId: '1000',
  CampaignName: 'Acme Campaign',
  ActionTrackerName: 'Sale',
  State: 'PENDING',
  Payout: '0.88',
  Amount: '21.99',
  Currency: 'USD',
  EventDate: '2024-09-10T10:42:38-07:00',
  LockingDate: '2024-09-26T00:00:00-07:00',
  SubId1: '',
}

describe('impact manifest and connection', () => {
  it('given the manifest, when validated, then it declares 31-day windows and 1,000 requests an hour per account', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.limits).toEqual({
      maxWindowDays: 31,
      perAccount: { requests: 1000, intervalMs: 3_600_000 },
    })
    expect(platform.capabilities.metrics).toEqual(['salesCount', 'salesAmount', 'commission'])
  })

  it('given the token pasted as a SID:token pair or with a Basic prefix, when parsed, then only the token is kept', () => {
    for (const authToken of [`${SID}:${TOKEN}`, `Basic ${TOKEN}`, ` ${TOKEN} `])
      expect(connection.schema.parse({ accountSid: SID, authToken }).authToken).toBe(TOKEN)
    const bad = connection.schema.safeParse({ accountSid: 'IR 123', authToken: 'short' })
    expect(bad.error?.issues.map((i) => i.path[0]).sort()).toEqual(['accountSid', 'authToken'])
  })
})

describe('impact action mapping', () => {
  it("given the vendor's example action, when mapped, then it is one sale of its own day with the amount and payout exact", () => {
    expect(mapAction(ACTION).row).toMatchObject({
      date: '2024-09-10',
      brand: 'Acme Campaign',
      campaign: null,
      currency: 'USD',
      salesCount: 1,
      salesAmount: '21.99',
      commission: '0.88',
      clicks: null,
    })
  })

  it('given an evening action of a Pacific account, when mapped, then it stays on the day its EventDate shows, not the UTC day after', () => {
    expect(mapAction({ ...ACTION, EventDate: '2024-09-10T23:42:38-07:00' }).row?.date).toBe('2024-09-10')
  })

  it('given approved, reversed and unnamed actions, when mapped, then approved counts, reversed counts nowhere and the campaign id names the brand', () => {
    expect(mapAction({ ...ACTION, State: 'APPROVED', SubId1: 'newsletter' }).row).toMatchObject({
      campaign: 'newsletter',
      salesCount: 1,
    })
    expect(mapAction({ ...ACTION, State: 'REVERSED' })).toEqual({ row: null, state: 'REVERSED' })
    expect(mapAction({ ...ACTION, CampaignName: '' }).row?.brand).toBe('Campaign 1000')
  })

  it.each([
    [{ ...ACTION, State: undefined }, /action 0 has no State/],
    [{ ...ACTION, EventDate: '09/10/2024' }, /EventDate is not a date-time/],
    [{ ...ACTION, Payout: '0,88' }, /Payout is not a decimal amount/],
    [{ ...ACTION, Currency: '$' }, /Currency is not a currency code/],
  ])(
    'given an action the plugin cannot trust (%#), when mapped, then a ResponseFormatError names it',
    (action, message) => {
      const error = caught(() => mapAction(action))
      expect(error.code).toBe('PLATFORM_RESPONSE_FORMAT')
      expect(error.message).toMatch(message)
    },
  )

  it('given pages in every shape impact.com sends, when read, then paging strings are numbers and empty answers are empty', () => {
    expect(
      mapActionsPage({
        '@page': '2',
        '@numpages': '5',
        '@nextpageuri': `/Mediapartners/${SID}/Actions?Page=3`,
        '@total': '481',
        Actions: [ACTION],
      }),
    ).toEqual({
      actions: [ACTION],
      page: 2,
      numPages: 5,
      nextPageUri: `/Mediapartners/${SID}/Actions?Page=3`,
      total: 481,
    })
    expect(mapActionsPage({ '@page': '1', Actions: [] }).total).toBeNull()
    expect(mapActionsPage(null).actions).toEqual([])
    expect(mapActionsPage({}).actions).toEqual([])
    expect(mapActionsPage([]).actions).toEqual([])
    expect(
      mapActionsPage({ '@page': '1', '@numpages': '1', '@nextpageuri': '', Actions: ACTION }).actions,
    ).toEqual([ACTION])
    expect(caught(() => mapActionsPage({ Actions: 'none' })).message).toMatch(/Actions is not a list/)
  })

  it('given Company Information time zone labels, when read, then known names and whole-hour offsets become IANA zones', () => {
    expect(zoneOfLabel('(GMT -07:00) Pacific Time (US & Canada); Tijuana')).toBe('America/Los_Angeles')
    expect(zoneOfLabel('(GMT -05:00) Eastern Time (US & Canada)')).toBe('America/New_York')
    expect(zoneOfLabel('(GMT +01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna')).toBe('Etc/GMT-1')
    expect(zoneOfLabel('(GMT +05:30) Chennai, Kolkata, Mumbai, New Delhi')).toBeUndefined()
    expect(
      mapCompanyInformation({
        CompanyName: 'Carrie Oakey Music',
        Currency: 'usd',
        Timezone: '(GMT -07:00) Pacific Time (US & Canada); Tijuana',
      }),
    ).toEqual({
      accountName: 'Carrie Oakey Music',
      currency: 'USD',
      timeZone: 'America/Los_Angeles',
    })
  })
})

describe('impact statuses', () => {
  it.each([
    [401, '{"Status":"ERROR","Message":"Unauthorized"}', {}, 'PLATFORM_AUTH', 'authToken', /copy both again/],
    [
      403,
      '{"Status":"ERROR","Message":"Not permitted"}',
      {},
      'PLATFORM_AUTH',
      'authToken',
      /permission for Actions/,
    ],
    [
      404,
      '{"Status":"ERROR","Message":"Not Found"}',
      {},
      'PLATFORM_RESPONSE_FORMAT',
      'accountSid',
      /Account SID/,
    ],
    [
      400,
      '{"Status":"ERROR","Message":"ActionDateStart and ActionDateEnd cannot be more than 45 days apart"}',
      {},
      'PLATFORM_RESPONSE_FORMAT',
      undefined,
      /45 days apart/,
    ],
    [503, '<html></html>', {}, 'PLATFORM_UNAVAILABLE', undefined, /HTTP 503/],
    [
      200,
      '<?xml version="1.0"?><ImpactRadiusResponse/>',
      {},
      'PLATFORM_RESPONSE_FORMAT',
      undefined,
      /XML instead of JSON/,
    ],
    [200, '<!DOCTYPE html><html></html>', {}, 'PLATFORM_UNAVAILABLE', undefined, /web page/],
  ])('given HTTP %i, when checked, then it is %s', (status, body, headers, code, field, message) => {
    const error = caught(() => checkResponse(response(status, body, headers)))
    expect(error.code).toBe(code)
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
  })

  it('given a 429 with X-RateLimit-Reset and no Retry-After, when checked, then the wait is the reset', () => {
    const error = caught(() =>
      checkResponse(response(429, '{}', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '120' })),
    )
    expect(error).toMatchObject({ code: 'PLATFORM_RATE_LIMITED', retryAfterMs: 120_000 })
  })
})

describe('impact against its simulator through the host', () => {
  it('given two partner accounts, when checked, then each is named with its currency and its time zone from Company Information', async () => {
    const sim = await t.sim({ clock })
    expect(await t.check(sim.accounts[0]!.connection)).toMatchObject({
      accountName: 'Partner acct-1',
      timeZone: 'America/Los_Angeles',
    })
    expect(await t.check(sim.accounts[1]!.connection)).toMatchObject({
      accountName: 'Partner acct-2',
      timeZone: 'Etc/GMT-1',
    })
  })

  it('given a window, when fetched, then the request widens it a day on each side with Basic auth and JSON, reversed actions are listed but not counted, and the rows equal the truth', async () => {
    const sim = await t.sim({ clock, pageSize: 25 })
    const window = { from: '2026-05-01', to: '2026-05-20' }
    const conn = t.conn(sim)
    const { requests, result } = await recordRequests(sim.baseUrl, () => t.fetch(sim, window))
    const first = requests[0]!
    expect(first.url.pathname).toBe(`/Mediapartners/${conn.accountSid}/Actions`)
    expect(Object.fromEntries(first.url.searchParams)).toEqual({
      ActionDateStart: '2026-04-30T00:00:00Z',
      ActionDateEnd: '2026-05-21T23:59:59Z',
      PageSize: '100',
      Page: '1',
    })
    expect(first.headers.authorization).toBe(
      `Basic ${Buffer.from(`${conn.accountSid}:${conn.authToken}`).toString('base64')}`,
    )
    expect(first.headers.accept).toBe('application/json')
    expect(requests.length).toBeGreaterThan(2)
    expect(sortRows(result)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
    const wire = await fetch(`${sim.baseUrl}${first.url.pathname}${first.url.search}`, {
      headers: first.headers,
    })
    const states = ((await wire.json()) as { Actions: { State: string }[] }).Actions.map((a) => a.State)
    expect(states).toContain('REVERSED')
  })
})

describe('impact when the list changes while it is read', () => {
  it('given a day revised between page 1 and page 2 (the list grows or shrinks), when fetched, then the list is read again and the rows equal the revised truth, days the revision did not touch included', async () => {
    const sim = await t.sim({ clock, pageSize: 25 })
    const key = sim.accounts[0]!.key
    const window = { from: '2026-05-01', to: '2026-05-20' }
    const actionsOn = (day: string) =>
      sim
        .truth(key, { from: day, to: day })
        .reduce((n, r) => n + (r.salesCount ?? 0) + (r.refundCount ?? 0), 0)
    // impact.com lists the newest first: a change on the last day shifts every later page.
    const day = '2026-05-20'
    const before = actionsOn(day)
    let revised = false
    const paths: string[] = []
    const onCreate = (message: unknown) => {
      const path = String((message as { request?: { path?: unknown } }).request?.path ?? '')
      paths.push(path)
      // Synchronously, before the request for page 2 reaches the platform.
      if (!revised && /[?&]Page=2(&|$)/.test(path) && path.includes('/Actions')) {
        sim.revise(key, day)
        revised = true
      }
    }
    subscribe('undici:request:create', onCreate)
    let result: Awaited<ReturnType<typeof t.fetch>>
    try {
      result = await t.fetch(sim, window)
    } finally {
      unsubscribe('undici:request:create', onCreate)
    }
    expect(revised, 'the list was revised while it was read').toBe(true)
    expect(actionsOn(day), 'the revision changed how many actions the list holds').not.toBe(before)
    expect(sortRows(result)).toEqual(sortRows(sim.truth(key, window)))
    const firstPages = paths.filter((path) => /[?&]Page=1(&|$)/.test(path) && path.includes('/Actions'))
    expect(firstPages.length, 'read again from page 1').toBe(2)
  })
})

defineReplayTests(new URL('.', import.meta.url))
