import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { BUNDLED_PLUGIN_DIR } from '../../src/platform/plugin-loader.ts'
import { defineReplayTests } from '../support/replay.ts'

// Every bundled plugin's `replays/*.capture.json` (published samples, users' captures) replayed through the runner.
for (const entry of readdirSync(BUNDLED_PLUGIN_DIR, { withFileTypes: true })) {
  if (entry.isDirectory()) defineReplayTests(join(BUNDLED_PLUGIN_DIR, entry.name))
}
