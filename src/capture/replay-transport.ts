import type { OutgoingRequest, TransportResponse } from '../http/http-client.ts'
import { OutboundBlockedError } from '../http/ssrf-guard.ts'
import {
  AuthError,
  type PlatformError,
  RateLimitError,
  ResponseFormatError,
  UnavailableError,
} from '../sdk/index.ts'
import { type CaptureExchange, type CaptureFile, REDACTED } from './capture-file.ts'

/**
 * Answers a plugin's requests from a capture file instead of the network. A request is answered by the first
 * recorded exchange not used yet whose method, origin and path are the same and whose query and body match in
 * the parts that matter (all of them unless the exchange's `match` names some; a recorded "REDACTED" matches any
 * value). Headers are never compared: they hold the redacted credentials.
 */
export interface ReplayTransport {
  transport(request: OutgoingRequest): Promise<TransportResponse>
  /** Requests no exchange answered, each with why the nearest candidates did not match. */
  readonly unmatched: string[]
  /** Recorded exchanges no request asked for, in file order. */
  unused(): string[]
}

export class ReplayMismatchError extends Error {
  override readonly name = 'ReplayMismatchError'
  readonly code = 'REPLAY_MISMATCH'
}

/** `GET https://host/path?query` (a replay's requests hold placeholders only, so they may be shown whole). */
export function describeRequest(request: { method: string; url: URL | string }): string {
  return `${request.method} ${String(request.url)}`
}

const valueMatches = (recorded: string, sent: string) => recorded === REDACTED || recorded === sent

/** Differences between two parameter lists (query or form), limited to `names` when given. */
function paramDifferences(
  what: string,
  recorded: URLSearchParams,
  sent: URLSearchParams,
  names: readonly string[] | undefined,
): string[] {
  const all = names ?? [...new Set([...recorded.keys(), ...sent.keys()])]
  const out: string[] = []
  for (const name of all) {
    const a = recorded.getAll(name)
    const b = sent.getAll(name)
    if (a.length !== b.length || a.some((value, i) => !valueMatches(value, b[i]!))) {
      const show = (values: string[]) =>
        values.length === 0 ? 'absent' : values.map((v) => `"${v}"`).join(', ')
      out.push(`${what} "${name}": recorded ${show(a)}, sent ${show(b)}`)
    }
  }
  return out
}

function jsonMatches(recorded: unknown, sent: unknown): boolean {
  if (recorded === REDACTED && typeof sent === 'string') return true
  if (Array.isArray(recorded)) {
    return (
      Array.isArray(sent) &&
      recorded.length === sent.length &&
      recorded.every((v, i) => jsonMatches(v, sent[i]))
    )
  }
  if (recorded && typeof recorded === 'object') {
    if (!sent || typeof sent !== 'object' || Array.isArray(sent)) return false
    const a = recorded as Record<string, unknown>
    const b = sent as Record<string, unknown>
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    return [...keys].every((key) => jsonMatches(a[key], b[key]))
  }
  return recorded === sent
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

function bodyDifferences(exchange: CaptureExchange, request: OutgoingRequest): string[] {
  const rule = exchange.match?.body ?? 'exact'
  if (rule === 'ignore') return []
  const recorded = exchange.request.body ?? ''
  const sent = request.body ?? ''
  const names = Array.isArray(rule) ? rule : undefined
  const type = (
    exchange.request.headers['content-type'] ??
    request.headers['content-type'] ??
    ''
  ).toLowerCase()
  if (type.includes('x-www-form-urlencoded'))
    return paramDifferences('form field', new URLSearchParams(recorded), new URLSearchParams(sent), names)
  const a = parseJson(recorded)
  const b = parseJson(sent)
  if (a.ok && b.ok && (type.includes('json') || (typeof a.value === 'object' && a.value !== null))) {
    if (names) {
      const pick = (v: unknown) =>
        Object.fromEntries(names.map((n) => [n, (v as Record<string, unknown> | null)?.[n]]))
      return jsonMatches(pick(a.value), pick(b.value)) ? [] : [`JSON body fields ${names.join(', ')} differ`]
    }
    return jsonMatches(a.value, b.value) ? [] : ['JSON body differs']
  }
  if (recorded === sent) return []
  return [`body differs (recorded ${recorded.length} characters, sent ${sent.length})`]
}

/** Why a recorded exchange does not answer a request; empty when it does. */
export function exchangeDifferences(exchange: CaptureExchange, request: OutgoingRequest): string[] {
  const recordedUrl = new URL(exchange.request.url)
  const out: string[] = []
  if (exchange.request.method !== request.method.toUpperCase())
    out.push(`method: recorded ${exchange.request.method}, sent ${request.method}`)
  if (recordedUrl.origin !== request.url.origin || recordedUrl.pathname !== request.url.pathname)
    out.push(
      `path: recorded ${recordedUrl.origin}${recordedUrl.pathname}, sent ${request.url.origin}${request.url.pathname}`,
    )
  if (out.length > 0) return out
  out.push(
    ...paramDifferences('query', recordedUrl.searchParams, request.url.searchParams, exchange.match?.query),
  )
  out.push(...bodyDifferences(exchange, request))
  return out
}

/** The error a recorded attempt without a response ended with, raised again so that the host retries it alike. */
function recordedFailure(exchange: CaptureExchange): PlatformError | OutboundBlockedError {
  const failure = exchange.failure ?? { code: 'PLATFORM_UNAVAILABLE', message: 'no response was recorded' }
  const message = `(replayed) ${failure.message}`
  switch (failure.code) {
    case 'PLATFORM_AUTH':
      return new AuthError(message)
    case 'PLATFORM_RATE_LIMITED':
      return new RateLimitError(message)
    case 'PLATFORM_RESPONSE_FORMAT':
      return new ResponseFormatError(message)
    case 'OUTBOUND_BLOCKED':
      return new OutboundBlockedError(new URL(exchange.request.url).host, message)
    default:
      return new UnavailableError(message)
  }
}

export function createReplayTransport(capture: CaptureFile): ReplayTransport {
  const used = new Set<number>()
  const unmatched: string[] = []
  return {
    unmatched,
    unused: () =>
      capture.exchanges.flatMap((exchange, i) =>
        used.has(i) ? [] : [`#${i + 1} ${describeRequest(exchange.request)}`],
      ),
    async transport(request) {
      const candidates = capture.exchanges
        .map((exchange, i) => ({ exchange, i }))
        .filter(({ i }) => !used.has(i))
      const hit = candidates.find(({ exchange }) => exchangeDifferences(exchange, request).length === 0)
      if (!hit) {
        const near = candidates
          .map(({ exchange, i }) => ({ i, why: exchangeDifferences(exchange, request) }))
          .filter(({ why }) => !why.some((w) => w.startsWith('method') || w.startsWith('path')))
          .slice(0, 3)
        const reason =
          near.length > 0
            ? near.map(({ i, why }) => `exchange #${i + 1}: ${why.join('; ')}`).join(' | ')
            : `no unused exchange has this method and path (${candidates.length} left)`
        const text = `${describeRequest(request)} — ${reason}`
        unmatched.push(text)
        throw new ReplayMismatchError(`replay: no recorded exchange answers ${text}`)
      }
      used.add(hit.i)
      const { exchange } = hit
      if (!exchange.response) throw recordedFailure(exchange)
      return {
        status: exchange.response.status,
        headers: Object.fromEntries(
          Object.entries(exchange.response.headers).map(([name, value]) => [name.toLowerCase(), value]),
        ),
        url: exchange.response.url ?? exchange.request.url,
        text: exchange.response.body,
      }
    },
  }
}
