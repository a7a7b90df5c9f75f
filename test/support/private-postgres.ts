import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from '../server/support/affgraph-process.ts'

const run = promisify(execFile)

/**
 * A PostgreSQL cluster of the test's own, in a temporary folder on a free port, for tests that restart the server:
 * the shared one at AFFGRAPH_TEST_DATABASE_URL serves other tests at the same time and must never go down.
 */
export interface PrivatePostgres {
  /** Of the `postgres` database; `createDatabase` gives a fresh one. */
  url: string
  createDatabase(name: string): Promise<string>
  /** Immediate stop (no checkpoint, clients cut off, crash recovery at start), `downMs` of outage, start. */
  restart(downMs?: number): Promise<void>
  stop(): Promise<void>
}

/** The bin folder of the newest installed PostgreSQL with initdb and pg_ctl, or null. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
  for (const v of versions) {
    const bin = join(root, v, 'bin')
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin
  }
  return null
}

/** PostgreSQL refuses to run as root; as root the commands run as the `postgres` user. */
async function asPostgres(bin: string, command: string, args: string[], cwd: string) {
  const root = process.getuid?.() === 0
  const file = root ? 'runuser' : join(bin, command)
  const argv = root ? ['-u', 'postgres', '--', join(bin, command), ...args] : args
  return run(file, argv, { cwd, timeout: 120_000 })
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findPostgresBin()
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql')
  const dir = await mkdtemp(join(tmpdir(), 'affgraph-pg-'))
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  const data = join(dir, 'data')
  await asPostgres(
    bin,
    'initdb',
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'],
    dir,
  )
  const port = await freePort()
  // Durability is not under test here (an immediate stop still keeps every committed row: the OS holds the files).
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ')
  const start = () =>
    asPostgres(
      bin,
      'pg_ctl',
      ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start'],
      dir,
    )
  const stop = (mode: 'fast' | 'immediate') =>
    asPostgres(bin, 'pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop'], dir)
  await start()
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`
  let stopped = false
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(`create database ${name}`)
      } finally {
        await client.end()
      }
      return `postgresql://postgres@127.0.0.1:${port}/${name}`
    },
    async restart(downMs = 1_000) {
      await stop('immediate')
      await new Promise((r) => setTimeout(r, downMs))
      await start()
    },
    async stop() {
      if (stopped) return
      stopped = true
      await stop('fast').catch(() => stop('immediate').catch(() => undefined))
      await rm(dir, { recursive: true, force: true })
    },
  }
}
