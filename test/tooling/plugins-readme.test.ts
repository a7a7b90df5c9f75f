import { relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BEGIN,
  defaultTargets,
  END,
  refreshed,
  renderEvidenceSection,
  withEvidenceSection,
} from '../../scripts/plugins-readme.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugin } from '../../src/platform/plugin-loader.ts'
import { type EvidenceFact, platformManifestSchema, platformMaturity } from '../../src/sdk/index.ts'

const ROOT = resolve(import.meta.dirname, '../..')

const FACTS: EvidenceFact[] = [
  {
    id: 'endpoint',
    topic: 'endpoint',
    fact: 'GET /report | with a pipe',
    confidence: 'vendor',
    sources: [{ title: 'Vendor docs', url: 'https://vendor.example/docs' }],
  },
  {
    id: 'auth',
    topic: 'auth',
    fact: 'A key in a header.',
    confidence: 'code',
    sources: [{ title: 'A client' }],
  },
  { id: 'body', topic: 'fields', fact: 'The body is guessed.', confidence: 'assumed', sources: [] },
]

describe('plugins:readme', () => {
  it('given every bundled plugin and the plugin:new template, when their READMEs are compared with their evidence declarations, then none is stale', async () => {
    const targets = defaultTargets()
    expect(targets.length).toBeGreaterThanOrEqual(7)
    for (const target of targets) {
      const { stale } = await refreshed(target)
      expect(stale, `${relative(ROOT, target.readme)} is stale: run npm run plugins:readme`).toBe(false)
    }
  })

  it('given a declaration, when rendered, then confirmed and unconfirmed facts are apart, the maturity is derived and table cells are escaped', () => {
    const section = renderEvidenceSection(FACTS)
    expect(section.startsWith(BEGIN) && section.endsWith(END)).toBe(true)
    expect(section).toContain(`Maturity: **${platformMaturity(FACTS)}**`)
    expect(platformMaturity(FACTS)).toBe('assumed')
    const [confirmed, open] = section.split('### Not confirmed')
    expect(confirmed).toContain(
      '| endpoint | GET /report \\| with a pipe | vendor | [Vendor docs](https://vendor.example/docs) |',
    )
    expect(open).toContain('| auth | A key in a header. | code | A client |')
    expect(open).toContain('| fields | The body is guessed. | assumed | — |')
    expect(confirmed).not.toContain('The body is guessed.')
  })

  it('given a README, when its section is replaced, then only the text between the markers changes; without markers it is refused', () => {
    const readme = `# Title\n\nintro\n\n${BEGIN}\nold\n${END}\n\n## After\n`
    const updated = withEvidenceSection(readme, FACTS, 'README.md')
    expect(updated.startsWith('# Title\n\nintro\n\n')).toBe(true)
    expect(updated.endsWith('\n\n## After\n')).toBe(true)
    expect(updated).not.toContain('\nold\n')
    expect(withEvidenceSection(updated, FACTS, 'README.md')).toBe(updated)
    expect(() => withEvidenceSection('# no markers\n', FACTS, 'plugins/x/README.md')).toThrow(
      /plugins\/x\/README.md has no <!-- evidence:begin -->/,
    )
  })

  it('given a manifest without evidence, when validated, then it is refused naming evidence', async () => {
    const { definition } = await loadPlugin(`${BUNDLED_PLUGIN_DIR}/clickbank`)
    const { evidence: _, ...withoutEvidence } = definition
    const result = platformManifestSchema.safeParse(withoutEvidence)
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => i.path[0])).toEqual(['evidence'])
  })
})
