import { normalizeDecimal } from './decimal.ts'
import type { Breakdown, DateWindow, Metric, ReportRow } from './report-row.ts'
import {
  createGroundTruth,
  defaultTruthAccounts,
  FAULT_NAMES,
  FaultController,
  type FaultName,
  type GroundTruth,
  type PlatformSimulator,
  projectRows,
  type SimulatorHandler,
  type SimulatorOptions,
  type SimulatorRequest,
  type SimulatorResponse,
  type SimulatorServer,
  type SimulatorServerOptions,
  seededRandom,
  startSimulatorServer,
  type TruthAccountSpec,
} from './simulator.ts'

// ---------------------------------------------------------------------------------------------------------------
// The simulator kit. `defineSimulator` owns what every simulated platform shares: the loopback server (and a free
// port when the one asked for is taken), the accounts and their shared ground truth, the clock, the request log
// and the faults that happen before a platform reads a request (a dropped connection, an outage, a slow answer, a
// rate limit) or right after it knows who is calling (an expired token, a missing permission, a body that is not
// the report, a body cut short). A simulator declares only its platform's wire format: routes, how a caller is
// recognised, how rows are rendered, and how each fault looks on that platform.
// ---------------------------------------------------------------------------------------------------------------

export const HTML_TYPE = { 'content-type': 'text/html; charset=utf-8' } as const
export const TEXT_TYPE = { 'content-type': 'text/plain; charset=utf-8' } as const
export const CSV_TYPE = { 'content-type': 'text/csv; charset=utf-8' } as const

export const MAINTENANCE_PAGE =
  '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>We will be back soon</h1>' +
  '<p>The site is undergoing scheduled maintenance.</p></body></html>'

export const htmlAnswer = (status: number, page: string): SimulatorResponse => ({
  status,
  headers: HTML_TYPE,
  body: page,
})
export const textAnswer = (status: number, body: string): SimulatorResponse => ({
  status,
  headers: TEXT_TYPE,
  body,
})
export const jsonAnswer = (status: number, body: unknown): SimulatorResponse => ({ status, body })

/** Whoever a request's credentials belong to; a platform adds what it needs (a token, a nickname…). */
export interface SimulatorCaller {
  spec: TruthAccountSpec
}

export interface MatchedRequest extends SimulatorRequest {
  /** The path pattern's match when the route's path is a RegExp, else null. */
  match: RegExpExecArray | null
}

type Answer = SimulatorResponse | Promise<SimulatorResponse>

interface RouteBase {
  method: string | readonly string[]
  /** Exact path (trailing slashes ignored), or a pattern tested against it. */
  path: string | RegExp
}

/** A route anyone may call, such as a token endpoint. */
export interface PublicRoute extends RouteBase {
  auth?: undefined
  handle(request: MatchedRequest): Answer
}

/** A route behind the platform's credentials: the account faults and `truncated` apply to it. */
export interface AccountRoute<C extends SimulatorCaller> extends RouteBase {
  /** Who is calling, or the platform's refusal of the credentials. */
  auth(request: MatchedRequest): C | SimulatorResponse
  handle(request: MatchedRequest, caller: C): Answer
}

export type SimulatorRoute<C extends SimulatorCaller> = PublicRoute | AccountRoute<C>

/** How the platform shows each fault. Every answer has a platform-agnostic default. */
export interface FaultAnswers<C extends SimulatorCaller> {
  /** Default: 503 with a maintenance page. */
  outage(request: SimulatorRequest): SimulatorResponse
  /** Default: 429 with Retry-After. `retryAfterS` is the announced delay, rounded up to whole seconds. */
  rateLimit(retryAfterS: number, request: SimulatorRequest): SimulatorResponse
  /** A request no route serves. Default: 404 text. */
  notFound(request: SimulatorRequest): SimulatorResponse
  /** Default: 401 text. */
  expiredToken(request: MatchedRequest, caller: C): SimulatorResponse
  /** Default: 403 text. */
  missingPermission(request: MatchedRequest, caller: C): SimulatorResponse
  /** A body that is not the report. Default: a maintenance page with 200. */
  malformed(request: MatchedRequest, caller: C): SimulatorResponse
}

const DEFAULT_ANSWERS: FaultAnswers<SimulatorCaller> = {
  outage: () => htmlAnswer(503, MAINTENANCE_PAGE),
  rateLimit: (seconds) => ({
    ...textAnswer(429, 'Too Many Requests'),
    headers: { ...TEXT_TYPE, 'retry-after': String(seconds) },
  }),
  notFound: () => textAnswer(404, 'Not Found'),
  expiredToken: () => textAnswer(401, 'Unauthorized'),
  missingPermission: () => textAnswer(403, 'Forbidden'),
  malformed: () => htmlAnswer(200, MAINTENANCE_PAGE),
}

