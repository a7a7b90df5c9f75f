import { assumedFact, defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const DOCS: EvidenceSource = {
  title: "ClickBank's Analytics API documentation, scraped 2022-04-28 (OpenClickBank docs/analytics.html)",
  url: 'https://github.com/OcelliSolutions/OpenClickBank/blob/4f0063cfa84e932b298b7f506989db9f8903ec18/docs/analytics.html',
}
const SPEC: EvidenceSource = {
  title: 'OpenClickBank OpenAPI spec, path /rest/1.3/analytics/{role}/{dimension}',
  url: 'https://github.com/OcelliSolutions/OpenClickBank/blob/9eb207a5f9bffa29563ba5953a6b6f19ff7ac343/open-clickbank.yaml',
}
const XSD: EvidenceSource = {
  title: "ClickBank's analytics result XSD (copied in OpenClickBank)",
  url: 'https://github.com/OcelliSolutions/OpenClickBank/blob/4f0063cfa84e932b298b7f506989db9f8903ec18/src/OpenClickBank.Builder/XSDs/analytic_result.xsd',
}
const NOTES: EvidenceSource = {
  title: 'OpenClickBank README, "Developer Notes"',
  url: 'https://github.com/OcelliSolutions/OpenClickBank/blob/9eb207a5f9bffa29563ba5953a6b6f19ff7ac343/README.md',
}
const SUPPORT: EvidenceSource = {
  title: 'ClickBank support: Analytics API (UTC dates, Pacific data, VTID lower-cased)',
  url: 'https://support.clickbank.com/en/articles/10535402',
}
const RUNBOOK: EvidenceSource = {
  title:
    'code-index #71477010412: a run-book with tracking-id tables "pulled live from the ClickBank Analytics API" (2026-07-15)',
}
const LARAVEL: EvidenceSource = {
  title: 'code-index #49764556443: a Laravel client (Helper.php) reading the analytics JSON',
}
const FLEXIBLE_REFUNDS: EvidenceSource = {
  title:
    'ClickBank knowledge base: Using the Flexible Refunds Feature (60-day default return period, 30 to 90 days per product, 180 days for PayPal purchases, up to 364 days by arrangement)',
  url: 'https://support.clickbank.com/hc/en-us/articles/360002340392-Using-the-Flexible-Refunds-Feature',
}
const SALES_ANALYTICS: EvidenceSource = {
  title: 'ClickBank support: Sales Analytics (the most recent 365 days, real time)',
  url: 'https://support.clickbank.com/en/articles/10535316-sales-analytics-on-clickbank',
}

export const evidence = defineEvidence([
  {
    id: 'analytics-endpoint',
    topic: 'endpoint',
    fact: 'Statistics per tracking id come from GET https://api.clickbank.com/rest/1.3/analytics/AFFILIATE/TRACKING_ID.',
    confidence: 'vendor-copy',
    sources: [DOCS, SPEC, RUNBOOK],
  },
  {
    id: 'analytics-deprecated-but-answering',
    topic: 'endpoint',
    fact: 'The endpoint is marked deprecated in the spec and left the published docs in 2022, yet answered live in 2026; no fallback is built.',
    confidence: 'code-live',
    sources: [SPEC, RUNBOOK],
  },
  {
    id: 'key-verbatim',
    topic: 'auth',
    fact: 'The API key goes verbatim in the Authorization header, without "Bearer" (which gets 401 "Invalid API key"); keys are API-… or legacy DEV-…:API-….',
    confidence: 'code-live',
    sources: [RUNBOOK, NOTES, LARAVEL],
  },
  {
    id: 'analytics-permission',
    topic: 'auth',
    fact: 'The key needs the Analytics permission (api_analytics_client) for the account nickname named in the account parameter.',
    confidence: 'vendor-copy',
    sources: [DOCS],
  },
  {
    id: 'query-parameters',
    topic: 'parameters',
    fact: 'Query: account (the nickname), startDate and endDate as yyyy-MM-dd, select repeated once per attribute; Accept: application/json, otherwise XML.',
    confidence: 'vendor-copy',
    sources: [DOCS],
  },
  {
    id: 'one-day-window',
    topic: 'parameters',
    fact: 'startDate equal to endDate asks for one day; the API has no date dimension, so affgraph asks one day per request.',
    confidence: 'code-live',
    sources: [LARAVEL],
  },
  {
    id: 'page-header',
    topic: 'paging',
    fact: 'At most 100 rows per page; the request header Page selects the page, and 206 Partial Content says more pages follow.',
    confidence: 'code-live',
    sources: [DOCS, NOTES, LARAVEL],
  },
  {
    id: 'result-shape',
    topic: 'fields',
    fact: 'An answer is rows.row[] of {dimensionValue, data[] of {attribute, value}}, each value wrapped as {"@type": "xs:int", "$": "5"}, numbers as strings.',
    confidence: 'code-live',
    sources: [XSD, LARAVEL],
  },
  {
    id: 'single-objects',
    topic: 'fields',
    fact: 'A single row arrives as an object instead of a list, a single attribute likewise, and rows may be null; attributes do not follow the select order.',
    confidence: 'code-live',
    sources: [LARAVEL],
  },
  {
    id: 'attribute-names',
    topic: 'fields',
    fact: 'Attributes HOP_COUNT, SALE_COUNT, SALE_AMOUNT, REFUND_COUNT, REFUND_AMOUNT, CHARGEBACK_COUNT, CHARGEBACK_AMOUNT and NET_SALE_AMOUNT (the affiliate’s net earnings).',
    confidence: 'vendor-copy',
    sources: [SPEC, RUNBOOK],
  },
  {
    id: 'not-set-bucket',
    topic: 'fields',
    fact: 'Hops and sales without a tracking id come as one row labelled "Not Set" (stored with no campaign); tracking ids keep their case.',
    confidence: 'code-live',
    sources: [RUNBOOK, LARAVEL],
  },
  {
    id: 'status-401-403',
    topic: 'errors',
    fact: '401 for an unknown key; 403 with a plain-text body both for a missing permission and for an exceeded request limit.',
    confidence: 'vendor-copy',
    sources: [SPEC, NOTES],
  },
  assumedFact(
    'rate-limit-wording',
    'errors',
    'The 403 texts are not public: one mentioning a limit, quota or "too many" is read as a rate limit, any other as a missing permission.',
  ),
  {
    id: 'request-limits',
    topic: 'limits',
    fact: '25,000 requests a day per account, shared by every integration of the account, and 10 requests a second per IP address.',
    confidence: 'code',
    sources: [NOTES],
  },
  {
    id: 'utc-days',
    topic: 'identity',
    fact: 'startDate and endDate are read in UTC while ClickBank keeps its data in Pacific time, so a day here may differ from the ClickBank web reports.',
    confidence: 'vendor',
    sources: [SUPPORT],
  },
  {
    id: 'usd-amounts',
    topic: 'identity',
    fact: 'Amounts carry no currency; they are taken to be US dollars, in which ClickBank reports and pays.',
    confidence: 'inferred',
    sources: [RUNBOOK],
  },
  {
    id: 'revisions',
    topic: 'revisions',
    fact: 'Refunds and chargebacks are taken to change past days. Customers may return a purchase for 60 days by default, 30 to 90 days as the seller sets it, 180 days when paid with PayPal and up to 364 days by arrangement: a day is taken as settled after 180 days.',
    confidence: 'inferred',
    sources: [FLEXIBLE_REFUNDS, SALES_ANALYTICS],
  },
])
