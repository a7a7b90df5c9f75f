import type { Decimal as DecimalJs } from 'decimal.js'
import type { AppServices } from '../app-services.ts'
import { isUuid } from '../db/uuid.ts'
import { convertAmount } from '../fx/fx-convert.ts'
import { addDays } from '../sdk/index.ts'
import { platformToday } from '../sync/sync-engine.ts'
import { type DealTerms, type DealVersionTerms, dealTermsSchema } from './deal-terms.ts'
import {
  computeExpectedCommission,
  type DayFigures,
  ExactDecimal,
  type ExpectedMonth,
  lastDayOf,
  monthAfter,
} from './expected-commission.ts'

const Decimal = ExactDecimal
type Decimal = DecimalJs

/**
 * Reconciliation: per account (or brand deal) and month, what the program owes by its own report, what the deal
 * says it should owe, what it paid, and what is outstanding or overdue against the deal's payment terms.
 */

/** Amounts within a cent are settled: programs round their statements, and so do banks. */
const TOLERANCE = new Decimal('0.01')

export const RECONCILIATION_STATUSES = [
  'NOTHING_OWED',
  'NOT_DUE',
  'BELOW_MINIMUM',
  'PAID',
  'OVERPAID',
  'SHORT',
  'OVERDUE',
] as const
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number]

export interface PaymentLine {
  id: string
  amount: string
  currency: string
  /** `amount` in the row's currency, at the rate of the day paid (or of the month's end while unpaid). */
  converted: string | null
  rate: string | null
  paidOn: string | null
  source: string
  reference: string | null
}

export interface ReconciliationRow {
  accountId: string
  /** '' for the whole account. */
  brand: string
  dealId: string | null
  month: string
  /** The program's currency: the deal's, else the account's. */
  currency: string
  expected: ExpectedMonth | null
  /** What the program reported as earned (its statement), or the deal's figure where it reports none. */
  owed: string | null
  /** What `owed` stands on. */
  owedFrom: 'REPORTED' | 'EXPECTED' | 'NONE'
  paid: string
  outstanding: string | null
  dueOn: string
  daysOverdue: number
  status: ReconciliationStatus
  payments: PaymentLine[]
  /** A payment whose currency could not be converted (no rate): paid and outstanding leave it out. */
  unconvertedPayments: number
  /**
   * When the account's synced history starts inside the month: its first synced day. Owed and expected then cover
   * only part of the month, while a program's payment covers all of it.
   */
  statisticsFrom: string | null
}

export interface ReconcileOptions {
  workspaceId: string
  fromMonth: string
  toMonth: string
  accountIds?: readonly string[]
}

interface DealRow {
  id: string
  account_id: string
  brand: string
}
interface AccountRow {
  id: string
  platform_id: string
  currency: string | null
  time_zone: string
}

const monthStart = (month: string) => `${month}-01`
export const monthEnd = lastDayOf
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = []
  for (let month = from; month <= to; month = monthAfter(month)) out.push(month)
  return out
}

/** A PostgreSQL array literal: both drivers take it as one text parameter, where a JS array would be spread. */
const uuidArray = (ids: readonly string[]) => `{${ids.filter((id) => isUuid(id)).join(',')}}`
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

/** Versions of a deal, oldest first, with terms read back through the schema (a stored terms object is trusted no further). */
export async function dealVersions(services: AppServices, dealId: string): Promise<DealVersionTerms[]> {
  const rows = await services.db.query<{ valid_from: unknown; terms: unknown }>(
    `select valid_from::text as valid_from, terms from deal_version where deal_id = ? order by valid_from`,
    [dealId],
  )
  const out: DealVersionTerms[] = []
  for (const row of rows) {
    const raw = typeof row.terms === 'string' ? JSON.parse(row.terms) : row.terms
    const parsed = dealTermsSchema.safeParse(raw)
    if (parsed.success) out.push({ validFrom: String(row.valid_from), terms: parsed.data })
  }
  return out
}

/**
 * Daily figures of a deal's scope in the deal's currency. A brand deal takes its brand's rows; the account's deal
 * takes every brand without a deal of its own. Rows in another currency are converted at the rate of their month's
 * last day, the rate a program's monthly statement would use; a currency without a rate leaves the money null.
 */
