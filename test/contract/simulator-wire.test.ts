import { afterAll, describe, expect, it } from 'vitest'
import { simulator as affise } from '../../plugins/affise/simulator.ts'
import { simulator as awin } from '../../plugins/awin/simulator.ts'
import { simulator as cellxpert } from '../../plugins/cellxpert/simulator.ts'
import { simulator as cj } from '../../plugins/cj/simulator.ts'
import { simulator as clickbank, NOT_SET, simulatorApiKey } from '../../plugins/clickbank/simulator.ts'
import { simulator as everflow } from '../../plugins/everflow/simulator.ts'
import { simulator as impact } from '../../plugins/impact/simulator.ts'
import { DEFAULT_REPORT_URL, simulator as incomeAccess } from '../../plugins/income-access/simulator.ts'
import { CSV_HEADER, simulator as myaffiliates } from '../../plugins/myaffiliates/simulator.ts'
import { simulator as netrefer } from '../../plugins/netrefer/simulator.ts'
import { simulator as softswiss } from '../../plugins/softswiss/simulator.ts'
import { fixedClock } from '../../src/clock.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { testDay, testNow } from '../support/test-clock.ts'

/**
 * Each simulator speaks its platform's published wire format (the facts each simulator file lists with their
 * sources), checked on raw HTTP with no plugin in between, so a plugin that misreads the evidence meets it.
 */

const clock = fixedClock(testNow())
const open: PlatformSimulator[] = []
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()))
})
async function started<T extends PlatformSimulator>(sim: Promise<T>): Promise<T> {
  const s = await sim
  open.push(s)
  return s
}

const WINDOW = { from: '2026-05-01', to: '2026-05-10' }

