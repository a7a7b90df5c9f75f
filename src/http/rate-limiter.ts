import { performance } from 'node:perf_hooks'
import type { RateLimit } from '../sdk/platform.ts'
import { sleep } from './sleep.ts'

/**
 * Exact sliding-window rate limiting, keyed and shared.
 *
 * p-throttle is not used: it throttles one wrapped function per instance, takes one abort signal for the whole
 * instance rather than per call, and cannot reserve a slot in several limiters at once (a request must fit
 * its host's limit and its account's limit at the same instant). Its state also cannot move to PostgreSQL.
 *
 * The guarantee: for every key, no half-open interval [t, t + intervalMs) contains more than `requests`
 * requests, measured at the instant the limiter releases each request to the network.
 */

export interface RateLimiterSpec {
  /** e.g. `host:affiliates.acme.example`, `account:42` */
  key: string
  limit: RateLimit
}

/** A slot held in every key of one acquisition. */
export interface RateLimitReservation {
  /** How long to wait before calling `claim`. */
  readonly waitMs: number
  /**
   * Takes the slot now: 0 when the request may go at once (the slot is recorded at this instant), otherwise the
   * milliseconds to wait before claiming again (the slot moved because a timer fired early or others moved).
   */
  claim(): Promise<number>
  /** Gives the slot back (the caller gave up). */
  cancel(): Promise<void>
}

/**
 * Where the limiter keeps its history. The in-memory store serves one process; a PostgreSQL store (one row per
 * reserved slot, reserved in one transaction for all keys) lets several worker processes share the limits.
 */
export interface RateLimiterStore {
  reserve(specs: readonly RateLimiterSpec[]): Promise<RateLimitReservation>
}

export interface RateLimiterRegistry {
  /** Resolves when a request on `key` may go; rejects with the signal's reason when it is aborted first. */
  acquire(key: string, limit: RateLimit, signal?: AbortSignal): Promise<void>
  /** One slot taken at the same instant in every key (e.g. the host's and the account's limit). */
  acquireAll(specs: readonly RateLimiterSpec[], signal?: AbortSignal): Promise<void>
}

function assertLimit(spec: RateLimiterSpec): void {
  const { requests, intervalMs } = spec.limit
  if (!Number.isInteger(requests) || requests < 1 || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new TypeError(`invalid rate limit for ${spec.key}: ${requests} per ${intervalMs} ms`)
  }
}

function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] ?? 0) <= value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Whether one more request at `t` keeps every window of `intervalMs` at or under `requests`. */
function fits(stamps: readonly number[], t: number, limit: RateLimit): boolean {
  const n = limit.requests
  const pos = upperBound(stamps, t)
  const at = (i: number): number => (i < pos ? (stamps[i] ?? 0) : i === pos ? t : (stamps[i - 1] ?? 0))
  const length = stamps.length + 1
  // Only runs of n + 1 consecutive requests that include the new one can become too dense.
  for (let j = Math.max(0, pos - n); j <= pos && j + n < length; j++) {
    // Written as a sum, the same float the candidate `stamp + interval` was built from: a difference could round below.
    if (at(j + n) < at(j) + limit.intervalMs) return false
  }
  return true
}

function removeOne(stamps: number[], value: number): void {
  const index = stamps.lastIndexOf(value)
  if (index !== -1) stamps.splice(index, 1)
}

interface KeyState {
  /** Sorted release times of requests that went out; the limit is guaranteed on these. */
  released: number[]
  /** Sorted times promised to waiting requests; advisory, each is re-checked when it is claimed. */
  pending: number[]
  intervalMs: number
}

export interface MemoryRateLimiterStoreOptions {
  /** Monotonic milliseconds; default `performance.now`. */
  clock?: () => number
  /** Told of every release with the clock reading it was recorded at (metrics, and tests that count them). */
  onRelease?: (keys: readonly string[], at: number) => void
}

function merged(a: readonly number[], b: readonly number[]): number[] {
  return [...a, ...b].sort((x, y) => x - y)
}

function insertSorted(stamps: number[], value: number): void {
  stamps.splice(upperBound(stamps, value), 0, value)
}

