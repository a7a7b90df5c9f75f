import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { z } from 'zod'
import type { MasterKeyRing } from '../crypto/master-key.ts'
import { isUuid } from '../db/uuid.ts'
import { FX_SOURCES, type FxSource } from '../fx/ecb-format.ts'
import { FX_POLICIES, type FxPolicy } from '../fx/fx-convert.ts'
import {
  COUNT_METRICS,
  type CountMetric,
  METRICS,
  type Metric,
  MONEY_METRICS,
  type MoneyMetric,
  normalizeDecimal,
} from '../sdk/index.ts'
import type { SyncRun } from '../sync/sync.entity.ts'
import { METRIC_COLUMNS } from './stat-writer.ts'
import { buildStatsSql, DIMENSIONS, GRANULARITIES, periodEndOf, type StatsQuery } from './stats-sql.ts'

// ---------------------------------------------------------------------------------------------------------------
// Input rules, applied by plugin-zod before a resolver runs (field-level errors with the failing path).
// ---------------------------------------------------------------------------------------------------------------

/** Longest range one query may span: ten years of days. */
export const MAX_RANGE_DAYS = 3660
export const MAX_FILTER_VALUES = { accountIds: 1000, platformIds: 100, tags: 50, brands: 200, campaigns: 200 }

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000
const day = z.iso.date({ message: 'must be a calendar day written YYYY-MM-DD' })
const accountId = z.string().refine(isUuid, 'must be an account id')

export const dateRangeSchema = z.object({ from: day, to: day }).superRefine((range, ctx) => {
  if (range.from > range.to) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before `from`' })
  } else if (dayNumber(range.to) - dayNumber(range.from) + 1 > MAX_RANGE_DAYS) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `a range spans at most ${MAX_RANGE_DAYS} days` })
  }
})

const list = <T extends z.ZodType>(item: T, max: number, what: string) =>
  z.array(item).max(max, `at most ${max} ${what}`).nullish()

export const statsFilterSchema = z.object({
  accountIds: list(accountId, MAX_FILTER_VALUES.accountIds, 'account ids'),
  platformIds: list(z.string().min(1).max(64), MAX_FILTER_VALUES.platformIds, 'platform ids'),
  tags: list(z.string().min(1).max(64), MAX_FILTER_VALUES.tags, 'tags'),
  brands: list(z.string().max(200), MAX_FILTER_VALUES.brands, 'brands'),
  campaigns: list(z.string().max(200), MAX_FILTER_VALUES.campaigns, 'campaigns'),
})

export const fxOptionsSchema = z
  .object({
    policy: z.enum(FX_POLICIES as [string, ...string[]]).nullish(),
    date: day.nullish(),
    source: z.enum(FX_SOURCES as [string, ...string[]]).nullish(),
  })
  .superRefine((fx, ctx) => {
    if (fx.policy === 'FIXED_DATE' && !fx.date) {
      ctx.addIssue({ code: 'custom', path: ['date'], message: 'FIXED_DATE needs the date whose rates apply' })
    }
    if (fx.date && fx.policy !== 'FIXED_DATE') {
      ctx.addIssue({
        code: 'custom',
        path: ['date'],
        message: 'a date is only used with the FIXED_DATE policy',
      })
    }
  })

export const statsInputSchema = z.object({
  range: dateRangeSchema,
  granularity: z.enum(GRANULARITIES).nullish(),
  groupBy: z
    .array(z.enum(DIMENSIONS))
    .refine((dims) => new Set(dims).size === dims.length, 'names a dimension twice')
    .nullish(),
  filter: statsFilterSchema.nullish(),
  // Checked by the CurrencyCode scalar before this schema runs.
  currency: z.string().nullish(),
  fx: fxOptionsSchema.nullish(),
  fetchMissing: z.boolean().nullish(),
})
export type StatsInput = z.input<typeof statsInputSchema>

