import { type SimulatorServer, seededRandom, startSimulatorServer } from '../sdk/simulator.ts'
import {
  ECB_FILE_PATHS,
  type FxDay,
  isValidDay,
  SIMULATED_SENDER_NAME,
  serializeEcbCsv,
  serializeEcbXml,
  zipEcbCsv,
} from './ecb-format.ts'

/**
 * A local stand-in for the ECB's reference-rate files, for tests and the demo. Its rates are invented (a seeded,
 * mean-reverting random walk around realistic levels) and every file it serves says so: the XML sender is
 * SIMULATED_SENDER_NAME and the CSV's trailing column carries SIMULATED_CSV_MARKER, so parsed rows are stored
 * under the source 'ECB-SIMULATED', never 'ECB'.
 *
 * Publication days follow the TARGET calendar: no weekends, 1 January, Good Friday, Easter Monday, 1 May,
 * 25 and 26 December (the ECB publishes nothing on these days either).
 */

interface SimulatedCurrency {
  /** Level of 1 EUR in this currency around which the walk moves. */
  level: number
  /** Daily standard deviation of the log rate; 0 for a peg. */
  volatility: number
}

/** The currencies the ECB currently quotes, in the order of its files. */
export const SIMULATED_CURRENCIES: Readonly<Record<string, SimulatedCurrency>> = {
  USD: { level: 1.08, volatility: 0.004 },
  JPY: { level: 160, volatility: 0.005 },
  BGN: { level: 1.9558, volatility: 0 },
  CZK: { level: 25.1, volatility: 0.002 },
  DKK: { level: 7.46, volatility: 0.0002 },
  GBP: { level: 0.85, volatility: 0.003 },
  HUF: { level: 395, volatility: 0.004 },
  PLN: { level: 4.3, volatility: 0.003 },
  RON: { level: 4.97, volatility: 0.001 },
  SEK: { level: 11.4, volatility: 0.004 },
  CHF: { level: 0.95, volatility: 0.003 },
  ISK: { level: 150, volatility: 0.003 },
  NOK: { level: 11.6, volatility: 0.004 },
  TRY: { level: 35, volatility: 0.006 },
  AUD: { level: 1.65, volatility: 0.005 },
  BRL: { level: 6, volatility: 0.007 },
  CAD: { level: 1.47, volatility: 0.004 },
  CNY: { level: 7.8, volatility: 0.003 },
  HKD: { level: 8.4, volatility: 0.004 },
  IDR: { level: 17300, volatility: 0.004 },
  ILS: { level: 4, volatility: 0.005 },
  INR: { level: 90, volatility: 0.004 },
  KRW: { level: 1480, volatility: 0.005 },
  MXN: { level: 20, volatility: 0.007 },
  MYR: { level: 4.9, volatility: 0.004 },
  NZD: { level: 1.8, volatility: 0.005 },
  PHP: { level: 62, volatility: 0.004 },
  SGD: { level: 1.45, volatility: 0.003 },
  THB: { level: 37.5, volatility: 0.004 },
  ZAR: { level: 20, volatility: 0.007 },
}
export const SIMULATED_CURRENCY_CODES: readonly string[] = Object.keys(SIMULATED_CURRENCIES)

/** The walk starts on the day the euro did; rates are defined from here on. */
export const SIMULATION_EPOCH = '1999-01-01'
const EPOCH_MS = Date.parse(`${SIMULATION_EPOCH}T00:00:00Z`)
const DAY_MS = 86_400_000
/** Pull back towards the level per day: keeps decades of walking within a few percent of realistic values. */
const MEAN_REVERSION = 0.01

const walks = new Map<string, number[]>()

function dayIndex(day: string): number {
  if (!isValidDay(day)) throw new RangeError(`invalid day "${day}"`)
  const index = Math.round((Date.parse(`${day}T00:00:00Z`) - EPOCH_MS) / DAY_MS)
  if (index < 0) throw new RangeError(`no simulated rates before ${SIMULATION_EPOCH}`)
  return index
}

/** Steps of the walk drawn from one random stream; the walk is always extended by whole chunks. */
const CHUNK_DAYS = 512

/** Log deviation from the level, one value per calendar day since the epoch, extended on demand. */
function logDeviation(seed: string, currency: string, index: number): number {
  const key = `${seed}|${currency}`
  let walk = walks.get(key)
  if (!walk) {
    walk = [0]
    walks.set(key, walk)
  }
  const spec = SIMULATED_CURRENCIES[currency]!
  while (walk.length <= index) {
    // Each chunk has its own stream, so a day's value never depends on which days were asked for before.
    const chunk = Math.floor((walk.length - 1) / CHUNK_DAYS)
    const rand = seededRandom(`${seed}|ecb|${currency}|${chunk}`)
    for (let step = 0; step < CHUNK_DAYS; step++) {
      const previous = walk[walk.length - 1]!
      // Uniform noise scaled to unit variance (sqrt 3), so `volatility` is the daily standard deviation.
      walk.push(previous * (1 - MEAN_REVERSION) + (rand() * 2 - 1) * Math.sqrt(3) * spec.volatility)
    }
  }
  return walk[index]!
}

