import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { centsToDecimal, normalizeDecimal } from './decimal.ts'
import {
  type Breakdown,
  COUNT_METRICS,
  type CountMetric,
  type DateWindow,
  type Metric,
  MONEY_METRICS,
  type MoneyMetric,
  mergeRows,
  type ReportRow,
  rowKey,
} from './report-row.ts'

// ---------------------------------------------------------------------------------------------------------------
// Deterministic ground truth shared by every simulator: the same seed and account key give the same days on every
// platform, so one test can compare what affgraph stored with what the platforms "know".
// ---------------------------------------------------------------------------------------------------------------

export interface TruthAccountSpec {
  key: string
  brands: string[]
  /** The first currency is the account's main one; the others appear on some days (one row per currency). */
  currencies: string[]
  /** Campaigns (tracking ids); `null` is traffic without one. Default: no campaign breakdown at all. */
  campaigns?: (string | null)[]
  /** No activity before this day (default 2023-01-01): windows before it are empty. */
  since?: string
  /** Traffic relative to a default account (default 1); counts follow it, and money follows the counts. */
  volume?: number
  /** Compound change of the traffic per day, e.g. 0.004 for +0.4 % a day or negative for a decline (default 0). */
  dailyGrowth?: number
  /** The day on which the growth factor is 1, so a trend does not explode over years of history (default `since`). */
  trendAnchor?: string
  /** Amplitude of a yearly cycle, e.g. 0.3 for ±30 %, highest around New Year (default 0). */
  seasonality?: number
  /**
   * Figures a test states exactly, by day: the account then reports these days (in its first brand and currency,
   * without a campaign) and no others, so that sums can be worked out by hand. Metrics left out are 0.
   */
  scripted?: Record<string, ScriptedDay>
}

/** One scripted day: counts as numbers, money as decimal strings. */
export type ScriptedDay = Partial<Record<CountMetric, number> & Record<MoneyMetric, string>>

/**
 * How a platform revises a day: `redraw` (the default) draws all of its figures again; `ftds-reversed` drops some
 * of its FTDs (fraud, duplicates) and the CPA paid for them; `revenue-adjusted` books late costs against its net
 * revenue, after the month was closed, and the revenue share follows; `traffic-lost` keeps a tenth of the day's
 * traffic (a broken tracking link, a program that stopped sending); `restored` undoes every revision of the day
 * (a reversal taken back).
 */
export type TruthRevision = 'redraw' | 'ftds-reversed' | 'revenue-adjusted' | 'traffic-lost' | 'restored'

/** Every metric filled; simulators project it onto what their platform reports. */
export type TruthRow = ReportRow

function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** mulberry32: small, fast and good enough for fake statistics; deterministic across Node versions. */
export function seededRandom(seed: string): () => number {
  let a = hash32(seed)
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function eachDay(window: DateWindow): string[] {
  const days: string[] = []
  const end = Date.parse(`${window.to}T00:00:00Z`)
  for (let t = Date.parse(`${window.from}T00:00:00Z`); t <= end; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10))
  }
  return days
}

function intBetween(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1))
}

export interface GroundTruth {
  readonly seed: string
  /** All rows of one account in the window, sorted by date, brand, campaign, currency. */
  rows(account: TruthAccountSpec, window: DateWindow): TruthRow[]
  /**
   * Revises a past day of an account, as programs do (late FTDs, reversed deposits): that day's figures change
   * deterministically, on every simulator sharing this truth. Returns the day's new revision number.
   */
  revise(accountKey: string, day: string, how?: TruthRevision): number
}

const DAY_MS = 86_400_000

