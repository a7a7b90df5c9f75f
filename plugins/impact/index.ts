import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'
import { MAX_ACTION_RANGE_DAYS, REQUESTS_PER_HOUR } from './wire.ts'

export default definePlatform({
  id: 'impact',
  name: 'Impact',
  graphqlName: 'Impact',
  version: '0.1.0',
  docsUrl: 'https://integrations.impact.com/',
  description:
    'Partner (media partner) accounts on impact.com, through the partner REST API with the Account SID and Auth ' +
    'Token. Reads every action (conversion) per day, brand campaign and SubId1: sales, sale amounts and payouts, ' +
    'pending and approved, reversed ones left out.',
  connection,
  limits: {
    // Each request widens the window by a day on each side, and impact.com allows 45 days: a month fits.
    maxWindowDays: Math.min(31, MAX_ACTION_RANGE_DAYS - 2),
    perAccount: { requests: REQUESTS_PER_HOUR, intervalMs: 3_600_000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // The zone of impact.com's published examples; check() returns the account's when its Company Information names one.
    timeZone: 'America/Los_Angeles',
    perProgramHost: false,
    // The revisions fact in evidence.ts: how long this platform's figures keep changing.
    lookbackDays: 90,
    // Assumed: each brand sets its locking period; 90 days covers the usual ones.
    revisionHorizon: { days: 90, evidence: 'locking-horizon' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
