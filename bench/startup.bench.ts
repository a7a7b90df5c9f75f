/**
 * Start-up: `node scripts/run-ts.mjs src/main.ts` spawned as `npm start` runs it, timed from the spawn to the first
 * answered GraphQL request, on a fresh embedded data directory and again on the same directory (a restart); then a
 * fresh `--demo` start, and a start on PostgreSQL. Each start's phases are the server's own (`startupMs` in its
 * listening line), and its RSS is read once it has been idle for a few seconds.
 *
 *   npm run bench -- startup
 *   BENCH_STARTUP_RUNS=9 BENCH_STARTUP_IDLE_MS=5000 npm run bench -- startup
 *   BENCH_STARTUP_DEMO=false BENCH_STARTUP_POSTGRES=false …   (skip those starts)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { freePort, makeTempDir, parseLogLines, REPO_ROOT } from '../test/server/support/affgraph-process.ts'
import { BENCH_ADMIN_URL, median, openBenchDatabase } from './support/bench-database.ts'
import { rssMiB } from './load.bench.ts'

const TARGET_FRESH_MS = 3000
const TARGET_RESTART_MS = 2000

const envNumber = (name: string, fallback: number) => {
  const value = process.env[name]
  return value ? Number(value) : fallback
}

/** A user's environment: nothing of this shell's affgraph settings, and no outbound rate fetch (no network here). */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AFFGRAPH_|BENCH_|TSX_)/.test(key)) continue
    if (['DATABASE_URL', 'PORT', 'HOST', 'NODE_ENV', 'NODE_OPTIONS'].includes(key)) continue
    env[key] = value
  }
  return { ...env, AFFGRAPH_FX_FETCH: 'false', ...extra }
}

interface Start {
  /** Spawn to the first answer of `{ __typename }`. */
  answerMs: number
  /** The server's own phases, milliseconds since its process started. */
  phases: Record<string, number>
  rssIdleMiB: number
  stopMs: number
  /** Spawn to the demo's token on stdout (`--demo` only). */
  tokenMs?: number
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(2000),
    })
    const body = (await response.json()) as { data?: { __typename?: string } }
    return response.ok && body.data?.__typename === 'Query'
  } catch {
    return false
  }
}

/** One start of the server: polled every 20 ms until it answers, then left idle, then stopped with SIGTERM. */
async function timeStart(env: Record<string, string>, args: string[], idleMs: number): Promise<Start> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/graphql`
  const spawnedAt = performance.now()
  const child: ChildProcess = spawn(process.execPath, ['scripts/run-ts.mjs', 'src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: userEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  let running = true
  void exited.then(() => {
    running = false
  })
  try {
    let answerMs = 0
    for (;;) {
      if (!running)
        throw new Error(`the server exited before answering\n${out.slice(-2000)}\n${err.slice(-2000)}`)
      if (performance.now() - spawnedAt > 120_000)
        throw new Error(`no answer within 120 s\n${err.slice(-2000)}`)
      if (await answers(url)) {
        answerMs = performance.now() - spawnedAt
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    let tokenMs: number | undefined
    if (args.includes('--demo')) {
      // The demo seeds its accounts after it answers, and prints the token when done.
      while (!/agk_\w+/.test(out)) {
        if (!running) throw new Error(`the demo exited before printing a token\n${err.slice(-2000)}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      tokenMs = performance.now() - spawnedAt
    }
    await new Promise((resolve) => setTimeout(resolve, idleMs))
    const rssIdleMiB = await rssMiB(child.pid ?? 0)
    const listening = parseLogLines(out).find((line) => line.msg === 'affgraph is listening')
    const phases = (listening?.startupMs ?? {}) as Record<string, number>
    const stopping = performance.now()
    child.kill('SIGTERM')
    const code = await exited
    if (code !== 0) throw new Error(`the server exited with ${code} on SIGTERM\n${err.slice(-2000)}`)
    return { answerMs, phases, rssIdleMiB, stopMs: performance.now() - stopping, tokenMs }
  } finally {
    if (running) {
      child.kill('SIGKILL')
      await exited
    }
  }
}

