import { CsvError, parse as parseCsv } from 'csv-parse/sync'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { strToU8, unzipSync, zipSync } from 'fflate'

/**
 * The ECB's euro reference-rate files (XML envelope, and the CSV inside eurofxref-hist.zip), read and written
 * exactly: rates stay decimal strings from the file to the numeric column, never binary floats.
 */

/** Where stored rates come from. Simulated rates keep their own label so they can never pass for ECB data. */
export type FxSource = 'ECB' | 'ECB-SIMULATED'
export const FX_SOURCES: readonly FxSource[] = ['ECB', 'ECB-SIMULATED']

/** 1 EUR = `rate` units of `currency` on `day`. */
export interface FxRateRow {
  day: string
  currency: string
  rate: string
}

/** One publication day and its rates, in file order. */
export interface FxDay {
  day: string
  rates: { currency: string; rate: string }[]
}

export type FxFileFormat = 'xml' | 'csv' | 'zip'

export interface ParsedFxFile {
  source: FxSource
  format: FxFileFormat
  /** Sorted by day, then currency. */
  rates: FxRateRow[]
}

/** A rates file that is not what it claims to be; the message names the offending part. */
export class FxFormatError extends Error {
  readonly code = 'FX_FORMAT_INVALID' as const
  override readonly name = 'FxFormatError'
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
  }
}

/** The files the ECB publishes, by path under its site (the same paths on the simulator). */
export type EcbFile = 'daily' | 'hist-90d' | 'hist'
export const ECB_FILE_PATHS = {
  daily: '/stats/eurofxref/eurofxref-daily.xml',
  'hist-90d': '/stats/eurofxref/eurofxref-hist-90d.xml',
  hist: '/stats/eurofxref/eurofxref-hist.xml',
  histZip: '/stats/eurofxref/eurofxref-hist.zip',
} as const

export const GESMES_NAMESPACE = 'http://www.gesmes.org/xml/2002-08-01'
export const EUROFXREF_NAMESPACE = 'http://www.ecb.int/vocabulary/2002-08-01/eurofxref'
export const ECB_SENDER_NAME = 'European Central Bank'
export const ECB_SUBJECT = 'Reference rates'
/** Sender name of the local simulator's XML files. */
export const SIMULATED_SENDER_NAME = 'affgraph ECB simulator (simulated rates, not ECB data)'
/**
 * Header of the trailing column of the simulator's CSV. The real file ends every line with a comma, so its last
 * column is unnamed and always empty; naming it keeps the data cells identical while labelling the whole file.
 */
export const SIMULATED_CSV_MARKER = 'SIMULATED-NOT-ECB-DATA'

/** Decompressed size above which a zip is refused: the real eurofxref-hist.csv is a few megabytes. */
const MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

const CURRENCY = /^[A-Z]{3}$/
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/
const RATE = /^(0|[1-9]\d*)(\.\d+)?$/
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
]

export function isValidDay(day: string): boolean {
  if (typeof day !== 'string') return false
  const match = DAY.exec(day)
  if (!match) return false
  const [, y, m, d] = match
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
  // Date.UTC rolls 2024-02-30 over into March; a round trip catches every impossible date.
  return date.toISOString().slice(0, 10) === day && Number(y) >= 1900
}

export function isCurrencyCode(code: string): boolean {
  return typeof code === 'string' && CURRENCY.test(code)
}

/** A positive plain decimal ("1.0705", "160", "0.5") as a string: no sign, exponent or grouping. */
export function isRateString(rate: string): boolean {
  // A number would already have been through a binary float, so only the text of the file is accepted.
  return typeof rate === 'string' && rate.length <= 40 && RATE.test(rate) && /[1-9]/.test(rate)
}

function quoted(value: unknown, max = 40): string {
  const text = String(value)
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text)
}

/** Throws FxFormatError unless the row is a plausible reference rate. `where` locates it in the file. */
export function validateRateRow(row: FxRateRow, where: string): FxRateRow {
  if (!isValidDay(row.day)) throw new FxFormatError(`${where}: invalid date ${quoted(row.day)}`)
  if (!isCurrencyCode(row.currency)) {
    throw new FxFormatError(
      `${where}: invalid currency code ${quoted(row.currency)} (expected 3 capital letters)`,
    )
  }
  if (row.currency === 'EUR')
    throw new FxFormatError(`${where}: EUR is the base currency and cannot be quoted`)
  if (!isRateString(row.rate)) {
    throw new FxFormatError(
      `${where}: invalid rate ${quoted(row.rate)} for ${row.currency} (expected a positive decimal)`,
    )
  }
  return row
}

