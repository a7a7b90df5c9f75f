import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  API_TOKEN_PATTERN,
  killAllProcesses,
  lastLine,
  makeTempDir,
  runToCompletion,
  startServer,
} from './support/affgraph-process.ts'

const CLI = 'src/cli/token.cli.ts'
const VIEWER = '{ viewer { workspace { name } } }'
type Viewer = { viewer: { workspace: { name: string } } }

/**
 * The token CLI and the server share one data dir. PGlite is single-process, so each CLI command runs while no
 * server is up, and each server is stopped before the next command. The tests build on each other, in order.
 */
describe('token CLI and server restarts on one data dir', () => {
  let dataDir: { path: string; remove: () => Promise<void> }
  const cli = (...args: string[]) => runToCompletion(CLI, args, { AFFGRAPH_DATA_DIR: dataDir.path })
  let first = ''
  let second = ''
  let viaGraphQL = ''
  let keyFile = ''

  beforeAll(async () => {
    dataDir = await makeTempDir('token-cli')
  })
  afterEach(killAllProcesses)
  afterAll(async () => {
    await killAllProcesses()
    await dataDir?.remove()
  })

  it('given missing arguments or an unknown command, when run, then it prints the usage on stderr and exits 2', async () => {
    const cases = [[], ['create'], ['rotate', '--workspace', 'Team A']]
    const runs = await Promise.all(cases.map((args) => cli(...args)))
    for (const [i, run] of runs.entries()) {
      const label = `token ${cases[i]?.join(' ')}`
      expect(run.code, label).toBe(2)
      expect(run.stderr, label).toMatch(/^usage:\n/)
      expect(run.stderr, label).toContain('create --workspace <name>')
      expect(run.stdout, label).toBe('')
    }
  }, 120_000)

  it('given a workspace that does not exist, when a token is created, then the workspace is created and the token is printed alone on the last line', async () => {
    const run = await cli('create', '--workspace', 'Team A')
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('Created workspace "Team A".')
    first = lastLine(run.stdout)
    expect(first).toMatch(API_TOKEN_PATTERN)
    expect(run.stdout.endsWith(`\n${first}\n`), 'the token is a line of its own').toBe(true)
    keyFile = await readFile(join(dataDir.path, 'master.key'), 'utf8')
  }, 120_000)

  it('given the same workspace, when a second token is created, then it is a different token and the workspace is reused', async () => {
    const run = await cli('create', '--workspace', 'Team A', '--name', 'second')
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).not.toContain('Created workspace')
    second = lastLine(run.stdout)
    expect(second).toMatch(API_TOKEN_PATTERN)
    expect(second).not.toBe(first)
  }, 120_000)

  it('given two tokens, when listed, then each prefix is shown as active and no secret part is printed', async () => {
    const run = await cli('list', '--workspace', 'Team A')
    expect(run.code, run.stderr).toBe(0)
    const [firstPrefix, secondPrefix] = [first, second].map((t) => t.split('_')[1] ?? '')
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^${firstPrefix}\\tcli\\t.*\\tactive$`))
    expect(lines[1]).toMatch(new RegExp(`^${secondPrefix}\\tsecond\\t.*\\tactive$`))
    for (const token of [first, second]) expect(run.stdout).not.toContain(token.split('_')[2])
  }, 120_000)

  it('given the CLI tokens, when a server starts on the same data dir, then both authenticate as "Team A" and can issue another token', async () => {
    const server = await startServer({ dataDir: dataDir.path })
    for (const token of [first, second]) {
      const result = await server.gql<Viewer>(VIEWER, {}, token)
      expect(result.errors).toBeUndefined()
      expect(result.data?.viewer.workspace.name).toBe('Team A')
    }
    const created = await server.gql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(name: "made over graphql") { token } }',
      {},
      second,
    )
    expect(created.errors).toBeUndefined()
    viaGraphQL = created.data?.createApiToken.token ?? ''
    expect(viaGraphQL).toMatch(API_TOKEN_PATTERN)
    expect((await server.stop()).code).toBe(0)
  }, 240_000)

  it('given a prefix revoked by the CLI, when the server restarts on the same data dir, then that token fails with TOKEN_REVOKED while the data written before the restart is kept', async () => {
    const prefix = first.split('_')[1] ?? ''
    const run = await cli('revoke', '--workspace', 'Team A', '--prefix', prefix)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`revoked ${prefix}`)

    const server = await startServer({ dataDir: dataDir.path })
    const revoked = await server.gql(VIEWER, {}, first)
    expect(revoked.status).toBe(401)
    expect(revoked.data ?? null).toBeNull()
    expect(revoked.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED')
    for (const token of [second, viaGraphQL]) {
      const kept = await server.gql<Viewer>(VIEWER, {}, token)
      expect(kept.errors).toBeUndefined()
      expect(kept.data?.viewer.workspace.name).toBe('Team A')
    }
    const tokens = await server.gql<{ apiTokens: { name: string; revokedAt: string | null }[] }>(
      '{ apiTokens { name revokedAt } }',
      {},
      viaGraphQL,
    )
    expect(tokens.data?.apiTokens.map((t) => [t.name, t.revokedAt !== null])).toEqual([
      ['cli', true],
      ['second', false],
      ['made over graphql', false],
    ])
    expect(await readFile(join(dataDir.path, 'master.key'), 'utf8'), 'the key file is reused').toBe(keyFile)
    expect((await server.stop()).code).toBe(0)
  }, 240_000)
})
