import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { announceLocally, announceSql } from '../db/change-feed.ts'
import type { Database } from '../db/database.ts'
import type { HttpClient } from '../sdk/http.ts'
import {
  ECB_FILE_PATHS,
  type EcbFile,
  FX_SOURCES,
  FxFormatError,
  type FxRateRow,
  type FxSource,
  parseEcbFile,
  parseEcbXml,
  validateRateRow,
} from './ecb-format.ts'

export type { EcbFile }

export const ECB_BASE_URL = 'https://www.ecb.europa.eu'

/** Written rows from which a store refreshes the table statistics. */
const ANALYZE_AFTER_ROWS = 1000

export interface StoreRatesResult {
  inserted: number
  updated: number
  unchanged: number
}

export interface StoreRatesOptions {
  /** Rows per statement (default 1000). */
  batchSize?: number
}

/** Numeric and bigint counts come back as strings on PostgreSQL and as numbers on PGlite. */
function toCount(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(String(value ?? '0'))
  if (!Number.isSafeInteger(n)) throw new TypeError(`unexpected count ${String(value)}`)
  return n
}

/**
 * Stores rates under `source`, idempotently: a new (source, day, currency) is inserted, a different rate for a
 * stored one replaces it, an equal rate (numerically: "1.09" equals "1.0900") leaves the row and its
 * `imported_at` untouched. All batches run in one transaction, so an import is stored whole or not at all.
 */
export async function storeRates(
  db: Database,
  source: FxSource,
  rates: readonly FxRateRow[],
  options: StoreRatesOptions = {},
): Promise<StoreRatesResult> {
  if (!FX_SOURCES.includes(source)) throw new TypeError(`unknown rate source "${String(source)}"`)
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1000))
  const seen = new Set<string>()
  rates.forEach((row, index) => {
    validateRateRow(row, `rate #${index + 1}`)
    const key = `${row.day}|${row.currency}`
    // One statement cannot update the same row twice, and two values for one key would be ambiguous anyway.
    if (seen.has(key)) throw new FxFormatError(`${row.currency} is given twice for ${row.day}`)
    seen.add(key)
  })
  const result: StoreRatesResult = { inserted: 0, updated: 0, unchanged: 0 }
  if (rates.length === 0) return result
  await db.fork().transactional(async (em) => {
    const connection = em.getConnection()
    const context = em.getTransactionContext()
    for (let start = 0; start < rates.length; start += batchSize) {
      const batch = rates.slice(start, start + batchSize)
      const params: unknown[] = []
      const values = batch.map((row) => {
        params.push(row.day, row.currency, row.rate)
        return '(?::date, ?::text, ?::numeric)'
      })
      // `xmax = 0` marks a row version created by this insert; an updated row carries the updating transaction.
      const sql = `with incoming (day, currency, rate) as (values ${values.join(', ')}),
written as (
  insert into fx_rate (source, day, currency, rate, imported_at)
  select ?::text, day, currency, rate, now() from incoming
  on conflict (source, day, currency) do update set rate = excluded.rate, imported_at = excluded.imported_at
  where fx_rate.rate <> excluded.rate
  returning (xmax = 0) as inserted
)
select count(*) filter (where inserted) as inserted, count(*) filter (where not inserted) as updated from written`
      params.push(source)
      const rows = (await connection.execute(sql, params, 'all', context)) as Record<string, unknown>[]
      const inserted = toCount(rows[0]?.inserted)
      const updated = toCount(rows[0]?.updated)
      result.inserted += inserted
      result.updated += updated
      result.unchanged += batch.length - inserted - updated
    }
    // Converted figures of every workspace may change: caches drop them once this commits.
    if (result.inserted + result.updated > 0)
      await connection.execute(announceSql(['all']), ['all'], 'run', context)
  })
  if (result.inserted + result.updated > 0) announceLocally('all')
  // Fresh statistics keep the conversion query's plan sane after a bulk import; PGlite never analyses on its own.
  if (result.inserted + result.updated >= ANALYZE_AFTER_ROWS) await db.query('analyze fx_rate')
  return result
}

export interface FetchEcbRatesOptions {
  http: HttpClient
  /** Default https://www.ecb.europa.eu; a mirror or the local simulator otherwise. */
  baseUrl?: string
  /** Default 'daily'. */
  file?: EcbFile
}

export interface FetchedRates {
  url: string
  /** Decided by the file's sender, not by where it came from. */
  source: FxSource
  rates: FxRateRow[]
}

/** Downloads one of the ECB XML files through the host HTTP client and parses it. */
export async function fetchEcbRates(options: FetchEcbRatesOptions): Promise<FetchedRates> {
  const file = options.file ?? 'daily'
  const path = file === 'daily' || file === 'hist-90d' || file === 'hist' ? ECB_FILE_PATHS[file] : undefined
  if (!path) throw new TypeError(`unknown ECB file "${String(file)}"`)
  const base = (options.baseUrl ?? ECB_BASE_URL).replace(/\/+$/, '')
  const url = new URL(`${base}${path}`).toString()
  const response = await options.http.request({
    url,
    headers: { accept: 'text/xml, application/xml;q=0.9, */*;q=0.1' },
  })
  const parsed = parseEcbXml(response.text)
  return { url, source: parsed.source, rates: parsed.rates }
}

export interface ImportResult extends StoreRatesResult {
  source: FxSource
  days: number
  rates: number
  firstDay: string
  lastDay: string
}

function summarise(source: FxSource, rates: FxRateRow[], stored: StoreRatesResult): ImportResult {
  const days = new Set(rates.map((r) => r.day))
  return {
    source,
    days: days.size,
    rates: rates.length,
    firstDay: rates[0]?.day ?? '',
    lastDay: rates[rates.length - 1]?.day ?? '',
    ...stored,
  }
}

/** Fetches one ECB file and stores its rates under the source its content declares. */
export async function fetchAndStoreEcbRates(
  db: Database,
  options: FetchEcbRatesOptions,
): Promise<ImportResult & { url: string }> {
  const fetched = await fetchEcbRates(options)
  const stored = await storeRates(db, fetched.source, fetched.rates)
  return { url: fetched.url, ...summarise(fetched.source, fetched.rates, stored) }
}

/** Imports a downloaded eurofxref file (XML, CSV or the hist ZIP, recognised by content). */
export async function importRatesFile(db: Database, path: string): Promise<ImportResult> {
  const bytes = await readFile(path)
  const parsed = parseEcbFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    fileName: basename(path),
  })
  const stored = await storeRates(db, parsed.source, parsed.rates)
  return summarise(parsed.source, parsed.rates, stored)
}
