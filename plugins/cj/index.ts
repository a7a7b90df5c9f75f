import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'
import { CALLS_PER_MINUTE, MAX_WINDOW_DAYS } from './wire.ts'

export default definePlatform({
  id: 'cj',
  name: 'CJ Affiliate',
  graphqlName: 'Cj',
  version: '0.1.0',
  docsUrl: 'https://docs.cj.com/docs/graphql-api',
  description:
    "CJ Affiliate (Commission Junction) publisher accounts through CJ's Commission Detail GraphQL API. Reads every " +
    'commission record (sales, leads, bonuses and their corrections) per UTC event day, advertiser and SID in US ' +
    'dollars with a personal access token and the company id (CID). CJ offers no clicks through its API.',
  connection,
  limits: {
    maxWindowDays: MAX_WINDOW_DAYS,
    // 25 calls a minute is CJ's documented pace for its REST APIs; nothing is published for GraphQL [INF].
    perAccount: { requests: CALLS_PER_MINUTE, intervalMs: 60_000 },
    perHost: { requests: CALLS_PER_MINUTE * 4, intervalMs: 60_000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // eventDate is "in UTC time zone" [SCHEMA].
    timeZone: 'UTC',
    perProgramHost: false,
    // The revisions fact in evidence.ts: how long this platform's figures keep changing.
    lookbackDays: 90,
    // Standard locking on the 10th of the next month, extended actions one cycle later.
    revisionHorizon: { monthClose: { afterDays: 41 }, evidence: 'locking-revisions' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