describe('MyAffiliates simulator wire format', () => {
  async function tokenFor(sim: PlatformSimulator, index = 0): Promise<string> {
    const conn = sim.accounts[index]!.connection
    const response = await fetch(`${sim.baseUrl}/oauth/access_token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: conn.clientId!,
        client_secret: conn.clientSecret!,
        scope: 'r_user_stats',
      }),
    })
    const body = (await response.json()) as { access_token: string; expires_in: number }
    expect(body.expires_in).toBe(3600)
    return body.access_token
  }
  const statistics = (sim: PlatformSimulator, token: string, extra: string) =>
    fetch(`${sim.baseUrl}/statistics.php?d1=${WINDOW.from}&d2=${WINDOW.to}${extra}&mode=csv&sbm=1&dnl=1`, {
      headers: { authorization: `Bearer ${token}` },
    })

  it('given sd=1, when the statistics are exported, then each channel block has a title line, the header again and a Total line, and no column names a currency', async () => {
    const sim = await started(myaffiliates.create({ seed: 'wire', accounts: 1, clock }))
    const csv = await (await statistics(sim, await tokenFor(sim), '&sd=1')).text()
    const lines = csv.split('\r\n')
    const header = CSV_HEADER.join(',')
    // The names the evidence gives, in its order; what it leaves out ("…") sits between FTD Amount and Income.
    expect(header).toMatch(/^Date,Channel,Pay period,Impressions,Clicks,Signups,FTD,FTD Amount,.*,Income$/)
    const channels = [...new Set(sim.truth(sim.accounts[0]!.key, WINDOW).map((r) => r.brand))]
    expect(channels.length).toBeGreaterThan(1)
    expect(lines[0]).toMatch(/^Brand A pay period : 01\/05\/2026$/)
    expect(lines[1]).toBe(header)
    expect(lines.filter((l) => l === header)).toHaveLength(channels.length)
    expect(lines.filter((l) => l.startsWith('Total,'))).toHaveLength(channels.length)
    expect(lines.filter((l) => /^\d{4}-\d{2}-\d{2},/.test(l)).length).toBe(
      sim.truth(sim.accounts[0]!.key, WINDOW).length,
    )
    expect(header.toLowerCase()).not.toContain('currency')
  })

  it('given no sd, when the statistics are exported, then rows are per pay period, not per day', async () => {
    const sim = await started(myaffiliates.create({ seed: 'wire', accounts: 1, clock }))
    const csv = await (await statistics(sim, await tokenFor(sim), '')).text()
    const dataLines = csv.split('\r\n').filter((l) => /^\d{4}-\d{2}/.test(l))
    expect(dataLines.length).toBeGreaterThan(0)
    expect(dataLines.every((l) => /^2026-05,/.test(l))).toBe(true)
  })

  it('given a token the portal does not know, when the statistics are asked for, then an HTML page comes back instead of CSV', async () => {
    const sim = await started(myaffiliates.create({ seed: 'wire', accounts: 1, clock }))
    const response = await statistics(sim, 'not-a-token', '&sd=1')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/text\/html/)
    expect(await response.text()).toMatch(/^<!DOCTYPE html>/)
  })
})

describe('Income Access simulator wire format', () => {
  it('given the invented /api/reports path with a valid key, when requested, then it is not served', async () => {
    const sim = await started(incomeAccess.create({ seed: 'wire', accounts: 1, clock }))
    const key = new URL(sim.accounts[0]!.connection.reportUrl!).searchParams.get(
      DEFAULT_REPORT_URL.params.key,
    )
    const response = await fetch(
      `${sim.baseUrl}/api/reports?key=${key}&report=member-detailed&from=2026-05-01&to=2026-05-10&format=csv`,
    )
    expect(response.status).toBe(404)
  })

  it('given a generated URL with its dates rewritten, when opened, then the report covers the new dates, one merchant, without a currency column', async () => {
    const sim = await started(incomeAccess.create({ seed: 'wire', accounts: 2, clock }))
    for (const [index, account] of sim.accounts.entries()) {
      const url = new URL(account.connection.reportUrl!)
      const { from, to } = DEFAULT_REPORT_URL.params
      // The second account's URL writes its dates day first; a rewrite keeps the URL's own layout.
      const write = (day: string) =>
        index === 1 ? `${day.slice(8)}/${day.slice(5, 7)}/${day.slice(0, 4)}` : day
      expect(url.searchParams.get(from)).toBe(write('2026-01-13'))
      url.searchParams.set(from, write(WINDOW.from))
      url.searchParams.set(to, write(WINDOW.to))
      const response = await fetch(url)
      expect(response.headers.get('content-type')).toMatch(/text\/csv/)
      const [header, ...lines] = (await response.text()).trim().split('\r\n')
      expect(header!.toLowerCase()).not.toContain('currency')
      const truth = sim.truth(account.key, WINDOW)
      expect(lines).toHaveLength(truth.length)
      expect(new Set(truth.map((r) => r.brand)).size).toBeLessThanOrEqual(1)
      expect(lines.every((l) => l.slice(0, 10) >= WINDOW.from && l.slice(0, 10) <= WINDOW.to)).toBe(true)
    }
  })

  it('given the default accounts, when their reports are read, then they come in different header layouts', async () => {
    const sim = await started(incomeAccess.create({ seed: 'wire', accounts: 3, clock }))
    const headers = await Promise.all(
      sim.accounts.map(async (a) => (await (await fetch(a.connection.reportUrl!)).text()).split('\r\n')[0]),
    )
    expect(new Set(headers).size).toBe(3)
  })
})

describe('ClickBank simulator wire format', () => {
  const analytics = (sim: PlatformSimulator, query: string, headers: Record<string, string> = {}) =>
    fetch(`${sim.baseUrl}/rest/1.3/analytics/AFFILIATE/TRACKING_ID?${query}`, {
      headers: { accept: 'application/json', authorization: sim.accounts[0]!.connection.apiKey!, ...headers },
    })
  const day = '2026-05-04'
  const nick = (sim: PlatformSimulator) => sim.accounts[0]!.connection.nickname

  it('given hops without a tracking id and ids typed in capitals, when a day is read, then the no-id bucket is "Not Set" and ids keep their case', async () => {
    const sim = await started(clickbank.create({ seed: 'wire', accounts: 1, clock }))
    const body = (await (
      await analytics(sim, `account=${nick(sim)}&startDate=${day}&endDate=${day}`)
    ).json()) as {
      rows: { row: { dimensionValue: string }[] }
    }
    const values = body.rows.row.map((r) => r.dimensionValue)
    expect(values).toContain(NOT_SET)
    expect(values.some((v) => v !== NOT_SET && v !== v.toLowerCase())).toBe(true)
    expect(values.some((v) => v !== NOT_SET && v === v.toLowerCase())).toBe(true)
  })

  it('given one row and one attribute, when read, then both come as objects and values are wrapped strings', async () => {
    const sim = await started(clickbank.create({ seed: 'wire', accounts: 1, pageSize: 1, clock }))
    const response = await analytics(
      sim,
      `account=${nick(sim)}&startDate=${day}&endDate=${day}&select=HOP_COUNT`,
    )
    expect(response.status).toBe(206)
    const body = (await response.json()) as { rows: { row: { data: { attribute: string; value: unknown } } } }
    expect(Array.isArray(body.rows.row)).toBe(false)
    expect(body.rows.row.data).toMatchObject({
      attribute: 'HOP_COUNT',
      value: { '@type': 'xs:int', $: expect.stringMatching(/^\d+$/) },
    })
    const last = await analytics(
      sim,
      `account=${nick(sim)}&startDate=${day}&endDate=${day}&select=HOP_COUNT`,
      { page: '3' },
    )
    expect(last.status).toBe(200)
  })

  it('given attributes selected in one order, when read, then they come in the platform order', async () => {
    const sim = await started(clickbank.create({ seed: 'wire', accounts: 1, clock }))
    const body = (await (
      await analytics(
        sim,
        `account=${nick(sim)}&startDate=${day}&endDate=${day}&select=SALE_COUNT&select=HOP_COUNT`,
      )
    ).json()) as { rows: { row: { data: { attribute: string }[] }[] } }
    expect(body.rows.row[0]!.data.map((d) => d.attribute)).toEqual(['HOP_COUNT', 'SALE_COUNT'])
  })

  it('given a Bearer key or a rate limit, when called, then the answers are 401 "Invalid API key" and a plain-text 403', async () => {
    const sim = await started(clickbank.create({ seed: 'wire', accounts: 1, clock }))
    const key = simulatorApiKey('wire', sim.accounts[0]!.key)
    const bearer = await analytics(sim, `account=${nick(sim)}`, { authorization: `Bearer ${key}` })
    expect([bearer.status, await bearer.text()]).toEqual([401, 'Invalid API key'])
    sim.faults.inject('rate-limit', { times: 1 })
    const limited = await analytics(sim, `account=${nick(sim)}`)
    expect(limited.status).toBe(403)
    expect(limited.headers.get('content-type')).toMatch(/text\/plain/)
  })
})

describe('SoftSwiss simulator wire format', () => {
  it('given the second account, when its report is grouped by campaign, then its instance names the cell campaign_id and sends the bare id', async () => {
    const sim = await started(softswiss.create({ seed: 'wire', accounts: 2, clock }))
    const cellsOf = async (index: number) => {
      const token = sim.accounts[index]!.connection.token!
      const bare = token.startsWith('http') ? new URL(token).searchParams.get('token')! : token
      const query = `from=${WINDOW.from}&to=${WINDOW.to}&group_by[]=day&group_by[]=campaign&columns[]=visits_count`
      const response = await fetch(`${sim.baseUrl}/api/customer/v1/partner/report?${query}`, {
        headers: { authorization: bare },
      })
      const body = (await response.json()) as { rows: { data: { name: string; value: unknown }[][] } }
      return body.rows.data[0]!
    }
    const first = await cellsOf(0)
    const second = await cellsOf(1)
    expect(first.find((c) => c.name === 'campaign')?.value).toMatchObject({ name: expect.any(String) })
    expect(second.some((c) => c.name === 'campaign')).toBe(false)
    expect(second.find((c) => c.name === 'campaign_id')?.value).toEqual(expect.any(Number))
  })
})

describe('Cellxpert simulator wire format', () => {
  it('given the simulated "today", when a window ends after it, then the program refuses it as it refuses future dates', async () => {
    const sim = await started(cellxpert.create({ seed: 'wire', accounts: 1, clock }))
    const { affiliateId, apiKey } = sim.credentials(sim.accounts[0]!.key)
    const ask = async (todate: string) =>
      (
        await fetch(`${sim.baseUrl}?command=mediareport&fromdate=${testDay(-5)}&todate=${todate}&Day=1`, {
          headers: { affiliateid: affiliateId, 'x-api-key': apiKey },
        })
      ).text()
    expect(await ask(testDay(0))).toMatch(/^<ResultSet/)
    expect(await ask(testDay(1))).toBe('Bad Command')
  })
})

describe('NetRefer simulator wire format', () => {
  it('given the quick start, when a token is taken by password grant and the report path asked for, then a month of rows comes back', async () => {
    const sim = await started(netrefer.create({ seed: 'wire', accounts: 1, clock }))
    const conn = sim.accounts[0]!.connection
    const token = (await (
      await fetch(conn.tokenUrl!, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: conn.clientId!,
          client_secret: conn.clientSecret!,
          username: conn.username!,
          password: conn.password!,
          scope: `api://${conn.clientId}/Reports.Read`,
        }),
      })
    ).json()) as { access_token: string }
    const response = await fetch(
      `${sim.baseUrl}/dpm/v1/DAR/${conn.affiliateId}/${WINDOW.from}/${WINDOW.to}`,
      {
        headers: { authorization: `Bearer ${token.access_token}` },
      },
    )
    expect(response.status).toBe(200)
    const crossing = await fetch(`${sim.baseUrl}/dpm/v1/DAR/${conn.affiliateId}/2026-05-20/2026-06-02`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    })
    expect(crossing.status).toBe(400)
  })
})

