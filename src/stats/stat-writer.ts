import type { EntityManager, Transaction } from '@mikro-orm/core'
import { CompiledQuery } from 'kysely'
import { announceLocally, announceSql } from '../db/change-feed.ts'
import { isoDay } from '../db/iso-day.ts'
import {
  COUNT_METRICS,
  type DateWindow,
  type Metric,
  MONEY_METRICS,
  normalizeDecimal,
  type ReportRow,
  rowKey,
} from '../sdk/index.ts'
import { crashPoint } from '../sync/crash-points.ts'

/** SQL column of each metric. */
export const METRIC_COLUMNS: Record<Metric, string> = {
  impressions: 'impressions',
  clicks: 'clicks',
  signups: 'signups',
  ftds: 'ftds',
  depositCount: 'deposit_count',
  cpaCount: 'cpa_count',
  salesCount: 'sales_count',
  refundCount: 'refund_count',
  chargebackCount: 'chargeback_count',
  deposits: 'deposits',
  netRevenue: 'net_revenue',
  commission: 'commission',
  salesAmount: 'sales_amount',
  refundAmount: 'refund_amount',
  chargebackAmount: 'chargeback_amount',
}
const METRICS_ALL: Metric[] = [...COUNT_METRICS, ...MONEY_METRICS]
const KEY_COLUMNS = ['account_id', 'day', 'brand', 'campaign', 'currency']
const METRIC_SQL_TYPES = [...COUNT_METRICS.map(() => 'int'), ...MONEY_METRICS.map(() => 'numeric')]
/**
 * Rows per statement. Values travel as one bound array per column (no value is written into the text), so the
 * statement text is the same for every chunk and a chunk of thousands is one small message.
 */
const CHUNK_ROWS = 5000

/** The upsert of a chunk of rows: $1 account, $2 workspace, $3 synced at, then one array per column. */
const UPSERT_SQL = (() => {
  const metricColumns = METRICS_ALL.map((m) => METRIC_COLUMNS[m])
  const arrays = ['date', 'text', 'text', 'text', ...METRIC_SQL_TYPES].map(
    (type, i) => `$${i + 4}::${type}[]`,
  )
  return `insert into stat_day (${[...KEY_COLUMNS, 'workspace_id', ...metricColumns, 'synced_at'].join(', ')})
  select $1::uuid, r.day, r.brand, r.campaign, r.currency, $2::uuid, ${metricColumns.map((c) => `r.${c}`).join(', ')}, $3::timestamptz
    from unnest(${arrays.join(', ')}) as r(day, brand, campaign, currency, ${metricColumns.join(', ')})
  on conflict (${KEY_COLUMNS.join(', ')}) do update set
    ${[...metricColumns, 'synced_at'].map((c) => `${c} = excluded.${c}`).join(', ')}`
})()

/**
 * Runs a statement with bound values inside the ORM's transaction. The ORM's own `execute` writes every value into
 * the SQL text; the driver underneath binds them, which keeps thousands of rows to one short statement.
 */
async function bound(ctx: Transaction | undefined, sql: string, parameters: readonly unknown[]) {
  if (!ctx) throw new Error('bound statements run inside a transaction')
  const query = CompiledQuery.raw(sql, [...parameters])
  return (await ctx.executeQuery(query)).rows
}

export interface StoredChange {
  day: string
  brand: string
  campaign: string
  currency: string
  metric: Metric
  oldValue: string | null
  newValue: string | null
}

export interface WriteResult {
  /** Rows inserted or updated. */
  rowsWritten: number
  /** Stored rows whose figures the platform revised (including rows it no longer reports). */
  rowsChanged: number
  /** Stored rows the new report no longer contains (deleted, their figures recorded as changed to null). */
  rowsRemoved: number
  changes: StoredChange[]
}

type StoredRow = Record<string, unknown> & { day: unknown; brand: string; campaign: string; currency: string }

/** Database values come back as numbers or strings depending on the driver; compare them as exact decimals. */
function canonical(value: unknown): string | null {
  if (value === null || value === undefined) return null
  return normalizeDecimal(typeof value === 'number' ? String(value) : String(value))
}

