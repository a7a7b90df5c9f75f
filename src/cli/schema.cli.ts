import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { BUNDLED_PLUGIN_DIR, loadPlugins } from '../platform/plugin-loader.ts'
import { buildSchema, printSortedSchema } from '../schema/schema.ts'

/** `schema.graphql` is built from the bundled plugins only, so it does not depend on a machine's extra plugin dirs. */
export async function renderBundledSchema(): Promise<string> {
  return printSortedSchema(buildSchema(await loadPlugins([BUNDLED_PLUGIN_DIR])))
}

export const SCHEMA_FILE = resolve(import.meta.dirname, '../../schema.graphql')

async function main(mode: string | undefined): Promise<number> {
  const rendered = await renderBundledSchema()
  if (mode === 'write') {
    await writeFile(SCHEMA_FILE, rendered)
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`)
    return 0
  }
  const current = await readFile(SCHEMA_FILE, 'utf8').catch(() => '')
  if (current === rendered) return 0
  process.stderr.write('schema.graphql is stale: run `npm run schema:print` and commit the result\n')
  return 1
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv[2]).then((code) => process.exit(code))
}
