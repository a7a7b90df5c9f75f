import {
  type Breakdown,
  type CheckResult,
  type CountMetric,
  isDecimalString,
  type Metric,
  type MoneyMetric,
  type ReportRow,
  type ReportRowInput,
  ResponseFormatError,
  reportRow,
  z,
} from '{{sdk}}'

/** Paths of the {{name}} API, relative to the partner portal URL. */
export const ACCOUNT_PATH = '/api/v1/account'
export const STATS_PATH = '/api/v1/stats'

/**
 * Wire field → unified metric. The mapping, the manifest's metrics and the simulator all read these two tables,
 * so they cannot drift apart.
 */
export const COUNT_FIELDS = {
  clicks: 'clicks',
  registrations: 'signups',
  first_deposits: 'ftds',
  deposit_count: 'depositCount',
} as const satisfies Record<string, CountMetric>

export const MONEY_FIELDS = {
  deposits: 'deposits',
  net_revenue: 'netRevenue',
  commission: 'commission',
} as const satisfies Record<string, MoneyMetric>

export type CountField = keyof typeof COUNT_FIELDS
export type MoneyField = keyof typeof MONEY_FIELDS

/** What the plugin delivers; the simulator projects the shared ground truth onto exactly this. */
export const MAPPED_METRICS: Metric[] = [...Object.values(COUNT_FIELDS), ...Object.values(MONEY_FIELDS)]
export const MAPPED_BREAKDOWNS: Breakdown[] = ['brand', 'campaign']

// A figure the program does not track arrives as null or not at all: it must stay null, never become 0.
const count = z.number().int().nonnegative().nullish()
// Money stays a string end to end: a JSON number would already have been rounded through a binary float.
const money = z.string().refine(isDecimalString, 'must be a decimal string such as "12.34"').nullish()
const label = z.string().nullish()

const countShape = Object.fromEntries(Object.keys(COUNT_FIELDS).map((f) => [f, count])) as Record<
  CountField,
  typeof count
>
const moneyShape = Object.fromEntries(Object.keys(MONEY_FIELDS).map((f) => [f, money])) as Record<
  MoneyField,
  typeof money
>

const statsItemSchema = z.object({
  date: z.iso.date(),
  brand: label,
  campaign: label,
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
    .nullish(),
  ...countShape,
  ...moneyShape,
})

/** One item of `GET /api/v1/stats`: one day × brand × campaign × currency. */
export type StatsItem = z.input<typeof statsItemSchema>

const statsPageSchema = z.object({
  data: z.array(z.unknown()),
  meta: z.object({ page: z.number().int().positive(), total_pages: z.number().int().nonnegative() }),
})

/** A whole `GET /api/v1/stats` answer. */
export interface StatsPage {
  data: StatsItem[]
  meta: { page: number; total_pages: number }
}

const accountSchema = z.object({
  affiliate_id: z.union([z.string().min(1), z.number().int()]),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  time_zone: z.string().min(1).optional(),
})

/** `GET /api/v1/account`: who the key belongs to. */
export type AccountInfo = z.input<typeof accountSchema>

function fail(message: string): never {
  throw new ResponseFormatError(`{{name}}: ${message}`)
}

/** Names the first problem by its path, never by its value: a body may echo back what was sent. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  return issue ? `${issue.path.join('.') || '(body)'} ${issue.message}` : 'unreadable'
}

function labelOrNull(value: string | null | undefined): string | null {
  const text = value?.trim().slice(0, 200)
  return text ? text : null
}

/** One wire item to a unified row. */
export function mapStatsItem(item: unknown, index = 0): ReportRow {
  const parsed = statsItemSchema.safeParse(item)
  if (!parsed.success) fail(`stats item ${index}: ${firstIssue(parsed.error)}`)
  const wire = parsed.data
  const row: ReportRowInput = {
    date: wire.date,
    brand: labelOrNull(wire.brand),
    campaign: labelOrNull(wire.campaign),
    currency: wire.currency ?? null,
  }
  for (const [name, metric] of Object.entries(COUNT_FIELDS)) row[metric] = wire[name as CountField] ?? null
  for (const [name, metric] of Object.entries(MONEY_FIELDS)) row[metric] = wire[name as MoneyField] ?? null
  const hasMoney = Object.values(MONEY_FIELDS).some((metric) => row[metric] !== null)
  // An amount without its currency cannot be stored or converted; guessing one would be worse than failing.
  if (hasMoney && row.currency === null) fail(`stats item ${index} has amounts but no currency`)
  return reportRow(row)
}

export interface MappedPage {
  rows: ReportRow[]
  page: number
  totalPages: number
}

export function mapStatsPage(body: unknown): MappedPage {
  const parsed = statsPageSchema.safeParse(body)
  if (!parsed.success) fail(`stats page: ${firstIssue(parsed.error)}`)
  const { data, meta } = parsed.data
  return {
    rows: data.map((item, index) => mapStatsItem(item, index)),
    page: meta.page,
    // An empty report may say it has no pages at all; it still is the one page just read.
    totalPages: Math.max(1, meta.total_pages),
  }
}

export function mapAccount(body: unknown): CheckResult {
  const parsed = accountSchema.safeParse(body)
  if (!parsed.success) fail(`account: ${firstIssue(parsed.error)}`)
  const { affiliate_id: affiliateId, currency, time_zone: timeZone } = parsed.data
  return {
    accountName: String(affiliateId),
    ...(currency ? { currency } : {}),
    ...(timeZone ? { timeZone } : {}),
  }
}
