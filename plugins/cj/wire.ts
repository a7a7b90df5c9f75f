/**
 * CJ's Commission Detail API as public material shows it, shared by the plugin and its simulator so that the two
 * cannot drift apart on names. Sources are listed in `evidence.ts`; the schema facts come from CJ's own GraphQL
 * endpoint (introspection of 2026-08-13, kept in the api-evangelist/cj-affiliate repository).
 */

/** `POST https://commissions.api.cj.com/query` with a JSON body `{ query, variables }`. */
export const DEFAULT_API_BASE_URL = 'https://commissions.api.cj.com'
export const QUERY_PATH = '/query'

/**
 * CJ filters commission records by instants (ISO 8601, UTC): `since…` is inclusive, `before…` exclusive. A record's
 * `eventDate` is "in UTC time zone", so a day here is a UTC day.
 */
export const dayStart = (day: string) => `${day}T00:00:00Z`

/** Action types (the `ActionType` scalar's documented values), grouped as affgraph counts them. */
export const SALE_ACTION_TYPES = ['sim_sale', 'item_sale'] as const
export const LEAD_ACTION_TYPES = ['sim_lead', 'item_lead'] as const

/**
 * The fields affgraph reads of each `PublisherCommission`. Amounts are `DecimalNumber`, "rendered in JSON as a
 * string"; `saleAmountUsd` may be null (leads, bonuses).
 */
export const RECORD_FIELDS = [
  'commissionId',
  'actionType',
  'actionStatus',
  'original',
  'correctionReason',
  'advertiserId',
  'advertiserName',
  'shopperId',
  'eventDate',
  'postingDate',
  'saleAmountUsd',
  'pubCommissionAmountUsd',
] as const

/**
 * One page of the publisher's commissions whose event date lies in `[since, before)`. When `payloadComplete` is
 * false, the next page is asked with `sinceCommissionId: maxCommissionId`.
 */
export const PUBLISHER_COMMISSIONS_QUERY = `query AffgraphPublisherCommissions(
  $forPublishers: [String!]!
  $sinceEventDate: String!
  $beforeEventDate: String!
  $sinceCommissionId: String
) {
  publisherCommissions(
    forPublishers: $forPublishers
    sinceEventDate: $sinceEventDate
    beforeEventDate: $beforeEventDate
    sinceCommissionId: $sinceCommissionId
  ) {
    count
    limit
    payloadComplete
    maxCommissionId
    records {
      ${RECORD_FIELDS.join('\n      ')}
    }
  }
}`

export interface PublisherCommissionsVariables {
  forPublishers: string[]
  sinceEventDate: string
  beforeEventDate: string
  sinceCommissionId?: string | null
}

/** CJ's documented request pace (25 calls a minute for its REST APIs); nothing is published for GraphQL. */
export const CALLS_PER_MINUTE = 25

/** The longest window one query spans: working integrations cut CJ windows at 31 (or 30) days. */
export const MAX_WINDOW_DAYS = 31
