import { Migrator } from '@mikro-orm/migrations'
import { defineConfig } from '@mikro-orm/postgresql'
import { migrationsList } from './migrations/index.ts'
import { entities } from './src/db/entities.ts'

/**
 * ORM options shared by the server's two databases: the embedded PGlite and a PostgreSQL server. Both run the
 * same migrations, written for PostgreSQL.
 */
export const ormOptions = {
  entities,
  extensions: [Migrator],
  migrations: {
    path: './migrations',
    migrationsList,
    transactional: true,
    allOrNothing: true,
    snapshot: false,
    silent: true,
  },
  forceUtcTimezone: true,
  // Every unit of work forks its own EntityManager; using the global one is a bug.
  allowGlobalContext: false,
}

/** For the MikroORM CLI (e.g. `npx mikro-orm migration:create` against `DATABASE_URL`). */
export default defineConfig({ ...ormOptions, clientUrl: process.env.DATABASE_URL })
