import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'

export default definePlatform({
  id: 'myaffiliates',
  name: 'MyAffiliates',
  version: '0.1.0',
  docsUrl: 'https://www.myaffiliates.com/',
  description:
    'Affiliate programs run on MyAffiliates, each at its own affiliate portal. Signs in with an OAuth2 client ' +
    '(Client identifier and Client secret from Account → Authorisation) and reads the statistics CSV (clicks, ' +
    'impressions, signups, FTDs, net deposits, NGR, commission) per day and channel (brand).',
  connection,
  limits: {
    // Nothing is published; deliberately conservative assumptions (see README).
    maxWindowDays: 31,
    perHost: { requests: 2, intervalMs: 1000 },
    perAccount: { requests: 1, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Assumed: days as the CSV labels them, taken to be UTC; nothing public says.
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
