/**
 * `npm install` runs this (the `prepare` script), so that a first `npm start` is as quick as any other: it makes the
 * migrated, empty embedded database that a first start copies (src/db/pglite-template.ts), and strips the types of
 * the server's TypeScript files into the cache that scripts/run-ts.mjs reads. A failure only costs the first start
 * its speed, so it warns.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildPgliteTemplate, PGLITE_TEMPLATE_DIR } from '../src/db/pglite-template.ts'
import { strippedSource } from './stripped-source-cache.mjs'

const root = resolve(import.meta.dirname, '..')

async function stripAll(): Promise<number> {
  let count = 0
  for (const dir of ['src', 'plugins', 'migrations']) {
    const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true })
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue
      const path = join(entry.parentPath, entry.name)
      if (path.includes('/node_modules/')) continue
      strippedSource(pathToFileURL(path).href, await readFile(path, 'utf8'))
      count++
    }
  }
  const config = join(root, 'mikro-orm.config.ts')
  strippedSource(pathToFileURL(config).href, await readFile(config, 'utf8'))
  return count + 1
}

let started = performance.now()
try {
  await buildPgliteTemplate()
  process.stdout.write(
    `affgraph: embedded database template ready in ${Math.round(performance.now() - started)} ms (${PGLITE_TEMPLATE_DIR})\n`,
  )
} catch (error) {
  process.stderr.write(
    `affgraph: no embedded database template (${(error as Error).message}); first starts will be slower\n`,
  )
}
if (process.features.typescript) {
  started = performance.now()
  try {
    const count = await stripAll()
    process.stdout.write(
      `affgraph: ${count} TypeScript files stripped in ${Math.round(performance.now() - started)} ms\n`,
    )
  } catch (error) {
    process.stderr.write(`affgraph: TypeScript files not stripped ahead (${(error as Error).message})\n`)
  }
}
