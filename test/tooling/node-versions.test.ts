import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import semver from 'semver'
import { describe, expect, it } from 'vitest'

/**
 * Which Node versions affgraph supports is a fact of its dependencies, not a choice: package.json's `engines`,
 * README's requirements line and the versions CI runs must all sit inside every installed package's own `engines`.
 */
const REPO = resolve(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }
const ours = pkg.engines.node

function installedEngines(): { name: string; range: string }[] {
  const found: { name: string; range: string }[] = []
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue
      if (entry.name.startsWith('@')) {
        visit(join(dir, entry.name))
        continue
      }
      try {
        const p = JSON.parse(readFileSync(join(dir, entry.name, 'package.json'), 'utf8')) as {
          name: string
          engines?: { node?: string }
          os?: string[]
          cpu?: string[]
        }
        // Builds for other platforms are never loaded here; their engines say nothing about ours.
        if (p.os && !p.os.includes(process.platform)) continue
        if (p.engines?.node && semver.validRange(p.engines.node))
          found.push({ name: p.name, range: p.engines.node })
      } catch {
        // not a package
      }
    }
  }
  visit(join(REPO, 'node_modules'))
  return found
}

const ciVersions = () => {
  const run = readFileSync(join(REPO, '.ci/run'), 'utf8')
  return [...run.matchAll(/^NODE\d+_VERSION=(\d+\.\d+\.\d+)$/gm)].map((m) => m[1]!)
}

describe('supported Node versions', () => {
  it('given every installed dependency, when its engines are compared with ours, then each version we accept is one it accepts', () => {
    const engines = installedEngines()
    expect(engines.length).toBeGreaterThan(20)
    // The lowest version of each major line we accept must satisfy everyone.
    for (const major of [22, 24]) {
      const lowest = semver.minVersion(
        semver.validRange(`${ours} >=${major}.0.0 <${major + 1}.0.0`) ?? '',
      )?.version
      expect(lowest, `engines accept Node ${major}`).toBeDefined()
      const refusing = engines
        .filter((e) => !semver.satisfies(lowest!, e.range))
        .map((e) => `${e.name} ${e.range}`)
      expect(refusing, `Node ${lowest}`).toEqual([])
    }
    // Versions we refuse are refused by a dependency too: engines is not narrower than it must be.
    const below = semver.minVersion(ours)!
    const previous = `${below.major}.${below.minor - 1}.0`
    expect(
      engines.some((e) => !semver.satisfies(previous, e.range)),
      `some dependency needs more than Node ${previous}`,
    ).toBe(true)
  })

  it('given CI and the README, when compared with engines, then CI tests two LTS lines within engines and the README names the same floor', () => {
    const versions = ciVersions()
    expect(versions.map((v) => semver.major(v)).sort()).toEqual([22, 24])
    for (const v of versions) expect(semver.satisfies(v, ours), v).toBe(true)
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
    const requirements = /^Requirements: (.*)$/m.exec(readme)?.[1] ?? ''
    expect(requirements).toContain(`Node.js ${semver.minVersion(ours)!.version}`)
    expect(requirements).toMatch(/\b24\b/)
  })
})
