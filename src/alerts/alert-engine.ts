import { randomUUID } from 'node:crypto'
import { Account } from '../account/account.entity.ts'
import type { AppServices } from '../app-services.ts'
import { announceLocally, announceSql } from '../db/change-feed.ts'
import { isoDay } from '../db/iso-day.ts'
import { reconcile } from '../deals/reconciliation.ts'
import { horizonOf, isSettled } from '../platform/revision-horizon.ts'
import { addDays, roundDecimal } from '../sdk/index.ts'
import { METRIC_COLUMNS } from '../stats/stat-writer.ts'
import { platformToday } from '../sync/sync-engine.ts'
import { Alert, AlertRule, type AlertRuleKind } from './alert.entity.ts'
import { enqueueAlertDeliveries } from './alert-delivery.ts'
import { median, nextMonthStart, type RuleSettings, readSettings } from './alert-rules.ts'

/** What a rule found wrong about one subject right now. */
export interface AlertCandidate {
  subjectKey: string
  accountId: string
  day: string | null
  metric: string | null
  currency: string | null
  before: string | null
  after: string | null
  title: string
  details: Record<string, unknown>
}

interface RuleFindings {
  candidates: Map<string, AlertCandidate>
  /** Whether the rule looked at this subject; an open alert whose subject was not looked at stays as it is. */
  examined: (subjectKey: string) => boolean
}

export interface EvaluationScope {
  workspaceId?: string
  ruleId?: string
  /** Only these accounts' subjects (after a sync of them); every targeted account when absent. */
  accountIds?: readonly string[]
  /** Only rules of these kinds; every kind when absent. */
  kinds?: readonly AlertRuleKind[]
}

export interface EvaluationResult {
  opened: string[]
  resolved: string[]
  updated: number
}

function accountName(account: Account): string {
  return account.programName ?? account.label
}

function targets(rule: AlertRule, accounts: readonly Account[]): Account[] {
  const ids = new Set(rule.targetAccountIds)
  const tags = new Set(rule.targetTags)
  if (ids.size === 0 && tags.size === 0) return [...accounts]
  return accounts.filter((a) => ids.has(a.id) || a.tags.some((t) => tags.has(t)))
}

const everything = () => true

function decimalText(value: number): string {
  // Counts stay integers; money keeps the cents it was stored with, no float tails.
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6)
}

function hoursBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / 3_600_000)
}

function syncStale(rule: AlertRule, accounts: Account[], now: Date): RuleFindings {
  const { staleHours } = readSettings('SYNC_STALE', rule.settings)
  const candidates = new Map<string, AlertCandidate>()
  for (const account of accounts) {
    const since = account.lastSyncAt ?? account.createdAt
    const hours = hoursBetween(since, now)
    if (hours < staleHours) continue
    const subjectKey = `account:${account.id}`
    candidates.set(subjectKey, {
      subjectKey,
      accountId: account.id,
      day: null,
      metric: null,
      currency: null,
      before: null,
      after: String(hours),
      title: account.lastSyncAt
        ? `${accountName(account)}: no successful sync for ${hours} hours`
        : `${accountName(account)}: not synced once in ${hours} hours since it was connected`,
      details: {
        lastSyncAt: account.lastSyncAt?.toISOString() ?? null,
        staleHours,
        hoursSinceSync: hours,
        lastErrorCode: account.lastErrorCode,
      },
    })
  }
  return { candidates, examined: everything }
}

function credentialsRefused(accounts: Account[]): RuleFindings {
  const candidates = new Map<string, AlertCandidate>()
  for (const account of accounts) {
    if (account.status !== 'AUTH_FAILED') continue
    const subjectKey = `account:${account.id}`
    candidates.set(subjectKey, {
      subjectKey,
      accountId: account.id,
      day: null,
      metric: null,
      currency: null,
      before: null,
      after: null,
      title: `${accountName(account)}: the platform refuses the stored credentials`,
      details: { lastErrorCode: account.lastErrorCode, lastErrorMessage: account.lastErrorMessage },
    })
  }
  return { candidates, examined: everything }
}

interface ChangeGroup {
  accountId: string
  day: string
  metric: string
  currency: string
  before: number
  after: number
  firstDetectedAt: Date
  lastDetectedAt: Date
}

const REVISION_METRICS = ['ftds', 'signups', 'netRevenue', 'commission'] as const
const COUNT_METRICS = new Set(['ftds', 'signups'])

