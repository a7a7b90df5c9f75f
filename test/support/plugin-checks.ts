import { expect, it } from 'vitest'
import type {
  DateWindow,
  FaultName,
  FaultOptions,
  HttpResponse,
  PlatformSimulator,
  ReportRow,
} from '../../src/sdk/index.ts'
import type { PluginHarness } from './plugin-harness.ts'
import { sortRows } from './plugin-harness.ts'

/** A platform error as a test sees it. */
export interface PlatformFailure {
  code?: string
  message: string
  field?: string
  retryAfterMs?: number
  stack?: string
}

/** The error `fn` throws; the test fails when it throws none. */
export function thrownBy(fn: () => unknown): PlatformFailure {
  try {
    fn()
  } catch (error) {
    return error as PlatformFailure
  }
  throw new Error('expected a throw')
}

/** The error a call ends in; the test fails when it succeeds. */
export function failureOf(promise: Promise<unknown>): Promise<PlatformFailure> {
  return promise.then(
    () => Promise.reject(new Error('expected a failure')),
    (error: PlatformFailure) => error,
  )
}

/** An answer as the host's HTTP client hands it to a plugin's `check`. */
export function httpAnswer(
  status: number,
  text: string,
  headers: Record<string, string> = {},
  url = 'https://platform.example/',
): HttpResponse {
  return { status, text, headers, url, json: <T>() => JSON.parse(text) as T }
}

/**
 * The secret sweep of a plugin's test file: calls made through `recorded` keep the errors they end in, `secret`
 * notes a credential the file's simulators issued, and `defineSweepTest` (declared last) checks that no noted
 * secret appears in any of those errors or in any log line the harness captured.
 */
export function useSecretSweep(harness: () => PluginHarness) {
  const errors: PlatformFailure[] = []
  const secrets = new Set<string>()
  return {
    secret(value: string) {
      secrets.add(value)
    },
    async recorded<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return await fn()
      } catch (error) {
        errors.push(error as PlatformFailure)
        throw error
      }
    },
    defineSweepTest() {
      it('given every call of this file, when errors and log lines are swept, then no credential appears in any of them', () => {
        expect(errors.length, 'calls that failed').toBeGreaterThan(5)
        expect(secrets.size, 'credentials noted').toBeGreaterThan(0)
        const haystacks = [
          harness().logs.text(),
          ...errors.map((e) => `${e.message}\n${e.stack}\n${JSON.stringify(e)}`),
        ]
        for (const secret of secrets) for (const hay of haystacks) expect(hay.includes(secret)).toBe(false)
      })
    },
  }
}

export interface FaultCase<O> {
  fault: FaultName
  options: FaultOptions
  /** Simulator options for this case. */
  sim?: O
  /** `truth`: the rows equal the simulator's truth; otherwise the error code the fetch ends in. */
  expect: 'truth' | string
  /** Requests the simulator saw in all, when the fetch must give up after exactly that many. */
  calls?: number
}

/** How a plugin's test file starts its simulator and fetches an account's report through the host. */
export interface SimulatedFetch<S extends PlatformSimulator, O> {
  start(options?: O): Promise<S>
  fetch(sim: S, window: DateWindow): Promise<ReportRow[]>
  window: DateWindow
  accountKey: string
}

/**
 * One test per fault: the simulator meets the fault, and the fetch through the host's runner ends in the truth or
 * in the expected error after the expected number of requests.
 */
export function defineFaultTests<S extends PlatformSimulator, O>(
  cases: readonly FaultCase<O>[],
  run: SimulatedFetch<S, O>,
): void {
  it.each(cases)(
    'given the $fault fault ($options), when a report is fetched, then it ends as $expect',
    async (c) => {
      const sim = await run.start(c.sim)
      sim.faults.inject(c.fault, c.options)
      const outcome = await run.fetch(sim, run.window).catch((error: PlatformFailure) => error)
      expect(sim.faults.hits(c.fault), 'the fault was met').toBeGreaterThan(0)
      if (c.expect === 'truth') {
        expect(sortRows(outcome as ReportRow[])).toEqual(sortRows(sim.truth(run.accountKey, run.window)))
      } else {
        expect((outcome as PlatformFailure).code, (outcome as PlatformFailure).message).toBe(c.expect)
        if (c.calls !== undefined) expect(sim.log).toHaveLength(c.calls)
      }
    },
  )
}

/** A past day the platform revises comes back with its new figures when fetched again. */
export function defineRevisionTest<S extends PlatformSimulator, O>(run: SimulatedFetch<S, O>): void {
  it('given a revised past day, when fetched again, then the new figures come back', async () => {
    const sim = await run.start()
    const day = { from: run.window.from, to: run.window.from }
    const before = sortRows(await run.fetch(sim, day))
    sim.revise(run.accountKey, day.from)
    const after = sortRows(await run.fetch(sim, day))
    expect(after).not.toEqual(before)
    expect(after).toEqual(sortRows(sim.truth(run.accountKey, day)))
  })
}
