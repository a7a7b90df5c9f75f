import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it as plainIt } from 'vitest'
import { shiftedClock } from '../../src/clock.ts'
import { createMemoryRateLimiterStore, createRateLimiterRegistry } from '../../src/http/rate-limiter.ts'
import { createSsrfGuard } from '../../src/http/ssrf-guard.ts'
import type { LoadedPlatform } from '../../src/platform/platform-registry.ts'
import { PlatformRunner } from '../../src/platform/platform-runner.ts'
import { loadPlugin } from '../../src/platform/plugin-loader.ts'
import {
  type DateWindow,
  type FaultName,
  type FaultOptions,
  isDecimalString,
  type PaymentRow,
  type PlatformSimulator,
  paymentRowSchema,
  type RateLimit,
  type ReportRow,
  rowKey,
} from '../../src/sdk/index.ts'
import { captureLogs } from '../support/log-capture.ts'
import { testNow } from '../support/test-clock.ts'

const sortRows = (rows: ReportRow[]) =>
  [...rows].sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0))

/**
 * The platforms' declared limits run at this fraction of their real intervals ("2 a second" becomes "2 per
 * 100 ms"): the suite still proves every request goes through them, without spending minutes waiting.
 */
export const RATE_LIMIT_TIME_SCALE = 0.1

/** The most requests that arrived within any span of `spanMs`. */
export function densest(arrivals: readonly number[], spanMs: number): number {
  const times = [...arrivals].sort((a, b) => a - b)
  let most = 0
  for (let end = 0, start = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= spanMs) start++
    most = Math.max(most, end - start + 1)
  }
  return most
}

const sequentialIt = plainIt.sequential

/** No plugin may bypass the host's HTTP client: the global fetch throws while any contract suite runs. */
let fetchForbidders = 0
let realFetch: typeof fetch | undefined
function forbidGlobalFetch(): () => void {
  if (fetchForbidders++ === 0) {
    realFetch = globalThis.fetch
    globalThis.fetch = (() => {
      throw new Error('global fetch is forbidden in plugins: use ctx.http')
    }) as typeof fetch
  }
  let released = false
  return () => {
    if (released) return
    released = true
    if (--fetchForbidders === 0 && realFetch) globalThis.fetch = realFetch
  }
}

export interface ContractSuiteOptions {
  /**
   * Run this plugin's suite at the same time as sibling suites declared with the same option (its own tests stay
   * in order): the bundled file runs every plugin at once, so adding a platform barely lengthens it.
   */
  concurrent?: boolean
}

/**
 * The standard suite every platform plugin passes, with no per-plugin test code: the plugin's manifest, its
 * connection schema and its simulator are all it needs. A plugin author runs it with one line:
 * `defineContractSuite('/path/to/plugins/my-platform')`.
 */
