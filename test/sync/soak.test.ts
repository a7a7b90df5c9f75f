import { describe, expect, it } from 'vitest'
import { findPostgresBin } from '../support/private-postgres.ts'
import { formatFigures, runSoak } from '../support/soak-harness.ts'
import { TEST_DATABASE_URL } from '../support/test-database.ts'

const skipReason = !TEST_DATABASE_URL
  ? 'needs PostgreSQL (AFFGRAPH_TEST_DATABASE_URL): worker processes cannot share the embedded PGlite'
  : !findPostgresBin()
    ? 'needs the PostgreSQL server binaries (initdb, pg_ctl) for a private cluster the test may restart'
    : null

/**
 * The short "nothing lost" soak (the long one is `npm run soak`): every bundled platform, faults in a fifth of
 * the upstream answers, workers dying by SIGKILL before a fetch, after it and halfway through a write, days
 * revised meanwhile and PostgreSQL restarted once. Runs on a private cluster so the restart hurts no other test.
 */
describe.skipIf(skipReason !== null)(
  `nothing-lost soak${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('given faults, worker kills at every crash point, revisions and a PostgreSQL restart, when the queue settles, then every stored day equals the truth and nothing is stuck, duplicated, unrecorded or over budget', async () => {
      const { figures, samples } = await runSoak({
        seed: 1,
        accounts: 24,
        days: 30,
        workers: 3,
        faultRate: 0.2,
        reviseShare: 0.05,
        crashProbability: 0.04,
        chaosMs: 20_000,
        settleTimeoutMs: 90_000,
        // Long enough for an honest run under faults and retries (limits run at the harness' time scale); a killed
        // worker's job still comes back well inside the settle time.
        jobTimeoutSeconds: 30,
      })
      process.stdout.write(`${formatFigures(figures)}\n`)
      expect(samples).toEqual([])
      expect(figures.differences).toBe(0)
      expect(figures.duplicateKeys).toBe(0)
      expect(figures.rollupDifferences).toBe(0)
      expect(figures.jobsNotDone).toBe(0)
      expect(figures.runsNotSucceeded).toBe(0)
      expect(figures.overBudgetHosts).toEqual([])
      expect(figures.revisionsRecorded).toBe(figures.revisionsCheckable)
      // The chaos really happened: otherwise the checks above prove nothing.
      expect(figures.accounts).toBe(24)
      expect(figures.pgRestarts).toBe(1)
      expect(figures.apiAfterRestart.recovered).toBe(true)
      expect(figures.faultShare).toBeGreaterThan(0.1)
      expect(
        figures.kills['before-fetch'] + figures.kills['after-fetch'] + figures.kills['mid-write'],
      ).toBeGreaterThan(0)
      expect(figures.revisionsCheckable).toBeGreaterThan(0)
    }, 180_000)
  },
)
