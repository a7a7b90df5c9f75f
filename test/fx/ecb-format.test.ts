import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { strToU8, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import {
  FxFormatError,
  groupRatesByDay,
  parseEcbCsv,
  parseEcbFile,
  parseEcbXml,
  parseEcbZip,
  SIMULATED_CSV_MARKER,
  SIMULATED_SENDER_NAME,
  serializeEcbCsv,
  serializeEcbXml,
  zipEcbCsv,
} from '../../src/fx/ecb-format.ts'

const FIXTURES = join(import.meta.dirname, 'fixtures')
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8')

const ENVELOPE_HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
\t<gesmes:subject>Reference rates</gesmes:subject>
\t<gesmes:Sender>
\t\t<gesmes:name>European Central Bank</gesmes:name>
\t</gesmes:Sender>
`

/** A real-shaped envelope around the given day cubes. */
function envelope(cubes: string): string {
  return `${ENVELOPE_HEAD}\t<Cube>\n${cubes}\n\t</Cube>\n</gesmes:Envelope>\n`
}

function expectFormatError(run: () => unknown, message: RegExp): void {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(FxFormatError)
  expect((caught as FxFormatError).code).toBe('FX_FORMAT_INVALID')
  expect((caught as FxFormatError).message).toMatch(message)
}

describe('ECB XML files', () => {
  it('given the daily file, when parsed, then every rate keeps its exact decimal text and the source is ECB', async () => {
    const parsed = parseEcbXml(await fixture('eurofxref-daily.xml'))
    expect(parsed.source).toBe('ECB')
    expect(parsed.format).toBe('xml')
    expect(parsed.rates).toEqual([
      { day: '2024-03-08', currency: 'CAD', rate: '1.4725' },
      { day: '2024-03-08', currency: 'GBP', rate: '0.85123' },
      { day: '2024-03-08', currency: 'IDR', rate: '17012.34' },
      { day: '2024-03-08', currency: 'JPY', rate: '160.12' },
      { day: '2024-03-08', currency: 'USD', rate: '1.0900' },
    ])
  })

  it('given the 90-day file with several days newest first, when parsed, then rows come sorted by day and currency', async () => {
    const parsed = parseEcbXml(await fixture('eurofxref-hist-90d.xml'))
    expect(parsed.rates.map((r) => `${r.day} ${r.currency} ${r.rate}`)).toEqual([
      '2024-03-07 GBP 0.8505',
      '2024-03-07 USD 1.0875',
      '2024-03-08 GBP 0.8512',
      '2024-03-08 USD 1.0900',
      '2024-03-11 GBP 0.8520',
      '2024-03-11 USD 1.0925',
    ])
  })

  it('given the simulator sender name, when parsed, then the rows are labelled ECB-SIMULATED', () => {
    const xml = envelope(
      "\t\t<Cube time='2024-03-08'>\n\t\t\t<Cube currency='USD' rate='1.0900'/>\n\t\t</Cube>",
    ).replace('European Central Bank', SIMULATED_SENDER_NAME)
    expect(parseEcbXml(xml).source).toBe('ECB-SIMULATED')
  })

  it('given rates serialised by the writer, when parsed back, then they are identical and the text has the real shape', () => {
    const days = [
      { day: '2024-03-11', rates: [{ currency: 'USD', rate: '1.0925' }] },
      {
        day: '2024-03-08',
        rates: [
          { currency: 'USD', rate: '1.0900' },
          { currency: 'JPY', rate: '160.12' },
        ],
      },
    ]
    const xml = serializeEcbXml(days)
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<gesmes:Envelope')).toBe(true)
    expect(xml).toContain(
      "\t\t<Cube time='2024-03-11'>\n\t\t\t<Cube currency='USD' rate='1.0925'/>\n\t\t</Cube>",
    )
    expect(xml).toContain('<gesmes:name>European Central Bank</gesmes:name>')
    const parsed = parseEcbXml(xml)
    expect(groupRatesByDay(parsed.rates)).toEqual([
      days[0],
      {
        day: '2024-03-08',
        rates: [
          { currency: 'JPY', rate: '160.12' },
          { currency: 'USD', rate: '1.0900' },
        ],
      },
    ])
  })

  const day = (inner: string) => `\t\t<Cube time='2024-03-08'>\n${inner}\n\t\t</Cube>`
  const malformed: [string, string, RegExp][] = [
    ['text that is not XML', 'Date,USD\n', /not an XML document/],
    [
      'a truncated document',
      envelope(day("\t\t\t<Cube currency='USD' rate='1.09'/>")).slice(0, 300),
      /not well-formed XML/,
    ],
    [
      'another root element',
      '<?xml version="1.0"?><html><body>Maintenance</body></html>',
      /no gesmes:Envelope/,
    ],
    [
      'a foreign default namespace',
      envelope(day("<Cube currency='USD' rate='1.09'/>")).replace(
        'http://www.ecb.int/vocabulary/2002-08-01/eurofxref',
        'urn:other',
      ),
      /default namespace/,
    ],
    [
      'another subject',
      envelope(day("<Cube currency='USD' rate='1.09'/>")).replace('Reference rates', 'Other rates'),
      /subject is "Other rates"/,
    ],
    [
      'an unknown sender',
      envelope(day("<Cube currency='USD' rate='1.09'/>")).replace('European Central Bank', 'Someone Else'),
      /unexpected sender "Someone Else"/,
    ],
    ['no days', envelope(''), /holds no rates/],
    ['a day without rates', envelope(day('')), /Cube of 2024-03-08 holds no rates/],
    [
      'an impossible date',
      envelope(day("<Cube currency='USD' rate='1.09'/>")).replace('2024-03-08', '2024-02-30'),
      /invalid date "2024-02-30"/,
    ],
    ['a day without time', envelope("<Cube><Cube currency='USD' rate='1.09'/></Cube>"), /no time attribute/],
    [
      'a lower-case currency',
      envelope(day("<Cube currency='usd' rate='1.09'/>")),
      /invalid currency code "usd"/,
    ],
    ['EUR quoted against itself', envelope(day("<Cube currency='EUR' rate='1'/>")), /EUR is the base/],
    ['a negative rate', envelope(day("<Cube currency='USD' rate='-1.09'/>")), /invalid rate "-1.09"/],
    ['a zero rate', envelope(day("<Cube currency='USD' rate='0.0000'/>")), /invalid rate "0.0000"/],
    ['an exponent', envelope(day("<Cube currency='USD' rate='1e3'/>")), /invalid rate "1e3"/],
    ['a comma decimal', envelope(day("<Cube currency='USD' rate='1,09'/>")), /invalid rate "1,09"/],
    ['a missing rate', envelope(day("<Cube currency='USD'/>")), /no rate attribute/],
    [
      'a currency twice on one day',
      envelope(day("<Cube currency='USD' rate='1.09'/><Cube currency='USD' rate='1.10'/>")),
      /USD is quoted twice on 2024-03-08/,
    ],
  ]
  for (const [label, text, message] of malformed) {
    it(`given ${label}, when parsed, then an FxFormatError names the problem`, () => {
      expectFormatError(() => parseEcbXml(text), message)
    })
  }
})

describe('ECB CSV and ZIP files', () => {
  it('given eurofxref-hist.csv with N/A, empty cells and the trailing comma, when parsed, then only real rates remain', async () => {
    const parsed = parseEcbCsv(await fixture('eurofxref-hist.csv'))
    expect(parsed.source).toBe('ECB')
    expect(parsed.format).toBe('csv')
    expect(parsed.rates.map((r) => `${r.day} ${r.currency} ${r.rate}`)).toEqual([
      '2022-12-30 GBP 0.88693',
      '2022-12-30 HRK 7.5365',
      '2022-12-30 ISK 151.50',
      '2022-12-30 JPY 140.66',
      '2022-12-30 USD 1.0666',
      '2024-03-07 GBP 0.8505',
      '2024-03-07 JPY 159.80',
      '2024-03-07 USD 1.0875',
      '2024-03-08 GBP 0.85123',
      '2024-03-08 ISK 148.70',
      '2024-03-08 JPY 160.12',
      '2024-03-08 USD 1.0900',
    ])
  })

  it('given the one-day eurofxref.csv with spaces and a long date, when parsed, then the date is ISO and the rates exact', async () => {
    const parsed = parseEcbCsv(await fixture('eurofxref.csv'))
    expect(parsed.rates).toEqual([
      { day: '2024-03-08', currency: 'GBP', rate: '0.85123' },
      { day: '2024-03-08', currency: 'JPY', rate: '160.12' },
      { day: '2024-03-08', currency: 'USD', rate: '1.0900' },
    ])
  })

  it('given the hist zip holding the CSV, when parsed (also by content sniffing), then it equals the CSV itself', async () => {
    const csv = await fixture('eurofxref-hist.csv')
    const zip = zipSync({ 'eurofxref-hist.csv': strToU8(csv) })
    const fromZip = parseEcbZip(zip)
    expect(fromZip.format).toBe('zip')
    expect(fromZip.source).toBe('ECB')
    expect(fromZip.rates).toEqual(parseEcbCsv(csv).rates)
    expect(parseEcbFile(zip).rates).toEqual(fromZip.rates)
    expect(parseEcbFile(strToU8(csv)).format).toBe('csv')
    expect(parseEcbFile(strToU8(await fixture('eurofxref-daily.xml'))).format).toBe('xml')
  })

  it('given the simulator marker in the trailing column or a simulated file name, when parsed, then the source is ECB-SIMULATED', async () => {
    const csv = await fixture('eurofxref-hist.csv')
    const marked = csv.replace('ISK,\n', `ISK,${SIMULATED_CSV_MARKER}\n`)
    expect(parseEcbCsv(marked).source).toBe('ECB-SIMULATED')
    expect(parseEcbCsv(marked).rates).toEqual(parseEcbCsv(csv).rates)
    expect(parseEcbCsv(csv, { fileName: 'eurofxref-hist-simulated.csv' }).source).toBe('ECB-SIMULATED')
    expect(parseEcbZip(zipSync({ 'eurofxref-hist-simulated.csv': strToU8(csv) })).source).toBe(
      'ECB-SIMULATED',
    )
  })

  it('given days written by the CSV writer and zipped, when parsed back, then N/A cells are skipped and the rest is identical', () => {
    const days = [
      { day: '2024-03-08', rates: [{ currency: 'USD', rate: '1.0900' }] },
      {
        day: '2024-03-07',
        rates: [
          { currency: 'USD', rate: '1.0875' },
          { currency: 'GBP', rate: '0.8505' },
        ],
      },
    ]
    const csv = serializeEcbCsv(days, { currencies: ['USD', 'GBP'], simulated: true })
    expect(csv).toBe(
      `Date,USD,GBP,${SIMULATED_CSV_MARKER}\n2024-03-08,1.0900,N/A,\n2024-03-07,1.0875,0.8505,\n`,
    )
    const parsed = parseEcbZip(zipEcbCsv(csv))
    expect(parsed.source).toBe('ECB-SIMULATED')
    expect(parsed.rates).toEqual([
      { day: '2024-03-07', currency: 'GBP', rate: '0.8505' },
      { day: '2024-03-07', currency: 'USD', rate: '1.0875' },
      { day: '2024-03-08', currency: 'USD', rate: '1.0900' },
    ])
  })

  const malformedCsv: [string, string, RegExp][] = [
    ['no Date column', 'Day,USD,\n2024-03-08,1.09,\n', /does not start with a Date column/],
    ['no currency column', 'Date,\n2024-03-08,\n', /names no currency/],
    [
      'a header that is not a currency',
      'Date,USD,Dollar,\n2024-03-08,1.09,1.1,\n',
      /"Dollar" is not a currency code/,
    ],
    ['a currency twice in the header', 'Date,USD,USD,\n2024-03-08,1.09,1.1,\n', /USD appears twice/],
    ['a short line', 'Date,USD,GBP,\n2024-03-08,1.09\n', /line 2: 2 columns/],
    ['an unreadable date', 'Date,USD,\n08/03/2024,1.09,\n', /line 2: invalid date "08\/03\/2024"/],
    ['a rate that is not a number', 'Date,USD,\n2024-03-08,abc,\n', /line 2, USD: invalid rate "abc"/],
    ['a value in the unnamed column', 'Date,USD,\n2024-03-08,1.09,1.2\n', /unnamed trailing column/],
    ['an unbalanced quote', 'Date,USD,\n2024-03-08,"1.09,\n', /not a valid CSV file/],
    ['only a header', 'Date,USD,\n', /holds no rates/],
  ]
  for (const [label, text, message] of malformedCsv) {
    it(`given a CSV with ${label}, when parsed, then an FxFormatError names the problem`, () => {
      expectFormatError(() => parseEcbCsv(text), message)
    })
  }

  it('given bytes that are not a zip, or a zip without a rates file, when parsed, then an FxFormatError says so', () => {
    const notZip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])
    expectFormatError(() => parseEcbFile(notZip), /not a readable zip archive/)
    expectFormatError(
      () => parseEcbZip(zipSync({ 'readme.txt': strToU8('hello') })),
      /expected one CSV or XML file in the zip, found 0/,
    )
    expectFormatError(() => parseEcbFile(new Uint8Array([0xff, 0xfe, 0x00])), /not UTF-8 text/)
  })
})
