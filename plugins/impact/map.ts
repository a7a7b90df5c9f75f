import {
  type Breakdown,
  type Metric,
  normalizeDecimal,
  type ReportRow,
  ResponseFormatError,
  reportRow,
} from 'affgraph/sdk'
import { REVERSED } from './wire.ts'

/** Each counted action is a sale: its count, its amount and the partner's payout. */
export const MAPPED_METRICS: Metric[] = ['salesCount', 'salesAmount', 'commission']
/** impact.com campaigns (the brands' programs) are the unified brands, the partner's SubId1 the campaigns. */
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(message: string): never {
  throw new ResponseFormatError(`impact.com actions: ${message}`)
}

function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value)
  if (typeof value !== 'string') return null
  const trimmed = value.trim()
  return trimmed === '' ? null : trimmed
}

/** Decimals come as strings ("0.88"); a JSON number is accepted in its shortest form. */
function amount(value: unknown, name: string, index: number): string {
  const raw = text(value)
  if (raw === null) return '0'
  try {
    return normalizeDecimal(raw)
  } catch {
    fail(`action ${index}: ${name} is not a decimal amount`)
  }
}

/** `2024-09-10T10:42:38-07:00`: the day as impact.com renders it, in the account's own time zone. */
const EVENT_DATE = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/

export interface MappedAction {
  /** Null for a REVERSED action: it will not pay out and counts nowhere. */
  row: ReportRow | null
  state: string
}

/** One `Actions[]` entry to a one-sale row of its event day, or null when it was reversed. */
export function mapAction(action: unknown, index = 0): MappedAction {
  if (!isRecord(action)) fail(`action ${index} is not an object`)
  const state = text(action.State)?.toUpperCase()
  if (!state) fail(`action ${index} has no State`)
  const eventDate = text(action.EventDate)
  const date = eventDate ? EVENT_DATE.exec(eventDate)?.[1] : undefined
  if (!date || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))
    fail(`action ${index}: EventDate is not a date-time`)
  if (state === REVERSED) return { row: null, state }
  const currency = text(action.Currency)?.toUpperCase()
  if (!currency || !/^[A-Z]{3}$/.test(currency)) fail(`action ${index}: Currency is not a currency code`)
  const campaignName = text(action.CampaignName)
  const campaignId = text(action.CampaignId)
  return {
    state,
    row: reportRow({
      date,
      brand: (campaignName ?? (campaignId ? `Campaign ${campaignId}` : null))?.slice(0, 200) ?? null,
      campaign: text(action.SubId1)?.slice(0, 200) ?? null,
      currency,
      salesCount: 1,
      salesAmount: amount(action.Amount, 'Amount', index),
      commission: amount(action.Payout, 'Payout', index),
    }),
  }
}

export interface ActionsPage {
  actions: unknown[]
  page: number
  numPages: number
  /** The next page's path and query, when impact.com names it. */
  nextPageUri: string | null
  /** Actions in the whole list (`@total`), when impact.com states it. */
  total: number | null
}

const pageNumber = (value: unknown): number | null => {
  const n = typeof value === 'string' ? Number(value.trim()) : value
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : null
}

/**
 * `{"@page": "1", "@numpages": "3", "@nextpageuri": "/Mediapartners/…/Actions?…&Page=2", …, "Actions": [...]}`:
 * paging members are strings. An empty answer may be `null`, `{}`, `{"Actions": []}` or `[]`.
 */
export function mapActionsPage(body: unknown): ActionsPage {
  if (body === null) return { actions: [], page: 1, numPages: 1, nextPageUri: null, total: 0 }
  if (Array.isArray(body))
    return { actions: body, page: 1, numPages: 1, nextPageUri: null, total: body.length }
  if (!isRecord(body)) fail('the answer is not a JSON object')
  const actions = body.Actions ?? body.Action ?? []
  const list = Array.isArray(actions) ? actions : isRecord(actions) ? [actions] : null
  if (!list) fail('Actions is not a list')
  const page = pageNumber(body['@page']) ?? 1
  const numPages = pageNumber(body['@numpages']) ?? page
  const next = text(body['@nextpageuri'])
  return { actions: list, page, numPages, nextPageUri: next, total: pageNumber(body['@total']) }
}

/** Windows display names impact.com shows ("(GMT -07:00) Pacific Time (US & Canada); Tijuana") and their zones. */
const NAMED_ZONES: [RegExp, string][] = [
  [/pacific time/i, 'America/Los_Angeles'],
  [/arizona/i, 'America/Phoenix'],
  [/mountain time/i, 'America/Denver'],
  [/central time/i, 'America/Chicago'],
  [/eastern time/i, 'America/New_York'],
  [/\blondon\b|greenwich mean time|\bdublin\b/i, 'Europe/London'],
  [/\bsydney\b/i, 'Australia/Sydney'],
]

/** The IANA zone of impact.com's time zone label: a known name, else its whole-hour GMT offset, else unknown. */
export function zoneOfLabel(label: string): string | undefined {
  for (const [pattern, zone] of NAMED_ZONES) if (pattern.test(label)) return zone
  const offset = /GMT\s*([+-])(\d{1,2}):(\d{2})/i.exec(label)
  if (!offset) return /^\(?GMT\)?/i.test(label.trim()) ? 'UTC' : undefined
  const [, sign, hours, minutes] = offset
  if (minutes !== '00') return undefined
  const h = Number(hours)
  if (h === 0) return 'UTC'
  // Etc/GMT zones count the other way round: GMT-7 is seven hours ahead of GMT.
  return `Etc/GMT${sign === '+' ? '-' : '+'}${h}`
}

/** `GET /Mediapartners/{SID}/CompanyInformation`: the account's name, currency and time zone. */
export function mapCompanyInformation(body: unknown): {
  accountName?: string
  currency?: string
  timeZone?: string
} {
  if (!isRecord(body)) fail('the company information is not a JSON object')
  const out: { accountName?: string; currency?: string; timeZone?: string } = {}
  const name = text(body.CompanyName)
  if (name) out.accountName = name.slice(0, 200)
  const currency = text(body.Currency)?.toUpperCase()
  if (currency && /^[A-Z]{3}$/.test(currency)) out.currency = currency
  const zone = text(body.Timezone)
  const iana = zone ? zoneOfLabel(zone) : undefined
  if (iana) out.timeZone = iana
  return out
}