/** What a simulator definition works with. */
export interface SimulatorKit {
  readonly seed: string
  /** The platform's accounts, after the definition's `account` adjustment. */
  readonly specs: readonly TruthAccountSpec[]
  readonly faults: FaultController
  readonly groundTruth: GroundTruth
  /** `http://127.0.0.1:<port>`; known once the server listens (in handlers and connections, not in `setup`). */
  readonly url: string
  /** The platform's "now", from the `clock` option. */
  now(): Date
  /** The platform's current UTC day, `YYYY-MM-DD`. */
  today(): string
  /** The account with this key; throws naming the platform when there is none. */
  spec(accountKey: string): TruthAccountSpec
  /** The ground truth of an account over an inclusive window, as the platform reports it (see `reports`). */
  rows(spec: TruthAccountSpec, window: DateWindow, reports?: ReportedData): ReportRow[]
  /** A credential that is stable for the seed, a label and an account key. */
  secret(label: string, key: string, length: number, alphabet?: string): string
}

export interface ReportedData {
  metrics: readonly Metric[]
  breakdowns: readonly Breakdown[]
}

export interface SimulatorSetup<C extends SimulatorCaller, X extends object> {
  routes: readonly SimulatorRoute<C>[]
  /** Connection input of an account exactly as a user would type it in the connect form. */
  connection(spec: TruthAccountSpec, index: number): Record<string, string>
  /** Well-formed connection input the platform refuses. */
  invalidConnection(): Record<string, string>
  /** What a correct plugin returns for the account; default `kit.rows(spec, window)`. */
  truth?(spec: TruthAccountSpec, window: DateWindow): ReportRow[]
  /** The simulator's `baseUrl`; default the server's URL. */
  baseUrl?(): string
  /** Fault answers that need the instance's state (revoking a token…); they win over the definition's. */
  answers?: Partial<FaultAnswers<C>>
  /** Members the simulator adds to PlatformSimulator (getters are kept as getters). */
  extra?: X
}

export interface SimulatorDefinition<
  O extends SimulatorOptions,
  C extends SimulatorCaller,
  X extends object,
> {
  /** The platform's name, for messages. */
  platform: string
  /** The faults this simulator reproduces; default all of them. */
  faults?: readonly FaultName[]
  /** What the platform reports of the ground truth: metrics it lacks become null, breakdowns it lacks are summed. */
  reports: ReportedData
  /** Fits an account to what the platform can hold (one currency, one merchant…); default unchanged. */
  account?(spec: TruthAccountSpec, index: number, options: O): TruthAccountSpec
  answers?: Partial<FaultAnswers<C>>
  /** Called once per simulator, before it listens: the platform's state and routes. */
  setup(kit: SimulatorKit, options: O): SimulatorSetup<C, X>
}

export interface DefinedSimulator<O extends SimulatorOptions, X extends object> {
  faults: readonly FaultName[]
  create(options?: O): Promise<PlatformSimulator & X>
}

const normalPath = (path: string) => path.replace(/\/+$/, '') || '/'

function matchRoute<C extends SimulatorCaller>(
  routes: readonly SimulatorRoute<C>[],
  request: SimulatorRequest,
): { route: SimulatorRoute<C>; match: RegExpExecArray | null } | undefined {
  const path = normalPath(request.path)
  for (const route of routes) {
    const methods = typeof route.method === 'string' ? [route.method] : route.method
    if (!methods.includes(request.method)) continue
    if (typeof route.path === 'string') {
      if (normalPath(route.path) === path) return { route, match: null }
      continue
    }
    const match = route.path.exec(path)
    if (match) return { route, match }
  }
  return undefined
}

function isCaller<C extends SimulatorCaller>(value: C | SimulatorResponse): value is C {
  return typeof value === 'object' && value !== null && 'spec' in value
}

/**
 * Listens on the port asked for or, when it is taken, on any free port: a demo restarted while an old one still
 * holds its fixed ports comes up anyway, and says where through `url`.
 */
export async function startSimulatorServerOnAnyPort(
  handler: SimulatorHandler,
  options: SimulatorServerOptions,
): Promise<SimulatorServer> {
  try {
    return await startSimulatorServer(handler, options)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (!options.port || (code !== 'EADDRINUSE' && code !== 'EACCES')) throw error
    return startSimulatorServer(handler, { ...options, port: 0 })
  }
}

