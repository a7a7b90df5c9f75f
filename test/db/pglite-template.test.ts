import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/database.ts'
import { buildPgliteTemplate, seedFromTemplate } from '../../src/db/pglite-template.ts'
import { makeTempDir } from '../server/support/affgraph-process.ts'

describe('embedded database template', () => {
  let tmp: { path: string; remove: () => Promise<void> }
  let template: string
  beforeAll(async () => {
    tmp = await makeTempDir('template')
    template = join(tmp.path, 'template')
    await buildPgliteTemplate(template)
  }, 240_000)
  afterAll(async () => {
    await tmp?.remove()
  })

  it('given a template made for these migrations, when a new data directory is opened, then it starts migrated with the queue schema in place', async () => {
    const dir = join(tmp.path, 'data')
    expect(await seedFromTemplate(dir, template)).toBe(true)
    const db = await openDatabase({ pgliteDir: dir, migrate: false })
    try {
      expect(await db.orm.migrator.getPending()).toEqual([])
      const schemas = await db.query<{ n: unknown }>(
        "select count(*) as n from information_schema.schemata where schema_name = 'pgboss'",
      )
      expect(Number(schemas[0]?.n)).toBe(1)
    } finally {
      await db.close()
    }
    // A directory that holds a database already is never overwritten.
    expect(await seedFromTemplate(dir, template)).toBe(false)
  })

  it('given a template made for other migrations, when a new data directory is opened, then the template is not used', async () => {
    const manifest = join(template, 'affgraph-template.json')
    const original = await readFile(manifest, 'utf8')
    const stale = JSON.parse(original) as { migrations: string[] }
    await writeFile(manifest, JSON.stringify({ ...stale, migrations: stale.migrations.slice(0, -1) }))
    try {
      expect(await seedFromTemplate(join(tmp.path, 'other'), template)).toBe(false)
    } finally {
      await writeFile(manifest, original)
    }
  })
})