describe('Everflow simulator wire format', () => {
  const report = (sim: PlatformSimulator, apiKey: string, body: Record<string, unknown>) =>
    fetch(`${sim.baseUrl}/v1/affiliates/reporting/entity/table`, {
      method: 'POST',
      headers: { 'X-Eflow-API-Key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({
        currency_id: sim.accounts[0]!.connection.currency,
        query: { filters: [] },
        ...body,
      }),
    })

  it('given a report by date, offer and sub1 in Seoul time, when asked, then each row has columns of column_type, id and label, numbers for metrics, and the date as the Unix seconds of Seoul midnight', async () => {
    const sim = await started(everflow.create({ seed: 'wire', accounts: 1, clock }))
    const zones = (await (await fetch(`${sim.baseUrl}/v1/meta/timezones`)).json()) as {
      timezones: { timezone_id: number; timezone: string }[]
    }
    expect(zones.timezones).toContainEqual(expect.objectContaining({ timezone_id: 67, timezone: 'UTC' }))
    expect(zones.timezones).toContainEqual(
      expect.objectContaining({ timezone_id: 80, timezone: 'America/New_York' }),
    )
    const seoul = zones.timezones.find((z) => z.timezone === 'Asia/Seoul')!.timezone_id
    const response = await report(sim, sim.accounts[0]!.connection.apiKey!, {
      from: '2026-05-01',
      to: '2026-05-01',
      timezone_id: seoul,
      columns: [{ column: 'date' }, { column: 'offer' }, { column: 'sub1' }],
    })
    const body = (await response.json()) as {
      table: {
        columns: { column_type: string; id: string; label: string }[]
        reporting: Record<string, unknown>
      }[]
      incomplete_results: boolean
    }
    expect(body.incomplete_results).toBe(false)
    expect(body.table.length).toBeGreaterThan(0)
    for (const row of body.table) {
      expect(row.columns.map((c) => c.column_type)).toEqual(['date', 'offer', 'sub1'])
      expect(row.columns[0]!.id).toBe(String(Date.parse('2026-04-30T15:00:00Z') / 1000))
      expect(typeof row.reporting.total_click).toBe('number')
      expect(typeof row.reporting.revenue).toBe('number')
    }
  })

  it('given more rows than the cap, an interval over a year or an unknown key, when asked, then the table says incomplete_results, or 400, or 401', async () => {
    const sim = await started(everflow.create({ seed: 'wire', accounts: 1, clock, rowCap: 3 }))
    const apiKey = sim.accounts[0]!.connection.apiKey!
    const columns = [{ column: 'date' }, { column: 'offer' }, { column: 'sub1' }]
    const capped = (await (await report(sim, apiKey, { ...WINDOW, timezone_id: 67, columns })).json()) as {
      table: unknown[]
      incomplete_results: boolean
    }
    expect(capped).toMatchObject({ incomplete_results: true })
    expect(capped.table).toHaveLength(3)
    expect(
      (await report(sim, apiKey, { from: '2024-01-01', to: '2025-06-01', timezone_id: 67, columns })).status,
    ).toBe(400)
    expect(
      (await report(sim, 'not-a-key-of-this-network', { ...WINDOW, timezone_id: 67, columns })).status,
    ).toBe(401)
  })
})

