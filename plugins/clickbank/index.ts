import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'

export default definePlatform({
  id: 'clickbank',
  name: 'ClickBank',
  version: '1.0.0',
  docsUrl: 'https://support.clickbank.com/hc/en-us/articles/226159487-Analytics-API',
  description:
    'ClickBank affiliate accounts through the central ClickBank API. Reads the Analytics API per day and tracking ' +
    'id (hops, sales, refunds, chargebacks, net earnings in USD) with an API key that has the Analytics permission ' +
    'for the account nickname.',
  connection,
  limits: {
    maxWindowDays: 31,
    // 10 requests/second per IP [SPEC]; one host for every account of this installation.
    perHost: { requests: 10, intervalMs: 1000 },
    // 25,000 requests/day per account, shared with the user's other integrations [SPEC]: affgraph keeps 5,000 free.
    perAccount: { requests: 20_000, intervalMs: 86_400_000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // ClickBank stores data in Pacific time but reads the Analytics startDate/endDate in UTC [DOC]: days are UTC.
    timeZone: 'UTC',
    perProgramHost: false,
    // The longest published refund window short of an arranged one: PayPal purchases.
    revisionHorizon: { days: 180, evidence: 'revisions' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
