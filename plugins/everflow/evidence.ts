import { defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const DOCS_AUTH: EvidenceSource = {
  title: 'Everflow developer docs: Authentication',
  url: 'https://developers.everflow.io/user-guide/authentication',
}
const DOCS_AFFILIATE: EvidenceSource = {
  title: 'Everflow developer docs: Affiliate API overview',
  url: 'https://developers.everflow.io/api-reference/affiliate-overview',
}
const DOCS_TIMEZONES: EvidenceSource = {
  title: 'Everflow developer docs: Timezones (timezone_id in reporting requests)',
  url: 'https://developers.everflow.io/user-guide/timezones',
}
const DOCS_TIMEZONE_LIST: EvidenceSource = {
  title: 'Everflow developer docs: Metadata → Timezones (GET /v1/meta/timezones)',
  url: 'https://developers.everflow.io/docs/metadata/timezones',
}
const DOCS_REPORTING: EvidenceSource = {
  title: 'Everflow developer docs: Reporting overview (10,000-row cap, incomplete_results)',
  url: 'https://developers.everflow.io/api-reference/reporting-overview',
}
const DOCS_AGGREGATED: EvidenceSource = {
  title: 'Everflow developer docs: Aggregated Data Reports (one year at most, one time column)',
  url: 'https://developers.everflow.io/docs/network/reporting/aggregated_data',
}
const SPEC: EvidenceSource = {
  title:
    "Everflow's OpenAPI file for affiliate reporting (openapi/affiliate-reporting.yaml of the docs source)",
  url: 'https://github.com/olivierboucher/everflow-docs/blob/b29376f46621d607474240ab7bbda1e9044af47c/openapi/affiliate-reporting.yaml',
}
const RATE_LIMITS: EvidenceSource = {
  title: 'Everflow docs source: Rate Limiting (user-guide/rate-limiting.mdx)',
  url: 'https://github.com/olivierboucher/everflow-docs/blob/b29376f46621d607474240ab7bbda1e9044af47c/user-guide/rate-limiting.mdx',
}
const ERRORS: EvidenceSource = {
  title: 'Everflow docs source: Errors (user-guide/errors.mdx)',
  url: 'https://github.com/olivierboucher/everflow-docs/blob/b29376f46621d607474240ab7bbda1e9044af47c/user-guide/errors.mdx',
}
const LIVE_CLIENT: EvidenceSource = {
  title:
    'code-index #58941148374: an affiliate reporting client "verified against the live Everflow API" (entity/table by sub1, timezone 80 = America/New_York from /v1/meta/timezones)',
}
const DATE_CLIENT: EvidenceSource = {
  title:
    'code-index #8904386714: a daily-stats loader on the entity table reading the date column id as Unix seconds',
}

const DOCS_INVOICES: EvidenceSource = {
  title: 'Everflow developer docs: Affiliate API, Invoices (the invoice object, Get All Invoices, paging)',
  url: 'https://developers.everflow.io/docs/affiliate/invoices',
}
const SPEC_INVOICES: EvidenceSource = {
  title:
    'Everflow OpenAPI: Affiliate API - Invoices (invoicestable, invoices/{invoiceId} with relationship.payments)',
  url: 'https://developers.everflow.io/openapi/affiliate-invoices.yaml',
}
const SPEC_INVOICES_COPY: EvidenceSource = {
  title: 'Copy of the vendor OpenAPI affiliate-invoices.yaml (page and page_size in the request body)',
  url: 'https://github.com/olivierboucher/everflow-docs/blob/3ae8e0e74565f733c583324baaacef3ed75e6cf7/openapi/affiliate-invoices.yaml',
}
const DOCS_PAGING: EvidenceSource = {
  title: 'Everflow developer docs: User Guide, Paging',
  url: 'https://developers.everflow.io/user-guide/paging',
}

export const evidence = defineEvidence([
  {
    id: 'entity-table-endpoint',
    topic: 'endpoint',
    fact: 'Aggregated statistics of the affiliate who owns the key come from POST https://api.eflow.team/v1/affiliates/reporting/entity/table; no affiliate filter is needed.',
    confidence: 'vendor-copy',
    sources: [SPEC, DOCS_AFFILIATE, LIVE_CLIENT],
  },
  {
    id: 'eu-host',
    topic: 'endpoint',
    fact: 'A few accounts are hosted on EU servers and use https://api-eu.eflow.team instead.',
    confidence: 'vendor',
    sources: [DOCS_AUTH, DOCS_AFFILIATE],
  },
  {
    id: 'timezone-list',
    topic: 'endpoint',
    fact: 'GET /v1/meta/timezones lists {timezones: [{timezone_id, timezone_name, timezone, utc_offset}]}; 67 is UTC and 80 America/New_York.',
    confidence: 'vendor',
    sources: [DOCS_TIMEZONE_LIST, DOCS_TIMEZONES, LIVE_CLIENT],
  },
  {
    id: 'api-key-header',
    topic: 'auth',
    fact: 'The API key goes in the X-Eflow-API-Key header on every request.',
    confidence: 'vendor',
    sources: [DOCS_AUTH, LIVE_CLIENT],
  },
  {
    id: 'affiliate-keys',
    topic: 'auth',
    fact: 'Affiliate keys are shown in the partner portal under My Account → API; affiliates cannot create them, the network does (Manage Affiliate → API), and a key is shown only once.',
    confidence: 'vendor',
    sources: [DOCS_AFFILIATE, DOCS_AUTH],
  },
  {
    id: 'request-body',
    topic: 'parameters',
    fact: 'The JSON body takes from and to (YYYY-MM-DD), timezone_id, currency_id, columns [{column}] (1 to 10, one time column at most; date, offer and sub1 among them) and query.filters.',
    confidence: 'vendor-copy',
    sources: [SPEC, DOCS_AGGREGATED, LIVE_CLIENT],
  },
  {
    id: 'inclusive-days-in-zone',
    topic: 'parameters',
    fact: 'from and to are whole days of the requested timezone_id (a month is asked as the 1st to the 30th), and date buckets begin and end in that zone.',
    confidence: 'vendor',
    sources: [DOCS_TIMEZONES],
  },
  {
    id: 'row-cap',
    topic: 'paging',
    fact: 'The report has no pages: its table holds at most 10,000 rows and says "incomplete_results": true when more matched.',
    confidence: 'vendor',
    sources: [DOCS_REPORTING, SPEC],
  },
  {
    id: 'table-shape',
    topic: 'fields',
    fact: 'The answer is {table: [{columns: [{column_type, id, label}], reporting: {imp, total_click, unique_click, cv, event, revenue, …}}], incomplete_results}.',
    confidence: 'code-live',
    sources: [SPEC, LIVE_CLIENT],
  },
  {
    id: 'revenue-is-payout',
    topic: 'fields',
    fact: 'reporting.revenue is the affiliate payout amount, a JSON number in the requested currency_id; cv counts conversions, imp impressions, total_click clicks.',
    confidence: 'vendor-copy',
    sources: [SPEC],
  },
  {
    id: 'empty-sub1',
    topic: 'fields',
    fact: 'Traffic without a sub1 comes as a row whose sub1 column is empty (a live client skips such rows); affgraph stores it with no campaign.',
    confidence: 'code-live',
    sources: [LIVE_CLIENT],
  },
  {
    id: 'date-column-seconds',
    topic: 'fields',
    fact: "The date column's id is Unix seconds at the start of the day; affgraph takes the day in the requested zone (or UTC's, if the instant is midnight UTC) and also accepts a YYYY-MM-DD id or label.",
    confidence: 'code',
    sources: [DATE_CLIENT, DOCS_TIMEZONES],
  },
  {
    id: 'status-codes',
    topic: 'errors',
    fact: 'Errors are JSON: 400 for a request that cannot run, 401 without a valid key, 403 "Out of realm" for a key of another portal, 404, 429 over the rate limit, 500 on the Everflow side.',
    confidence: 'vendor',
    sources: [ERRORS, DOCS_AUTH],
  },
  {
    id: 'error-wording',
    topic: 'errors',
    fact: 'The JSON error bodies are not published beyond "Out of realm": affgraph quotes an error, Error, message or description string when one is there.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'affiliate-rate-limit',
    topic: 'limits',
    fact: 'Affiliates may make 5 requests a second, shared by every user of the organisation and counted over 30-second windows; beyond, every request gets 429 until the window resets. No Retry-After is documented.',
    confidence: 'vendor-copy',
    sources: [RATE_LIMITS],
  },
  {
    id: 'bigquery-quota',
    topic: 'limits',
    fact: 'A report with a sub1 column runs on BigQuery, limited to 1,000 queries an hour (rolling) per affiliate.',
    confidence: 'vendor-copy',
    sources: [RATE_LIMITS],
  },
  {
    id: 'one-year-interval',
    topic: 'limits',
    fact: 'Aggregated reports refuse intervals longer than one year.',
    confidence: 'vendor',
    sources: [DOCS_AGGREGATED],
  },
  {
    id: 'currency-conversion',
    topic: 'identity',
    fact: 'Amounts are given in the currency_id asked for, so the connection names the currency (USD when left empty).',
    confidence: 'vendor-copy',
    sources: [SPEC],
  },
  {
    id: 'conversion-states',
    topic: 'revisions',
    fact: 'Conversions are approved, pending or rejected, and some are held (on_hold); networks approve, reject and release them after the day, changing past figures. Which states the table counts, and how long changes go on, is not published: re-fetch at least 30 days.',
    confidence: 'assumed',
    sources: [SPEC],
  },
  {
    id: 'invoices',
    topic: 'payments',
    fact: 'An affiliate key lists its invoices with POST /v1/affiliates/billings/affiliates/invoicestable: {invoices: [{network_affiliate_invoice_id, affiliate_invoice_status (paid or unpaid), start_time, end_time, balance, billed, paid, payment_terms, currency_id}], paging}; billed is the invoice total.',
    confidence: 'vendor',
    sources: [DOCS_INVOICES, SPEC_INVOICES],
  },
  {
    id: 'invoice-payments',
    topic: 'payments',
    fact: 'GET /v1/affiliates/billings/affiliates/invoices/{invoiceId} adds relationship.payments [{payment_type, amount, payment_date, reference}]: the paid day is read there, once per paid invoice.',
    confidence: 'vendor',
    sources: [SPEC_INVOICES],
  },
  {
    id: 'invoice-paging',
    topic: 'paging',
    fact: 'The invoice list is paged (page from 1, page_size 50 by default) and answers paging {page, page_size, total_count}; the OpenAPI takes page and page_size in the query string, an older copy in the body, so both are sent.',
    confidence: 'vendor',
    sources: [SPEC_INVOICES, SPEC_INVOICES_COPY, DOCS_PAGING],
  },
  {
    id: 'invoice-times',
    topic: 'fields',
    fact: 'start_time and end_time are written YYYY-MM-DD HH:MM:SS (docs) or as date-times (OpenAPI); the day as written is the period’s first and last day.',
    confidence: 'inferred',
    sources: [DOCS_INVOICES, SPEC_INVOICES],
  },
  {
    id: 'invoice-filters-unused',
    topic: 'parameters',
    fact: 'The date filters (min_start_time, max_end_time) keep invoices inside a range, not those overlapping it, so none is sent: every invoice is listed and those overlapping the window are kept.',
    confidence: 'inferred',
    sources: [DOCS_INVOICES],
  },
])
