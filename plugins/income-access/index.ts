import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'

export default definePlatform({
  id: 'income-access',
  name: 'Income Access',
  version: '0.1.0',
  docsUrl: 'https://www.incomeaccess.com/',
  description:
    'Affiliate programs run on Income Access (Paysafe), each at its own affiliate site. Reads the API Reports ' +
    '"Member Report – Detailed" as CSV (impressions, clicks, signups, FTDs, CPA count, deposits, net revenue, ' +
    'commission, as far as the report has them) per day through the report URL generated in Reports → API Reports, ' +
    'replacing only its dates.',
  connection,
  limits: {
    // Income Access publishes no limits; these are deliberately modest assumptions (see README).
    maxWindowDays: 31,
    perHost: { requests: 2, intervalMs: 1000 },
    perAccount: { requests: 1, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Assumed: report days are UTC days; not documented in public material.
    timeZone: 'UTC',
    perProgramHost: true,
    // Assumed: revenue share is final with the monthly statement; when it closes is not public.
    revisionHorizon: { monthClose: { afterDays: 15 }, evidence: 'revisions' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
