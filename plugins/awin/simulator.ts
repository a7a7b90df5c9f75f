/**
 * Awin's publisher API (`https://api.awin.com`), on the SDK's simulator kit.
 *
 * Reproduced from the evidence (sources in evidence.ts):
 * - `Authorization: Bearer <token>` (or `accessToken=`), one token per user reaching all of its accounts; `GET
 *   /accounts` → `{userId, accounts: [{accountId, accountName, accountType, userRole}]}` (Awin's wiki as copied,
 *   API Evangelist's reconstruction, a C# client).
 * - `GET /publishers/{publisherId}/transactions/?startDate&endDate` (`yyyy-MM-ddThh:mm:ss`, at most 31 days apart),
 *   `timezone` (default UTC), `dateType` (default transaction), no paging (Awin's API docs).
 * - A JSON list of transactions shaped like Awin's published sample: `commissionStatus` pending / approved /
 *   declined / deleted, `commissionAmount` and `saleAmount` as `{amount, currency}` with JSON-number amounts,
 *   `clickRefs.clickRef`, `transactionDate` local to the zone asked for, no offset, advertiser by id only.
 * - 429 past 20 calls a minute per user, with no Retry-After (Awin's APIs overview).
 *
 * Assumed: the error bodies (an OAuth2-style `error`/`error_description` for tokens, `error`/`description`
 * otherwise), that 401 answers a refused token and 403 a publisher the user may not read, when advertisers
 * validate (here after 30 days), the decline reason and the other sample fields' values.
 */
import {
  addDays,
  defineSimulator,
  isDay,
  jsonAnswer,
  type MatchedRequest,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  seededText,
  splitDecimal,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { MAX_RANGE_DAYS } from './wire.ts'

/** Days after the transaction on which the simulated advertisers validate it. */
const VALIDATION_DAYS = 30
const LOCAL_STAMP = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}$/

