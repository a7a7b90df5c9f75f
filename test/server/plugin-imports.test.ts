import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUNDLED_PLUGIN_DIR } from '../../src/platform/plugin-loader.ts'

/**
 * One name for the SDK inside this repository and out: the plugin loader's resolve hook maps it at run time, tsconfig
 * `paths` for tsc and tsx, the vitest alias for tests.
 */
const SDK = 'affgraph/sdk'

describe('bundled plugins import only the SDK', () => {
  const plugins = readdirSync(BUNDLED_PLUGIN_DIR, { withFileTypes: true }).filter((e) => e.isDirectory())

  it('given every source file of every bundled plugin, when its imports are read, then each is the SDK, a file of its own folder or a Node built-in', () => {
    const offending: string[] = []
    let files = 0
    for (const plugin of plugins) {
      const folder = join(BUNDLED_PLUGIN_DIR, plugin.name)
      for (const file of readdirSync(folder)) {
        if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue
        files++
        const text = readFileSync(join(folder, file), 'utf8')
        for (const [, spec] of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
          const ok = spec === SDK || /^\.\/[\w.-]+$/.test(spec!) || spec!.startsWith('node:')
          if (!ok) offending.push(`${plugin.name}/${file}: ${spec}`)
        }
      }
    }
    expect(files).toBeGreaterThan(plugins.length * 4)
    expect(offending).toEqual([])
  })
})
