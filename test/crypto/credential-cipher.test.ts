import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  CredentialDecryptError,
  CredentialEncryptError,
  decryptCredentials,
  encryptCredentials,
  needsRewrap,
  rewrapCredentials,
  type SealedCredentials,
} from '../../src/crypto/credential-cipher.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../../src/crypto/master-key.ts'

const oldEntry = generateMasterKeyEntry('old')
const newEntry = generateMasterKeyEntry('new')
const oldRing = parseMasterKeys(oldEntry)
const newOnlyRing = parseMasterKeys(newEntry)
const rotatingRing = parseMasterKeys(`${newEntry},${oldEntry}`)

const SECRET = 'sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0'
const credentials = { apiKey: SECRET, affiliateId: '12345', baseUrl: 'https://partners.example.com' }
const AAD = 'account:3b241101-e2bb-4255-8caf-4136c566a962'
const OTHER_AAD = 'account:0b8d6ef4-94c1-4d43-b5ad-17a0d1f7c0a1'

type BinaryField = 'ciphertext' | 'iv' | 'tag' | 'wrappedKey'

function withFlippedByte(sealed: SealedCredentials, field: BinaryField, index: number): SealedCredentials {
  const bytes = Buffer.from(sealed[field], 'base64')
  bytes[index] = (bytes[index] ?? 0) ^ 0x01
  return { ...sealed, [field]: bytes.toString('base64') }
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/**
 * 16 bytes encode as 22 characters + `==`; the last character carries 4 unused bits. Changing one of them gives
 * a different string that Node decodes to the same bytes, which must still be rejected.
 */
function nonCanonicalBase64(text: string): string {
  const last = text.at(-3) ?? 'A'
  const swapped = BASE64_ALPHABET[BASE64_ALPHABET.indexOf(last) ^ 1] ?? 'A'
  const result = `${text.slice(0, -3)}${swapped}==`
  expect(Buffer.from(result, 'base64').equals(Buffer.from(text, 'base64'))).toBe(true)
  return result
}

function expectDecryptFailure(
  fn: () => unknown,
  reason?: CredentialDecryptError['reason'],
): CredentialDecryptError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(CredentialDecryptError)
  const error = caught as CredentialDecryptError
  expect(error.code).toBe('CREDENTIAL_DECRYPT_FAILED')
  if (reason !== undefined) expect(error.reason).toBe(reason)
  expect(error.message).not.toContain(SECRET)
  return error
}

