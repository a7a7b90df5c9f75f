import pg from 'pg'
import { type Database, openDatabase } from '../../src/db/database.ts'

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
