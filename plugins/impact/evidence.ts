import { defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const REPO = 'https://github.com/api-evangelist/impact/blob/f357e6c52150d299b4f67db254481d9d57dd2ff2'
const ACTIONS_SPEC: EvidenceSource = {
  title: "impact.com's Partner Actions API OpenAPI (v16), as copied by API Evangelist",
  url: `${REPO}/openapi/_original/impact-partner-actions-v16.yaml`,
}
const ACCOUNT_SPEC: EvidenceSource = {
  title: "impact.com's Partner Account API OpenAPI (v16): Company Information",
  url: `${REPO}/openapi/_original/impact-partner-account-v16.yaml`,
}
const REPORTS_SPEC: EvidenceSource = {
  title:
    "impact.com's Partner Reports API OpenAPI (v16): curl samples with --user '{AccountSID}:{AuthToken}'",
  url: `${REPO}/openapi/_original/impact-partner-reports-v16.yaml`,
}
const CONVENTIONS: EvidenceSource = {
  title:
    "API Evangelist's summary of impact.com's request, pagination, error and authentication pages (integrations.impact.com/brand-api-reference/readme)",
  url: `${REPO}/conventions/impact-conventions.yml`,
}
const ERRORS: EvidenceSource = {
  title: "API Evangelist's summary of impact.com's Status Codes & Errors page",
  url: `${REPO}/errors/impact-problem-types.yml`,
}
const RATE_LIMITS: EvidenceSource = {
  title: "API Evangelist's summary of impact.com's Rate Limits page",
  url: `${REPO}/rate-limits/impact-rate-limits.yml`,
}
const LIVE_ACTIONS: EvidenceSource = {
  title:
    'code-index #35144198348: a script checking commissions from a saved Actions answer against the impact.com UI (Actions[], @numpages, @total, Payout, Amount, SubId1, EventDate)',
}
const ADAPTER: EvidenceSource = {
  title:
    'code-index #55585533882: a partner adapter (ActionDateStart/ActionDateEnd, Page and PageSize 100, relative @nextpageuri, empty lists as null, {} or [])',
}
const CAMPAIGNS_CLIENT: EvidenceSource = {
  title:
    'code-index #71496632534: a partner client paging Campaigns by @numpages with Basic SID:token and Accept: application/json',
}

export const evidence = defineEvidence([
  {
    id: 'actions-endpoint',
    topic: 'endpoint',
    fact: 'Conversions credited to the partner come from GET https://api.impact.com/Mediapartners/{AccountSID}/Actions, newest first.',
    confidence: 'vendor-copy',
    sources: [ACTIONS_SPEC, LIVE_ACTIONS],
  },
  {
    id: 'company-information',
    topic: 'endpoint',
    fact: 'GET /Mediapartners/{AccountSID}/CompanyInformation gives CompanyName, Timezone (a label such as "(GMT -07:00) Pacific Time (US & Canada); Tijuana") and Currency.',
    confidence: 'vendor-copy',
    sources: [ACCOUNT_SPEC],
  },
  {
    id: 'basic-auth',
    topic: 'auth',
    fact: 'Requests use HTTP Basic authentication with the Account SID as user name and the Auth Token as password, over HTTPS only.',
    confidence: 'vendor-copy',
    sources: [REPORTS_SPEC, CONVENTIONS, CAMPAIGNS_CLIENT],
  },
  {
    id: 'scoped-tokens',
    topic: 'auth',
    fact: 'The Account SID and Auth Token are under Settings → Technical → API; tokens made since April 2025 may be scoped per endpoint, and a scoped token that is disabled or not permitted gets 403.',
    confidence: 'code',
    sources: [CONVENTIONS, ERRORS],
  },
  {
    id: 'action-date-range',
    topic: 'parameters',
    fact: 'ActionDateStart and ActionDateEnd (ISO 8601 date-times) keep actions whose EventDate is on or after and on or before them; ranges may not exceed 45 days nor start more than 3 years back.',
    confidence: 'vendor-copy',
    sources: [ACTIONS_SPEC, ADAPTER],
  },
  {
    id: 'seven-day-default',
    topic: 'parameters',
    fact: 'Without StartDate/EndDate (last-update dates) only actions updated in the past 7 days are listed; affgraph assumes the ActionDate range alone is honoured, as a partner adapter sends it.',
    confidence: 'assumed',
    sources: [ACTIONS_SPEC, ADAPTER],
  },
  {
    id: 'page-members',
    topic: 'paging',
    fact: 'Pages are asked with Page (from 1) and PageSize; an answer carries @page, @numpages, @pagesize, @total and @nextpageuri (relative to the API host) as strings.',
    confidence: 'code-live',
    sources: [CONVENTIONS, LIVE_ACTIONS, ADAPTER, CAMPAIGNS_CLIENT],
  },
  {
    id: 'action-fields',
    topic: 'fields',
    fact: 'An action has Id, CampaignId, CampaignName, State, Payout and Amount (decimal strings such as "0.88"), Currency, EventDate with the account offset ("2024-09-10T10:42:38-07:00"), LockingDate and SubId1–3.',
    confidence: 'vendor-copy',
    sources: [ACTIONS_SPEC, LIVE_ACTIONS],
  },
  {
    id: 'empty-lists',
    topic: 'fields',
    fact: 'An empty result may come as null, {} or {"Actions": []}, or as a bare list.',
    confidence: 'code',
    sources: [ADAPTER],
  },
  {
    id: 'action-states',
    topic: 'fields',
    fact: 'State is PENDING (until the locking date or a manual review; modified actions too), APPROVED (will pay out, no further change) or REVERSED (will not pay out).',
    confidence: 'vendor-copy',
    sources: [ACTIONS_SPEC],
  },
  {
    id: 'error-envelope',
    topic: 'errors',
    fact: 'Errors come as {"Status": "ERROR", "Message": …, "Errors": [{Field, Message}]}: 400 for a missing or bad parameter, 401 for credentials, 403 for a scoped token, 404, 429, 5xx.',
    confidence: 'code',
    sources: [ERRORS, CONVENTIONS],
  },
  {
    id: 'xml-default',
    topic: 'errors',
    fact: 'Some legacy endpoints answer XML unless Accept: application/json is sent.',
    confidence: 'code',
    sources: [CONVENTIONS, CAMPAIGNS_CLIENT],
  },
  {
    id: 'hourly-limit',
    topic: 'limits',
    fact: 'At most 1,000 requests an hour per account for every endpoint group but catalogs and exports; over it 429 with X-RateLimit-Limit, -Remaining and -Reset (seconds), and no Retry-After.',
    confidence: 'code',
    sources: [RATE_LIMITS, CONVENTIONS],
  },
  {
    id: 'account-time-zone',
    topic: 'identity',
    fact: "EventDate is rendered in the account's own time zone (the offset it carries), so a day is the account's day; the Timezone label of Company Information is mapped to an IANA zone when it names a known one or a whole-hour offset.",
    confidence: 'inferred',
    sources: [ACTIONS_SPEC, ACCOUNT_SPEC],
  },
  {
    id: 'locking-horizon',
    topic: 'revisions',
    fact: "Actions stay PENDING and may be modified or reversed until their LockingDate, which each brand sets (16 days after the event in impact.com's example); re-fetch at least the longest locking period of your brands, often 30 to 90 days.",
    confidence: 'assumed',
    sources: [ACTIONS_SPEC],
  },
])
