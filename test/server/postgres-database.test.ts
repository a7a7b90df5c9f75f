import { existsSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createScratchPostgresDatabase } from '../support/test-database.ts'
import { bundledPluginIds, killAllProcesses, makeTempDir, startServer } from './support/affgraph-process.ts'

// A fresh database of its own when AFFGRAPH_TEST_DATABASE_URL names a PostgreSQL server; null (and a skip) otherwise.
const scratch = await createScratchPostgresDatabase()

async function tableExists(url: string, table: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ found: string | null }>('select to_regclass($1)::text as found', [
      `public.${table}`,
    ])
    return rows[0]?.found !== null && rows[0]?.found !== undefined
  } finally {
    await client.end()
  }
}

describe('affgraph server on PostgreSQL', () => {
  afterAll(async () => {
    await killAllProcesses()
    await scratch?.drop()
  })

  it.skipIf(!scratch)(
    'given DATABASE_URL naming an empty PostgreSQL database, when the server starts, then it migrates that database and answers from it',
    async () => {
      const url = scratch?.url ?? ''
      expect(await tableExists(url, 'account'), 'the database starts empty').toBe(false)
      const dataDir = await makeTempDir('postgres')
      try {
        const server = await startServer({ dataDir: dataDir.path, env: { DATABASE_URL: url } })
        expect(server.logs().find((l) => l.msg === 'affgraph is listening')).toMatchObject({
          database: 'postgresql',
        })
        expect(await tableExists(url, 'account'), 'migrations created the account table').toBe(true)
        expect(existsSync(join(dataDir.path, 'pglite')), 'the embedded database is not used').toBe(false)

        const platforms = await server.gql<{ platforms: { id: string }[] }>('{ platforms { id } }')
        expect(platforms.errors).toBeUndefined()
        expect(platforms.data?.platforms.map((p) => p.id).sort()).toEqual(await bundledPluginIds())
        const ready = await fetch(`${server.origin}/ready`, { signal: AbortSignal.timeout(10_000) })
        expect(ready.status).toBe(200)
        expect(await ready.json()).toEqual({ status: 'ready' })
        expect((await server.stop()).code).toBe(0)
      } finally {
        await killAllProcesses()
        await dataDir.remove()
      }
    },
    180_000,
  )
})
