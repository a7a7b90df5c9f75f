/**
 * impact.com's partner REST API (`https://api.impact.com/Mediapartners/{AccountSID}/…`), on the SDK's kit.
 *
 * Reproduced from the evidence (sources in evidence.ts):
 * - HTTP Basic with Account SID and Auth Token; the SID also in every path (partner OpenAPI v16 curl samples).
 * - `GET …/CompanyInformation` → `{CompanyName, Timezone: "(GMT -07:00) Pacific Time (US & Canada); Tijuana",
 *   Currency, …}` (partner Account OpenAPI).
 * - `GET …/Actions?ActionDateStart&ActionDateEnd` (ISO date-times, EventDate on or after / on or before, at most 45
 *   days apart, else 400), newest first; actions with Id, CampaignId, CampaignName, ActionTrackerName, State
 *   (PENDING / APPROVED / REVERSED), Payout and Amount as decimal strings, Currency, EventDate and LockingDate with
 *   the account's offset, SubId1–3, Uri (partner Actions OpenAPI).
 * - Paging by `Page`/`PageSize`, members `@page`, `@numpages`, `@pagesize`, `@total`, `@start`, `@end`, `@uri`,
 *   `@firstpageuri`, `@nextpageuri` (relative, "" on the last page), `@previouspageuri`, `@lastpageuri`, all strings
 *   (impact.com's pagination page, as summarised; working clients).
 * - Errors as `{Status: "ERROR", Message}`; 401 for bad credentials, 403 for a scoped token not permitted, 429 with
 *   X-RateLimit-Limit/-Remaining/-Reset and no Retry-After; XML when JSON is not asked for (status and rate-limit
 *   pages, as summarised).
 *
 * Assumed: the Message wordings, the default page size (1,000; `pageSize` stands for it), the 20,000 cap, the label of the second account's time zone, how
 * actions are spread over a day, and that brands lock actions 30 days after the event.
 */