export function defineSimulator<
  O extends SimulatorOptions,
  C extends SimulatorCaller,
  X extends object = object,
>(definition: SimulatorDefinition<O, C, X>): DefinedSimulator<O, X> {
  const declared = definition.faults ?? FAULT_NAMES

  async function create(options: O = {} as O): Promise<PlatformSimulator & X> {
    const seed = options.seed ?? 'affgraph'
    const given = Array.isArray(options.accounts)
      ? options.accounts
      : defaultTruthAccounts(options.accounts ?? 2, seed)
    const specs = given.map((spec, index) => definition.account?.(spec, index, options) ?? spec)
    const clock = options.clock ?? { now: () => new Date() }
    const groundTruth = createGroundTruth(seed)
    const faults = new FaultController()
    const take = (name: FaultName) => (declared.includes(name) ? faults.take(name) : undefined)
    let url: string | undefined

    const kit: SimulatorKit = {
      seed,
      specs,
      faults,
      groundTruth,
      get url() {
        if (url === undefined) throw new Error(`the ${definition.platform} simulator is not listening yet`)
        return url
      },
      now: () => clock.now(),
      today: () => clock.now().toISOString().slice(0, 10),
      spec(accountKey) {
        const spec = specs.find((s) => s.key === accountKey)
        if (!spec) throw new Error(`the ${definition.platform} simulator has no account "${accountKey}"`)
        return spec
      },
      rows(spec, window, reports = definition.reports) {
        if (window.from > window.to) return []
        return projectRows(groundTruth.rows(spec, window), {
          metrics: [...reports.metrics],
          breakdowns: [...reports.breakdowns],
        })
      },
      secret: (label, key, length, alphabet) => seededText(`${seed}|${label}|${key}`, length, alphabet),
    }
    const setup = definition.setup(kit, options)
    const answers = { ...(DEFAULT_ANSWERS as FaultAnswers<C>), ...definition.answers, ...setup.answers }

    async function answer(request: SimulatorRequest): Promise<SimulatorResponse> {
      // What happens before the platform reads the request at all.
      if (take('connection-reset')) return { reset: true }
      if (take('outage')) return answers.outage(request)
      const slow = take('slow')
      const delayMs = slow ? (slow.delayMs ?? 1500) : 0
      const limited = take('rate-limit')
      // Retry-After is in whole seconds on the wire, so the requested delay is rounded up, never down.
      if (limited)
        return {
          ...answers.rateLimit(Math.max(0, Math.ceil((limited.delayMs ?? 1000) / 1000)), request),
          delayMs,
        }
      const found = matchRoute(setup.routes, request)
      if (!found) return { ...answers.notFound(request), delayMs }
      const matched: MatchedRequest = { ...request, match: found.match }
      const { route } = found
      if (!route.auth) return { ...(await route.handle(matched)), delayMs }
      // What happens once the platform knows who is calling.
      const caller = route.auth(matched)
      if (!isCaller(caller)) return { ...caller, delayMs }
      if (take('expired-token')) return { ...answers.expiredToken(matched, caller), delayMs }
      if (take('missing-permission')) return { ...answers.missingPermission(matched, caller), delayMs }
      if (take('malformed')) return { ...answers.malformed(matched, caller), delayMs }
      const out = await route.handle(matched, caller)
      const ok = (out.status ?? 200) < 300
      return { ...out, delayMs, truncate: out.truncate || (ok && take('truncated') !== undefined) }
    }

    const server = await startSimulatorServerOnAnyPort(answer, {
      latencyMs: options.latencyMs,
      port: options.port,
    })
    url = server.url
    const simulator: PlatformSimulator = {
      baseUrl: setup.baseUrl?.() ?? server.url,
      accounts: specs.map((spec, index) => ({ key: spec.key, connection: setup.connection(spec, index) })),
      faults,
      log: server.log,
      invalidConnection: () => setup.invalidConnection(),
      truth: (accountKey, window) => {
        const spec = kit.spec(accountKey)
        return setup.truth ? setup.truth(spec, window) : kit.rows(spec, window)
      },
      revise: (accountKey, day, how) => {
        groundTruth.revise(kit.spec(accountKey).key, day, how)
      },
      close: () => server.close(),
    }
    return Object.defineProperties(
      simulator,
      Object.getOwnPropertyDescriptors(setup.extra ?? {}),
    ) as PlatformSimulator & X
  }

  return { faults: declared, create }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers for what several platforms do alike.
// ---------------------------------------------------------------------------------------------------------------

export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A string of `length` characters from `alphabet`, the same for the same seed on every run. */
export function seededText(seed: string, length: number, alphabet = ALPHANUMERIC): string {
  const rand = seededRandom(seed)
  return Array.from({ length }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')
}

/** `YYYY-MM-DD` naming a real day. */
export function isDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const t = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(t.getTime()) && t.toISOString().startsWith(value)
}

/** A query parameter holding a day, or undefined when it is missing or not one. */
export function dayParam(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name) ?? ''
  return isDay(value) ? value : undefined
}

