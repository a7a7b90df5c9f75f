// The named export: under NodeNext the default import types as the CommonJS module object, not the class.
import { Decimal } from 'decimal.js'
import { normalizeDecimal, roundDecimal } from '../sdk/decimal.ts'
import { type DealVersionTerms, isUnconditionalCpa, type TierBasis } from './deal-terms.ts'

/**
 * What a deal says the program owes per calendar month, beside what the program reported, with the reasons the
 * two can differ. Pure: the caller loads the deal versions and the stored days; nothing here reads or writes.
 */

/** One platform day of stored statistics for the deal's scope, already in the deal's currency. */
export interface DayFigures {
  day: string
  /** null: the platform does not report it (never 0 for unknown). */
  ftds: number | null
  /** Qualified CPAs as the platform counts them; null: not reported. */
  cpaCount: number | null
  netRevenue: string | null
  /** What the program reported as earned. */
  commission: string | null
}

export interface ExpectedCommissionInput {
  /** Any order; `validFrom` is the first day a version is in force. */
  versions: DealVersionTerms[]
  /** Any order, may have gaps: a missing day has nothing stored. */
  days: DayFigures[]
  /** 'YYYY-MM', inclusive: the months to return. */
  fromMonth: string
  toMonth: string
  /** Which metrics the platform delivers at all. */
  reports: { ftds: boolean; cpaCount: boolean; netRevenue: boolean; commission: boolean }
}

export const EXPECTED_REASON_CODES = [
  'NO_DEAL',
  'TERMS_CHANGED_MID_MONTH',
  'QUALIFIED_COUNT_NOT_REPORTED',
  'FTDS_BELOW_QUALIFICATION',
  'CARRY_OVER_APPLIED',
  'NEGATIVE_MONTH',
  'NET_REVENUE_NOT_REPORTED',
  'FTDS_NOT_REPORTED',
  'COMMISSION_NOT_REPORTED',
] as const
export type ExpectedReasonCode = (typeof EXPECTED_REASON_CODES)[number]

export interface ExpectedReason {
  code: ExpectedReasonCode
  /** One plain sentence a user can read. */
  message: string
  amount: string | null
  count: number | null
}

/** The revenue-share tier one segment of a month reached, and the month total that reached it. */
export interface ExpectedTier {
  /** The version whose tier table was used. */
  validFrom: string
  basis: TierBasis
  basisTotal: string
  percent: string
}

export interface ExpectedMonth {
  month: string
  daysWithData: number
  ftds: number | null
  cpaCount: number | null
  netRevenue: string | null
  /** null: the deal has no CPA this month, or it cannot be computed (a reason says which). */
  cpa: string | null
  /** null: the deal has no revenue share this month, or it cannot be computed (a reason says which). */
  revenueShare: string | null
  fees: string
  expected: string | null
  /** Given only when `expected` is unknown but bounded: the most the month can owe. */
  expectedUpperBound: string | null
  reported: string | null
  difference: string | null
  carriedIn: string
  carriedOut: string
  /** Percents applied, one per segment with a computable revenue share. */
  tierPercents: string[]
  tiers: ExpectedTier[]
  /** validFrom of each version governing some day of the month. */
  versionsInForce: string[]
  /** From the version in force on the month's last day; null for a month without a deal. */
  paymentTermsDays: number | null
  minimumPayout: string | null
  reasons: ExpectedReason[]
}

// Decimal.js defaults to 20 significant digits, too few for large amounts times a percentage: a private
// constructor keeps products exact without touching the global configuration other modules may rely on.
export const ExactDecimal = Decimal.clone({ precision: 200 })
const D = ExactDecimal
type Dec = Decimal

const MONTH = /^(\d{4})-(\d{2})$/
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** Money out: exact until here, then half away from zero to cents and without trailing zeros. */
function money(value: Dec): string {
  return normalizeDecimal(roundDecimal(value.toFixed(), 2))
}

function parseMonth(month: string, field: string): [number, number] {
  const match = MONTH.exec(month)
  const y = Number(match?.[1])
  const m = Number(match?.[2])
  if (!match || m < 1 || m > 12) throw new RangeError(`${field} must be a month such as "2026-03": ${month}`)
  return [y, m]
}