/** Traffic multiplier of an account on a day; exactly 1 for an account that sets none of the shaping options. */
function trafficFactor(account: TruthAccountSpec, date: string): number {
  let factor = account.volume ?? 1
  const t = Date.parse(`${date}T00:00:00Z`)
  if (account.dailyGrowth) {
    const anchor = Date.parse(`${account.trendAnchor ?? account.since ?? '2023-01-01'}T00:00:00Z`)
    factor *= (1 + account.dailyGrowth) ** ((t - anchor) / DAY_MS)
  }
  if (account.seasonality) {
    const yearStart = Date.UTC(new Date(t).getUTCFullYear(), 0, 1)
    factor *= 1 + account.seasonality * Math.cos((2 * Math.PI * (t - yearStart)) / (365.25 * DAY_MS))
  }
  return Math.max(0, factor)
}

export function createGroundTruth(seed = 'affgraph'): GroundTruth {
  // Redraws feed the day's seed; the other kinds adjust the drawn figures, so the rest of the day stays as it was.
  const revisions = new Map<string, Record<TruthRevision, number>>()
  return {
    seed,
    revise(accountKey, day, how = 'redraw') {
      const key = `${accountKey}|${day}`
      if (how === 'restored') {
        revisions.delete(key)
        return 0
      }
      const counts = revisions.get(key) ?? {
        redraw: 0,
        'ftds-reversed': 0,
        'revenue-adjusted': 0,
        'traffic-lost': 0,
        restored: 0,
      }
      counts[how] += 1
      revisions.set(key, counts)
      return counts.redraw + counts['ftds-reversed'] + counts['revenue-adjusted'] + counts['traffic-lost']
    },
    rows(account, window) {
      if (account.scripted) return scriptedRows(account, window)
      const since = account.since ?? '2023-01-01'
      const campaigns: (string | null)[] = account.campaigns?.length ? account.campaigns : [null]
      const out: TruthRow[] = []
      for (const date of eachDay(window)) {
        if (date < since) continue
        const weekday = new Date(`${date}T00:00:00Z`).getUTCDay()
        const weekendBoost = weekday === 0 || weekday === 6 ? 1.3 : 1
        const traffic = trafficFactor(account, date)
        const revised = revisions.get(`${account.key}|${date}`)
        const revision = revised?.redraw ?? 0
        for (const brand of account.brands) {
          for (const campaign of campaigns) {
            account.currencies.forEach((currency, currencyIndex) => {
              const rand = seededRandom(
                `${seed}|${account.key}|${date}|${brand}|${campaign ?? ''}|${currency}${revision ? `|r${revision}` : ''}`,
              )
              // A quiet day has no row at all; secondary currencies appear on a minority of days.
              if (rand() < 0.08) return
              if (currencyIndex > 0 && rand() < 0.7) return
              const lost = 0.1 ** (revised?.['traffic-lost'] ?? 0)
              const scale = (currencyIndex > 0 ? 0.2 : 1) * weekendBoost * traffic * lost
              const impressions = Math.floor(intBetween(rand, 200, 4000) * scale)
              const clicks = Math.floor(impressions * (0.05 + rand() * 0.15))
              const signups = Math.floor(clicks * (0.02 + rand() * 0.1))
              let ftds = Math.floor(signups * (0.2 + rand() * 0.4))
              const depositCount = ftds + intBetween(rand, 0, ftds * 3 + 2)
              let cpaCount = Math.floor(ftds * 0.7)
              const depositsCents = depositCount * intBetween(rand, 1000, 20000)
              let netRevenueCents = Math.floor(depositsCents * (rand() * 0.9 - 0.3))
              // Adjustments come after every draw, so they change only the figures they are about.
              for (let i = 0; i < (revised?.['ftds-reversed'] ?? 0); i++) ftds -= Math.ceil(ftds * 0.35)
              if (revised?.['ftds-reversed']) cpaCount = Math.floor(ftds * 0.7)
              for (let i = 0; i < (revised?.['revenue-adjusted'] ?? 0); i++)
                netRevenueCents -= Math.ceil(Math.abs(netRevenueCents) * 0.12) + 2500
              const commissionCents = Math.max(0, Math.floor(netRevenueCents * 0.3)) + cpaCount * 5000
              const salesCount = Math.round(intBetween(rand, 0, 12) * traffic)
              const salesCents = salesCount * intBetween(rand, 1900, 9700)
              const refundCount = Math.floor(salesCount / intBetween(rand, 4, 9))
              const refundCents = refundCount * intBetween(rand, 1900, 4700)
              const chargebackCount = rand() < 0.1 ? 1 : 0
              const chargebackCents = chargebackCount * intBetween(rand, 1900, 4700)
              out.push({
                date,
                brand,
                campaign,
                currency,
                impressions,
                clicks,
                signups,
                ftds,
                depositCount,
                cpaCount,
                salesCount,
                refundCount,
                chargebackCount,
                deposits: centsToDecimal(depositsCents),
                netRevenue: centsToDecimal(netRevenueCents),
                commission: centsToDecimal(commissionCents),
                salesAmount: centsToDecimal(salesCents),
                refundAmount: centsToDecimal(refundCents),
                chargebackAmount: centsToDecimal(chargebackCents),
              })
            })
          }
        }
      }
      return out
    },
  }
}

