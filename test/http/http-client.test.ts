import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpClientOptions, type HttpRequestInfo } from '../../src/http/http-client.ts'
import { createSsrfGuard, OutboundBlockedError } from '../../src/http/ssrf-guard.ts'
import { AuthError, RateLimitError, ResponseFormatError, UnavailableError } from '../../src/sdk/errors.ts'

interface Hit {
  at: number
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

interface TestServer {
  url: string
  hits: Hit[]
  close(): Promise<void>
}

/** A loopback server whose handler sees how many requests came before (0 for the first). */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, index: number) => void,
): Promise<TestServer> {
  const hits: Hit[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const index = hits.length
      hits.push({
        at: performance.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      handler(req, res, index)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown = '',
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
    ...headers,
  })
  res.end(text)
}

const guard = createSsrfGuard({ allow: ['127.0.0.1'] })
const servers: TestServer[] = []
const realFetch = globalThis.fetch

async function server(handler: Parameters<typeof serve>[0]): Promise<TestServer> {
  const s = await serve(handler)
  servers.push(s)
  return s
}

function client(options: Partial<HttpClientOptions> = {}) {
  return createHttpClient({ guard, retry: { baseDelayMs: 10, maxDelayMs: 50 }, ...options })
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail')
    },
    (error: unknown) => error,
  )
}

beforeAll(() => {
  // The host client must use its own guarded dispatcher; any use of the global fetch is a bug.
  globalThis.fetch = () => {
    throw new Error('global fetch must not be used')
  }
})

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

afterAll(async () => {
  globalThis.fetch = realFetch
  await guard.close()
})

describe('HTTP client: requests and responses', () => {
  it('given global fetch replaced by a throwing function, when a request is made, then it still succeeds', async () => {
    const s = await server((_req, res) => send(res, 200, { ok: true }))
    expect(() => globalThis.fetch('http://127.0.0.1/')).toThrow(/must not be used/)
    const response = await client().request({ url: s.url })
    expect(response.json()).toEqual({ ok: true })
  })

  it('given query values with arrays, nulls and booleans, when requested, then arrays repeat and empty values are skipped', async () => {
    const s = await server((_req, res) => send(res, 200))
    await client().request({
      url: `${s.url}/report?fixed=1`,
      query: { a: [1, 2], b: 'x y', c: null, d: undefined, e: true },
    })
    expect(s.hits[0]?.url).toBe('/report?fixed=1&a=1&a=2&b=x+y&e=true')
  })

  it('given a json body, when posted, then it is serialised with the JSON content type and the default user agent', async () => {
    const s = await server((_req, res) => send(res, 200))
    await client().request({ method: 'POST', url: s.url, json: { from: '2024-01-01' } })
    const hit = s.hits[0]
    expect(hit?.headers['content-type']).toBe('application/json')
    expect(hit?.headers['user-agent']).toMatch(/^affgraph\/\d+\.\d+\.\d+/)
    expect(hit?.body).toBe('{"from":"2024-01-01"}')
  })

  it('given a URLSearchParams body and no method, when requested, then it is POSTed as a form', async () => {
    const s = await server((_req, res) => send(res, 200))
    await client().request({ url: s.url, body: new URLSearchParams({ grant_type: 'password', user: 'a b' }) })
    expect(s.hits[0]?.method).toBe('POST')
    expect(s.hits[0]?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
    expect(s.hits[0]?.body).toBe('grant_type=password&user=a+b')
  })

  it('given response headers in mixed case, when read, then names are lower-cased and the final URL is reported', async () => {
    const s = await server((_req, res) => send(res, 200, 'x', { 'X-Request-Id': 'abc' }))
    const response = await client().request({ url: `${s.url}/path?q=1` })
    expect(response.headers['x-request-id']).toBe('abc')
    expect(response.url).toBe(`${s.url}/path?q=1`)
  })

  it('given a gzip-encoded body, when requested, then the text is decompressed', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      res.end(gzipSync(JSON.stringify({ rows: [1, 2, 3] })))
    })
    expect((await client().request({ url: s.url })).json()).toEqual({ rows: [1, 2, 3] })
  })

  it('given a malformed JSON body, when json() is called, then it throws ResponseFormatError', async () => {
    const s = await server((_req, res) =>
      send(res, 200, '{"rows": [1, 2', { 'content-type': 'application/json' }),
    )
    const response = await client().request({ url: s.url })
    expect(() => response.json()).toThrow(ResponseFormatError)
  })

  it('given a body larger than maxBodyBytes, when requested, then ResponseFormatError is thrown after one request', async () => {
    const s = await server((_req, res) => send(res, 200, 'x'.repeat(5000)))
    const error = await failure(client({ maxBodyBytes: 1000 }).request({ url: s.url }))
    expect(error).toBeInstanceOf(ResponseFormatError)
    expect(s.hits).toHaveLength(1)
  })

  it('given a streamed (chunked) body larger than maxBodyBytes, when requested, then reading stops with ResponseFormatError', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      for (let i = 0; i < 10; i++) res.write('y'.repeat(500))
      res.end()
    })
    await expect(client({ maxBodyBytes: 2000 }).request({ url: s.url })).rejects.toBeInstanceOf(
      ResponseFormatError,
    )
  })

  it('given a chain of two redirects on allowed hosts, when requested, then they are followed and a 303 turns POST into GET', async () => {
    const s = await server((req, res) => {
      if (req.url === '/start') send(res, 303, '', { location: '/middle' })
      else if (req.url === '/middle') send(res, 307, '', { location: '/end' })
      else send(res, 200, 'done')
    })
    const response = await client().request({ method: 'POST', url: `${s.url}/start`, json: { a: 1 } })
    expect(response.text).toBe('done')
    expect(response.url).toBe(`${s.url}/end`)
    expect(s.hits.map((h) => `${h.method} ${h.url}`)).toEqual(['POST /start', 'GET /middle', 'GET /end'])
  })

  it('given more than 3 redirects, when requested, then ResponseFormatError is thrown after 4 requests', async () => {
    const s = await server((req, res) => send(res, 302, '', { location: `${req.url}x` }))
    const error = await failure(client().request({ url: `${s.url}/r` }))
    expect(error).toBeInstanceOf(ResponseFormatError)
    expect(s.hits).toHaveLength(4)
  })

  it('given a redirect to another host, when followed, then the Authorization header is not forwarded', async () => {
    const target = await server((_req, res) => send(res, 200, 'there'))
    const targetPort = new URL(target.url).port
    const origin = await server((_req, res) =>
      send(res, 302, '', { location: `http://localhost:${targetPort}/` }),
    )
    const allowBoth = createSsrfGuard({ allow: ['127.0.0.1', '::1', 'localhost'] })
    try {
      const c = createHttpClient({ guard: allowBoth, retry: { attempts: 1 } })
      await c.request({ url: origin.url, headers: { Authorization: 'Bearer abcdefgh12345' } })
      expect(origin.hits[0]?.headers.authorization).toBe('Bearer abcdefgh12345')
      expect(target.hits[0]?.headers.authorization).toBeUndefined()
    } finally {
      await allowBoth.close()
    }
  })
})

