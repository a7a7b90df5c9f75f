import { createHash } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { Logger } from 'pino'
import type { AppServices } from '../app-services.ts'
import { CredentialDecryptError } from '../crypto/credential-cipher.ts'
import type { LoadedPlatform } from '../platform/platform-registry.ts'
import type { ErrorCode, UserErrorShape } from '../schema/errors.schema.ts'
import { CsvError, parseCsvRecords } from '../sdk/index.ts'
import type { Principal } from '../workspace/workspace.service.ts'
import { Account } from './account.entity.ts'
import { checkConnection, connectAccount, normalizeTags, openConnection } from './account.service.ts'

export const IMPORT_MAX_ROWS = 500
export const IMPORT_MAX_BYTES = 1024 * 1024
/** The same bounds `connectAccount` puts on its label and tags. */
const LABEL_MAX = 120
const TAGS_MAX = 50
const TAG_MAX = 64
const PLATFORM_COLUMN = 'platform'
const LABEL_COLUMN = 'label'
const TAGS_COLUMN = 'tags'
const RESERVED_COLUMNS = new Set([PLATFORM_COLUMN, LABEL_COLUMN, TAGS_COLUMN])
/**
 * Rows checked side by side. Each check is a call to a platform that mostly waits on the network, but rows of one
 * file often share a host whose rate limit would only queue a larger batch anyway.
 */
const CHECK_CONCURRENCY = 4

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

export interface ImportRowError {
  code: ErrorCode
  message: string
  /** CSV column names the error concerns. */
  fields: string[]
}

export interface ImportRowResult {
  /** Line of the file where the row starts (the header is line 1). */
  line: number
  platformId: string | null
  label: string | null
  account: Account | null
  error: ImportRowError | null
}

export interface ImportResult {
  /** Rows stored; in a dry run, rows that passed every check and would be stored. */
  imported: number
  failed: number
  rows: ImportRowResult[]
}

export interface ImportOptions {
  dryRun: boolean
  log: Logger
}

interface CsvRow {
  line: number
  cells: string[]
}

interface ValidRow {
  line: number
  platform: LoadedPlatform
  label: string | null
  tags: string[]
  connection: Record<string, unknown>
  fingerprint: string
}

const isBlank = (cell: string | undefined) => (cell ?? '').trim() === ''

/** csv-parse quotes the offending cell in some messages; ours name the problem and the line only. */
function describeCsvError(error: CsvError): string {
  const lines: unknown = (error as unknown as { lines?: unknown }).lines
  const line = typeof lines === 'number' ? lines : null
  const at = line === null ? '' : ` (near line ${line})`
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `The CSV has a quoted cell that is never closed${at}.`
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `The CSV has a quote inside an unquoted cell${at}: put the whole cell in double quotes and double every quote inside it.`
    default:
      return `The text could not be read as CSV${at}: ${error.code}.`
  }
}

/**
 * Records with the line each starts on. csv-parse reports the byte offset where every record ends, so a record
 * starts where the previous one ended (blank lines are records too, so none is skipped unseen); its line counts
 * the line breaks before that offset — the physical line an editor shows, also for cells spanning several lines.
 */
function readRecords(bytes: Buffer): CsvRow[] {
  let records: { record: string[]; info: { bytes: number } }[]
  try {
    records = parseCsvRecords(bytes, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: false,
    }) as unknown as { record: string[]; info: { bytes: number } }[]
  } catch (error) {
    if (error instanceof CsvError) throw new AccountImportError('IMPORT_CSV_INVALID', describeCsvError(error))
    throw error
  }
  let scanned = 0
  let line = 1
  const lineAt = (offset: number) => {
    for (; scanned < offset && scanned < bytes.length; scanned++) {
      const byte = bytes[scanned]
      if (byte === 0x0a || (byte === 0x0d && bytes[scanned + 1] !== 0x0a)) line += 1
    }
    return line
  }
  let start = 0
  const rows: CsvRow[] = []
  for (const { record, info } of records) {
    rows.push({ line: lineAt(start), cells: record })
    start = info.bytes
  }
  return rows
}

