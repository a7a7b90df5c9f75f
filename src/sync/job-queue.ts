import PgBoss from 'pg-boss'
import type { Database } from '../db/database.ts'

/**
 * pg-boss on either database: on PostgreSQL it opens its own pool (so worker processes on several machines
 * share the queue), on the embedded PGlite it runs its SQL on the same instance through the `db` adapter.
 */
export function createJobQueue(db: Database, options: { schedule: boolean }): PgBoss {
  const common = {
    schedule: options.schedule,
    supervise: true,
    migrate: true,
    // The singleton policy keeps one job per account active; pg-boss learns that a key is free again only when
    // its monitor refreshes the queue's active keys and each process reloads its queue cache. At pg-boss's
    // defaults (60 s each) an account's next window waited up to two minutes; a few seconds keeps backfills moving.
    superviseIntervalSeconds: 2,
    monitorIntervalSeconds: 2,
    queueCacheIntervalSeconds: 2,
  }
  if (db.kind === 'postgresql') {
    if (!db.url) throw new Error('PostgreSQL database without a URL')
    return new PgBoss({ ...common, connectionString: db.url, max: 5, application_name: 'affgraph-queue' })
  }
  const pglite = db.pglite
  if (!pglite) throw new Error('PGlite database without its instance')
  return new PgBoss({
    ...common,
    db: {
      async executeSql(text: string, values: unknown[]) {
        // pg-boss sends multi-statement scripts without parameters (its own migrations); PGlite runs those with exec.
        if (!values || values.length === 0) {
          const results = await pglite.exec(text)
          return { rows: results.at(-1)?.rows ?? [] }
        }
        const result = await pglite.query(text, values)
        return { rows: result.rows }
      },
    },
  })
}
