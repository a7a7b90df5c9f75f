import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'

export default definePlatform({
  id: 'smartico',
  name: 'Smartico (TheAffiliatePlatform)',
  graphqlName: 'Smartico',
  version: '0.1.0',
  docsUrl: 'https://help.theaffiliateplatform.com/apis-and-configurations/reporting-api',
  description:
    "iGaming affiliate programs run on Smartico's TheAffiliatePlatform. Reads the affiliate media report " +
    '(visits, registrations, FTDs, qualified FTDs, deposits, net P&L, commission) per day, brand and affiliate ' +
    "parameter with the API key and API URL from the portal's Account Settings.",
  connection,
  limits: {
    // Nothing is published: modest assumptions (clients call one report at a time; throttling is HTTP 291).
    maxWindowDays: 31,
    perHost: { requests: 1, intervalMs: 1000 },
    perAccount: { requests: 1, intervalMs: 2000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Inferred: items are dated at midnight UTC.
    timeZone: 'UTC',
    perProgramHost: true,
    // Adjustments land on later days; only late registrations and FTDs revise a past day.
    revisionHorizon: { days: 7, evidence: 'revisions' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
