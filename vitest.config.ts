import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const require = createRequire(import.meta.url)

export default defineConfig({
  resolve: {
    // One graphql realm: Pothos, Yoga and the tests must share the same `graphql` module instance.
    alias: [
      { find: /^graphql$/, replacement: require.resolve('graphql') },
      // External plugins import the SDK as `affgraph/sdk`; the plugin loader maps it with a Node resolve hook,
      // which Vite's resolver does not consult, so tests that load such a plugin need the same mapping here.
      { find: /^affgraph\/sdk$/, replacement: fileURLToPath(new URL('./src/sdk/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'plugins/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Every log line of the run is kept under test-output/logs and searched for planted canaries at the end.
    globalSetup: ['./test/support/log-sweep.global.ts'],
    reporters: ['default', './test/support/log-sweep.reporter.ts'],
  },
})
