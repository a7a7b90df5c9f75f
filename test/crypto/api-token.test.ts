import { describe, expect, it } from 'vitest'
import {
  API_TOKEN_PREFIX_LENGTH,
  API_TOKEN_SECRET_LENGTH,
  generateApiToken,
  hashApiToken,
  parseApiToken,
  verifyApiTokenHash,
} from '../../src/crypto/api-token.ts'

describe('api tokens', () => {
  it('given a generated token, when inspected, then it has the agk_<prefix>_<secret> shape with enough entropy', () => {
    const { token, prefix, hash } = generateApiToken()
    expect(token).toMatch(/^agk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/)
    expect(prefix).toHaveLength(API_TOKEN_PREFIX_LENGTH)
    expect(token.startsWith(`agk_${prefix}_`)).toBe(true)
    // 43 base62 characters carry at least 256 bits, i.e. the 32 bytes asked for.
    expect(API_TOKEN_SECRET_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(256)
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(hash).toBe(hashApiToken(token))
    expect(hash).not.toContain(token)
  })

  it('given two generated tokens, when compared, then token, prefix and hash all differ', () => {
    const a = generateApiToken()
    const b = generateApiToken()
    expect(a.token).not.toBe(b.token)
    expect(a.prefix).not.toBe(b.prefix)
    expect(a.hash).not.toBe(b.hash)
  })

  it('given many generated tokens, when the characters are counted, then the whole base62 alphabet is used', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 50; i++) {
      for (const char of generateApiToken().token.slice(4).replace('_', '')) seen.add(char)
    }
    expect(seen.size).toBe(62)
  })

  it('given a well-formed token, when parsed, then its prefix is returned', () => {
    const { token, prefix } = generateApiToken()
    expect(parseApiToken(token)).toEqual({ prefix })
  })

  it.each([
    ['empty string', ''],
    ['wrong scheme', 'agx_Ab12Cd34_0123456789012345678901234567890123456789012'],
    ['short prefix', 'agk_Ab12Cd3_0123456789012345678901234567890123456789012'],
    ['short secret', 'agk_Ab12Cd34_012345678901234567890123456789012345678901'],
    ['long secret', 'agk_Ab12Cd34_01234567890123456789012345678901234567890123'],
    ['non-base62 character', 'agk_Ab12Cd34_0123456789012345678901234567890123456789-12'],
    ['surrounding whitespace', ' agk_Ab12Cd34_0123456789012345678901234567890123456789012 '],
    ['bearer scheme left in', 'Bearer agk_Ab12Cd34_0123456789012345678901234567890123456789012'],
  ])('given a malformed token (%s), when parsed, then null is returned', (_label, text) => {
    expect(parseApiToken(text)).toBeNull()
  })

  it('given a token and its stored hash, when verified, then it matches', () => {
    const { token, hash } = generateApiToken()
    expect(verifyApiTokenHash(token, hash)).toBe(true)
  })

  it('given a different token or a damaged hash, when verified, then it does not match', () => {
    const { token, hash } = generateApiToken()
    const other = generateApiToken()
    expect(verifyApiTokenHash(other.token, hash)).toBe(false)
    const lastChar = token.at(-1) === 'a' ? 'b' : 'a'
    expect(verifyApiTokenHash(`${token.slice(0, -1)}${lastChar}`, hash)).toBe(false)
    expect(verifyApiTokenHash(token, '')).toBe(false)
    expect(verifyApiTokenHash(token, hash.slice(0, 62))).toBe(false)
    expect(verifyApiTokenHash(token, `${hash}00`)).toBe(false)
    expect(verifyApiTokenHash(token, 'z'.repeat(64))).toBe(false)
  })
})
