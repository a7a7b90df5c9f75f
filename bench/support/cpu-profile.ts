/**
 * CPU profiles of benchmarked servers: `BENCH_PROFILE=1` starts them with V8's sampling profiler
 * (`--cpu-prof`), writing `.cpuprofile` files under `test-output/profiles/<name>/` — open one in Chrome DevTools
 * (Performance → Load profile) or speedscope for the flame graph — and prints the frames where the samples fell.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'

const PROFILE_ROOT = join(import.meta.dirname, '..', '..', 'test-output', 'profiles')

export const profiling = () => process.env.BENCH_PROFILE === '1'

/** NODE_OPTIONS for a server under profile (empty when not profiling). */
export async function profileEnv(name: string): Promise<Record<string, string>> {
  if (!profiling()) return {}
  const dir = join(PROFILE_ROOT, name)
  await mkdir(dir, { recursive: true })
  return { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` }
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const where = (frame: ProfileNode['callFrame']): string => {
  const url = frame.url.replace(/^file:\/\//, '')
  const short = url.includes('node_modules/')
    ? url.slice(url.lastIndexOf('node_modules/') + 'node_modules/'.length)
    : url
      ? relative(join(import.meta.dirname, '..', '..'), url)
      : ''
  return `${frame.functionName || '(anonymous)'} ${short ? `${short}:${frame.lineNumber + 1}` : ''}`.trim()
}

/** The package (or our own folder) a frame belongs to: where the time goes, one level up from functions. */
const packageOf = (frame: ProfileNode['callFrame']): string => {
  const url = frame.url
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (url.startsWith('node:')) return 'node:internal'
  const rel = relative(join(import.meta.dirname, '..', '..'), url.replace(/^file:\/\//, ''))
  return rel.split('/').slice(0, 2).join('/')
}

/** Self time per frame and per package of the newest profile in `test-output/profiles/<name>/`. */
export async function summariseProfile(name: string, top = 15): Promise<void> {
  if (!profiling()) return
  const dir = join(PROFILE_ROOT, name)
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort()
  const file = files.at(-1)
  if (!file) {
    console.log(`profile ${name}: no .cpuprofile written`)
    return
  }
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
  const busy = total - idle.reduce((a, [, t]) => a + t, 0)
  const frames = new Map<string, number>()
  const packages = new Map<string, number>()
  for (const [id, t] of self) {
    const frame = byId.get(id)!.callFrame
    if (frame.functionName === '(idle)') continue
    frames.set(where(frame), (frames.get(where(frame)) ?? 0) + t)
    packages.set(packageOf(frame), (packages.get(packageOf(frame)) ?? 0) + t)
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1)}%`
  console.log(
    `profile ${name}: ${join('test-output', 'profiles', name, file)} (busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s)`,
  )
  console.table(
    [...packages]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([pkg, t]) => ({ 'self time by package': pkg, share: pct(t) })),
  )
  console.table(
    [...frames]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, t]) => ({ 'self time by frame': frame, share: pct(t) })),
  )
}
