import { defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const DOCS: EvidenceSource = {
  title: 'TheAffiliatePlatform (Smartico) help: Reporting API, "API for the Affiliate"',
  url: 'https://help.theaffiliateplatform.com/apis-and-configurations/reporting-api',
}
const MORE_METHODS: EvidenceSource = {
  title:
    'TheAffiliatePlatform (Smartico) help: More API methods (up to 1,000 records a call, range=[…] for more)',
  url: 'https://help.theaffiliateplatform.com/apis-and-configurations/more-api-methods',
}
const PULL: EvidenceSource = {
  title:
    'code-index #63170926603: an operator report pull reconciled tag by tag with the manual export (July 2026): boapi3 host, raw key, date_to + 1 day, afp, commissions_cpa / rev_share / total',
}
const EXTRACTOR: EvidenceSource = {
  title:
    'code-index #68292070932: a NestJS extractor (boapi7 host): meta.affiliate_id, dt at midnight UTC, "" afp for the aggregate, qftd_count, net_pl, throttling observed as HTTP 291',
}
const NOTES: EvidenceSource = {
  title:
    'code-index #63093857546: an integrator\'s notes (Aug 2026): boapi3 answers where other hosts say "label not allowed"; the key is an affiliate key, _op methods are refused',
}
const SYNC: EvidenceSource = {
  title:
    'code-index #51779802343: a daily sync reading data[] (visit_count, registration_count, deposit_count, deposit_total, ftd_count, pl, commissions_total), 403 as a dead credential, errorCode/message bodies',
}
const FEATURE_NOTES: EvidenceSource = {
  title:
    'code-index #58074290875: feature notes of a TAP pull: key from Account Settings → API → "Save & Create API key", group_by with brand_id, brand_name and net_pl in the answer',
}

export const evidence = defineEvidence([
  {
    id: 'media-report-endpoint',
    topic: 'endpoint',
    fact: 'An affiliate reads its statistics with GET <API URL>/api/af2_media_report_af.',
    confidence: 'vendor',
    sources: [DOCS, PULL, EXTRACTOR],
  },
  {
    id: 'host-per-operator',
    topic: 'endpoint',
    fact: 'The default API URL is https://boapi.smartico.ai/, but it depends on the operator’s setup and is shown in the affiliate’s Account Settings; live clients use boapi3 and boapi7 hosts.',
    confidence: 'vendor',
    sources: [DOCS, PULL, EXTRACTOR, NOTES],
  },
  {
    id: 'raw-authorization-key',
    topic: 'auth',
    fact: 'The API key goes as it is in the authorization header, without "Bearer".',
    confidence: 'vendor',
    sources: [DOCS, PULL],
  },
  {
    id: 'affiliate-key-methods',
    topic: 'auth',
    fact: 'An affiliate key may call the _af methods; the operator methods (_op) refuse it.',
    confidence: 'code-live',
    sources: [NOTES],
  },
  {
    id: 'daily-grouped-query',
    topic: 'parameters',
    fact: 'aggregation_period=DAY gives one item per day; group_by takes a comma list, brand_id and afp (the affiliate parameter) among the documented values.',
    confidence: 'vendor',
    sources: [DOCS, FEATURE_NOTES],
  },
  {
    id: 'date-to-exclusive',
    topic: 'parameters',
    fact: 'date_from is inclusive and date_to exclusive (YYYY-MM-DD): 2022-07-12 → 2022-07-14 returns 12 and 13 July, so affgraph sends the day after the window’s last.',
    confidence: 'vendor',
    sources: [DOCS, PULL],
  },
  {
    id: 'no-record-without-activity',
    topic: 'fields',
    fact: 'A period without activity has no item in the answer.',
    confidence: 'vendor',
    sources: [DOCS],
  },
  {
    id: 'meta-and-data',
    topic: 'fields',
    fact: 'The answer is JSON { "meta": { "affiliate_id" }, "data": [ … ] }; each item’s dt is an ISO timestamp at midnight UTC (2026-07-21T00:00:00.000Z).',
    confidence: 'code-live',
    sources: [EXTRACTOR, SYNC],
  },
  {
    id: 'item-figures',
    topic: 'fields',
    fact: 'Items carry visit_count, registration_count, ftd_count, deposit_count, deposit_total and commissions_total with its parts commissions_cpa and commissions_rev_share, as JSON numbers.',
    confidence: 'code-live',
    sources: [PULL, SYNC, EXTRACTOR],
  },
  {
    id: 'net-and-qualified',
    topic: 'fields',
    fact: 'The net result comes as net_pl (pl in another client) and qualified FTDs as qftd_count.',
    confidence: 'code-live',
    sources: [EXTRACTOR, SYNC, FEATURE_NOTES],
  },
  {
    id: 'grouped-fields',
    topic: 'fields',
    fact: 'Grouping by brand_id adds brand_id and brand_name to each item; grouping by afp adds afp, empty for traffic without the parameter.',
    confidence: 'code',
    sources: [FEATURE_NOTES, EXTRACTOR],
  },
  {
    id: 'figures-by-permission',
    topic: 'fields',
    fact: 'Not every figure is available to every affiliate: visibility depends on the permissions the operator grants; a missing figure is read as not reported (null).',
    confidence: 'vendor',
    sources: [DOCS],
  },
  {
    id: 'throttled-291',
    topic: 'errors',
    fact: 'Throttling comes as HTTP 291, a 2xx status ordinary clients take for success; affgraph reads it as a rate limit.',
    confidence: 'code-live',
    sources: [EXTRACTOR],
  },
  {
    id: 'refused-key-403',
    topic: 'errors',
    fact: 'A key that no longer works is answered 403; error bodies are objects with errorCode and message.',
    confidence: 'code',
    sources: [SYNC],
  },
  {
    id: 'label-not-allowed',
    topic: 'errors',
    fact: 'A host that does not serve the key’s program answers "label not allowed": the API URL must be the one Account Settings show.',
    confidence: 'code-live',
    sources: [NOTES, PULL],
  },
  {
    id: 'record-cap',
    topic: 'paging',
    fact: 'The media report is not paged; other TAP methods return at most 1,000 records a call, so a window answered that full is asked again in halves, and a single day that full is refused.',
    confidence: 'inferred',
    sources: [MORE_METHODS, PULL],
  },
  {
    id: 'request-rates',
    topic: 'limits',
    fact: 'No request rate is published; clients call one report at a time to avoid throttling. affgraph keeps to 1 request a second per API host and one every 2 seconds per account.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'window-length',
    topic: 'limits',
    fact: 'No longest window is published; affgraph asks at most 31 days a call.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'key-location',
    topic: 'identity',
    fact: 'The affiliate creates the key in the portal under profile → Account Settings → API ("Save & Create API key"), where the API URL is shown too.',
    confidence: 'code',
    sources: [DOCS, FEATURE_NOTES],
  },
  {
    id: 'currency-from-user',
    topic: 'identity',
    fact: 'No currency is named in the answer (clients label amounts with the operator’s currency), so the user states it.',
    confidence: 'inferred',
    sources: [PULL, SYNC],
  },
  {
    id: 'utc-days',
    topic: 'identity',
    fact: 'Days are UTC days: dt is midnight UTC and a client of the same platform queries its data in Etc/UTC.',
    confidence: 'inferred',
    sources: [EXTRACTOR, SYNC],
  },
  {
    id: 'revisions',
    topic: 'revisions',
    fact: 'A day’s commission is the change during that day, so later adjustments land on later days rather than rewriting past ones; late registrations or FTDs are not described, and the host’s 7-day re-fetch covers them.',
    confidence: 'vendor',
    sources: [DOCS],
  },
])
