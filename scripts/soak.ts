import { parseArgs } from 'node:util'
import { findPostgresBin } from '../test/support/private-postgres.ts'
import { formatFigures, runSoak, type SoakFigures } from '../test/support/soak-harness.ts'

/**
 * The long "nothing lost" soak: `npm run soak -- --seeds 1,2,3 --accounts 200 --days 120`. Each seed gets a
 * private PostgreSQL cluster (restarted once), fresh simulators of every bundled platform and its own faults and
 * kills; the figures of every seed are printed, and the exit code is 1 when any seed lost or duplicated anything.
 */
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    accounts: { type: 'string', default: '200' },
    days: { type: 'string', default: '120' },
    workers: { type: 'string', default: '3' },
    'fault-rate': { type: 'string', default: '0.2' },
    'revise-share': { type: 'string', default: '0.05' },
    'crash-probability': { type: 'string', default: '0.03' },
    'chaos-seconds': { type: 'string', default: '120' },
    'settle-seconds': { type: 'string', default: '600' },
    // Long enough for an honest run once a platform's burst is spent (ClickBank: one request per 4.4 s per account).
    'job-timeout-seconds': { type: 'string', default: '180' },
  },
  allowPositionals: false,
})

if (!findPostgresBin()) {
  process.stderr.write(
    'soak: needs the PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql\n',
  )
  process.exit(2)
}

const failed: SoakFigures[] = []
for (const seed of values.seeds.split(',').map((s) => Number(s.trim()))) {
  const { figures, samples } = await runSoak({
    seed,
    accounts: Number(values.accounts),
    days: Number(values.days),
    workers: Number(values.workers),
    faultRate: Number(values['fault-rate']),
    reviseShare: Number(values['revise-share']),
    crashProbability: Number(values['crash-probability']),
    chaosMs: Number(values['chaos-seconds']) * 1000,
    settleTimeoutMs: Number(values['settle-seconds']) * 1000,
    jobTimeoutSeconds: Number(values['job-timeout-seconds']),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(`${formatFigures(figures)}\n`)
  for (const line of samples) process.stdout.write(`  ! ${line}\n`)
  const lost =
    figures.differences > 0 ||
    figures.duplicateKeys > 0 ||
    figures.rollupDifferences > 0 ||
    figures.jobsNotDone > 0 ||
    figures.runsNotSucceeded > 0 ||
    figures.overBudgetHosts.length > 0 ||
    figures.revisionsRecorded < figures.revisionsCheckable
  if (lost) failed.push(figures)
}
process.exit(failed.length > 0 ? 1 : 0)