function scriptedRows(account: TruthAccountSpec, window: DateWindow): TruthRow[] {
  const out: TruthRow[] = []
  for (const date of eachDay(window)) {
    const day = account.scripted?.[date]
    if (!day) continue
    const row = {
      date,
      brand: account.brands[0] ?? null,
      campaign: null,
      currency: account.currencies[0] ?? null,
    } as TruthRow
    for (const m of COUNT_METRICS) row[m] = day[m] ?? 0
    for (const m of MONEY_METRICS) row[m] = normalizeDecimal(day[m] ?? '0')
    out.push(row)
  }
  return out
}

/**
 * What a platform would report of the truth: metrics it lacks become null, breakdowns it lacks are summed away,
 * and a row left with no metric at all disappears.
 */
export function projectRows(
  rows: TruthRow[],
  options: { metrics: Metric[]; breakdowns: Breakdown[] },
): ReportRow[] {
  const keep = new Set<string>(options.metrics)
  const projected = rows.map((row) => {
    const out: ReportRow = {
      ...row,
      brand: options.breakdowns.includes('brand') ? row.brand : null,
      campaign: options.breakdowns.includes('campaign') ? row.campaign : null,
    }
    for (const m of COUNT_METRICS) if (!keep.has(m)) out[m] = null
    for (const m of MONEY_METRICS) if (!keep.has(m)) out[m] = null
    if (!MONEY_METRICS.some((m) => keep.has(m))) out.currency = null
    return out
  })
  return mergeRows(projected).sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0))
}

// ---------------------------------------------------------------------------------------------------------------
// Named fault scenarios. A simulator asks `faults.take(name)` on each request and, when it answers true, fails
// the way its platform does (ClickBank's 403 text, Cellxpert's HTTP 200 error body, a 429 with Retry-After…).
// ---------------------------------------------------------------------------------------------------------------

export const FAULT_NAMES = [
  'outage',
  'rate-limit',
  'slow',
  'malformed',
  'truncated',
  'expired-token',
  'missing-permission',
  'connection-reset',
] as const
export type FaultName = (typeof FAULT_NAMES)[number]

export interface FaultOptions {
  /** How many requests the fault affects; default: until cleared. */
  times?: number
  /** For `slow`: added latency. For `rate-limit`: the Retry-After the platform announces, when it does. */
  delayMs?: number
  /** Requests that pass untouched before the fault starts, e.g. 1 to break a report after its first page. */
  after?: number
}

/**
 * Random faults for soak tests: about `rate` of the requests meet one of `faults`, drawn with a seeded `random`
 * so that a failing run can be replayed. A fault may be listed several times with different options (a rate
 * limit with and without a wait, say) and one of its entries is picked each time it strikes.
 */
export interface FaultChaos {
  rate: number
  faults: readonly { name: FaultName; options?: FaultOptions }[]
  random: () => number
}

export class FaultController {
  #active = new Map<FaultName, { pass: number; remaining: number; options: FaultOptions }>()
  #hits = new Map<FaultName, number>()
  #chaos: (FaultChaos & { perCheck: number }) | null = null

