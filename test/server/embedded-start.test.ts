import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PGLITE_TEMPLATE_DIR } from '../../src/db/pglite-template.ts'
import { killAllProcesses, makeTempDir, startServer } from './support/affgraph-process.ts'

describe('first and later starts on the embedded database', () => {
  let dataDir: { path: string; remove: () => Promise<void> }

  beforeAll(async () => {
    dataDir = await makeTempDir('embedded-start')
  })
  afterEach(killAllProcesses)
  afterAll(async () => {
    await killAllProcesses()
    await dataDir?.remove()
  })

  it('given the template that npm install made, when a server starts on a new data dir, then the dir is copied from it and a restart opens the same data', async () => {
    // `npm install` (the prepare script) makes the template; without it this test says so first.
    expect(await readdir(PGLITE_TEMPLATE_DIR), 'the migrated template in node_modules/.cache').toContain(
      'affgraph-template.json',
    )
    const first = await startServer({ dataDir: dataDir.path })
    expect(first.logs().find((l) => l.msg === 'affgraph is listening')).toMatchObject({
      database: 'pglite',
      createdFrom: 'template',
    })
    expect(await readdir(join(dataDir.path, 'pglite'))).toContain('PG_VERSION')
    const answer = await first.gql<{ __typename: string }>('{ __typename }')
    expect(answer.data?.__typename).toBe('Query')
    expect((await first.stop()).code).toBe(0)

    const again = await startServer({ dataDir: dataDir.path })
    const listening = again.logs().find((l) => l.msg === 'affgraph is listening')
    expect(listening?.database).toBe('pglite')
    expect(listening, 'an existing data dir is never replaced').not.toHaveProperty('createdFrom')
    expect((await again.gql<{ __typename: string }>('{ __typename }')).data?.__typename).toBe('Query')
    expect((await again.stop()).code).toBe(0)
  })
})