function keyOf(day: string, brand: string, campaign: string, currency: string): string {
  return rowKey({ date: day, brand: brand || null, campaign: campaign || null, currency: currency || null })
}

/**
 * Replaces an account's stored rows for a window with a complete report of that window, in one transaction:
 * idempotent (an identical report writes nothing), and every change to a stored figure is recorded with its old
 * and new value. Rows the report no longer has are deleted and recorded as changed to null.
 */
export async function writeReport(
  em: EntityManager,
  input: {
    workspaceId: string
    accountId: string
    window: DateWindow
    rows: ReportRow[]
    syncRunId?: string | null
    now?: Date
  },
): Promise<WriteResult> {
  const now = input.now ?? new Date()
  const changed = `ws:${input.workspaceId}`
  const incoming = new Map<string, ReportRow>()
  for (const row of input.rows) incoming.set(rowKey(row), row)

  const result = await em.transactional(async (tx) => {
    const conn = tx.getConnection()
    const ctx = tx.getTransactionContext()
    const exec = (sql: string, params: unknown[]) =>
      conn.execute(sql, params, 'all', ctx) as Promise<StoredRow[]>

    const stored = await exec(
      `select day::text as day, brand, campaign, currency, ${METRICS_ALL.map((m) => METRIC_COLUMNS[m]).join(', ')}
         from stat_day where account_id = ? and day between ? and ? for update`,
      [input.accountId, input.window.from, input.window.to],
    )
    const storedByKey = new Map<string, StoredRow>()
    for (const row of stored)
      storedByKey.set(keyOf(isoDay(row.day), row.brand, row.campaign, row.currency), row)

    const changes: StoredChange[] = []
    const toWrite: ReportRow[] = []
    let rowsChanged = 0
    for (const [key, row] of incoming) {
      const old = storedByKey.get(key)
      if (!old) {
        toWrite.push(row)
        continue
      }
      let differs = false
      for (const metric of METRICS_ALL) {
        const before = canonical(old[METRIC_COLUMNS[metric]])
        const after = canonical(row[metric])
        if (before === after) continue
        differs = true
        changes.push({
          day: row.date,
          brand: row.brand ?? '',
          campaign: row.campaign ?? '',
          currency: row.currency ?? '',
          metric,
          oldValue: before,
          newValue: after,
        })
      }
      if (differs) {
        rowsChanged += 1
        toWrite.push(row)
      }
    }
    const removed: StoredRow[] = []
    for (const [key, old] of storedByKey) {
      if (incoming.has(key)) continue
      removed.push(old)
      for (const metric of METRICS_ALL) {
        const before = canonical(old[METRIC_COLUMNS[metric]])
        if (before === null) continue
        changes.push({
          day: isoDay(old.day),
          brand: old.brand,
          campaign: old.campaign,
          currency: old.currency,
          metric,
          oldValue: before,
          newValue: null,
        })
      }
    }

    for (let i = 0; i < toWrite.length; i += CHUNK_ROWS) {
      const chunk = toWrite.slice(i, i + CHUNK_ROWS)
      await bound(ctx, UPSERT_SQL, [
        input.accountId,
        input.workspaceId,
        now.toISOString(),
        chunk.map((row) => row.date),
        chunk.map((row) => row.brand ?? ''),
        chunk.map((row) => row.campaign ?? ''),
        chunk.map((row) => row.currency ?? ''),
        ...METRICS_ALL.map((metric) => chunk.map((row) => row[metric] ?? null)),
      ])
    }
    // Rows are upserted but their changes and coverage not yet recorded: a death here must roll all of it back.
    crashPoint('mid-write')
    if (removed.length > 0) {
      await bound(
        ctx,
        `delete from stat_day s using unnest($2::date[], $3::text[], $4::text[], $5::text[]) as r(day, brand, campaign, currency)
          where s.account_id = $1::uuid and s.day = r.day and s.brand = r.brand and s.campaign = r.campaign
            and s.currency = r.currency`,
        [
          input.accountId,
          removed.map((old) => isoDay(old.day)),
          removed.map((old) => old.brand),
          removed.map((old) => old.campaign),
          removed.map((old) => old.currency),
        ],
      )
    }
    for (let i = 0; i < changes.length; i += CHUNK_ROWS) {
      const chunk = changes.slice(i, i + CHUNK_ROWS)
      await bound(
        ctx,
        `insert into stat_change (workspace_id, account_id, day, brand, campaign, currency, metric, old_value, new_value, sync_run_id, detected_at)
         select $1::uuid, $2::uuid, r.day, r.brand, r.campaign, r.currency, r.metric, r.old_value, r.new_value, $3::uuid, $4::timestamptz
           from unnest($5::date[], $6::text[], $7::text[], $8::text[], $9::text[], $10::numeric[], $11::numeric[])
             as r(day, brand, campaign, currency, metric, old_value, new_value)`,
        [
          input.workspaceId,
          input.accountId,
          input.syncRunId ?? null,
          now.toISOString(),
          chunk.map((c) => c.day),
          chunk.map((c) => c.brand),
          chunk.map((c) => c.campaign),
          chunk.map((c) => c.currency),
          chunk.map((c) => c.metric),
          chunk.map((c) => c.oldValue),
          chunk.map((c) => c.newValue),
        ],
      )
    }
    await recordCoverage(exec, input.accountId, input.window, now)
    // Cached answers of the workspace are stale once this commits: every process hears it then, not before.
    if (toWrite.length > 0 || removed.length > 0) await exec(announceSql([changed]), [changed])
    return {
      rowsWritten: toWrite.length,
      rowsChanged: rowsChanged + removed.length,
      rowsRemoved: removed.length,
      changes,
    }
  })
  if (result.rowsWritten > 0 || result.rowsRemoved > 0) announceLocally(changed)
  return result
}

