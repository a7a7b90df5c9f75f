import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'

/**
 * Gives the run a fresh log folder before any test worker starts; workers inherit the variable. The folder is
 * searched, and removed when clean, by `log-sweep.reporter.ts`.
 */
export default function setup(): void {
  const dir = resolve(import.meta.dirname, '../../test-output/logs', `run-${Date.now()}-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  process.env.AFFGRAPH_TEST_LOG_DIR = dir
}