/**
 * The rate the simulator publishes for `currency` on `day` with this seed (1 EUR = rate units), 4 decimals.
 * Defined for every calendar day; the files contain only TARGET working days (see `isTargetWorkingDay`).
 */
export function simulatedRate(seed: string, day: string, currency: string): string {
  const spec = Object.hasOwn(SIMULATED_CURRENCIES, currency) ? SIMULATED_CURRENCIES[currency] : undefined
  if (!spec) throw new RangeError(`the simulator has no rates for "${currency}"`)
  const index = dayIndex(day)
  if (spec.volatility === 0) return spec.level.toFixed(4)
  return (spec.level * Math.exp(logDeviation(seed, currency, index))).toFixed(4)
}

/** Easter Sunday of a Gregorian year (the anonymous Gregorian computus), as YYYY-MM-DD. */
export function easterSunday(year: number): string {
  const a = year % 19
  const b = Math.floor(year / 100)
  const c = year % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  const day = ((h + l - 7 * m + 114) % 31) + 1
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

/** A day on which the ECB publishes: Monday to Friday, except the TARGET holidays. */
export function isTargetWorkingDay(day: string): boolean {
  if (!isValidDay(day)) throw new RangeError(`invalid day "${day}"`)
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay()
  if (weekday === 0 || weekday === 6) return false
  const monthDay = day.slice(5)
  if (monthDay === '01-01' || monthDay === '05-01' || monthDay === '12-25' || monthDay === '12-26')
    return false
  const easter = easterSunday(Number(day.slice(0, 4)))
  return day !== addDays(easter, -2) && day !== addDays(easter, 1)
}

/** Publication days in [from, to], newest first (the order of the ECB's files), with every currency's rate. */
export function simulatedDays(seed: string, from: string, to: string): FxDay[] {
  const days: FxDay[] = []
  if (!isValidDay(from) || !isValidDay(to)) throw new RangeError(`invalid range ${from}..${to}`)
  const start = from < SIMULATION_EPOCH ? SIMULATION_EPOCH : from
  if (to < start) return days
  for (let day = to; day >= start; day = addDays(day, -1)) {
    if (!isTargetWorkingDay(day)) continue
    days.push({
      day,
      rates: SIMULATED_CURRENCY_CODES.map((currency) => ({
        currency,
        rate: simulatedRate(seed, day, currency),
      })),
    })
  }
  return days
}

export interface EcbSimulatorOptions {
  /** Default "affgraph". */
  seed?: string
  /** First day of the history files; default 1 January three years before `to`. */
  from?: string
  /** The "current" day: the daily file holds the last publication on or before it. Default: today (UTC). */
  to?: string
  port?: number
}

export interface EcbSimulator extends SimulatorServer {
  readonly seed: string
  readonly from: string
  readonly to: string
  /** The days each file holds, newest first. */
  days(file: 'daily' | 'hist-90d' | 'hist'): FxDay[]
}

interface Answer {
  status: number
  headers: Record<string, string>
  body: string | Uint8Array
}

/** Starts the simulator on 127.0.0.1, on the SDK's simulator server (the zip travels as bytes). */
export async function startEcbSimulator(options: EcbSimulatorOptions = {}): Promise<EcbSimulator> {
  const seed = options.seed ?? 'affgraph'
  const to = options.to ?? new Date().toISOString().slice(0, 10)
  const from = options.from ?? `${Number(to.slice(0, 4)) - 3}-01-01`
  if (!isValidDay(from) || !isValidDay(to) || from > to) throw new RangeError(`invalid range ${from}..${to}`)
  const history = simulatedDays(seed, from, to)
  const files = {
    daily: history.slice(0, 1),
    'hist-90d': history.filter((d) => d.day > addDays(to, -90)),
    hist: history,
  }
  const cache = new Map<string, Answer>()
  const xml = (days: FxDay[]): Answer => ({
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: serializeEcbXml(days, { senderName: SIMULATED_SENDER_NAME }),
  })
  const build = (path: string): Answer | undefined => {
    switch (path) {
      case ECB_FILE_PATHS.daily:
        return xml(files.daily)
      case ECB_FILE_PATHS['hist-90d']:
        return xml(files['hist-90d'])
      case ECB_FILE_PATHS.hist:
        return xml(files.hist)
      case ECB_FILE_PATHS.histZip:
        return {
          status: 200,
          headers: { 'content-type': 'application/zip' },
          body: zipEcbCsv(
            serializeEcbCsv(history, { currencies: SIMULATED_CURRENCY_CODES, simulated: true }),
          ),
        }
      default:
        return undefined
    }
  }
  const answer = (path: string): Answer => {
    const cached = cache.get(path)
    if (cached) return cached
    const built = build(path)
    if (!built) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' }
    cache.set(path, built)
    return built
  }

  const server = await startSimulatorServer(
    (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return {
          status: 405,
          headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' },
          body: 'Method Not Allowed',
        }
      try {
        return answer(request.path)
      } catch (error) {
        return { status: 500, headers: { 'content-type': 'text/plain' }, body: (error as Error).message }
      }
    },
    { port: options.port },
  )
  return { ...server, seed, from, to, days: (file) => files[file] }
}
