/**
 * Envelope encryption of affiliate-program credentials at rest.
 *
 * Sealed value (store it as JSON; `decryptCredentials` also accepts the JSON text):
 *
 *   { "v": 1, "kid": "<master key id>", "wrappedKey": b64, "iv": b64, "tag": b64, "ciphertext": b64 }
 *
 * - `iv` (12 bytes), `tag` (16 bytes) and `ciphertext` belong to the payload: AES-256-GCM under a per-record
 *   random 32-byte data key (DEK). The plaintext is the JSON text of the credentials (an object of strings or a
 *   single string).
 * - `wrappedKey` is `wrapIv (12) || encrypted DEK (32) || wrapTag (16)` = 60 bytes: the DEK sealed with
 *   AES-256-GCM under the master key named by `kid`.
 * - The caller's record AAD (e.g. `account:<uuid>`) is bound to both layers, so a sealed value copied to another
 *   record fails to open. The wrap AAD also binds `kid`; the payload AAD deliberately does not, so that
 *   rotation can re-wrap the DEK without re-encrypting the payload.
 *
 * All base64 fields use the standard alphabet with padding.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { MasterKeyRing } from './master-key.ts'

export const SEALED_CREDENTIALS_VERSION = 1

export interface SealedCredentials {
  readonly v: 1
  readonly kid: string
  readonly wrappedKey: string
  readonly iv: string
  readonly tag: string
  readonly ciphertext: string
}

export type CredentialPlaintext = Record<string, string> | string

const ALGORITHM = 'aes-256-gcm'
const DEK_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
const WRAPPED_KEY_BYTES = IV_BYTES + DEK_BYTES + TAG_BYTES
// Domain separation: the two layers never accept each other's AAD, even for the same record.
const PAYLOAD_AAD_LABEL = 'affgraph/credentials/v1/payload'
const WRAP_AAD_LABEL = 'affgraph/credentials/v1/dek'
const SEALED_KEYS = ['v', 'kid', 'wrappedKey', 'iv', 'tag', 'ciphertext'] as const

export type CredentialDecryptFailure = 'malformed' | 'unknown-key' | 'authentication-failed'

/**
 * Opening a sealed value failed. One code for every cause, so callers cannot accidentally treat a forged value
 * differently from a corrupted one; `reason` is there for operators (an `unknown-key` usually means a master key
 * was removed from configuration before rotation finished). Never carries key or plaintext material.
 */
export class CredentialDecryptError extends Error {
  override readonly name = 'CredentialDecryptError'
  readonly code = 'CREDENTIAL_DECRYPT_FAILED' as const
  readonly reason: CredentialDecryptFailure
  constructor(reason: CredentialDecryptFailure, detail: string) {
    super(`Stored credentials could not be decrypted: ${detail}`)
    this.reason = reason
  }
}

/** Programming errors on the encrypt side (empty AAD, non-string credential values). */
export class CredentialEncryptError extends Error {
  override readonly name = 'CredentialEncryptError'
  readonly code = 'CREDENTIAL_ENCRYPT_INVALID_INPUT' as const
}

function payloadAad(recordAad: string): Buffer {
  return Buffer.from(`${PAYLOAD_AAD_LABEL}\0${recordAad}`, 'utf8')
}

function wrapAad(kid: string, recordAad: string): Buffer {
  // kid cannot contain NUL (see master-key.ts), so the framing is unambiguous.
  return Buffer.from(`${WRAP_AAD_LABEL}\0${kid}\0${recordAad}`, 'utf8')
}

function sealBytes(
  key: Buffer,
  plaintext: Buffer,
  aad: Buffer,
): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return { iv, ciphertext, tag: cipher.getAuthTag() }
}

/** Returns undefined when authentication fails; the caller turns that into a uniform error. */
function openBytes(
  key: Buffer,
  iv: Buffer,
  ciphertext: Buffer,
  tag: Buffer,
  aad: Buffer,
): Buffer | undefined {
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
  decipher.setAAD(aad)
  decipher.setAuthTag(tag)
  const head = decipher.update(ciphertext)
  try {
    const tail = decipher.final()
    return tail.length === 0 ? head : Buffer.concat([head, tail])
  } catch {
    // GCM releases unauthenticated bytes from update(); they must not outlive the failed check.
    head.fill(0)
    return undefined
  }
}

