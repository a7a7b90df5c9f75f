import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { request as httpRequest } from 'node:http'
import { afterEach, beforeAll } from 'vitest'
import { createPluginContext, type HostPluginContext } from '../../src/http/plugin-context.ts'
import { createRateLimiterRegistry } from '../../src/http/rate-limiter.ts'
import { createSsrfGuard } from '../../src/http/ssrf-guard.ts'
import type { LoadedPlatform } from '../../src/platform/platform-registry.ts'
import { PlatformRunner } from '../../src/platform/platform-runner.ts'
import { loadPlugin } from '../../src/platform/plugin-loader.ts'
import {
  type CheckResult,
  type DateWindow,
  type HttpResponse,
  type PlatformSimulator,
  type ReportRow,
  rowKey,
  type SimulatorOptions,
} from '../../src/sdk/index.ts'
import { captureLogs } from './log-capture.ts'
import { suiteClock } from './test-clock.ts'

/** An answer read off the wire by `rawGet`. */
export interface RawResponse {
  status: number
  headers: Record<string, string>
  text: string
}

/** A plain GET over node:http, so a simulator is tested on the wire and not through any client's niceties. */
export function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const flat: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = String(v)
        resolve({ status: res.statusCode ?? 0, headers: flat, text: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** `base` with `query` appended; an array repeats its parameter. */
export function withQuery(
  base: string,
  query: Record<string, string | number | readonly (string | number)[]>,
): string {
  const url = new URL(base)
  for (const [k, v] of Object.entries(query)) {
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item))
  }
  return url.toString()
}

/** What a plugin error carries, for assertions. */
export interface CaughtError {
  code?: string
  field?: string
  message: string
  retryAfterMs?: number
}

/** The error a synchronous call throws (a mapping, a status check); a call that returns fails the test. */
export function caught(fn: () => unknown): CaughtError {
  try {
    fn()
  } catch (error) {
    return error as CaughtError
  }
  throw new Error('expected the call to throw')
}

/** A platform answer as a plugin's `check` sees it, for tests of status mapping. */
export function httpResponse(
  status: number,
  text: string,
  headers: Record<string, string> = {},
  url = 'https://platform.example/api',
): HttpResponse {
  return { status, headers, url, text, json: <T>() => JSON.parse(text) as T }
}

/** What `fn` throws, or undefined when it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

export const sortRows = (rows: ReportRow[]): ReportRow[] =>
  [...rows].sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0))

/** One request as the host's HTTP client put it on the wire. */
export interface WireRequest {
  method: string
  url: URL
  /** Header names lower-cased, values as sent. */
  headers: Record<string, string>
}

function wireHeaders(raw: unknown): Record<string, string> {
  const headers: Record<string, string> = {}
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) headers[String(raw[i]).toLowerCase()] = String(raw[i + 1])
  } else if (typeof raw === 'string') {
    for (const line of raw.split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
  }
  return headers
}

/**
 * Every request the host's HTTP client sends to `origin` while `during` runs (each attempt and each redirect hop
 * is one entry), read from undici's diagnostics channel. Simulator logs keep only method and path, as queries and
 * headers may hold credentials; this shows what a platform really received.
 */
export async function recordRequests<T>(
  origin: string,
  during: () => Promise<T>,
): Promise<{ result: T; requests: WireRequest[] }> {
  const target = new URL(origin).origin
  const requests: WireRequest[] = []
  const onCreate = (message: unknown) => {
    const request = (
      message as { request?: { origin?: unknown; method?: unknown; path?: unknown; headers?: unknown } }
    ).request
    if (!request || new URL(String(request.origin)).origin !== target) return
    requests.push({
      method: String(request.method),
      url: new URL(String(request.path), target),
      headers: wireHeaders(request.headers),
    })
  }
  subscribe('undici:request:create', onCreate)
  try {
    return { result: await during(), requests }
  } finally {
    unsubscribe('undici:request:create', onCreate)
  }
}

export interface PluginHarness {
  platform: LoadedPlatform
  /** The host's runner (SSRF guard allowing loopback, the platform's own rate limits, fast retries). */
  runner: PlatformRunner
  /** Every log line the host and plugin wrote, for secret sweeps. */
  logs: ReturnType<typeof captureLogs>
  /** The connection as the host stores it: parsed (and transformed) by the plugin's zod schema. */
  parse(input: Record<string, unknown>): Record<string, unknown>
  /**
   * A real host context for calling a plugin's internals directly, with the same HTTP client, guard and limits
   * the server uses. Pass a connection to have its secrets redacted.
   */
  context(connection?: Record<string, unknown>, accountKey?: string): HostPluginContext
}

/**
 * Loads a plugin folder through the host's loader and wraps it in the host's real runner, so a plugin's own tests
 * exercise the same HTTP client, retries, rate limits and redaction as production instead of a hand-made fake.
 */