export function toStatsQuery(input: StatsInput): StatsQuery {
  return {
    from: input.range.from,
    to: input.range.to,
    granularity: input.granularity ?? 'TOTAL',
    groupBy: input.groupBy ?? [],
    filter: input.filter ?? null,
    currency: input.currency ?? null,
    fx: input.currency
      ? {
          policy: (input.fx?.policy ?? 'DAILY') as FxPolicy,
          date: input.fx?.date ?? null,
          source: (input.fx?.source ?? null) as FxSource | null,
        }
      : null,
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------------

export type MoneyFigures = Record<MoneyMetric, string | null>

export interface MoneyBreakdown extends MoneyFigures {
  currency: string
}

export type FxMissingReason = 'NO_RATE' | 'UNKNOWN_CURRENCY'

export interface FxConversion {
  currency: string
  factor: string | null
  minFactor: string | null
  maxFactor: string | null
  rate: string | null
  reportRate: string | null
  rateDate: string | null
  firstRateDate: string | null
  lastRateDate: string | null
  source: string | null
  firstDayWithoutRate: string | null
  lastDayWithoutRate: string | null
  reason: FxMissingReason | null
}

export interface StatsFigures extends Record<CountMetric, number | null>, MoneyFigures {
  epc: string | null
  clickToSignup: string | null
  signupToFtd: string | null
  accountsContributing: number
  /** The currency of the money figures: the report currency, or the row's native currency. */
  currency: string | null
  native: MoneyBreakdown[]
  conversions: FxConversion[]
}

export interface StatsRowData extends StatsFigures {
  periodStart: string
  periodEnd: string
  accountId: string | null
  program: string | null
  platformId: string | null
  brand: string | null
  campaign: string | null
  tag: string | null
}

export interface StatsResult {
  query: StatsQuery
  rows: StatsRowData[]
  totals: StatsFigures | null
  /** The ON_DEMAND runs this answer made to fetch never-synced days (only with `fetchMissing`). */
  fetchRuns?: SyncRun[]
  /** The account of an `Account.stats` answer, whose query is the one asked before it was narrowed. */
  scopeAccountId?: string
}

type RawRow = Record<string, unknown>

const decimal = (value: unknown): string | null =>
  value === null || value === undefined ? null : normalizeDecimal(String(value))
const count = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value)
const dim = (value: unknown): string | null =>
  value === null || value === undefined || value === '' ? null : String(value)

function moneyOf(raw: RawRow): MoneyFigures {
  return Object.fromEntries(MONEY_METRICS.map((m) => [m, decimal(raw[METRIC_COLUMNS[m]])])) as MoneyFigures
}

function figuresOf(raw: RawRow): StatsFigures {
  const native = JSON.parse(String(raw.native ?? '[]')) as RawRow[]
  const conversions = JSON.parse(String(raw.conversions ?? '[]')) as RawRow[]
  return {
    ...(Object.fromEntries(COUNT_METRICS.map((m) => [m, count(raw[METRIC_COLUMNS[m]])])) as Record<
      CountMetric,
      number | null
    >),
    ...moneyOf(raw),
    epc: decimal(raw.epc),
    clickToSignup: decimal(raw.click_to_signup),
    signupToFtd: decimal(raw.signup_to_ftd),
    accountsContributing: Number(raw.accounts ?? 0),
    currency: dim(raw.currency),
    native: native.map((n) => ({ currency: String(n.currency), ...moneyOf(n) })),
    conversions: conversions.map((c) => ({
      currency: String(c.currency),
      factor: decimal(c.factor),
      minFactor: decimal(c.minFactor),
      maxFactor: decimal(c.maxFactor),
      rate: decimal(c.rate),
      reportRate: decimal(c.reportRate),
      rateDate: dim(c.rateDate),
      firstRateDate: dim(c.firstRateDate),
      lastRateDate: dim(c.lastRateDate),
      source: dim(c.source),
      firstDayWithoutRate: dim(c.firstDayWithoutRate),
      lastDayWithoutRate: dim(c.lastDayWithoutRate),
      reason: dim(c.reason) as FxMissingReason | null,
    })),
  }
}

/** Runs a statement with `$n` placeholders and bound values (see `Database.prepared`). */
export interface StatementRunner {
  prepared<T = Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<T[]>
}

/** The unified stats of one workspace: rows per period and group, and the grand total. Reads stored days only. */
export async function queryStats(
  db: StatementRunner,
  workspaceId: string,
  query: StatsQuery,
): Promise<StatsResult> {
  const { sql, params } = buildStatsSql(query, workspaceId)
  const raw = await db.prepared<RawRow>(sql, params)
  const rows: StatsRowData[] = []
  let totals: StatsFigures | null = null
  for (const r of raw) {
    if (r.kind === 'total') {
      totals = figuresOf(r)
      continue
    }
    // The natural bounds of the period (a Monday, a 1st…), clipped to the range: the days actually summed.
    const start = String(r.period)
    const end = periodEndOf(start, query.granularity, query.to)
    const [periodStart, periodEnd] = [[start, query.from].sort()[1]!, [end, query.to].sort()[0]!]
    rows.push({
      periodStart,
      periodEnd,
      accountId: dim(r.d_account),
      program: dim(r.d_program),
      platformId: dim(r.d_platform),
      brand: dim(r.d_brand),
      campaign: dim(r.d_campaign),
      tag: dim(r.d_tag),
      ...figuresOf(r),
    })
  }
  return { query, rows, totals }
}

// ---------------------------------------------------------------------------------------------------------------
// Recorded revisions
// ---------------------------------------------------------------------------------------------------------------

export const statChangesFilterSchema = z
  .object({
    accountIds: list(accountId, MAX_FILTER_VALUES.accountIds, 'account ids'),
    from: day.nullish(),
    to: day.nullish(),
    metrics: z.array(z.enum(METRICS)).max(METRICS.length).nullish(),
  })
  .superRefine((filter, ctx) => {
    if (filter.from && filter.to && filter.from > filter.to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before `from`' })
    }
  })
export type StatChangesFilter = z.input<typeof statChangesFilterSchema>

export interface StatChangeData {
  id: string
  accountId: string
  day: string
  brand: string | null
  campaign: string | null
  currency: string | null
  metric: Metric
  oldValue: string | null
  newValue: string | null
  detectedAt: Date
}

/** Which revisions of a list to read: keyset bounds (row ids), a limit, and the direction of reading. */
export interface StatChangeWindow {
  limit: number
  after: string | null
  before: string | null
  /** Oldest first (reading a page back from its end) instead of newest first. */
  inverted: boolean
  /** Only these revisions (row ids): `node(id:)`. */
  ids?: string[]
}

/**
 * Change ids and cursors are the row's sequence number sealed with AES under a key derived from the master key: a
 * global sequence would let one tenant estimate the others' volume. A block that does not open to our marker, or
 * to a number outside the column's range, is no id of ours. Ids stay the same until the master key is rotated.
 */
const ID_MARKER = Buffer.from('chg1')
const idKeys = new WeakMap<MasterKeyRing, Buffer>()
function idKey(ring: MasterKeyRing): Buffer {
  let key = idKeys.get(ring)
  if (!key) {
    const master = ring.keyFor(ring.activeKeyId)!
    key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'affgraph stat-change ids', 16))
    idKeys.set(ring, key)
  }
  return key
}

