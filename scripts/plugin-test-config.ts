import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'
import base from '../vitest.config.ts'

const folder = process.env.AFFGRAPH_PLUGIN_TEST_FOLDER
if (!folder) throw new Error('AFFGRAPH_PLUGIN_TEST_FOLDER is not set: run `npm run plugin:test -- <id|path>`')

/** A folder as a literal glob prefix: a parent named "plugins (old)" must not read as a pattern. */
const asGlob = (path: string) => path.replaceAll('\\', '/').replace(/[()[\]{}*?!+@]/g, '\\$&')

// The project's config (graphql realm, `affgraph/sdk` alias, timeouts, pool) with only the test files replaced:
// mergeConfig would append to `include` and run the whole suite.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    root: resolve(import.meta.dirname, '..'),
    include: ['scripts/plugin-test-suite.ts', `${asGlob(folder)}/**/*.test.ts`],
  },
})
