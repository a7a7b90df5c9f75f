import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { decryptCredentials, type SealedCredentials } from '../../src/crypto/credential-cipher.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../../src/crypto/master-key.ts'
import { type Database, openDatabase } from '../../src/db/database.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import {
  CHECK_ACCOUNT,
  CONNECT_ACCOUNT,
  UPDATE_ACCOUNT,
  UPDATE_ACCOUNT_CONNECTION,
} from '../graphql/graphql-helpers.ts'
import {
  type AffgraphProcess,
  killAllProcesses,
  lastLine,
  makeTempDir,
  type RunningServer,
  runToCompletion,
  spawnAffgraph,
  startServer,
  waitForExit,
  waitForStdout,
} from '../server/support/affgraph-process.ts'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { createScratchPostgresDatabase, TEST_DATABASE_KIND } from '../support/test-database.ts'

const scratch = await createScratchPostgresDatabase()
const onPglite = scratch === null
const ACCOUNTS = 10

/** pino's `time`: epoch milliseconds by default, an ISO string when the logger is configured so. */
const logTime = (line: Record<string, unknown> | undefined) =>
  typeof line?.time === 'string' ? Date.parse(line.time) : Number(line?.time)

type Result = { __typename: string; account?: { id: string; status: string; tags: string[] } }

/**
 * One data dir and one database through a whole rotation as an operator runs it, in order: k1 from the generated
 * key file, `keys add` k2, refusals that change nothing, a rotation killed midway and run again, then k3 added and
 * rotated while a server takes writes, k1 and k2 retired, and a server with only k3 opens everything.
 */