function readFile(csv: string): { header: string[]; rows: CsvRow[] } {
  const size = Buffer.byteLength(csv, 'utf8')
  if (size > IMPORT_MAX_BYTES) {
    throw new AccountImportError(
      'IMPORT_TOO_LARGE',
      `The CSV is ${size} bytes; at most ${IMPORT_MAX_BYTES} bytes (1 MiB) are imported at once. Split it into several files.`,
    )
  }
  const records = readRecords(Buffer.from(csv, 'utf8')).filter((r) => !r.cells.every(isBlank))
  const [headerRow, ...rows] = records
  if (!headerRow) {
    throw new AccountImportError(
      'IMPORT_CSV_INVALID',
      'The CSV is empty: its first line must name the columns (platform, label, tags, then connection fields).',
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
    throw new AccountImportError(
      'IMPORT_CSV_INVALID',
      `The header (line ${headerRow.line}) has no "${PLATFORM_COLUMN}" column: the first line must name the columns.`,
    )
  }
  const named = header.filter(Boolean)
  const repeated = [...new Set(named.filter((name, i) => named.indexOf(name) !== i))]
  if (repeated.length > 0) {
    throw new AccountImportError(
      'IMPORT_CSV_INVALID',
      `The header names ${repeated.map((n) => `"${n}"`).join(', ')} more than once.`,
    )
  }
  return { header, rows }
}

/** Identifies one login: the same platform and the same (normalised) connection values. */
function fingerprint(platform: LoadedPlatform, connection: Record<string, unknown>): string {
  const digest = createHash('sha256').update(platform.definition.id)
  for (const name of platform.fieldNames) {
    const value = connection[name]
    digest.update(`\u0000${name}=${typeof value === 'string' ? value : ''}`)
  }
  return digest.digest('hex')
}

const failure = (
  row: { line: number },
  error: ImportRowError,
  known: { platformId?: string | null; label?: string | null } = {},
): ImportRowResult => ({
  line: row.line,
  platformId: known.platformId ?? null,
  label: known.label ?? null,
  account: null,
  error,
})

/** Validates one row the way `connectAccount`'s input is validated, naming the columns at fault. */
function validateRow(
  services: AppServices,
  header: string[],
  row: CsvRow,
): { ok: true; row: Omit<ValidRow, 'fingerprint'> } | { ok: false; result: ImportRowResult } {
  if (row.cells.length > header.length && !row.cells.slice(header.length).every(isBlank)) {
    // Usually an unquoted comma inside a value: every cell after it is in the wrong column, so none is echoed.
    return {
      ok: false,
      result: failure(row, {
        code: 'INVALID_ARGUMENT',
        message: `The row has ${row.cells.length} cells but the header names ${header.length} columns; quote any value that contains a comma.`,
        fields: [],
      }),
    }
  }
  const cell = (column: string) => {
    const index = header.indexOf(column)
    return index === -1 ? '' : (row.cells[index] ?? '')
  }
  const platformId = cell(PLATFORM_COLUMN).trim()
  if (!platformId) {
    return {
      ok: false,
      result: failure(row, {
        code: 'INVALID_ARGUMENT',
        message: 'platform: is required',
        fields: ['platform'],
      }),
    }
  }
  const platform = services.registry.get(platformId)
  const labelText = cell(LABEL_COLUMN).trim()
  if (!platform) {
    // The unknown value is not echoed: in a shifted row it could be any other cell, a secret included.
    const loaded = services.registry
      .all()
      .map((p) => p.definition.id)
      .join(', ')
    return {
      ok: false,
      result: failure(row, {
        code: 'PLATFORM_UNKNOWN',
        message: `platform: no platform plugin with this id is loaded (loaded: ${loaded}).`,
        fields: ['platform'],
      }),
    }
  }

  const connectionIssues: { field: string; message: string }[] = []
  const otherIssues: { field: string; message: string }[] = []
  if (labelText.length > LABEL_MAX)
    otherIssues.push({ field: LABEL_COLUMN, message: `at most ${LABEL_MAX} characters` })
  const tags = normalizeTags(cell(TAGS_COLUMN).split(/[;|]/))
  if (tags.length > TAGS_MAX) otherIssues.push({ field: TAGS_COLUMN, message: `at most ${TAGS_MAX} tags` })
  if (tags.some((tag) => tag.length > TAG_MAX))
    otherIssues.push({ field: TAGS_COLUMN, message: `a tag is at most ${TAG_MAX} characters` })

  const fields = platform.definition.connection.fields
  header.forEach((column, index) => {
    if (RESERVED_COLUMNS.has(column) || isBlank(row.cells[index]) || column in fields) return
    otherIssues.push(
      column
        ? {
            field: column,
            message: `is not a connection field of ${platform.definition.name}; leave it empty on this row`,
          }
        : { field: '', message: `column ${index + 1} has no name in the header; leave it empty` },
    )
  })

  const raw: Record<string, string> = {}
  for (const name of platform.fieldNames) {
    const value = cell(name)
    if (!isBlank(value)) raw[name] = value
    else if (fields[name]!.required) connectionIssues.push({ field: name, message: 'is required' })
  }
  const parsed = platform.definition.connection.schema.safeParse(raw)
  if (!parsed.success) {
    // Messages come from the plugin's schema, which never echoes the value (see createBuilder's validationError).
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '')
      if (!connectionIssues.some((i) => i.field === field))
        connectionIssues.push({ field, message: issue.message })
    }
  }

  const issues = [...connectionIssues, ...otherIssues]
  if (issues.length > 0) {
    return {
      ok: false,
      result: failure(
        row,
        {
          code: otherIssues.length === 0 ? 'CREDENTIALS_INVALID' : 'INVALID_ARGUMENT',
          message: issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '),
          fields: [...new Set(issues.map((i) => i.field).filter(Boolean))],
        },
        { platformId, label: labelText || null },
      ),
    }
  }
  return {
    ok: true,
    row: {
      line: row.line,
      platform,
      label: labelText || null,
      tags,
      connection: (parsed.success ? parsed.data : raw) as Record<string, unknown>,
    },
  }
}

