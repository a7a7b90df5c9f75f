// Runs a TypeScript entry point of affgraph: `node scripts/run-ts.mjs src/main.ts [args…]`.
//
// Node 22.18+ and 24 strip types themselves (`process.features.typescript`), so nothing is transpiled at start;
// on older Node versions (20) tsx's loader is registered in this same process instead. Either way there is one
// process, and the entry sees its own arguments in process.argv as if it had been started directly.
import module from 'node:module'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { registerStrippedSourceCache } from './stripped-source-cache.mjs'

const [entry] = process.argv.splice(2, 1)
if (!entry) {
  process.stderr.write('usage: node scripts/run-ts.mjs <entry.ts> [arguments]\n')
  process.exit(2)
}
const path = resolve(entry)
process.argv[1] = path

// V8's compiled code for the two thousand modules a server loads, kept between starts (Node checks each entry
// against the source it was made from).
module.enableCompileCache?.(resolve(import.meta.dirname, '../node_modules/.cache/affgraph/compile'))

if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api')
  register()
} else {
  // Node strips the types of every .ts file on every start, in a WebAssembly parser that it loads first: a few
  // hundred milliseconds of each start. The stripped text is kept instead (filled by `npm install`, see prepare.ts).
  registerStrippedSourceCache()
}

await import(pathToFileURL(path).href)
