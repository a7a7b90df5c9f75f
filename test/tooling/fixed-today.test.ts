import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HAS_CHROMIUM } from '../e2e/support/browser-harness.ts'

/**
 * The suite gives the same result on every day of the year: the tests whose outcome depends on where "today" falls
 * in the calendar run again here with the suite's clock (`AFFGRAPH_TEST_NOW`) and the process time zone set to the
 * awkward days. Each case is a separate vitest run, as a developer would start it on that day.
 */
const TODAYS = [
  { name: 'the first day of a month, just after midnight UTC', now: '2026-03-01T00:20:00Z', tz: 'UTC' },
  { name: 'the last day of a month, just before midnight UTC', now: '2026-04-30T23:35:00Z', tz: 'UTC' },
  { name: '29 February', now: '2024-02-29T12:00:00Z', tz: 'UTC' },
  { name: '31 December, late evening', now: '2025-12-31T23:30:00Z', tz: 'Asia/Tokyo' },
  // 03:30 local, half an hour after New York's clocks jumped from 02:00 to 03:00.
  { name: 'the day clocks go forward in New York', now: '2026-03-08T07:30:00Z', tz: 'America/New_York' },
  // 02:30 local, just after London's clocks jumped from 01:00 to 02:00.
  { name: 'the day clocks go forward in London', now: '2026-03-29T01:30:00Z', tz: 'Europe/London' },
  // 01:30 local, in the hour London lives twice.
  { name: 'the day clocks go back in London', now: '2025-10-26T01:30:00Z', tz: 'Europe/London' },
  // The day two month-crossing tests were found failing: the 40-day stats range touches three months.
  { name: 'the third day of a month', now: '2026-12-03T09:00:00Z', tz: 'Europe/London', browser: true },
]

/** Tests whose assertions move with the calendar: month boundaries, windows, "yesterday", time zones. */
const DATE_SENSITIVE = [
  { file: 'test/sync/calendar.test.ts', name: 'calendar at' },
  // NetRefer cuts windows at month ends: a week before a month's first days makes two runs, not one.
  { file: 'test/sync/cross-platform.test.ts', name: 'AUTH_FAILED' },
]
const BROWSER = { file: 'test/e2e/web-app.e2e.test.ts', name: 'connects a SoftSwiss program' }

const REPO = resolve(import.meta.dirname, '../..')
const VITEST = join(REPO, 'node_modules/vitest/vitest.mjs')
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

interface VitestJson {
  numPassedTests: number
  numFailedTests: number
  testResults: {
    name: string
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[]
  }[]
}

async function runAt(today: (typeof TODAYS)[number], cases: { file: string; name: string }[]) {
  const dir = await mkdtemp(join(tmpdir(), 'affgraph-fixed-today-'))
  const out = join(dir, 'result.json')
  const env: NodeJS.ProcessEnv = {}
  // The child is a fresh run: nothing of this run's vitest state, only the day and the zone.
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(VITEST|TINYPOOL|AFFGRAPH_TEST_NOW$|TZ$|NODE_OPTIONS$)/.test(key))
      env[key] = value
  }
  env.AFFGRAPH_TEST_NOW = today.now
  env.TZ = today.tz
  const args = [
    VITEST,
    'run',
    ...cases.map((c) => c.file),
    '-t',
    cases.map((c) => escapeRegExp(c.name)).join('|'),
    '--reporter=json',
    `--outputFile=${out}`,
  ]
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    output += c
  })
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    output += c
  })
  const code = await new Promise<number | null>((done) => child.once('close', done))
  try {
    const report = JSON.parse(await readFile(out, 'utf8')) as VitestJson
    return { code, report, output }
  } catch {
    return { code, report: null, output }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Every test source file: the suite's own and the plugins'. */
function testSources(): string[] {
  const found: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(path)
      else if (/\.ts$/.test(entry.name) && (dir.startsWith('test') || entry.name.endsWith('.test.ts')))
        found.push(path)
    }
  }
  walk('test')
  walk('plugins')
  return found
}

describe('tests take "today" from the suite clock', () => {
  it('given every test source, when searched, then no day is computed from the wall clock', () => {
    // A day string built from Date.now() or new Date() moves with the calendar: use testDay/testWindow/suiteClock.
    const wallClockDay =
      /(Date\.now\(\)|new Date\(\))[^\n;]*\.toISOString\(\)\.slice\(0, ?10\)|iso\(Date\.now\(\)|trailingWindow\([^)]*\bnew Date\(\)/
    const sources = testSources()
    expect(sources.length).toBeGreaterThan(50)
    const offenders = sources.flatMap((file) =>
      readFileSync(join(REPO, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (wallClockDay.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    )
    expect(offenders).toEqual([])
  })
})

describe('the date-sensitive tests on awkward days of the calendar', () => {
  for (const today of TODAYS) {
    const cases =
      today.browser && (HAS_CHROMIUM || process.env.CI) ? [...DATE_SENSITIVE, BROWSER] : DATE_SENSITIVE
    it(`given today is ${today.name} (${today.now}, TZ=${today.tz}), when they run, then every one passes`, async () => {
      const { code, report, output } = await runAt(today, cases)
      expect(report, `no report from the run:\n${output.slice(-3000)}`).not.toBeNull()
      const failed = report!.testResults.flatMap((f) =>
        f.assertionResults
          .filter((a) => a.status === 'failed')
          .map((a) => `${a.fullName}\n${a.failureMessages.join('\n').slice(0, 1500)}`),
      )
      expect(failed).toEqual([])
      const ran = report!.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'passed'))
      // Each named test really ran: a rename must not empty the check.
      for (const c of cases) {
        expect(
          ran.some((a) => a.fullName.includes(c.name)),
          `${c.file}: "${c.name}" ran`,
        ).toBe(true)
      }
      expect(code).toBe(0)
    }, 300_000)
  }
})
