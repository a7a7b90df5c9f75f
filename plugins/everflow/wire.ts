/**
 * The Everflow affiliate API as far as public material shows it, shared by the plugin and its simulator so the two
 * cannot drift apart. Sources are named in evidence.ts; "docs" is developers.everflow.io, "spec" the vendor's
 * OpenAPI file for affiliate reporting (openapi/affiliate-reporting.yaml).
 */

/** Base URLs (docs, Authentication): most accounts on the first, a few EU-hosted accounts on the second. */
export const DEFAULT_API_BASE_URL = 'https://api.eflow.team'
export const EU_API_BASE_URL = 'https://api-eu.eflow.team'

/** The key goes in this header on every request (docs, Authentication); header names are case-insensitive. */
export const API_KEY_HEADER = 'x-eflow-api-key'

/** Aggregated reporting for the affiliate who owns the key (spec): a POST with a JSON body. */
export const TABLE_PATH = '/v1/affiliates/reporting/entity/table'

/** The time zones Everflow knows, with the numeric `timezone_id` reporting requests take (docs, Timezones). */
export const TIMEZONES_PATH = '/v1/meta/timezones'

/** "The timezone UTC with an offset of 00:00 has the timezone_id: 67" (docs, Timezones). */
export const UTC_TIMEZONE_ID = 67

/** The table part of an aggregated report holds at most this many rows, then says `incomplete_results` (docs). */
export const ROW_CAP = 10_000

/** One row per day × offer × sub1: one time column at most, up to 10 columns (spec). */
export const REPORT_COLUMNS = ['date', 'offer', 'sub1'] as const

/** Count metrics of `reporting` and the unified metric each feeds (spec: imp, total_click, cv). */
export const COUNT_FIELDS = {
  imp: 'impressions',
  total_click: 'clicks',
  cv: 'cpaCount',
} as const

/** `revenue`: "Total revenue (affiliate payout amount)" (spec), the affiliate's commission. */
export const MONEY_FIELDS = { revenue: 'commission' } as const

/** Affiliates may make 5 requests a second; network users 20 (docs, Rate Limiting). */
export const AFFILIATE_REQUESTS_PER_SECOND = 5

/** The affiliate's invoices, all statuses, paged (vendor docs, Invoices; vendor OpenAPI affiliate-invoices.yaml). */
export const INVOICES_PATH = '/v1/affiliates/billings/affiliates/invoicestable'

/** One invoice with its payment history under `relationship.payments` (same sources). */
export const INVOICE_PATH = '/v1/affiliates/billings/affiliates/invoices'

/** Results per page unless asked otherwise (docs, Paging). */
export const INVOICE_PAGE_SIZE = 50
