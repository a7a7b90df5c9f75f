/**
 * Reading an import file: one parser for the importer and for the rate limiter that charges for its rows, so the
 * rows a request pays for are the rows the importer goes on to check. The parser is a single pass over the text
 * (csv-parse took 2.6 s on a megabyte of blank lines, longer than any request may hold the event loop), and the
 * header is bounded before anything looks at its names.
 */

export const IMPORT_MAX_ROWS = 500
export const IMPORT_MAX_BYTES = 1024 * 1024
/**
 * Columns a header may name. A file mixing every bundled platform needs `platform`, `label`, `tags` and the union
 * of their connection fields (about thirty); the rest is room for plugins added later.
 */
export const IMPORT_MAX_COLUMNS = 64
export const PLATFORM_COLUMN = 'platform'

export type AccountImportErrorCode = 'IMPORT_TOO_LARGE' | 'IMPORT_CSV_INVALID'

/** The file as a whole cannot be imported (too large, not CSV, no usable header); no row was looked at. */
export class AccountImportError extends Error {
  override readonly name = 'AccountImportError'
  readonly code: AccountImportErrorCode
  constructor(code: AccountImportErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

export interface CsvRow {
  /** Line of the file where the row starts (the header is line 1), counted as an editor shows lines. */
  line: number
  /** The first IMPORT_MAX_COLUMNS + 1 cells: more than any header may name, so every cell a column can hold. */
  cells: string[]
  /** Cells the record has, kept ones and dropped ones. */
  width: number
  /** Whether a dropped cell held something other than blanks. */
  overflow: boolean
}

const QUOTE = 0x22
const COMMA = 0x2c
const CR = 0x0d
const LF = 0x0a
const KEPT_CELLS = IMPORT_MAX_COLUMNS + 1

const invalid = (message: string) => new AccountImportError('IMPORT_CSV_INVALID', message)
const strayQuote = (line: number) =>
  invalid(
    `The CSV has a quote inside an unquoted cell (near line ${line}): put the whole cell in double quotes and double every quote inside it.`,
  )

/**
 * A quoted cell's text with every doubled quote made single. `replaceAll` takes about 100 ms over a megabyte of
 * quotes; copying the code units and turning them back into text in slices takes a few.
 */
function undoubleQuotes(raw: string): string {
  const units = new Uint16Array(raw.length)
  let n = 0
  for (let k = 0; k < raw.length; k++) {
    const unit = raw.charCodeAt(k)
    units[n++] = unit
    if (unit === QUOTE) k += 1
  }
  let out = ''
  for (let from = 0; from < n; from += 8192)
    out += String.fromCharCode(...units.subarray(from, Math.min(n, from + 8192)))
  return out
}

/**
 * RFC 4180 records that hold something other than blank cells, with the line each starts on. Records end at LF,
 * CRLF or a lone CR, in any mix; a quoted cell keeps its commas, doubled quotes and line breaks. Errors name the
 * problem and a line, never a cell. Blank records and cells past any possible column allocate nothing: a file of
 * nothing but line breaks or commas costs no more than one of real rows.
 */
export function parseImportCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = []
  const end = text.length
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let line = 1
  let cells: string[] = []
  let width = 0
  let filled = false
  let overflow = false
  let recordLine = 1
  const addCell = (value: string) => {
    const blank = value === '' || value.trim() === ''
    if (width < KEPT_CELLS) cells.push(value)
    else if (!blank) overflow = true
    if (!blank) filled = true
    width += 1
  }
  while (i < end) {
    let c = text.charCodeAt(i)
    if (width === 0) {
      recordLine = line
      if (c === LF || c === CR) {
        // An empty line: nothing to keep.
        i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1
        line += 1
        continue
      }
    }
    if (c === QUOTE) {
      const startLine = line
      let quotes = false
      let j = i + 1
      for (;;) {
        if (j >= end)
          throw invalid(`The CSV has a quoted cell that is never closed (near line ${startLine}).`)
        const d = text.charCodeAt(j)
        if (d === QUOTE) {
          if (text.charCodeAt(j + 1) !== QUOTE) break
          quotes = true
          j += 2
          continue
        }
        if (d === LF || (d === CR && text.charCodeAt(j + 1) !== LF)) line += 1
        j += 1
      }
      const raw = text.slice(i + 1, j)
      addCell(quotes ? undoubleQuotes(raw) : raw)
      i = j + 1
      c = text.charCodeAt(i)
      if (i < end && c !== COMMA && c !== CR && c !== LF) throw strayQuote(line)
    } else {
      let j = i
      while (j < end) {
        const d = text.charCodeAt(j)
        if (d === COMMA || d === CR || d === LF) break
        if (d === QUOTE) throw strayQuote(line)
        j += 1
      }
      addCell(j === i ? '' : text.slice(i, j))
      i = j
      c = text.charCodeAt(i)
    }
    if (i >= end) break
    if (c === COMMA) {
      i += 1
      // A comma at the very end still opens one more (empty) cell.
      if (i >= end) addCell('')
      continue
    }
    // CR, LF or CRLF: the record ends here.
    i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1
    line += 1
    if (filled) rows.push({ line: recordLine, cells, width, overflow })
    cells = filled ? [] : cells
    cells.length = 0
    width = 0
    filled = false
    overflow = false
  }
  if (filled) rows.push({ line: recordLine, cells, width, overflow })
  return rows
}

/**
 * The header and the data rows the importer works on, or the typed error that refuses the whole file. Every step
 * is linear in the size of the text; the header's width is bounded before its names are compared.
 */
export function readImportFile(csv: string, options: { keep?: boolean } = {}): ImportFile {
  // The rate limiter reads the file just before the importer does, within the same request: the importer takes the
  // limiter's reading and drops it. The text holds credentials, so a reading the importer never takes (a refused
  // request) is dropped after a few seconds rather than kept in memory until the next import.
  const reading = lastRead?.csv === csv ? lastRead : { csv, outcome: readOnce(csv) }
  if (lastReadTimer) clearTimeout(lastReadTimer)
  lastRead = null
  lastReadTimer = null
  if (options.keep) {
    lastRead = reading
    lastReadTimer = setTimeout(() => {
      lastRead = null
      lastReadTimer = null
    }, KEEP_READING_MS)
    lastReadTimer.unref()
  }
  if (reading.outcome instanceof AccountImportError) throw reading.outcome
  return reading.outcome
}

const KEEP_READING_MS = 5_000
let lastReadTimer: NodeJS.Timeout | null = null

interface ImportFile {
  header: string[]
  headerLine: number
  rows: CsvRow[]
}

let lastRead: { csv: string; outcome: ImportFile | AccountImportError } | null = null

function readOnce(csv: string): ImportFile | AccountImportError {
  try {
    return readUncached(csv)
  } catch (error) {
    if (error instanceof AccountImportError) return error
    throw error
  }
}

function readUncached(csv: string): ImportFile {
  const size = Buffer.byteLength(csv, 'utf8')
  if (size > IMPORT_MAX_BYTES) {
    throw new AccountImportError(
      'IMPORT_TOO_LARGE',
      `The CSV is ${size} bytes; at most ${IMPORT_MAX_BYTES} bytes (1 MiB) are imported at once. Split it into several files.`,
    )
  }
  const [headerRow, ...rows] = parseImportCsv(csv)
  if (!headerRow) {
    throw invalid(
      'The CSV is empty: its first line must name the columns (platform, label, tags, then connection fields).',
    )
  }
  if (headerRow.width > IMPORT_MAX_COLUMNS) {
    throw new AccountImportError(
      'IMPORT_TOO_LARGE',
      `The header (line ${headerRow.line}) names ${headerRow.width} columns; at most ${IMPORT_MAX_COLUMNS} are read: platform, label, tags and the connection fields of the platforms used.`,
    )
  }
  if (rows.length > IMPORT_MAX_ROWS) {
    throw new AccountImportError(
      'IMPORT_TOO_LARGE',
      `The CSV has ${rows.length} rows; at most ${IMPORT_MAX_ROWS} are imported at once. Split it into several files.`,
    )
  }
  const header = headerRow.cells.map((name) => name.trim())
  if (!header.includes(PLATFORM_COLUMN)) {
    throw invalid(
      `The header (line ${headerRow.line}) has no "${PLATFORM_COLUMN}" column: the first line must name the columns.`,
    )
  }
  const seen = new Set<string>()
  const repeated = new Set<string>()
  for (const name of header) {
    if (!name) continue
    if (seen.has(name)) repeated.add(name)
    else seen.add(name)
  }
  if (repeated.size > 0) {
    throw invalid(
      `The header (line ${headerRow.line}) names ${[...repeated].map((n) => `"${n}"`).join(', ')} more than once.`,
    )
  }
  return { header, headerLine: headerRow.line, rows }
}

/**
 * Rows the importer will validate and check against their platforms: what an import is charged for by the rate
 * limiter. A file the importer refuses whole checks nothing, hence 0. Rows that fail validation are counted too:
 * telling them apart would need the plugins, and counting them can only over-charge.
 */
export function importRowCount(csv: string): number {
  try {
    return readImportFile(csv, { keep: true }).rows.length
  } catch (error) {
    if (error instanceof AccountImportError) return 0
    throw error
  }
}