function sortAndCheckDuplicates(rates: FxRateRow[]): FxRateRow[] {
  rates.sort((a, b) =>
    a.day < b.day ? -1 : a.day > b.day ? 1 : a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0,
  )
  for (let i = 1; i < rates.length; i++) {
    const previous = rates[i - 1]!
    const current = rates[i]!
    if (previous.day === current.day && previous.currency === current.currency) {
      throw new FxFormatError(`${current.currency} is quoted twice on ${current.day}`)
    }
  }
  if (rates.length === 0) throw new FxFormatError('the file holds no rates')
  return rates
}

// ---------------------------------------------------------------------------------------------------------------
// XML
// ---------------------------------------------------------------------------------------------------------------

type XmlNode = Record<string, unknown>

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Values stay strings: a parsed number would already be a float.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'Cube',
})

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The child with this local name, whatever namespace prefix the file uses. */
function childByLocalName(node: XmlNode, localName: string): unknown {
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@_')) continue
    if (key === localName || key.endsWith(`:${localName}`)) return value
  }
  return undefined
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim()
  if (isNode(value) && typeof value['#text'] === 'string') return value['#text'].trim()
  return undefined
}

function attribute(node: XmlNode, name: string): string | undefined {
  const value = node[`@_${name}`]
  return typeof value === 'string' ? value.trim() : undefined
}

function cubes(value: unknown): XmlNode[] {
  if (value === undefined || value === '') return []
  if (!Array.isArray(value)) return []
  return value.map((item) => (isNode(item) ? item : {}))
}

/** Classifies the sender: the ECB itself, the local simulator, or neither (refused). */
function sourceFromSender(name: string | undefined): FxSource {
  if (name === undefined || name === '') throw new FxFormatError('the envelope names no sender')
  if (/simulat/i.test(name)) return 'ECB-SIMULATED'
  if (name === ECB_SENDER_NAME) return 'ECB'
  throw new FxFormatError(`unexpected sender ${quoted(name)} (expected ${quoted(ECB_SENDER_NAME)})`)
}

