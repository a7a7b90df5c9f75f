import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { fixedClock } from '../../src/clock.ts'
import {
  createGroundTruth,
  createTokenIssuer,
  csvLine,
  csvText,
  dayParam,
  defineSimulator,
  FaultController,
  htmlAnswer,
  jsonAnswer,
  mergeRows,
  pageOf,
  reportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  startSimulatorServer,
  textAnswer,
} from '../../src/sdk/index.ts'

describe('simulator helpers', () => {
  it('given a fault that starts after one request and lasts two, when requests arrive, then only the second and third are affected', () => {
    const faults = new FaultController()
    faults.inject('truncated', { after: 1, times: 2 })
    const seen = [1, 2, 3, 4].map(() => faults.take('truncated') !== undefined)
    expect(seen).toEqual([false, true, true, false])
    expect(faults.hits('truncated')).toBe(2)
  })

  it('given a cleared fault, when requests arrive, then none is affected', () => {
    const faults = new FaultController()
    faults.inject('outage')
    faults.clear('outage')
    expect(faults.take('outage')).toBeUndefined()
    expect(faults.hits('outage')).toBe(0)
  })

  it('given one seed, when two truths are built, then they agree row for row; another seed differs', () => {
    const account = { key: 'acct-1', brands: ['Brand A'], currencies: ['EUR'], campaigns: ['main'] }
    const window = { from: '2026-03-01', to: '2026-03-10' }
    const a = createGroundTruth('same').rows(account, window)
    const b = createGroundTruth('same').rows(account, window)
    const c = createGroundTruth('other').rows(account, window)
    expect(a.length).toBeGreaterThan(5)
    expect(b).toEqual(a)
    expect(c).not.toEqual(a)
  })

  it('given a revised day, when the truth is read again, then only that day changed', () => {
    const truth = createGroundTruth('revise')
    const account = { key: 'acct-1', brands: ['Brand A'], currencies: ['EUR'], campaigns: ['main'] }
    const window = { from: '2026-03-01', to: '2026-03-05' }
    const before = truth.rows(account, window)
    truth.revise('acct-1', '2026-03-03')
    const after = truth.rows(account, window)
    const byDay = (rows: typeof before) => {
      const days = new Map<string, string>()
      for (const r of rows) days.set(r.date, `${days.get(r.date) ?? ''}${JSON.stringify(r)}`)
      return days
    }
    const was = byDay(before)
    const now = byDay(after)
    const changed = [...new Set([...was.keys(), ...now.keys()])].filter((d) => was.get(d) !== now.get(d))
    expect(changed).toEqual(['2026-03-03'])
  })

  it('given shaping options at their defaults, when the truth is read, then it is the same as without them', () => {
    const plain = {
      key: 'acct-1',
      brands: ['Brand A', 'Brand B'],
      currencies: ['EUR', 'USD'],
      campaigns: ['main'],
    }
    const shaped = { ...plain, volume: 1, dailyGrowth: 0, seasonality: 0, trendAnchor: '2026-03-01' }
    const window = { from: '2026-02-20', to: '2026-03-10' }
    expect(createGroundTruth('shape').rows(shaped, window)).toEqual(
      createGroundTruth('shape').rows(plain, window),
    )
  })

  it('given a larger volume, a growth and a decline, when a quarter is summed, then traffic follows the volume and each trend shows', () => {
    const truth = createGroundTruth('shape')
    const base = { key: 'acct-1', brands: ['Brand A'], currencies: ['EUR'], campaigns: ['main'] }
    const clicks = (spec: typeof base & Record<string, unknown>, window: { from: string; to: string }) =>
      truth.rows(spec, window).reduce((sum, r) => sum + (r.clicks ?? 0), 0)
    const quarter = { from: '2026-01-01', to: '2026-03-31' }
    const ratio = clicks({ ...base, volume: 10 }, quarter) / clicks(base, quarter)
    expect(ratio).toBeGreaterThan(9)
    expect(ratio).toBeLessThan(11)
    const january = { from: '2026-01-01', to: '2026-01-31' }
    const march = { from: '2026-03-01', to: '2026-03-31' }
    const growing = { ...base, dailyGrowth: 0.02, trendAnchor: '2026-03-31' }
    const declining = { ...base, dailyGrowth: -0.02, trendAnchor: '2026-03-31' }
    expect(clicks(growing, march)).toBeGreaterThan(1.5 * clicks(growing, january))
    expect(clicks(declining, january)).toBeGreaterThan(1.5 * clicks(declining, march))
    const seasonal = { ...base, seasonality: 0.5 }
    const july = { from: '2026-07-01', to: '2026-07-31' }
    expect(clicks(seasonal, january)).toBeGreaterThan(1.5 * clicks(seasonal, july))
  })

  it('given FTDs reversed on a day, when the truth is read again, then only that day lost FTDs and CPA, its traffic unchanged', () => {
    const truth = createGroundTruth('reverse')
    const account = {
      key: 'acct-1',
      brands: ['Brand A'],
      currencies: ['EUR'],
      campaigns: ['main'],
      volume: 5,
    }
    const window = { from: '2026-03-01', to: '2026-03-05' }
    const before = truth.rows(account, window)
    expect(truth.revise('acct-1', '2026-03-03', 'ftds-reversed')).toBe(1)
    const after = truth.rows(account, window)
    expect(after.filter((r) => r.date !== '2026-03-03')).toEqual(
      before.filter((r) => r.date !== '2026-03-03'),
    )
    const was = before.find((r) => r.date === '2026-03-03')!
    const now = after.find((r) => r.date === '2026-03-03')!
    expect(was.ftds).toBeGreaterThan(0)
    expect(now.ftds).toBeLessThan(was.ftds!)
    expect(now.cpaCount).toBeLessThanOrEqual(was.cpaCount!)
    expect({ ...now, ftds: was.ftds, cpaCount: was.cpaCount, commission: was.commission }).toEqual(was)
  })

  it('given a closed month whose revenue is adjusted, when the truth is read again, then its net revenue fell and its traffic stayed', () => {
    const truth = createGroundTruth('close')
    const account = { key: 'acct-1', brands: ['Brand A'], currencies: ['EUR'], campaigns: ['main'] }
    const window = { from: '2026-02-01', to: '2026-02-28' }
    const before = truth.rows(account, window)
    for (const r of before) truth.revise('acct-1', r.date, 'revenue-adjusted')
    const after = truth.rows(account, window)
    expect(after).toHaveLength(before.length)
    after.forEach((row, i) => {
      const was = before[i]!
      expect(Number(row.netRevenue)).toBeLessThan(Number(was.netRevenue))
      expect({ ...row, netRevenue: was.netRevenue, commission: was.commission }).toEqual(was)
    })
  })

  it('given rows sharing a key, some metrics null, when merged in a window, then figures add up exactly, all-null stays null and rows outside are dropped', () => {
    const base = { date: '2026-03-02', brand: 'B', campaign: null, currency: 'EUR' }
    const rows = [
      reportRow({ ...base, clicks: 3, commission: '0.10', ftds: null }),
      reportRow({ ...base, clicks: null, commission: '0.20', ftds: null }),
      reportRow({ ...base, clicks: 4, commission: '1.005', ftds: null }),
      reportRow({ ...base, date: '2026-03-09', clicks: 100 }),
    ]
    const before = JSON.stringify(rows)
    const merged = mergeRows(rows, { from: '2026-03-01', to: '2026-03-05' })
    expect(merged).toHaveLength(1)
    expect(merged[0]).toMatchObject({ clicks: 7, commission: '1.305', ftds: null, deposits: null })
    expect(JSON.stringify(rows), 'inputs are not mutated').toBe(before)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// The simulator kit: a tiny platform declared on it, and the helpers simulators share.
// ---------------------------------------------------------------------------------------------------------------

interface ToyOptions extends SimulatorOptions {
  outagePage?: string
}

/** One public route, one behind an `x-key` header; the outage page may be the platform's own. */
const toy = defineSimulator<ToyOptions, SimulatorCaller, { readonly calls: number }>({
  platform: 'Toy',
  faults: ['outage', 'rate-limit', 'expired-token', 'truncated', 'connection-reset'],
  reports: { metrics: ['clicks', 'commission'], breakdowns: ['brand'] },
  account: (spec) => ({ ...spec, currencies: ['EUR'] }),
  setup(kit, options) {
    let calls = 0
    return {
      answers: options.outagePage ? { outage: () => htmlAnswer(503, options.outagePage!) } : {},
      routes: [
        { method: 'GET', path: '/public', handle: () => textAnswer(200, 'x'.repeat(2000)) },
        {
          method: 'GET',
          path: /^\/rows\/(\d{4}-\d{2}-\d{2})$/,
          auth: (request) => {
            const spec = kit.specs.find((s) => s.key === request.headers['x-key'])
            return spec ? { spec } : textAnswer(401, 'who are you?')
          },
          handle: (request, caller) => {
            calls += 1
            const day = request.match![1]!
            return jsonAnswer(200, {
              today: kit.today(),
              rows: kit.rows(caller.spec, { from: day, to: day }),
            })
          },
        },
      ],
      connection: (spec) => ({ baseUrl: kit.url, key: spec.key }),
      invalidConnection: () => ({ baseUrl: kit.url, key: 'nobody' }),
      extra: {
        get calls() {
          return calls
        },
      },
    }
  },
})

describe('simulator kit', () => {
  const open: { close(): Promise<void> }[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()))
  })
  const start = async (options: ToyOptions = {}) => {
    const sim = await toy.create({
      seed: 'kit',
      accounts: 1,
      clock: fixedClock('2026-06-15T12:00:00Z'),
      ...options,
    })
    open.push(sim)
    return sim
  }
  const busyPort = async () => {
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    open.push({ close: () => new Promise<void>((resolve) => holder.close(() => resolve())) })
    return (holder.address() as AddressInfo).port
  }

  it('given a port another server holds, when the SDK server is asked for it, then listening rejects with EADDRINUSE', async () => {
    const port = await busyPort()
    const error = await startSimulatorServer(() => ({ status: 204 }), { port }).catch((e: unknown) => e)
    expect((error as { code?: string }).code).toBe('EADDRINUSE')
  })

  it('given a port another server holds, when a simulator is asked for it, then it comes up on another port and answers', async () => {
    const port = await busyPort()
    const sim = await start({ port })
    expect(new URL(sim.baseUrl).port).not.toBe(String(port))
    const response = await fetch(`${sim.baseUrl}/public`)
    expect(response.status).toBe(200)
  })

  it('given a bundled simulator asked for a busy port, when created, then it comes up elsewhere with connections that point there', async () => {
    const port = await busyPort()
    const sim = await softswiss.simulator.create({ seed: 'kit', accounts: 1, port })
    open.push(sim)
    expect(new URL(sim.baseUrl).port).not.toBe(String(port))
    expect(sim.accounts[0]!.connection.baseUrl).toBe(sim.baseUrl)
  })

  it('given an account route, when called with and without credentials, then the caller gets its rows, a stranger the refusal, and "today" comes from the clock', async () => {
    const sim = await start()
    const ok = await fetch(`${sim.baseUrl}/rows/2026-03-02`, { headers: { 'x-key': sim.accounts[0]!.key } })
    const body = (await ok.json()) as { today: string; rows: unknown[] }
    expect(body.today).toBe('2026-06-15')
    expect(body.rows).toEqual(sim.truth(sim.accounts[0]!.key, { from: '2026-03-02', to: '2026-03-02' }))
    expect(body.rows.length).toBeGreaterThan(0)
    const refused = await fetch(`${sim.baseUrl}/rows/2026-03-02`, { headers: { 'x-key': 'nobody' } })
    expect([refused.status, await refused.text()]).toEqual([401, 'who are you?'])
    expect(sim.calls).toBe(1)
    expect(sim.log.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /rows/2026-03-02',
      'GET /rows/2026-03-02',
    ])
    expect(sim.log[1]!.at).toBeGreaterThanOrEqual(sim.log[0]!.at)
  })

  it('given the generic faults, when requested, then the kit answers them, the platform overriding what it declares', async () => {
    const plain = await start()
    const own = await start({ outagePage: '<p>our own outage</p>' })
    plain.faults.inject('outage', { times: 1 })
    own.faults.inject('outage', { times: 1 })
    const a = await fetch(`${plain.baseUrl}/public`)
    const b = await fetch(`${own.baseUrl}/public`)
    expect([a.status, a.headers.get('content-type')]).toEqual([503, 'text/html; charset=utf-8'])
    expect([b.status, await b.text()]).toEqual([503, '<p>our own outage</p>'])
    plain.faults.inject('rate-limit', { times: 1, delayMs: 1200 })
    const limited = await fetch(`${plain.baseUrl}/public`)
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2'])
    expect((await fetch(`${plain.baseUrl}/nowhere`)).status).toBe(404)
  })

  it('given account faults, when a public route and an account route are called, then only the account route meets them', async () => {
    const sim = await start()
    const headers = { 'x-key': sim.accounts[0]!.key }
    sim.faults.inject('expired-token', { times: 1 })
    expect((await fetch(`${sim.baseUrl}/public`)).status).toBe(200)
    expect((await fetch(`${sim.baseUrl}/rows/2026-03-02`, { headers })).status).toBe(401)
    expect(sim.faults.hits('expired-token')).toBe(1)
    sim.faults.inject('truncated', { times: 1 })
    expect((await (await fetch(`${sim.baseUrl}/public`)).text()).length).toBe(2000)
    const cut = await fetch(`${sim.baseUrl}/rows/2026-03-02`, { headers })
    await expect(cut.text()).rejects.toThrow()
    expect(sim.faults.hits('truncated')).toBe(1)
  })

  it('given a fault the platform does not declare, when injected, then no request meets it', async () => {
    const sim = await start()
    sim.faults.inject('malformed')
    const response = await fetch(`${sim.baseUrl}/rows/2026-03-02`, {
      headers: { 'x-key': sim.accounts[0]!.key },
    })
    expect(response.status).toBe(200)
    expect(sim.faults.hits('malformed')).toBe(0)
  })

  it('given an unknown account, when its truth is asked for, then the error names the platform; a revised day changes the truth', async () => {
    const sim = await start()
    expect(() => sim.truth('nobody', { from: '2026-03-01', to: '2026-03-02' })).toThrow(
      /Toy simulator has no account "nobody"/,
    )
    const key = sim.accounts[0]!.key
    const before = sim.truth(key, { from: '2026-03-02', to: '2026-03-02' })
    sim.revise(key, '2026-03-02')
    expect(sim.truth(key, { from: '2026-03-02', to: '2026-03-02' })).not.toEqual(before)
    expect(before.every((r) => r.currency === 'EUR' && r.impressions === null && r.campaign === null)).toBe(
      true,
    )
  })
})

