/**
 * Everything about Income Access's API Reports URL that public material does not confirm, in one place.
 *
 * Confirmed: the affiliate's "Generate URL" produces a URL with the security key embedded, for one of 12 predefined
 * reports, a period, a merchant and a format (Excel, CSV, HTML, XML). Not found in public material: the path, the
 * parameter names, the report ids and the column headers. The values below are assumptions (see README.md); change
 * them here when a real generated URL is at hand, and the plugin, the simulator and the tests follow.
 */
export const WIRE = {
  /** Path of the API Reports endpoint on the program's affiliate site. [assumed] */
  path: '/api/reports',
  /** Query parameter names. [assumed] */
  params: {
    key: 'key',
    report: 'report',
    merchant: 'merchant',
    from: 'from',
    to: 'to',
    format: 'format',
  },
  /** The report affgraph asks for: "Member Report – Detailed", the one CasinoFlux requires. [id assumed] */
  reportId: 'member-detailed',
  /** CSV, as CasinoFlux requires; [confirmed as offered, parameter value assumed] */
  format: 'csv',
} as const

/**
 * Names under which a pasted Generate URL may carry the security key and the merchant. The first of each list is
 * what affgraph sends; the others are accepted when reading a pasted link, because the real names are unknown.
 */
export const KEY_PARAM_ALIASES = [
  WIRE.params.key,
  'securitykey',
  'security_key',
  'apikey',
  'api_key',
] as const
export const MERCHANT_PARAM_ALIASES = [WIRE.params.merchant, 'merchantid', 'merchant_id'] as const
