import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { renderBundledSchema, SCHEMA_FILE } from '../../src/cli/schema.cli.ts'

describe('schema.graphql', () => {
  it('given the bundled plugins, when the schema is rendered, then it is identical to the committed schema.graphql', async () => {
    const rendered = await renderBundledSchema()
    const committed = await readFile(SCHEMA_FILE, 'utf8')
    // Guards against comparing two empty or truncated texts.
    expect(rendered).toContain('input SoftSwissConnectionInput {')
    expect(rendered).toMatch(/^input ConnectionInput @oneOf \{$/m)
    expect(committed.length).toBeGreaterThan(1000)
    expect(committed, 'schema.graphql is stale: run `npm run schema:print` and commit the result').toBe(
      rendered,
    )
  })
})
