/**
 * The Smartico / TheAffiliatePlatform (TAP) affiliate reporting API as far as public material shows it, shared by
 * the plugin and its simulator so the two cannot drift apart. "Docs" is the vendor's help page "Reporting API"
 * (https://help.theaffiliateplatform.com/apis-and-configurations/reporting-api); "clients" are the working
 * integrations listed in `evidence.ts`.
 */

/** The vendor's default API host; an operator's setup may use another (docs: "check the exact URL"). */
export const DEFAULT_API_URL = 'https://boapi.smartico.ai'

/** The affiliate's media report (docs). Operator methods end in `_op` and refuse an affiliate key (clients). */
export const MEDIA_REPORT_PATH = '/api/af2_media_report_af'

/** The key goes raw in this header, without "Bearer" (docs' curl; clients). */
export const AUTH_HEADER = 'authorization'

/** Query parameters (docs). `date_from` is inclusive, `date_to` exclusive. */
export const PARAMS = {
  period: 'aggregation_period',
  groupBy: 'group_by',
  from: 'date_from',
  to: 'date_to',
} as const

export const DAILY = 'DAY'

/**
 * What affgraph groups by: the brand (`brand_id`, answered with `brand_name` beside it, clients) and `afp`, the
 * affiliate's own tracking parameter on its links (docs list afp, afp1…afp9). Both are documented `group_by` values.
 */
export const GROUP_BY = ['brand_id', 'afp'] as const

/** Fields of a `data[]` item (clients; `dt` is an ISO timestamp at midnight UTC, e.g. 2026-07-21T00:00:00.000Z). */
export const FIELDS = {
  day: 'dt',
  brandId: 'brand_id',
  brandName: 'brand_name',
  afp: 'afp',
  visits: 'visit_count',
  registrations: 'registration_count',
  ftds: 'ftd_count',
  qftds: 'qftd_count',
  depositCount: 'deposit_count',
  deposits: 'deposit_total',
  netPl: 'net_pl',
  pl: 'pl',
  commissionsTotal: 'commissions_total',
  commissionsCpa: 'commissions_cpa',
  commissionsRevShare: 'commissions_rev_share',
} as const

/** Clients see throttling answered with this non-standard 2xx status, which `fetch().ok` takes for success. */
export const THROTTLED_STATUS = 291

/** What a host that does not serve the key's label answers (a live client's notes). */
export const LABEL_NOT_ALLOWED = 'label not allowed'

/**
 * Other TAP list methods return at most 1,000 records a call (docs "More API methods"); whether the media report
 * is capped alike is not public, so a window that comes back this full is asked again in halves.
 */
export const RECORD_CAP = 1000
