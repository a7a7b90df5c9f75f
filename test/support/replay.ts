import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CaptureFile, parseCaptureFile } from '../../src/capture/capture-file.ts'
import { createReplayTransport } from '../../src/capture/replay-transport.ts'
import type { TransportResponse } from '../../src/http/http-client.ts'
import { createRateLimiterRegistry } from '../../src/http/rate-limiter.ts'
import { createSsrfGuard } from '../../src/http/ssrf-guard.ts'
import type { LoadedPlatform } from '../../src/platform/platform-registry.ts'
import { PlatformRunner } from '../../src/platform/platform-runner.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugin } from '../../src/platform/plugin-loader.ts'
import { isPlatformError, type ReportRow, reportRowSchema } from '../../src/sdk/index.ts'
import { captureLogs } from './log-capture.ts'
import { sortRows } from './plugin-harness.ts'

/**
 * Replays capture files through the host's real runner: `ctx.http` is answered from the file, everything else
 * (the plugin, its checks, the host's retries, row validation, window splitting, redaction) is production code.
 * In a plugin's test file, one line replays every `replays/*.capture.json` of its folder and compares the rows
 * with the `<name>.expected.json` beside each:
 *
 *     defineReplayTests(import.meta.dirname)
 */

export interface ReplayError {
  code: string
  message: string
  field?: string
}

export interface ReplayOutcome {
  capture: CaptureFile
  /** The rows the runner returned, sorted like `sortRows`; empty when the fetch failed. */
  rows: ReportRow[]
  /** The error the fetch ended with, as the host would report it; null on success. */
  error: ReplayError | null
  /** Requests no recorded exchange answered, each with why. */
  unmatched: string[]
  /** Recorded exchanges no request asked for. */
  unused: string[]
  logs: ReturnType<typeof captureLogs>
}

/** What a replay must give: the rows (as a program's own report shows them) or the error. */
export type ReplayExpectation =
  | { note?: string; rows: Record<string, unknown>[] }
  | { note?: string; error: { code: string; field?: string; messageIncludes?: string } }

const pluginCache = new Map<string, Promise<LoadedPlatform>>()
const loadOnce = (folder: string) => {
  let loaded = pluginCache.get(folder)
  if (!loaded) {
    loaded = loadPlugin(folder)
    pluginCache.set(folder, loaded)
  }
  return loaded
}

/**
 * The host honours a recorded Retry-After it waited for live (two minutes at most); a replay has nothing to wait
 * for, so such waits become zero. Longer ones stay: the live run gave up on them, and so must the replay.
 */
function withoutWaits(response: TransportResponse): TransportResponse {
  const retryAfter = response.headers['retry-after']
  if (retryAfter === undefined || !/^\d+$/.test(retryAfter.trim()) || Number(retryAfter) > 120)
    return response
  return { ...response, headers: { ...response.headers, 'retry-after': '0' } }
}

/**
 * Replays one capture (a file path or a parsed file) through a fresh runner whose clock stands at the capture's
 * `recordedAt`. The plugin is the folder given, or the bundled plugin the capture names.
 */
export async function replayCapture(
  capture: string | CaptureFile,
  options: { pluginFolder?: string } = {},
): Promise<ReplayOutcome> {
  const file =
    typeof capture === 'string' ? parseCaptureFile(readFileSync(capture, 'utf8'), basename(capture)) : capture
  const folder = options.pluginFolder ?? join(BUNDLED_PLUGIN_DIR, file.platform.id)
  const platform = await loadOnce(folder)
  if (platform.definition.id !== file.platform.id) {
    throw new Error(
      `the capture is of platform "${file.platform.id}", the plugin in ${folder} is "${platform.definition.id}"`,
    )
  }
  const logs = captureLogs()
  const recordedAt = new Date(file.recordedAt)
  // As many attempts per request as the live host made: a request that failed every attempt fails here too.
  const attempts = Math.max(1, ...file.exchanges.map((e) => e.attempt))
  const runner = new PlatformRunner({
    // Nothing reaches the network: the transport answers every attempt, before the guard would be asked.
    guard: createSsrfGuard({ allow: [] }),
    rateLimiters: createRateLimiterRegistry(),
    logger: logs.logger,
    http: { totalTimeoutMs: 15_000, attempts, baseDelayMs: 1, maxDelayMs: 5 },
    now: () => new Date(recordedAt),
  })
  const replay = createReplayTransport(file)
  let rows: ReportRow[] = []
  let error: ReplayError | null = null
  try {
    rows = sortRows(
      await runner.fetchReport(platform, file.connection, file.window, {
        accountKey: `replay:${file.platform.id}`,
        transport: async (request) => withoutWaits(await replay.transport(request)),
      }),
    )
  } catch (thrown) {
    const code = isPlatformError(thrown)
      ? thrown.code
      : String((thrown as { code?: unknown }).code ?? (thrown as Error).name)
    const field = isPlatformError(thrown) ? thrown.field : undefined
    error = { code, message: (thrown as Error).message, ...(field ? { field } : {}) }
  }
  return { capture: file, rows, error, unmatched: [...replay.unmatched], unused: replay.unused(), logs }
}

