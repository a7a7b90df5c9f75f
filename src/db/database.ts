import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import type { EntityManager, MikroORM } from '@mikro-orm/core'
import { MikroORM as PgliteORM } from '@mikro-orm/pglite'
import { MikroORM as PostgresORM } from '@mikro-orm/postgresql'
import { ormOptions } from '../../mikro-orm.config.ts'
import { acquireEmbeddedLock, type EmbeddedLock } from './embedded-lock.ts'

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
  /** A fresh EntityManager for one unit of work (one GraphQL request, one job). */
  fork(): EntityManager
  /** Raw SQL with `?` placeholders (MikroORM binds them for both drivers). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
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
        pglite = await PGlite.create({ dataDir: dir })
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
  return {
    kind,
    orm,
    url: options.url,
    pglite: pgliteInstance,
    embeddedLock,
    fork: () => orm.em.fork(),
    async query<T>(sql: string, params: unknown[] = []) {
      return (await orm.em.getConnection().execute(sql, params)) as T[]
    },
    async close() {
      await orm.close(true)
      if (ownPglite && !ownPglite.closed) await ownPglite.close()
      await embeddedLock?.release()
    },
  }
}
