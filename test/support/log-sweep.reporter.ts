import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { CANARY_FILE, secretForms } from './log-sink.ts'

/**
 * When the run ends, searches every log line the suite wrote (see `log-sink.ts`) for every canary any test
 * planted, and fails the run on a hit. A reporter rather than a global teardown: vitest reports a teardown error
 * but still exits 0.
 */
export default class LogSweepReporter {
  onTestRunEnd(): void {
    const dir = process.env.AFFGRAPH_TEST_LOG_DIR
    if (!dir || !existsSync(dir)) return
    const canaryPath = join(dir, CANARY_FILE)
    const canaries = existsSync(canaryPath)
      ? [...new Set(readFileSync(canaryPath, 'utf8').split('\n').filter(Boolean))]
      : []
    const files = readdirSync(dir).filter((f) => f !== CANARY_FILE)
    let lines = 0
    let bytes = 0
    const hits: string[] = []
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8')
      bytes += text.length
      lines += text.split('\n').length - 1
      for (const canary of canaries) {
        for (const form of secretForms(canary)) {
          const at = text.indexOf(form)
          // The canary itself is never printed, only where it was found and what preceded it.
          if (at >= 0)
            hits.push(`${file}: …${text.slice(Math.max(0, at - 100), at).replace(/\s+/g, ' ')}<canary>`)
        }
      }
    }
    const summary = `log sweep: ${canaries.length} canaries searched in ${files.length} log files, ${lines} lines (${Math.round(bytes / 1024)} KiB): ${hits.length} found`
    if (hits.length > 0) {
      process.stderr.write(`\n${summary}\n${hits.slice(0, 20).join('\n')}\nlogs kept in ${dir}\n`)
      process.exitCode = 1
      return
    }
    process.stdout.write(`\n${summary}\n`)
    rmSync(dir, { recursive: true, force: true })
  }
}
