import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { inspect } from 'node:util'
import pino from 'pino'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  createMemoryCache,
  createPluginContext,
  type PluginContextOptions,
} from '../../src/http/plugin-context.ts'
import { createRateLimiterRegistry } from '../../src/http/rate-limiter.ts'
import { createSsrfGuard } from '../../src/http/ssrf-guard.ts'
import { AuthError, UnavailableError } from '../../src/sdk/errors.ts'
import { sinkLogText } from '../support/log-sink.ts'

interface TestServer {
  url: string
  arrivals: number[]
  close(): Promise<void>
}

const servers: TestServer[] = []

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const arrivals: number[] = []
  const server = createServer((req, res) => {
    arrivals.push(performance.now())
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const s: TestServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  servers.push(s)
  return s
}

function captureLogs(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'))
      sinkLogText('logger', chunk.toString('utf8'))
      callback()
    },
  })
  return { lines, logger: pino({ level: 'debug' }, stream) }
}

const guard = createSsrfGuard({ allow: ['127.0.0.1'] })
const SECRET = 'sk_live_51HxVerySecretKey'

function context(overrides: Partial<PluginContextOptions> = {}) {
  return createPluginContext({
    guard,
    rateLimiters: createRateLimiterRegistry(),
    accountKey: 'acct-1',
    secrets: [SECRET],
    logger: undefined,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...overrides,
  })
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

afterAll(async () => {
  await guard.close()
})

describe('plugin context', () => {
  it('given an upstream that echoes the secret in its error body and a secret in the URL, when the plugin surfaces them, then no error text holds the secret', async () => {
    const s = await serve((req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' })
      res.end(`invalid api key ${new URL(req.url ?? '/', 'http://x').searchParams.get('api_key')}`)
    })
    const ctx = context()
    const error = await ctx.http
      .request({
        url: `${s.url}/stats`,
        query: { api_key: SECRET },
        check: (r) => {
          if (r.status === 401) throw new AuthError(`platform said: ${r.text} (at ${r.url})`)
        },
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    const rendered = `${inspect(error, { depth: 10 })}\n${(error as Error).stack}\n${JSON.stringify(error)}`
    expect(rendered).not.toContain(SECRET)
    expect(rendered).not.toContain(encodeURIComponent(SECRET))
    expect((error as Error).message).toContain('[REDACTED]')
  })

  it('given a network failure on a URL whose query holds the secret, when it is thrown, then neither message nor cause chain holds it', async () => {
    const s = await serve(() => {})
    const url = s.url
    await s.close()
    const error = await context({ retry: { attempts: 1 } })
      .http.request({
        url: `${url}/x`,
        query: { token: SECRET },
        headers: { Authorization: `Bearer ${SECRET}` },
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnavailableError)
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET)
  })

  it('given a pino logger, when the plugin logs messages and data holding secrets, then the captured lines hold none and carry the plugin and account', () => {
    const { lines, logger } = captureLogs()
    const ctx = context({ logger, plugin: 'income-access' })
    ctx.registerSecret('runtime-session-token-42')
    ctx.log.info(`calling with key ${SECRET}`, {
      url: `https://api.example/r?key=${encodeURIComponent(SECRET)}`,
      nested: { list: [SECRET, 'fine'] },
      err: new Error(`boom ${SECRET}`),
      session: 'runtime-session-token-42',
    })
    ctx.log.error('Authorization: Bearer abcdefghijkl123')
    const output = lines.join('')
    expect(lines).toHaveLength(2)
    expect(output).not.toContain(SECRET)
    expect(output).not.toContain(encodeURIComponent(SECRET))
    expect(output).not.toContain('runtime-session-token-42')
    expect(output).not.toContain('abcdefghijkl123')
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>
    expect(first.plugin).toBe('income-access')
    expect(first.account).toBe('acct-1')
    expect(first.msg).toBe('calling with key [REDACTED]')
    expect((first.nested as { list: string[] }).list).toEqual(['[REDACTED]', 'fine'])
  })

  it('given a logger that already binds the account, when the context logs, then the binding is not repeated', () => {
    const { lines, logger } = captureLogs()
    context({ logger: logger.child({ account: 'acct-1' }) }).log.warn('hello')
    expect(lines[0]?.match(/"account"/g)).toHaveLength(1)
  })

  it('given a per-host limit of 1 per 300 ms, when two program hosts are called twice each, then each host is limited on its own', async () => {
    const a = await serve((_req, res) => res.end('a'))
    const b = await serve((_req, res) => res.end('b'))
    const ctx = context({ platformLimits: { perHost: { requests: 1, intervalMs: 300 }, maxWindowDays: 31 } })
    // Connections opened beforehand, so arrival times reflect the limiter rather than connection setup.
    await Promise.all([a.url, b.url].map((url) => context().http.request({ url })))
    a.arrivals.length = 0
    b.arrivals.length = 0
    const started = performance.now()
    await Promise.all([a.url, a.url, b.url, b.url].map((url) => ctx.http.request({ url })))
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(300)
    expect(elapsed).toBeLessThan(550)
    for (const s of [a, b]) {
      const [first, second] = s.arrivals
      expect((second ?? 0) - (first ?? 0)).toBeGreaterThan(250)
    }
  })

  it('given two contexts of one account sharing the registry, when each makes two calls under a per-account limit of 2 per 400 ms, then the four calls span two windows', async () => {
    const s = await serve((_req, res) => res.end('ok'))
    const rateLimiters = createRateLimiterRegistry()
    const limits = { perAccount: { requests: 2, intervalMs: 400 }, maxWindowDays: 31 }
    const first = context({ rateLimiters, platformLimits: limits })
    const second = context({ rateLimiters, platformLimits: limits })
    const started = performance.now()
    await Promise.all([first, first, second, second].map((ctx) => ctx.http.request({ url: s.url })))
    expect(performance.now() - started).toBeGreaterThanOrEqual(400)
    const other = context({ rateLimiters, platformLimits: limits, accountKey: 'acct-2' })
    const otherStarted = performance.now()
    await Promise.all([other, other].map((ctx) => ctx.http.request({ url: s.url })))
    expect(performance.now() - otherStarted).toBeLessThan(200)
  })

  it('given no clock, cache or signal, when the context is built, then it has working defaults', () => {
    const ctx = context()
    expect(ctx.now()).toBeInstanceOf(Date)
    expect(ctx.signal.aborted).toBe(false)
    ctx.cache.set('token', { value: 'x' }, 60_000)
    expect(ctx.cache.get('token')).toEqual({ value: 'x' })
    ctx.cache.delete('token')
    expect(ctx.cache.get('token')).toBeUndefined()
  })

  it('given a memory cache entry with a TTL, when the clock passes it, then the entry is gone', () => {
    let now = 1_000
    const cache = createMemoryCache({ now: () => now })
    cache.set('k', 1, 500)
    now = 1_499
    expect(cache.get('k')).toBe(1)
    now = 1_500
    expect(cache.get('k')).toBeUndefined()
    cache.set('zero', 1, 0)
    expect(cache.get('zero')).toBeUndefined()
  })

  it('given a plugin error holding a registered secret, when the host redacts it, then the class survives and the secret does not', () => {
    const ctx = context()
    const copy = ctx.redactError(new AuthError(`key ${SECRET} rejected`))
    expect(copy).toBeInstanceOf(AuthError)
    expect(copy.message).toBe('key [REDACTED] rejected')
  })
})

describe('plugin context: excerpts', () => {
  it('given a body that echoes the account secret across the cut, when a plugin takes an excerpt, then the secret is redacted before the cut and no piece of it is left', () => {
    const ctx = context()
    const body = `${'x'.repeat(50)}${SECRET} is not a valid key`
    const out = ctx.excerpt(body, 60)
    expect(out.endsWith('…')).toBe(true)
    expect(out).toContain('[REDACTED]')
    expect(out).not.toContain(SECRET.slice(0, 6))
  })
})
