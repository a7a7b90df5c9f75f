import pg from 'pg'
import type { AppServices } from '../../src/app-services.ts'
import { createAppServices } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../../src/crypto/master-key.ts'
import { type Database, openDatabase } from '../../src/db/database.ts'
import { simulatedDays } from '../../src/fx/ecb-simulator.ts'
import { storeRates } from '../../src/fx/fx.service.ts'
import { createLogger } from '../../src/logger.ts'

/** PostgreSQL server the benchmarks use: BENCH_DATABASE_URL, else DATABASE_URL, else the local default. */
export const BENCH_ADMIN_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.DATABASE_URL ||
  'postgresql://postgres@127.0.0.1:5432/postgres'

/** A fresh, migrated database of its own on the benchmark server; dropped again by `drop`. */
export async function openBenchDatabase(
  name: string,
): Promise<{ db: Database; url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: BENCH_ADMIN_URL })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(BENCH_ADMIN_URL)
  url.pathname = `/${name}`
  const db = await openDatabase({ url: url.toString() })
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close()
      const client = new pg.Client({ connectionString: BENCH_ADMIN_URL })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The API's services on a bench database with the response cache off: every answer is computed. */
export function uncachedServices(bench: { db: Database; url: string }): Promise<AppServices> {
  const config = loadConfig({
    DATABASE_URL: bench.url,
    AFFGRAPH_SYNC: 'off',
    AFFGRAPH_FX_FETCH: 'false',
    AFFGRAPH_LOG_LEVEL: 'warn',
    AFFGRAPH_RESPONSE_CACHE: 'false',
  })
  return createAppServices(config, {
    db: bench.db,
    logger: createLogger({ level: 'warn' }),
    keyRing: parseMasterKeys(generateMasterKeyEntry('bench')),
  })
}

/** The local ECB simulator's reference rates for the days from `from` to `to`, stored as an import would. */
export async function storeSimulatedRates(db: Database, from: string, to: string): Promise<void> {
  const days = simulatedDays('bench', from, to)
  await storeRates(
    db,
    'ECB-SIMULATED',
    days.flatMap((d) => d.rates.map((r) => ({ day: d.day, currency: r.currency, rate: r.rate }))),
  )
}
