import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { fetchPayments, PAYMENTS } from './payments.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'
import { AFFILIATE_REQUESTS_PER_SECOND } from './wire.ts'

export default definePlatform({
  id: 'everflow',
  name: 'Everflow',
  graphqlName: 'Everflow',
  version: '0.1.0',
  docsUrl: 'https://developers.everflow.io/api-reference/affiliate-overview',
  description:
    "Affiliate (partner) accounts at networks that run on Everflow, through Everflow's affiliate API with an " +
    'Affiliate API key. Reads the aggregated report per day, offer and sub1: impressions, clicks, conversions and ' +
    'payout, in the currency and time zone you choose.',
  connection,
  limits: {
    // Reports may span a year; a month keeps each one far below the 10,000-row cap of the table.
    maxWindowDays: 31,
    // 5 requests a second per affiliate organisation, counted over 30-second windows.
    perAccount: { requests: AFFILIATE_REQUESTS_PER_SECOND, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Days are those of the connection's timezone_id (UTC unless set); check() returns the account's zone.
    timeZone: 'UTC',
    perProgramHost: false,
    // The revisions fact in evidence.ts: how long this platform's figures keep changing.
    lookbackDays: 30,
    // Assumed: how long networks keep approving and releasing conversions is not published.
    revisionHorizon: { days: 30, evidence: 'conversion-states' },
    payments: PAYMENTS,
  },
  check,
  fetchReport,
  fetchPayments,
  simulator,
  evidence,
})
