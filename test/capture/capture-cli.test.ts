import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import type { AppServices } from '../../src/app-services.ts'
import { createAppServices } from '../../src/bootstrap.ts'
import { parseCaptureFile } from '../../src/capture/capture-file.ts'
import { loadConfig } from '../../src/config.ts'
import { generateMasterKeyEntry } from '../../src/crypto/master-key.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { ensureWorkspace, issueApiToken } from '../../src/workspace/workspace.service.ts'
import { expectNoSecret } from '../graphql/graphql-helpers.ts'
import {
  killAllProcesses,
  makeTempDir,
  runToCompletion,
  startServer,
} from '../server/support/affgraph-process.ts'
import { globalId } from '../support/global-ids.ts'
import { captureLogs } from '../support/log-capture.ts'
import { plantCanary } from '../support/log-sink.ts'
import { sortRows } from '../support/plugin-harness.ts'
import { replayCapture } from '../support/replay.ts'
import { createScratchPostgresDatabase, TEST_DATABASE_KIND } from '../support/test-database.ts'

const WINDOW = { from: '2025-11-03', to: '2025-11-16' }
const CLI = 'src/cli/capture.cli.ts'

/**
 * `npm run capture` in a process of its own, against a database an in-process app prepared: on PGlite it must refuse
 * while another process holds the data directory, work once it is closed, and go through a running server that
 * holds it; on PostgreSQL it works beside anything.
 */
