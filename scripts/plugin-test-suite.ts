/**
 * The contract suite for the one plugin folder `npm run plugin:test` names. Not a `*.test.ts` file: only
 * `scripts/plugin-test-config.ts` includes it, so the regular test run never meets it without a folder.
 */
import { defineContractSuite } from '../test/contract/contract-suite.ts'

const folder = process.env.AFFGRAPH_PLUGIN_TEST_FOLDER
if (!folder) throw new Error('AFFGRAPH_PLUGIN_TEST_FOLDER is not set: run `npm run plugin:test -- <id|path>`')
defineContractSuite(folder)