/** Parses eurofxref-daily.xml, eurofxref-hist-90d.xml or eurofxref-hist.xml (one envelope shape for all). */
export function parseEcbXml(text: string): ParsedFxFile {
  const body = text.replace(/^\uFEFF/, '')
  if (!body.trimStart().startsWith('<')) throw new FxFormatError('not an XML document')
  const valid = XMLValidator.validate(body)
  if (valid !== true) {
    throw new FxFormatError(
      `not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    )
  }
  let document: unknown
  try {
    document = xmlParser.parse(body)
  } catch (error) {
    throw new FxFormatError('the XML could not be parsed', { cause: error })
  }
  const envelope = isNode(document) ? childByLocalName(document, 'Envelope') : undefined
  if (!isNode(envelope)) throw new FxFormatError('no gesmes:Envelope root element')
  const namespaces = Object.entries(envelope)
    .filter(([key]) => key === '@_xmlns' || key.startsWith('@_xmlns:'))
    .map(([, value]) => value)
  if (!namespaces.includes(GESMES_NAMESPACE)) {
    throw new FxFormatError(`the envelope does not declare the gesmes namespace ${GESMES_NAMESPACE}`)
  }
  if (envelope['@_xmlns'] !== EUROFXREF_NAMESPACE) {
    throw new FxFormatError(`the envelope's default namespace is not ${EUROFXREF_NAMESPACE}`)
  }
  const subject = textOf(childByLocalName(envelope, 'subject'))
  if (subject !== ECB_SUBJECT) {
    throw new FxFormatError(
      `the subject is ${subject === undefined ? 'missing' : quoted(subject)}, not "${ECB_SUBJECT}"`,
    )
  }
  const sender = childByLocalName(envelope, 'Sender')
  const source = sourceFromSender(isNode(sender) ? textOf(childByLocalName(sender, 'name')) : undefined)

  const outer = cubes(envelope.Cube)
  if (outer.length !== 1) throw new FxFormatError(`expected one outer Cube element, found ${outer.length}`)
  const days = cubes(outer[0]!.Cube)
  const rates: FxRateRow[] = []
  days.forEach((dayCube, dayIndex) => {
    const day = attribute(dayCube, 'time')
    if (day === undefined) throw new FxFormatError(`day Cube #${dayIndex + 1} has no time attribute`)
    if (!isValidDay(day)) throw new FxFormatError(`day Cube #${dayIndex + 1}: invalid date ${quoted(day)}`)
    const entries = cubes(dayCube.Cube)
    if (entries.length === 0) throw new FxFormatError(`the Cube of ${day} holds no rates`)
    entries.forEach((entry, entryIndex) => {
      const currency = attribute(entry, 'currency')
      const rate = attribute(entry, 'rate')
      const where = `${day}, rate #${entryIndex + 1}`
      if (currency === undefined) throw new FxFormatError(`${where}: no currency attribute`)
      if (rate === undefined) throw new FxFormatError(`${where}: no rate attribute for ${quoted(currency)}`)
      rates.push(validateRateRow({ day, currency, rate }, where))
    })
  })
  return { source, format: 'xml', rates: sortAndCheckDuplicates(rates) }
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll("'", '&apos;')
    .replaceAll('"', '&quot;')
}

/**
 * Writes the ECB's XML envelope: tab indentation, single-quoted attributes, days in the given order (the ECB
 * lists the newest first).
 */
export function serializeEcbXml(days: readonly FxDay[], options: { senderName?: string } = {}): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<gesmes:Envelope xmlns:gesmes="${GESMES_NAMESPACE}" xmlns="${EUROFXREF_NAMESPACE}">`,
    `\t<gesmes:subject>${ECB_SUBJECT}</gesmes:subject>`,
    '\t<gesmes:Sender>',
    `\t\t<gesmes:name>${escapeXml(options.senderName ?? ECB_SENDER_NAME)}</gesmes:name>`,
    '\t</gesmes:Sender>',
    '\t<Cube>',
  ]
  for (const day of days) {
    lines.push(`\t\t<Cube time='${escapeXml(day.day)}'>`)
    for (const { currency, rate } of day.rates) {
      lines.push(`\t\t\t<Cube currency='${escapeXml(currency)}' rate='${escapeXml(rate)}'/>`)
    }
    lines.push('\t\t</Cube>')
  }
  lines.push('\t</Cube>', '</gesmes:Envelope>')
  return `${lines.join('\n')}\n`
}

// ---------------------------------------------------------------------------------------------------------------
// CSV (eurofxref-hist.csv, and the one-day eurofxref.csv whose dates read "5 January 2024")
// ---------------------------------------------------------------------------------------------------------------

function csvDay(cell: string, line: number): string {
  if (DAY.test(cell)) {
    if (!isValidDay(cell)) throw new FxFormatError(`line ${line}: invalid date ${quoted(cell)}`)
    return cell
  }
  const long = /^(\d{1,2}) ([A-Za-z]+) (\d{4})$/.exec(cell)
  const month = long ? MONTHS.indexOf(long[2]!.toLowerCase()) : -1
  if (!long || month < 0) throw new FxFormatError(`line ${line}: invalid date ${quoted(cell)}`)
  const day = `${long[3]}-${String(month + 1).padStart(2, '0')}-${long[1]!.padStart(2, '0')}`
  if (!isValidDay(day)) throw new FxFormatError(`line ${line}: invalid date ${quoted(cell)}`)
  return day
}

/**
 * Parses the ECB CSV: a `Date` column, then one column per currency, `N/A` (or nothing) where a currency had no
 * rate. `fileName` lets a simulator file be recognised by its name as well as by its header marker.
 */
export function parseEcbCsv(text: string, options: { fileName?: string } = {}): ParsedFxFile {
  let records: string[][]
  try {
    records = parseCsv(text.replace(/^\uFEFF/, ''), {
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as string[][]
  } catch (error) {
    const detail = error instanceof CsvError ? `: ${error.message}` : ''
    throw new FxFormatError(`not a valid CSV file${detail}`, { cause: error })
  }
  const header = records[0]
  if (header?.[0] !== 'Date') throw new FxFormatError('the CSV header does not start with a Date column')
  let simulated = /simulat/i.test(options.fileName ?? '')
  // Columns past the last currency: the unnamed column of the trailing comma, or the simulator's marker.
  let width = header.length
  while (width > 1 && (header[width - 1] === '' || header[width - 1] === SIMULATED_CSV_MARKER)) {
    if (header[width - 1] === SIMULATED_CSV_MARKER) simulated = true
    width--
  }
  const currencies = header.slice(1, width)
  if (currencies.length === 0) throw new FxFormatError('the CSV header names no currency')
  const seen = new Set<string>()
  currencies.forEach((currency, index) => {
    if (!isCurrencyCode(currency) || currency === 'EUR') {
      throw new FxFormatError(`CSV header, column ${index + 2}: ${quoted(currency)} is not a currency code`)
    }
    if (seen.has(currency)) throw new FxFormatError(`CSV header: ${currency} appears twice`)
    seen.add(currency)
  })

  const rates: FxRateRow[] = []
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!
    const line = r + 1
    if (record.length < width || record.length > header.length) {
      throw new FxFormatError(`line ${line}: ${record.length} columns where the header has ${header.length}`)
    }
    for (let extra = width; extra < record.length; extra++) {
      if (record[extra] !== '')
        throw new FxFormatError(`line ${line}: a value in the unnamed trailing column`)
    }
    const day = csvDay(record[0]!, line)
    currencies.forEach((currency, index) => {
      const cell = record[index + 1]!
      if (cell === '' || cell === 'N/A') return
      rates.push(validateRateRow({ day, currency, rate: cell }, `line ${line}, ${currency}`))
    })
  }
  return { source: simulated ? 'ECB-SIMULATED' : 'ECB', format: 'csv', rates: sortAndCheckDuplicates(rates) }
}

/**
 * Writes eurofxref-hist.csv: the given currency columns, `N/A` where a day lacks one, a trailing comma on every
 * line. `simulated` names the trailing column with the simulator's marker.
 */
export function serializeEcbCsv(
  days: readonly FxDay[],
  options: { currencies: readonly string[]; simulated?: boolean },
): string {
  const lines = [['Date', ...options.currencies, options.simulated ? SIMULATED_CSV_MARKER : ''].join(',')]
  for (const day of days) {
    const byCurrency = new Map(day.rates.map((r) => [r.currency, r.rate]))
    lines.push([day.day, ...options.currencies.map((c) => byCurrency.get(c) ?? 'N/A'), ''].join(','))
  }
  return `${lines.join('\n')}\n`
}

// ---------------------------------------------------------------------------------------------------------------
// ZIP, and format sniffing
// ---------------------------------------------------------------------------------------------------------------

export function zipEcbCsv(csv: string, entryName = 'eurofxref-hist.csv'): Uint8Array {
  return zipSync({ [entryName]: strToU8(csv) }, { level: 9, mtime: new Date('2000-01-01T00:00:00Z') })
}

const decoder = new TextDecoder('utf-8', { fatal: true })

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes)
  } catch (error) {
    throw new FxFormatError(`${what} is not UTF-8 text`, { cause: error })
  }
}

/** Parses eurofxref-hist.zip: exactly one CSV (or XML) file inside. */
export function parseEcbZip(bytes: Uint8Array, options: { fileName?: string } = {}): ParsedFxFile {
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        if (file.originalSize > MAX_UNZIPPED_BYTES) {
          throw new FxFormatError(
            `${quoted(file.name)} in the zip is larger than ${MAX_UNZIPPED_BYTES} bytes`,
          )
        }
        return !file.name.endsWith('/') && !file.name.startsWith('__MACOSX/')
      },
    })
  } catch (error) {
    if (error instanceof FxFormatError) throw error
    throw new FxFormatError('not a readable zip archive', { cause: error })
  }
  const entries = Object.entries(files).filter(([name]) => /\.(csv|xml)$/i.test(name))
  if (entries.length !== 1) {
    throw new FxFormatError(`expected one CSV or XML file in the zip, found ${entries.length}`)
  }
  const [name, content] = entries[0]!
  if (content.length > MAX_UNZIPPED_BYTES) throw new FxFormatError(`${quoted(name)} in the zip is too large`)
  const text = decodeUtf8(content, quoted(name))
  const inner = /\.xml$/i.test(name)
    ? parseEcbXml(text)
    : parseEcbCsv(text, { fileName: `${options.fileName ?? ''} ${name}` })
  return { ...inner, format: 'zip' }
}

/** Recognises XML, CSV or ZIP by content (not by extension) and parses it. */
export function parseEcbFile(bytes: Uint8Array, options: { fileName?: string } = {}): ParsedFxFile {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    return parseEcbZip(bytes, options)
  }
  const text = decodeUtf8(bytes, options.fileName ? quoted(options.fileName) : 'the file')
  if (
    text
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('<')
  )
    return parseEcbXml(text)
  return parseEcbCsv(text, options)
}

/** Groups rows into publication days, newest first as the ECB lists them, currencies in the given order. */
export function groupRatesByDay(rates: readonly FxRateRow[]): FxDay[] {
  const byDay = new Map<string, FxDay>()
  for (const row of rates) {
    let day = byDay.get(row.day)
    if (!day) {
      day = { day: row.day, rates: [] }
      byDay.set(row.day, day)
    }
    day.rates.push({ currency: row.currency, rate: row.rate })
  }
  return [...byDay.values()].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0))
}
