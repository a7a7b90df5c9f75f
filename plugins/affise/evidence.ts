import { defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const DOCS: EvidenceSource = {
  title:
    'Affise API 3.1 documentation: Statistics → Custom statistics (request, parameters, response example)',
  url: 'https://api.affise.com/docs3.1/',
}
const OPENAPI: EvidenceSource = {
  title:
    'Affise affiliate statistics API, transcribed from the vendor documentation into OpenAPI (api-evangelist/affise openapi/affise-affiliate-stats-api-openapi.yml): parameters, limit ≤ 500, response with every status',
  url: 'https://github.com/api-evangelist/affise/blob/22a50fde6c579f996cd38b782fe55ce097b36581/openapi/affise-affiliate-stats-api-openapi.yml',
}
const GETTING_STARTED: EvidenceSource = {
  title:
    'Affise help center: Getting started with API (API-Key header; affiliate key in the affiliate panel)',
  url: 'http://help-center.affise.com/en/articles/4127292-getting-started-with-api',
}
const PANEL_SETTINGS: EvidenceSource = {
  title:
    'Affise help center: Basic affiliate panel settings (Security tab: API key; Locale settings: time zone)',
  url: 'https://help-center.affise.com/en/articles/6650042-basic-affiliate-panel-settings',
}
const START_API: EvidenceSource = {
  title: 'Affise help center: Start with API (API URL https://api-<network>.affise.com, key as API-Key)',
  url: 'https://help-center.affise.com/en/articles/6463675-start-with-api-networks',
}
const ENTITIES: EvidenceSource = {
  title:
    'Affise help center: UI entities vs. API entities (raw = clicks, revenue = payout to the affiliate, statuses)',
  url: 'https://help-center.affise.com/en/articles/11570463-ui-entities-vs-api-entities-matching',
}
const ERRORS: EvidenceSource = {
  title:
    'Affise API error reference (help center "API errors" for admins and affiliates, transcribed in api-evangelist/affise errors/affise-problem-types.yml)',
  url: 'https://help-center.affise.com/en/articles/6583335-api-errors-affiliates',
}
const ERRORS_COPY: EvidenceSource = {
  title:
    'api-evangelist/affise errors/affise-problem-types.yml: {status: 2, message}, also inside HTTP 200 answers',
  url: 'https://github.com/api-evangelist/affise/blob/6d57385b9a65ca3993c172d7fefbcbc59d3d41f5/errors/affise-problem-types.yml',
}
const VENDOR_MCP: EvidenceSource = {
  title:
    "Affise's own MCP server (affise/mcp-affise src/tools/affise_custom_stats.ts): slice[], filter[…][] arrays, limit ≤ 500, timezone, api-key header",
  url: 'https://github.com/affise/mcp-affise/blob/e4382e66c64794701077ba6ffbea84e2e1455b21/src/tools/affise_custom_stats.ts',
}
const LIVE_SCRIPT: EvidenceSource = {
  title:
    "code-index #22619882830: a script against a network's live API (api.<network>.affise.com) reading stat.slice.offer.id, slice.year/month/day and actions.{confirmed,pending,hold}",
}
const RATE_LIMITS: EvidenceSource = {
  title: 'api-evangelist/affise rate-limits: no figure is published; limits are per API key',
  url: 'https://github.com/api-evangelist/affise/blob/2090fcc7b7d898934fdf140bcd83c05425e6309b/rate-limits/affise-rate-limits.yml',
}

export const evidence = defineEvidence([
  {
    id: 'custom-stats-endpoint',
    topic: 'endpoint',
    fact: 'Statistics come from GET {API URL}/3.0/stats/custom, open to affiliate keys (advertiser, affiliate and manager slices are admin-only).',
    confidence: 'vendor',
    sources: [DOCS, OPENAPI],
  },
  {
    id: 'api-url-per-network',
    topic: 'identity',
    fact: 'Each network has its own API host, typically https://api-<network>.affise.com; that address also serves the API documentation.',
    confidence: 'vendor',
    sources: [START_API, GETTING_STARTED],
  },
  {
    id: 'api-key-header',
    topic: 'auth',
    fact: "The key goes in the API-Key header (or API-Key parameter); an affiliate's key is in the affiliate panel (Profile → Security, formerly Profile → API-key).",
    confidence: 'vendor',
    sources: [DOCS, GETTING_STARTED, PANEL_SETTINGS],
  },
  {
    id: 'stats-parameters',
    topic: 'parameters',
    fact: 'slice[] (year, month, day, offer, sub1…), filter[date_from] and filter[date_to] as YYYY-MM-DD, filter[currency][], conversionTypes[] (total, confirmed, pending, declined, hold), timezone.',
    confidence: 'vendor-copy',
    sources: [OPENAPI, VENDOR_MCP],
  },
  {
    id: 'inclusive-dates',
    topic: 'parameters',
    fact: 'Both dates are inclusive: the documented request with date_from = date_to = 2017-03-01 answers that day.',
    confidence: 'vendor',
    sources: [DOCS],
  },
  {
    id: 'page-limit',
    topic: 'paging',
    fact: 'page (from 1) and limit (default 100, at most 500); pagination {per_page, total_count, page} says how many items there are.',
    confidence: 'vendor-copy',
    sources: [OPENAPI, VENDOR_MCP],
  },
  {
    id: 'stats-shape',
    topic: 'fields',
    fact: 'An answer is {status: 1, stats: [{slice, traffic: {raw, uniq}, actions: {<status>: {revenue, charge, earning, null, count}}}], pagination}; traffic counts are strings, money JSON numbers.',
    confidence: 'vendor',
    sources: [DOCS, OPENAPI],
  },
  {
    id: 'revenue-is-payout',
    topic: 'fields',
    fact: 'raw is clicks and uniq unique clicks; revenue is the payout to the affiliate while charge is what the advertiser pays and earning the network margin.',
    confidence: 'vendor',
    sources: [ENTITIES],
  },
  {
    id: 'offer-slice-object',
    topic: 'fields',
    fact: "The offer slice is an object with the offer's id; a title beside it is assumed, otherwise the brand is named by the id.",
    confidence: 'code',
    sources: [LIVE_SCRIPT],
  },
  {
    id: 'scalar-slices',
    topic: 'fields',
    fact: 'Slices other than offer come as plain values (slice.country is read as is against a live network); sub1 is read alike, an empty string meaning no sub id, as in the documented conversions.',
    confidence: 'code',
    sources: [LIVE_SCRIPT, OPENAPI],
  },
  {
    id: 'currency-filter',
    topic: 'parameters',
    fact: 'filter[currency][] keeps the statistics of one currency; the documented answer names no currency, so every amount is labelled with the one asked for.',
    confidence: 'vendor-copy',
    sources: [OPENAPI],
  },
  {
    id: 'status-two-errors',
    topic: 'errors',
    fact: 'Refusals are {status: 2, message} (or error): 401 "Token is necessary", 403 "Auth Denied", 404 "Page Not Found", 500; status 2 also comes inside HTTP 200 answers.',
    confidence: 'vendor-copy',
    sources: [ERRORS, ERRORS_COPY],
  },
  {
    id: 'rate-limits',
    topic: 'limits',
    fact: 'No request rate is published (limits are per key and plan, 429 when exceeded); affgraph keeps to 2 requests a second per key and 31-day windows.',
    confidence: 'assumed',
    sources: [RATE_LIMITS],
  },
  {
    id: 'time-zone-parameter',
    topic: 'identity',
    fact: "Days follow the timezone parameter; without it Affise counts them in the user's panel zone, so affgraph always sends one (UTC unless the connection names another).",
    confidence: 'vendor-copy',
    sources: [OPENAPI, PANEL_SETTINGS],
  },
  {
    id: 'hold-revisions',
    topic: 'revisions',
    fact: 'Conversions move from pending or hold to confirmed or declined as offers’ hold periods end and managers review them: figures change for weeks; a 60-day lookback is advised.',
    confidence: 'inferred',
    sources: [ENTITIES, OPENAPI],
  },
])
