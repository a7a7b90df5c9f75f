/**
 * `npm run plugin:test -- <id|path> [vitest options]`
 *
 * Runs the contract suite, and the plugin's own `*.test.ts` files, for one plugin: a bundled id (`softswiss`) or
 * a plugin folder anywhere (`./my-plugins/acme`). Exits with vitest's status.
 */
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { BUNDLED_PLUGIN_DIR } from '../src/platform/plugin-loader.ts'

const ROOT = resolve(import.meta.dirname, '..')
// `npm run` starts scripts in the package root; INIT_CWD is where the user typed the command.
const CWD = process.env.INIT_CWD ?? process.cwd()
const USAGE = 'usage: npm run plugin:test -- <id|path> [vitest options]'

function fail(message: string): never {
  process.stderr.write(`plugin:test: ${message}\n`)
  process.exit(2)
}

/** A bare kebab-case word is a bundled id; anything else (a slash, a dot) is a path. */
function pluginFolder(target: string): string {
  const isId = /^[a-z][a-z0-9-]*$/.test(target) && !existsSync(resolve(CWD, target))
  const folder = isId ? join(BUNDLED_PLUGIN_DIR, target) : resolve(CWD, target)
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    fail(isId ? `no bundled plugin "${target}" in ${BUNDLED_PLUGIN_DIR}` : `no plugin folder at ${folder}`)
  }
  if (!['index.ts', 'index.mts', 'index.js', 'index.mjs'].some((f) => existsSync(join(folder, f)))) {
    fail(`${folder} has no index.ts: it is not a plugin folder`)
  }
  return folder
}

const [target, ...vitestArgs] = process.argv.slice(2)
if (target === '--help' || target === '-h') {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
if (!target) fail(USAGE)
const folder = pluginFolder(target)

const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')
const child = spawn(
  process.execPath,
  [vitest, 'run', '--config', join(ROOT, 'scripts/plugin-test-config.ts'), ...vitestArgs],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, AFFGRAPH_PLUGIN_TEST_FOLDER: folder } },
)
// Ctrl-C reaches vitest through the terminal's process group: wait for it to clean up instead of dying first.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => child.kill('SIGTERM'))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
