import { definePlatform } from '{{sdk}}'
import { connection } from './credentials.ts'
import { evidence } from './evidence.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { check, fetchReport } from './report.ts'
import { simulator } from './simulator.ts'

export default definePlatform({
  id: '{{id}}',
  name: '{{name}}',
  // Pinned: `{{typeName}}ConnectionInput` and the `ConnectionInput` field are public API, the display name is not.
  graphqlName: '{{typeName}}',
  version: '0.1.0',
  docsUrl: 'https://{{id}}.example/docs/api',
  description:
    'Affiliate programs on {{name}}, each at its own partner portal. Reads clicks, registrations, first deposits, ' +
    'deposits, net revenue and commission per day, brand, campaign and currency with an API key.',
  connection,
  limits: {
    // Assumed until the platform documents its limits: one call covers at most a month of days.
    maxWindowDays: 31,
    // A host is one program, shared by every account of this installation at that program.
    perHost: { requests: 10, intervalMs: 1000 },
    perAccount: { requests: 5, intervalMs: 1000 },
  },
  capabilities: {
    metrics: MAPPED_METRICS,
    breakdowns: MAPPED_BREAKDOWNS,
    // Assumed: the API counts its days in UTC. Rows carry the platform's own days, never converted ones.
    timeZone: 'UTC',
    perProgramHost: true,
  },
  check,
  fetchReport,
  simulator,
  evidence,
})
