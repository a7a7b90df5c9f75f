import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { afterAll, describe, expect, it } from 'vitest'
import { createHttpClient } from '../../src/http/http-client.ts'
import {
  createMemoryRateLimiterStore,
  createRateLimiterRegistry,
  type RateLimiterStore,
} from '../../src/http/rate-limiter.ts'
import { createSsrfGuard } from '../../src/http/ssrf-guard.ts'

/** Largest number of stamps inside any half-open window [t, t + intervalMs). */
function densestWindow(stamps: number[], intervalMs: number): number {
  const sorted = [...stamps].sort((a, b) => a - b)
  let best = 0
  for (let i = 0; i < sorted.length; i++) {
    let j = i
    while (j < sorted.length && (sorted[j] ?? 0) < (sorted[i] ?? 0) + intervalMs) j++
    best = Math.max(best, j - i)
  }
  return best
}

/** A store that records the instant each request was released: exactly the instant the limiter vouches for. */
function recordingStore(): { store: RateLimiterStore; released: Map<string, number[]> } {
  const released = new Map<string, number[]>()
  const store = createMemoryRateLimiterStore({
    onRelease: (keys, at) => {
      for (const key of keys) released.set(key, [...(released.get(key) ?? []), at])
    },
  })
  return { store, released }
}

const guard = createSsrfGuard({ allow: ['127.0.0.1'] })

afterAll(async () => {
  await guard.close()
})

