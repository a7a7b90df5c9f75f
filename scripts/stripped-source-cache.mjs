// The stripped text of affgraph's .ts files, kept between starts (see run-ts.mjs).
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import module from 'node:module'
import { join, resolve } from 'node:path'

/** One directory per Node version: a newer Node may strip differently. */
export const STRIPPED_SOURCE_DIR = resolve(
  import.meta.dirname,
  '../node_modules/.cache/affgraph/stripped',
  process.version,
)

let quiet = false
function strip(source) {
  if (quiet) return module.stripTypeScriptTypes(source)
  // The API that Node's own loader uses without a notice announces itself as experimental once per process; a
  // user starting the server can do nothing about that notice.
  const emitWarning = process.emitWarning
  process.emitWarning = () => undefined
  try {
    return module.stripTypeScriptTypes(source)
  } finally {
    process.emitWarning = emitWarning
    quiet = true
  }
}

/**
 * The module text of a .ts file at `url` whose source is `source`: read from the cache when it was made from this
 * very source (its hash is the entry's first line), else stripped and stored. Stripping blanks the types out, so
 * lines and columns, and with them stack traces, are those of the source.
 */
export function strippedSource(url, source, dir = STRIPPED_SOURCE_DIR) {
  const hash = createHash('sha256').update(source).digest('hex')
  const file = join(dir, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.js`)
  let cached = null
  try {
    cached = readFileSync(file, 'utf8')
  } catch {
    // not stripped yet
  }
  if (cached && cached.indexOf('\n') === hash.length && cached.startsWith(hash)) {
    return cached.slice(hash.length + 1)
  }
  const stripped = strip(source)
  try {
    mkdirSync(dir, { recursive: true })
    const temporary = `${file}.${process.pid}`
    writeFileSync(temporary, `${hash}\n${stripped}`)
    renameSync(temporary, file)
  } catch {
    // A read-only install still starts; it strips again next time.
  }
  return stripped
}

/** Serves every ES module written in TypeScript from the cache (Node ≥ 22.18 and 24, which strip types). */
export function registerStrippedSourceCache() {
  if (!module.registerHooks || !module.stripTypeScriptTypes) return false
  module.registerHooks({
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context)
      if (loaded.format !== 'module-typescript' || loaded.source == null) return loaded
      return { format: 'module', source: strippedSource(url, String(loaded.source)), shortCircuit: true }
    },
  })
  return true
}