export function monthAfter(month: string): string {
  const [y, m] = parseMonth(month, 'month')
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`
}

export function lastDayOf(month: string): string {
  const [y, m] = parseMonth(month, 'month')
  // Day 0 of the next month is the last day of this one, leap years included.
  return `${month}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`
}

/** A run of days of one month governed by one version. */
interface Segment {
  version: DealVersionTerms
  from: string
  days: DayFigures[]
}

interface Totals {
  ftds: number
  cpaCount: number
  netRevenue: Dec
  commission: Dec
  commissionDays: number
}

function totalsOf(days: readonly DayFigures[]): Totals {
  const totals: Totals = {
    ftds: 0,
    cpaCount: 0,
    netRevenue: new D(0),
    commission: new D(0),
    commissionDays: 0,
  }
  for (const d of days) {
    totals.ftds += d.ftds ?? 0
    totals.cpaCount += d.cpaCount ?? 0
    if (d.netRevenue !== null) totals.netRevenue = totals.netRevenue.plus(d.netRevenue)
    if (d.commission !== null) {
      totals.commission = totals.commission.plus(d.commission)
      totals.commissionDays++
    }
  }
  return totals
}

function reason(
  code: ExpectedReasonCode,
  message: string,
  amount: Dec | null = null,
  count: number | null = null,
) {
  return { code, message, amount: amount === null ? null : money(amount), count }
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/**
 * The expected commission of each month from `fromMonth` to `toMonth`. Months are computed from the first month a
 * version is in force even when that is before `fromMonth`, because a negative carry-over needs the history.
 */
export function computeExpectedCommission(input: ExpectedCommissionInput): ExpectedMonth[] {
  parseMonth(input.fromMonth, 'fromMonth')
  parseMonth(input.toMonth, 'toMonth')
  if (input.fromMonth > input.toMonth) return []

  const versions = [...input.versions].sort((a, b) => (a.validFrom < b.validFrom ? -1 : 1))
  for (let i = 0; i < versions.length; i++) {
    if (!DAY.test(versions[i]!.validFrom))
      throw new RangeError(`validFrom must be a day such as "2026-03-01": ${versions[i]!.validFrom}`)
    // Two versions from the same day leave no rule for which one governs it.
    if (i > 0 && versions[i]!.validFrom === versions[i - 1]!.validFrom)
      throw new RangeError(`two deal versions start on ${versions[i]!.validFrom}`)
  }
  const daysByMonth = new Map<string, DayFigures[]>()
  for (const d of input.days) {
    if (!DAY.test(d.day)) throw new RangeError(`day must be a day such as "2026-03-01": ${d.day}`)
    const key = d.day.slice(0, 7)
    const list = daysByMonth.get(key)
    if (list) list.push(d)
    else daysByMonth.set(key, [d])
  }

  const firstDealMonth = versions[0]?.validFrom.slice(0, 7) ?? null
  const startMonth =
    firstDealMonth !== null && firstDealMonth < input.fromMonth ? firstDealMonth : input.fromMonth
  const out: ExpectedMonth[] = []
  let carry = new D(0)
  for (let month = startMonth; month <= input.toMonth; month = monthAfter(month)) {
    const monthDays = daysByMonth.get(month) ?? []
    let result: ExpectedMonth
    if (firstDealMonth === null || month < firstDealMonth) {
      result = noDealMonth(month, monthDays, input.reports, versions[0]?.validFrom ?? null)
    } else {
      const computed = dealMonth(month, segmentsOf(month, versions, monthDays), input.reports, carry)
      result = computed.month
      carry = computed.carriedOut
    }
    if (month >= input.fromMonth) out.push(result)
  }
  return out
}

/**
 * Splits a month into runs of days by the version governing them: a day is governed by the latest version whose
 * validFrom is on or before it. Days before the first version are governed by none and left out of the month's
 * figures, so that what the program reported is compared only with what the deal covers.
 */
function segmentsOf(
  month: string,
  versions: readonly DealVersionTerms[],
  days: readonly DayFigures[],
): Segment[] {
  const first = `${month}-01`
  const last = lastDayOf(month)
  const segments: Segment[] = []
  for (let i = 0; i < versions.length; i++) {
    const version = versions[i]!
    const next = versions[i + 1]
    // The version's days are [validFrom, next.validFrom); only the part inside the month matters.
    if (version.validFrom > last || (next !== undefined && next.validFrom <= first)) continue
    const from = version.validFrom > first ? version.validFrom : first
    segments.push({
      version,
      from,
      days: days.filter((d) => d.day >= from && (next === undefined || d.day < next.validFrom)),
    })
  }
  return segments
}

function noDealMonth(
  month: string,
  days: readonly DayFigures[],
  reports: ExpectedCommissionInput['reports'],
  firstValidFrom: string | null,
): ExpectedMonth {
  const figures = monthFigures(days, reports)
  const reasons: ExpectedReason[] = [
    reason(
      'NO_DEAL',
      firstValidFrom === null
        ? 'No deal terms are recorded, so nothing is expected.'
        : `The deal starts on ${firstValidFrom}, so nothing is expected for this month.`,
    ),
  ]
  if (figures.reported === null) reasons.push(commissionReason(reports))
  return {
    month,
    ...figures,
    cpa: null,
    revenueShare: null,
    fees: '0',
    expected: null,
    expectedUpperBound: null,
    difference: null,
    carriedIn: '0',
    carriedOut: '0',
    tierPercents: [],
    tiers: [],
    versionsInForce: [],
    paymentTermsDays: null,
    minimumPayout: null,
    reasons,
  }
}

/** The month's stored totals; a metric the platform does not deliver is null, not 0. */
function monthFigures(days: readonly DayFigures[], reports: ExpectedCommissionInput['reports']) {
  const t = totalsOf(days)
  return {
    daysWithData: new Set(days.map((d) => d.day)).size,
    ftds: reports.ftds ? t.ftds : null,
    cpaCount: reports.cpaCount ? t.cpaCount : null,
    netRevenue: reports.netRevenue ? money(t.netRevenue) : null,
    // A platform that delivers commission but stored none this month has nothing to compare with either.
    reported: reports.commission && t.commissionDays > 0 ? money(t.commission) : null,
  }
}

function commissionReason(reports: ExpectedCommissionInput['reports']): ExpectedReason {
  return reason(
    'COMMISSION_NOT_REPORTED',
    reports.commission
      ? 'No commission figure is stored for this month, so there is nothing to compare with.'
      : 'The platform does not report commission, so there is nothing to compare with.',
  )
}

interface CpaPart {
  /** Exact when every segment could be computed; null otherwise. */
  value: Dec | null
  /** Computed segments exactly plus the most the others can earn; null when some segment has no bound. */
  bound: Dec | null
  reasons: ExpectedReason[]
}

/**
 * CPA per segment at that segment's amount. The platform's own qualified count is the truth when delivered; without
 * it every FTD counts only when the deal sets no condition, and otherwise the part is unknown but bounded by the
 * FTDs, since no stored figure shows which depositors met the condition.
 */
function cpaPart(
  segments: readonly Segment[],
  reports: ExpectedCommissionInput['reports'],
  currency: string,
) {
  let value: Dec | null = new D(0)
  let bound: Dec | null = new D(0)
  let belowCount = 0
  let belowAmount = new D(0)
  let unknownFtds = 0
  let unknownBound: Dec | null = new D(0)
  let anyUnknown = false
  for (const segment of segments) {
    const cpa = segment.version.terms.cpa
    if (!cpa) continue
    const t = totalsOf(segment.days)
    const amount = new D(cpa.amount)
    let part: Dec | null = null
    if (reports.cpaCount) {
      part = amount.times(t.cpaCount)
      // Each segment on its own: a surplus of qualified CPAs in one does not hide unqualified FTDs in another.
      if (reports.ftds && t.ftds > t.cpaCount) {
        belowCount += t.ftds - t.cpaCount
        belowAmount = belowAmount.plus(amount.times(t.ftds - t.cpaCount))
      }
    } else if (isUnconditionalCpa(cpa) && reports.ftds) {
      part = amount.times(t.ftds)
    }
    if (part !== null) {
      value = value?.plus(part) ?? null
      bound = bound?.plus(part) ?? null
      continue
    }
    anyUnknown = true
    value = null
    if (reports.ftds) {
      unknownFtds += t.ftds
      unknownBound = unknownBound?.plus(amount.times(t.ftds)) ?? null
      bound = bound?.plus(amount.times(t.ftds)) ?? null
    } else {
      unknownBound = null
      bound = null
    }
  }
  const reasons: ExpectedReason[] = []
  if (belowCount > 0)
    reasons.push(
      reason(
        'FTDS_BELOW_QUALIFICATION',
        `${plural(belowCount, 'FTD was', 'FTDs were')} not counted as qualified CPAs by the program; at the deal's CPA they would have earned ${money(belowAmount)} ${currency}.`,
        belowAmount,
        belowCount,
      ),
    )
  if (anyUnknown)
    reasons.push(
      unknownBound === null
        ? reason(
            'QUALIFIED_COUNT_NOT_REPORTED',
            'The platform reports neither qualified CPAs nor FTDs, so the CPA part cannot be computed.',
          )
        : reason(
            'QUALIFIED_COUNT_NOT_REPORTED',
            `The platform does not report qualified CPAs and the deal sets qualification conditions, so the ${plural(unknownFtds, 'FTD', 'FTDs')} can earn at most ${money(unknownBound)} ${currency}.`,
            unknownBound,
            unknownFtds,
          ),
    )
  return { value, bound, reasons } satisfies CpaPart
}

