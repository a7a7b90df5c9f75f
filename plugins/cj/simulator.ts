/**
 * CJ's Commission Detail API (`POST https://commissions.api.cj.com/query`), publisher side.
 *
 * Reproduced from the evidence (sources in `evidence.ts`):
 * - The GraphQL schema as CJ's endpoint describes itself (live introspection of 2026-08-13, kept in
 *   https://github.com/api-evangelist/cj-affiliate, graphql/cj-affiliate-commissions-schema.graphql): the query
 *   `publisherCommissions(forPublishers, since…/before… PostingDate, EventDate, LockingDate, sinceCommissionId, …)`,
 *   `PublisherCommissions { count limit maxCommissionId payloadComplete records }`, the record fields affgraph and
 *   CJ's own samples use, `DecimalNumber` amounts rendered as strings, `Instant`s in UTC. Queries are executed by
 *   graphql-js against that schema, so a field or argument CJ does not have is refused as CJ would refuse it.
 * - `Authorization: Bearer <personal access token>`; the body `{query, variables}` as clients send it, or the bare
 *   GraphQL document as CJ's own curl sample posts it (docs.cj.com "Commission Detail API" sample requests).
 * - Paging: a page ends at `limit` records; `payloadComplete: false` asks the caller to continue with
 *   `sinceCommissionId: maxCommissionId`, which keeps records whose id is greater and whose posting date is not
 *   earlier than that record's (schema descriptions; a CJ developer-portal draft).
 * - Originals and corrections are separate records with their own ids (`original`, `correctionReason`,
 *   `originalActionId`); a restatement arrives as a full reversal followed by the new state (CJ conventions
 *   transcribed from its docs). Action statuses new / locked / closed, locking on the 10th of the next month.
 *
 * Assumed [INF]: the HTTP status and wording of refusals (401 for an unknown token, a GraphQL error naming the
 * company for a CID the token may not read), 429 for an exceeded limit, the 31-day cap on one query's range and its
 * wording, that a correction keeps the event date of the action it corrects, how many records make a page, and
 * that a query without dates covers the last 24 hours of postings.
 */
