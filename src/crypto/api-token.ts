/**
 * API tokens for the GraphQL API: `agk_<prefix>_<secret>`.
 *
 * - `agk_` makes leaked tokens recognisable to secret scanners and to humans.
 * - `<prefix>`: 8 random base62 characters, stored in clear so a token can be found by prefix and shown in
 *   listings ("agk_Ab12Cd34_…") without storing anything that authenticates.
 * - `<secret>`: 43 random base62 characters, i.e. ~256 bits.
 *
 * Only the SHA-256 of the whole token is stored. A slow password hash (bcrypt, scrypt, argon2) exists to make
 * guessing low-entropy human passwords expensive; with ~256 random bits there is nothing to guess, and a fast
 * hash keeps the per-request check cheap. The token is shown once, at creation.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export const API_TOKEN_SCHEME = 'agk'
export const API_TOKEN_PREFIX_LENGTH = 8
export const API_TOKEN_SECRET_LENGTH = 43

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
// 62 * 4 = 248: bytes at or above this are rejected so every character is equally likely (no modulo bias).
const UNBIASED_BYTE_LIMIT = 248
const TOKEN_PATTERN = new RegExp(
  `^${API_TOKEN_SCHEME}_([0-9A-Za-z]{${API_TOKEN_PREFIX_LENGTH}})_[0-9A-Za-z]{${API_TOKEN_SECRET_LENGTH}}$`,
)
const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/

function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    // Ask for a little more than needed; ~3% of bytes are rejected.
    const bytes = randomBytes(length - out.length + 8)
    for (const byte of bytes) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue
      out += BASE62[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

export interface GeneratedApiToken {
  /** The full token: return it to the user once, never store or log it. */
  readonly token: string
  /** Public lookup/display part. Not unique by construction: look up by prefix, then compare hashes. */
  readonly prefix: string
  /** SHA-256 hex of the full token; the only thing stored. */
  readonly hash: string
}

export function generateApiToken(): GeneratedApiToken {
  const prefix = randomBase62(API_TOKEN_PREFIX_LENGTH)
  const token = `${API_TOKEN_SCHEME}_${prefix}_${randomBase62(API_TOKEN_SECRET_LENGTH)}`
  return { token, prefix, hash: hashApiToken(token) }
}

/** Returns the prefix of a well-formed token, or null, so malformed input is rejected before any lookup. */
export function parseApiToken(text: string): { prefix: string } | null {
  const match = TOKEN_PATTERN.exec(text)
  const prefix = match?.[1]
  return prefix === undefined ? null : { prefix }
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Constant-time comparison of a presented token against a stored hash. */
export function verifyApiTokenHash(token: string, hash: string): boolean {
  if (!SHA256_HEX_PATTERN.test(hash)) return false
  const expected = Buffer.from(hash, 'hex')
  const actual = createHash('sha256').update(token, 'utf8').digest()
  return timingSafeEqual(actual, expected)
}
