import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'
import { MAX_WINDOW_DAYS } from './wire.ts'

export default definePlatform({
  id: 'cake',
  name: 'CAKE',
  graphqlName: 'Cake',
  version: '0.1.0',
  docsUrl:
    'https://getcake.freshdesk.com/support/solutions/articles/5000546487--reports-performancesummary-v2-affiliate',
  description:
    "Affiliate networks run on CAKE, each on its own domain. Reads the affiliate API's daily summary (clicks, " +
    'conversions, revenue) per day with the affiliate id and API key the network issues.',
  connection,
  limits: {
    // One month at most a pull [KB]; no request rate is published: modest assumptions.
    maxWindowDays: MAX_WINDOW_DAYS,
    perHost: { requests: 2, intervalMs: 1000 },
    perAccount: { requests: 1, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Assumed: the network's days; no zone is named in the answer.
    timeZone: 'UTC',
    perProgramHost: true,
    // The revisions fact in evidence.ts: how long this platform's figures keep changing.
    lookbackDays: 30,
    // Assumed: each network sets its own approval period.
    revisionHorizon: { days: 30, evidence: 'approval-period' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
