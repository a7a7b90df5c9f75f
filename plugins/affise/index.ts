import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'
import { MAX_WINDOW_DAYS } from './wire.ts'

export default definePlatform({
  id: 'affise',
  name: 'Affise',
  version: '0.1.0',
  docsUrl: 'https://api.affise.com/docs3.1/',
  description:
    "Affiliate accounts at CPA networks that run on Affise, each with its own API host. Reads the affiliate API's " +
    'custom statistics (clicks, paying conversions and payouts, declined ones left out) per day, offer and sub1 ' +
    'with the affiliate API key, in the payout currency the connection names.',
  connection,
  limits: {
    // Nothing is published (per-key limits that vary by plan) [assumed]: a gentle pace per key and per network.
    maxWindowDays: MAX_WINDOW_DAYS,
    perAccount: { requests: 2, intervalMs: 1000 },
    perHost: { requests: 5, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // affgraph sends timezone=UTC unless the connection names a zone, which check() then reports.
    timeZone: 'UTC',
    perProgramHost: true,
    // The revisions fact in evidence.ts: how long this platform's figures keep changing.
    lookbackDays: 60,
    // Inferred from the hold and review statuses: figures change for weeks.
    revisionHorizon: { days: 60, evidence: 'hold-revisions' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