interface SharePart {
  value: Dec | null
  carriedOut: Dec
  tiers: ExpectedTier[]
  reasons: ExpectedReason[]
}

/**
 * Revenue share. The tier is reached by the month as a whole (all its governed days), then each segment pays its
 * own version's percent of that tier on its own net revenue: how deal sheets word a tier, applied to a deal that
 * changed during the month. The carry-over rule is that of the version in force on the month's last day.
 */
function sharePart(
  segments: readonly Segment[],
  reports: ExpectedCommissionInput['reports'],
  carriedIn: Dec,
  currency: string,
): SharePart {
  const shared = segments.filter((s) => s.version.terms.revenueShare !== null)
  // A month whose deal has no revenue share neither uses nor forgets a carry: it waits for one that has.
  if (shared.length === 0) return { value: null, carriedOut: carriedIn, tiers: [], reasons: [] }
  if (!reports.netRevenue)
    return {
      value: null,
      carriedOut: carriedIn,
      tiers: [],
      reasons: [
        reason(
          'NET_REVENUE_NOT_REPORTED',
          'The platform does not report net revenue, so the revenue share cannot be computed.',
        ),
      ],
    }

  const month = totalsOf(segments.flatMap((s) => s.days))
  const tiers: ExpectedTier[] = []
  let sum: Dec | null = new D(0)
  let lastPercent: Dec | null = null
  let ftdsMissing = false
  let ngr = new D(0)
  for (const segment of shared) {
    const term = segment.version.terms.revenueShare!
    const segmentNgr = totalsOf(segment.days).netRevenue
    ngr = ngr.plus(segmentNgr)
    if (term.tierBasis === 'FTDS' && !reports.ftds) {
      ftdsMissing = true
      sum = null
      lastPercent = null
      continue
    }
    const basisTotal = term.tierBasis === 'FTDS' ? new D(month.ftds) : month.netRevenue
    // Highest tier reached; a negative net revenue reaches none, and the first tier (from 0) is the floor.
    let tier = term.tiers[0]!
    for (const t of term.tiers) if (basisTotal.gte(t.from)) tier = t
    tiers.push({
      validFrom: segment.version.validFrom,
      basis: term.tierBasis,
      basisTotal: term.tierBasis === 'FTDS' ? String(month.ftds) : money(basisTotal),
      percent: tier.percent,
    })
    lastPercent = new D(tier.percent).div(100)
    sum = sum?.plus(segmentNgr.times(lastPercent)) ?? null
  }

  const reasons: ExpectedReason[] = []
  const carryOver = shared.at(-1)!.version.terms.revenueShare!.negativeCarryOver
  let value: Dec | null
  let carriedOut = new D(0)
  if (carryOver) {
    const base = ngr.plus(carriedIn)
    if (carriedIn.isNegative())
      reasons.push(
        reason(
          'CARRY_OVER_APPLIED',
          `Negative net revenue of ${money(carriedIn.negated())} ${currency} carried from earlier months was offset against this month's.`,
          carriedIn,
        ),
      )
    if (ngr.isNegative())
      reasons.push(
        reason(
          'NEGATIVE_MONTH',
          `Net revenue was negative (${money(ngr)} ${currency}); the deal carries it into the following months.`,
          ngr,
        ),
      )
    if (base.lte(0)) {
      // Nothing left after the offset: the share is 0 whatever the tier, and the rest of the loss carries on.
      value = new D(0)
      carriedOut = base
    } else {
      // The carried loss is priced at the month-end percent: the terms it is being settled under.
      value = sum === null || lastPercent === null ? null : D.max(0, sum.plus(carriedIn.times(lastPercent)))
    }
  } else if (ngr.isNegative()) {
    reasons.push(
      reason(
        'NEGATIVE_MONTH',
        `Net revenue was negative (${money(ngr)} ${currency}), so the month earns no revenue share.`,
        ngr,
      ),
    )
    value = new D(0)
  } else {
    // Segments of opposite signs can still sum below 0 at different percents; a share is never owed back.
    value = sum === null ? null : D.max(0, sum)
  }
  if (value === null && ftdsMissing)
    reasons.push(
      reason(
        'FTDS_NOT_REPORTED',
        'The revenue-share tier depends on FTDs, which the platform does not report, so the revenue share cannot be computed.',
      ),
    )
  return { value, carriedOut, tiers, reasons }
}