import {
  addDays,
  defineSimulator,
  jsonAnswer,
  type MatchedRequest,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  seededText,
  splitDecimal,
  type TruthAccountSpec,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { MAX_ACTION_RANGE_DAYS } from './wire.ts'

/** Account time zones: the label Company Information shows and the zone of the offsets EventDate carries. */
const ZONES = [
  { label: '(GMT -07:00) Pacific Time (US & Canada); Tijuana', zone: 'America/Los_Angeles' },
  { label: '(GMT +01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna', zone: 'Etc/GMT-1' },
] as const

/** Days after the event on which the simulated brands lock an action (impact.com: set per brand). */
const LOCKING_DAYS = 30

export function simulatorSid(seed: string, key: string): string {
  return `IR${seededText(`${seed}|impact-sid|${key}`, 30)}`
}
export function simulatorToken(seed: string, key: string): string {
  return seededText(`${seed}|impact-token|${key}`, 32)
}

const xmlAnswer = (): SimulatorResponse => ({
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body: '<?xml version="1.0" encoding="UTF-8"?><ImpactRadiusResponse><Actions/></ImpactRadiusResponse>',
})

const envelope = (status: number, message: string) =>
  jsonAnswer(status, { Status: 'ERROR', Message: message })

const offsetFormats = new Map<string, Intl.DateTimeFormat>()
const offsets = new Map<string, string>()
/** `-07:00`: the zone's offset at an instant (offsets change on the hour, so one look-up per zone and hour). */
function offsetAt(epochMs: number, zone: string): string {
  const key = `${zone}|${Math.floor(epochMs / 3_600_000)}`
  const known = offsets.get(key)
  if (known) return known
  let format = offsetFormats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    offsetFormats.set(zone, format)
  }
  const name = format.formatToParts(new Date(epochMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
  const offset = name === 'GMT' ? '+00:00' : name.replace('GMT', '')
  offsets.set(key, offset)
  return offset
}

/** A local wall-clock time of `day` in `zone`, with its offset, and the instant it names. */
function localStamp(day: string, seconds: number, zone: string): { text: string; at: number } {
  const wall = Date.parse(`${day}T00:00:00Z`) + seconds * 1000
  const offset = offsetAt(wall, zone)
  const [, sign, hh, mm] = /^([+-])(\d{2}):(\d{2})$/.exec(offset) ?? ['', '+', '00', '00']
  const at = wall - (sign === '-' ? -1 : 1) * (Number(hh) * 3600 + Number(mm) * 60) * 1000
  return { text: `${new Date(wall).toISOString().slice(0, 19)}${offset}`, at }
}

interface Action {
  at: number
  body: Record<string, string | number>
}

interface Caller extends SimulatorCaller {
  sid: string
  index: number
}

const counted = (row: ReportRow) => (row.salesCount ?? 0) > 0

export const simulator = defineSimulator<SimulatorOptions, Caller>({
  platform: 'Impact',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  answers: {
    rateLimit: (seconds) => ({
      ...envelope(429, 'Too Many Requests'),
      headers: {
        'x-ratelimit-limit': '1000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(seconds),
      },
    }),
    notFound: () => envelope(404, 'Not Found'),
    expiredToken: () => envelope(401, 'Unauthorized'),
    missingPermission: () => envelope(403, 'This API token is not permitted to access this resource'),
    // The legacy XML rendering, as if JSON had not been negotiated.
    malformed: () => xmlAnswer(),
  },
  setup(kit, options) {
    const defaultPageSize = Math.max(1, options.pageSize ?? 1000)
    const sids = new Map(kit.specs.map((spec) => [spec.key, simulatorSid(kit.seed, spec.key)]))
    const accounts = new Map(
      kit.specs.map((spec, index) => [
        sids.get(spec.key)!,
        { spec, index, token: simulatorToken(kit.seed, spec.key) },
      ]),
    )

    function auth(request: MatchedRequest): Caller | SimulatorResponse {
      const [, scheme, encoded] = /^(\S+)\s+(\S+)$/.exec(request.headers.authorization ?? '') ?? []
      if (scheme?.toLowerCase() !== 'basic' || !encoded) return envelope(401, 'Unauthorized')
      const decoded = Buffer.from(encoded, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      const sid = decoded.slice(0, colon)
      const account = accounts.get(sid)
      if (colon < 0 || !account || decoded.slice(colon + 1) !== account.token || request.match?.[1] !== sid)
        return envelope(401, 'Unauthorized')
      // Without JSON negotiated, impact.com's legacy rendering is XML.
      if (!/application\/json/i.test(request.headers.accept ?? '')) return xmlAnswer()
      return { spec: account.spec, sid, index: account.index }
    }

    /** The actions behind one truth row, kept while the row's figures stay the same (a revision changes them). */
    const rendered = new Map<string, Action[]>()
    function actionsOfRow(spec: TruthAccountSpec, index: number, row: ReportRow): Action[] {
      const settled = addDays(row.date, LOCKING_DAYS) <= kit.today()
      const key = JSON.stringify([spec.key, row, settled])
      const known = rendered.get(key)
      if (known) return known
      const zone = ZONES[index % ZONES.length]!.zone
      const brand = row.brand ?? ''
      const campaignId = 1000 + index * 100 + spec.brands.indexOf(brand) + 1
      const rand = seededRandom(`${kit.seed}|impact|${key}`)
      const sales = row.salesCount ?? 0
      const refunds = row.refundCount ?? 0
      const amounts = splitDecimal(row.salesAmount ?? '0', sales)
      const payouts = splitDecimal(row.commission ?? '0', sales)
      const reversedAmounts = splitDecimal(row.refundAmount ?? '0', refunds)
      const locking = localStamp(addDays(row.date, LOCKING_DAYS), 0, zone).text
      const sid = sids.get(spec.key)!
      const out: Action[] = []
      for (let n = 0; n < sales + refunds; n++) {
        const event = localStamp(row.date, Math.floor(rand() * 86_400), zone)
        const id = `${campaignId}.${4000 + index}.${Math.floor(event.at / 1000) % 1_000_000}${n}`
        const sale = n < sales
        out.push({
          at: event.at,
          body: {
            Id: id,
            CampaignId: campaignId,
            CampaignName: brand,
            ActionTrackerId: 2240,
            ActionTrackerName: 'Sale',
            State: sale ? (settled ? 'APPROVED' : 'PENDING') : 'REVERSED',
            AdId: 506720,
            Payout: sale ? payouts[n]! : '0.00',
            Amount: sale ? amounts[n]! : reversedAmounts[n - sales]!,
            Currency: row.currency ?? 'USD',
            EventDate: event.text,
            LockingDate: locking,
            Oid: `O${Math.floor(rand() * 1e10)}`,
            SubId1: row.campaign ?? '',
            SubId2: '',
            SubId3: '',
            ReferringType: 'CLICK_COOKIE',
            Uri: `/Mediapartners/${sid}/Actions/${id}`,
          },
        })
      }
      rendered.set(key, out)
      return out
    }

    /** The actions behind the truth: one per sale of a row, plus the reversed ones that count nowhere. */
    function actionsOf(
      spec: TruthAccountSpec,
      index: number,
      window: { from: string; to: string },
    ): Action[] {
      const rows = kit.rows(spec, window, {
        metrics: ['salesCount', 'salesAmount', 'commission', 'refundCount', 'refundAmount'],
        breakdowns: MAPPED_BREAKDOWNS,
      })
      return rows
        .flatMap((row) => actionsOfRow(spec, index, row))
        .sort((a, b) => b.at - a.at || String(a.body.Id).localeCompare(String(b.body.Id)))
    }

    function actions(request: MatchedRequest, caller: Caller): SimulatorResponse {
      const { query } = request
      const start = Date.parse(query.get('ActionDateStart') ?? '')
      const end = Date.parse(query.get('ActionDateEnd') ?? '')
      if (Number.isNaN(start) || Number.isNaN(end) || end < start)
        return envelope(
          400,
          'ActionDateStart and ActionDateEnd must be ISO 8601 date-times, the start not after the end',
        )
      if (end - start > MAX_ACTION_RANGE_DAYS * 86_400_000)
        return envelope(
          400,
          `ActionDateStart and ActionDateEnd cannot be more than ${MAX_ACTION_RANGE_DAYS} days apart`,
        )
      const window = {
        from: addDays(new Date(start).toISOString().slice(0, 10), -1),
        to: addDays(new Date(end).toISOString().slice(0, 10), 1),
      }
      const all = actionsOf(caller.spec, caller.index, window).filter((a) => a.at >= start && a.at <= end)
      // PageSize is honoured as asked; without one, the simulator's page size stands for impact.com's default.
      const size = Math.min(
        20_000,
        Math.max(1, Number.parseInt(query.get('PageSize') ?? '', 10) || defaultPageSize),
      )
      const page = Math.max(1, Number.parseInt(query.get('Page') ?? '1', 10) || 1)
      const numPages = Math.max(1, Math.ceil(all.length / size))
      const items = all.slice((page - 1) * size, page * size)
      const path = `/Mediapartners/${caller.sid}/Actions`
      const uri = (p: number) => {
        const q = new URLSearchParams(query)
        q.set('Page', String(p))
        q.set('PageSize', String(size))
        return `${path}?${q}`
      }
      return jsonAnswer(200, {
        '@page': String(page),
        '@numpages': String(numPages),
        '@pagesize': String(size),
        '@total': String(all.length),
        '@start': String(items.length ? (page - 1) * size : 0),
        '@end': String(items.length ? (page - 1) * size + items.length - 1 : 0),
        '@uri': uri(page),
        '@firstpageuri': uri(1),
        '@previouspageuri': page > 1 ? uri(page - 1) : '',
        '@nextpageuri': page < numPages ? uri(page + 1) : '',
        '@lastpageuri': uri(numPages),
        Actions: items.map((a) => a.body),
      })
    }

    const path = (rest: string) => new RegExp(`^/Mediapartners/([^/]+)/${rest}$`)
    return {
      routes: [
        {
          method: 'GET',
          path: path('CompanyInformation'),
          auth,
          handle: (_request, caller) =>
            jsonAnswer(200, {
              CompanyName: `Partner ${caller.spec.key}`,
              Website: 'https://www.example-partner.com',
              Timezone: ZONES[caller.index % ZONES.length]!.label,
              Currency: caller.spec.currencies[0],
              Uri: `/Mediapartners/${caller.sid}/CompanyInformation`,
            }),
        },
        { method: 'GET', path: path('Actions'), auth, handle: actions },
      ],
      // What a correct plugin returns: the days with counted actions, their sales, amounts and payouts.
      truth: (spec, window) => kit.rows(spec, window).filter(counted),
      connection: (spec) => ({
        accountSid: simulatorSid(kit.seed, spec.key),
        authToken: simulatorToken(kit.seed, spec.key),
        apiBaseUrl: kit.url,
      }),
      invalidConnection: () => ({
        accountSid: simulatorSid(kit.seed, '\u0000unknown-account'),
        authToken: simulatorToken(kit.seed, '\u0000unknown-account'),
        apiBaseUrl: kit.url,
      }),
    }
  },
})
