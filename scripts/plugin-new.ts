/**
 * `npm run plugin:new -- <id> [--dir <folder>] [--name <display name>]`
 *
 * Scaffolds a platform plugin for a placeholder JSON API (API key header, per-program base URL) from the templates
 * in `scripts/plugin-template/`. The result loads, typechecks, lints clean and passes the contract suite against
 * its own simulator, so an author starts from green and changes one fact at a time.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { graphqlStem } from '../src/platform/platform-registry.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugins } from '../src/platform/plugin-loader.ts'
import { platformManifestSchema } from '../src/sdk/index.ts'

const TEMPLATE_DIR = resolve(import.meta.dirname, 'plugin-template')
const USAGE = 'usage: npm run plugin:new -- <id> [--dir <folder>] [--name <display name>]'
// `npm run` starts scripts in the package root; INIT_CWD is where the user typed the command.
const CWD = process.env.INIT_CWD ?? process.cwd()

/** Refused input: the message names the problem, and the exit code tells scripts it was the input, not a crash. */
class UsageError extends Error {}

interface ScaffoldOptions {
  id: string
  /** Directory the plugin folder is created in; default the bundled `plugins/`. */
  dir?: string
  /** Display name; default the id's words capitalised ("acme-test" → "Acme Test"). */
  name?: string
}

interface ScaffoldResult {
  folder: string
  files: string[]
}

/** What is wrong with an id, in words a user can act on; undefined when the loader will accept it. */
function idProblem(id: string): string | undefined {
  // The loader's own rule decides, so an id accepted here is never refused at start-up.
  if (platformManifestSchema.shape.id.safeParse(id).success) return undefined
  if (/[A-Z]/.test(id)) return 'has upper-case letters'
  if (/[^a-z0-9-]/.test(id)) return 'has characters other than a-z, 0-9 and "-"'
  if (!/^[a-z]/.test(id)) return 'does not start with a letter'
  return 'has an empty word (a leading, trailing or doubled "-")'
}

function validateId(id: string | undefined): string {
  if (!id) throw new UsageError(`missing plugin id\n${USAGE}`)
  const problem = idProblem(id)
  if (problem) {
    throw new UsageError(
      `invalid plugin id "${id}": it ${problem}; ids are kebab-case, e.g. "income-access", and name the folder`,
    )
  }
  return id
}

function validateName(name: string): string {
  // The name lands in string literals of the generated code; quotes or backslashes would break them.
  if (!/^[A-Za-z0-9][A-Za-z0-9 .&()+-]{0,79}$/.test(name)) {
    throw new UsageError(
      `invalid --name "${name}": use letters, digits, spaces and . & ( ) + - (at most 80 characters)`,
    )
  }
  return name
}

const titleCase = (id: string) =>
  id
    .split('-')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(' ')

/**
 * A second plugin with the same id or GraphQL name stops the server at start-up; catching it here saves a
 * confusing first run. The bundled plugins are loaded through the real loader so the names are the real ones.
 */
async function assertNoClash(id: string, typeName: string, target: string): Promise<void> {
  let bundled: { id: string; typeName: string }[]
  try {
    const registry = await loadPlugins([BUNDLED_PLUGIN_DIR])
    bundled = registry.all().map((p) => ({ id: p.definition.id, typeName: p.typeName }))
  } catch (error) {
    // A bundled plugin being edited must not block scaffolding; the server will report any clash itself.
    process.stderr.write(`note: bundled plugins not checked for clashes (${(error as Error).message})\n`)
    return
  }
  const sameId = bundled.find((p) => p.id === id)
  if (sameId && target !== BUNDLED_PLUGIN_DIR) {
    throw new UsageError(`plugin id "${id}" is already used by a bundled plugin; ids must be unique`)
  }
  const sameType = bundled.find((p) => p.typeName === typeName)
  if (sameType) {
    throw new UsageError(
      `GraphQL name "${typeName}" is already used by the bundled plugin "${sameType.id}"; choose another --name`,
    )
  }
}

function render(template: string, values: Record<string, string>, file: string): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key]
    if (value === undefined) throw new Error(`template ${file} uses an unknown placeholder {{${key}}}`)
    return value
  })
}

async function scaffoldPlugin(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const id = validateId(options.id)
  const target = options.dir === undefined ? BUNDLED_PLUGIN_DIR : resolve(CWD, options.dir)
  const folder = join(target, id)
  if (existsSync(folder)) throw new UsageError(`${folder} already exists; choose another id or --dir`)
  const name = validateName(options.name ?? titleCase(id))
  const typeName = graphqlStem({ id, name })
  await assertNoClash(id, typeName, target)

  const values = {
    id,
    name,
    typeName,
    // Every plugin, bundled or not, imports the SDK by name.
    sdk: 'affgraph/sdk',
  }
  const templates = readdirSync(TEMPLATE_DIR)
    .filter((f) => f.endsWith('.tpl'))
    .sort()
  const outputs = templates.map((file) => {
    const out = file.replace(/\.tpl$/, '').replace(/^plugin\.test\.ts$/, `${id}.test.ts`)
    return { out, text: render(readFileSync(join(TEMPLATE_DIR, file), 'utf8'), values, file) }
  })

  mkdirSync(target, { recursive: true })
  mkdirSync(folder)
  try {
    for (const { out, text } of outputs) writeFileSync(join(folder, out), text, { flag: 'wx' })
  } catch (error) {
    // A half-written plugin would fail at start-up with a less helpful message than this one.
    rmSync(folder, { recursive: true, force: true })
    throw error
  }
  return { folder, files: outputs.map((o) => o.out) }
}

const CLI_OPTIONS = {
  dir: { type: 'string' },
  name: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

function parseCli(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: CLI_OPTIONS, allowPositionals: true })
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`)
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv)
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (positionals.length > 1) {
    throw new UsageError(`expected one plugin id, got ${positionals.length}\n${USAGE}`)
  }
  const id = positionals[0] ?? ''
  const { folder, files } = await scaffoldPlugin({ id, dir: values.dir, name: values.name })
  const shown = relative(CWD, folder) || folder
  const parent = resolve(folder, '..')
  const external = parent !== BUNDLED_PLUGIN_DIR
  const next = [`  npm run plugin:test -- ${external ? shown : id}`]
  if (external) next.push(`  AFFGRAPH_PLUGIN_DIRS=${relative(CWD, parent) || '.'} npm start`)
  next.push(
    `  then replace the placeholder API: see ${shown}/README.md ("Before publishing") and docs/plugins.md`,
  )
  process.stdout.write(
    [`created ${shown}/`, ...files.map((f) => `  ${f}`), '', 'next:', ...next, ''].join('\n'),
  )
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`plugin:new: ${error.message}\n`)
      process.exit(2)
    }
    process.stderr.write(`plugin:new: ${(error as Error).stack ?? String(error)}\n`)
    process.exit(1)
  },
)
