import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUNDLED_PLUGIN_DIR, loadPlugin } from '../../src/platform/plugin-loader.ts'
import { FAULT_NAMES } from '../../src/sdk/index.ts'

const ROOT = resolve(import.meta.dirname, '../..')
// Git-ignored and outside tsconfig's and biome's reach: scaffolds there never touch the project's own checks.
const OUTPUT = join(ROOT, 'test-output')
const BIN = join(ROOT, 'node_modules/.bin')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')

function run(command: string, args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((done, reject) => {
    // INIT_CWD would make the scripts resolve relative paths against wherever `npm test` was typed.
    const { FORCE_COLOR: _, ...inherited } = process.env
    const env = { ...inherited, INIT_CWD: cwd, NO_COLOR: '1' }
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) =>
      done({ code, stdout: stdout.replace(ANSI, ''), stderr: stderr.replace(ANSI, '') }),
    )
  })
}

const script = (name: 'plugin-new' | 'plugin-test', ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', `${name}.ts`), ...args])

describe('plugin:new and plugin:test', () => {
  let dir: string
  let folder: string
  let scaffold: Run

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true })
    dir = mkdtempSync(join(OUTPUT, 'plugin-new-'))
    folder = join(dir, 'acme-test')
    // Through npm, so the package.json entry is what is tested.
    scaffold = await run('npm', ['run', '-s', 'plugin:new', '--', 'acme-test', '--dir', dir])
  })

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('given a temp directory, when plugin:new scaffolds acme-test there, then it writes the plugin and says what to run next', () => {
    expect(scaffold.code, scaffold.stderr).toBe(0)
    expect(readdirSync(folder).sort()).toEqual([
      'README.md',
      'acme-test.test.ts',
      'credentials.ts',
      'evidence.ts',
      'index.ts',
      'map.ts',
      'report.ts',
      'simulator.ts',
    ])
    expect(scaffold.stdout).toContain(`npm run plugin:test -- ${relative(ROOT, folder)}`)
    for (const file of readdirSync(folder)) {
      expect(readFileSync(join(folder, file), 'utf8'), `${file} has no placeholder left`).not.toMatch(
        /\{\{\w+\}\}/,
      )
    }
  })

  it('given the scaffolded folder, when loaded through the plugin loader, then its manifest, form and simulator are complete', async () => {
    const platform = await loadPlugin(folder)
    expect(platform.definition.id).toBe('acme-test')
    expect(platform.typeName).toBe('AcmeTest')
    expect(platform.fieldNames).toEqual(['baseUrl', 'apiKey'])
    expect(platform.secretFields).toEqual(['apiKey'])
    expect([...platform.definition.simulator.faults].sort()).toEqual([...FAULT_NAMES].sort())
  })

  it('given the scaffolded folder outside plugins/, when its imports are read, then it reaches the SDK only as affgraph/sdk', () => {
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = readFileSync(join(folder, file), 'utf8')
      for (const [, spec] of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        expect(spec === 'affgraph/sdk' || /^\.\/[\w.-]+$/.test(spec!), `${file}: ${spec}`).toBe(true)
      }
    }
  })

  it('given the scaffolded folder, when typechecked with the project compiler options, then tsc reports nothing', async () => {
    // The project's tsconfig includes neither test-output/ nor temp dirs; this one borrows its options and paths.
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: relative(dir, join(ROOT, 'tsconfig.json')), include: ['acme-test'] }),
    )
    const tsc = await run(join(BIN, 'tsc'), ['--noEmit', '-p', join(dir, 'tsconfig.json')])
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0)
  })

  it('given the scaffolded folder, when linted with the project rules, then biome reports nothing', async () => {
    // biome.json excludes test-output/ and refuses nested root configs, so the copy is linted outside the repo.
    const lintDir = mkdtempSync(join(tmpdir(), 'affgraph-lint-'))
    try {
      const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>
      delete config.$schema
      config.files = { includes: ['**'] }
      writeFileSync(join(lintDir, 'biome.json'), JSON.stringify(config))
      cpSync(folder, join(lintDir, 'acme-test'), { recursive: true })
      const lint = await run(join(BIN, 'biome'), ['lint', '--error-on-warnings', 'acme-test'], lintDir)
      expect(lint.code, lint.stdout + lint.stderr).toBe(0)
    } finally {
      rmSync(lintDir, { recursive: true, force: true })
    }
  })

  it('given the scaffolded folder, when plugin:test runs on it, then the whole contract suite and its own tests pass', async () => {
    const result = await script('plugin-test', folder)
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain('scripts/plugin-test-suite.ts')
    expect(result.stdout).toContain('acme-test.test.ts')
    // The simulator reproduces every fault, so no contract case may be skipped but the four payments cases of a
    // plugin that declares no payments capability.
    expect(result.stdout).toMatch(/Tests\s+\d+ passed( \| 4 skipped)? \(\d+\)/)
    expect(result.stdout).not.toMatch(/\bfailed\b/)
  }, 90_000)

  it('given ids that are not kebab-case or are taken, when plugin:new runs, then it exits 2 naming the problem and writes nothing', async () => {
    const bundledBefore = readdirSync(BUNDLED_PLUGIN_DIR).sort()
    const dirBefore = readdirSync(dir).sort()
    const cases: [string[], RegExp][] = [
      [[], /missing plugin id/],
      [['Acme'], /"Acme".*upper-case/],
      [['acme_test', '--dir', dir], /"acme_test".*characters other than/],
      [['1acme', '--dir', dir], /"1acme".*start with a letter/],
      [['acme--test', '--dir', dir], /"acme--test".*empty word/],
      [['softswiss'], /plugins\/softswiss already exists/],
      [['acme-test', '--dir', dir], /acme-test already exists/],
      [['softswiss', '--dir', dir], /"softswiss" is already used by a bundled plugin/],
      [['soft-swiss', '--dir', dir], /GraphQL name "SoftSwiss" is already used/],
    ]
    const results = await Promise.all(cases.map(([args]) => script('plugin-new', ...args)))
    for (const [i, [args, message]] of cases.entries()) {
      expect(results[i]!.code, args.join(' ')).toBe(2)
      expect(results[i]!.stderr, args.join(' ')).toMatch(message)
    }
    expect(readdirSync(BUNDLED_PLUGIN_DIR).sort()).toEqual(bundledBefore)
    expect(readdirSync(dir).sort()).toEqual(dirBefore)
  }, 60_000)

  it('given an unknown id or a folder that is not a plugin, when plugin:test runs, then it exits 2 naming it', async () => {
    const [unknown, notPlugin] = await Promise.all([
      script('plugin-test', 'no-such-plugin'),
      script('plugin-test', dir),
    ])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no bundled plugin "no-such-plugin"/)
    expect(notPlugin.code).toBe(2)
    expect(notPlugin.stderr).toMatch(/has no index\.ts/)
  })

  it('given a bundled id, when plugin:test runs, then its contract suite and its own tests pass', async () => {
    // ClickBank is the quickest bundled suite (about 18 s); the others spend longer waiting on their rate limits.
    const result = await script('plugin-test', 'clickbank')
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain('scripts/plugin-test-suite.ts')
    expect(result.stdout).toContain('plugins/clickbank/clickbank.test.ts')
  }, 120_000)
})
