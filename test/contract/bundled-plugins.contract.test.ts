import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { BUNDLED_PLUGIN_DIR } from '../../src/platform/plugin-loader.ts'
import { defineContractSuite } from './contract-suite.ts'

// Every bundled plugin inherits the whole suite; AFFGRAPH_CONTRACT_PLUGIN narrows the run to one plugin.
const only = process.env.AFFGRAPH_CONTRACT_PLUGIN
for (const entry of readdirSync(BUNDLED_PLUGIN_DIR, { withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name.startsWith('_')) continue
  if (only && entry.name !== only) continue
  defineContractSuite(join(BUNDLED_PLUGIN_DIR, entry.name))
}
