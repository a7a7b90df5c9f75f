import { randomUUID } from 'node:crypto'
import type { Database } from '../../src/db/database.ts'
import type { Metric } from '../../src/sdk/index.ts'
import { METRIC_COLUMNS } from '../../src/stats/stat-writer.ts'
import { asDatabaseId } from '../support/global-ids.ts'

/**
 * Test data written straight into the tables, so that expected figures are exact and known in advance. Account ids
 * may be given as the API names them (global ids) or as stored.
 */

export interface SeedAccount {
  id?: string
  label?: string
  platformId?: string
  programName?: string | null
  baseUrl?: string | null
  tags?: string[]
  timeZone?: string
}

export type SeedRow = {
  accountId: string
  day: string
  brand?: string
  campaign?: string
  currency?: string
} & Partial<Record<Metric, number | string | null>>

const CHUNK = 200
const arrayLiteral = (values: string[]) =>
  `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`

/** Inserts accounts in a few statements (hundreds at once); returns their ids in order. */
export async function insertAccounts(
  db: Database,
  workspaceId: string,
  accounts: SeedAccount[],
): Promise<string[]> {
  const ids = accounts.map((a) => a.id ?? randomUUID())
  for (let i = 0; i < accounts.length; i += CHUNK) {
    const params: unknown[] = []
    const tuples = accounts.slice(i, i + CHUNK).map((a, j) => {
      params.push(
        ids[i + j],
        workspaceId,
        a.platformId ?? 'softswiss',
        a.label ?? `account ${i + j + 1}`,
        a.programName ?? null,
        a.baseUrl ?? null,
        a.timeZone ?? 'UTC',
        arrayLiteral([...new Set(a.tags ?? [])].sort()),
      )
      return "(?, ?, ?, ?, ?, ?, ?, ?::text[], 'OK', '{}'::jsonb, '{}'::jsonb, now(), now())"
    })
    await db.query(
      `insert into account (id, workspace_id, platform_id, label, program_name, base_url, time_zone, tags, status,
         credentials, connection_state, created_at, updated_at) values ${tuples.join(', ')}`,
      params,
    )
  }
  return ids
}

const METRIC_NAMES = Object.keys(METRIC_COLUMNS) as Metric[]

export async function insertStatRows(db: Database, workspaceId: string, rows: SeedRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const params: unknown[] = []
    const tuples = rows.slice(i, i + CHUNK).map((r) => {
      params.push(
        asDatabaseId(r.accountId),
        r.day,
        r.brand ?? '',
        r.campaign ?? '',
        r.currency ?? '',
        workspaceId,
      )
      for (const m of METRIC_NAMES) params.push(r[m] === undefined || r[m] === null ? null : String(r[m]))
      return `(?, ?, ?, ?, ?, ?, ${METRIC_NAMES.map(() => '?').join(', ')}, now())`
    })
    await db.query(
      `insert into stat_day (account_id, day, brand, campaign, currency, workspace_id,
         ${METRIC_NAMES.map((m) => METRIC_COLUMNS[m]).join(', ')}, synced_at) values ${tuples.join(', ')}`,
      params,
    )
  }
}

/** Marks windows as synced, so that `Account.stats` answers from the store without calling the platform. */
export async function insertCoverage(
  db: Database,
  accountIds: string[],
  from: string,
  to: string,
): Promise<void> {
  for (let i = 0; i < accountIds.length; i += CHUNK) {
    const chunk = accountIds.slice(i, i + CHUNK)
    await db.query(
      `insert into sync_coverage (account_id, from_day, to_day, synced_at) values ${chunk.map(() => '(?, ?, ?, now())').join(', ')}`,
      chunk.flatMap((id) => [asDatabaseId(id), from, to]),
    )
  }
}

/** Reference rates: 1 EUR = `rate` units of `currency` on `day`. */
export async function insertRates(
  db: Database,
  rates: { day: string; currency: string; rate: string; source?: string }[],
): Promise<void> {
  await db.query(
    `insert into fx_rate (source, day, currency, rate, imported_at) values ${rates.map(() => '(?, ?, ?, ?, now())').join(', ')}`,
    rates.flatMap((r) => [r.source ?? 'ECB', r.day, r.currency, r.rate]),
  )
}