function wrapDek(ring: MasterKeyRing, dek: Buffer, recordAad: string): { kid: string; wrappedKey: string } {
  const kid = ring.activeKeyId
  const masterKey = ring.keyFor(kid)
  if (masterKey === undefined)
    throw new CredentialEncryptError(`Active master key "${kid}" is missing from the ring`)
  const { iv, ciphertext, tag } = sealBytes(masterKey, dek, wrapAad(kid, recordAad))
  return { kid, wrappedKey: Buffer.concat([iv, ciphertext, tag]).toString('base64') }
}

function unwrapDek(ring: MasterKeyRing, parsed: ParsedSealed, recordAad: string): Buffer {
  const masterKey = ring.keyFor(parsed.kid)
  if (masterKey === undefined) {
    throw new CredentialDecryptError('unknown-key', `master key "${parsed.kid}" is not configured`)
  }
  const wrapped = parsed.wrappedKey
  const dek = openBytes(
    masterKey,
    wrapped.subarray(0, IV_BYTES),
    wrapped.subarray(IV_BYTES, IV_BYTES + DEK_BYTES),
    wrapped.subarray(IV_BYTES + DEK_BYTES),
    wrapAad(parsed.kid, recordAad),
  )
  if (dek === undefined || dek.length !== DEK_BYTES) {
    dek?.fill(0)
    throw new CredentialDecryptError('authentication-failed', 'integrity check failed')
  }
  return dek
}

function assertRecordAad(aad: unknown): asserts aad is string {
  if (typeof aad !== 'string' || aad === '') {
    throw new CredentialEncryptError('Record AAD must be a non-empty string such as `account:<id>`')
  }
}

function encodePlaintext(plaintext: CredentialPlaintext): Buffer {
  if (typeof plaintext === 'string') return Buffer.from(JSON.stringify(plaintext), 'utf8')
  if (plaintext === null || typeof plaintext !== 'object' || Array.isArray(plaintext)) {
    throw new CredentialEncryptError('Credentials must be a string or an object of strings')
  }
  for (const [field, value] of Object.entries(plaintext)) {
    if (typeof value !== 'string') {
      throw new CredentialEncryptError(`Credential field "${field}" must be a string`)
    }
  }
  return Buffer.from(JSON.stringify(plaintext), 'utf8')
}

function decodePlaintext(bytes: Buffer): CredentialPlaintext {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new CredentialDecryptError('malformed', 'payload is not valid JSON')
  }
  if (typeof value === 'string') return value
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record: Record<string, string> = {}
    for (const [field, fieldValue] of Object.entries(value)) {
      if (typeof fieldValue !== 'string')
        throw new CredentialDecryptError('malformed', 'payload has non-string values')
      record[field] = fieldValue
    }
    return record
  }
  throw new CredentialDecryptError('malformed', 'payload has an unexpected shape')
}

interface ParsedSealed {
  readonly sealed: SealedCredentials
  readonly kid: string
  readonly wrappedKey: Buffer
  readonly iv: Buffer
  readonly tag: Buffer
  readonly ciphertext: Buffer
}

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function decodeField(record: Record<string, unknown>, field: string, length?: number): Buffer {
  const text = record[field]
  if (typeof text !== 'string' || !BASE64_PATTERN.test(text)) {
    throw new CredentialDecryptError('malformed', `field "${field}" is not base64`)
  }
  const bytes = Buffer.from(text, 'base64')
  // Canonical encoding only: otherwise distinct stored strings could open to the same value.
  if (bytes.toString('base64') !== text)
    throw new CredentialDecryptError('malformed', `field "${field}" is not base64`)
  if (length !== undefined && bytes.length !== length) {
    throw new CredentialDecryptError('malformed', `field "${field}" has the wrong length`)
  }
  return bytes
}