describe('encryptCredentials / decryptCredentials', () => {
  it('given an object of credentials, when sealed and opened with the same AAD, then the same object comes back', () => {
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    expect(decryptCredentials(oldRing, sealed, AAD)).toEqual(credentials)
  })

  it('given a single string credential, when sealed and opened, then the same string comes back', () => {
    const sealed = encryptCredentials(oldRing, SECRET, AAD)
    expect(decryptCredentials(oldRing, sealed, AAD)).toBe(SECRET)
  })

  it('given non-ASCII and empty values, when sealed and opened, then they survive unchanged', () => {
    const odd = { password: 'pässwörd-🔑', empty: '', quote: '"\\\n' }
    expect(decryptCredentials(oldRing, encryptCredentials(oldRing, odd, AAD), AAD)).toEqual(odd)
  })

  it('given a sealed value, when stored as JSON text and read back, then it still opens', () => {
    const stored = JSON.stringify(encryptCredentials(oldRing, credentials, AAD))
    expect(decryptCredentials(oldRing, stored, AAD)).toEqual(credentials)
    expect(decryptCredentials(oldRing, JSON.parse(stored) as SealedCredentials, AAD)).toEqual(credentials)
  })

  it('given a sealed value, when inspected, then it has the documented v1 shape and sizes', () => {
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    expect(Object.keys(sealed).sort()).toEqual(['ciphertext', 'iv', 'kid', 'tag', 'v', 'wrappedKey'])
    expect(sealed.v).toBe(1)
    expect(sealed.kid).toBe('old')
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12)
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16)
    expect(Buffer.from(sealed.wrappedKey, 'base64')).toHaveLength(60)
    expect(Buffer.from(sealed.ciphertext, 'base64')).toHaveLength(
      Buffer.byteLength(JSON.stringify(credentials)),
    )
  })

  it('given the same credentials sealed twice, when compared, then data key, IVs and ciphertext all differ', () => {
    const a = encryptCredentials(oldRing, credentials, AAD)
    const b = encryptCredentials(oldRing, credentials, AAD)
    expect(a.wrappedKey).not.toBe(b.wrappedKey)
    expect(a.iv).not.toBe(b.iv)
    expect(a.ciphertext).not.toBe(b.ciphertext)
  })

  it('given a sealed value, when its stored JSON is searched, then neither the secret nor any encoding of it appears', () => {
    const stored = JSON.stringify(encryptCredentials(oldRing, credentials, AAD))
    const secret = Buffer.from(SECRET, 'utf8')
    const forbidden = [
      SECRET,
      secret.toString('hex'),
      Buffer.from(JSON.stringify(credentials)).toString('base64'),
    ]
    // base64 of the secret depends on where it starts within a 3-byte group, so check all three alignments.
    for (let shift = 0; shift < 3; shift++) {
      const aligned = Buffer.concat([Buffer.alloc(shift), secret])
      const encoded = aligned.toString('base64').slice(4)
      forbidden.push(encoded.slice(0, 24), aligned.toString('base64url').slice(4, 28))
    }
    for (const text of forbidden) expect(stored).not.toContain(text)
    expect(stored).not.toContain('apiKey')
  })

  it('given a value sealed for one record, when opened with another record AAD, then it fails closed', () => {
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    expectDecryptFailure(() => decryptCredentials(oldRing, sealed, OTHER_AAD), 'authentication-failed')
    expectDecryptFailure(() => decryptCredentials(oldRing, sealed, `${AAD} `), 'authentication-failed')
  })

  it('given two records, when the wrapped key of one is spliced into the other, then it fails closed', () => {
    const a = encryptCredentials(oldRing, credentials, AAD)
    const b = encryptCredentials(oldRing, credentials, OTHER_AAD)
    expectDecryptFailure(() => decryptCredentials(oldRing, { ...a, wrappedKey: b.wrappedKey }, AAD))
    expectDecryptFailure(() => decryptCredentials(oldRing, { ...b, wrappedKey: a.wrappedKey }, AAD))
  })

  it.each(['tag', 'iv', 'wrappedKey', 'ciphertext'] as const)(
    'given a sealed value, when any single byte of %s is flipped, then decryption fails closed',
    (field) => {
      const sealed = encryptCredentials(oldRing, credentials, AAD)
      const length = Buffer.from(sealed[field], 'base64').length
      expect(length).toBeGreaterThan(0)
      for (let index = 0; index < length; index++) {
        expectDecryptFailure(() => decryptCredentials(oldRing, withFlippedByte(sealed, field, index), AAD))
      }
    },
  )

  it('given a sealed value, when its kid is relabelled to another configured key, then it fails closed', () => {
    const sealed = encryptCredentials(rotatingRing, credentials, AAD)
    expectDecryptFailure(
      () => decryptCredentials(rotatingRing, { ...sealed, kid: 'old' }, AAD),
      'authentication-failed',
    )
  })

  it('given a sealed value under a key missing from the ring, when opened, then it fails closed as unknown-key', () => {
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    const error = expectDecryptFailure(() => decryptCredentials(newOnlyRing, sealed, AAD), 'unknown-key')
    expect(error.message).not.toContain(oldEntry.slice(4))
  })

  it.each<[string, unknown]>([
    ['not JSON', '{"v":1,'],
    ['null', null],
    ['an array', []],
    ['a number', 42],
    ['version 2', { v: 2 }],
    ['a missing tag', { v: 1, kid: 'old', wrappedKey: 'AAAA', iv: 'AAAA', ciphertext: 'AAAA' }],
    ['an empty ciphertext', 'ciphertext:'],
    ['a truncated tag', 'tag:trim'],
    ['a truncated wrapped key', 'wrappedKey:trim'],
    ['non-canonical base64 in the tag', 'tag:noncanonical'],
    ['an extra field', 'extra'],
    ['a non-string kid', 'kid:number'],
  ])(
    'given a malformed sealed value (%s), when opened, then it fails closed as malformed',
    (_label, spec) => {
      const sealed = encryptCredentials(oldRing, credentials, AAD)
      let input: unknown = spec
      if (spec === 'ciphertext:') input = { ...sealed, ciphertext: '' }
      if (spec === 'tag:trim')
        input = { ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 12).toString('base64') }
      if (spec === 'wrappedKey:trim') {
        input = {
          ...sealed,
          wrappedKey: Buffer.from(sealed.wrappedKey, 'base64').subarray(0, 59).toString('base64'),
        }
      }
      if (spec === 'tag:noncanonical') input = { ...sealed, tag: nonCanonicalBase64(sealed.tag) }
      if (spec === 'extra') input = { ...sealed, note: 'x' }
      if (spec === 'kid:number') input = { ...sealed, kid: 1 }
      expectDecryptFailure(() => decryptCredentials(oldRing, input as SealedCredentials, AAD), 'malformed')
    },
  )

  it('given an empty AAD, when encrypting, then it is refused; when decrypting, then it fails closed', () => {
    expect(() => encryptCredentials(oldRing, credentials, '')).toThrow(CredentialEncryptError)
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    expectDecryptFailure(() => decryptCredentials(oldRing, sealed, ''), 'malformed')
  })

  it('given credentials with a non-string value, when encrypting, then it is refused without echoing values', () => {
    const bad = { apiKey: SECRET, port: 443 } as unknown as Record<string, string>
    let caught: unknown
    try {
      encryptCredentials(oldRing, bad, AAD)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CredentialEncryptError)
    expect((caught as CredentialEncryptError).code).toBe('CREDENTIAL_ENCRYPT_INVALID_INPUT')
    expect((caught as Error).message).not.toContain(SECRET)
  })
})

