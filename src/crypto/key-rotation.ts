/**
 * Master-key rotation: re-wraps the data key of every stored credential under the ring's active master key.
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

const aadOf = (id: string) => `account:${id}`

/** Number of stored credentials per master key id (`(malformed)` for values without a readable kid). */
export async function countRecordsByKey(db: Database): Promise<Map<string, number>> {
  const rows = await db.query<{ kid: string | null; n: number | string }>(
    `select credentials->>'kid' as kid, count(*)::int as n from account group by 1 order by 1`,
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
    const samples = await db.query<Row>(
      `select id, credentials from account where credentials->>'kid' = ? order by id limit ${SAMPLES_PER_KEY}`,
      [kid],
    )
    let opened = false
    for (const row of samples) {
      try {
        rewrapCredentials(ring, sealedOf(row.credentials), aadOf(row.id))
        opened = true
        break
      } catch (error) {
        if (!(error instanceof CredentialDecryptError)) throw error
      }
    }
    if (samples.length > 0 && !opened) {
      throw new KeyRotationError(
        'KEY_ROTATION_KEY_MISMATCH',
        `The configured master key "${kid}" does not open the credentials stored under that id (wrong key value?). Nothing was changed.`,
      )
    }
  }
}

async function compareAndSet(db: Database, id: string, expected: unknown, next: SealedCredentials) {
  const result = await db.orm.em
    .getConnection()
    .execute<{ affectedRows: number }>(
      'update account set credentials = cast(? as jsonb) where id = ? and credentials = cast(? as jsonb)',
      [JSON.stringify(next), id, JSON.stringify(sealedOf(expected))],
      'run',
    )
  return result.affectedRows === 1
}

async function rotateRow(db: Database, ring: MasterKeyRing, row: Row, progress: RotationProgress) {
  let current: unknown = row.credentials
  for (let attempt = 0; attempt < COMPARE_AND_SET_ATTEMPTS; attempt++) {
    let sealed: SealedCredentials
    try {
      sealed = sealedOf(current)
      if (!needsRewrap(ring, sealed)) {
        progress.alreadyCurrent++
        return
      }
      sealed = rewrapCredentials(ring, sealed, aadOf(row.id))
    } catch (error) {
      if (!(error instanceof CredentialDecryptError) && !(error instanceof SyntaxError)) throw error
      progress.failed.push(row.id)
      return
    }
    if (await compareAndSet(db, row.id, current, sealed)) {
      progress.rewrapped++
      return
    }
    progress.raced++
    const [fresh] = await db.query<Row>('select id, credentials from account where id = ?', [row.id])
    // Disconnected meanwhile: nothing left to protect.
    if (!fresh) return
    current = fresh.credentials
  }
  progress.failed.push(row.id)
}

/** Runs one rotation pass over every account row, in id order, batch by batch. */
export async function rotateMasterKey(
  db: Database,
  ring: MasterKeyRing,
  options: RotationOptions = {},
): Promise<RotationProgress> {
  const batchSize = options.batchSize ?? 100
  await preflight(db, ring)
  const progress: RotationProgress = { rows: 0, rewrapped: 0, alreadyCurrent: 0, raced: 0, failed: [] }
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    if (options.signal?.aborted) {
      throw new KeyRotationError('KEY_ROTATION_ABORTED', 'Rotation stopped before it finished; run it again.')
    }
    const batch = await db.query<Row>(
      `select id, credentials from account where id > ? order by id limit ${Number(batchSize)}`,
      [after],
    )
    if (batch.length === 0) break
    for (const row of batch) {
      progress.rows++
      await rotateRow(db, ring, row, progress)
    }
    after = batch.at(-1)?.id ?? after
    options.onBatch?.(progress)
    if (batch.length < batchSize) break
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
  }
  return progress
}

/** True when some stored credential is wrapped by a key other than the active one. */
export async function rotationPending(db: Database, ring: MasterKeyRing): Promise<boolean> {
  const rows = await db.query<{ n: number | string }>(
    `select count(*)::int as n from account where credentials->>'kid' is distinct from ?`,
    [ring.activeKeyId],
  )
  return Number(rows[0]?.n ?? 0) > 0
}