interface Figure extends ChangeGroup {
  delta: number
  percent: number | null
  reasons: string[]
  /** The day's whole figure now (for money), to express the change as a share of it. */
  total: number
}

function monthName(month: string): string {
  return new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${month}-01T00:00:00Z`),
  )
}

function revisionCandidate(
  subjectKey: string,
  account: Account,
  day: string,
  label: string,
  figures: Figure[],
): AlertCandidate | null {
  const reasons = new Set(figures.flatMap((f) => f.reasons))
  const qualifying = figures.filter((f) => f.reasons.length > 0)
  const headline =
    qualifying.find((f) => f.metric === 'ftds' && f.reasons.includes('FTDS_REMOVED')) ??
    qualifying.find((f) => f.metric === 'signups' && f.reasons.includes('SIGNUPS_REMOVED')) ??
    [...qualifying].sort(
      (x, y) =>
        Number(y.metric === 'commission') - Number(x.metric === 'commission') ||
        Math.abs(y.delta) - Math.abs(x.delta),
    )[0]
  if (!headline) return null
  return {
    subjectKey,
    accountId: account.id,
    day,
    metric: headline.metric,
    currency: COUNT_METRICS.has(headline.metric) ? null : headline.currency || null,
    before: decimalText(headline.before),
    after: decimalText(headline.after),
    title: revisionTitle(accountName(account), label, headline, reasons),
    details: {
      reasons: [...reasons],
      figures: figures.map((f) => ({
        metric: f.metric,
        currency: COUNT_METRICS.has(f.metric) ? null : f.currency || null,
        before: decimalText(f.before),
        after: decimalText(f.after),
        change: decimalText(f.delta),
        percent: f.percent === null ? null : Math.round(f.percent * 100) / 100,
        reasons: f.reasons,
        firstDetectedAt: f.firstDetectedAt.toISOString(),
        lastDetectedAt: f.lastDetectedAt.toISOString(),
      })),
    } as Record<string, unknown>,
  }
}

const METRIC_WORDS: Record<string, [string, string]> = {
  ftds: ['FTD', 'FTDs'],
  signups: ['signup', 'signups'],
  netRevenue: ['net revenue', 'net revenue'],
  commission: ['commission', 'commission'],
}

function revisionTitle(name: string, day: string, headline: Figure, reasons: ReadonlySet<string>): string {
  const [one, many] = METRIC_WORDS[headline.metric] ?? [headline.metric, headline.metric]
  const when = reasons.has('AFTER_MONTH_CLOSE')
    ? ' after its month closed'
    : reasons.has('AFTER_HORIZON')
      ? ' after the platform called it final'
      : ''
  if (COUNT_METRICS.has(headline.metric) && headline.delta < 0) {
    const n = -headline.delta
    return `${name}: ${n} ${n === 1 ? one : many} removed from ${day}${when}`
  }
  const pct = headline.percent === null ? '' : ` by ${Math.abs(Math.round(headline.percent * 10) / 10)}%`
  return `${name}: ${many} of ${day} revised ${headline.delta < 0 ? 'down' : 'up'}${pct}${when}`
}

/**
 * A revision is judged by where a day's figure stands now against what was first stored for it: an FTD removed
 * and later restored is no longer a loss, so its alert resolves. Only the (brand, campaign) rows that changed are
 * summed; the rows that never changed add the same to both sides and cancel out of the difference.
 */
async function revisions(
  services: AppServices,
  rule: AlertRule,
  accounts: Account[],
  now: Date,
  openDays: ReadonlySet<string>,
  horizonSettled: HorizonCheck,
): Promise<RuleFindings> {
  const settings = readSettings('REVISION', rule.settings)
  const candidates = new Map<string, AlertCandidate>()
  const examinedKeys = new Set<string>()
  if (accounts.length === 0) return { candidates, examined: (k) => examinedKeys.has(k) }
  const byId = new Map(accounts.map((a) => [a.id, a]))
  const since = new Date(now.getTime() - settings.windowDays * 86_400_000)
  const rows = await services.db.query<{
    account_id: string
    day: string | Date
    metric: string
    currency: string
    first_old: string | null
    last_new: string | null
    first_at: string | Date
    last_at: string | Date
  }>(
    `select c.account_id, c.day, c.metric, c.currency,
            (array_agg(c.old_value order by c.id))[1] as first_old,
            (array_agg(c.new_value order by c.id desc))[1] as last_new,
            min(c.detected_at) as first_at, max(c.detected_at) as last_at
       from stat_change c
      where c.workspace_id = ? and c.account_id = any(?::uuid[]) and c.metric = any(?::text[])
        and (c.detected_at >= ? or (c.account_id::text || ':' || c.day::text) = any(?::text[])
             or (c.account_id::text || ':' || to_char(c.day, 'YYYY-MM')) = any(?::text[]))
      group by c.account_id, c.day, c.metric, c.currency, c.brand, c.campaign`,
    [
      rule.workspace.id,
      `{${accounts.map((a) => a.id).join(',')}}`,
      `{${REVISION_METRICS.join(',')}}`,
      since,
      `{${[...openDays].map((d) => `"${d}"`).join(',')}}`,
      `{${[...openDays].map((d) => `"${d.slice(0, d.length - 3)}"`).join(',')}}`,
    ],
  )
  const groups = new Map<string, ChangeGroup>()
  for (const row of rows) {
    const day = isoDay(row.day)
    // Counts are counts whatever currency row carries them; money stays per currency.
    const currency = COUNT_METRICS.has(row.metric) ? '' : row.currency
    const key = `${row.account_id}:${day}:${row.metric}:${currency}`
    const first = new Date(row.first_at)
    const last = new Date(row.last_at)
    const group = groups.get(key) ?? {
      accountId: row.account_id,
      day,
      metric: row.metric,
      currency,
      before: 0,
      after: 0,
      firstDetectedAt: first,
      lastDetectedAt: last,
    }
    group.before += Number(row.first_old ?? 0)
    group.after += Number(row.last_new ?? 0)
    if (first < group.firstDetectedAt) group.firstDetectedAt = first
    if (last > group.lastDetectedAt) group.lastDetectedAt = last
    groups.set(key, group)
  }
  if (groups.size === 0) return { candidates, examined: (k) => examinedKeys.has(k) }

  // The day's whole figure now, for the share a money revision moved it by.
  const totals = new Map<string, number>()
  const moneyDays = [...groups.values()].filter((g) => g.metric === 'netRevenue' || g.metric === 'commission')
  if (moneyDays.length > 0) {
    const totalRows = await services.db.query<{
      account_id: string
      day: string | Date
      currency: string
      net_revenue: string | null
      commission: string | null
    }>(
      `select account_id, day, currency, sum(net_revenue) as net_revenue, sum(commission) as commission
         from stat_day where account_id = any(?::uuid[]) and (account_id::text || ':' || day::text) = any(?::text[])
        group by account_id, day, currency`,
      [
        `{${[...new Set(moneyDays.map((g) => g.accountId))].join(',')}}`,
        `{${[...new Set(moneyDays.map((g) => `"${g.accountId}:${g.day}"`))].join(',')}}`,
      ],
    )
    for (const t of totalRows) {
      const day = isoDay(t.day)
      totals.set(`${t.account_id}:${day}:netRevenue:${t.currency}`, Number(t.net_revenue ?? 0))
      totals.set(`${t.account_id}:${day}:commission:${t.currency}`, Number(t.commission ?? 0))
    }
  }

  // One alert per account and day: a reversal moves FTDs, CPA and commission together, and the affiliate wants
  // to hear about the day once, with every figure that moved.
  const days = new Map<string, { accountId: string; day: string; figures: Figure[] }>()
  for (const [key, g] of groups) {
    const delta = g.after - g.before
    const dayKey = `${g.accountId}:${g.day}`
    const entry = days.get(dayKey) ?? { accountId: g.accountId, day: g.day, figures: [] }
    days.set(dayKey, entry)
    if (delta === 0) continue
    let percent: number | null = null
    const total = totals.get(key) ?? g.after
    if (g.metric === 'netRevenue' || g.metric === 'commission') {
      const was = total - delta
      percent = was === 0 ? null : (delta / Math.abs(was)) * 100
    } else if (g.before !== 0) {
      percent = (delta / Math.abs(g.before)) * 100
    }
    entry.figures.push({ ...g, delta, percent, reasons: [], total })
  }
  // Days revised after their month closed are told per month: a program that books late costs against a whole
  // month revises every day of it, and thirty alerts for one statement would bury the ones that matter.
  const months = new Map<string, { account: Account; month: string; days: string[]; figures: Figure[] }>()
  for (const [dayKey, entry] of days) {
    const account = byId.get(entry.accountId)
    if (!account) continue
    examinedKeys.add(`revision:${dayKey}`)
    examinedKeys.add(`revision-month:${entry.accountId}:${entry.day.slice(0, 7)}`)
    const reasons = new Set<string>()
    for (const f of entry.figures) {
      if (f.delta < 0 && f.metric === 'ftds' && settings.ftdsRemoved) f.reasons.push('FTDS_REMOVED')
      if (f.delta < 0 && f.metric === 'signups' && settings.signupsRemoved) f.reasons.push('SIGNUPS_REMOVED')
      if (
        (f.metric === 'netRevenue' || f.metric === 'commission') &&
        settings.moneyChangePercent !== null &&
        (f.percent === null || Math.abs(f.percent) > settings.moneyChangePercent)
      )
        f.reasons.push('MONEY_REVISED')
      const detectedDay = platformToday(account.timeZone, f.lastDetectedAt)
      if (settings.afterMonthClose && detectedDay >= nextMonthStart(f.day))
        f.reasons.push('AFTER_MONTH_CLOSE')
      if (settings.afterHorizon && horizonSettled(account, f.day, detectedDay))
        f.reasons.push('AFTER_HORIZON')
      for (const r of f.reasons) reasons.add(r)
    }
    if (reasons.size === 0) continue
    if (reasons.has('AFTER_MONTH_CLOSE')) {
      const monthKey = `${entry.accountId}:${entry.day.slice(0, 7)}`
      const bucket = months.get(monthKey) ?? { account, month: entry.day.slice(0, 7), days: [], figures: [] }
      bucket.days.push(entry.day)
      bucket.figures.push(...entry.figures)
      months.set(monthKey, bucket)
      continue
    }
    const candidate = revisionCandidate(`revision:${dayKey}`, account, entry.day, entry.day, entry.figures)
    if (candidate) candidates.set(candidate.subjectKey, candidate)
  }
  for (const [monthKey, bucket] of months) {
    // One figure per metric and currency over the month's revised days.
    const merged = new Map<string, Figure>()
    for (const f of bucket.figures) {
      const key = `${f.metric}:${f.currency}`
      const m = merged.get(key)
      if (!m) {
        merged.set(key, { ...f, reasons: [...f.reasons] })
        continue
      }
      m.before += f.before
      m.after += f.after
      m.delta += f.delta
      m.total += f.total
      m.reasons = [...new Set([...m.reasons, ...f.reasons])]
      if (f.firstDetectedAt < m.firstDetectedAt) m.firstDetectedAt = f.firstDetectedAt
      if (f.lastDetectedAt > m.lastDetectedAt) m.lastDetectedAt = f.lastDetectedAt
    }
    for (const m of merged.values()) {
      const was = m.total - m.delta
      m.percent = COUNT_METRICS.has(m.metric)
        ? m.before === 0
          ? null
          : (m.delta / Math.abs(m.before)) * 100
        : was === 0
          ? null
          : (m.delta / Math.abs(was)) * 100
    }
    const days = [...bucket.days].sort()
    const label = days.length === 1 ? (days[0] as string) : `${monthName(bucket.month)} (${days.length} days)`
    const candidate = revisionCandidate(
      `revision-month:${monthKey}`,
      bucket.account,
      days[0] as string,
      label,
      [...merged.values()],
    )
    if (candidate) {
      candidate.details.days = days
      candidate.details.month = bucket.month
      candidates.set(candidate.subjectKey, candidate)
    }
  }
  return { candidates, examined: (k) => examinedKeys.has(k) }
}

/**
 * Days known to have been synced, per account: a day no sync has fetched yet is unknown, not a day without
 * traffic, and judging it would raise a drop every morning before the first sync of the day.
 */
async function coveredDays(services: AppServices, accounts: Account[], days: readonly string[]) {
  const rows = await services.db.query<{ account_id: string; day: string | Date }>(
    `select c.account_id, d.day from sync_coverage c
       join unnest(?::date[]) as d(day) on d.day between c.from_day and c.to_day
      where c.account_id = any(?::uuid[])`,
    [`{${days.join(',')}}`, `{${accounts.map((a) => a.id).join(',')}}`],
  )
  return new Set(rows.map((r) => `${r.account_id}:${isoDay(r.day)}`))
}

/** Daily totals of one figure per account over a range of days (absent days are not returned). */
async function dailyTotals(
  services: AppServices,
  accounts: Account[],
  column: string,
  from: string,
  to: string,
): Promise<Map<string, Map<string, number>>> {
  const rows = await services.db.query<{ account_id: string; day: string | Date; value: string | null }>(
    `select account_id, day, sum(${column}) as value from stat_day
      where account_id = any(?::uuid[]) and day between ? and ? group by account_id, day`,
    [`{${accounts.map((a) => a.id).join(',')}}`, from, to],
  )
  const out = new Map<string, Map<string, number>>()
  for (const row of rows) {
    const days = out.get(row.account_id) ?? new Map<string, number>()
    days.set(isoDay(row.day), Number(row.value ?? 0))
    out.set(row.account_id, days)
  }
  return out
}

/**
 * The last complete day against the median of the days before it. A median, not a mean: one promotion day or one
 * day a platform reported late does not move it, and each account is compared with its own history, so a small
 * program's 40 clicks and a large one's 4,000 are judged alike. Weekday patterns are not modelled; a 50 % default
 * threshold sits well above the usual weekend dip.
 */
async function trafficChange(
  services: AppServices,
  rule: AlertRule,
  accounts: Account[],
  now: Date,
): Promise<RuleFindings> {
  const s: RuleSettings['TRAFFIC_CHANGE'] = readSettings('TRAFFIC_CHANGE', rule.settings)
  const candidates = new Map<string, AlertCandidate>()
  // An account whose last complete day is not synced yet keeps its alert as it is.
  const judged = new Set<string>()
  const examined = (k: string) => judged.has(k.split(':')[1] ?? '')
  const synced = accounts.filter((a) => a.lastSyncAt)
  if (synced.length === 0) return { candidates, examined }
  const lastDays = new Map(synced.map((a) => [a.id, addDays(platformToday(a.timeZone, now), -1)]))
  const latest = [...lastDays.values()].sort().at(-1) as string
  const earliest = addDays([...lastDays.values()].sort()[0] as string, -s.baselineDays)
  const totals = await dailyTotals(services, synced, METRIC_COLUMNS[s.metric], earliest, latest)
  const firstStored = await services.db.query<{ account_id: string; first_day: string | Date }>(
    'select account_id, min(day) as first_day from stat_day where account_id = any(?::uuid[]) group by account_id',
    [`{${synced.map((a) => a.id).join(',')}}`],
  )
  const firstDay = new Map(firstStored.map((r) => [r.account_id, isoDay(r.first_day)]))
  const covered = await coveredDays(services, synced, [...new Set(lastDays.values())])
  for (const account of synced) {
    const day = lastDays.get(account.id) as string
    if (!covered.has(`${account.id}:${day}`)) continue
    judged.add(account.id)
    const start = firstDay.get(account.id)
    // Days before the account's first stored day are unknown, not zero: a new account has no baseline yet.
    if (!start || start > addDays(day, -s.baselineDays)) continue
    const days = totals.get(account.id) ?? new Map<string, number>()
    const baselineValues: number[] = []
    for (let i = s.baselineDays; i >= 1; i--) baselineValues.push(days.get(addDays(day, -i)) ?? 0)
    const baseline = median(baselineValues) ?? 0
    if (baseline < s.minimumBaseline || baseline <= 0) continue
    const value = days.get(day) ?? 0
    const change = ((value - baseline) / baseline) * 100
    const direction = change < 0 ? 'DROP' : 'SPIKE'
    if (Math.abs(change) < s.changePercent) continue
    if (s.direction !== 'BOTH' && s.direction !== direction) continue
    const subjectKey = `traffic:${account.id}:${s.metric}:${direction}`
    const rounded = Math.round(Math.abs(change))
    candidates.set(subjectKey, {
      subjectKey,
      accountId: account.id,
      day,
      metric: s.metric,
      currency: null,
      before: decimalText(baseline),
      after: decimalText(value),
      title: `${accountName(account)}: ${s.metric} ${direction === 'DROP' ? 'down' : 'up'} ${rounded}% on ${day} against the ${s.baselineDays}-day median`,
      details: { direction, changePercent: Math.round(change * 10) / 10, baselineDays: s.baselineDays },
    })
  }
  return { candidates, examined }
}

const ACTIVITY = 'coalesce(clicks,0) + coalesce(signups,0) + coalesce(ftds,0) + abs(coalesce(commission,0))'

async function stoppedReporting(
  services: AppServices,
  rule: AlertRule,
  accounts: Account[],
  now: Date,
): Promise<RuleFindings> {
  const s = readSettings('STOPPED_REPORTING', rule.settings)
  const candidates = new Map<string, AlertCandidate>()
  const judged = new Set<string>()
  const examined = (k: string) => judged.has(k.split(':')[1] ?? '')
  // Only accounts whose syncs succeed: a failing sync is the other rules' business.
  const live = accounts.filter((a) => a.lastSyncAt && a.status === 'OK')
  if (live.length === 0) return { candidates, examined }
  const lastDays = new Map(live.map((a) => [a.id, addDays(platformToday(a.timeZone, now), -1)]))
  const latest = [...lastDays.values()].sort().at(-1) as string
  const earliest = addDays([...lastDays.values()].sort()[0] as string, -(s.quietDays + s.activeDays))
  const totals = await dailyTotals(services, live, ACTIVITY, earliest, latest)
  const covered = await coveredDays(services, live, [...new Set(lastDays.values())])
  for (const account of live) {
    const day = lastDays.get(account.id) as string
    if (!covered.has(`${account.id}:${day}`)) continue
    judged.add(account.id)
    const days = totals.get(account.id) ?? new Map<string, number>()
    let quiet = true
    for (let i = 0; i < s.quietDays && quiet; i++) quiet = (days.get(addDays(day, -i)) ?? 0) === 0
    if (!quiet) continue
    let lastActive: string | null = null
    for (let i = s.quietDays; i < s.quietDays + s.activeDays; i++) {
      const d = addDays(day, -i)
      if ((days.get(d) ?? 0) !== 0) {
        lastActive = d
        break
      }
    }
    if (!lastActive) continue
    const subjectKey = `quiet:${account.id}`
    candidates.set(subjectKey, {
      subjectKey,
      accountId: account.id,
      day: addDays(lastActive, 1),
      metric: null,
      currency: null,
      before: null,
      after: null,
      title: `${accountName(account)}: no clicks, signups, FTDs or commission since ${lastActive}`,
      details: { lastActiveDay: lastActive, quietDays: s.quietDays },
    })
  }
  return { candidates, examined }
}

/**
 * Months whose commission is overdue (nothing paid, due day plus grace passed) or paid short, from the same
 * reconciliation the page shows, so an alert never disagrees with the table. One alert per account, brand and month;
 * it resolves once the payments recorded cover what is owed.
 */
async function paymentsOverdue(
  services: AppServices,
  rule: AlertRule,
  accounts: Account[],
  now: Date,
): Promise<RuleFindings> {
  const s = readSettings('PAYMENT_OVERDUE', rule.settings)
  const candidates = new Map<string, AlertCandidate>()
  const watched = new Set(accounts.map((a) => a.id))
  const examined = (key: string) => key.startsWith('payment:') && watched.has(key.split(':')[1] ?? '')
  if (accounts.length === 0) return { candidates, examined }
  const thisMonth = now.toISOString().slice(0, 7)
  const [y, m] = thisMonth.split('-').map(Number) as [number, number]
  const back = new Date(Date.UTC(y, m - 1 - s.monthsBack, 1)).toISOString().slice(0, 7)
  const rows = await reconcile(services, {
    workspaceId: rule.workspace.id,
    fromMonth: back,
    toMonth: thisMonth,
    accountIds: accounts.map((a) => a.id),
  })
  const byId = new Map(accounts.map((a) => [a.id, a]))
  for (const row of rows) {
    const outstanding = Number(row.outstanding ?? 0)
    if (outstanding < s.minimumOutstanding) continue
    const overdue = row.status === 'OVERDUE' && row.daysOverdue > s.graceDays
    const short = row.status === 'SHORT' && s.shortPayments
    if (!overdue && !short) continue
    const account = byId.get(row.accountId)
    if (!account) continue
    const subjectKey = `payment:${row.accountId}:${row.brand}:${row.month}`
    const program = accountName(account) + (row.brand ? ` (${row.brand})` : '')
    const amount = (v: string | null) => `${row.currency} ${roundDecimal(v ?? '0', 2)}`
    candidates.set(subjectKey, {
      subjectKey,
      accountId: row.accountId,
      day: `${row.month}-01`,
      metric: 'commission',
      currency: row.currency,
      before: row.owed,
      after: row.paid,
      title: short
        ? `${program}: ${monthName(row.month)} paid short, ${amount(row.paid)} of ${amount(row.owed)} (${amount(row.outstanding)} outstanding)`
        : `${program}: ${monthName(row.month)} commission of ${amount(row.owed)} is ${row.daysOverdue} days overdue`,
      details: {
        reasons: [short ? 'SHORT' : 'OVERDUE'],
        month: row.month,
        brand: row.brand || null,
        dueOn: row.dueOn,
        daysOverdue: row.daysOverdue,
        outstanding: row.outstanding,
      },
    })
  }
  return { candidates, examined }
}

/** Whether a change detected on `detectedDay` to `day` came after the account's platform called the day final. */
export type HorizonCheck = (account: Account, day: string, detectedDay: string) => boolean

/**
 * Evaluates enabled rules and reconciles their open alerts with what is true now: a new finding opens an alert
 * (the partial unique index keeps it to one per rule and subject, however many processes evaluate at once), a
 * lasting one is refreshed, and an open alert whose condition is gone is resolved. Only a process that actually
 * inserted or resolved a row reports the transition, so deliveries are queued once per transition.
 */
export async function evaluateAlerts(
  services: AppServices,
  scope: EvaluationScope = {},
  horizonSettled: HorizonCheck = (account, day, detectedDay) =>
    isSettled(horizonOf(services.registry.get(account.platformId)), day, detectedDay),
): Promise<EvaluationResult> {
  const em = services.db.fork()
  const now = services.clock.now()
  const rules = await em.find(
    AlertRule,
    {
      enabled: true,
      ...(scope.workspaceId ? { workspace: scope.workspaceId } : {}),
      ...(scope.ruleId ? { id: scope.ruleId } : {}),
      ...(scope.kinds ? { kind: { $in: [...scope.kinds] } } : {}),
    },
    { filters: false, orderBy: { createdAt: 'asc' } },
  )
  const result: EvaluationResult = { opened: [], resolved: [], updated: 0 }
  const touched = new Set<string>()
  const accountsOf = new Map<string, Account[]>()
  for (const rule of rules) {
    const workspaceId = rule.workspace.id
    if (!accountsOf.has(workspaceId)) {
      accountsOf.set(
        workspaceId,
        // After a sync only that account's subjects are judged: a workspace of thousands is not read per run.
        await em.find(
          Account,
          { workspace: workspaceId, ...(scope.accountIds ? { id: { $in: [...scope.accountIds] } } : {}) },
          { filters: false, orderBy: { createdAt: 'asc' } },
        ),
      )
    }
    const inScope = scope.accountIds ? new Set(scope.accountIds) : null
    const targeted = targets(rule, accountsOf.get(workspaceId) ?? [])
    const accounts = inScope ? targeted.filter((a) => inScope.has(a.id)) : targeted
    const open = await em.find(Alert, { rule: rule.id, resolvedAt: null }, { filters: false })
    const findings = await findingsOf(
      services,
      rule,
      accounts,
      now,
      new Set(
        open.filter((a) => a.day && a.account).map((a) => `${a.account?.id}:${isoDay(a.day as never)}`),
      ),
      horizonSettled,
    )
    const targetedIds = new Set(targeted.map((a) => a.id))
    for (const alert of open) {
      const accountId = alert.account?.id ?? null
      if (inScope && accountId && !inScope.has(accountId)) continue
      const candidate = findings.candidates.get(alert.subjectKey)
      if (candidate) {
        findings.candidates.delete(alert.subjectKey)
        if (
          alert.title !== candidate.title ||
          String(alert.afterValue ?? '') !== String(candidate.after ?? '') ||
          now.getTime() - alert.lastSeenAt.getTime() > 60_000
        ) {
          await services.db.query(
            'update alert set last_seen_at = ?, title = ?, after_value = ?, details = ? where id = ? and resolved_at is null',
            [now, candidate.title, candidate.after, JSON.stringify(candidate.details), alert.id],
          )
          result.updated += 1
          touched.add(workspaceId)
          services.sync?.publishAlert({ workspaceId, alertId: alert.id, event: 'UPDATED' })
        }
        continue
      }
      // Still a finding of the rule only if the rule looked and the account is still one of its targets.
      const stillTargeted = !accountId || targetedIds.has(accountId)
      if (stillTargeted && !findings.examined(alert.subjectKey)) continue
      const resolved = await services.db.query<{ id: string }>(
        `update alert set resolved_at = ?, resolution = 'CLEARED' where id = ? and resolved_at is null returning id`,
        [now, alert.id],
      )
      if (resolved.length === 0) continue
      result.resolved.push(alert.id)
      touched.add(workspaceId)
      alert.resolvedAt = now
      alert.resolution = 'CLEARED'
      await transition(services, workspaceId, alert, 'RESOLVED')
    }
    for (const candidate of findings.candidates.values()) {
      const id = randomUUID()
      const inserted = await services.db.query<{ id: string }>(
        `insert into alert (id, workspace_id, rule_id, account_id, kind, subject_key, day, metric, currency,
                            before_value, after_value, title, details, fired_at, last_seen_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict ("rule_id", "subject_key") where "resolved_at" is null do nothing returning id`,
        [
          id,
          workspaceId,
          rule.id,
          candidate.accountId,
          rule.kind,
          candidate.subjectKey,
          candidate.day,
          candidate.metric,
          candidate.currency,
          candidate.before,
          candidate.after,
          candidate.title,
          JSON.stringify(candidate.details),
          now,
          now,
        ],
      )
      if (inserted.length === 0) continue
      result.opened.push(id)
      touched.add(workspaceId)
      const alert = await em.findOneOrFail(Alert, { id }, { filters: false, populate: ['rule', 'account'] })
      await transition(services, workspaceId, alert, 'FIRED')
    }
  }
  if (!scope.accountIds && !scope.ruleId) await repairDeliveries(services, scope.workspaceId, now)
  // Cached answers of the workspaces whose alerts moved are stale now, in this process and every other.
  const changes = [...touched].map((id) => `ws:${id}`)
  if (changes.length > 0) {
    await services.db.query(announceSql(changes), changes)
    for (const change of changes) announceLocally(change)
  }
  return result
}

/**
 * A process that died between storing a transition and recording its deliveries left a debt no retry will pay:
 * the clock's evaluation finds transitions of the last day without their delivery records and records them (the
 * records are keyed by alert, event and destination, so a transition already recorded gains nothing).
 */
async function repairDeliveries(
  services: AppServices,
  workspaceId: string | undefined,
  now: Date,
): Promise<void> {
  const since = new Date(now.getTime() - 86_400_000)
  const owed = await services.db.query<{ id: string; event: 'FIRED' | 'RESOLVED' }>(
    `select a.id, e.event from alert a
       join alert_rule r on r.id = a.rule_id and cardinality(r.destination_ids) > 0
       cross join lateral (values ('FIRED'), ('RESOLVED')) as e(event)
      where (a.fired_at >= ? or a.resolved_at >= ?) ${workspaceId ? 'and a.workspace_id = ?' : ''}
        and (e.event = 'FIRED' or a.resolution = 'CLEARED')
        and not exists (select 1 from alert_delivery d where d.alert_id = a.id and d.event = e.event)
      limit 200`,
    workspaceId ? [since, since, workspaceId] : [since, since],
  )
  if (owed.length === 0) return
  const em = services.db.fork()
  for (const { id, event } of owed) {
    const alert = await em.findOne(Alert, { id }, { filters: false, populate: ['rule'] })
    if (alert) await enqueueAlertDeliveries(services, alert, event)
  }
}

async function transition(
  services: AppServices,
  workspaceId: string,
  alert: Alert,
  event: 'FIRED' | 'RESOLVED',
): Promise<void> {
  services.sync?.publishAlert({ workspaceId, alertId: alert.id, event })
  services.logger.info(
    { alert: alert.id, rule: alert.rule.id, account: alert.account?.id ?? null, kind: alert.kind, event },
    event === 'FIRED' ? 'alert fired' : 'alert resolved',
  )
  // Delivery records are keyed by alert, event and destination: only the evaluator that made the transition
  // gets here, and a repeat of this call (a retry) adds nothing.
  await enqueueAlertDeliveries(services, alert, event)
}

function findingsOf(
  services: AppServices,
  rule: AlertRule,
  accounts: Account[],
  now: Date,
  openDays: ReadonlySet<string>,
  horizonSettled: HorizonCheck,
): Promise<RuleFindings> | RuleFindings {
  const kind = rule.kind as AlertRuleKind
  switch (kind) {
    case 'SYNC_STALE':
      return syncStale(rule, accounts, now)
    case 'CREDENTIALS_REFUSED':
      return credentialsRefused(accounts)
    case 'REVISION':
      return revisions(services, rule, accounts, now, openDays, horizonSettled)
    case 'TRAFFIC_CHANGE':
      return trafficChange(services, rule, accounts, now)
    case 'STOPPED_REPORTING':
      return stoppedReporting(services, rule, accounts, now)
    case 'PAYMENT_OVERDUE':
      return paymentsOverdue(services, rule, accounts, now)
    default:
      // A kind this version does not know (written by a newer one): it finds nothing and resolves nothing.
      return { candidates: new Map(), examined: () => false }
  }
}
