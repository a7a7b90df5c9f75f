/**
 * The contract suite and the replays for the one plugin folder `npm run plugin:test` names. Not a `*.test.ts` file: only
 * `scripts/plugin-test-config.ts` includes it, so the regular test run never meets it without a folder.
 */
import { defineContractSuite } from '../test/contract/contract-suite.ts'
import { defineReplayTests } from '../test/support/replay.ts'

const folder = process.env.AFFGRAPH_PLUGIN_TEST_FOLDER
if (!folder) throw new Error('AFFGRAPH_PLUGIN_TEST_FOLDER is not set: run `npm run plugin:test -- <id|path>`')
defineContractSuite(folder)
// The plugin's `replays/*.capture.json`, each against the `.expected.json` beside it.
defineReplayTests(folder)
