import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { killAllProcesses, makeTempDir, spawnAffgraph, waitForExit } from './support/affgraph-process.ts'

/**
 * The process must give up at once (about 1.5–2.5 s on an idle machine: Node, tsx and the imports), before opening
 * a database or the network. The bound leaves room for a heavily shared CI machine; the empty data dir asserted
 * below shows that nothing slower was attempted.
 */
const REFUSAL_TIMEOUT_MS = 30_000

const CASES: { variable: string; value: string; message: RegExp }[] = [
  { variable: 'PORT', value: 'abc', message: /^ {2}PORT: must be a whole number$/m },
  { variable: 'PORT', value: '70000', message: /^ {2}PORT: must be at most 65535$/m },
  {
    variable: 'DATABASE_URL',
    value: 'mysql://x',
    message: /^ {2}DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL$/m,
  },
  { variable: 'AFFGRAPH_LOG_LEVEL', value: 'loud', message: /^ {2}AFFGRAPH_LOG_LEVEL: .*"fatal".*"silent"/m },
  {
    variable: 'AFFGRAPH_CORS_ORIGINS',
    value: 'https://a.example/app',
    message: /^ {2}AFFGRAPH_CORS_ORIGINS: entry 1 is not an origin: write scheme:\/\/host\[:port\]/m,
  },
  {
    variable: 'AFFGRAPH_MASTER_KEY',
    value: 'not-a-key',
    message: /AFFGRAPH_MASTER_KEY entry 1 .* is not valid base64/,
  },
  {
    // Valid base64 of the wrong length: a real-looking key that must not be echoed either.
    variable: 'AFFGRAPH_MASTER_KEY',
    value: 'k1:c2hvcnQtYnV0LXNlY3JldC1rZXktbWF0ZXJpYWw=',
    message: /AFFGRAPH_MASTER_KEY entry 1 \(key id "k1"\) must decode to 32 bytes, got 29/,
  },
]

describe('configuration refused at start-up', () => {
  let root: { path: string; remove: () => Promise<void> }

  beforeAll(async () => {
    root = await makeTempDir('config')
  })
  afterEach(killAllProcesses)
  afterAll(async () => {
    await killAllProcesses()
    await root?.remove()
  })

  for (const [index, { variable, value, message }] of CASES.entries()) {
    it(`given ${variable}=${value}, when the server starts, then it exits 1 within seconds naming ${variable} without echoing the value`, async () => {
      const dataDir = join(root.path, `case-${index}`)
      const started = Date.now()
      const proc = spawnAffgraph('src/main.ts', [], { AFFGRAPH_DATA_DIR: dataDir, [variable]: value })
      const { code } = await waitForExit(proc, REFUSAL_TIMEOUT_MS)
      expect(Date.now() - started).toBeLessThan(REFUSAL_TIMEOUT_MS)
      expect(code, proc.stderr()).toBe(1)
      const stderr = proc.stderr()
      expect(stderr).toMatch(/^affgraph: /)
      expect(stderr).toContain(variable)
      expect(stderr).toMatch(message)
      expect(stderr, 'no stack trace for a configuration problem').not.toMatch(/\n\s+at /)
      const key = value.split(':').at(-1) ?? value
      expect(stderr + proc.stdout(), 'the value is not echoed').not.toContain(key)
      expect(proc.stdout()).not.toContain('affgraph is listening')
      const created = await readdir(dataDir).catch(() => [])
      expect(created, 'nothing was written to the data dir').toEqual([])
    }, 60_000)
  }
})
