/**
 * Memory under load: the load bench's server and request mix (bench/load.bench.ts), held for a while on PGlite and on
 * PostgreSQL, with the server process's RSS sampled every few seconds. Printed per database: RSS before the load,
 * at its start, peak and end, and the slope over the second half (MiB per minute; flat is about 0), against the
 * targets of ≤ 350 MiB on PGlite and ≤ 250 MiB on PostgreSQL.
 *
 *   npm run bench -- memory                                   (60 s each)
 *   BENCH_MEMORY_SECONDS=600 npm run bench -- memory          (the ten-minute check)
 *   BENCH_MEMORY_SAMPLE_SECONDS=10 BENCH_LOAD_CONNECTIONS=50 BENCH_MEMORY_POSTGRES=false …
 */
import { loadavg } from 'node:os'
import { openBenchDatabase } from './support/bench-database.ts'
import { rssMiB, runMix, startLoadTarget } from './load.bench.ts'

const TARGET_MIB = { pglite: 350, postgresql: 250 } as const

const envNumber = (name: string, fallback: number) => {
  const value = process.env[name]
  return value ? Number(value) : fallback
}

/** Least-squares slope of RSS against time, in MiB per minute. */
export function slopePerMinute(samples: readonly { seconds: number; mib: number }[]): number {
  const n = samples.length
  if (n < 2) return 0
  const meanT = samples.reduce((sum, s) => sum + s.seconds, 0) / n
  const meanM = samples.reduce((sum, s) => sum + s.mib, 0) / n
  let num = 0
  let den = 0
  for (const s of samples) {
    num += (s.seconds - meanT) * (s.mib - meanM)
    den += (s.seconds - meanT) ** 2
  }
  return den > 0 ? (num / den) * 60 : 0
}

async function measure(kind: 'pglite' | 'postgresql', seconds: number, sampleSeconds: number, url?: string) {
  const seed = {
    workspaces: envNumber('BENCH_LOAD_WORKSPACES', 3),
    accounts: envNumber('BENCH_LOAD_ACCOUNTS', 40),
    days: envNumber('BENCH_LOAD_DAYS', 365),
  }
  const target = await startLoadTarget(seed, url)
  try {
    const pid = target.server.proc.child.pid ?? 0
    const idle = await rssMiB(pid)
    const samples: { seconds: number; mib: number }[] = []
    const began = performance.now()
    let loading = true
    const sampler = (async () => {
      while (loading) {
        samples.push({ seconds: (performance.now() - began) / 1000, mib: await rssMiB(pid) })
        await new Promise((resolve) => setTimeout(resolve, sampleSeconds * 1000))
      }
    })()
    const mix = await runMix({
      graphqlUrl: target.server.graphqlUrl,
      workspaces: target.workspaces,
      credentials: target.credentials,
      connections: envNumber('BENCH_LOAD_CONNECTIONS', 100),
      durationSeconds: seconds,
    })
    loading = false
    await sampler
    samples.push({ seconds: (performance.now() - began) / 1000, mib: await rssMiB(pid) })
    const secondHalf = samples.filter((s) => s.seconds >= seconds / 2)
    const peak = Math.max(...samples.map((s) => s.mib))
    const failures = mix.non2xx + mix.graphqlErrors + mix.errors
    if (failures > 0) process.exitCode = 1
    return {
      kind,
      row: {
        'idle MiB': Math.round(idle),
        'first sample MiB': Math.round(samples[0]?.mib ?? 0),
        'peak MiB': Math.round(peak),
        'end MiB': Math.round(samples.at(-1)?.mib ?? 0),
        'slope, 2nd half (MiB/min)': slopePerMinute(secondHalf).toFixed(1),
        target: `≤ ${TARGET_MIB[kind]} MiB: ${peak <= TARGET_MIB[kind] ? 'met' : 'MISSED'}`,
        requests: mix.requests,
        'req/s': Math.round(mix.requestsPerSecond),
        failures,
      },
      trace: samples.map((s) => `${Math.round(s.seconds)}s ${Math.round(s.mib)}`).join(', '),
      firstFailure: mix.firstFailure,
    }
  } finally {
    await target.close()
  }
}

export async function main(): Promise<void> {
  const seconds = envNumber('BENCH_MEMORY_SECONDS', 60)
  const sampleSeconds = envNumber('BENCH_MEMORY_SAMPLE_SECONDS', 5)
  const loadBefore = loadavg()
  const results = [await measure('pglite', seconds, sampleSeconds)]
  if (process.env.BENCH_MEMORY_POSTGRES !== 'false') {
    const bench = await openBenchDatabase('affgraph_bench_memory').catch((error: Error) => {
      console.log(`postgresql skipped: ${error.message}`)
      return null
    })
    if (bench) {
      try {
        // The server runs the migrations itself; the bench's own connection is not needed meanwhile.
        results.push(await measure('postgresql', seconds, sampleSeconds, bench.url))
      } finally {
        await bench.drop()
      }
    }
  }
  console.log(
    `server RSS under the load mix for ${seconds} s, sampled every ${sampleSeconds} s; load average ${loadBefore[0]?.toFixed(2)} before, ${loadavg()[0]?.toFixed(2)} after`,
  )
  console.table(Object.fromEntries(results.map((r) => [r.kind, r.row])))
  for (const r of results) {
    console.log(`${r.kind} RSS MiB over time: ${r.trace}`)
    if (r.firstFailure) console.log(`${r.kind} first failure: ${r.firstFailure}`)
  }
}
