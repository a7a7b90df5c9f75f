import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'
import { MAX_WINDOW_DAYS } from './wire.ts'

export default definePlatform({
  id: 'cellxpert',
  name: 'Cellxpert',
  version: '0.1.0',
  docsUrl: 'https://www.cellxpert.com/',
  description:
    "Affiliate programs run on Cellxpert, each behind its own tracking domain. Reads the affiliate API's media report " +
    '(impressions, visitors, registrations, FTDs, qualified FTDs, deposits, PL, commission) per day, brand and ' +
    'tracking code with the affiliate id and API access key; the IP address must be whitelisted by the program.',
  connection,
  limits: {
    // Cellxpert recommends at most 31 days per call. No request rate is published: these are modest assumptions.
    maxWindowDays: MAX_WINDOW_DAYS,
    perHost: { requests: 2, intervalMs: 1000 },
    perAccount: { requests: 1, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Assumed: the media report's days are UTC days; nothing public states the zone.
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
