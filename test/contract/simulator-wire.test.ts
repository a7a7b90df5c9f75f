import { afterAll, describe, expect, it } from 'vitest'
import { simulator as affise } from '../../plugins/affise/simulator.ts'
import { simulator as cellxpert } from '../../plugins/cellxpert/simulator.ts'
import { simulator as cj } from '../../plugins/cj/simulator.ts'
import { simulator as clickbank, NOT_SET, simulatorApiKey } from '../../plugins/clickbank/simulator.ts'
import { DEFAULT_REPORT_URL, simulator as incomeAccess } from '../../plugins/income-access/simulator.ts'
import { CSV_HEADER, simulator as myaffiliates } from '../../plugins/myaffiliates/simulator.ts'
import { simulator as netrefer } from '../../plugins/netrefer/simulator.ts'
import { simulator as softswiss } from '../../plugins/softswiss/simulator.ts'
import { fixedClock } from '../../src/clock.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { testNow } from '../support/test-clock.ts'

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
        await fetch(`${sim.baseUrl}?command=mediareport&fromdate=2026-06-10&todate=${todate}&Day=1`, {
          headers: { affiliateid: affiliateId, 'x-api-key': apiKey },
        })
      ).text()
    expect(await ask('2026-06-15')).toMatch(/^<ResultSet/)
    expect(await ask('2026-06-16')).toBe('Bad Command')
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