async function dealDays(
  services: AppServices,
  account: AccountRow,
  brand: string,
  otherBrands: string[],
  currency: string,
  from: string,
  to: string,
): Promise<{ days: DayFigures[]; currencies: Map<string, Set<string>> }> {
  const brandClause =
    brand !== ''
      ? ' and brand = ?'
      : otherBrands.length > 0
        ? ` and brand not in (${otherBrands.map(() => '?').join(', ')})`
        : ''
  const rows = await services.db.query<Record<string, unknown>>(
    `select day::text as day, currency, sum(ftds) as ftds, sum(cpa_count) as cpa_count,
       sum(net_revenue)::text as net_revenue, sum(commission)::text as commission
     from stat_day where account_id = ? and day between ?::date and ?::date${brandClause}
     group by day, currency order by day`,
    [account.id, from, to, ...(brand !== '' ? [brand] : otherBrands)],
  )
  const factors = new Map<string, string | null>()
  const factor = async (rowCurrency: string, day: string) => {
    if (rowCurrency === '' || rowCurrency === currency) return '1'
    const end = monthEnd(day.slice(0, 7))
    const key = `${rowCurrency}:${end}`
    if (!factors.has(key)) {
      const c = await convertAmount(services.db, {
        amount: '1',
        currency: rowCurrency,
        day: end,
        reportCurrency: currency,
      })
      factors.set(key, c.factor)
    }
    return factors.get(key) ?? null
  }
  const byDay = new Map<string, DayFigures>()
  const currencies = new Map<string, Set<string>>()
  const addCount = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b)
  const addMoney = (a: string | null, b: string | null) =>
    b === null ? a : new Decimal(a ?? '0').plus(b).toString()
  for (const row of rows) {
    const day = String(row.day)
    const rowCurrency = String(row.currency ?? '')
    if (rowCurrency) {
      const month = day.slice(0, 7)
      if (!currencies.has(month)) currencies.set(month, new Set())
      currencies.get(month)?.add(rowCurrency)
    }
    const f = await factor(rowCurrency, day)
    const money = (v: unknown) => {
      const t = text(v)
      if (t === null) return null
      return f === null ? null : new Decimal(t).times(f).toString()
    }
    const prev = byDay.get(day) ?? { day, ftds: null, cpaCount: null, netRevenue: null, commission: null }
    byDay.set(day, {
      day,
      ftds: addCount(prev.ftds, num(row.ftds)),
      cpaCount: addCount(prev.cpaCount, num(row.cpa_count)),
      netRevenue: addMoney(prev.netRevenue, money(row.net_revenue)),
      commission: addMoney(prev.commission, money(row.commission)),
    })
  }
  return { days: [...byDay.values()], currencies }
}

function statusOf(
  owed: Decimal | null,
  paid: Decimal,
  dueOn: string,
  today: string,
  minimumPayout: string | null,
): { status: ReconciliationStatus; outstanding: Decimal | null } {
  if (owed === null) return { status: paid.gt(0) ? 'PAID' : 'NOTHING_OWED', outstanding: null }
  const outstanding = owed.minus(paid)
  if (owed.lte(TOLERANCE) && paid.lte(TOLERANCE)) return { status: 'NOTHING_OWED', outstanding }
  if (outstanding.abs().lte(TOLERANCE)) return { status: 'PAID', outstanding }
  if (outstanding.lt(0)) return { status: 'OVERPAID', outstanding }
  if (paid.isZero() && minimumPayout !== null && owed.lt(minimumPayout))
    return { status: 'BELOW_MINIMUM', outstanding }
  if (today <= dueOn) return { status: paid.gt(0) ? 'SHORT' : 'NOT_DUE', outstanding }
  return { status: paid.gt(0) ? 'SHORT' : 'OVERDUE', outstanding }
}

/** The first synced day when it falls after the month's first day and within the month. */
function partialFrom(first: string | undefined, month: string): string | null {
  if (!first || first <= monthStart(month) || first > monthEnd(month)) return null
  return first
}