describe('rate limiter', () => {
  it('given a limit of 5 per 500 ms, when 15 requests are acquired at once, then no window of 500 ms releases more than 5 and all finish in three windows', async () => {
    const { store, released } = recordingStore()
    const registry = createRateLimiterRegistry({ store })
    const limit = { requests: 5, intervalMs: 500 }
    const started = performance.now()
    await Promise.all(Array.from({ length: 15 }, () => registry.acquire('host:a.example', limit)))
    const elapsed = performance.now() - started
    const stamps = released.get('host:a.example') ?? []
    expect(stamps).toHaveLength(15)
    expect(densestWindow(stamps, 500)).toBe(5)
    expect(elapsed).toBeGreaterThanOrEqual(1000)
    expect(elapsed).toBeLessThan(1400)
  })

  it('given a host limit and a stricter account limit, when acquired together, then each key holds its own limit at the same instants', async () => {
    const { store, released } = recordingStore()
    const registry = createRateLimiterRegistry({ store })
    const host = { key: 'host:b.example', limit: { requests: 10, intervalMs: 300 } }
    const account = { key: 'account:7', limit: { requests: 2, intervalMs: 300 } }
    const other = { key: 'account:8', limit: { requests: 2, intervalMs: 300 } }
    const started = performance.now()
    await Promise.all([
      ...Array.from({ length: 6 }, () => registry.acquireAll([host, account])),
      ...Array.from({ length: 6 }, () => registry.acquireAll([host, other])),
    ])
    // Three windows of two per account, run side by side: the second account does not wait for the first.
    expect(performance.now() - started).toBeLessThan(800)
    expect(densestWindow(released.get('account:7') ?? [], 300)).toBeLessThanOrEqual(2)
    expect(densestWindow(released.get('account:8') ?? [], 300)).toBeLessThanOrEqual(2)
    expect(densestWindow(released.get('host:b.example') ?? [], 300)).toBeLessThanOrEqual(10)
    expect(released.get('host:b.example')).toHaveLength(12)
  })

  it('given one busy account, when another account on the same host asks, then it is not queued behind the busy one', async () => {
    const registry = createRateLimiterRegistry()
    const host = { key: 'host:c.example', limit: { requests: 100, intervalMs: 1000 } }
    const busy = { key: 'account:busy', limit: { requests: 1, intervalMs: 1000 } }
    const idle = { key: 'account:idle', limit: { requests: 1, intervalMs: 1000 } }
    const controller = new AbortController()
    await registry.acquireAll([host, busy])
    const queued = registry.acquireAll([host, busy], controller.signal).catch(() => 'aborted')
    const started = performance.now()
    await registry.acquireAll([host, idle])
    expect(performance.now() - started).toBeLessThan(50)
    controller.abort()
    expect(await queued).toBe('aborted')
  })

  it('given a waiting acquisition, when its signal aborts, then it rejects with the reason and its slot is given back', async () => {
    const { store, released } = recordingStore()
    const registry = createRateLimiterRegistry({ store })
    const limit = { requests: 1, intervalMs: 300 }
    await registry.acquire('k', limit)
    const controller = new AbortController()
    const waiting = registry.acquire('k', limit, controller.signal)
    const next = registry.acquire('k', limit)
    controller.abort(new Error('cancelled'))
    await expect(waiting).rejects.toThrow('cancelled')
    const started = performance.now()
    await next
    // The aborted request's slot was returned, so the next one goes one interval after the first, not two.
    expect(performance.now() - started).toBeLessThan(450)
    expect(released.get('k')).toHaveLength(2)
  })

  it('given two HTTP clients sharing a registry and a host limit of 5 per 500 ms, when 15 requests are made, then the server sees them in three spaced bursts', async () => {
    const arrivals: number[] = []
    const server = createServer((_req, res) => {
      arrivals.push(performance.now())
      res.end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    try {
      const { store, released } = recordingStore()
      const rateLimiters = createRateLimiterRegistry({ store })
      const limiters = [{ key: `host:${new URL(url).host}`, limit: { requests: 5, intervalMs: 500 } }]
      const a = createHttpClient({ guard, rateLimiters, limiters })
      const b = createHttpClient({ guard, rateLimiters, limiters })
      // Opens the pooled connections first, so arrivals below measure the limiter and not connection setup.
      await Promise.all(Array.from({ length: 5 }, () => createHttpClient({ guard }).request({ url })))
      arrivals.length = 0
      await Promise.all(Array.from({ length: 15 }, (_, i) => (i % 2 ? a : b).request({ url })))
      const stamps = released.get(limiters[0]?.key ?? '') ?? []
      expect(stamps).toHaveLength(15)
      expect(densestWindow(stamps, 500)).toBe(5)
      expect(arrivals).toHaveLength(15)
      // The guarantee holds at release (exactly, above). Arrivals lag their release by a few ms of socket and
      // event-loop latency that varies per request, so the server-side view is checked with that slack.
      expect(densestWindow(arrivals, 400)).toBe(5)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('given an invalid limit, when acquired, then it throws a TypeError', async () => {
    const registry = createRateLimiterRegistry()
    await expect(registry.acquire('k', { requests: 0, intervalMs: 100 })).rejects.toThrow(TypeError)
  })

  it('given a time scale of 0.1 and a limit of 5 per second, when 15 requests are acquired at once, then each 100 ms releases at most 5 and all finish in three scaled windows', async () => {
    const { store, released } = recordingStore()
    const registry = createRateLimiterRegistry({ store, timeScale: 0.1 })
    const started = performance.now()
    await Promise.all(
      Array.from({ length: 15 }, () =>
        registry.acquire('host:scaled.example', { requests: 5, intervalMs: 1000 }),
      ),
    )
    const elapsed = performance.now() - started
    const stamps = released.get('host:scaled.example') ?? []
    expect(stamps).toHaveLength(15)
    expect(densestWindow(stamps, 100)).toBe(5)
    expect(elapsed).toBeGreaterThanOrEqual(200)
    // Unscaled, the same requests need two whole seconds.
    expect(elapsed).toBeLessThan(1000)
  })

  it('given a time scale that is not a positive number, when the registry is created, then it throws a TypeError', () => {
    for (const timeScale of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => createRateLimiterRegistry({ timeScale }), String(timeScale)).toThrow(TypeError)
  })
})
