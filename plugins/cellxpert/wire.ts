/**
 * The Cellxpert affiliate API as far as public material shows it, shared by the plugin and its simulator so the
 * two cannot drift apart. "Postman" below is Cellxpert's own collection "Affiliate API Documentation – API Key
 * version"; "guide" is a third-party integration guide written against a live program. See README.md.
 */

/** Path of the API under a program's tracking host, e.g. `https://track.example-brand.com/api/` (Postman). */
export const API_PATH = '/api'

/** Header names (Postman). */
export const HEADERS = {
  affiliateId: 'affiliateid',
  apiKey: 'x-api-key',
} as const

export const MEDIA_REPORT_COMMAND = 'mediareport'

/** Breakdown switches of `mediareport`: booleans, at least one is mandatory (Postman). */
export const BREAKDOWN_PARAMS = ['Day', 'TrackingCode', 'Brand', 'Language', 'Type', 'Size', 'Name'] as const
export type BreakdownParam = (typeof BREAKDOWN_PARAMS)[number]

/** The breakdowns affgraph asks for: one row per day × brand × tracking code. */
export const REQUESTED_BREAKDOWNS = [
  'Day',
  'Brand',
  'TrackingCode',
] as const satisfies readonly BreakdownParam[]

/**
 * Element names of a `mediareport` row. `Day` is `YYYY/MM/DD` and the duplicated `Leads` come from the Postman
 * sample; `Tracking_Code` (for the `TrackingCode` breakdown) and `Registrations` from the guide's live sample.
 */
export const ELEMENTS = {
  day: 'Day',
  brand: 'Brand',
  trackingCode: 'Tracking_Code',
  impressions: 'Impressions',
  visitors: 'Visitors',
  uniqueVisitors: 'Unique_Visitors',
  leads: 'Leads',
  uniqueLeads: 'Unique_Leads',
  registrations: 'Registrations',
  uniquePreReals: 'Unique_Pre_Reals',
  ftd: 'FTD',
  qftd: 'QFTD',
  deposits: 'Deposits',
  volume: 'Volume',
  pl: 'PL',
  commission: 'Commission',
  demo: 'Demo',
  uniqueDemo: 'Unique_Demo',
} as const

/** Plain-text bodies Cellxpert sends with HTTP 200 instead of a report (Postman). */
export const ERROR_BODIES = {
  badAuthentication: 'Bad Authentication Key',
  badCommand: 'Bad Command',
} as const

/** Cellxpert recommends at most 31 days per call and no future dates (Postman collection notes). */
export const MAX_WINDOW_DAYS = 31