export function simulatorToken(seed: string, key: string): string {
  const hex = seededText(`${seed}|awin-token|${key}`, 32, '0123456789abcdef')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
export const simulatorPublisherId = (index: number) => String(45628 + index * 1111)
/** Awin names advertisers by number: the truth's brands become advertiser ids. */
const advertiserId = (index: number, brand: number) => String(7052 + index * 100 + brand)

const failure = (status: number, error: string, description: string) =>
  jsonAnswer(status, { error, description })

interface Caller extends SimulatorCaller {
  index: number
  userId: number
}

const counted = (row: ReportRow) => (row.salesCount ?? 0) > 0

export const simulator = defineSimulator<SimulatorOptions, Caller>({
  platform: 'Awin',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  account: (spec, index) => ({ ...spec, brands: spec.brands.map((_, b) => advertiserId(index, b)) }),
  answers: {
    rateLimit: () =>
      failure(429, 'too_many_requests', 'The limit of 20 API calls per minute has been reached'),
    notFound: () => failure(404, 'not_found', 'Resource not found'),
    expiredToken: () =>
      jsonAnswer(401, { error: 'invalid_token', error_description: 'Invalid access token' }),
    missingPermission: () => failure(403, 'forbidden', 'The user has no permission for this publisher'),
    malformed: () => jsonAnswer(200, { description: 'Service temporarily unavailable' }),
  },
  setup(kit) {
    const users = new Map(
      kit.specs.map((spec, index) => [simulatorToken(kit.seed, spec.key), { spec, index }]),
    )

    function auth(request: MatchedRequest): Caller | SimulatorResponse {
      const token =
        /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? request.query.get('accessToken')
      const user = token ? users.get(token) : undefined
      if (!user) return jsonAnswer(401, { error: 'invalid_token', error_description: 'Invalid access token' })
      return { spec: user.spec, index: user.index, userId: 900_000 + user.index }
    }

    function transactionsOf(caller: Caller, from: string, to: string) {
      const rows = kit.rows(
        caller.spec,
        { from, to },
        {
          metrics: ['salesCount', 'salesAmount', 'commission', 'refundCount', 'refundAmount'],
          breakdowns: MAPPED_BREAKDOWNS,
        },
      )
      const out: Record<string, unknown>[] = []
      for (const row of rows) {
        const rand = seededRandom(`${kit.seed}|awin|${caller.spec.key}|${JSON.stringify(row)}`)
        const sales = row.salesCount ?? 0
        const declined = row.refundCount ?? 0
        const amounts = splitDecimal(row.salesAmount ?? '0', sales)
        const commissions = splitDecimal(row.commission ?? '0', sales)
        const declinedAmounts = splitDecimal(row.refundAmount ?? '0', declined)
        const validated = addDays(row.date, VALIDATION_DAYS) <= kit.today()
        for (let n = 0; n < sales + declined; n++) {
          const sale = n < sales
          const second = Math.floor(rand() * 86_400)
          const clock = new Date(second * 1000).toISOString().slice(11, 19)
          const currency = row.currency ?? 'GBP'
          out.push({
            id: 259_630_312 + Math.floor(rand() * 1e8),
            url: 'http://www.publisher.example',
            advertiserId: Number(row.brand),
            publisherId: Number(simulatorPublisherId(caller.index)),
            siteName: 'Publisher',
            commissionStatus: sale ? (validated ? 'approved' : 'pending') : 'declined',
            commissionAmount: { amount: Number(sale ? commissions[n] : '0'), currency },
            saleAmount: { amount: Number(sale ? amounts[n] : declinedAmounts[n - sales]), currency },
            clickRefs: row.campaign === null ? {} : { clickRef: row.campaign },
            clickDate: `${addDays(row.date, -1)}T${clock}`,
            transactionDate: `${row.date}T${clock}`,
            validationDate: sale && !validated ? null : `${addDays(row.date, VALIDATION_DAYS)}T09:00:00`,
            type: 'Commission group transaction',
            declineReason: sale ? null : 'Order cancelled',
            voucherCodeUsed: false,
            lapseTime: 86_400,
            amended: false,
            amendReason: null,
            advertiserCountry: 'GB',
            orderRef: String(111_222_333_444 + n),
            customParameters: [],
            paidToPublisher: false,
          })
        }
      }
      return out
    }

    function transactions(request: MatchedRequest, caller: Caller): SimulatorResponse {
      if (request.match?.[1] !== simulatorPublisherId(caller.index))
        return failure(403, 'forbidden', 'The user has no permission for this publisher')
      const { query } = request
      const start = query.get('startDate') ?? ''
      const end = query.get('endDate') ?? ''
      const from = LOCAL_STAMP.exec(start)?.[1]
      const to = LOCAL_STAMP.exec(end)?.[1]
      if (!from || !to || !isDay(from) || !isDay(to) || start > end)
        return failure(400, 'bad_request', 'startDate and endDate must be given as yyyy-MM-ddThh:mm:ss')
      if (Date.parse(`${end}Z`) - Date.parse(`${start}Z`) > MAX_RANGE_DAYS * 86_400_000)
        return failure(
          400,
          'bad_request',
          `the maximum date range between startDate and endDate is ${MAX_RANGE_DAYS} days`,
        )
      const timezone = query.get('timezone') ?? 'UTC'
      try {
        new Intl.DateTimeFormat('en', { timeZone: timezone })
      } catch {
        return failure(400, 'bad_request', `unknown timezone ${timezone}`)
      }
      const dateType = query.get('dateType') ?? 'transaction'
      if (dateType !== 'transaction')
        return failure(
          400,
          'bad_request',
          `the simulator lists transactions by dateType=transaction only, not ${dateType}`,
        )
      // Days are the zone's own: the truth's days stand for days of whatever zone is asked for.
      const list = transactionsOf(caller, from, to).filter((tx) => {
        const stamp = String(tx.transactionDate)
        return stamp >= start && stamp <= end
      })
      return jsonAnswer(200, list)
    }

    return {
      routes: [
        {
          method: 'GET',
          path: '/accounts',
          auth,
          handle: (_request, caller) =>
            jsonAnswer(200, {
              userId: caller.userId,
              accounts: [
                {
                  accountId: Number(simulatorPublisherId(caller.index)),
                  accountName: `Publisher ${caller.spec.key}`,
                  accountType: 'publisher',
                  userRole: 'Admin',
                },
                {
                  accountId: 10_000 + caller.index,
                  accountName: 'An advertiser account of the same user',
                  accountType: 'advertiser',
                  userRole: 'Viewer',
                },
              ],
            }),
        },
        { method: 'GET', path: /^\/publishers\/(\d+)\/transactions$/, auth, handle: transactions },
      ],
      truth: (spec, window) => kit.rows(spec, window).filter(counted),
      // The second account counts its days in London.
      connection: (spec, index) => ({
        publisherId: simulatorPublisherId(index),
        apiToken: simulatorToken(kit.seed, spec.key),
        timeZone: index % 2 === 1 ? 'Europe/London' : '',
        apiBaseUrl: kit.url,
      }),
      invalidConnection: () => ({
        publisherId: simulatorPublisherId(0),
        apiToken: simulatorToken(kit.seed, '\u0000unknown-account'),
        timeZone: '',
        apiBaseUrl: kit.url,
      }),
    }
  },
})