describe('simulator helpers shared by platforms', () => {
  it('given a token issuer on a clock, when time passes its lifetime or the token is revoked, then the grant says expired', () => {
    let now = Date.parse('2026-06-15T12:00:00Z')
    const tokens = createTokenIssuer<string>({
      now: () => new Date(now),
      lifetimeS: 60,
      mint: (n) => `t${n}`,
    })
    const first = tokens.issue('alice')
    const second = tokens.issue('bob')
    expect([first.token, second.token, first.expiresInS]).toEqual(['t1', 't2', 60])
    expect(tokens.grant('t1')).toMatchObject({ subject: 'alice', expired: false })
    now += 60_000
    expect(tokens.grant('t1')?.expired).toBe(true)
    const third = tokens.issue('carol')
    tokens.revoke(third.token)
    expect(tokens.grant(third.token)?.expired).toBe(true)
    expect(tokens.grant('never-issued')).toBeUndefined()
    expect(tokens.issued).toEqual(['t1', 't2', 't3'])
  })

  it('given items and page numbers, when paged, then pages cover the items once and say whether more follow', () => {
    const items = Array.from({ length: 5 }, (_, i) => i)
    expect(pageOf(items, '1', 2)).toEqual({
      items: [0, 1],
      page: 1,
      totalPages: 3,
      totalCount: 5,
      more: true,
    })
    expect(pageOf(items, 3, 2)).toMatchObject({ items: [4], more: false })
    expect(pageOf(items, 'junk', 2).page).toBe(1)
    expect(pageOf([], null, 2)).toMatchObject({ items: [], totalPages: 1, more: false })
  })

  it('given cells with commas, quotes and line breaks, when written as CSV, then only those are quoted', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'two\nlines'])).toBe('a,"b,c","say ""hi""","two\nlines"')
    expect(csvText(['x', 'y'])).toBe('x\r\ny\r\n')
  })

  it('given query parameters, when read as days, then only real YYYY-MM-DD days pass', () => {
    const query = new URLSearchParams('a=2026-02-28&b=2026-02-30&c=28/02/2026')
    expect([dayParam(query, 'a'), dayParam(query, 'b'), dayParam(query, 'c'), dayParam(query, 'd')]).toEqual([
      '2026-02-28',
      undefined,
      undefined,
      undefined,
    ])
  })
})
