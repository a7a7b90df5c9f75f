import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { CrashPointConfigError, configureCrashPoints } from '../../src/sync/crash-points.ts'
import { REPO_ROOT } from '../server/support/affgraph-process.ts'

/** Runs a snippet that arms the crash points and passes one of them; resolves with how the process ended. */
function passCrashPoint(points: Record<string, number>) {
  const script = `
    import { configureCrashPoints, crashPoint } from './src/sync/crash-points.ts'
    configureCrashPoints({ points: ${JSON.stringify(points)}, seed: 'test' })
    crashPoint('mid-write')
    process.stdout.write('survived')
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c
  })
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c
  })
  return new Promise<{ signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.once('close', (_code, signal) => resolve({ signal, out, err })),
  )
}

describe('crash points (a testing aid for the soak)', () => {
  it('given AFFGRAPH_CRASH_POINTS with NODE_ENV=production, when the configuration loads, then it is refused by name', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', AFFGRAPH_CRASH_POINTS: 'before-fetch:0.1' }),
    ).toThrowError(ConfigError)
    expect(() =>
      loadConfig({ NODE_ENV: 'production', AFFGRAPH_CRASH_POINTS: 'before-fetch:0.1' }),
    ).toThrowError(/AFFGRAPH_CRASH_POINTS/)
  })

  it('given crash points and a seed outside production, when the configuration loads, then each point has its probability', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      AFFGRAPH_CRASH_POINTS: 'before-fetch:0.05, mid-write:1',
      AFFGRAPH_CRASH_SEED: '7',
    })
    expect(config.crashPoints).toEqual({ points: { 'before-fetch': 0.05, 'mid-write': 1 }, seed: '7' })
    expect(loadConfig({ NODE_ENV: 'test' }).crashPoints).toBeNull()
    expect(() => loadConfig({ NODE_ENV: 'test', AFFGRAPH_CRASH_POINTS: 'mid-write:2' })).toThrowError(
      ConfigError,
    )
  })

  it('given an unknown crash point name, when the points are armed, then it is refused with the known names', () => {
    expect(() => configureCrashPoints({ points: { 'mid-flight': 0.5 }, seed: 's' })).toThrowError(
      CrashPointConfigError,
    )
    expect(() => configureCrashPoints({ points: { 'mid-flight': 0.5 }, seed: 's' })).toThrowError(
      /before-fetch, after-fetch, mid-write, after-account-saved/,
    )
  })

  it('given a point armed with probability 1, when a process passes it, then the process dies by SIGKILL and names the point', async () => {
    const ended = await passCrashPoint({ 'mid-write': 1 })
    expect(ended.signal).toBe('SIGKILL')
    expect(ended.err).toContain('affgraph crash point: mid-write')
    expect(ended.out).toBe('')
  }, 30_000)

  it('given a point armed with probability 0, when a process passes it, then the process carries on', async () => {
    const ended = await passCrashPoint({ 'mid-write': 0 })
    expect(ended.signal).toBeNull()
    expect(ended.out).toBe('survived')
  }, 30_000)
})
