import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sinkLogText } from '../../support/log-sink.ts'
import { suiteClock } from '../../support/test-clock.ts'

/** The repository root: every child runs there, as `npm start` would. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..')
export const FIXTURE_PLUGINS = join(REPO_ROOT, 'test/fixtures/plugins')
export const API_TOKEN_PATTERN = /^agk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/

/**
 * Bounds for every wait. A first PGlite start (initdb + migrations) takes about 5 s on an idle 2-core machine;
 * the bounds leave room for a heavily shared CI runner while still failing a hung process.
 */
export const START_TIMEOUT_MS = 90_000
export const EXIT_TIMEOUT_MS = 60_000

export interface AffgraphProcess {
  readonly child: ChildProcess
  readonly command: string
  stdout(): string
  stderr(): string
  /** Settles when the process has exited and its output is flushed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly running: () => boolean
}

const live = new Set<AffgraphProcess>()

/**
 * The environment of a child: this process's, minus anything that would configure affgraph (or the test runner)
 * behind the test's back, plus the given variables.
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (/^(AFFGRAPH_|VITEST|TSX_)/.test(key)) continue
    if (['DATABASE_URL', 'PORT', 'HOST', 'NODE_ENV', 'NODE_OPTIONS'].includes(key)) continue
    env[key] = value
  }
  // Children share the suite's calendar: their clock starts where the suite's is now (a testing aid that a
  // production NODE_ENV refuses).
  return { ...env, NODE_ENV: 'test', AFFGRAPH_NOW: suiteClock.now().toISOString(), ...extra }
}

/**
 * Starts `<entry> ...args` in the repository root the way the npm scripts do (`scripts/run-ts.mjs`: Node's own type
 * stripping, tsx only where Node has none), so the tests start what users start, and without transpiling each time.
 */
export function spawnAffgraph(entry: string, args: string[], env: Record<string, string>): AffgraphProcess {
  const child = spawn(process.execPath, ['scripts/run-ts.mjs', entry, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    sinkLogText('process-stdout', chunk)
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
    sinkLogText('process-stderr', chunk)
  })
  let exited = false
  const handle: AffgraphProcess = {
    child,
    command: [entry, ...args].join(' '),
    stdout: () => out,
    stderr: () => err,
    running: () => !exited,
    closed: new Promise((resolveClosed) => {
      child.once('close', (code, signal) => {
        exited = true
        live.delete(handle)
        resolveClosed({ code, signal })
      })
      child.once('error', () => {
        exited = true
        live.delete(handle)
        resolveClosed({ code: null, signal: null })
      })
    }),
  }
  live.add(handle)
  return handle
}

function outputOf(proc: AffgraphProcess): string {
  return `${proc.command}\n--- stdout ---\n${proc.stdout().slice(-4000)}\n--- stderr ---\n${proc.stderr().slice(-4000)}`
}

/** Resolves with the first match of `pattern` in stdout; fails when the process exits first or time runs out. */
export function waitForStdout(
  proc: AffgraphProcess,
  pattern: RegExp,
  timeoutMs = START_TIMEOUT_MS,
): Promise<RegExpMatchArray> {
  return new Promise((resolveMatch, reject) => {
    const check = () => {
      const match = proc.stdout().match(pattern)
      if (!match) return false
      finish()
      resolveMatch(match)
      return true
    }
    const onData = () => void check()
    const timer = setTimeout(() => {
      finish()
      reject(new Error(`no ${pattern} on stdout within ${timeoutMs} ms\n${outputOf(proc)}`))
    }, timeoutMs)
    const finish = () => {
      clearTimeout(timer)
      proc.child.stdout?.off('data', onData)
    }
    proc.child.stdout?.on('data', onData)
    if (check()) return
    void proc.closed.then(({ code, signal }) => {
      if (check()) return
      finish()
      reject(
        new Error(`exited (code ${code}, signal ${signal}) before ${pattern} appeared\n${outputOf(proc)}`),
      )
    })
  })
}

/** Waits for the process to end by itself. */
export async function waitForExit(proc: AffgraphProcess, timeoutMs = EXIT_TIMEOUT_MS) {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running after ${timeoutMs} ms\n${outputOf(proc)}`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([proc.closed, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** SIGTERM (a graceful shutdown closes the database), then SIGKILL if it does not end in time. */
export async function stopProcess(proc: AffgraphProcess, timeoutMs = EXIT_TIMEOUT_MS) {
  if (!proc.running()) return proc.closed
  proc.child.kill('SIGTERM')
  try {
    return await waitForExit(proc, timeoutMs)
  } catch (error) {
    proc.child.kill('SIGKILL')
    await proc.closed
    throw error
  }
}

/** For afterEach/afterAll: whatever a failed test left running is killed, each child by its own handle. */
export async function killAllProcesses(): Promise<void> {
  const running = [...live]
  for (const proc of running) proc.child.kill('SIGKILL')
  await Promise.all(running.map((proc) => proc.closed))
}

/** A port that was free a moment ago: the server is given it as PORT (it cannot report a port it picked itself). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolveListen)
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()))
  return port
}

export async function makeTempDir(label: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `affgraph-${label}-`))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

export interface GraphQLResult<T> {
  status: number
  data?: T | null
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[]
}

export interface RunningServer {
  proc: AffgraphProcess
  port: number
  origin: string
  graphqlUrl: string
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResult<T>>
  /** pino's JSON lines on stdout, parsed. */
  logs(): Record<string, unknown>[]
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface StartOptions {
  dataDir: string
  env?: Record<string, string>
  args?: string[]
  /** What on stdout means "ready"; default the listening log line. */
  readyPattern?: RegExp
}

export function parseLogLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>]
      } catch {
        return []
      }
    })
}

export async function postGraphQL<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  })
  const body = (await response.json()) as Omit<GraphQLResult<T>, 'status'>
  return { status: response.status, ...body }
}

/**
 * Starts `src/main.ts` and waits until it says it is listening. The server takes a port the system gives it
 * (PORT=0, unless the test names one) and says which in its start-up line, so no port is guessed in advance.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const proc = spawnAffgraph('src/main.ts', options.args ?? [], {
    AFFGRAPH_DATA_DIR: options.dataDir,
    PORT: '0',
    ...options.env,
  })
  await waitForStdout(proc, options.readyPattern ?? /"msg":"affgraph is listening"/)
  await waitForStdout(proc, /"msg":"affgraph is listening"/)
  const listening = parseLogLines(proc.stdout()).find((l) => l.msg === 'affgraph is listening')
  const port = Number(new URL(String(listening?.url)).port)
  const origin = `http://127.0.0.1:${port}`
  const graphqlUrl = `${origin}/graphql`
  return {
    proc,
    port,
    origin,
    graphqlUrl,
    gql: (query, variables, token) => postGraphQL(graphqlUrl, query, variables, token),
    logs: () => parseLogLines(proc.stdout()),
    stop: () => stopProcess(proc),
  }
}

/** Runs a command to completion (e.g. the token CLI) and returns its exit code and output. */
export async function runToCompletion(
  entry: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = START_TIMEOUT_MS,
) {
  const proc = spawnAffgraph(entry, args, env)
  const { code, signal } = await waitForExit(proc, timeoutMs).catch(async (error: unknown) => {
    proc.child.kill('SIGKILL')
    await proc.closed
    throw error
  })
  return { code, signal, stdout: proc.stdout(), stderr: proc.stderr() }
}

/** Ids of the plugins bundled in `plugins/` (the folder names, which the loader requires to equal the ids). */
export async function bundledPluginIds(): Promise<string[]> {
  const entries = await readdir(join(REPO_ROOT, 'plugins'), { withFileTypes: true })
  return entries
    .filter(
      (e) =>
        e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_') && e.name !== 'node_modules',
    )
    .map((e) => e.name)
    .sort()
}

/** The last non-empty line of a command's stdout. */
export function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)?.trim() ?? ''
}