/** Adds a synced window to the account's coverage, merging it with the ranges it touches or overlaps. */
async function recordCoverage(
  exec: (sql: string, params: unknown[]) => Promise<StoredRow[]>,
  accountId: string,
  window: DateWindow,
  now: Date,
): Promise<void> {
  const touching = (await exec(
    `delete from sync_coverage where account_id = ? and from_day <= (?::date + 1) and to_day >= (?::date - 1)
       returning from_day::text as from_day, to_day::text as to_day`,
    [accountId, window.to, window.from],
  )) as unknown as { from_day: string; to_day: string }[]
  let from = window.from
  let to = window.to
  for (const r of touching) {
    if (r.from_day < from) from = r.from_day
    if (r.to_day > to) to = r.to_day
  }
  await exec('insert into sync_coverage (account_id, from_day, to_day, synced_at) values (?, ?, ?, ?)', [
    accountId,
    from,
    to,
    now,
  ])
}

/** Days of the window not covered by any synced range, as inclusive windows (one query for many accounts). */
export async function missingWindows(
  em: EntityManager,
  accountIds: string[],
  window: DateWindow,
): Promise<Map<string, DateWindow[]>> {
  const result = new Map<string, DateWindow[]>()
  if (accountIds.length === 0) return result
  const rows = (await em.getConnection().execute(
    `select account_id, from_day::text as from_day, to_day::text as to_day from sync_coverage
      where account_id in (${accountIds.map(() => '?').join(', ')}) and from_day <= ? and to_day >= ?
      order by account_id, from_day`,
    [...accountIds, window.to, window.from],
  )) as { account_id: string; from_day: string; to_day: string }[]
  const byAccount = new Map<string, { from_day: string; to_day: string }[]>()
  for (const r of rows) byAccount.set(r.account_id, [...(byAccount.get(r.account_id) ?? []), r])
  const nextDay = (d: string) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  const prevDay = (d: string) =>
    new Date(Date.parse(`${d}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
  for (const id of accountIds) {
    const gaps: DateWindow[] = []
    let cursor = window.from
    for (const r of byAccount.get(id) ?? []) {
      if (r.from_day > cursor)
        gaps.push({ from: cursor, to: r.from_day <= window.to ? prevDay(r.from_day) : window.to })
      if (r.to_day >= cursor) cursor = nextDay(r.to_day)
      if (cursor > window.to) break
    }
    if (cursor <= window.to) gaps.push({ from: cursor, to: window.to })
    result.set(id, gaps)
  }
  return result
}
