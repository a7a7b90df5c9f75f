import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddedSharedBuffersMiB, openDatabase } from '../../src/db/database.ts'
import { makeTempDir } from '../server/support/affgraph-process.ts'

const MiB = 1024 * 1024

describe("PGlite's shared buffers", () => {
  it('given data of a given size, when the buffers are sized, then they hold half of it in 8 MB steps between 16 MB and 128 MB', () => {
    expect(embeddedSharedBuffersMiB(0)).toBe(16)
    expect(embeddedSharedBuffersMiB(20 * MiB)).toBe(16)
    expect(embeddedSharedBuffersMiB(33 * MiB)).toBe(24)
    expect(embeddedSharedBuffersMiB(100 * MiB)).toBe(56)
    expect(embeddedSharedBuffersMiB(4096 * MiB)).toBe(128)
  })

  describe('on a data directory', () => {
    let tmp: { path: string; remove: () => Promise<void> }
    beforeAll(async () => {
      tmp = await makeTempDir('shared-buffers')
    })
    afterAll(async () => {
      await tmp?.remove()
    })

    it('given a new, small database, when it is opened, then PostgreSQL runs with the smallest buffers', async () => {
      const db = await openDatabase({ pgliteDir: join(tmp.path, 'pglite') })
      try {
        const rows = await db.query<{ shared_buffers: string }>('show shared_buffers')
        expect(rows[0]?.shared_buffers).toBe('16MB')
      } finally {
        await db.close()
      }
    }, 120_000)
  })
})