export function defineContractSuite(folder: string, options: ContractSuiteOptions = {}): void {
  // Concurrent suites run their own tests one after the other: they share the simulator's faults.
  const it = options.concurrent ? sequentialIt : plainIt
  describe(`platform plugin contract: ${folder.split('/').at(-1)}`, {
    concurrent: options.concurrent,
  }, () => {
    // Calendar days come from a fixed "today" (AFFGRAPH_TEST_NOW), which then runs at the real pace so that
    // tokens still expire; the simulator and the plugin share it.
    const clock = shiftedClock(testNow())
    const daysAgoWindow = (endDaysAgo: number, length: number): DateWindow => {
      const end = clock.now().getTime() - endDaysAgo * 86_400_000
      const start = end - (length - 1) * 86_400_000
      const day = (t: number) => new Date(t).toISOString().slice(0, 10)
      return { from: day(start), to: day(end) }
    }
    let releaseFetch: () => void = () => {}
    let platform: LoadedPlatform
    let sim: PlatformSimulator
    let runner: PlatformRunner
    /** Same host, but a request deadline short enough to give up on a platform that stops answering. */
    let impatient: PlatformRunner
    /** Release times the rate limiters of `runner` recorded, in order. */
    const releases: number[] = []
    const capture = captureLogs()
    const secretsSeen = new Set<string>()
    const errorsSeen: unknown[] = []

    const parse = (input: Record<string, string>) => {
      const parsed = platform.definition.connection.schema.parse(input) as Record<string, unknown>
      for (const name of platform.secretFields) {
        const v = input[name]
        if (v) secretsSeen.add(v)
        const p = parsed[name]
        if (typeof p === 'string') secretsSeen.add(p)
      }
      return parsed
    }
    const run = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn()
      } catch (error) {
        errorsSeen.push(error)
        throw error
      }
    }
    const firstAccount = () => {
      const account = sim.accounts[0]
      if (!account) throw new Error('the simulator must offer at least one account')
      return account
    }

    beforeAll(async () => {
      releaseFetch = forbidGlobalFetch()
      platform = await loadPlugin(folder)
      sim = await platform.definition.simulator.create({ seed: 'contract', accounts: 2, pageSize: 40, clock })
      runner = new PlatformRunner({
        guard: createSsrfGuard({ allow: ['127.0.0.1'] }),
        // Limits are the platform's own (on a faster clock), so the suite also proves the plugin lives within them.
        rateLimiters: createRateLimiterRegistry({
          timeScale: RATE_LIMIT_TIME_SCALE,
          store: createMemoryRateLimiterStore({ onRelease: (_keys, at) => releases.push(at) }),
        }),
        logger: capture.logger,
        http: { totalTimeoutMs: 15_000, attempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
        now: () => clock.now(),
      })
      impatient = new PlatformRunner({
        guard: createSsrfGuard({ allow: ['127.0.0.1'] }),
        rateLimiters: createRateLimiterRegistry({ timeScale: RATE_LIMIT_TIME_SCALE }),
        logger: capture.logger,
        http: { totalTimeoutMs: 1_500, attempts: 2, baseDelayMs: 20, maxDelayMs: 100 },
        now: () => clock.now(),
      })
    })

    afterAll(async () => {
      releaseFetch()
      await sim?.close()
    })

    it('given the manifest, when validated, then it is accepted and its id equals its folder', () => {
      expect(platform.definition.id).toBe(folder.split('/').at(-1))
      expect(platform.definition.capabilities.metrics.length).toBeGreaterThan(0)
    })

    it('given the connection fields, when compared with the zod schema, then they describe the same fields with label, help and example', () => {
      expect(Object.keys(platform.definition.connection.schema.shape)).toEqual(platform.fieldNames)
      for (const name of platform.fieldNames) {
        const f = platform.definition.connection.fields[name]!
        expect(f.label.trim().length, `${name}.label`).toBeGreaterThan(0)
        expect(f.help.trim().length, `${name}.help`).toBeGreaterThan(10)
        expect(f.example.trim().length, `${name}.example`).toBeGreaterThan(0)
        expect(f.secret).toBe(f.kind === 'secret')
      }
      if (platform.definition.capabilities.perProgramHost) {
        expect(
          platform.definition.connection.fields.baseUrl?.kind,
          'per-program platforms take a baseUrl field',
        ).toBe('url')
      }
    })

    it('given each simulator account, when its connection is parsed, then it is valid', () => {
      for (const account of sim.accounts) {
        const result = platform.definition.connection.schema.safeParse(account.connection)
        expect(result.success, JSON.stringify(result.error?.issues)).toBe(true)
      }
    })

    it('given a required field left empty, when parsed, then it fails with that field path', () => {
      const valid = firstAccount().connection
      for (const name of platform.fieldNames) {
        if (!platform.definition.connection.fields[name]!.required) continue
        const result = platform.definition.connection.schema.safeParse({ ...valid, [name]: '' })
        expect(result.success, `${name} empty`).toBe(false)
        expect(
          result.error?.issues.some((i) => i.path[0] === name),
          `${name} path`,
        ).toBe(true)
        const missing = { ...valid }
        delete missing[name]
        expect(platform.definition.connection.schema.safeParse(missing).success, `${name} missing`).toBe(
          false,
        )
      }
    })

    it('given valid credentials, when checked against the simulator, then the check succeeds', async () => {
      const result = await run(() =>
        runner.check(platform, parse(firstAccount().connection), { accountKey: 'c-ok' }),
      )
      expect(result).toBeTypeOf('object')
    })

    it('given credentials the platform refuses, when checked, then an AuthError is thrown and nothing is retried', async () => {
      const before = sim.log.length
      const error = await run(() =>
        runner.check(platform, parse(sim.invalidConnection()), { accountKey: 'c-bad' }),
      ).catch((e) => e)
      expect(error?.code).toBe('PLATFORM_AUTH')
      expect(sim.log.length - before, 'an auth failure is never retried').toBeLessThanOrEqual(
        platform.definition.simulator.faults.includes('expired-token') ? 3 : 2,
      )
    })

    it('given a platform outage, when checked, then an UnavailableError is thrown after bounded retries', async () => {
      sim.faults.inject('outage')
      try {
        const error = await run(() =>
          runner.check(platform, parse(firstAccount().connection), { accountKey: 'c-outage' }),
        ).catch((e) => e)
        expect(error?.code).toBe('PLATFORM_UNAVAILABLE')
      } finally {
        sim.faults.clear('outage')
      }
    })

    it('given a window spanning several pages and request windows, when fetched, then the rows equal the ground truth exactly and the requests kept within the declared limits', async () => {
      for (const [i, account] of sim.accounts.entries()) {
        const window = daysAgoWindow(3, Math.min(45, platform.definition.limits.maxWindowDays + 7))
        const before = sim.log.length
        const released = releases.length
        const rows = await run(() =>
          runner.fetchReport(platform, parse(account.connection), window, { accountKey: `c-full-${i}` }),
        )
        const truth = sim.truth(account.key, window)
        expect(truth.length, 'the simulator has data for the window').toBeGreaterThan(5)
        expect(sortRows(rows)).toEqual(sortRows(truth))
        // Every request that reached the platform was let out by the limiters, and their release times (the host's
        // own clock, free of network jitter) keep to both limits: one account calls one host here, so both bind.
        const arrivals = sim.log.length - before
        const stamps = releases.slice(released)
        expect(stamps.length, 'requests let out by the rate limiters').toBeGreaterThanOrEqual(arrivals)
        const { perHost, perAccount } = platform.definition.limits
        for (const [name, limit] of [
          ['per host', perHost],
          ['per account', perAccount],
        ] as [string, RateLimit | undefined][]) {
          if (!limit) continue
          expect(densest(stamps, limit.intervalMs * RATE_LIMIT_TIME_SCALE), name).toBeLessThanOrEqual(
            limit.requests,
          )
        }
      }
    })

    it('given a window before the account had any activity, when fetched, then the report is empty', async () => {
      const rows = await run(() =>
        runner.fetchReport(
          platform,
          parse(firstAccount().connection),
          { from: '2019-01-01', to: '2019-01-20' },
          { accountKey: 'c-empty' },
        ),
      )
      expect(rows).toEqual([])
    })

    it('given one rate-limit answer, when fetched, then the plugin waits, retries and still returns the ground truth', async () => {
      const window = daysAgoWindow(10, 10)
      const account = firstAccount()
      sim.faults.inject('rate-limit', { times: 1, delayMs: 300 })
      const rows = await run(() =>
        runner.fetchReport(platform, parse(account.connection), window, { accountKey: 'c-429' }),
      )
      expect(sim.faults.hits('rate-limit')).toBe(1)
      expect(sortRows(rows)).toEqual(sortRows(sim.truth(account.key, window)))
    })

    // Every fault the simulator reproduces, in the platform's own way, ends in the right typed error or a successful
    // retry: never a crash, never rows that are only part of the window.
    const FAULT_CASES: {
      fault: FaultName
      given: string
      options: FaultOptions
      result: string
      expect: 'truth' | string[]
      slowRunner?: boolean
    }[] = [
      {
        fault: 'connection-reset',
        given: 'one dropped connection',
        options: { times: 1 },
        result: 'retried to the full truth',
        expect: 'truth',
      },
      {
        fault: 'slow',
        given: 'a slow answer within the deadline',
        options: { times: 2, delayMs: 300 },
        result: 'waited for to the full truth',
        expect: 'truth',
      },
      {
        fault: 'slow',
        given: 'a platform that stops answering',
        options: { delayMs: 5_000 },
        result: 'abandoned at the deadline as unavailable',
        expect: ['PLATFORM_UNAVAILABLE'],
        slowRunner: true,
      },
      {
        fault: 'outage',
        given: 'an outage on every request',
        options: {},
        result: 'reported as unavailable',
        expect: ['PLATFORM_UNAVAILABLE'],
      },
      {
        fault: 'rate-limit',
        given: 'a rate limit that never lifts',
        options: { delayMs: 50 },
        result: 'reported as rate limited or unavailable',
        expect: ['PLATFORM_RATE_LIMITED', 'PLATFORM_UNAVAILABLE'],
      },
      {
        fault: 'malformed',
        given: 'a body that is not the report',
        options: {},
        result: 'reported as a format error or unavailable',
        expect: ['PLATFORM_RESPONSE_FORMAT', 'PLATFORM_UNAVAILABLE'],
      },
      {
        fault: 'truncated',
        given: 'a body cut short after the first answer',
        options: { after: 1 },
        result: 'refused whole, not returned in part',
        expect: ['PLATFORM_RESPONSE_FORMAT', 'PLATFORM_UNAVAILABLE'],
      },
      {
        fault: 'truncated',
        given: 'one body cut short',
        options: { times: 1 },
        result: 'retried to the truth or refused whole',
        expect: ['truth', 'PLATFORM_RESPONSE_FORMAT', 'PLATFORM_UNAVAILABLE'],
      },
      {
        fault: 'expired-token',
        given: 'credentials that expire',
        options: { times: 1 },
        result: 'renewed to the truth or refused as an auth error',
        expect: ['truth', 'PLATFORM_AUTH'],
      },
      {
        fault: 'missing-permission',
        given: 'credentials lacking the report permission',
        options: {},
        result: 'refused as an auth error',
        expect: ['PLATFORM_AUTH'],
      },
    ]
    for (const c of FAULT_CASES) {
      it(`given ${c.given} (${c.fault}), when a report is fetched, then it is ${c.result}`, async (test) => {
        if (!platform.definition.simulator.faults.includes(c.fault))
          test.skip(`the simulator does not reproduce ${c.fault}`)
        const account = firstAccount()
        // Breaking a report midway needs one spanning several requests; the other faults need only a short one.
        const window = c.options.after
          ? daysAgoWindow(3, Math.min(45, platform.definition.limits.maxWindowDays + 7))
          : daysAgoWindow(3, 4)
        const truth = sortRows(sim.truth(account.key, window))
        sim.faults.clear()
        sim.faults.inject(c.fault, c.options)
        const started = performance.now()
        let outcome: ReportRow[] | { code?: string; message?: string }
        try {
          outcome = await run(() =>
            (c.slowRunner ? impatient : runner).fetchReport(platform, parse(account.connection), window, {
              accountKey: `c-fault-${c.fault}-${FAULT_CASES.indexOf(c)}`,
            }),
          )
        } catch (error) {
          outcome = error as { code?: string }
        } finally {
          sim.faults.clear()
        }
        expect(sim.faults.hits(c.fault), 'the fault was met').toBeGreaterThan(0)
        const allowed = c.expect === 'truth' ? ['truth'] : c.expect
        if (Array.isArray(outcome)) {
          expect(allowed, 'rows came back').toContain('truth')
          expect(sortRows(outcome)).toEqual(truth)
        } else {
          expect(allowed, `${outcome.code}: ${outcome.message}`).toContain(outcome.code)
          expect(outcome.message?.length, 'the error says what happened').toBeGreaterThan(10)
        }
        // Two attempts that waited the platform out would take 10 s (5 s each); abandoning each at the 1.5 s deadline
        // takes about 3.2 s, and up to 6.8 s was seen on a 2-core runner busy with other test files.
        if (c.slowRunner) expect(performance.now() - started, 'the deadline held').toBeLessThan(9_000)
      })
    }

    // Payments are optional: a plugin that does not declare `capabilities.payments` skips these, as a simulator that
    // does not reproduce a fault skips its case above.
    const paymentsOf = (test: { skip: (note?: string) => void }) => {
      const capability = platform.definition.capabilities.payments
      if (!capability) test.skip('the plugin does not declare capabilities.payments')
      return capability!
    }
    /** From the 15th of the month four months back to the 10th of last month: whole months and two partial ones. */
    const paymentsWindow = (): DateWindow => {
      const now = clock.now()
      const monthDay = (monthsBack: number, day: number) =>
        new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsBack, day))
          .toISOString()
          .slice(0, 10)
      return { from: monthDay(4, 15), to: monthDay(1, 10) }
    }

    it('given the payments capability, when its evidence is looked up in the loaded plugin, then it names a fact of topic payments', (test) => {
      const capability = paymentsOf(test)
      const fact = platform.definition.evidence?.find((f) => f.id === capability.evidence)
      expect(fact?.topic, `${platform.definition.id}: evidence "${capability.evidence}"`).toBe('payments')
      expect(capability.maxWindowDays, `${platform.definition.id}: maxWindowDays`).toBeGreaterThan(0)
    })

    it('given a window of several months, when payments are fetched twice through the host, then every row is valid, overlaps the window and keeps its unique reference', async (test) => {
      paymentsOf(test)
      const window = paymentsWindow()
      const connection = parse(firstAccount().connection)
      const rows = await run(() =>
        runner.fetchPayments(platform, connection, window, { accountKey: 'c-payments' }),
      )
      expect(rows.length, `the simulator has payments for ${window.from}…${window.to}`).toBeGreaterThan(0)
      const id = platform.definition.id
      for (const row of rows) {
        const parsed = paymentRowSchema.safeParse(row)
        expect(parsed.success, `${id}: ${JSON.stringify(row)} ${JSON.stringify(parsed.error?.issues)}`).toBe(
          true,
        )
        expect(parsed.data, `${id}: the row is already normalised`).toEqual(row)
        expect(row.periodFrom <= row.periodTo, `${id} ${row.reference}: period in order`).toBe(true)
        expect(
          row.periodFrom <= window.to && row.periodTo >= window.from,
          `${id} ${row.reference}: ${row.periodFrom}…${row.periodTo} overlaps ${window.from}…${window.to}`,
        ).toBe(true)
        expect(typeof row.amount, `${id} ${row.reference}: amount`).toBe('string')
        expect(isDecimalString(row.amount), `${id} ${row.reference}: amount "${row.amount}"`).toBe(true)
        expect(row.amount, `${id} ${row.reference}: amount`).toMatch(/^-?\d+(\.\d+)?$/)
        if (row.paidOn !== null)
          expect(row.paidOn >= row.periodFrom, `${id} ${row.reference}: paid after`).toBe(true)
      }
      const references = rows.map((r) => r.reference)
      expect(new Set(references).size, `${id}: references are unique`).toBe(references.length)
      const again = await run(() =>
        runner.fetchPayments(platform, connection, window, { accountKey: 'c-payments-again' }),
      )
      const sorted = (list: PaymentRow[]) => list.map((r) => r.reference).sort()
      expect(sorted(again), `${id}: the same window read again keeps its references`).toEqual(sorted(rows))
    })

    it('given a platform outage, when payments are fetched, then an UnavailableError is thrown after bounded retries', async (test) => {
      paymentsOf(test)
      if (!platform.definition.simulator.faults.includes('outage'))
        test.skip('the simulator does not reproduce outage')
      sim.faults.clear()
      sim.faults.inject('outage')
      const before = sim.log.length
      let error: { code?: string; message?: string } | undefined
      try {
        error = await run(() =>
          runner.fetchPayments(platform, parse(firstAccount().connection), paymentsWindow(), {
            accountKey: 'c-payments-outage',
          }),
        ).then(
          () => undefined,
          (e: { code?: string }) => e,
        )
      } finally {
        sim.faults.clear()
      }
      expect(sim.faults.hits('outage'), 'the fault was met').toBeGreaterThan(0)
      expect(error?.code, `${error?.code}: ${error?.message}`).toBe('PLATFORM_UNAVAILABLE')
      expect(error?.message?.length, 'the error says what happened').toBeGreaterThan(10)
      // The host's client makes 3 attempts of a request; the first request failing ends the fetch.
      expect(sim.log.length - before, 'retries are bounded').toBeLessThanOrEqual(6)
    })

    it('given credentials the platform refuses, when payments are fetched, then an AuthError is thrown', async (test) => {
      paymentsOf(test)
      const error = await run(() =>
        runner.fetchPayments(platform, parse(sim.invalidConnection()), paymentsWindow(), {
          accountKey: 'c-payments-bad',
        }),
      ).then(
        () => undefined,
        (e: { code?: string; message?: string }) => e,
      )
      expect(error?.code, `${error?.code}: ${error?.message}`).toBe('PLATFORM_AUTH')
    })

    it('given every call made by this suite, when errors and log lines are swept, then no secret appears in any of them', async () => {
      // One more failing call with a known secret in the request, to make sure the sweep has something to sweep.
      sim.faults.inject('malformed', { times: 5 })
      await run(() =>
        runner.fetchReport(platform, parse(firstAccount().connection), daysAgoWindow(1, 2), {
          accountKey: 'c-bad-body',
        }),
      ).catch(() => undefined)
      sim.faults.clear()
      // And one failing payments call, so that the payments path is swept too.
      if (platform.definition.capabilities.payments) {
        sim.faults.inject('malformed', { times: 5 })
        await run(() =>
          runner.fetchPayments(platform, parse(firstAccount().connection), paymentsWindow(), {
            accountKey: 'c-payments-bad-body',
          }),
        ).catch(() => undefined)
        sim.faults.clear()
      }
      expect(secretsSeen.size).toBeGreaterThan(0)
      expect(errorsSeen.length).toBeGreaterThan(2)
      const haystacks = [
        capture.text(),
        ...errorsSeen.map((e) => {
          const err = e as Error & { cause?: unknown }
          return `${err?.message}\n${err?.stack}\n${JSON.stringify(err)}\n${String(err?.cause)}`
        }),
      ]
      for (const secret of secretsSeen) {
        for (const hay of haystacks) expect(hay.includes(secret), 'a secret leaked').toBe(false)
      }
    })
  })
}