const dayDiff = (a: string, b: string) =>
  Math.round((Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / 86_400_000)

/** Default payment terms for a program without a deal: net 30 is what most iGaming and CPA programs state. */
const DEFAULT_PAYMENT_TERMS_DAYS = 30

export async function reconcile(
  services: AppServices,
  options: ReconcileOptions,
): Promise<ReconciliationRow[]> {
  const { workspaceId, fromMonth, toMonth } = options
  const accountFilter = options.accountIds ? ' and id = any(?::uuid[])' : ''
  const accounts = await services.db.query<AccountRow>(
    `select id, platform_id, currency, time_zone from account where workspace_id = ?${accountFilter} order by created_at, id`,
    [workspaceId, ...(options.accountIds ? [uuidArray(options.accountIds)] : [])],
  )
  if (accounts.length === 0) return []
  const ids = accounts.map((a) => a.id)
  const deals = await services.db.query<DealRow>(
    `select id, account_id, brand from deal where account_id = any(?::uuid[]) order by brand`,
    [uuidArray(ids)],
  )
  const payments = await services.db.query<Record<string, unknown>>(
    `select id, account_id, brand, to_char(period_month, 'YYYY-MM') as month, amount::text as amount, currency,
       paid_on::text as paid_on, source, reference
     from payment where account_id = any(?::uuid[]) and period_month between ?::date and ?::date
     order by paid_on nulls last, created_at`,
    [uuidArray(ids), monthStart(fromMonth), monthStart(toMonth)],
  )
  const coverage = await services.db.query<{ account_id: string; first: string }>(
    `select account_id, min(from_day)::text as first from sync_coverage where account_id = any(?::uuid[])
      group by account_id`,
    [uuidArray(ids)],
  )
  const firstSynced = new Map(coverage.map((c) => [c.account_id, c.first]))
  const now = services.clock.now()
  const rows: ReconciliationRow[] = []
  for (const account of accounts) {
    const platform = services.registry.get(account.platform_id)
    const metrics = new Set<string>(platform?.definition.capabilities.metrics ?? [])
    const today = platformToday(account.time_zone, now)
    const accountDeals = deals.filter((d) => d.account_id === account.id)
    const scopes: { brand: string; dealId: string | null }[] = accountDeals.map((d) => ({
      brand: d.brand,
      dealId: d.id,
    }))
    if (!scopes.some((s) => s.brand === '')) scopes.unshift({ brand: '', dealId: null })
    const brandDeals = accountDeals.filter((d) => d.brand !== '').map((d) => d.brand)
    for (const scope of scopes) {
      const versions = scope.dealId ? await dealVersions(services, scope.dealId) : []
      const lastTerms: DealTerms | undefined = versions.at(-1)?.terms
      const currency = lastTerms?.currency ?? account.currency ?? 'EUR'
      // Carry-over runs from the deal's first month, so the figures before the asked range are read too.
      const first = versions[0]?.validFrom.slice(0, 7)
      const computeFrom = first !== undefined && first < fromMonth ? first : fromMonth
      const { days, currencies } = await dealDays(
        services,
        account,
        scope.brand,
        scope.brand === '' ? brandDeals : [],
        currency,
        monthStart(computeFrom),
        monthEnd(toMonth),
      )
      const expected = computeExpectedCommission({
        versions,
        days,
        fromMonth,
        toMonth,
        reports: {
          ftds: metrics.has('ftds'),
          cpaCount: metrics.has('cpaCount'),
          netRevenue: metrics.has('netRevenue'),
          commission: metrics.has('commission'),
        },
      })
      const byMonth = new Map(expected.map((m) => [m.month, m]))
      for (const month of monthsBetween(fromMonth, toMonth)) {
        const e = byMonth.get(month) ?? null
        // A payment for a brand without a deal of its own settles the account's deal, as that brand's figures do.
        const own = payments.filter(
          (p) =>
            p.account_id === account.id &&
            p.month === month &&
            (String(p.brand) === scope.brand ||
              (scope.brand === '' && !brandDeals.includes(String(p.brand)))),
        )
        const lines: PaymentLine[] = []
        let paid = new Decimal(0)
        let unconverted = 0
        for (const p of own) {
          const amount = String(p.amount)
          const paidOn = text(p.paid_on)
          let converted: string | null = amount
          let rate: string | null = null
          if (p.currency !== currency) {
            // Paid in a currency the month's figures are in: valued at the rate that valued those figures (the
            // month's last day), so that paying each currency's share settles it to the cent. Any other
            // currency: at the rate of the day paid, as a bank would.
            const ownCurrency = currencies.get(month)?.has(String(p.currency)) ?? false
            const c = await convertAmount(services.db, {
              amount,
              currency: String(p.currency),
              day: ownCurrency || !paidOn ? monthEnd(month) : paidOn,
              reportCurrency: currency,
            })
            converted = c.amount
            rate = c.factor
          }
          // An invoice the platform lists as unpaid is shown, not counted: money counts once it was sent.
          if (converted === null) unconverted += 1
          else if (paidOn !== null) paid = paid.plus(converted)
          lines.push({
            id: String(p.id),
            amount,
            currency: String(p.currency),
            converted,
            rate,
            paidOn,
            source: String(p.source),
            reference: text(p.reference),
          })
        }
        const reported = e?.reported ?? null
        const owedText = reported ?? e?.expected ?? null
        const hasDeal = e !== null && !e.reasons.some((r) => r.code === 'NO_DEAL')
        // A month with no statistics and no payment is only shown when the deal still owes something (a fee).
        const owesFee = e?.expected !== null && e?.expected !== undefined && Number(e.expected) !== 0
        if (e && e.daysWithData === 0 && own.length === 0 && !(hasDeal && owesFee)) continue
        if (!e && own.length === 0) continue
        const terms = e?.paymentTermsDays ?? DEFAULT_PAYMENT_TERMS_DAYS
        const dueOn = addDays(monthEnd(month), terms)
        const owed = owedText === null ? null : new Decimal(owedText)
        const { status, outstanding } = statusOf(owed, paid, dueOn, today, e?.minimumPayout ?? null)
        rows.push({
          accountId: account.id,
          brand: scope.brand,
          dealId: scope.dealId,
          month,
          currency,
          expected: e,
          owed: owedText,
          owedFrom: reported !== null ? 'REPORTED' : owedText !== null ? 'EXPECTED' : 'NONE',
          paid: paid.toString(),
          outstanding: outstanding?.toString() ?? null,
          dueOn,
          daysOverdue:
            (status === 'OVERDUE' || status === 'SHORT') && today > dueOn ? dayDiff(today, dueOn) : 0,
          status,
          payments: lines,
          unconvertedPayments: unconverted,
          statisticsFrom: partialFrom(firstSynced.get(account.id), month),
        })
      }
    }
  }
  return rows
}
