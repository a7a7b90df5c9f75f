import { definePlatform } from 'affgraph/sdk'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'
import { MAX_RANGE_DAYS, REQUESTS_PER_MINUTE } from './wire.ts'

export default definePlatform({
  id: 'awin',
  name: 'Awin',
  graphqlName: 'Awin',
  version: '0.1.0',
  docsUrl: 'https://help.awin.com/apidocs/introduction-1',
  description:
    "Awin publisher accounts, through Awin's publisher API with the user's API token. Reads every transaction per " +
    'day, advertiser and clickRef: sales, sale amounts and commission, pending and approved, declined ones left out.',
  connection,
  limits: {
    maxWindowDays: MAX_RANGE_DAYS,
    // 20 calls a minute per user; the token is the user, so accounts sharing a token share this too.
    perAccount: { requests: REQUESTS_PER_MINUTE, intervalMs: 60_000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Awin's default; check() returns the connection's zone when one is set.
    timeZone: 'UTC',
    perProgramHost: false,
    // The revisions fact in evidence.ts: how long this platform's figures keep changing.
    lookbackDays: 60,
    // Auto-validation approves what an advertiser leaves pending; 67 days is the longest period of Awin Access.
    revisionHorizon: { days: 67, evidence: 'validation-horizon' },
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
