/**
 * The TUNE (HasOffers) affiliate API as far as public material shows it, shared by the plugin and its simulator so
 * the two cannot drift apart. "Docs" is the vendor's affiliate API reference as preserved in a copy of the
 * developers.hasoffers.com site; "clients" are the working integrations listed in `evidence.ts`.
 */

/** The network's API host: `https://<network id>.api.hasoffers.com` (clients). */
export const apiHostOf = (networkId: string) => `https://${networkId}.api.hasoffers.com`

/** Every call is a GET of this path with Target and Method (clients). */
export const API_PATH = '/Apiv3/json'

export const TARGET = 'Affiliate_Report'
export const METHOD = 'getStats'

/** The affiliate's own key travels as a query parameter (clients); NetworkId names the network again (clients). */
export const PARAMS = {
  networkId: 'NetworkId',
  apiKey: 'api_key',
  target: 'Target',
  method: 'Method',
  fields: 'fields[]',
  groups: 'groups[]',
  filterConditional: 'filters[Stat.date][conditional]',
  filterValues: 'filters[Stat.date][values][]',
  dataStart: 'data_start',
  dataEnd: 'data_end',
  limit: 'limit',
  page: 'page',
  totals: 'totals',
  sortDate: 'sort[Stat.date]',
} as const

/** `Model.field` names of a stats row (clients). */
export const STAT = {
  date: 'Stat.date',
  offerId: 'Stat.offer_id',
  offerName: 'Offer.name',
  subId: 'Stat.affiliate_info1',
  currency: 'Stat.currency',
  impressions: 'Stat.impressions',
  clicks: 'Stat.clicks',
  conversions: 'Stat.conversions',
  payout: 'Stat.payout',
  saleAmount: 'Stat.sale_amount',
} as const

/** What affgraph asks for: one row per day × offer × aff_sub × currency. */
export const REQUESTED_FIELDS = [
  STAT.date,
  STAT.offerId,
  STAT.offerName,
  STAT.subId,
  STAT.currency,
  STAT.impressions,
  STAT.clicks,
  STAT.conversions,
  STAT.payout,
  STAT.saleAmount,
] as const
export const REQUESTED_GROUPS = [STAT.date, STAT.offerId, STAT.subId, STAT.currency] as const

/** `response.status`: 1 for an answer, -1 for an error, both with HTTP 200 (clients). */
export const STATUS_OK = 1
export const STATUS_ERROR = -1

/** The words a client retries on when the API refuses for its rate limit. */
export const RATE_LIMIT_TEXT = 'API usage exceeded rate limit'

/** Rows asked for per page; the API answers `page` and `pageCount` (clients). */
export const PAGE_LIMIT = 1000
