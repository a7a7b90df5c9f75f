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
 * The token CLI and the server share one data dir. PGlite is single-process: a command run while no server is up
 * opens the database itself, one run while a server holds it goes through the server. The tests build on each other.
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
      'mutation { createApiToken(input: { name: "made over graphql" }) { ... on CreateApiTokenSuccess { token } } }',
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
    const tokens = await server.gql<{ apiTokens: { nodes: { name: string; revokedAt: string | null }[] } }>(
      '{ apiTokens { nodes { name revokedAt } } }',
      {},
      viaGraphQL,
    )
    expect(tokens.data?.apiTokens.nodes.map((t) => [t.name, t.revokedAt !== null])).toEqual([
      ['cli', true],
      ['second', false],
      ['made over graphql', false],
    ])
    expect(await readFile(join(dataDir.path, 'master.key'), 'utf8'), 'the key file is reused').toBe(keyFile)
    expect((await server.stop()).code).toBe(0)
  }, 240_000)

  it('given a running server on the embedded database, when a token is created from another terminal, then the server accepts it at once and nothing opened the database behind its back', async () => {
    const server = await startServer({ dataDir: dataDir.path })
    try {
      const run = await cli('create', '--workspace', 'Team B')
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain('Created workspace "Team B".')
      const token = lastLine(run.stdout)
      expect(token).toMatch(API_TOKEN_PATTERN)
      const seen = await server.gql<Viewer>(VIEWER, {}, token)
      expect(seen.errors).toBeUndefined()
      expect(seen.data?.viewer.workspace.name).toBe('Team B')

      const listed = await cli('list', '--workspace', 'Team B')
      expect(listed.code, listed.stderr).toBe(0)
      expect(listed.stdout).toMatch(new RegExp(`^${token.split('_')[1]}\\tcli\\t.*\\tactive\\n$`))
      const revoked = await cli('revoke', '--workspace', 'Team B', '--prefix', token.split('_')[1] ?? '')
      expect(revoked.code, revoked.stderr).toBe(0)
      const refused = await server.gql(VIEWER, {}, token)
      expect(refused.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED')
    } finally {
      expect((await server.stop()).code).toBe(0)
    }
  }, 240_000)

  it('given a workspace name with a typo, when its tokens are listed or revoked, then the command fails and no workspace is created', async () => {
    for (const args of [
      ['list', '--workspace', 'Team Typo'],
      ['revoke', '--workspace', 'Team Typo', '--prefix', 'abcdefgh'],
    ]) {
      const run = await cli(...args)
      expect(run.code, args.join(' ')).toBe(1)
      expect(run.stderr).toContain('no workspace named "Team Typo"')
    }
    const create = await cli('create', '--workspace', 'Team Typo')
    expect(create.stdout, 'the earlier commands created nothing').toContain('Created workspace "Team Typo".')
  }, 120_000)

  it('given a server holding the embedded database, when a second server starts on the same data directory, then it is refused with who holds it and what to do', async () => {
    const server = await startServer({ dataDir: dataDir.path })
    try {
      const second = await runToCompletion('src/main.ts', [], { AFFGRAPH_DATA_DIR: dataDir.path, PORT: '0' })
      expect(second.code).toBe(1)
      expect(second.stderr).toMatch(/embedded database .* is open in another process \(server, pid \d+/)
      expect(second.stderr).toContain('DATABASE_URL')
      // The first server is unharmed.
      const still = await server.gql<Viewer>(VIEWER, {}, viaGraphQL)
      expect(still.data?.viewer.workspace.name).toBe('Team A')
    } finally {
      expect((await server.stop()).code).toBe(0)
    }
  }, 240_000)
})
