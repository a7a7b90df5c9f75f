import { seededRandom } from '../sdk/simulator.ts'

/**
 * Named places in a sync where a test can have the worker die as abruptly as a power cut would: SIGKILL, no
 * handlers, no flushing. The soak test sets AFFGRAPH_CRASH_POINTS to prove that a job cut short at any of them is
 * run again and loses nothing. Unconfigured (always, in production) a crash point costs one comparison.
 */
export const CRASH_POINT_NAMES = [
  'before-fetch',
  'after-fetch',
  'mid-write',
  'after-account-saved',
  'alert-after-send',
] as const
export type CrashPointName = (typeof CRASH_POINT_NAMES)[number]

let armed: { points: Partial<Record<CrashPointName, number>>; random: () => number } | null = null

export class CrashPointConfigError extends Error {
  readonly code = 'CRASH_POINT_UNKNOWN'
  override readonly name = 'CrashPointConfigError'
}

/** Arms the crash points (null disarms them). A seed plus the process id makes each worker's dice its own. */
export function configureCrashPoints(config: { points: Record<string, number>; seed: string } | null): void {
  if (!config) {
    armed = null
    return
  }
  for (const name of Object.keys(config.points)) {
    if (!(CRASH_POINT_NAMES as readonly string[]).includes(name))
      throw new CrashPointConfigError(`unknown crash point "${name}"; known: ${CRASH_POINT_NAMES.join(', ')}`)
  }
  armed = { points: config.points, random: seededRandom(`${config.seed}|${process.pid}`) }
}

export function crashPoint(name: CrashPointName): void {
  if (!armed) return
  const probability = armed.points[name]
  if (!probability || armed.random() >= probability) return
  // The parent counts kills by point from this line; it must reach the pipe before the signal lands.
  process.stderr.write(`affgraph crash point: ${name}\n`)
  process.kill(process.pid, 'SIGKILL')
}
