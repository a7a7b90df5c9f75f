import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { strippedSource } from '../../scripts/stripped-source-cache.mjs'
import { makeTempDir } from '../server/support/affgraph-process.ts'

const URL = 'file:///project/src/example.ts'
const SOURCE = 'const answer: number = 42\nexport type Answer = number\nexport { answer }\n'

describe('stripped TypeScript kept between starts', () => {
  let tmp: { path: string; remove: () => Promise<void> }
  beforeAll(async () => {
    tmp = await makeTempDir('stripped')
  })
  afterAll(async () => {
    await tmp?.remove()
  })

  it('given a .ts source, when it is stripped, then the types are blanked out line for line and the text is kept under the hash of its source', async () => {
    const out = strippedSource(URL, SOURCE, tmp.path)
    expect(out).not.toContain('number')
    expect(out.split('\n').map((line) => line.length)).toEqual(SOURCE.split('\n').map((line) => line.length))
    expect(out).toMatch(/^const answer\s+= 42\n/)
    const [file] = await readdir(tmp.path)
    const stored = await readFile(join(tmp.path, file ?? ''), 'utf8')
    expect(stored.slice(stored.indexOf('\n') + 1)).toBe(out)
  })

  it('given a kept entry, when the same source is loaded again, then the kept text is used; when the source changed, then it is stripped again', async () => {
    strippedSource(URL, SOURCE, tmp.path)
    const [file] = await readdir(tmp.path)
    const path = join(tmp.path, file ?? '')
    const stored = await readFile(path, 'utf8')
    // A marker in the kept text shows whether it was read or remade.
    await writeFile(path, `${stored}// kept\n`)
    expect(strippedSource(URL, SOURCE, tmp.path)).toContain('// kept')
    const changed = SOURCE.replace('42', '43')
    const out = strippedSource(URL, changed, tmp.path)
    expect(out).toContain('= 43')
    expect(out).not.toContain('// kept')
    expect(await readdir(tmp.path), 'one entry per file').toHaveLength(1)
  })
})