function summary(label: string, starts: Start[], target?: number) {
  const answer = starts.map((s) => s.answerMs)
  const phaseNames = [...new Set(starts.flatMap((s) => Object.keys(s.phases)))]
  const phases = Object.fromEntries(
    phaseNames.map((name) => [name, Math.round(median(starts.map((s) => s.phases[name] ?? Number.NaN)))]),
  )
  const mid = median(answer)
  return {
    label,
    row: {
      runs: starts.length,
      'median ms': Math.round(mid),
      'min ms': Math.round(Math.min(...answer)),
      'max ms': Math.round(Math.max(...answer)),
      target: target ? `≤ ${target} ms: ${mid <= target ? 'met' : 'MISSED'}` : '',
      'idle RSS MiB (median)': Math.round(median(starts.map((s) => s.rssIdleMiB))),
      'stop ms (median)': Math.round(median(starts.map((s) => s.stopMs))),
      ...(starts[0]?.tokenMs
        ? { 'token printed ms (median)': Math.round(median(starts.map((s) => s.tokenMs ?? Number.NaN))) }
        : {}),
    },
    phases,
  }
}

export async function main(): Promise<void> {
  const runs = envNumber('BENCH_STARTUP_RUNS', 5)
  const idleMs = envNumber('BENCH_STARTUP_IDLE_MS', 3000)
  const fresh: Start[] = []
  const restart: Start[] = []
  const demo: Start[] = []
  const postgres: Start[] = []
  const loadBefore = loadavg()
  for (let i = 0; i < runs; i++) {
    const dir = await makeTempDir('startup')
    try {
      const env = { AFFGRAPH_DATA_DIR: dir.path }
      fresh.push(await timeStart(env, [], idleMs))
      restart.push(await timeStart(env, [], idleMs))
    } finally {
      await dir.remove()
    }
    if (process.env.BENCH_STARTUP_DEMO !== 'false') {
      const demoDir = await makeTempDir('startup-demo')
      try {
        demo.push(await timeStart({ AFFGRAPH_DATA_DIR: demoDir.path }, ['--demo'], idleMs))
      } finally {
        await demoDir.remove()
      }
    }
  }
  if (process.env.BENCH_STARTUP_POSTGRES !== 'false') {
    // A migrated database of its own, as a server restarted on PostgreSQL finds it.
    const bench = await openBenchDatabase('affgraph_bench_startup').catch((error: Error) => {
      console.log(`postgresql (${BENCH_ADMIN_URL}) skipped: ${error.message}`)
      return null
    })
    if (bench) {
      const dir = await makeTempDir('startup-pg')
      try {
        for (let i = 0; i < runs; i++) {
          postgres.push(await timeStart({ AFFGRAPH_DATA_DIR: dir.path, DATABASE_URL: bench.url }, [], idleMs))
        }
      } finally {
        await dir.remove()
        await bench.drop()
      }
    }
  }
  const loadAfter = loadavg()
  const rows = [
    summary('fresh (PGlite, new data dir)', fresh, TARGET_FRESH_MS),
    summary('restart (PGlite, same data dir)', restart, TARGET_RESTART_MS),
    ...(demo.length ? [summary('fresh --demo (PGlite)', demo)] : []),
    ...(postgres.length ? [summary('start (PostgreSQL, migrated)', postgres)] : []),
  ]
  console.log(
    `spawn → first answer to { __typename }, ${runs} runs each; load average ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after (targets are for an idle machine)`,
  )
  console.table(Object.fromEntries(rows.map((r) => [r.label, r.row])))
  console.log('server phases, median ms since its process started:')
  console.table(Object.fromEntries(rows.map((r) => [r.label, r.phases])))
}
