import { CsvError, parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { AccountImportError, parseImportCsv } from '../../src/account/import-csv.ts'

/** A small seeded generator: the same texts on every run. */
function random(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** Records as csv-parse reads them, blank ones left out as the importer leaves them out. */
function referenceRecords(text: string): string[][] | 'error' {
  try {
    const records = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
    }) as string[][]
    return records.filter((cells) => !cells.every((cell) => cell.trim() === ''))
  } catch (error) {
    if (error instanceof CsvError) return 'error'
    throw error
  }
}

function ourRecords(text: string): string[][] | 'error' {
  try {
    return parseImportCsv(text).map((row) => row.cells)
  } catch (error) {
    if (error instanceof AccountImportError) return 'error'
    throw error
  }
}

describe('import CSV parser', () => {
  it('given 3,000 generated texts with one line-end style each, quoted and bare cells, stray quotes and blank rows, when parsed, then the records and errors are those of csv-parse', () => {
    const next = random(20261203)
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!
    const pieces = ['a', 'bc', ' ', '', ',', '"', '\u00e9', '\t', '=1']
    const compared = { records: 0, errors: 0 }
    for (let n = 0; n < 3000; n++) {
      const eol = pick(['\n', '\r\n', '\r'])
      const broken = next() < 0.15
      const lines: string[] = []
      for (let r = Math.floor(next() * 6); r > 0; r--) {
        const cells: string[] = []
        for (let c = Math.floor(next() * 4); c >= 0; c--) {
          let value = ''
          for (let k = Math.floor(next() * 4); k > 0; k--) value += pick([...pieces, '\n', '\r\n', '"'])
          const quoted = next() < 0.4 || /[",\r\n]/.test(value)
          cells.push(quoted ? `"${value.replaceAll('"', '""')}"` : value)
        }
        lines.push(cells.join(','))
      }
      let text = (next() < 0.2 ? '\ufeff' : '') + lines.join(eol) + (next() < 0.5 ? eol : '')
      if (broken) {
        const at = Math.floor(next() * (text.length + 1))
        text = `${text.slice(0, at)}"${text.slice(at)}`
      }
      // csv-parse takes the first line end it meets for the whole text; ours takes all three. Compare where they agree.
      const ends = text.replace(/"(?:[^"]|"")*"/g, '').match(/\r\n|\r|\n/g) ?? []
      if (new Set(ends).size > 1) continue
      const expected = referenceRecords(text)
      expect(ourRecords(text), JSON.stringify(text)).toEqual(expected)
      if (expected === 'error') compared.errors++
      else compared.records++
    }
    // Enough of both kinds were compared for the agreement to mean something.
    expect(compared.records).toBeGreaterThan(1000)
    expect(compared.errors).toBeGreaterThan(100)
  })

  it('given CR, LF and CRLF line ends, blank lines and quoted line breaks, when parsed, then each row starts on the line an editor shows', () => {
    const rows = parseImportCsv('\ufeffa,"b\r\nc""d",\r\r\n ,\n,x\rlast')
    expect(rows.map((r) => [r.line, r.cells])).toEqual([
      [1, ['a', 'b\r\nc"d', '']],
      [5, ['', 'x']],
      [6, ['last']],
    ])
  })

  it('given a record of a million cells, when parsed, then only the cells a header could name are kept and its width is counted', () => {
    const [row] = parseImportCsv(`a${',x'.repeat(1_000_000)}`)
    expect(row?.width).toBe(1_000_001)
    expect(row?.cells.length).toBeLessThanOrEqual(65)
    expect(row?.overflow).toBe(true)
    const [blankTail] = parseImportCsv(`a${','.repeat(1_000_000)}`)
    expect(blankTail?.overflow).toBe(false)
  })
})