function parseSealed(input: unknown): ParsedSealed {
  let value = input
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      throw new CredentialDecryptError('malformed', 'sealed value is not valid JSON')
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CredentialDecryptError('malformed', 'sealed value is not an object')
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  if (keys.length !== SEALED_KEYS.length || !SEALED_KEYS.every((key) => Object.hasOwn(record, key))) {
    throw new CredentialDecryptError('malformed', 'sealed value has unexpected fields')
  }
  if (record.v !== SEALED_CREDENTIALS_VERSION) {
    throw new CredentialDecryptError('malformed', 'unsupported sealed value version')
  }
  const kid = record.kid
  if (typeof kid !== 'string' || kid === '' || kid.length > 64) {
    throw new CredentialDecryptError('malformed', 'field "kid" is invalid')
  }
  const ciphertext = decodeField(record, 'ciphertext')
  if (ciphertext.length === 0) throw new CredentialDecryptError('malformed', 'field "ciphertext" is empty')
  const parsed = {
    kid,
    wrappedKey: decodeField(record, 'wrappedKey', WRAPPED_KEY_BYTES),
    iv: decodeField(record, 'iv', IV_BYTES),
    tag: decodeField(record, 'tag', TAG_BYTES),
    ciphertext,
  }
  return {
    ...parsed,
    sealed: {
      v: SEALED_CREDENTIALS_VERSION,
      kid,
      wrappedKey: record.wrappedKey as string,
      iv: record.iv as string,
      tag: record.tag as string,
      ciphertext: record.ciphertext as string,
    },
  }
}

function openPayload(parsed: ParsedSealed, dek: Buffer, recordAad: string): Buffer {
  const plaintext = openBytes(dek, parsed.iv, parsed.ciphertext, parsed.tag, payloadAad(recordAad))
  if (plaintext === undefined)
    throw new CredentialDecryptError('authentication-failed', 'integrity check failed')
  return plaintext
}

function assertDecryptAad(aad: unknown): asserts aad is string {
  if (typeof aad !== 'string' || aad === '') {
    throw new CredentialDecryptError('malformed', 'record AAD is missing')
  }
}

/**
 * Seals credentials for one record. `aad` identifies the owning record (e.g. `account:<uuid>`) and must be
 * passed again, unchanged, to decrypt.
 */
export function encryptCredentials(
  ring: MasterKeyRing,
  plaintext: CredentialPlaintext,
  aad: string,
): SealedCredentials {
  assertRecordAad(aad)
  const payload = encodePlaintext(plaintext)
  const dek = randomBytes(DEK_BYTES)
  try {
    const { iv, ciphertext, tag } = sealBytes(dek, payload, payloadAad(aad))
    const { kid, wrappedKey } = wrapDek(ring, dek, aad)
    return {
      v: SEALED_CREDENTIALS_VERSION,
      kid,
      wrappedKey,
      iv: iv.toString('base64'),
      tag: tag.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    }
  } finally {
    dek.fill(0)
    payload.fill(0)
  }
}

/**
 * Opens a sealed value (object, or its JSON text). Throws `CredentialDecryptError` on anything but an intact
 * value sealed for this `aad` under a key present in `ring`.
 */
export function decryptCredentials(
  ring: MasterKeyRing,
  sealed: SealedCredentials | string,
  aad: string,
): CredentialPlaintext {
  assertDecryptAad(aad)
  const parsed = parseSealed(sealed)
  const dek = unwrapDek(ring, parsed, aad)
  let plaintext: Buffer | undefined
  try {
    plaintext = openPayload(parsed, dek, aad)
    return decodePlaintext(plaintext)
  } finally {
    dek.fill(0)
    plaintext?.fill(0)
  }
}

/**
 * Re-wraps the data key under the ring's active master key; `iv`, `tag` and `ciphertext` are kept as they are.
 * The whole value is authenticated first, so rotation never re-wraps a damaged or foreign record (it throws
 * `CredentialDecryptError` instead). A value already under the active key is returned unchanged (the same
 * object when an object was passed).
 */
export function rewrapCredentials(
  ring: MasterKeyRing,
  sealed: SealedCredentials | string,
  aad: string,
): SealedCredentials {
  assertDecryptAad(aad)
  const parsed = parseSealed(sealed)
  const dek = unwrapDek(ring, parsed, aad)
  try {
    openPayload(parsed, dek, aad).fill(0)
    if (parsed.kid === ring.activeKeyId) return typeof sealed === 'string' ? parsed.sealed : sealed
    const { kid, wrappedKey } = wrapDek(ring, dek, aad)
    return { ...parsed.sealed, kid, wrappedKey }
  } finally {
    dek.fill(0)
  }
}

/** True when the value is wrapped by a key other than the active one, i.e. a rotation run still has work. */
export function needsRewrap(ring: MasterKeyRing, sealed: SealedCredentials): boolean {
  return sealed.kid !== ring.activeKeyId
}