  /**
   * Starts (or, with null, stops) random faults. A simulator checks each fault it knows once per request, so
   * each check strikes with the probability that makes "at least one of them" come out at `rate`.
   */
  chaos(chaos: FaultChaos | null): void {
    if (!chaos) {
      this.#chaos = null
      return
    }
    const distinct = new Set(chaos.faults.map((f) => f.name)).size
    this.#chaos = { ...chaos, perCheck: distinct === 0 ? 0 : 1 - (1 - chaos.rate) ** (1 / distinct) }
  }

  inject(name: FaultName, options: FaultOptions = {}): void {
    this.#active.set(name, {
      pass: options.after ?? 0,
      remaining: options.times ?? Number.POSITIVE_INFINITY,
      options,
    })
  }

  clear(name?: FaultName): void {
    if (name) this.#active.delete(name)
    else this.#active.clear()
  }

  /** Consumes one occurrence of the fault if it is active; returns its options, or undefined. */
  take(name: FaultName): FaultOptions | undefined {
    const state = this.#active.get(name)
    if (!state) return this.#takeChaos(name)
    if (state.pass > 0) {
      state.pass -= 1
      return undefined
    }
    state.remaining -= 1
    if (state.remaining <= 0) this.#active.delete(name)
    this.#hits.set(name, (this.#hits.get(name) ?? 0) + 1)
    return state.options
  }

  #takeChaos(name: FaultName): FaultOptions | undefined {
    const chaos = this.#chaos
    if (!chaos) return undefined
    const entries = chaos.faults.filter((f) => f.name === name)
    if (entries.length === 0 || chaos.random() >= chaos.perCheck) return undefined
    this.#hits.set(name, (this.#hits.get(name) ?? 0) + 1)
    return entries[Math.floor(chaos.random() * entries.length)]!.options ?? {}
  }

  /** How many requests each fault has affected so far. */
  hits(name: FaultName): number {
    return this.#hits.get(name) ?? 0
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A loopback HTTP server for simulators.
// ---------------------------------------------------------------------------------------------------------------

export interface SimulatorRequest {
  method: string
  url: URL
  path: string
  query: URLSearchParams
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: string
}

export interface SimulatorResponse {
  status?: number
  headers?: Record<string, string>
  /** A string or bytes are sent as they are; anything else as JSON. */
  body?: unknown
  /** Send only the first half of the body and then cut the connection. */
  truncate?: boolean
  /** Close the socket without any answer. */
  reset?: boolean
  /** Wait before answering. */
  delayMs?: number
}

export type SimulatorHandler = (request: SimulatorRequest) => SimulatorResponse | Promise<SimulatorResponse>

/** One request a simulator received: method and path only, since bodies and queries may hold credentials. */
export interface SimulatorRequestRecord {
  method: string
  path: string
  /** Arrival on the monotonic clock (`performance.now()`), so tests can count requests per time window. */
  at: number
}

export interface SimulatorServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** Requests received, in order. */
  readonly log: SimulatorRequestRecord[]
  close(): Promise<void>
}

export interface SimulatorServerOptions {
  /** Latency added to every answer, to model a distant platform. */
  latencyMs?: number
  port?: number
}

function collectBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function encodeBody(body: unknown): { bytes: Buffer; type: string } {
  if (body === undefined) return { bytes: Buffer.alloc(0), type: 'text/plain; charset=utf-8' }
  if (typeof body === 'string') return { bytes: Buffer.from(body), type: 'text/plain; charset=utf-8' }
  if (body instanceof Uint8Array) return { bytes: Buffer.from(body), type: 'application/octet-stream' }
  return { bytes: Buffer.from(JSON.stringify(body)), type: 'application/json; charset=utf-8' }
}

