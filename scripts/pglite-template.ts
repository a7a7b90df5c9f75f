/**
 * `npm install` runs this (the `prepare` script): it makes the migrated, empty embedded database that a first
 * `npm start` copies (src/db/pglite-template.ts). A failure only costs the first start its speed, so it warns.
 */
import { buildPgliteTemplate, PGLITE_TEMPLATE_DIR } from '../src/db/pglite-template.ts'

const started = performance.now()
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
