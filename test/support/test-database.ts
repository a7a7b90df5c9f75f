import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type Database, openDatabase } from '../../src/db/database.ts'

/**
 * The suite runs on the embedded PGlite by default and on a real PostgreSQL server when
 * AFFGRAPH_TEST_DATABASE_URL names one (CI does both). Each caller gets a database of its own.
 */
export const TEST_DATABASE_URL = process.env.AFFGRAPH_TEST_DATABASE_URL || undefined
export const TEST_DATABASE_KIND = TEST_DATABASE_URL ? 'postgresql' : 'pglite'

export interface TestDatabase extends Database {
  /** The URL of the per-test PostgreSQL database, when running on PostgreSQL. */
  url: string | undefined
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A migrated, empty database; `close()` also drops it on PostgreSQL. */
export async function openTestDatabase(): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) {
    const db = await openDatabase({ pgliteDir: 'memory://' })
    return { ...db, url: undefined }
  }
  const name = `affgraph_test_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`create database ${name}`))
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  const db = await openDatabase({ url: url.toString() })
  return {
    ...db,
    url: url.toString(),
    async close() {
      await db.close()
      await admin((c) => c.query(`drop database if exists ${name} with (force)`))
    },
  }
}

/** A fresh database URL for a child process (PostgreSQL only); the caller drops it with the returned function. */
export async function createScratchPostgresDatabase(): Promise<{
  url: string
  drop: () => Promise<void>
} | null> {
  if (!TEST_DATABASE_URL) return null
  const name = `affgraph_test_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`create database ${name}`))
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  }
}