/** The expected figures written beside a capture: `<name>.expected.json` for `<name>.capture.json`. */
export function readExpectation(capturePath: string): ReplayExpectation {
  const path = capturePath.replace(/\.capture\.json$/, '.expected.json')
  if (!existsSync(path)) {
    throw new Error(
      `${basename(path)} is missing: write beside the capture the rows the program's own report shows for its ` +
        'window ({ "rows": [...] }), or the error the fetch must end with ({ "error": { "code": … } })',
    )
  }
  return JSON.parse(readFileSync(path, 'utf8')) as ReplayExpectation
}

/** Fails, naming what differs, unless the replay gave exactly what the expectation says. */
export function expectReplayToMeet(outcome: ReplayOutcome, expected: ReplayExpectation): void {
  expect(outcome.unmatched, 'requests the capture has no answer for').toEqual([])
  if ('rows' in expected) {
    expect(outcome.error, 'the replayed fetch failed').toBeNull()
    const want = sortRows(expected.rows.map((row) => reportRowSchema.parse(row)))
    expect(rowDifferences(outcome.rows, want), 'replayed rows against the expected figures').toEqual([])
  } else {
    expect(outcome.error?.code, `the replay returned ${outcome.rows.length} rows instead of failing`).toBe(
      expected.error.code,
    )
    if (expected.error.field) expect(outcome.error?.field).toBe(expected.error.field)
    if (expected.error.messageIncludes)
      expect(outcome.error?.message).toContain(expected.error.messageIncludes)
  }
  expect(outcome.unused, 'recorded exchanges the plugin never asked for').toEqual([])
}

const describeKey = (row: ReportRow) =>
  [
    row.date,
    row.brand ?? '(no brand)',
    row.campaign ?? '(no campaign)',
    row.currency ?? '(no currency)',
  ].join(' / ')

/** Each row missing, extra or different, and in what, as a line a failing test can print. */
export function rowDifferences(actual: ReportRow[], expected: ReportRow[]): string[] {
  const byKey = (rows: ReportRow[]) => new Map(rows.map((row) => [describeKey(row), row]))
  const got = byKey(actual)
  const want = byKey(expected)
  const out: string[] = []
  for (const [key, row] of want) {
    const other = got.get(key)
    if (!other) {
      out.push(`${key}: expected, not returned`)
      continue
    }
    for (const metric of Object.keys(row) as (keyof ReportRow)[]) {
      if (row[metric] !== other[metric])
        out.push(`${key}: ${metric} is ${String(other[metric])}, expected ${String(row[metric])}`)
    }
  }
  for (const key of got.keys()) if (!want.has(key)) out.push(`${key}: returned, not expected`)
  if (actual.length !== got.size || expected.length !== want.size)
    out.push('rows share a date, brand, campaign and currency')
  return out
}

/** The capture files of a plugin folder: `replays/*.capture.json`, sorted. */
export function replayFiles(pluginFolder: string): string[] {
  const dir = join(pluginFolder, 'replays')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => name.endsWith('.capture.json'))
    .sort()
    .map((name) => join(dir, name))
}

/** One test per capture file of the plugin folder; nothing when the folder has no `replays/`. */
export function defineReplayTests(pluginFolder: string | URL): void {
  const folder =
    typeof pluginFolder === 'string'
      ? pluginFolder
      : decodeURIComponent(pluginFolder.pathname).replace(/\/$/, '')
  const files = replayFiles(folder)
  if (files.length === 0) return
  describe(`replays of ${basename(folder)}`, () => {
    for (const path of files) {
      const name = basename(path)
      it(`given ${name}, when it is replayed through the runner, then the outcome is ${name.replace(/\.capture\.json$/, '.expected.json')}`, async () => {
        const expected = readExpectation(path)
        const outcome = await replayCapture(path, { pluginFolder: folder })
        expectReplayToMeet(outcome, expected)
      })
    }
  })
}
