import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'

export default definePlatform({
  id: 'softswiss',
  name: 'SoftSwiss (Affilka)',
  version: '1.0.0',
  docsUrl: 'https://www.softswiss.com/affiliate-software/',
  description:
    'Affiliate programs run on SoftSwiss Affilka, each at its own partner dashboard. Reads the partner statistics ' +
    'report (visits, registrations, first deposits, deposits, NGR, partner income) per day, brand, campaign and currency ' +
    'with the statistic token from the export link.',
  connection,
  limits: {
    // Affilka publishes no limits; these are deliberately modest assumptions (see README).
    maxWindowDays: 31,
    perHost: { requests: 5, intervalMs: 1000 },
    perAccount: { requests: 1, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Assumed: the report's days are UTC midnights (`2026-01-05T00:00:00Z`); instances may be configured otherwise.
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