describe(`master-key rotation on ${TEST_DATABASE_KIND}`, () => {
  let dataDir: { path: string; remove: () => Promise<void> }
  let sim: PlatformSimulator
  let token = ''
  let accountIds: string[] = []
  /** Plaintext of every account's credentials, decrypted before any rotation. */
  let original = new Map<string, unknown>()
  const outputs: string[] = []
  const keyMaterial = new Set<string>()
  const keyFile = () => join(dataDir.path, 'master.key')

  const baseEnv = (): Record<string, string> => ({
    AFFGRAPH_DATA_DIR: dataDir.path,
    AFFGRAPH_SYNC: 'off',
    AFFGRAPH_FX_FETCH: 'false',
    AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
    AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST: 'off',
    AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST_PER_IP: 'off',
    AFFGRAPH_RATE_LIMIT_CONNECT: 'off',
    AFFGRAPH_RATE_LIMIT_CONNECT_PER_IP: 'off',
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
  })
  const keys = async (args: string[], env: Record<string, string> = {}) => {
    const flags = onPglite && args[0] !== 'add' ? ['--server-stopped'] : []
    const run = await runToCompletion('src/cli/keys.cli.ts', [...args, ...flags], { ...baseEnv(), ...env })
    outputs.push(run.stdout, run.stderr)
    return run
  }
  const start = async (env: Record<string, string> = {}) => {
    const server = await startServer({ dataDir: dataDir.path, env: { ...baseEnv(), ...env } })
    return server
  }
  const stop = async (server: RunningServer) => {
    const closed = await server.stop()
    outputs.push(server.proc.stdout(), server.proc.stderr())
    expect(closed.code).toBe(0)
  }
  const rememberKeys = async () => {
    for (const entry of (await readFile(keyFile(), 'utf8')).trim().split(',')) {
      keyMaterial.add(entry.slice(entry.indexOf(':') + 1))
    }
  }
  const withDatabase = async <T>(fn: (db: Database) => Promise<T>): Promise<T> => {
    const db = await openDatabase({ url: scratch?.url, pgliteDir: join(dataDir.path, 'pglite') })
    try {
      return await fn(db)
    } finally {
      await db.close()
    }
  }
  const storedRows = () =>
    withDatabase((db) =>
      db.query<{ id: string; credentials: SealedCredentials }>(
        'select id, credentials from account order by id',
      ),
    )
  const kidCounts = (rows: { credentials: SealedCredentials }[]) => {
    const counts: Record<string, number> = {}
    for (const row of rows) counts[row.credentials.kid] = (counts[row.credentials.kid] ?? 0) + 1
    return counts
  }

  beforeAll(async () => {
    dataDir = await makeTempDir('key-rotation')
    sim = await softswiss.simulator.create({ seed: 'key-rotation', accounts: ACCOUNTS })
    const created = await runToCompletion(
      'src/cli/token.cli.ts',
      ['create', '--workspace', 'Rotation'],
      baseEnv(),
    )
    expect(created.code, created.stderr).toBe(0)
    token = lastLine(created.stdout)
    const server = await start()
    for (const [i, account] of sim.accounts.entries()) {
      const result = await server.gql<{ connectAccount: Result }>(
        CONNECT_ACCOUNT,
        { input: { connection: { softSwiss: account.connection }, label: `account ${i}` } },
        token,
      )
      expect(result.data?.connectAccount.__typename, JSON.stringify(result)).toBe('ConnectAccountSuccess')
      accountIds.push(result.data?.connectAccount.account?.id ?? '')
    }
    await stop(server)
    await rememberKeys()
    const ring = parseMasterKeys(await readFile(keyFile(), 'utf8'))
    original = new Map(
      (await storedRows()).map((r) => [r.id, decryptCredentials(ring, r.credentials, `account:${r.id}`)]),
    )
    accountIds = [...original.keys()].map((id) => globalId('Account', id))
  }, 180_000)

  afterEach(killAllProcesses)
  afterAll(async () => {
    await killAllProcesses()
    await sim?.close()
    await scratch?.drop()
    await dataDir?.remove()
  })

  it('given the generated key file, when `keys add --id k2` runs, then k2 is prepended as the active key, the file stays 0600 and no key is printed', async () => {
    const run = await keys(['add', '--id', 'k2'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('Added master key "k2"')
    expect(run.stdout).toContain('keys now: k2, k1')
    expect(((await stat(keyFile())).mode & 0o777).toString(8)).toBe('600')
    expect(parseMasterKeys(await readFile(keyFile(), 'utf8')).keyIds).toEqual(['k2', 'k1'])
    await rememberKeys()
    expect(keyMaterial.size).toBe(2)
  }, 60_000)

  it('given AFFGRAPH_MASTER_KEY, when `keys add` runs, then it prints only the new entry and how to prepend it', async () => {
    const configured = generateMasterKeyEntry('prod1')
    const secret = configured.slice(configured.indexOf(':') + 1)
    const run = await runToCompletion('src/cli/keys.cli.ts', ['add'], {
      ...baseEnv(),
      AFFGRAPH_MASTER_KEY: configured,
    })
    expect(run.code, run.stderr).toBe(0)
    const entry = lastLine(run.stdout)
    expect(entry).toMatch(/^k2:[A-Za-z0-9+/]{43}=$/)
    expect(run.stdout).toContain('Put this entry first in AFFGRAPH_MASTER_KEY')
    expect(`${run.stdout}${run.stderr}`).not.toContain(secret)
  }, 60_000)

  it('given a key id the configuration lacks, a wrong key value, or a key still in use, when rotate or retire runs, then it fails with a typed code and changes nothing', async () => {
    const before = JSON.stringify(await storedRows())
    const [k2] = (await readFile(keyFile(), 'utf8')).trim().split(',')
    const wrongK1 = generateMasterKeyEntry('k1')
    keyMaterial.add(wrongK1.slice(3))

    const missing = await keys(['rotate'], { AFFGRAPH_MASTER_KEY: k2 ?? '' })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/KEY_ROTATION_UNKNOWN_KEY: .*"k1"/)
    const wrong = await keys(['rotate'], { AFFGRAPH_MASTER_KEY: `${k2},${wrongK1}` })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/KEY_ROTATION_KEY_MISMATCH: .*"k1"/)
    const inUse = await keys(['retire', 'k1'])
    expect(inUse.code).toBe(1)
    expect(inUse.stderr).toContain(`KEY_ROTATION_KEY_IN_USE: Master key "k1" still wraps ${ACCOUNTS}`)
    const active = await keys(['retire', 'k2'])
    expect(active.stderr).toContain('KEY_ROTATION_ACTIVE_KEY')
    if (onPglite) {
      const unguarded = await runToCompletion('src/cli/keys.cli.ts', ['rotate'], baseEnv())
      outputs.push(unguarded.stdout, unguarded.stderr)
      expect(unguarded.code).toBe(1)
      expect(unguarded.stderr).toContain('KEY_ROTATION_EMBEDDED_DATABASE')
    }
    expect(JSON.stringify(await storedRows()), 'every stored value is byte for byte the same').toBe(before)
  }, 120_000)

  it('given a rotation killed after its first batch, when it runs again, then it finishes the rest and every row is under k2', async () => {
    const proc = spawnAffgraph(
      'src/cli/keys.cli.ts',
      ['rotate', '--batch-size', '2', '--pause-ms', '400', ...(onPglite ? ['--server-stopped'] : [])],
      baseEnv(),
    )
    await waitForStdout(proc, /^batch done: rows 2, rewrapped 2, /m)
    proc.child.kill('SIGKILL')
    await proc.closed
    outputs.push(proc.stdout(), proc.stderr())
    const status = await keys(['status'])
    expect(status.code, status.stderr).toBe(0)
    const [, k2Count, k1Count] =
      status.stdout.match(/^active key: k2\nk2\t(\d+)\tactive\nk1\t(\d+)\tconfigured\n$/) ?? []
    const midway = { k2: Number(k2Count), k1: Number(k1Count) }
    expect(midway.k2, status.stdout).toBeGreaterThanOrEqual(2)
    expect(midway.k1, status.stdout).toBeGreaterThan(0)
    expect(midway.k1 + midway.k2).toBe(ACCOUNTS)

    const rerun = await keys(['rotate'])
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(rerun.stdout).toContain(
      `rotation to "k2" finished: rows ${ACCOUNTS}, rewrapped ${midway.k1}, already current ${midway.k2}, changed concurrently 0, failed 0`,
    )
  }, 120_000)

  it('given a server taking writes with ring [k3, k2, k1], when rotation runs meanwhile, then every row ends under k3 and no concurrent write is lost', async () => {
    expect((await keys(['add', '--id', 'k3'])).code).toBe(0)
    await rememberKeys()
    // PGlite: only the server may open the data dir, so it rotates at start. PostgreSQL: the CLI runs beside it.
    const server = await start(
      onPglite
        ? { AFFGRAPH_KEY_ROTATION_BATCH_SIZE: '1', AFFGRAPH_KEY_ROTATION_PAUSE_MS: '1000' }
        : { AFFGRAPH_KEY_ROTATION_ON_START: 'false' },
    )
    let rotation: AffgraphProcess | null = null
    let firstBatchAt: Promise<number> = Promise.resolve(0)
    if (!onPglite) {
      rotation = spawnAffgraph(
        'src/cli/keys.cli.ts',
        ['rotate', '--batch-size', '1', '--pause-ms', '1000'],
        baseEnv(),
      )
      firstBatchAt = waitForStdout(rotation, /^batch done/m).then(() => Date.now())
    }
    const rotationFinished = async () =>
      rotation ? !rotation.running() : server.logs().some((l) => l.msg === 'master key rotation finished')
    const writes: [number, number][] = []
    const firstRekeyed = accountIds.slice(0, 3)
    let round = 0
    while (!(await rotationFinished()) || round < 2) {
      round++
      await Promise.all(
        accountIds.map(async (id, i) => {
          const begun = Date.now()
          const updated = await server.gql<{ updateAccount: Result }>(
            UPDATE_ACCOUNT,
            { input: { accountId: id, tags: [`round-${round}`], label: `account ${i} r${round}` } },
            token,
          )
          expect(updated.data?.updateAccount.__typename, JSON.stringify(updated)).toBe('UpdateAccountSuccess')
          if (firstRekeyed.includes(id)) {
            const rekeyed = await server.gql<{ updateAccountConnection: Result }>(
              UPDATE_ACCOUNT_CONNECTION,
              { input: { accountId: id, connection: { softSwiss: original.get(databaseIdOf(id)) } } },
              token,
            )
            expect(rekeyed.data?.updateAccountConnection.__typename).toBe('UpdateAccountConnectionSuccess')
          }
          writes.push([begun, Date.now()])
        }),
      )
      expect(round, 'rotation ends within 200 rounds of writes').toBeLessThan(200)
    }
    let rotationWindow: [number, number]
    if (rotation) {
      const exit = await waitForExit(rotation)
      outputs.push(rotation.stdout(), rotation.stderr())
      expect(exit.code, rotation.stderr()).toBe(0)
      expect(rotation.stdout()).toMatch(
        new RegExp(`rotation to "k3" finished: rows ${ACCOUNTS}, .*, failed 0\\n`),
      )
      rotationWindow = [await firstBatchAt, Date.now()]
    } else {
      const log = server.logs()
      const started = log.find((l) => l.msg === 'master key rotation started')
      const finished = log.find((l) => l.msg === 'master key rotation finished')
      expect(started).toMatchObject({ activeKeyId: 'k3', recordsByKey: { k2: ACCOUNTS } })
      expect(finished).toMatchObject({ rows: ACCOUNTS, failedIds: [] })
      rotationWindow = [logTime(started), logTime(finished)]
    }
    const during = writes.filter(([begun, ended]) => begun <= rotationWindow[1] && ended >= rotationWindow[0])
    expect(during.length, 'writes in flight while rotation ran').toBeGreaterThan(0)
    await stop(server)

    const rows = await storedRows()
    expect(kidCounts(rows)).toEqual({ k3: ACCOUNTS })
    const tags = await withDatabase((db) => db.query<{ tags: string[] }>('select distinct tags from account'))
    expect(tags, 'the last round of tag writes is what is stored').toEqual([{ tags: [`round-${round}`] }])
  }, 180_000)

  it('given k1 and k2 retired, when the server restarts with only k3, then every credential decrypts and every account checks OK', async () => {
    for (const id of ['k2', 'k1']) {
      const run = await keys(['retire', id])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain(`Retired master key "${id}"`)
    }
    const text = await readFile(keyFile(), 'utf8')
    expect(parseMasterKeys(text).keyIds).toEqual(['k3'])
    expect(((await stat(keyFile())).mode & 0o777).toString(8)).toBe('600')

    const onlyK3 = parseMasterKeys(text)
    for (const row of await storedRows()) {
      expect(decryptCredentials(onlyK3, row.credentials, `account:${row.id}`)).toEqual(original.get(row.id))
    }
    const server = await start()
    for (const id of accountIds) {
      const checked = await server.gql<{ checkAccount: Result }>(CHECK_ACCOUNT, { accountId: id }, token)
      expect(checked.data?.checkAccount.__typename, JSON.stringify(checked)).toBe('CheckAccountSuccess')
      expect(checked.data?.checkAccount.account?.status).toBe('OK')
    }
    await stop(server)
  }, 180_000)

  it('given every command and server run above, when their output is searched, then no master key value appears', () => {
    expect(keyMaterial.size).toBeGreaterThanOrEqual(4)
    expect(outputs.length).toBeGreaterThan(15)
    const all = outputs.join('\n')
    for (const secret of keyMaterial) expect(all.includes(secret)).toBe(false)
  })
})
