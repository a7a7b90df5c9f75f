import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, TEST_DATABASE_KIND, type TestDatabase } from '../support/test-database.ts'

describe(`migrations on ${TEST_DATABASE_KIND}`, () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await openTestDatabase()
  })
  afterAll(async () => {
    await db?.close()
  })

  it('given a migrated database, when compared with the entity definitions, then no schema change is pending', async () => {
    const pending = await db.orm.schema.getUpdateSchemaSQL({ wrap: false })
    expect(pending.trim()).toBe('')
  })

  it('given a migrated database, when the migrator runs again, then it applies nothing', async () => {
    const executed = await db.orm.migrator.up()
    expect(executed).toEqual([])
    const applied = await db.orm.migrator.getExecuted()
    expect(applied.length).toBeGreaterThan(0)
  })
})
