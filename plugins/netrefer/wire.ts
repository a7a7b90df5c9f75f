/**
 * Everything about NetRefer's ASR (Affiliate Standard Reporting) v1.0 wire format in one place, each item marked
 * with what public material says about it. The vendor page (developer.netrefer.com/Affiliate-api/ASR, "limited
 * launch") confirms the OAuth2 password grant, the scope and the Daily Activity Report URL pattern; it shows no
 * response body. Change an assumption here and the plugin, the simulator and the tests follow.
 */

/** `grant_type` of the token request. [confirmed] */
export const GRANT_TYPE = 'password'

/** The permission the report API asks for, as the tail of the scope. [confirmed] */
export const REPORTS_PERMISSION = 'Reports.Read'

/** `api://<client id>/Reports.Read` [confirmed shape; the vendor's example uses the client id as the API's id] */
export function defaultScope(clientId: string): string {
  return `api://${clientId}/${REPORTS_PERMISSION}`
}

/** `{report_type_code}` of the Daily Activity Report. [assumed: the code is not published; NetRefer gives it] */
export const DEFAULT_REPORT_TYPE_CODE = 'DAR'

/** `{version_number}` after the `v`. [assumed from "ASR Version 1.0"] */
export const DEFAULT_API_VERSION = '1'

/** The fixed first segment of every report path. [confirmed] */
export const REPORT_PREFIX = '/dpm'

/** `/dpm/v{version}/{report_type_code}/{affiliate_id}/{fromdate}/{todate}`, days as `YYYY-MM-DD`. [confirmed] */
export function reportPath(parts: {
  apiVersion: string
  reportTypeCode: string
  affiliateId: string
  from: string
  to: string
}): string {
  const segments = [parts.reportTypeCode, parts.affiliateId, parts.from, parts.to].map(encodeURIComponent)
  return `${REPORT_PREFIX}/v${encodeURIComponent(parts.apiVersion)}/${segments.join('/')}`
}

/** What the vendor says when from and to are not in one month. [confirmed as a rule; wording assumed] */
export const SAME_MONTH_RULE = 'The from and to dates need to be within the same month and year.'

/**
 * Field names of one row of the report body. [assumed] The metric names are the legacy affiliate portal's
 * column titles in camelCase, as an ASP.NET API serialises them by default; commission, currency and the
 * brand / marketing source dimensions are what an affiliate report of NetRefer shows next to them.
 * The plugin matches names case-insensitively and ignoring spaces and underscores (see map.ts).
 */
export const ROW_FIELDS = {
  date: 'date',
  brand: 'brand',
  marketingSource: 'marketingSource',
  currency: 'currency',
  views: 'views',
  uniqueViews: 'uniqueViews',
  clicks: 'clicks',
  uniqueClicks: 'uniqueClicks',
  signups: 'signups',
  depositingCustomers: 'depositingCustomers',
  activeCustomers: 'activeCustomers',
  newDepositingCustomers: 'newDepositingCustomers',
  newActiveCustomers: 'newActiveCustomers',
  firstTimeDepositingCustomers: 'firstTimeDepositingCustomers',
  firstTimeActiveCustomers: 'firstTimeActiveCustomers',
  deposits: 'deposits',
  netRevenue: 'netRevenue',
  commission: 'commission',
} as const

/** Key of the row list in the report body. [assumed] */
export const ROWS_FIELD = 'rows'

/**
 * `{report_type_code}` of the Period Invoice Report, which the vendor lists beside the Daily Activity Report.
 * [assumed: the code is not published; "PIR" mirrors the assumed "DAR"]
 */
export const DEFAULT_INVOICE_REPORT_TYPE_CODE = 'PIR'

/**
 * Field names of one invoice of the Period Invoice Report. [assumed: no invoice body is public] The plugin reads
 * each under a few spellings (payments.ts); the simulator writes these.
 */
export const INVOICE_FIELDS = {
  reference: 'invoiceNumber',
  periodFrom: 'periodFrom',
  periodTo: 'periodTo',
  paidDate: 'paidDate',
  amount: 'amount',
  currency: 'currency',
  brand: 'brand',
  status: 'status',
} as const

/** Key of the invoice list in the Period Invoice Report body. [assumed] */
export const INVOICES_FIELD = 'invoices'
