import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { fetchPayments, PAYMENTS } from './payments.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'

export default definePlatform({
  id: 'netrefer',
  name: 'NetRefer',
  graphqlName: 'NetRefer',
  version: '0.1.0',
  docsUrl: 'https://developer.netrefer.com/Affiliate-api/ASR',
  description:
    'Affiliate programs run on NetRefer, through its ASR (Affiliate Standard Reporting) API. Signs in with the ' +
    'client id, client secret, username and password NetRefer issues at ASR onboarding (OAuth2 password grant) and ' +
    'reads the Daily Activity Report (views, clicks, signups, first-time depositors, deposits, net revenue, ' +
    'commission) per day, brand and marketing source, and the Period Invoice Report as payments (its format is not ' +
    'published: read by assumed field names).',
  connection,
  limits: {
    // The vendor: a Daily Activity Report must stay inside one calendar month.
    maxWindowDays: 31,
    monthAlignedWindows: true,
    // Nothing is published; deliberately modest assumptions (see README).
    perHost: { requests: 5, intervalMs: 1000 },
    perAccount: { requests: 2, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Assumed: the report's days are UTC days; nothing public says (see README).
    timeZone: 'UTC',
    perProgramHost: true,
    // Assumed: revenue share is final with the monthly statement; when it closes is not public.
    revisionHorizon: { monthClose: { afterDays: 15 }, evidence: 'revisions' },
    payments: PAYMENTS,
  },
  check,
  fetchReport,
  fetchPayments,
  simulator,
  evidence,
})