export function sealChangeId(ring: MasterKeyRing, id: string): string {
  const block = Buffer.alloc(16)
  ID_MARKER.copy(block, 0)
  block.writeBigUInt64BE(BigInt(id), 8)
  const cipher = createCipheriv('aes-128-ecb', idKey(ring), null).setAutoPadding(false)
  return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url')
}

export function openChangeId(ring: MasterKeyRing, text: string): string | null {
  const sealed = Buffer.from(text, 'base64url')
  if (sealed.length !== 16 || sealed.toString('base64url') !== text) return null
  const decipher = createDecipheriv('aes-128-ecb', idKey(ring), null).setAutoPadding(false)
  const block = Buffer.concat([decipher.update(sealed), decipher.final()])
  if (!block.subarray(0, 4).equals(ID_MARKER) || block.readUInt32BE(4) !== 0) return null
  const id = block.readBigUInt64BE(8)
  // A bigint column: its largest value is 2^63 - 1.
  return id > 0n && id <= 9_223_372_036_854_775_807n ? id.toString() : null
}

function changeConditions(
  workspaceId: string,
  filter: StatChangesFilter,
): { where: string[]; params: unknown[] } {
  const where = ['c.workspace_id = ?']
  const params: unknown[] = [workspaceId]
  if (filter.accountIds?.length) {
    where.push(`c.account_id in (${filter.accountIds.map(() => '?').join(', ')})`)
    params.push(...filter.accountIds)
  }
  if (filter.from) {
    where.push('c.day >= ?')
    params.push(filter.from)
  }
  if (filter.to) {
    where.push('c.day <= ?')
    params.push(filter.to)
  }
  if (filter.metrics?.length) {
    where.push(`c.metric in (${filter.metrics.map(() => '?').join(', ')})`)
    params.push(...filter.metrics)
  }
  return { where, params }
}

/** How many revisions of one workspace a filter matches. */
export async function countStatChanges(
  em: EntityManager,
  workspaceId: string,
  filter: StatChangesFilter,
): Promise<number> {
  const { where, params } = changeConditions(workspaceId, filter)
  const [row] = (await em
    .getConnection()
    .execute(`select count(*)::int as n from stat_change c where ${where.join(' and ')}`, params)) as {
    n: number | string
  }[]
  return Number(row?.n ?? 0)
}

/** Revisions the platforms made to stored days, newest first (oldest first when inverted), of one workspace only. */
export async function listStatChanges(
  ring: MasterKeyRing,
  em: EntityManager,
  workspaceId: string,
  filter: StatChangesFilter,
  page: StatChangeWindow,
): Promise<StatChangeData[]> {
  const { where, params } = changeConditions(workspaceId, filter)
  if (page.after) {
    where.push('c.id < ?')
    params.push(page.after)
  }
  if (page.before) {
    where.push('c.id > ?')
    params.push(page.before)
  }
  if (page.ids) {
    if (page.ids.length === 0) return []
    where.push(`c.id in (${page.ids.map(() => '?').join(', ')})`)
    params.push(...page.ids)
  }
  params.push(page.limit)
  const raw = (await em.getConnection().execute(
    `select c.id::text as id, c.account_id::text as account_id, c.day::text as day, c.brand, c.campaign, c.currency,
        c.metric, c.old_value::text as old_value, c.new_value::text as new_value, c.detected_at
       from stat_change c
      where ${where.join(' and ')}
      order by c.id ${page.inverted ? 'asc' : 'desc'}
      limit ?`,
    params,
  )) as RawRow[]
  return raw.map((r) => ({
    id: sealChangeId(ring, String(r.id)),
    accountId: String(r.account_id),
    day: String(r.day),
    brand: dim(r.brand),
    campaign: dim(r.campaign),
    currency: dim(r.currency),
    metric: String(r.metric) as Metric,
    oldValue: decimal(r.old_value),
    newValue: decimal(r.new_value),
    detectedAt: r.detected_at instanceof Date ? r.detected_at : new Date(String(r.detected_at)),
  }))
}
