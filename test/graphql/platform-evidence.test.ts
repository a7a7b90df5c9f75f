import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { platformMaturity } from '../../src/sdk/index.ts'
import { FIXTURE_PLUGINS } from '../server/support/affgraph-process.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { ok } from './graphql-helpers.ts'

const EVIDENCE_PLUGINS = resolve(import.meta.dirname, '../fixtures/plugins/evidence')

interface PlatformView {
  id: string
  maturity: string
  evidence: {
    id: string
    topic: string
    fact: string
    confidence: string
    sources: { title: string; url: string | null }[]
  }[]
}

describe('maturity and evidence of the platforms', () => {
  let t: TestApp

  beforeAll(async () => {
    t = await createTestApp({ pluginDirs: [EVIDENCE_PLUGINS, join(FIXTURE_PLUGINS, 'valid')] })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const platforms = async () =>
    (
      await ok<{ platforms: PlatformView[] }>(
        t,
        undefined,
        '{ platforms { id maturity evidence { id topic fact confidence sources { title url } } } }',
      )
    ).platforms

  it('given plugins declaring vendor samples, third-party clients or only assumptions, when `platforms` is asked without a token, then each has the maturity its evidence gives and every fact with its sources', async () => {
    const byId = new Map((await platforms()).map((p) => [p.id, p]))
    expect(byId.get('acme-verified')?.maturity).toBe('VERIFIED')
    expect(byId.get('acme-documented')?.maturity).toBe('DOCUMENTED')
    // Evidence is required in a manifest: a plugin that knows nothing public declares its facts as assumed.
    expect(byId.get('acme-partners')).toMatchObject({
      maturity: 'ASSUMED',
      evidence: [expect.objectContaining({ confidence: 'ASSUMED', sources: [] })],
    })
    expect(byId.get('acme-verified')?.evidence).toEqual([
      expect.objectContaining({
        id: 'stats-endpoint',
        topic: 'ENDPOINT',
        confidence: 'VENDOR',
        sources: [
          {
            title: 'Acme Partners API reference, "Statistics"',
            url: 'https://partners.acme.example/docs/api',
          },
        ],
      }),
      expect.objectContaining({
        id: 'api-key-header',
        topic: 'AUTH',
        confidence: 'VENDOR_COPY',
        sources: [{ title: 'Acme Partners API reference, copied in a public repository', url: null }],
      }),
      expect.objectContaining({ id: 'stats-fields', topic: 'FIELDS', confidence: 'VENDOR' }),
      {
        id: 'request-rate',
        topic: 'LIMITS',
        fact: 'Twenty requests a second per host are accepted.',
        confidence: 'ASSUMED',
        sources: [],
      },
    ])
    expect(byId.get('acme-documented')?.evidence.map((f) => f.confidence)).toEqual([
      'CODE',
      'CODE_LIVE',
      'CODE',
    ])
  })

  it('given the bundled plugins, when `platforms` is asked, then each maturity is the one its declared evidence gives (ASSUMED without any)', async () => {
    const views = await platforms()
    const bundled = t.registry.all().filter((p) => !p.definition.id.startsWith('acme-'))
    // Every folder under plugins/ is a bundled platform; none may be missing from the registry.
    expect(bundled.map((p) => p.definition.id).sort()).toEqual(
      readdirSync(new URL('../../plugins/', import.meta.url)).sort(),
    )
    for (const platform of bundled) {
      const view = views.find((v) => v.id === platform.definition.id)
      expect(view?.maturity, platform.definition.id).toBe(
        platformMaturity(platform.definition.evidence ?? []).toUpperCase(),
      )
      expect(view?.evidence.length).toBe(platform.definition.evidence?.length ?? 0)
    }
  })

  it('given introspection, when the maturity levels are read, then each says in plain words what a user can expect', async () => {
    const { token } = await t.workspace('evidence')
    const data = await ok<{ __type: { enumValues: { name: string; description: string }[] } }>(
      t,
      token,
      '{ __type(name: "PlatformMaturity") { enumValues { name description } } }',
    )
    const text = Object.fromEntries(data.__type.enumValues.map((v) => [v.name, v.description]))
    expect(Object.keys(text).sort()).toEqual(['ASSUMED', 'DOCUMENTED', 'VERIFIED'])
    expect(text.VERIFIED).toMatch(/^Built from the vendor's samples/)
    expect(text.DOCUMENTED).toMatch(/^Documented, not yet confirmed on a live account/)
    expect(text.ASSUMED).toMatch(/Please report problems with a capture\.$/)
  })
})
