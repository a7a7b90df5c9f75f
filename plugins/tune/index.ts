import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'

export default definePlatform({
  id: 'tune',
  name: 'TUNE (HasOffers)',
  graphqlName: 'Tune',
  version: '0.1.0',
  docsUrl:
    'https://support.tune.com/hc/en-us/articles/1500007741162-What-Administrators-Should-Know-About-the-Partner-Interface',
  description:
    'CPA networks run on TUNE (HasOffers). Reads Affiliate_Report::getStats (impressions, clicks, conversions, ' +
    'payout, sale amount) per day, offer, aff_sub and currency with the affiliate API key the network issues, on ' +
    'the network’s own API host.',
  connection,
  limits: {
    // Nothing is published for the affiliate API: modest assumptions. Each network has its own API host.
    maxWindowDays: 31,
    perHost: { requests: 20, intervalMs: 10_000 },
    perAccount: { requests: 10, intervalMs: 10_000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Assumed: stats days are the network's days; no zone is named in the answer.
    timeZone: 'UTC',
    perProgramHost: false,
    // The revisions fact in evidence.ts: how long this platform's figures keep changing.
    lookbackDays: 45,
    // Inferred: each network approves on its own schedule.
    revisionHorizon: { days: 45, evidence: 'revisions' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