function dealMonth(
  month: string,
  segments: readonly Segment[],
  reports: ExpectedCommissionInput['reports'],
  carriedIn: Dec,
): { month: ExpectedMonth; carriedOut: Dec } {
  const monthEnd = segments.at(-1)!.version
  const currency = monthEnd.terms.currency
  const figures = monthFigures(
    segments.flatMap((s) => s.days),
    reports,
  )
  const reasons: ExpectedReason[] = []
  if (segments.length > 1)
    reasons.push(
      reason(
        'TERMS_CHANGED_MID_MONTH',
        `The deal terms changed on ${segments
          .slice(1)
          .map((s) => s.from)
          .join(', ')}; each part of the month is computed under the terms then in force.`,
        null,
        segments.length,
      ),
    )

  const hasCpa = segments.some((s) => s.version.terms.cpa !== null)
  const hasShare = segments.some((s) => s.version.terms.revenueShare !== null)
  const cpa = cpaPart(segments, reports, currency)
  const share = sharePart(segments, reports, carriedIn, currency)
  reasons.push(...cpa.reasons, ...share.reasons)

  // Monthly fees follow the terms the month ends under; a one-off fee belongs to the month its version starts.
  let fees = monthEnd.terms.fixedFees
    .filter((f) => f.frequency === 'MONTHLY')
    .reduce((acc, f) => acc.plus(f.amount), new D(0))
  for (const s of segments)
    if (s.version.validFrom.startsWith(month))
      for (const f of s.version.terms.fixedFees) if (f.frequency === 'ONCE') fees = fees.plus(f.amount)

  const cpaValue = hasCpa ? cpa.value : new D(0)
  const shareValue = hasShare ? share.value : new D(0)
  const expected = cpaValue !== null && shareValue !== null ? cpaValue.plus(shareValue).plus(fees) : null
  // A bound exists only when the CPA is the unknown part: an unknown revenue share has no ceiling.
  const upperBound =
    expected === null && shareValue !== null && hasCpa && cpa.bound !== null
      ? cpa.bound.plus(shareValue).plus(fees)
      : null

  if (figures.reported === null) reasons.push(commissionReason(reports))
  const expectedOut = expected === null ? null : money(expected)
  return {
    month: {
      month,
      ...figures,
      cpa: hasCpa && cpa.value !== null ? money(cpa.value) : null,
      revenueShare: hasShare && share.value !== null ? money(share.value) : null,
      fees: money(fees),
      expected: expectedOut,
      expectedUpperBound: upperBound === null ? null : money(upperBound),
      // Both sides as paid, in cents: an exact half cent in the expected figure is not a difference anyone pays.
      difference:
        figures.reported === null || expectedOut === null
          ? null
          : money(new D(figures.reported).minus(expectedOut)),
      carriedIn: money(carriedIn),
      carriedOut: money(share.carriedOut),
      tierPercents: share.tiers.map((t) => t.percent),
      tiers: share.tiers,
      versionsInForce: segments.map((s) => s.version.validFrom),
      paymentTermsDays: monthEnd.terms.paymentTermsDays,
      minimumPayout: monthEnd.terms.minimumPayout,
      reasons,
    },
    carriedOut: share.carriedOut,
  }
}