export function createMemoryRateLimiterStore(options: MemoryRateLimiterStoreOptions = {}): RateLimiterStore {
  const clock = options.clock ?? (() => performance.now())
  const keys = new Map<string, KeyState>()
  let reservationsSinceSweep = 0

  const prune = (state: KeyState, now: number): void => {
    let drop = 0
    while (drop < state.released.length && (state.released[drop] ?? 0) + state.intervalMs <= now) drop++
    if (drop > 0) state.released.splice(0, drop)
  }

  const sweep = (now: number): void => {
    for (const [key, state] of keys) {
      prune(state, now)
      if (state.released.length === 0 && state.pending.length === 0) keys.delete(key)
    }
  }

  const stateOf = (spec: RateLimiterSpec, now: number): KeyState => {
    let state = keys.get(spec.key)
    if (!state) {
      state = { released: [], pending: [], intervalMs: spec.limit.intervalMs }
      keys.set(spec.key, state)
    }
    state.intervalMs = Math.max(state.intervalMs, spec.limit.intervalMs)
    prune(state, now)
    return state
  }

  /**
   * The earliest instant ≥ now at which one more request fits every key. Reservations plan around the requests
   * already promised a slot; a claim looks only at requests really released, so whoever is due first goes first
   * and a late timer cannot push a request behind everyone queued after it.
   */
  const earliest = (specs: readonly RateLimiterSpec[], now: number, withPending: boolean): number => {
    const histories = specs.map((spec) => {
      const state = stateOf(spec, now)
      return withPending ? merged(state.released, state.pending) : state.released
    })
    // Feasibility only changes at `stamp + interval`, so those instants (and now) are the only candidates.
    const candidates = new Set<number>([now])
    histories.forEach((stamps, i) => {
      const interval = specs[i]?.limit.intervalMs ?? 0
      for (const stamp of stamps) if (stamp + interval > now) candidates.add(stamp + interval)
    })
    const ordered = [...candidates].sort((a, b) => a - b)
    for (const t of ordered) {
      if (histories.every((stamps, i) => fits(stamps, t, specs[i]?.limit ?? { requests: 1, intervalMs: 0 })))
        return t
    }
    // Unreachable: after the last candidate every window holding an older stamp has passed.
    return ordered[ordered.length - 1] ?? now
  }

  const record = (specs: readonly RateLimiterSpec[], at: number, list: 'released' | 'pending'): void => {
    for (const spec of specs) {
      const state = keys.get(spec.key)
      if (state) insertSorted(state[list], at)
    }
  }

  const forget = (specs: readonly RateLimiterSpec[], at: number): void => {
    for (const spec of specs) {
      const state = keys.get(spec.key)
      if (state) removeOne(state.pending, at)
    }
  }

  return {
    async reserve(specs) {
      for (const spec of specs) assertLimit(spec)
      const now = clock()
      if (++reservationsSinceSweep >= 1000) {
        reservationsSinceSweep = 0
        sweep(now)
      }
      let at = earliest(specs, now, true)
      record(specs, at, 'pending')
      let settled = false
      return {
        waitMs: at - now,
        async claim() {
          if (settled) return 0
          forget(specs, at)
          const claimNow = clock()
          const next = earliest(specs, claimNow, false)
          if (next <= claimNow) {
            settled = true
            record(specs, claimNow, 'released')
            options.onRelease?.(
              specs.map((spec) => spec.key),
              claimNow,
            )
            return 0
          }
          // Placed against released requests only: a request that woke a moment early (or whose predecessors
          // went out a moment late) keeps its place in the queue instead of going behind everyone promised later.
          at = next
          record(specs, at, 'pending')
          return at - claimNow
        },
        async cancel() {
          if (settled) return
          settled = true
          forget(specs, at)
        },
      }
    },
  }
}

export interface RateLimiterRegistryOptions {
  /** Default: an in-memory store (one process). */
  store?: RateLimiterStore
  /**
   * For tests only: every limit's interval is multiplied by this factor (0.1 turns "2 a second" into "2 per
   * 100 ms"), so a suite keeps each platform's limits in shape without waiting for them in real time. Default 1.
   */
  timeScale?: number
}

export function createRateLimiterRegistry(options: RateLimiterRegistryOptions = {}): RateLimiterRegistry {
  const store = options.store ?? createMemoryRateLimiterStore()
  const timeScale = options.timeScale ?? 1
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    throw new TypeError(`the rate limiters' time scale must be a positive number, not ${timeScale}`)
  const scaled = (spec: RateLimiterSpec): RateLimiterSpec =>
    timeScale === 1
      ? spec
      : { ...spec, limit: { ...spec.limit, intervalMs: spec.limit.intervalMs * timeScale } }
  // A cancelled reservation frees a slot that requests already asleep may now take; they are woken to re-claim.
  const sleepers = new Set<() => void>()
  const wakeAll = () => {
    for (const wake of [...sleepers]) wake()
  }

  const nap = (ms: number, signal: AbortSignal | undefined): Promise<void> => {
    // Linked by hand rather than with AbortSignal.any, which keeps every nap reachable from a long-lived signal.
    const early = new AbortController()
    const wake = () => early.abort()
    const forward = () => early.abort(signal?.reason)
    sleepers.add(wake)
    signal?.addEventListener('abort', forward, { once: true })
    return sleep(ms, early.signal)
      .catch((error: unknown) => {
        if (signal?.aborted) throw error
      })
      .finally(() => {
        sleepers.delete(wake)
        signal?.removeEventListener('abort', forward)
      })
  }

  const acquireAll = async (specs: readonly RateLimiterSpec[], signal?: AbortSignal): Promise<void> => {
    if (specs.length === 0) return
    signal?.throwIfAborted()
    // One key named twice would count the request twice; the stricter limit of the two is kept.
    const unique = new Map<string, RateLimiterSpec>()
    for (const spec of specs.map(scaled)) {
      const previous = unique.get(spec.key)
      if (
        !previous ||
        spec.limit.requests / spec.limit.intervalMs < previous.limit.requests / previous.limit.intervalMs
      ) {
        unique.set(spec.key, spec)
      }
    }
    const reservation = await store.reserve([...unique.values()])
    try {
      let wait = reservation.waitMs
      for (;;) {
        if (wait > 0) await nap(wait, signal)
        signal?.throwIfAborted()
        wait = await reservation.claim()
        if (wait <= 0) return
      }
    } catch (error) {
      await reservation.cancel()
      wakeAll()
      throw error
    }
  }

  return {
    acquire: (key, limit, signal) => acquireAll([{ key, limit }], signal),
    acquireAll,
  }
}