/** Fingerprints of the workspace's accounts on these platforms (the request's tenant filter applies). */
async function existingFingerprints(
  services: AppServices,
  em: EntityManager,
  platformIds: string[],
): Promise<Map<string, string>> {
  const known = new Map<string, string>()
  if (platformIds.length === 0) return known
  const accounts = await em.find(Account, { platformId: { $in: platformIds } })
  for (const account of accounts) {
    const platform = services.registry.get(account.platformId)
    if (!platform) continue
    try {
      known.set(fingerprint(platform, openConnection(services, account)), account.id)
    } catch (error) {
      // Unreadable credentials cannot be compared; `checkAccount` reports them on that account.
      if (!(error instanceof CredentialDecryptError)) throw error
    }
  }
  return known
}

async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

const rowError = (error: UserErrorShape): ImportRowError => ({
  code: error.code,
  message: error.message,
  fields: error.fields,
})

/**
 * Connects every row of a CSV file as `connectAccount` would: validated by the platform's connection schema,
 * checked against the platform, and stored only when the check passes. Rows are independent; a row that fails
 * leaves nothing behind, because its account row carries the sealed credentials and the tags and is written by one
 * flush (one transaction) on an EntityManager of its own, so a failed write cannot linger in the next row's flush.
 * A row repeating an account the workspace already has, or an earlier row of the file, is refused as a
 * duplicate, which also makes re-running an interrupted import safe.
 */
export async function importAccounts(
  services: AppServices,
  em: EntityManager,
  principal: Principal,
  csv: string,
  options: ImportOptions,
): Promise<ImportResult> {
  const { header, rows } = readFile(csv)
  const results = new Map<number, ImportRowResult>()
  const valid: ValidRow[] = []
  for (const row of rows) {
    const outcome = validateRow(services, header, row)
    if (outcome.ok) {
      valid.push({ ...outcome.row, fingerprint: fingerprint(outcome.row.platform, outcome.row.connection) })
    } else results.set(row.line, outcome.result)
  }

  const existing = await existingFingerprints(services, em, [
    ...new Set(valid.map((r) => r.platform.definition.id)),
  ])
  const firstLine = new Map<string, number>()
  const toCheck: ValidRow[] = []
  for (const row of valid) {
    const known = { platformId: row.platform.definition.id, label: row.label }
    const earlier = firstLine.get(row.fingerprint)
    const fields = row.platform.fieldNames
    if (existing.has(row.fingerprint)) {
      results.set(
        row.line,
        failure(
          row,
          {
            code: 'ACCOUNT_DUPLICATE',
            message: `The workspace already has this ${row.platform.definition.name} account (id ${existing.get(row.fingerprint)}).`,
            fields,
          },
          known,
        ),
      )
    } else if (earlier !== undefined) {
      results.set(
        row.line,
        failure(
          row,
          { code: 'ACCOUNT_DUPLICATE', message: `Line ${earlier} has the same connection.`, fields },
          known,
        ),
      )
    } else {
      firstLine.set(row.fingerprint, row.line)
      toCheck.push(row)
    }
  }

  await eachLimit(toCheck, CHECK_CONCURRENCY, async (row) => {
    const base = { line: row.line, platformId: row.platform.definition.id, label: row.label }
    if (options.dryRun) {
      const checked = await checkConnection(services, row.platform, row.connection)
      results.set(row.line, {
        ...base,
        account: null,
        error: checked.ok ? null : rowError(checked.error),
      })
      return
    }
    try {
      const outcome = await connectAccount(services, em.fork(), principal, row.platform, row.connection, {
        label: row.label,
        tags: row.tags,
      })
      results.set(
        row.line,
        outcome.ok
          ? { ...base, label: outcome.account.label, account: outcome.account, error: null }
          : { ...base, account: null, error: rowError(outcome.error) },
      )
    } catch (error) {
      // A driver error quotes the statement it failed on; the name and code are enough to investigate.
      options.log.error(
        {
          line: row.line,
          platform: base.platformId,
          err: { name: (error as Error)?.name, code: (error as { code?: unknown })?.code },
        },
        'imported account not stored',
      )
      results.set(row.line, {
        ...base,
        account: null,
        error: {
          code: 'ACCOUNT_NOT_STORED',
          message: 'The row passed every check but could not be saved; nothing of it was stored. Try again.',
          fields: [],
        },
      })
    }
  })

  const ordered = [...results.values()].sort((a, b) => a.line - b.line)
  const failed = ordered.filter((r) => r.error).length
  const codes: Record<string, number> = {}
  for (const r of ordered) if (r.error) codes[r.error.code] = (codes[r.error.code] ?? 0) + 1
  options.log.info(
    { rows: ordered.length, imported: ordered.length - failed, failed, dryRun: options.dryRun, codes },
    options.dryRun ? 'account import checked' : 'accounts imported',
  )
  return { imported: ordered.length - failed, failed, rows: ordered }
}