/** `day` moved by a number of days. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

/** The bearer token of the Authorization header, if any. */
export function bearerToken(request: SimulatorRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
}

export interface SimulatedPage<T> {
  items: T[]
  /** 1-based; a missing or unreadable page number reads as 1. */
  page: number
  totalPages: number
  totalCount: number
  /** Whether a later page holds more items. */
  more: boolean
}

/** One page of `items`. */
export function pageOf<T>(
  items: readonly T[],
  requested: string | number | null | undefined,
  pageSize: number,
): SimulatedPage<T> {
  const size = Math.max(1, pageSize)
  const page = Math.max(1, Number.parseInt(String(requested ?? '1'), 10) || 1)
  return {
    items: items.slice((page - 1) * size, page * size),
    page,
    totalPages: Math.max(1, Math.ceil(items.length / size)),
    totalCount: items.length,
    more: page * size < items.length,
  }
}

/**
 * An amount split into `parts` amounts of whole cents that add up to it exactly, the larger ones first: one row's
 * figures spread over the transactions a platform lists one by one. Amounts with more than two decimals keep the
 * extra digits on the first part.
 */
export function splitDecimal(amount: string, parts: number): string[] {
  const count = Math.max(1, Math.floor(parts))
  const [int = '0', frac = ''] = normalizeDecimal(amount).replace('-', '').split('.')
  const negative = amount.trim().startsWith('-')
  const cents = BigInt(int + frac.slice(0, 2).padEnd(2, '0'))
  const extra = frac.slice(2)
  const base = cents / BigInt(count)
  const left = Number(cents % BigInt(count))
  return Array.from({ length: count }, (_, i) => {
    const share = base + (i < left ? 1n : 0n)
    const text = share.toString().padStart(3, '0')
    const value = `${text.slice(0, -2)}.${text.slice(-2)}${i === 0 ? extra : ''}`
    return normalizeDecimal(negative && value !== '0.00' ? `-${value}` : value)
  })
}

/** One CSV line, cells quoted only when they must be (RFC 4180). */
export function csvLine(cells: readonly string[]): string {
  return cells.map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(',')
}

/** Lines joined with CRLF, the last one ended too. */
export function csvText(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`
}

export interface TokenGrant<S> {
  subject: S
  /** Milliseconds since the epoch, on the simulator's clock. */
  expiresAt: number
  expired: boolean
}

export interface TokenIssuer<S> {
  /** A new token for the subject, valid for the issuer's lifetime from now. */
  issue(subject: S): { token: string; expiresInS: number; expiresAt: number }
  /** The token's grant, or undefined for a token never issued. */
  grant(token: string): TokenGrant<S> | undefined
  /** Ends a token's life now, as an expiry or a revocation does. */
  revoke(token: string): void
  /** Every token issued so far, so tests can sweep logs and errors for them. */
  readonly issued: readonly string[]
}

/** Access tokens that really expire, on the simulator's clock. `mint` makes the n-th token's text. */
export function createTokenIssuer<S>(options: {
  now: () => Date
  lifetimeS: number
  mint: (n: number, subject: S) => string
}): TokenIssuer<S> {
  const tokens = new Map<string, { subject: S; expiresAt: number }>()
  const issued: string[] = []
  return {
    issue(subject) {
      const token = options.mint(issued.length + 1, subject)
      const expiresAt = options.now().getTime() + options.lifetimeS * 1000
      tokens.set(token, { subject, expiresAt })
      issued.push(token)
      return { token, expiresInS: options.lifetimeS, expiresAt }
    },
    grant(token) {
      const held = tokens.get(token)
      return held ? { ...held, expired: held.expiresAt <= options.now().getTime() } : undefined
    },
    revoke(token) {
      const held = tokens.get(token)
      if (held) held.expiresAt = Math.min(held.expiresAt, options.now().getTime())
    },
    issued,
  }
}