describe('Impact simulator wire format', () => {
  it('given Basic SID:token, when Actions are listed, then paging members are strings, @nextpageuri is relative, EventDate carries the account offset, and reversed actions are listed', async () => {
    const sim = await started(impact.create({ seed: 'wire', accounts: 1, clock }))
    const { accountSid, authToken } = sim.accounts[0]!.connection
    const basic = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`
    const list = (range: string, accept = 'application/json') =>
      fetch(`${sim.baseUrl}/Mediapartners/${accountSid}/Actions?${range}&PageSize=50`, {
        headers: { authorization: basic, accept },
      })
    const range = 'ActionDateStart=2026-05-01T00:00:00Z&ActionDateEnd=2026-05-20T23:59:59Z'
    const body = (await (await list(range)).json()) as Record<string, unknown> & {
      Actions: { State: string; EventDate: string; Payout: unknown }[]
    }
    expect(body['@page']).toBe('1')
    expect(Number(body['@numpages'])).toBeGreaterThan(1)
    expect(body['@nextpageuri']).toMatch(new RegExp(`^/Mediapartners/${accountSid}/Actions\\?.*Page=2`))
    expect(body.Actions[0]!.EventDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-0[78]:00$/)
    expect(typeof body.Actions[0]!.Payout).toBe('string')
    const states = new Set<string>()
    for (let page = 1; page <= Number(body['@numpages']); page++) {
      const next = (await (await list(`${range}&Page=${page}`)).json()) as { Actions: { State: string }[] }
      for (const a of next.Actions) states.add(a.State)
    }
    expect([...states].sort()).toEqual(['APPROVED', 'PENDING', 'REVERSED'])
    const wide = await list('ActionDateStart=2026-03-01T00:00:00Z&ActionDateEnd=2026-05-01T00:00:00Z')
    expect(wide.status).toBe(400)
    expect(await wide.json()).toMatchObject({ Status: 'ERROR' })
    expect(await (await list(range, '*/*')).text()).toMatch(/^<\?xml/)
  })
})

describe('Awin simulator wire format', () => {
  it('given a Bearer token, when transactions are listed, then a JSON list of transactions with {amount, currency} numbers comes back, every status among them, and more than 31 days is refused', async () => {
    const sim = await started(awin.create({ seed: 'wire', accounts: 1, clock }))
    const { publisherId, apiToken } = sim.accounts[0]!.connection
    const list = (start: string, end: string) =>
      fetch(
        `${sim.baseUrl}/publishers/${publisherId}/transactions/?startDate=${start}&endDate=${end}&timezone=UTC`,
        {
          headers: { authorization: `Bearer ${apiToken}` },
        },
      )
    const body = (await (await list('2026-05-01T00:00:00', '2026-05-31T23:59:59')).json()) as {
      commissionStatus: string
      commissionAmount: { amount: unknown; currency: string }
      transactionDate: string
      advertiserId: unknown
    }[]
    expect(Array.isArray(body)).toBe(true)
    expect(typeof body[0]!.commissionAmount.amount).toBe('number')
    expect(typeof body[0]!.advertiserId).toBe('number')
    expect(body[0]!.transactionDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
    expect([...new Set(body.map((t) => t.commissionStatus))].sort()).toEqual([
      'approved',
      'declined',
      'pending',
    ])
    expect((await list('2026-04-01T00:00:00', '2026-05-03T00:00:00')).status).toBe(400)
    const accounts = (await (await fetch(`${sim.baseUrl}/accounts?accessToken=${apiToken}`)).json()) as {
      accounts: { accountId: number; accountType: string }[]
    }
    expect(accounts.accounts.map((a) => a.accountType).sort()).toEqual(['advertiser', 'publisher'])
  })
})

describe('CJ simulator wire format', () => {
  it('given the publisher request of CJ’s docs (a bare GraphQL document by posting date), when posted, then the answer has the published fields and amounts as strings', async () => {
    const sim = await started(cj.create({ seed: 'wire', accounts: 1, clock }))
    const { token, companyId } = sim.credentials(sim.accounts[0]!.key)
    // The published curl body, with this account's CID and dates the simulated account has.
    const document = `{
      publisherCommissions(forPublishers: ["${companyId}"], sincePostingDate: "2026-05-08T00:00:00Z", beforePostingDate: "2026-05-09T00:00:00Z") {
        count payloadComplete
        records { actionTrackerName websiteName advertiserName postingDate pubCommissionAmountUsd
          items { quantity perItemSaleAmountPubCurrency totalCommissionPubCurrency } }
      }
    }`
    const response = await fetch(`${sim.baseUrl}/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: document,
    })
    const body = (await response.json()) as {
      data: {
        publisherCommissions: { count: number; payloadComplete: boolean; records: Record<string, unknown>[] }
      }
    }
    const result = body.data.publisherCommissions
    expect(response.status).toBe(200)
    expect(result.payloadComplete).toBe(true)
    expect(result.count).toBe(result.records.length)
    expect(result.count).toBeGreaterThan(0)
    for (const record of result.records) {
      expect(Object.keys(record).sort()).toEqual(
        [
          'actionTrackerName',
          'advertiserName',
          'items',
          'postingDate',
          'pubCommissionAmountUsd',
          'websiteName',
        ].sort(),
      )
      expect(record.pubCommissionAmountUsd).toMatch(/^-?\d+(\.\d+)?$/)
      expect(String(record.postingDate).slice(0, 10)).toBe('2026-05-08')
    }
  })
})

