import { createHash } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { Logger } from 'pino'
import type { AppServices } from '../app-services.ts'
import { CredentialDecryptError } from '../crypto/credential-cipher.ts'
import type { LoadedPlatform } from '../platform/platform-registry.ts'
import type { ErrorCode, FieldIssue, UserErrorShape } from '../schema/errors.schema.ts'
import { toGlobalId } from '../schema/global-ids.ts'
import type { Principal } from '../workspace/workspace.service.ts'
import { Account } from './account.entity.ts'
import { checkConnection, connectAccount, normalizeTags, openConnection } from './account.service.ts'
import { type CsvRow, PLATFORM_COLUMN, readImportFile } from './import-csv.ts'

export {
  AccountImportError,
  type AccountImportErrorCode,
  IMPORT_MAX_BYTES,
  IMPORT_MAX_COLUMNS,
  IMPORT_MAX_ROWS,
} from './import-csv.ts'

/** The same bounds `connectAccount` puts on its label and tags. */
const LABEL_MAX = 120
const TAGS_MAX = 50
const TAG_MAX = 64
const LABEL_COLUMN = 'label'
const TAGS_COLUMN = 'tags'
const RESERVED_COLUMNS = new Set([PLATFORM_COLUMN, LABEL_COLUMN, TAGS_COLUMN])
/**
 * Rows checked side by side. Each check is a call to a platform that mostly waits on the network, but rows of one
 * file often share a host whose rate limit would only queue a larger batch anyway.
 */
const CHECK_CONCURRENCY = 4

export interface ImportRowError {
  code: ErrorCode
  message: string
  /** The CSV columns at fault, each as a one-element path. */
  fields: FieldIssue[]
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

interface ValidRow {
  line: number
  platform: LoadedPlatform
  label: string | null
  tags: string[]
  connection: Record<string, unknown>
  fingerprint: string
}

const isBlank = (cell: string | undefined) => (cell ?? '').trim() === ''

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
  columns: ReadonlyMap<string, number>,
  row: CsvRow,
): { ok: true; row: Omit<ValidRow, 'fingerprint'> } | { ok: false; result: ImportRowResult } {
  if (row.width > header.length && (row.overflow || !row.cells.slice(header.length).every(isBlank))) {
    // Usually an unquoted comma inside a value: every cell after it is in the wrong column, so none is echoed.
    return {
      ok: false,
      result: failure(row, {
        code: 'INVALID_ARGUMENT',
        message: `The row has ${row.width} cells but the header names ${header.length} columns; quote any value that contains a comma.`,
        fields: [],
      }),
    }
  }
  const cell = (column: string) => {
    const index = columns.get(column)
    return index === undefined ? '' : (row.cells[index] ?? '')
  }
  const platformId = cell(PLATFORM_COLUMN).trim()
  if (!platformId) {
    return {
      ok: false,
      result: failure(row, {
        code: 'INVALID_ARGUMENT',
        message: 'platform: is required',
        fields: [{ path: ['platform'], message: 'is required' }],
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
        fields: [{ path: ['platform'], message: 'no platform plugin with this id is loaded' }],
      }),
    }
  }

  const connectionIssues: { field: string; message: string }[] = []
  /** `columns` when the issue concerns several columns, `field` naming them all in the message. */
  const otherIssues: { field: string; message: string; columns?: string[] }[] = []
  if (labelText.length > LABEL_MAX)
    otherIssues.push({ field: LABEL_COLUMN, message: `at most ${LABEL_MAX} characters` })
  const tags = normalizeTags(cell(TAGS_COLUMN).split(/[;|]/))
  if (tags.length > TAGS_MAX) otherIssues.push({ field: TAGS_COLUMN, message: `at most ${TAGS_MAX} tags` })
  if (tags.some((tag) => tag.length > TAG_MAX))
    otherIssues.push({ field: TAGS_COLUMN, message: `a tag is at most ${TAG_MAX} characters` })

  const fields = platform.definition.connection.fields
  // Columns of other platforms filled on this row are named in one issue: a wide file would otherwise repeat the
  // same sentence for every column of every row, megabytes of answer for one request.
  const foreign: string[] = []
  header.forEach((column, index) => {
    if (RESERVED_COLUMNS.has(column) || isBlank(row.cells[index]) || column in fields) return
    if (column) foreign.push(column)
    else
      otherIssues.push({
        field: '',
        message: `column ${index + 1} has no name in the header; leave it empty`,
      })
  })
  if (foreign.length === 1) {
    otherIssues.push({
      field: foreign[0]!,
      message: `is not a connection field of ${platform.definition.name}; leave it empty on this row`,
    })
  } else if (foreign.length > 1) {
    otherIssues.push({
      field: foreign.join(', '),
      columns: foreign,
      message: `are not connection fields of ${platform.definition.name}; leave them empty on this row`,
    })
  }

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

  const issues: { field: string; message: string; columns?: string[] }[] = [
    ...connectionIssues,
    ...otherIssues,
  ]
  if (issues.length > 0) {
    return {
      ok: false,
      result: failure(
        row,
        {
          code: otherIssues.length === 0 ? 'CREDENTIALS_INVALID' : 'INVALID_ARGUMENT',
          message: issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '),
          fields: issues.flatMap((i) =>
            [...new Set((i.columns ?? [i.field]).filter(Boolean))].map((column) => ({
              path: [String(column)],
              message: i.message,
            })),
          ),
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
  const { header, rows } = readImportFile(csv)
  // Names are unique (readImportFile refuses repeats), so each maps to its one index.
  const columns = new Map(header.map((name, index) => [name, index]))
  const results = new Map<number, ImportRowResult>()
  const valid: ValidRow[] = []
  for (const row of rows) {
    const outcome = validateRow(services, header, columns, row)
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
    const fields = row.platform.fieldNames.map((name) => ({
      path: [name],
      message: 'same as an existing account',
    }))
    if (existing.has(row.fingerprint)) {
      results.set(
        row.line,
        failure(
          row,
          {
            code: 'ACCOUNT_DUPLICATE',
            message: `The workspace already has this ${row.platform.definition.name} account (id ${toGlobalId('Account', existing.get(row.fingerprint)!)}).`,
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