import {
  bearerToken,
  buildSchema,
  centsToDecimal,
  defineSimulator,
  GraphQLError,
  graphql,
  htmlAnswer,
  jsonAnswer,
  type MatchedRequest,
  type PlatformSimulator,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  type TruthAccountSpec,
  textAnswer,
} from 'affgraph/sdk'
import { CURRENCY, MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { MAX_WINDOW_DAYS, QUERY_PATH } from './wire.ts'

export interface CjSimulatorOptions extends SimulatorOptions {
  /** Commission records per page (CJ's `limit`). Default: 100 per unit of `pageSize` (a simulated day holds about 150), or 10,000. */
  recordsPerPage?: number
}

/** One commission record as CJ renders it (the subset of `PublisherCommission` the simulator fills). */
export interface CjRecord {
  commissionId: string
  actionStatus: 'new' | 'locked' | 'closed'
  actionTrackerId: string
  actionTrackerName: string
  actionType: string
  advertiserId: string
  advertiserName: string
  aid: string
  correctionReason: string | null
  eventDate: string
  lockingDate: string
  lockingMethod: 'FIXED_DATE'
  orderId: string | null
  original: boolean
  originalActionId: string
  postingDate: string
  pubCommissionAmountPubCurrency: string
  pubCommissionAmountUsd: string
  publisherId: string
  publisherName: string
  saleAmountPubCurrency: string | null
  saleAmountUsd: string | null
  shopperId: string | null
  validationStatus: 'AUTOMATED'
  websiteId: string
  websiteName: string
  items: {
    commissionItemId: string
    quantity: number
    sku: string
    perItemSaleAmountAdvCurrency: string
    perItemSaleAmountPubCurrency: string
    perItemSaleAmountUsd: string
    totalCommissionAdvCurrency: string
    totalCommissionPubCurrency: string
    totalCommissionUsd: string
  }[]
}

export interface CjSimulatorExtra {
  /** An account's token and company id, for tests that build requests by hand. */
  credentials(accountKey: string): { token: string; companyId: string }
  /** Every record of the account whose event falls on the window's days, sorted by commission id. */
  records(accountKey: string, window: { from: string; to: string }): CjRecord[]
}
export type CjSimulator = PlatformSimulator & CjSimulatorExtra

/** The part of CJ's publisher schema the simulator serves, with CJ's names and types. */
const SCHEMA = buildSchema(`
  scalar Instant
  scalar DecimalNumber
  scalar ActionStatus
  scalar ActionType
  enum CorrectionReason { INVALID_CREDIT_CARD RETURNED_MERCHANDISE DUPLICATED_ORDER CANT_SHIP_OR_SOLD_OUT
    UNQUALIFIED_LEAD QUALIFIED_LEAD BAD_DEBT BANKRUPTCY COMPLIANCE BOOKING_CANCELED OTHER_REASON }
  enum LockingMethod { IMMEDIATE FIXED_DATE OPEN_ENDED FIXED_DURATION }
  enum ValidationStatus { PENDING ACCEPTED DECLINED AUTOMATED }
  type Item {
    commissionItemId: String!
    discountUsd: DecimalNumber
    discountPubCurrency: DecimalNumber
    discountAdvCurrency: DecimalNumber
    itemListId: String
    quantity: Int!
    sku: String!
    perItemSaleAmountAdvCurrency: DecimalNumber!
    perItemSaleAmountPubCurrency: DecimalNumber!
    perItemSaleAmountUsd: DecimalNumber!
    totalCommissionAdvCurrency: DecimalNumber!
    totalCommissionPubCurrency: DecimalNumber!
    totalCommissionUsd: DecimalNumber!
  }
  type PublisherCommission {
    actionStatus: ActionStatus!
    actionTrackerId: String!
    actionTrackerName: String!
    actionType: ActionType!
    advertiserId: String!
    advertiserName: String!
    aid: String
    commissionId: String!
    correctionReason: CorrectionReason
    eventDate: Instant!
    lockingDate: Instant!
    lockingMethod: LockingMethod
    orderId: String
    original: Boolean!
    originalActionId: String!
    postingDate: Instant!
    pubCommissionAmountPubCurrency: DecimalNumber!
    pubCommissionAmountUsd: DecimalNumber!
    publisherId: String!
    publisherName: String!
    saleAmountPubCurrency: DecimalNumber
    saleAmountUsd: DecimalNumber
    shopperId: String
    validationStatus: ValidationStatus
    websiteId: String
    websiteName: String
    items: [Item!]!
  }
  type PublisherCommissions {
    count: Int!
    limit: Int!
    maxCommissionId: String
    payloadComplete: Boolean!
    records: [PublisherCommission!]!
  }
  type Query {
    publisherCommissions(
      forPublishers: [String!]!
      sincePostingDate: String
      beforePostingDate: String
      sinceEventDate: String
      beforeEventDate: String
      sinceLockingDate: String
      beforeLockingDate: String
      sinceCommissionId: String
      commissionIds: [String!]
      advertiserIds: [String!]
      adIds: [String!]
      websiteIds: [String!]
      actionStatuses: [String!]
      actionTypes: [String!]
      lockingMethods: [LockingMethod!]
      validationStatuses: [ValidationStatus!]
    ): PublisherCommissions!
  }
`)

/** Refusals and limits as the simulator words them; CJ's own wording is not public [INF]. */
export const TEXT = {
  notAuthenticated: 'Not Authenticated',
  notAuthorized: (cids: string[]) => `Not authorized to access publisher(s): ${cids.join(', ')}`,
  tooMany: 'Too many requests, please slow down',
  rangeTooLong: (days: number) => `Date range of ${days} days exceeds the maximum of ${MAX_WINDOW_DAYS} days`,
} as const

const OUTAGE_PAGE =
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service ' +
  'Temporarily Unavailable</h1></center></body></html>'
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const DAY_MS = 86_400_000

const cents = (amount: string | null): number => {
  if (amount === null) return 0
  const negative = amount.startsWith('-')
  const [int = '0', frac = ''] = (negative ? amount.slice(1) : amount).split('.')
  const value = Number(int) * 100 + Number(frac.padEnd(2, '0').slice(0, 2))
  return negative ? -value : value
}

/** `total` in `n` whole parts that add up to it exactly, the remainder on the first ones. */
export function splitCents(total: number, n: number): number[] {
  if (n <= 0) return []
  const base = Math.trunc(total / n)
  let rest = total - base * n
  return Array.from({ length: n }, () => {
    const step = rest > 0 ? 1 : rest < 0 ? -1 : 0
    rest -= step
    return base + step
  })
}

const instant = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

function hash(text: string): number {
  return Math.floor(seededRandom(text)() * 1_000_000_000)
}

/** The 10th of the month after the posting, 2am Pacific: when CJ locks a FIXED_DATE action. */
function lockingDateOf(postingMs: number): number {
  const d = new Date(postingMs)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 11, 9, 0, 0)
}