describe('Affise simulator wire format', () => {
  it('given the documented custom statistics request (year, month and day; total and confirmed), when asked, then one item a day in the documented shape', async () => {
    const sim = await started(affise.create({ seed: 'wire', accounts: 1, clock }))
    const { apiKey } = sim.credentials(sim.accounts[0]!.key)
    const response = await fetch(
      `${sim.baseUrl}/3.0/stats/custom?slice[]=year&slice[]=month&slice[]=day&filter[date_from]=${WINDOW.from}` +
        `&filter[date_to]=${WINDOW.to}&conversionTypes[]=total&conversionTypes[]=confirmed`,
      { headers: { 'API-Key': apiKey } },
    )
    const body = (await response.json()) as {
      status: number
      stats: {
        slice: Record<string, number>
        traffic: Record<string, unknown>
        actions: Record<string, object>
      }[]
      pagination: Record<string, number>
    }
    expect(body.status).toBe(1)
    expect(body.stats.map((s) => s.slice)).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ year: 2026, month: 5, day: i + 1 })),
    )
    for (const item of body.stats) {
      expect(typeof item.traffic.raw).toBe('string')
      expect(Object.keys(item.actions)).toEqual(['total', 'confirmed'])
      expect(Object.keys(item.actions.total!).sort()).toEqual([
        'charge',
        'count',
        'earning',
        'null',
        'revenue',
      ])
    }
    expect(body.pagination).toEqual({ per_page: 100, total_count: 10, page: 1 })
  })
})