describe(`the capture command on ${TEST_DATABASE_KIND}`, () => {
  let dir: { path: string; remove: () => Promise<void> }
  let scratch: Awaited<ReturnType<typeof createScratchPostgresDatabase>>
  let env: Record<string, string>
  let services: AppServices | undefined
  let sim: PlatformSimulator
  let accountId = ''
  let secret = ''

  beforeAll(async () => {
    dir = await makeTempDir('capture-cli')
    scratch = await createScratchPostgresDatabase()
    env = {
      AFFGRAPH_DATA_DIR: join(dir.path, 'data'),
      AFFGRAPH_MASTER_KEY: generateMasterKeyEntry('cli'),
      AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
      AFFGRAPH_FX_FETCH: 'false',
      AFFGRAPH_SYNC: 'off',
      AFFGRAPH_HTTP_RETRIES: '2',
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    }
    services = await createAppServices(loadConfig({ ...env, NODE_ENV: 'test' }), {
      logger: captureLogs().logger,
    })
    const platform = services.registry.get('myaffiliates')!
    sim = await platform.definition.simulator.create({ seed: 'capture-cli' })
    const account = sim.accounts[0]!
    secret = plantCanary(account.connection.clientSecret!)
    const em = services.db.fork()
    const { workspace } = await ensureWorkspace(em, 'cli')
    const { token } = await issueApiToken(em, workspace, 'cli')
    plantCanary(token)
    const response = await createApp(services).fetch('http://affgraph.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation ($input: ConnectAccountInput!) { connectAccount(input: $input) {
          __typename ... on ConnectAccountSuccess { account { id } } ... on UserError { message } } }`,
        variables: { input: { connection: { [platform.fieldName]: account.connection } } },
      }),
    })
    const body = (await response.json()) as { data: { connectAccount: { account?: { id: string } } } }
    accountId = body.data.connectAccount.account?.id ?? ''
    expect(accountId, JSON.stringify(body)).not.toBe('')
  }, 120_000)

  afterAll(async () => {
    await services?.db.close()
    await sim?.close()
    await scratch?.drop()
    await dir?.remove()
  })

  const args = (out: string) => [
    '--account',
    accountId,
    '--from',
    WINDOW.from,
    '--to',
    WINDOW.to,
    '--out',
    out,
  ]

  it.skipIf(TEST_DATABASE_KIND !== 'pglite')(
    'given another process holding the embedded database, when the command runs, then it refuses and points to the web page and the mutation',
    async () => {
      const run = await runToCompletion(CLI, args(join(dir.path, 'refused.json')), env)
      expect(run.code).toBe(3)
      expect(run.stderr).toMatch(/open in another process/)
      expect(run.stderr).toMatch(/Record a capture/)
      expect(run.stderr).toMatch(/recordCapture mutation/)
      await expect(readFile(join(dir.path, 'refused.json'))).rejects.toThrow(/ENOENT/)
    },
    60_000,
  )

  it('given the database free to open (the server stopped, or PostgreSQL), when the command runs, then it writes a redacted capture that replays to the simulator’s rows', async () => {
    // The embedded database takes one process: the server stops. PostgreSQL serves both at once.
    if (TEST_DATABASE_KIND === 'pglite') {
      await services?.db.close()
      services = undefined
    }
    const out = join(dir.path, 'capture.json')
    const run = await runToCompletion(CLI, args(out), env)
    expect(run.code, run.stderr).toBe(0)
    const truth = sortRows(sim.truth(sim.accounts[0]!.key, WINDOW))
    expect(run.stderr).toContain(
      `Recorded 2 requests of myaffiliates for ${WINDOW.from} … ${WINDOW.to}: ${truth.length} rows.`,
    )
    const text = await readFile(out, 'utf8')
    expectNoSecret(text + run.stdout + run.stderr, [secret], 'capture file and command output')
    expect(text).not.toContain(sim.accounts[0]!.connection.clientId)
    const file = parseCaptureFile(text)
    expect(file.placeholders.map((p) => p.kind).sort()).toEqual(['identifier', 'secret', 'token'])
    const outcome = await replayCapture(file)
    expect(outcome.unmatched).toEqual([])
    expect(outcome.rows).toEqual(truth)

    const toStdout = await runToCompletion(CLI, args('-'), env)
    expect(toStdout.code, toStdout.stderr).toBe(0)
    expect(parseCaptureFile(toStdout.stdout).window).toEqual(WINDOW)
  }, 120_000)

  it.skipIf(TEST_DATABASE_KIND !== 'pglite')(
    'given a running server that holds the embedded database, when the command runs, then the server records the capture and the command writes it',
    async () => {
      const server = await startServer({ dataDir: env.AFFGRAPH_DATA_DIR!, env })
      try {
        const out = join(dir.path, 'through-server.json')
        const run = await runToCompletion(CLI, args(out), env)
        expect(run.code, run.stderr).toBe(0)
        expect(run.stderr).toContain(`Recorded 2 requests of myaffiliates for ${WINDOW.from} … ${WINDOW.to}`)
        const text = await readFile(out, 'utf8')
        expectNoSecret(text + run.stdout + run.stderr, [secret], 'capture file and command output')
        const outcome = await replayCapture(parseCaptureFile(text))
        expect(outcome.rows).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, WINDOW)))
      } finally {
        expect((await server.stop()).code).toBe(0)
        await killAllProcesses()
      }
    },
    180_000,
  )

  it('given wrong arguments or an unknown account, when the command runs, then it says what is wrong', async () => {
    const usage = await runToCompletion(CLI, ['--account', accountId], env)
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/--out is required/)
    const half = await runToCompletion(
      CLI,
      ['--account', accountId, '--from', '2025-11-01', '--out', '-'],
      env,
    )
    expect(half.code).toBe(2)
    expect(half.stderr).toMatch(/give both --from and --to/)
    // The API names accounts by global ids only; a bare database id is not one.
    const bare = await runToCompletion(
      CLI,
      ['--account', '00000000-0000-4000-8000-000000000000', '--out', '-'],
      env,
    )
    expect(bare.code).toBe(2)
    expect(bare.stderr).toMatch(/--account must be an account id, as `Account.id` shows it/)
    if (TEST_DATABASE_KIND === 'pglite' && services) return
    const long = await runToCompletion(
      CLI,
      ['--account', accountId, '--from', '2025-01-01', '--to', '2025-12-31', '--out', '-'],
      env,
    )
    expect(long.code).toBe(2)
    expect(long.stderr).toMatch(/at most 92 days/)
    const unknown = await runToCompletion(
      CLI,
      ['--account', globalId('Account', '00000000-0000-4000-8000-000000000000'), '--out', '-'],
      env,
    )
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain(
      `no account ${globalId('Account', '00000000-0000-4000-8000-000000000000')}`,
    )
  }, 120_000)
})
