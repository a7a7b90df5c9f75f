import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type EcbSimulator, SIMULATED_CURRENCY_CODES, startEcbSimulator } from '../../src/fx/ecb-simulator.ts'
import { killAllProcesses, makeTempDir, runToCompletion } from '../server/support/affgraph-process.ts'
import { createScratchPostgresDatabase } from '../support/test-database.ts'

const CLI = 'src/fx/fx.cli.ts'
const FIXTURES = join(import.meta.dirname, 'fixtures')

/**
 * The CLI runs as a child process on a data dir of its own (PGlite) or a scratch PostgreSQL database. PGlite is
 * single-process, so the commands run one after the other; the tests build on each other, in order.
 */
describe('fx CLI', () => {
  let dataDir: { path: string; remove: () => Promise<void> }
  let postgres: { url: string; drop: () => Promise<void> } | null = null
  let simulator: EcbSimulator
  const cli = (...args: string[]) =>
    runToCompletion(CLI, args, {
      AFFGRAPH_DATA_DIR: dataDir.path,
      AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
      AFFGRAPH_LOG_LEVEL: 'warn',
      ...(postgres ? { DATABASE_URL: postgres.url } : {}),
    })

  beforeAll(async () => {
    dataDir = await makeTempDir('fx-cli')
    postgres = await createScratchPostgresDatabase()
    simulator = await startEcbSimulator({ seed: 'cli', from: '2024-01-01', to: '2024-03-13' })
  })
  afterEach(killAllProcesses)
  afterAll(async () => {
    await killAllProcesses()
    await simulator?.close()
    await postgres?.drop()
    await dataDir?.remove()
  })

  it('given no command, an unknown one or a bad --file, when run, then the usage goes to stderr and the exit code is 2', async () => {
    const cases = [[], ['export'], ['import'], ['fetch', '--file', 'weekly'], ['fetch', '--bogus']]
    const runs = await Promise.all(cases.map((args) => cli(...args)))
    for (const [i, run] of runs.entries()) {
      expect(run.code, cases[i]?.join(' ')).toBe(2)
      expect(run.stderr).toContain('usage:')
      expect(run.stdout).toBe('')
    }
  }, 120_000)

  it('given the hist CSV, when imported twice, then the first run stores every rate and the second changes nothing', async () => {
    const file = join(FIXTURES, 'eurofxref-hist.csv')
    const first = await cli('import', file)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe(
      'ECB: 12 rates on 3 days (2022-12-30..2024-03-08): 12 inserted, 0 updated, 0 unchanged\n',
    )
    const second = await cli('import', file)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toBe(
      'ECB: 12 rates on 3 days (2022-12-30..2024-03-08): 0 inserted, 0 updated, 12 unchanged\n',
    )
  }, 120_000)

  it('given a malformed file, when imported, then the exit code is 1 and stderr names the problem and its code', async () => {
    const run = await cli('import', join(FIXTURES, 'eurofxref.csv.missing'))
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('ENOENT')
    const bad = await cli('import', join(import.meta.dirname, 'fx-cli.test.ts'))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/affgraph fx: .*\[FX_FORMAT_INVALID\]/)
  }, 120_000)

  it('given the simulator on an allowed loopback address, when the daily file is fetched, then its rates are stored as ECB-SIMULATED', async () => {
    const run = await cli('fetch', '--url', simulator.url)
    expect(run.code, run.stderr).toBe(0)
    const n = SIMULATED_CURRENCY_CODES.length
    expect(run.stdout).toBe(
      `ECB-SIMULATED: ${n} rates on 1 day (2024-03-13): ${n} inserted, 0 updated, 0 unchanged\n`,
    )
    expect(simulator.log.map((r) => r.path)).toContain('/stats/eurofxref/eurofxref-daily.xml')
  }, 120_000)
})