export async function startSimulatorServer(
  handler: SimulatorHandler,
  options: SimulatorServerOptions = {},
): Promise<SimulatorServer> {
  const log: SimulatorRequestRecord[] = []
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
      }
      const body = await collectBody(req)
      log.push({ method: req.method ?? 'GET', path: url.pathname, at: performance.now() })
      const answer = await handler({
        method: req.method ?? 'GET',
        url,
        path: url.pathname,
        query: url.searchParams,
        headers,
        body,
      })
      const delay = (options.latencyMs ?? 0) + (answer.delayMs ?? 0)
      if (delay > 0) await sleep(delay)
      if (answer.reset) {
        req.socket.destroy()
        return
      }
      const { bytes, type } = encodeBody(answer.body)
      const outHeaders: Record<string, string> = {
        'content-type': type,
        ...answer.headers,
        'content-length': String(bytes.length),
      }
      res.writeHead(answer.status ?? 200, outHeaders)
      if (answer.truncate) {
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)))
        setTimeout(() => req.socket.destroy(), 5)
        return
      }
      // Node sends no body to a HEAD request, whatever is written here.
      res.end(bytes)
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`simulator error: ${(error as Error).message}`)
    }
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    // A busy port (EADDRINUSE) or a forbidden one (EACCES) must reach the caller, not hang the promise.
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What every plugin's simulator offers the contract suite, the demo and the benchmarks.
// ---------------------------------------------------------------------------------------------------------------

export interface SimulatorOptions {
  /** Seed of the shared ground truth (default "affgraph"). */
  seed?: string
  /** Accounts the simulated platform knows; default: two accounts. A number asks for that many generated ones. */
  accounts?: number | TruthAccountSpec[]
  /** Rows (or days) per page, for platforms that paginate; small values exercise pagination. */
  pageSize?: number
  /** Latency added to every answer. */
  latencyMs?: number
  /** A port to listen on; when it is taken the simulator listens on any free port instead (see `baseUrl`). */
  port?: number
  /**
   * "Now" on the simulated platform: its today (a platform refuses future days, defaults a window to
   * yesterday…) and its tokens' expiry. Default: the system clock.
   */
  clock?: { now(): Date }
}

export interface SimulatorAccount {
  key: string
  /** Connection input exactly as a user would type it in the connect form (base URL included). */
  connection: Record<string, string>
}

export interface PlatformSimulator {
  readonly baseUrl: string
  readonly accounts: SimulatorAccount[]
  readonly faults: FaultController
  /** Requests the simulator answered, in order. */
  readonly log: readonly SimulatorRequestRecord[]
  /** Well-formed connection input the platform refuses (e.g. an unknown key). */
  invalidConnection(): Record<string, string>
  /** What the platform's report holds for the account over the inclusive window, in ReportRow form. */
  truth(accountKey: string, window: DateWindow): ReportRow[]
  /** Revises one past day of an account (see GroundTruth.revise); later answers and truth() reflect it. */
  revise(accountKey: string, day: string, how?: TruthRevision): void
  close(): Promise<void>
}

export interface SimulatorFactory {
  /** Fault scenarios this simulator reproduces in its platform's own way. */
  faults: readonly FaultName[]
  create(options?: SimulatorOptions): Promise<PlatformSimulator>
}

/** Generated simulator accounts: stable keys, a main currency per account, two or three brands. */
export function defaultTruthAccounts(count: number, seed = 'affgraph'): TruthAccountSpec[] {
  const currencies = ['EUR', 'USD', 'GBP', 'CAD']
  return Array.from({ length: count }, (_, i) => {
    const rand = seededRandom(`${seed}|account|${i}`)
    const main = currencies[i % currencies.length]!
    const extra = rand() < 0.5 ? [currencies[(i + 1) % currencies.length]!] : []
    const brandCount = 2 + (i % 2)
    return {
      key: `acct-${i + 1}`,
      brands: Array.from({ length: brandCount }, (_, b) => `Brand ${String.fromCharCode(65 + b)}`),
      currencies: [main, ...extra],
      campaigns: ['main', 'promo'],
    }
  })
}
