/**
 * Master-key rotation: re-wraps the data key of every stored credential (account connections and alert destination
 * secrets) under the ring's active master key.
 *
 * Only the 60-byte wrapped data key and `kid` change (see `rewrapCredentials`); the payload ciphertext stays as
 * it is. Every row is written with a compare-and-set on the exact sealed value that was read, so a server that
 * re-keys an account at the same moment always wins: its value is already under the active key (the server's
 * ring has the same first entry) and rotation simply finds it current on the re-read. Rows are committed one by
 * one, so a run killed midway leaves every row either untouched or fully re-wrapped, and running it again
 * finishes the job.
 */
import type { Database } from '../db/database.ts'
import {
  CredentialDecryptError,
  needsRewrap,
  rewrapCredentials,
  type SealedCredentials,
} from './credential-cipher.ts'
import type { MasterKeyRing } from './master-key.ts'

export type KeyRotationErrorCode =
  | 'KEY_ROTATION_UNKNOWN_KEY'
  | 'KEY_ROTATION_KEY_MISMATCH'
  | 'KEY_ROTATION_ABORTED'
  | 'KEY_ROTATION_KEY_IN_USE'
  | 'KEY_ROTATION_ACTIVE_KEY'
  | 'KEY_ROTATION_NO_SUCH_KEY'
  | 'KEY_ROTATION_EMBEDDED_DATABASE'