function hasRecords(row: ReportRow): boolean {
  return (row.signups ?? 0) > 0 || (row.salesCount ?? 0) > 0 || cents(row.commission) !== 0
}

interface Caller extends SimulatorCaller {
  companyId: string
}

export const simulator = defineSimulator<CjSimulatorOptions, Caller, CjSimulatorExtra>({
  platform: 'CJ',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  // The plugin reads the USD amounts, so every account is seen in US dollars; SIDs are the campaigns.
  account: (spec) => ({ ...spec, currencies: [CURRENCY] }),
  answers: {
    outage: () => htmlAnswer(503, OUTAGE_PAGE),
    rateLimit: (seconds) => ({
      status: 429,
      headers: { 'retry-after': String(seconds) },
      body: { errors: [{ message: TEXT.tooMany }] },
    }),
    notFound: () => textAnswer(404, '404 page not found'),
    expiredToken: () => jsonAnswer(401, { errors: [{ message: TEXT.notAuthenticated }] }),
    missingPermission: (_request, caller) =>
      jsonAnswer(200, { data: null, errors: [{ message: TEXT.notAuthorized([caller.companyId]) }] }),
    malformed: () =>
      jsonAnswer(200, {
        data: {
          publisherCommissions: {
            count: 1,
            limit: 10000,
            payloadComplete: true,
            maxCommissionId: '1',
            records: [{ commissionId: '1', eventDate: '05/03/2018', pubCommissionAmountUsd: 'n/a' }],
          },
        },
      }),
  },
  setup(kit, options) {
    const limit = Math.max(1, options.recordsPerPage ?? (options.pageSize ? options.pageSize * 100 : 10_000))
    const rand = seededRandom(`${kit.seed}|cj-cid`)
    const firstCid = 1_000_000 + Math.floor(rand() * 8_000_000)
    const cidOf = new Map(kit.specs.map((spec, i) => [spec.key, String(firstCid + i * 7919)]))
    const tokenOf = (key: string) => kit.secret('cj-token', key, 44, TOKEN_ALPHABET)
    const byToken = new Map(kit.specs.map((spec) => [tokenOf(spec.key), spec]))

    /** The records of one ground-truth row: originals, corrections, leads and bonuses that add up to it. */
    function rowRecords(spec: TruthAccountSpec, row: ReportRow): CjRecord[] {
      const r = seededRandom(`${kit.seed}|cj|${spec.key}|${row.date}|${row.brand}|${row.campaign ?? ''}`)
      const dayMs = Date.parse(`${row.date}T00:00:00Z`)
      const cid = cidOf.get(spec.key)!
      const advertiserId = String(1_000_000 + (hash(`adv|${row.brand}`) % 9_000_000))
      const advertiserName = row.brand ?? 'Advertiser'
      const aid = String(10_000_000 + (hash(`aid|${row.brand}|${row.campaign}`) % 90_000_000))
      const websiteId = String(100_000 + (Number(cid) % 900_000))
      const rowHash = hash(`${row.date}|${row.brand}|${row.campaign}`)
      const now = kit.now().getTime()
      const out: CjRecord[] = []
      let seq = 0
      const record = (
        kind: 'sale' | 'lead' | 'bonus',
        fields: {
          original: boolean
          eventMs: number
          postingMs: number
          sale: number | null
          commission: number
        },
        extra: {
          correctionReason?: string
          originalActionId?: string
          orderId?: string | null
          itemBased?: boolean
        },
      ): CjRecord => {
        const postingSeconds = Math.floor(fields.postingMs / 1000)
        const id = String(postingSeconds * 1000 + ((rowHash + seq++) % 1000))
        const lockingMs = lockingDateOf(fields.postingMs)
        const sale = fields.sale === null ? null : centsToDecimal(fields.sale)
        const commission = centsToDecimal(fields.commission)
        const actionType =
          kind === 'sale'
            ? extra.itemBased
              ? 'item_sale'
              : 'sim_sale'
            : kind === 'lead'
              ? 'sim_lead'
              : 'bonus'
        return {
          // Every field spelled out: spreading shared fields into each of thousands of records is much slower.
          advertiserId,
          advertiserName,
          aid,
          lockingMethod: 'FIXED_DATE',
          publisherId: cid,
          publisherName: `Publisher ${cid}`,
          shopperId: row.campaign,
          validationStatus: 'AUTOMATED',
          websiteId,
          websiteName: `Website of ${cid}`,
          commissionId: id,
          actionStatus: lockingMs > now ? 'new' : lockingMs + 30 * DAY_MS > now ? 'locked' : 'closed',
          actionTrackerId: kind === 'sale' ? '400112' : kind === 'lead' ? '400113' : '400114',
          actionTrackerName: kind === 'sale' ? 'Online Sale' : kind === 'lead' ? 'Account Sign-up' : 'Bonus',
          actionType,
          correctionReason: extra.correctionReason ?? null,
          eventDate: instant(fields.eventMs),
          lockingDate: instant(lockingMs),
          orderId: extra.orderId ?? null,
          original: fields.original,
          originalActionId: extra.originalActionId ?? id,
          postingDate: instant(fields.postingMs),
          pubCommissionAmountPubCurrency: commission,
          pubCommissionAmountUsd: commission,
          saleAmountPubCurrency: sale,
          saleAmountUsd: sale,
          items:
            actionType === 'item_sale' && sale !== null
              ? [
                  {
                    commissionItemId: `${id}01`,
                    quantity: 1,
                    sku: `SKU-${advertiserId}`,
                    // A publisher and advertisers in US dollars: the three currencies give one amount.
                    perItemSaleAmountAdvCurrency: sale,
                    perItemSaleAmountPubCurrency: sale,
                    perItemSaleAmountUsd: sale,
                    totalCommissionAdvCurrency: commission,
                    totalCommissionPubCurrency: commission,
                    totalCommissionUsd: commission,
                  },
                ]
              : [],
        }
      }
      const moment = () => dayMs + Math.floor(r() * (DAY_MS - 1000))
      const later = (ms: number, minS: number, maxS: number) =>
        ms + (minS + Math.floor(r() * (maxS - minS))) * 1000

      const signups = row.signups ?? 0
      const salesCount = row.salesCount ?? 0
      const refundCount = row.refundCount ?? 0
      const refunds = cents(row.refundAmount)
      const commission = cents(row.commission)
      // Corrections take back a tenth of what they refund; the originals carry it, so the day still adds up.
      const takenBack = refundCount > 0 ? Math.floor(refunds / 10) : 0
      const saleAmounts = splitCents(cents(row.salesAmount), salesCount)
      const saleCommissions = splitCents(commission + takenBack, salesCount)
      const leadCommissions = salesCount > 0 ? splitCents(0, signups) : splitCents(commission, signups)
      const refundAmounts = splitCents(refunds, refundCount)
      const refundCommissions = splitCents(takenBack, refundCount)

      const sales = saleAmounts.map((sale, i) => {
        const eventMs = moment()
        const orderId = `ORD-${row.date.replace(/-/g, '')}-${hash(`${row.brand}|${row.campaign}|${i}`) % 100_000}`
        return record(
          'sale',
          {
            original: true,
            eventMs,
            postingMs: later(eventMs, 60, 10_800),
            sale,
            commission: saleCommissions[i]!,
          },
          { orderId, itemBased: i % 2 === 1 },
        )
      })
      out.push(...sales)
      refundAmounts.forEach((refund, j) => {
        const of = sales[j]!
        const eventMs = Date.parse(of.eventDate)
        const postingMs = later(Date.parse(of.postingDate), 3_600, 172_800)
        const base = { original: false, eventMs, postingMs }
        const extra = {
          correctionReason: 'RETURNED_MERCHANDISE',
          originalActionId: of.commissionId,
          orderId: of.orderId,
        }
        const paid = saleAmounts[j]!
        if (j === 0 && refund < paid) {
          // A restatement: the whole order reversed, then its new state.
          out.push(record('sale', { ...base, sale: -paid, commission: -saleCommissions[j]! }, extra))
          out.push(
            record(
              'sale',
              {
                ...base,
                postingMs: postingMs + 1000,
                sale: paid - refund,
                commission: saleCommissions[j]! - refundCommissions[j]!,
              },
              extra,
            ),
          )
        } else {
          out.push(record('sale', { ...base, sale: -refund, commission: -refundCommissions[j]! }, extra))
        }
      })
      leadCommissions.forEach((leadCommission) => {
        const eventMs = moment()
        out.push(
          record(
            'lead',
            {
              original: true,
              eventMs,
              postingMs: later(eventMs, 60, 7_200),
              sale: null,
              commission: leadCommission,
            },
            {},
          ),
        )
      })
      if (salesCount === 0 && signups === 0 && commission !== 0) {
        const eventMs = moment()
        out.push(
          record(
            'bonus',
            { original: true, eventMs, postingMs: later(eventMs, 60, 600), sale: null, commission },
            {},
          ),
        )
      }
      return out
    }

    // A row's records depend on its figures only, so a revised day gets new ones and an unchanged day the same.
    const cache = new Map<string, CjRecord[]>()
    const cachedRecords = (spec: TruthAccountSpec, row: ReportRow) => {
      const key = `${spec.key}|${JSON.stringify(row)}`
      let records = cache.get(key)
      if (!records) {
        records = rowRecords(spec, row)
        cache.set(key, records)
      }
      return records
    }

    /** Records of the days `from`…`to`, sorted by commission id, ids made unique if two ever meet. */
    function recordsOfDays(spec: TruthAccountSpec, from: string, to: string): CjRecord[] {
      const all = kit.rows(spec, { from, to }).flatMap((row) => cachedRecords(spec, row))
      all.sort((a, b) => Number(a.commissionId) - Number(b.commissionId))
      for (let i = 1; i < all.length; i++) {
        // The cached records stay as they are: a (rare) clash gets a copy with the next id.
        if (Number(all[i]!.commissionId) <= Number(all[i - 1]!.commissionId))
          all[i] = { ...all[i]!, commissionId: String(Number(all[i - 1]!.commissionId) + 1) }
      }
      return all
    }

    const parseInstant = (name: string, value: unknown): number | undefined => {
      if (value === undefined || value === null) return undefined
      const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
      if (Number.isNaN(ms))
        throw new GraphQLError(`${name} must be an ISO 8601 datetime, e.g. "1999-12-31T11:59:59Z"`)
      return ms
    }

    /** `[since, before)` of one kind of date; a bound alone extends 24 hours from it. */
    function range(args: Record<string, unknown>, kind: 'PostingDate' | 'EventDate') {
      let since = parseInstant(`since${kind}`, args[`since${kind}`])
      let before = parseInstant(`before${kind}`, args[`before${kind}`])
      if (since === undefined && before === undefined) return undefined
      since ??= before! - DAY_MS
      before ??= since + DAY_MS
      const days = Math.ceil((before - since) / DAY_MS)
      if (days > MAX_WINDOW_DAYS) throw new GraphQLError(TEXT.rangeTooLong(days))
      return { since, before }
    }

    function publisherCommissions(args: Record<string, unknown>, caller: Caller) {
      const asked = (args.forPublishers as string[]) ?? []
      const foreign = asked.filter((cid) => cid !== caller.companyId)
      if (asked.length === 0 || foreign.length > 0) throw new GraphQLError(TEXT.notAuthorized(foreign))
      for (const unsupported of [
        'sinceLockingDate',
        'beforeLockingDate',
        'commissionIds',
        'adIds',
        'websiteIds',
        'lockingMethods',
        'validationStatuses',
      ]) {
        if (args[unsupported] !== undefined && args[unsupported] !== null)
          throw new GraphQLError(`the simulator does not filter by ${unsupported}`)
      }
      const events = range(args, 'EventDate')
      let postings = range(args, 'PostingDate')
      if (!events && !postings) {
        const now = kit.now().getTime()
        postings = { since: now - DAY_MS, before: now }
      }
      // Corrections post up to two days after their event: the days that may hold a matching record.
      const from = events?.since ?? postings!.since - 3 * DAY_MS
      const to = events?.before ?? postings!.before
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
      const candidates = recordsOfDays(caller.spec, day(from), day(to - 1))
      let records = candidates.filter((rec) => {
        const e = Date.parse(rec.eventDate)
        const p = Date.parse(rec.postingDate)
        return (
          (!events || (e >= events.since && e < events.before)) &&
          (!postings || (p >= postings.since && p < postings.before))
        )
      })
      const advertiserIds = args.advertiserIds as string[] | undefined
      const actionTypes = args.actionTypes as string[] | undefined
      const statuses = args.actionStatuses as string[] | undefined
      if (advertiserIds?.length) records = records.filter((rec) => advertiserIds.includes(rec.advertiserId))
      if (actionTypes?.length) records = records.filter((rec) => actionTypes.includes(rec.actionType))
      if (statuses?.length)
        records = records.filter((rec) => statuses.map((s) => s.toLowerCase()).includes(rec.actionStatus))
      const sinceId = args.sinceCommissionId as string | undefined | null
      if (sinceId) {
        const mark = candidates.find((rec) => rec.commissionId === sinceId)
        const markPosting = mark ? Date.parse(mark.postingDate) : Number.NEGATIVE_INFINITY
        records = records.filter(
          (rec) => Number(rec.commissionId) > Number(sinceId) && Date.parse(rec.postingDate) >= markPosting,
        )
      }
      const page = records.slice(0, limit)
      return {
        count: page.length,
        limit,
        maxCommissionId: page.at(-1)?.commissionId ?? null,
        payloadComplete: records.length <= limit,
        records: page,
      }
    }

    async function query(request: MatchedRequest, caller: Caller): Promise<SimulatorResponse> {
      let body: { query?: unknown; variables?: unknown; operationName?: unknown }
      try {
        body = JSON.parse(request.body)
      } catch {
        // CJ's own curl sample posts the bare GraphQL document, not JSON.
        if (!/^\s*(?:\{|query\b)/.test(request.body))
          return jsonAnswer(400, {
            errors: [{ message: 'the request body is neither JSON nor a GraphQL document' }],
          })
        body = { query: request.body }
      }
      if (typeof body?.query !== 'string')
        return jsonAnswer(400, { errors: [{ message: 'the request body has no query' }] })
      const result = await graphql({
        schema: SCHEMA,
        source: body.query,
        variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
        operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
        rootValue: {
          publisherCommissions: (args: Record<string, unknown>) => publisherCommissions(args, caller),
        },
      })
      return jsonAnswer(200, {
        ...(result.errors
          ? { errors: result.errors.map((e) => ({ message: e.message, path: e.path })) }
          : {}),
        // A query that fails validation never ran: GraphQL answers it without data.
        ...(result.data !== undefined ? { data: result.data } : {}),
      })
    }

    const truth = (spec: TruthAccountSpec, window: { from: string; to: string }) =>
      kit.rows(spec, window).filter(hasRecords)

    return {
      routes: [
        {
          method: 'POST',
          path: QUERY_PATH,
          auth: (request) => {
            const spec = byToken.get(bearerToken(request) ?? '')
            if (!spec) return jsonAnswer(401, { errors: [{ message: TEXT.notAuthenticated }] })
            return { spec, companyId: cidOf.get(spec.key)! }
          },
          handle: query,
        },
      ],
      // The second account is typed as users paste: a "Bearer" prefix and the CID in its parentheses.
      connection: (spec, index) => {
        const token = tokenOf(spec.key)
        const cid = cidOf.get(spec.key)!
        return index === 1
          ? { personalAccessToken: `Bearer ${token}`, companyId: `(${cid})`, apiBaseUrl: kit.url }
          : { personalAccessToken: token, companyId: cid, apiBaseUrl: kit.url }
      },
      invalidConnection: () => ({
        personalAccessToken: tokenOf('\u0000unknown-account'),
        companyId: cidOf.get(kit.specs[0]?.key ?? '') ?? String(firstCid),
        apiBaseUrl: kit.url,
      }),
      truth,
      extra: {
        credentials: (accountKey: string) => ({
          token: tokenOf(kit.spec(accountKey).key),
          companyId: cidOf.get(kit.spec(accountKey).key)!,
        }),
        records: (accountKey: string, window: { from: string; to: string }) =>
          recordsOfDays(kit.spec(accountKey), window.from, window.to),
      },
    }
  },
})