describe('HTTP client: timeouts', () => {
  it('given a server that never sends headers, when requested with headersMs 300, then it fails within about a second (undici checks these timers on a coarse tick), not minutes later', async () => {
    const s = await server(() => {})
    const started = performance.now()
    const error = await failure(
      client({ timeouts: { headersMs: 300 }, retry: { attempts: 1 } }).request({ url: s.url }),
    )
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as Error).message).toMatch(/no response headers within 300 ms/)
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(2000)
  })

  it('given a server that never answers, when requested with a per-request timeoutMs of 250, then the whole request is aborted then', async () => {
    const s = await server(() => {})
    const started = performance.now()
    const error = await failure(client({ retry: { attempts: 1 } }).request({ url: s.url, timeoutMs: 250 }))
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as Error).message).toMatch(/within 250 ms/)
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('given a body trickling in for seconds, when totalMs is 400, then the request is aborted at about 400 ms', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      const timer = setInterval(() => res.write('.'), 50)
      res.on('close', () => clearInterval(timer))
    })
    const started = performance.now()
    const error = await failure(
      client({ timeouts: { totalMs: 400 }, retry: { attempts: 1 } }).request({ url: s.url }),
    )
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(UnavailableError)
    expect(elapsed).toBeGreaterThanOrEqual(350)
    expect(elapsed).toBeLessThan(2000)
  })

  it('given a body that stalls after its first chunk, when bodyMs is 200, then it fails with UnavailableError', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('partial')
    })
    const error = await failure(
      client({ timeouts: { bodyMs: 200 }, retry: { attempts: 1 } }).request({ url: s.url }),
    )
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as Error).message).toMatch(/stopped sending/)
  })
})