describe('sealed format (checked independently of the module, with node:crypto)', () => {
  const masterKey = oldRing.keyFor('old') ?? Buffer.alloc(0)

  function unwrapByHand(sealed: SealedCredentials, recordAad: string): Buffer {
    const wrapped = Buffer.from(sealed.wrappedKey, 'base64')
    const decipher = createDecipheriv('aes-256-gcm', masterKey, wrapped.subarray(0, 12))
    decipher.setAAD(Buffer.from(`affgraph/credentials/v1/dek\0${sealed.kid}\0${recordAad}`))
    decipher.setAuthTag(wrapped.subarray(44))
    return Buffer.concat([decipher.update(wrapped.subarray(12, 44)), decipher.final()])
  }

  function wrapByHand(dek: Buffer, recordAad: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', masterKey, iv)
    cipher.setAAD(Buffer.from(`affgraph/credentials/v1/dek\0old\0${recordAad}`))
    const encrypted = Buffer.concat([cipher.update(dek), cipher.final()])
    return Buffer.concat([iv, encrypted, cipher.getAuthTag()]).toString('base64')
  }

  it('given a sealed value, when opened by hand as documented, then the payload is the JSON of the credentials', () => {
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    const dek = unwrapByHand(sealed, AAD)
    expect(dek).toHaveLength(32)
    const decipher = createDecipheriv('aes-256-gcm', dek, Buffer.from(sealed.iv, 'base64'))
    decipher.setAAD(Buffer.from(`affgraph/credentials/v1/payload\0${AAD}`))
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'))
    const plaintext = Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ])
    expect(JSON.parse(plaintext.toString('utf8'))).toEqual(credentials)
  })

  it('given a data key re-wrapped for another record, when its payload is opened there, then the payload AAD still rejects it', () => {
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    const forged = { ...sealed, wrappedKey: wrapByHand(unwrapByHand(sealed, AAD), OTHER_AAD) }
    // The forged wrap itself is valid for OTHER_AAD; only the payload layer's binding can catch the move.
    expect(unwrapByHand(forged, OTHER_AAD)).toHaveLength(32)
    expectDecryptFailure(() => decryptCredentials(oldRing, forged, OTHER_AAD), 'authentication-failed')
  })
})

describe('rewrapCredentials (master key rotation)', () => {
  it('given a ring [new, old], when an old record is rewrapped, then only the new key is needed to open it', () => {
    const sealedUnderOld = encryptCredentials(oldRing, credentials, AAD)
    expect(needsRewrap(rotatingRing, sealedUnderOld)).toBe(true)

    const rewrapped = rewrapCredentials(rotatingRing, sealedUnderOld, AAD)

    expect(rewrapped.kid).toBe('new')
    expect(needsRewrap(rotatingRing, rewrapped)).toBe(false)
    expect(rewrapped.wrappedKey).not.toBe(sealedUnderOld.wrappedKey)
    expect({ iv: rewrapped.iv, tag: rewrapped.tag, ciphertext: rewrapped.ciphertext }).toEqual({
      iv: sealedUnderOld.iv,
      tag: sealedUnderOld.tag,
      ciphertext: sealedUnderOld.ciphertext,
    })
    expect(decryptCredentials(newOnlyRing, rewrapped, AAD)).toEqual(credentials)
    expectDecryptFailure(() => decryptCredentials(newOnlyRing, sealedUnderOld, AAD), 'unknown-key')
    expectDecryptFailure(() => decryptCredentials(oldRing, rewrapped, AAD), 'unknown-key')
  })

  it('given a record already under the active key, when rewrapped, then the same object is returned', () => {
    const sealed = encryptCredentials(rotatingRing, credentials, AAD)
    expect(rewrapCredentials(rotatingRing, sealed, AAD)).toBe(sealed)
    expect(rewrapCredentials(rotatingRing, JSON.stringify(sealed), AAD)).toEqual(sealed)
  })

  it('given a record, when rewrapped with the wrong AAD, then it fails closed instead of rebinding it', () => {
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    expectDecryptFailure(() => rewrapCredentials(rotatingRing, sealed, OTHER_AAD), 'authentication-failed')
  })

  it('given a record with a damaged payload, when rewrapped, then it fails closed instead of wrapping it anew', () => {
    const sealed = encryptCredentials(oldRing, credentials, AAD)
    expectDecryptFailure(() => rewrapCredentials(rotatingRing, withFlippedByte(sealed, 'ciphertext', 0), AAD))
    const current = encryptCredentials(rotatingRing, credentials, AAD)
    expectDecryptFailure(() => rewrapCredentials(rotatingRing, withFlippedByte(current, 'tag', 3), AAD))
  })

  it('given a record rewrapped for rotation, when moved to another record, then it still fails closed', () => {
    const rewrapped = rewrapCredentials(rotatingRing, encryptCredentials(oldRing, credentials, AAD), AAD)
    expectDecryptFailure(() => decryptCredentials(newOnlyRing, rewrapped, OTHER_AAD), 'authentication-failed')
  })
})
