/**
 * Master keys (key-encryption keys) for credential envelope encryption.
 *
 * Configuration format (`AFFGRAPH_MASTER_KEY`, or the contents of the generated key file):
 *
 *   <keyId>:<base64 of 32 bytes>[,<keyId>:<base64 of 32 bytes>...]
 *
 * The first entry is the active key: new records are wrapped with it. The other entries are only used to
 * unwrap records that still carry their id, which is what lets an operator rotate: prepend a new entry, run the
 * rotation command, then drop the old entry. A bare base64 value (no `id:`) is shorthand for key id `k1`.
 */
import { randomBytes } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { link, mkdir, open, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

export const MASTER_KEY_BYTES = 32
export const DEFAULT_MASTER_KEY_ID = 'k1'
export const MASTER_KEY_ENV = 'AFFGRAPH_MASTER_KEY'

// Ids end up inside every sealed record and in the wrap AAD, so they must not contain the separators of the
// configuration format (`,` `:`) nor the NUL used to frame the AAD.
const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

export type MasterKeyErrorCode =
  | 'MASTER_KEY_EMPTY'
  | 'MASTER_KEY_INVALID_ID'
  | 'MASTER_KEY_INVALID_BASE64'
  | 'MASTER_KEY_INVALID_LENGTH'
  | 'MASTER_KEY_DUPLICATE_ID'
  | 'MASTER_KEY_FILE_PERMISSIONS'
  | 'MASTER_KEY_FILE_INVALID'

/**
 * Configuration problems with master keys. Messages name the entry position, the key id (ids are not secret)
 * or the file path, and never echo any part of a key value: these errors end up in startup logs.
 */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError'
  readonly code: MasterKeyErrorCode
  constructor(code: MasterKeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

export interface MasterKeyInput {
  readonly id: string
  readonly key: Uint8Array
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/**
 * An ordered set of master keys; the first is active. Key bytes live in an ES private field so that logging,
 * `util.inspect` or `JSON.stringify` of a ring (or of an object holding one) shows ids only.
 */
export class MasterKeyRing {
  readonly activeKeyId: string
  readonly keyIds: readonly string[]
  readonly #keys: ReadonlyMap<string, Buffer>

  constructor(entries: readonly MasterKeyInput[]) {
    const first = entries[0]
    if (first === undefined)
      throw new MasterKeyError('MASTER_KEY_EMPTY', 'A master key ring needs at least one key')
    const keys = new Map<string, Buffer>()
    entries.forEach((entry, index) => {
      assertKeyId(entry.id, `Master key ${index + 1}`)
      if (entry.key.byteLength !== MASTER_KEY_BYTES) {
        throw new MasterKeyError(
          'MASTER_KEY_INVALID_LENGTH',
          `Master key "${entry.id}" must be ${MASTER_KEY_BYTES} bytes, got ${entry.key.byteLength}`,
        )
      }
      if (keys.has(entry.id)) {
        throw new MasterKeyError(
          'MASTER_KEY_DUPLICATE_ID',
          `Master key id "${entry.id}" appears more than once`,
        )
      }
      // Copy so that a caller zeroing or reusing its buffer cannot change the ring.
      keys.set(entry.id, Buffer.from(entry.key))
    })
    this.activeKeyId = first.id
    this.keyIds = Object.freeze([...keys.keys()])
    this.#keys = keys
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId)
  }

  /** Raw key bytes for the cipher module. Callers must not keep or modify the returned buffer. */
  keyFor(keyId: string): Buffer | undefined {
    return this.#keys.get(keyId)
  }

  toJSON(): { activeKeyId: string; keyIds: readonly string[] } {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds }
  }

  [inspectSymbol](): string {
    return `MasterKeyRing { activeKeyId: '${this.activeKeyId}', keyIds: [${this.keyIds.map((id) => `'${id}'`).join(', ')}] }`
  }
}

function assertKeyId(id: string, where: string): void {
  if (!KEY_ID_PATTERN.test(id)) {
    // The rejected id is not echoed: a mis-ordered entry (`<base64>:<id>`) would put key material here.
    throw new MasterKeyError(
      'MASTER_KEY_INVALID_ID',
      `${where}: key id must be 1-64 characters of letters, digits, '_', '.' or '-', starting with a letter or digit`,
    )
  }
}

/**
 * Strict base64 decoding (standard or URL-safe alphabet, padding optional). Node's own decoder silently skips
 * invalid characters, which would turn a typo into a different key instead of an error.
 */
function decodeBase64Strict(text: string): Buffer | undefined {
  const normalized = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .replace(/={1,2}$/, '')
  if (normalized.length === 0 || !/^[A-Za-z0-9+/]+$/.test(normalized) || normalized.length % 4 === 1)
    return undefined
  const bytes = Buffer.from(normalized, 'base64')
  // Re-encoding catches non-zero trailing bits, i.e. strings that several different texts would decode to.
  if (bytes.toString('base64').replace(/=+$/, '') !== normalized) return undefined
  return bytes
}

/**
 * Parses the master key configuration. `source` only labels error messages (e.g. the env variable name or the
 * key file path).
 */
export function parseMasterKeys(value: string, source: string = MASTER_KEY_ENV): MasterKeyRing {
  const trimmed = value.trim()
  if (trimmed === '') throw new MasterKeyError('MASTER_KEY_EMPTY', `${source} is empty`)
  const rawEntries = trimmed.split(',').map((entry) => entry.trim())
  const entries: MasterKeyInput[] = []
  const seen = new Set<string>()
  rawEntries.forEach((entry, index) => {
    const where = `${source} entry ${index + 1}`
    if (entry === '') throw new MasterKeyError('MASTER_KEY_EMPTY', `${where} is empty (stray comma?)`)
    const colon = entry.indexOf(':')
    const id = colon === -1 ? DEFAULT_MASTER_KEY_ID : entry.slice(0, colon).trim()
    const encoded = colon === -1 ? entry : entry.slice(colon + 1).trim()
    assertKeyId(id, where)
    const key = decodeBase64Strict(encoded)
    if (key === undefined) {
      throw new MasterKeyError('MASTER_KEY_INVALID_BASE64', `${where} (key id "${id}") is not valid base64`)
    }
    if (key.length !== MASTER_KEY_BYTES) {
      const length = key.length
      key.fill(0)
      throw new MasterKeyError(
        'MASTER_KEY_INVALID_LENGTH',
        `${where} (key id "${id}") must decode to ${MASTER_KEY_BYTES} bytes, got ${length}; generate one with \`openssl rand -base64 32\``,
      )
    }
    if (seen.has(id)) {
      key.fill(0)
      throw new MasterKeyError('MASTER_KEY_DUPLICATE_ID', `${where}: key id "${id}" appears more than once`)
    }
    seen.add(id)
    entries.push({ id, key })
  })
  const ring = new MasterKeyRing(entries)
  for (const entry of entries) entry.key.fill(0)
  return ring
}

/** A fresh `<id>:<base64>` entry, e.g. for an operator prepending a new active key before rotation. */
export function generateMasterKeyEntry(id: string): string {
  assertKeyId(id, 'New master key')
  const key = randomBytes(MASTER_KEY_BYTES)
  const entry = `${id}:${key.toString('base64')}`
  key.fill(0)
  return entry
}

function isErrnoException(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code
}

/** Reads and checks a key file (regular file, mode 0600 or narrower, valid entries). */
export async function readKeyFile(path: string): Promise<MasterKeyRing> {
  const handle = await open(path, fsConstants.O_RDONLY)
  try {
    // fstat on the open handle, not stat on the path: the file we check is the file we read.
    const stats = await handle.stat()
    if (!stats.isFile()) {
      throw new MasterKeyError('MASTER_KEY_FILE_INVALID', `Master key file ${path} is not a regular file`)
    }
    // POSIX mode bits mean nothing on Windows, where access is governed by ACLs.
    if (process.platform !== 'win32' && (stats.mode & 0o777 & ~0o600) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0')
      throw new MasterKeyError(
        'MASTER_KEY_FILE_PERMISSIONS',
        `Master key file ${path} has permissions ${mode}, wider than 0600; other users could read it. Fix with \`chmod 600 ${path}\``,
      )
    }
    const content = await handle.readFile({ encoding: 'utf8' })
    if (content.trim() === '') {
      throw new MasterKeyError('MASTER_KEY_FILE_INVALID', `Master key file ${path} is empty`)
    }
    return parseMasterKeys(content, `Master key file ${path}`)
  } finally {
    await handle.close()
  }
}

/**
 * Default for a self-hosted install without `AFFGRAPH_MASTER_KEY`: a generated key kept in a 0600 file beside
 * the data. The file may also hold several comma-separated entries, so rotation works the same way as with
 * the env variable.
 *
 * `created: true` tells the caller to warn the operator to back the file up: losing it makes every stored
 * credential unrecoverable.
 */
export async function loadOrCreateKeyFile(path: string): Promise<{ ring: MasterKeyRing; created: boolean }> {
  try {
    return { ring: await readKeyFile(path), created: false }
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error
  }

  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const entry = generateMasterKeyEntry(DEFAULT_MASTER_KEY_ID)
  // Written to a private temp file first and then hard-linked into place: `wx` keeps us from clobbering
  // anything, and `link` publishes the file complete or not at all, so a second process starting at the same
  // moment never reads a half-written key.
  const tempPath = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(tempPath, 'wx', 0o600)
  try {
    try {
      await handle.chmod(0o600)
      await handle.writeFile(`${entry}\n`, { encoding: 'utf8' })
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await link(tempPath, path)
    } catch (error) {
      if (isErrnoException(error, 'EEXIST')) return { ring: await readKeyFile(path), created: false }
      throw error
    }
  } finally {
    await unlink(tempPath).catch(() => undefined)
  }
  return { ring: parseMasterKeys(entry, `Master key file ${path}`), created: true }
}

/**
 * Picks the master keys the server runs with: the env value when set, otherwise the generated key file.
 */
export async function resolveMasterKeyRing(options: {
  envValue: string | undefined
  keyFilePath: string
}): Promise<{ ring: MasterKeyRing; source: 'env' | 'file'; created: boolean }> {
  if (options.envValue !== undefined && options.envValue.trim() !== '') {
    return { ring: parseMasterKeys(options.envValue), source: 'env', created: false }
  }
  const { ring, created } = await loadOrCreateKeyFile(options.keyFilePath)
  return { ring, source: 'file', created }
}