export async function createPluginHarness(
  folder: string | URL,
  options: {
    attempts?: number
    totalTimeoutMs?: number
    /** The clock the runner and contexts give the plugin (`ctx.now()`); default the suite's (test-clock.ts). */
    now?: () => Date
  } = {},
): Promise<PluginHarness> {
  const path = typeof folder === 'string' ? folder : decodeURIComponent(folder.pathname).replace(/\/$/, '')
  const platform = await loadPlugin(path)
  const now = options.now ?? (() => suiteClock.now())
  const logs = captureLogs()
  const guard = createSsrfGuard({ allow: ['127.0.0.1'] })
  const rateLimiters = createRateLimiterRegistry()
  const http = {
    totalTimeoutMs: options.totalTimeoutMs ?? 15_000,
    attempts: options.attempts ?? 3,
    baseDelayMs: 20,
    maxDelayMs: 200,
  }
  const runner = new PlatformRunner({ guard, rateLimiters, logger: logs.logger, http, now })
  return {
    platform,
    runner,
    logs,
    parse: (input) => platform.definition.connection.schema.parse(input) as Record<string, unknown>,
    context(connection = {}, accountKey = 'harness') {
      const secrets = platform.secretFields
        .map((name) => connection[name])
        .filter((v): v is string => typeof v === 'string' && v.length > 0)
      return createPluginContext({
        guard,
        rateLimiters,
        platformLimits: platform.definition.limits,
        accountKey: `${platform.definition.id}:${accountKey}`,
        secrets,
        plugin: platform.definition.id,
        logger: logs.logger,
        now,
        timeouts: { totalMs: http.totalTimeoutMs },
        retry: { attempts: http.attempts, baseDelayMs: http.baseDelayMs, maxDelayMs: http.maxDelayMs },
      })
    },
  }
}

type HarnessOptions = NonNullable<Parameters<typeof createPluginHarness>[1]>

/** What a plugin's test file shares with every other: the harness, its simulators and calls through the runner. */
export interface PluginTest<S extends PlatformSimulator, O extends SimulatorOptions> {
  /** The plugin in the host's real runner (valid inside tests and hooks). */
  readonly harness: PluginHarness
  /** Starts the plugin's simulator with the file's seed; it is closed after the test. */
  sim(options?: O): Promise<S>
  /** A simulator account's connection, as the host stores it (parsed by the plugin's schema). */
  conn(sim: S, index?: number): Record<string, unknown>
  /** A fresh account key: calls sharing a key share the host's per-account cache (tokens) and rate limits. */
  key(): string
  /** The report through the host's runner: a simulator account (by index) or a connection. */
  fetch(
    target: S | Record<string, unknown>,
    window: DateWindow,
    options?: { accountKey?: string; index?: number; harness?: PluginHarness },
  ): Promise<ReportRow[]>
  /** The connection test through the host's runner, for raw input (parsed here) or a stored connection. */
  check(
    input: Record<string, unknown>,
    options?: { accountKey?: string; harness?: PluginHarness },
  ): Promise<CheckResult>
  /** Another harness over the same plugin with other options (a stopped clock, an impatient runner). */
  variant(options: HarnessOptions): Promise<PluginHarness>
}

const isSimulator = (target: unknown): target is PlatformSimulator =>
  typeof (target as PlatformSimulator).truth === 'function'

/**
 * One call at the top of a plugin's test file sets up what every plugin test needs: the plugin loaded through the
 * host's loader into its real runner, simulators started with the file's seed and closed after each test, and
 * calls with fresh account keys. The file then declares only what is particular to its platform.
 */
export function usePluginTest<
  S extends PlatformSimulator = PlatformSimulator,
  O extends SimulatorOptions = SimulatorOptions,
>(
  folder: string | URL,
  options: HarnessOptions & {
    seed: string
    /** Runs before a test's simulators close (e.g. to collect what they issued). */
    beforeClose?: (sim: S) => void
  },
): PluginTest<S, O> {
  const { seed, beforeClose, ...harnessOptions } = options
  let harness: PluginHarness | undefined
  let sims: S[] = []
  let keys = 0
  beforeAll(async () => {
    harness = await createPluginHarness(folder, harnessOptions)
  })
  afterEach(async () => {
    const closing = sims
    sims = []
    for (const sim of closing) beforeClose?.(sim)
    await Promise.all(closing.map((s) => s.close()))
  })
  const test: PluginTest<S, O> = {
    get harness() {
      if (!harness) throw new Error('usePluginTest: the harness is ready only inside tests and hooks')
      return harness
    },
    async sim(simOptions) {
      // The platform's "today" is the suite's, like the plugin's.
      const sim = (await test.harness.platform.definition.simulator.create({
        seed,
        clock: suiteClock,
        ...simOptions,
      })) as S
      sims.push(sim)
      return sim
    },
    conn: (sim, index = 0) => test.harness.parse(sim.accounts[index]!.connection),
    key: () => `k${++keys}`,
    fetch(target, window, { accountKey = test.key(), index = 0, harness: host = test.harness } = {}) {
      const connection = isSimulator(target) ? test.conn(target as S, index) : target
      return host.runner.fetchReport(host.platform, connection, window, { accountKey })
    },
    check(input, { accountKey = test.key(), harness: host = test.harness } = {}) {
      return host.runner.check(host.platform, host.parse(input), { accountKey })
    },
    variant: (variantOptions) => createPluginHarness(folder, variantOptions),
  }
  return test
}
