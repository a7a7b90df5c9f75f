import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bundledPluginIds, killAllProcesses, makeTempDir, startServer } from './support/affgraph-process.ts'

const KEY_WARNING = 'AFFGRAPH_MASTER_KEY is not set'

describe('affgraph server on the embedded database', () => {
  let dataDir: { path: string; remove: () => Promise<void> }

  beforeAll(async () => {
    dataDir = await makeTempDir('lifecycle')
  })
  afterEach(killAllProcesses)
  afterAll(async () => {
    await killAllProcesses()
    await dataDir?.remove()
  })

  it('given an empty data dir, when the server starts, then it serves GraphQL, GraphiQL, /health and /ready from PGlite files in that dir and a private generated key', async () => {
    const server = await startServer({ dataDir: dataDir.path })
    const keyPath = join(dataDir.path, 'master.key')

    const logs = server.logs()
    expect(logs.find((l) => l.msg === 'affgraph is listening')).toMatchObject({
      database: 'pglite',
      url: `http://127.0.0.1:${server.port}/graphql`,
    })
    const warning = logs.find((l) => String(l.msg).includes(KEY_WARNING))
    expect(warning, 'a warning about the generated key').toMatchObject({
      level: 40,
      keyFile: keyPath,
      created: true,
    })

    expect((await stat(join(dataDir.path, 'pglite'))).isDirectory()).toBe(true)
    expect(existsSync(join(dataDir.path, 'pglite', 'PG_VERSION')), 'a PostgreSQL data directory').toBe(true)
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600)
    const keyValue = (await readFile(keyPath, 'utf8')).trim().split(':')[1] ?? ''
    expect(keyValue).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(server.proc.stdout() + server.proc.stderr(), 'the key itself is never logged').not.toContain(
      keyValue,
    )

    const platforms = await server.gql<{ platforms: { id: string; name: string }[] }>(
      '{ platforms { id name } }',
    )
    expect(platforms.errors).toBeUndefined()
    expect(platforms.status).toBe(200)
    expect(platforms.data?.platforms.map((p) => p.id).sort()).toEqual(await bundledPluginIds())

    const page = await fetch(server.graphqlUrl, {
      headers: { accept: 'text/html' },
      signal: AbortSignal.timeout(10_000),
    })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(await page.text()).toMatch(/graphiql/i)

    const health = await fetch(`${server.origin}/health`, { signal: AbortSignal.timeout(10_000) })
    expect(health.status).toBe(200)
    const ready = await fetch(`${server.origin}/ready`, { signal: AbortSignal.timeout(10_000) })
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })

    const exit = await server.stop()
    expect(exit.code, 'SIGTERM shuts down cleanly').toBe(0)
  }, 180_000)
})
