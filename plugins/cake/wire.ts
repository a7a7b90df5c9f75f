/**
 * The CAKE affiliate API as far as public material shows it, shared by the plugin and its simulator so the two
 * cannot drift apart. "KB" is CAKE's own knowledge base; "clients" are the working integrations listed in
 * `evidence.ts`.
 */

/** Affiliate API methods live under the network's own CAKE domain: `/affiliates/api/<version>/<service>.asmx/<Method>`. */
export const AFFILIATES_PATH = '/affiliates'
export const AFFILIATE_API_PREFIX = `${AFFILIATES_PATH}/api`

/** Days with clicks, conversions and revenue (clients: version 3, `site_offer_id` 0 for every offer). */
export const DAILY_SUMMARY_PATH = `${AFFILIATE_API_PREFIX}/3/reports.asmx/DailySummary`

/** Revenue today, week to date…, with the currency symbol (KB sample, version 2). */
export const PERFORMANCE_SUMMARY_PATH = `${AFFILIATE_API_PREFIX}/2/reports.asmx/PerformanceSummary`

/** Query parameters (KB; clients). Every parameter a method takes must be sent, empty or not (KB). */
export const PARAMS = {
  apiKey: 'api_key',
  affiliateId: 'affiliate_id',
  startDate: 'start_date',
  endDate: 'end_date',
  siteOfferId: 'site_offer_id',
  date: 'date',
} as const

/** Elements of a DailySummary answer (clients): `<success>`, then `<days><day>` with these. */
export const ELEMENTS = {
  success: 'success',
  message: 'message',
  days: 'days',
  day: 'day',
  date: 'date',
  clicks: 'clicks',
  conversions: 'conversions',
  revenue: 'revenue',
} as const

/** Elements of a PerformanceSummary answer (KB sample). */
export const PERFORMANCE = {
  root: 'performance_summary_response',
  periods: 'periods',
  period: 'period',
  range: 'date_range',
  currencySymbol: 'currency_symbol',
} as const

/** What CAKE says when the key does not exist or has expired (KB). */
export const INVALID_API_KEY = 'Invalid API Key'

/** At most one month a pull; the SubIDSummary KB page says 31 days. `end_date` is exclusive (KB). */
export const MAX_WINDOW_DAYS = 31