describe('HTTP client: retries', () => {
  it('given 503 twice then 200, when requested, then it succeeds after exactly 3 requests', async () => {
    const s = await server((_req, res, i) => (i < 2 ? send(res, 503, 'down') : send(res, 200, { ok: 1 })))
    const attempts: HttpRequestInfo[] = []
    const response = await client({ onRequest: (info) => attempts.push(info) }).request({ url: s.url })
    expect(response.json()).toEqual({ ok: 1 })
    expect(s.hits).toHaveLength(3)
    expect(attempts.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 503, 'PLATFORM_UNAVAILABLE'],
      [2, 503, 'PLATFORM_UNAVAILABLE'],
      [3, 200, undefined],
    ])
  })

  it('given a 429 with Retry-After 1, when requested, then waits ≥1 s and succeeds on the retry', async () => {
    const s = await server((_req, res, i) =>
      i === 0 ? send(res, 429, 'slow down', { 'retry-after': '1' }) : send(res, 200),
    )
    const response = await client().request({ url: s.url })
    expect(response.status).toBe(200)
    expect(s.hits).toHaveLength(2)
    const [first, second] = s.hits
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1000)
  })

  it('given a 401, when requested, then AuthError is thrown after exactly 1 request', async () => {
    const s = await server((_req, res) => send(res, 401, 'bad key'))
    expect(await failure(client().request({ url: s.url }))).toBeInstanceOf(AuthError)
    expect(s.hits).toHaveLength(1)
  })

  it('given a 429 whose Retry-After exceeds maxRetryAfterMs, when requested, then RateLimitError is thrown at once', async () => {
    const s = await server((_req, res) => send(res, 429, '', { 'retry-after': '3600' }))
    const started = performance.now()
    const error = await failure(client().request({ url: s.url }))
    expect(error).toBeInstanceOf(RateLimitError)
    expect((error as RateLimitError).retryAfterMs).toBe(3_600_000)
    expect(s.hits).toHaveLength(1)
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('given a server always answering 503, when requested with attempts 3, then the last UnavailableError is rethrown after 3 requests', async () => {
    const s = await server((_req, res) => send(res, 503))
    const error = await failure(client({ retry: { attempts: 3, baseDelayMs: 5 } }).request({ url: s.url }))
    expect(error).toBeInstanceOf(UnavailableError)
    expect(s.hits).toHaveLength(3)
  })

  it('given retry false, when the server answers 503, then only one request is made', async () => {
    const s = await server((_req, res) => send(res, 503))
    await expect(client().request({ url: s.url, retry: false })).rejects.toBeInstanceOf(UnavailableError)
    expect(s.hits).toHaveLength(1)
  })

  it('given a connection reset on the first request, when requested, then the network error is retried as UnavailableError', async () => {
    const s = await server((req, res, i) => (i === 0 ? req.socket.destroy() : send(res, 200, 'fine')))
    expect((await client().request({ url: s.url })).text).toBe('fine')
    expect(s.hits).toHaveLength(2)
  })

  it('given a body cut short once, when requested, then the truncation is retried and the full body is returned', async () => {
    const s = await server((req, res, i) => {
      if (i > 0) return send(res, 200, { complete: true })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"compl')
      setTimeout(() => req.socket.destroy(), 10)
    })
    const attempts: HttpRequestInfo[] = []
    const response = await client({ onRequest: (info) => attempts.push(info) }).request({ url: s.url })
    expect(response.json()).toEqual({ complete: true })
    expect(attempts[0]?.error).toBe('PLATFORM_UNAVAILABLE')
  })

  it('given a refused port, when requested, then UnavailableError names the host and not the query, and says in words what the code means', async () => {
    const s = await server(() => {})
    const url = s.url
    await s.close()
    const error = await failure(
      client({ retry: { attempts: 2, baseDelayMs: 5 } }).request({ url: `${url}/x?key=abc` }),
    )
    expect(error).toBeInstanceOf(UnavailableError)
    expect((error as Error).message).toContain(new URL(url).host)
    expect((error as Error).message).not.toContain('key=abc')
    expect((error as Error).message).toMatch(
      /: nothing accepts connections at that address .*\(ECONNREFUSED\)$/,
    )
  })

  it('given a custom check that maps HTTP 200 error bodies, when it throws RateLimitError, then the call is retried', async () => {
    const s = await server((_req, res, i) =>
      send(res, 200, i === 0 ? { error: 'too many requests' } : { data: [] }),
    )
    const response = await client().request({
      url: s.url,
      check: (r) => {
        if ((r.json() as { error?: string }).error) throw new RateLimitError('platform says slow down')
      },
    })
    expect(response.json()).toEqual({ data: [] })
    expect(s.hits).toHaveLength(2)
  })

  it('given a caller signal aborted during the backoff wait, when requested, then the request stops promptly with the abort reason', async () => {
    const s = await server((_req, res) => send(res, 503))
    const controller = new AbortController()
    const c = client({
      signal: controller.signal,
      retry: { attempts: 4, baseDelayMs: 10_000, maxDelayMs: 10_000 },
    })
    setTimeout(() => controller.abort(new Error('shutting down')), 100)
    const started = performance.now()
    const error = await failure(c.request({ url: s.url }))
    expect((error as Error).message).toBe('shutting down')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('given an OutboundBlockedError, when retries are enabled, then it is not retried', async () => {
    const strict = createSsrfGuard()
    try {
      const infos: HttpRequestInfo[] = []
      const c = createHttpClient({ guard: strict, onRequest: (i) => infos.push(i) })
      await expect(c.request({ url: 'http://10.0.0.1/' })).rejects.toBeInstanceOf(OutboundBlockedError)
      expect(infos).toHaveLength(1)
      expect(infos[0]?.error).toBe('OUTBOUND_BLOCKED')
    } finally {
      await strict.close()
    }
  })
})
