import { createHash } from 'node:crypto'
import { mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import type { EntityManager, MikroORM } from '@mikro-orm/core'
import { MikroORM as PgliteORM } from '@mikro-orm/pglite'
import { MikroORM as PostgresORM } from '@mikro-orm/postgresql'
import pg from 'pg'
import { ormOptions } from '../../mikro-orm.config.ts'
import { ChangeAnnouncer, type ChangeFeed, createChangeFeed } from './change-feed.ts'
import { acquireEmbeddedLock, type EmbeddedLock } from './embedded-lock.ts'
import { seedFromTemplate } from './pglite-template.ts'

export type DatabaseKind = 'pglite' | 'postgresql'

export interface Database {
  kind: DatabaseKind
  orm: MikroORM
  /** The server URL when on PostgreSQL (pg-boss opens its own pool there). */
  url: string | undefined
  /** The embedded instance when on PGlite (pg-boss runs its SQL on it through an adapter). */
  pglite: PGlite | undefined
  /** This process's hold on an embedded data directory (none in memory or on PostgreSQL). */
  embeddedLock: EmbeddedLock | undefined
  /** Whether this open made a new embedded data directory by copying the install's migrated template. */
  fromTemplate: boolean
  /** A fresh EntityManager for one unit of work (one GraphQL request, one job). */
  fork(): EntityManager
  /** Raw SQL with `?` placeholders (MikroORM writes the values into the text for both drivers). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  /**
   * A hot read with `$n` placeholders whose values are bound, never written into the text, so that a statement's
   * text depends on its shape only. On PostgreSQL it runs as a named prepared statement on a small pool of its
   * own (planned once per connection, under `SERVING_SETTINGS`); on PGlite through the extended protocol.
   */
  prepared<T = Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<T[]>
  /** Committed changes announced by any process on this database (see change-feed.ts). */
  changes: ChangeFeed
  close(): Promise<void>
}

/**
 * Settings of the prepared-statement pool. The stats statement's row estimates for its conversion relation (built
 * from generate_series) are far too high, so by default PostgreSQL would JIT-compile and inline hundreds of
 * expressions (taking longer than the whole aggregation), spill small sorts to disk, and join the daily rows to
 * the rates by sorting every row of the range (a merge join) where a hash of the few thousand rates is enough.
 */
export const SERVING_SETTINGS = { jit: 'off', work_mem: '32MB', enable_mergejoin: 'off' } as const
export const PREPARED_POOL_SIZE = 6

const MiB = 1024 * 1024

/**
 * PGlite's shared buffers, sized to the data: PostgreSQL's default of 128 MB is written through (and so resident)
 * as soon as the cluster starts, however small the database, and a WebAssembly memory never shrinks. The data files
 * are read through the operating system's page cache as well, so half the data's size holds the hot pages; 16 MB
 * is the floor (catalogs and pg-boss's tables), the default the ceiling.
 */
export function embeddedSharedBuffersMiB(dataBytes: number): number {
  return Math.min(128, Math.max(16, Math.ceil(dataBytes / 2 / (8 * MiB)) * 8))
}

/** Bytes of the relation files in a data directory (base/ holds every database's tables and indexes). */
async function relationBytes(dataDir: string): Promise<number> {
  const entries = await readdir(join(dataDir, 'base'), { recursive: true, withFileTypes: true }).catch(
    () => [],
  )
  const sizes = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) =>
        stat(join(entry.parentPath, entry.name)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
  )
  return sizes.reduce((sum, size) => sum + size, 0)
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite database is used. */
  url?: string
  /** Directory of the embedded database; `memory://` keeps it in memory. */
  pgliteDir?: string
  /** Pass an already open PGlite instance (tests copy a migrated template). */
  pglite?: PGlite
  debug?: boolean
  migrate?: boolean
  /** Who opens an embedded data directory, as other processes are told when they find it taken. */
  lockRole?: string
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let orm: MikroORM
  let kind: DatabaseKind
  let ownPglite: PGlite | undefined
  let pgliteInstance: PGlite | undefined
  let embeddedLock: EmbeddedLock | undefined
  let fromTemplate = false
  if (options.url) {
    kind = 'postgresql'
    orm = (await PostgresORM.init({
      ...ormOptions,
      clientUrl: options.url,
      debug: options.debug ?? false,
    })) as unknown as MikroORM
  } else {
    kind = 'pglite'
    let pglite = options.pglite
    if (!pglite) {
      const dir = options.pgliteDir ?? 'memory://'
      if (!dir.startsWith('memory://')) {
        await mkdir(dir, { recursive: true })
        embeddedLock = await acquireEmbeddedLock(dir, options.lockRole ?? process.argv[1] ?? 'process')
      }
      try {
        // A first start copies the migrated template made at install instead of creating a cluster.
        if (embeddedLock) fromTemplate = await seedFromTemplate(dir)
        const sharedBuffers = embeddedSharedBuffersMiB(
          dir.startsWith('memory://') ? 0 : await relationBytes(dir),
        )
        pglite = await PGlite.create({
          dataDir: dir,
          startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}MB`],
        })
      } catch (error) {
        await embeddedLock?.release()
        throw error
      }
      ownPglite = pglite
    }
    pgliteInstance = pglite
    orm = (await PgliteORM.init({
      ...ormOptions,
      dbName: 'affgraph',
      driverOptions: { pglite },
      debug: options.debug ?? false,
    })) as unknown as MikroORM
  }
  if (options.migrate !== false) await orm.migrator.up()
  orm.em.getEventManager().registerSubscriber(new ChangeAnnouncer())
  const readPool =
    kind === 'postgresql'
      ? new pg.Pool({
          connectionString: options.url,
          max: PREPARED_POOL_SIZE,
          idleTimeoutMillis: 60_000,
          application_name: 'affgraph-read',
          options: Object.entries(SERVING_SETTINGS)
            .map(([name, value]) => `-c ${name}=${value}`)
            .join(' '),
        })
      : null
  // An idle pooled connection that the server drops (a restart) must not take the process down with it.
  readPool?.on('error', () => undefined)
  const statementNames = new Map<string, string>()
  const nameOf = (sql: string) => {
    let name = statementNames.get(sql)
    if (!name) {
      name = `ag_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`
      if (statementNames.size >= 1000) statementNames.clear()
      statementNames.set(sql, name)
    }
    return name
  }
  const changes = createChangeFeed({ kind, url: options.url, pglite: pgliteInstance })
  return {
    kind,
    orm,
    url: options.url,
    pglite: pgliteInstance,
    embeddedLock,
    fromTemplate,
    fork: () => orm.em.fork(),
    async query<T>(sql: string, params: unknown[] = []) {
      return (await orm.em.getConnection().execute(sql, params)) as T[]
    },
    async prepared<T>(text: string, params: readonly unknown[]) {
      // The ORM's query hook sees these statements too, so whoever counts or inspects statements sees them all.
      const sql = orm.config.get('onQuery')(text, params as unknown[])
      if (readPool) {
        const result = await readPool.query({ name: nameOf(sql), text: sql, values: [...params] })
        return result.rows as T[]
      }
      const result = await (pgliteInstance as PGlite).query<T>(sql, [...params])
      return result.rows
    },
    changes,
    async close() {
      await changes.close()
      await readPool?.end().catch(() => undefined)
      await orm.close(true)
      if (ownPglite && !ownPglite.closed) await ownPglite.close()
      await embeddedLock?.release()
    },
  }
}