/** Refusals of the rotation commands. Messages name key ids and counts, never key material. */
export class KeyRotationError extends Error {
  override readonly name = 'KeyRotationError'
  readonly code: KeyRotationErrorCode
  constructor(code: KeyRotationErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

export interface RotationProgress {
  /** Rows seen so far. */
  rows: number
  rewrapped: number
  alreadyCurrent: number
  /** Rows a concurrent writer changed between our read and our write (then re-read and settled). */
  raced: number
  /** Ids of rows that could not be opened (damaged, or sealed for another record); they are left untouched. */
  failed: string[]
}

export interface RotationOptions {
  /** Rows read per batch (default 100). */
  batchSize?: number
  /** Pause between batches, to spread the load on a busy database (default 0). */
  pauseMs?: number
  onBatch?: (progress: Readonly<RotationProgress>) => void
  signal?: AbortSignal
}

interface Row {
  id: string
  credentials: unknown
}

const COMPARE_AND_SET_ATTEMPTS = 5
const SAMPLES_PER_KEY = 3

function sealedOf(value: unknown): SealedCredentials {
  // The pg drivers hand jsonb back parsed; a text value (older rows, other drivers) is parsed by the cipher.
  return (typeof value === 'string' ? JSON.parse(value) : value) as SealedCredentials
}

/**
 * Every table holding sealed values in a `credentials` column, with the AAD its rows are sealed for. A table
 * missing here would keep secrets under a retired key, which then could not be removed without losing them.
 */
export const SEALED_TABLES = [
  { table: 'account', aad: (id: string) => `account:${id}` },
  { table: 'alert_destination', aad: (id: string) => `alert-destination:${id}` },
] as const
type SealedTable = (typeof SEALED_TABLES)[number]

/** Number of stored credentials per master key id (`(malformed)` for values without a readable kid). */
export async function countRecordsByKey(db: Database): Promise<Map<string, number>> {
  const rows = await db.query<{ kid: string | null; n: number | string }>(
    `select kid, sum(n)::int as n from (${SEALED_TABLES.map(
      ({ table }) => `select credentials->>'kid' as kid, count(*)::int as n from ${table} group by 1`,
    ).join(' union all ')}) counts group by 1 order by 1`,
  )
  return new Map(rows.map((r) => [r.kid ?? '(malformed)', Number(r.n)]))
}

/**
 * Fails closed before anything is written: every key id in use must be in the ring, and for each of them a few
 * rows must open with the configured key bytes. A key with the right id but the wrong bytes fails every sample;
 * a single damaged row does not, and is reported by id in the run instead.
 */
async function preflight(db: Database, ring: MasterKeyRing): Promise<void> {
  const counts = await countRecordsByKey(db)
  const missing = [...counts.keys()].filter((kid) => kid !== '(malformed)' && !ring.has(kid))
  if (missing.length > 0) {
    throw new KeyRotationError(
      'KEY_ROTATION_UNKNOWN_KEY',
      `Stored credentials use master key id(s) ${missing.map((k) => `"${k}"`).join(', ')}, which the configured keys do not include; add them back (after the new key) and run again. Nothing was changed.`,
    )
  }
  for (const kid of counts.keys()) {
    if (kid === '(malformed)') continue
    let sampled = 0
    let opened = false
    for (const store of SEALED_TABLES) {
      const samples = await db.query<Row>(
        `select id, credentials from ${store.table} where credentials->>'kid' = ? order by id limit ${SAMPLES_PER_KEY}`,
        [kid],
      )
      sampled += samples.length
      for (const row of samples) {
        try {
          rewrapCredentials(ring, sealedOf(row.credentials), store.aad(row.id))
          opened = true
          break
        } catch (error) {
          if (!(error instanceof CredentialDecryptError)) throw error
        }
      }
      if (opened) break
    }
    if (sampled > 0 && !opened) {
      throw new KeyRotationError(
        'KEY_ROTATION_KEY_MISMATCH',
        `The configured master key "${kid}" does not open the credentials stored under that id (wrong key value?). Nothing was changed.`,
      )
    }
  }
}

async function compareAndSet(
  db: Database,
  store: SealedTable,
  id: string,
  expected: unknown,
  next: SealedCredentials,
) {
  const result = await db.orm.em
    .getConnection()
    .execute<{ affectedRows: number }>(
      `update ${store.table} set credentials = cast(? as jsonb) where id = ? and credentials = cast(? as jsonb)`,
      [JSON.stringify(next), id, JSON.stringify(sealedOf(expected))],
      'run',
    )
  return result.affectedRows === 1
}

async function rotateRow(
  db: Database,
  ring: MasterKeyRing,
  store: SealedTable,
  row: Row,
  progress: RotationProgress,
) {
  let current: unknown = row.credentials
  for (let attempt = 0; attempt < COMPARE_AND_SET_ATTEMPTS; attempt++) {
    let sealed: SealedCredentials
    try {
      sealed = sealedOf(current)
      if (!needsRewrap(ring, sealed)) {
        progress.alreadyCurrent++
        return
      }
      sealed = rewrapCredentials(ring, sealed, store.aad(row.id))
    } catch (error) {
      if (!(error instanceof CredentialDecryptError) && !(error instanceof SyntaxError)) throw error
      progress.failed.push(row.id)
      return
    }
    if (await compareAndSet(db, store, row.id, current, sealed)) {
      progress.rewrapped++
      return
    }
    progress.raced++
    const [fresh] = await db.query<Row>(`select id, credentials from ${store.table} where id = ?`, [row.id])
    // Disconnected meanwhile: nothing left to protect.
    if (!fresh) return
    current = fresh.credentials
  }
  progress.failed.push(row.id)
}

/** Runs one rotation pass over every sealed row (accounts, then alert destinations), in id order, batch by batch. */
export async function rotateMasterKey(
  db: Database,
  ring: MasterKeyRing,
  options: RotationOptions = {},
): Promise<RotationProgress> {
  await preflight(db, ring)
  const progress: RotationProgress = { rows: 0, rewrapped: 0, alreadyCurrent: 0, raced: 0, failed: [] }
  for (const store of SEALED_TABLES) await rotateTable(db, ring, store, progress, options)
  return progress
}

async function rotateTable(
  db: Database,
  ring: MasterKeyRing,
  store: SealedTable,
  progress: RotationProgress,
  options: RotationOptions,
): Promise<void> {
  const batchSize = options.batchSize ?? 100
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    if (options.signal?.aborted) {
      throw new KeyRotationError('KEY_ROTATION_ABORTED', 'Rotation stopped before it finished; run it again.')
    }
    const batch = await db.query<Row>(
      `select id, credentials from ${store.table} where id > ? order by id limit ${Number(batchSize)}`,
      [after],
    )
    if (batch.length === 0) break
    for (const row of batch) {
      progress.rows++
      await rotateRow(db, ring, store, row, progress)
    }
    after = batch.at(-1)?.id ?? after
    options.onBatch?.(progress)
    if (batch.length < batchSize) break
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
  }
}

/** True when some stored credential is wrapped by a key other than the active one. */
export async function rotationPending(db: Database, ring: MasterKeyRing): Promise<boolean> {
  for (const { table } of SEALED_TABLES) {
    const rows = await db.query<{ n: number | string }>(
      `select count(*)::int as n from ${table} where credentials->>'kid' is distinct from ?`,
      [ring.activeKeyId],
    )
    if (Number(rows[0]?.n ?? 0) > 0) return true
  }
  return false
}
