/**
 * Awin's publisher API as far as public material shows it, shared by the plugin and its simulator. "Docs" is
 * help.awin.com/apidocs; "wiki" Awin's earlier publisher API page (with response samples), as copied in a client.
 */

/** HTTPS only, no forwarding from http (docs). */
export const DEFAULT_API_BASE_URL = 'https://api.awin.com'

/** The accounts (publishers, advertisers) the token's user may reach. */
export const ACCOUNTS_PATH = '/accounts'

/** Individual transactions of a publisher (docs: GET /publishers/{publisherId}/transactions/). */
export const transactionsPath = (publisherId: string) =>
  `/publishers/${encodeURIComponent(publisherId)}/transactions/`

/** "The maximum date range between startDate and endDate currently supported is 31 days" (docs). */
export const MAX_RANGE_DAYS = 31

/** "20 API calls per minute per user" (docs, Awin's APIs overview). */
export const REQUESTS_PER_MINUTE = 20

/** commissionStatus values (docs): the ones that may still pay out are counted. */
export const TRANSACTION_STATUSES = ['pending', 'approved', 'declined', 'deleted'] as const
export const COUNTED_STATUSES: readonly string[] = ['pending', 'approved']
