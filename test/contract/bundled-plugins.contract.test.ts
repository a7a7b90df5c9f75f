import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { vi } from 'vitest'
import { BUNDLED_PLUGIN_DIR } from '../../src/platform/plugin-loader.ts'
import { defineContractSuite } from './contract-suite.ts'

// Every bundled plugin inherits the whole suite; AFFGRAPH_CONTRACT_PLUGIN narrows the run to one plugin.
const only = process.env.AFFGRAPH_CONTRACT_PLUGIN
const folders = readdirSync(BUNDLED_PLUGIN_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_'))
  .filter((e) => !only || e.name === only)
  .map((e) => join(BUNDLED_PLUGIN_DIR, e.name))

// The plugins' suites run side by side (each its own tests in order): they mostly wait on simulated networks and
// rate limits, so the file takes about as long as its slowest plugin rather than the sum of all of them.
vi.setConfig({ maxConcurrency: Math.max(folders.length, 1) })
for (const folder of folders) defineContractSuite(folder, { concurrent: true })
