import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_MASTER_KEY_ID,
  generateMasterKeyEntry,
  loadOrCreateKeyFile,
  MasterKeyError,
  MasterKeyRing,
  parseMasterKeys,
  resolveMasterKeyRing,
} from '../../src/crypto/master-key.ts'

const posixOnly = process.platform === 'win32' ? it.skip : it

function catchError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

describe('parseMasterKeys', () => {
  it('given a bare base64 key, when parsed, then it becomes the active key with id k1', () => {
    const key = randomBytes(32)
    const ring = parseMasterKeys(key.toString('base64'))
    expect(ring.activeKeyId).toBe(DEFAULT_MASTER_KEY_ID)
    expect(ring.keyFor('k1')?.equals(key)).toBe(true)
  })

  it('given several id:key entries, when parsed, then the first is active and all are available in order', () => {
    const ring = parseMasterKeys(
      ` ${generateMasterKeyEntry('k3')}, ${generateMasterKeyEntry('k2')} ,${generateMasterKeyEntry('k1')}\n`,
    )
    expect(ring.activeKeyId).toBe('k3')
    expect(ring.keyIds).toEqual(['k3', 'k2', 'k1'])
    expect(ring.has('k2')).toBe(true)
    expect(ring.has('k9')).toBe(false)
  })

  it('given a url-safe or unpadded base64 key, when parsed, then it decodes to the same bytes', () => {
    const key = randomBytes(32)
    expect(
      parseMasterKeys(`a:${key.toString('base64url')}`)
        .keyFor('a')
        ?.equals(key),
    ).toBe(true)
    expect(
      parseMasterKeys(`a:${key.toString('base64').replace(/=+$/, '')}`)
        .keyFor('a')
        ?.equals(key),
    ).toBe(true)
  })

  it.each([
    ['empty value', '   ', 'MASTER_KEY_EMPTY'],
    ['stray comma', `${generateMasterKeyEntry('k1')},`, 'MASTER_KEY_EMPTY'],
    ['16-byte key', `k1:${randomBytes(16).toString('base64')}`, 'MASTER_KEY_INVALID_LENGTH'],
    ['33-byte key', `k1:${randomBytes(33).toString('base64')}`, 'MASTER_KEY_INVALID_LENGTH'],
    ['hex instead of base64', `k1:${randomBytes(32).toString('hex')}`, 'MASTER_KEY_INVALID_LENGTH'],
    [
      'invalid base64 characters',
      `k1:${randomBytes(32).toString('base64').slice(0, 40)}!!!=`,
      'MASTER_KEY_INVALID_BASE64',
    ],
    ['empty key after the id', 'k1:', 'MASTER_KEY_INVALID_BASE64'],
    [
      'duplicate ids',
      `${generateMasterKeyEntry('k1')},${generateMasterKeyEntry('k1')}`,
      'MASTER_KEY_DUPLICATE_ID',
    ],
    [
      'two bare keys (both k1)',
      `${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')}`,
      'MASTER_KEY_DUPLICATE_ID',
    ],
    ['empty id', `:${randomBytes(32).toString('base64')}`, 'MASTER_KEY_INVALID_ID'],
    ['id with spaces', `my key:${randomBytes(32).toString('base64')}`, 'MASTER_KEY_INVALID_ID'],
  ])('given %s, when parsed, then a MasterKeyError with a stable code is thrown', (_label, value, code) => {
    const error = catchError(() => parseMasterKeys(value))
    expect(error).toBeInstanceOf(MasterKeyError)
    expect((error as MasterKeyError).code).toBe(code)
  })

  it('given a bad key, when the error is reported, then no part of the key value appears in the message', () => {
    const shortKey = randomBytes(31).toString('base64')
    const reversed = `${randomBytes(32).toString('base64')}:k1`
    for (const value of [`k1:${shortKey}`, reversed, `k1:${shortKey.slice(0, 20)}*${shortKey.slice(20)}`]) {
      const error = catchError(() => parseMasterKeys(value)) as MasterKeyError
      expect(error).toBeInstanceOf(MasterKeyError)
      const secretPart = value.includes('k1:') ? value.slice(3) : value.slice(0, -3)
      expect(error.message).not.toContain(secretPart.slice(0, 12))
      expect(inspect(error)).not.toContain(secretPart.slice(0, 12))
    }
  })

  it('given a ring, when logged or serialised, then key bytes are not shown', () => {
    const key = randomBytes(32)
    const ring = parseMasterKeys(`main:${key.toString('base64')}`)
    for (const text of [inspect(ring), inspect({ ring }), JSON.stringify({ ring }), String(ring)]) {
      expect(text).not.toContain(key.toString('base64').slice(0, 12))
      expect(text).not.toContain(key.toString('hex').slice(0, 12))
    }
    expect(JSON.stringify(ring)).toBe('{"activeKeyId":"main","keyIds":["main"]}')
  })

  it('given a buffer used to build a ring, when the caller zeroes it, then the ring keeps its key', () => {
    const key = randomBytes(32)
    const copy = Buffer.from(key)
    const ring = new MasterKeyRing([{ id: 'k1', key }])
    key.fill(0)
    expect(ring.keyFor('k1')?.equals(copy)).toBe(true)
  })
})

describe('generateMasterKeyEntry', () => {
  it('given an id, when an entry is generated, then it parses back to a fresh 32-byte key under that id', () => {
    const a = generateMasterKeyEntry('k2')
    const b = generateMasterKeyEntry('k2')
    expect(a).toMatch(/^k2:[A-Za-z0-9+/]{43}=$/)
    expect(a).not.toBe(b)
    expect(parseMasterKeys(a).keyFor('k2')).toHaveLength(32)
  })

  it('given an invalid id, when an entry is generated, then MasterKeyError is thrown', () => {
    expect(() => generateMasterKeyEntry('a,b')).toThrow(MasterKeyError)
    expect(() => generateMasterKeyEntry('')).toThrow(MasterKeyError)
  })
})

describe('loadOrCreateKeyFile', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'affgraph-master-key-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  posixOnly(
    'given no key file, when loaded, then one is created with mode 0600 in a new parent directory',
    async () => {
      const path = join(dir, 'nested', 'data', 'master.key')
      const { ring, created } = await loadOrCreateKeyFile(path)
      expect(created).toBe(true)
      expect(ring.activeKeyId).toBe('k1')
      expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect((await readFile(path, 'utf8')).trim()).toMatch(/^k1:[A-Za-z0-9+/]{43}=$/)
    },
  )

  it('given an existing key file, when loaded again, then the same key is returned and nothing is created', async () => {
    const path = join(dir, 'master.key')
    const first = await loadOrCreateKeyFile(path)
    const second = await loadOrCreateKeyFile(path)
    expect(second.created).toBe(false)
    expect(second.ring.keyFor('k1')?.equals(first.ring.keyFor('k1') ?? Buffer.alloc(0))).toBe(true)
  })

  it('given two processes starting at once, when both load the key file, then both end up with the same key', async () => {
    const path = join(dir, 'master.key')
    const results = await Promise.all([
      loadOrCreateKeyFile(path),
      loadOrCreateKeyFile(path),
      loadOrCreateKeyFile(path),
    ])
    expect(results.filter((result) => result.created)).toHaveLength(1)
    const key = results[0]?.ring.keyFor('k1')
    for (const result of results) expect(result.ring.keyFor('k1')?.equals(key ?? Buffer.alloc(0))).toBe(true)
  })

  posixOnly(
    'given a key file readable by others (0644), when loaded, then it is refused with the chmod fix',
    async () => {
      const path = join(dir, 'master.key')
      await writeFile(path, `${generateMasterKeyEntry('k1')}\n`, { mode: 0o644 })
      await chmod(path, 0o644)
      const error = await loadOrCreateKeyFile(path).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(MasterKeyError)
      expect((error as MasterKeyError).code).toBe('MASTER_KEY_FILE_PERMISSIONS')
      expect((error as MasterKeyError).message).toContain(path)
      expect((error as MasterKeyError).message).toContain(`chmod 600 ${path}`)
      // Refusing must not replace the operator's file.
      expect((await stat(path)).mode & 0o777).toBe(0o644)
    },
  )

  posixOnly('given a key file with owner-only read (0400), when loaded, then it is accepted', async () => {
    const path = join(dir, 'master.key')
    const entry = generateMasterKeyEntry('k7')
    await writeFile(path, entry, { mode: 0o600 })
    await chmod(path, 0o400)
    const { ring, created } = await loadOrCreateKeyFile(path)
    expect(created).toBe(false)
    expect(ring.keyFor('k7')?.equals(parseMasterKeys(entry).keyFor('k7') ?? Buffer.alloc(0))).toBe(true)
  })

  it('given an empty or corrupt key file, when loaded, then MasterKeyError names the file', async () => {
    const empty = join(dir, 'empty.key')
    await writeFile(empty, '\n', { mode: 0o600 })
    await expect(loadOrCreateKeyFile(empty)).rejects.toMatchObject({ code: 'MASTER_KEY_FILE_INVALID' })
    const corrupt = join(dir, 'corrupt.key')
    await writeFile(corrupt, 'k1:not-a-key', { mode: 0o600 })
    await expect(loadOrCreateKeyFile(corrupt)).rejects.toThrow(corrupt)
  })
})

describe('resolveMasterKeyRing', () => {
  it('given an env value, when resolved, then it wins and no file is touched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'affgraph-master-key-'))
    try {
      const path = join(dir, 'master.key')
      const result = await resolveMasterKeyRing({
        envValue: generateMasterKeyEntry('env1'),
        keyFilePath: path,
      })
      expect(result).toMatchObject({ source: 'env', created: false })
      expect(result.ring.activeKeyId).toBe('env1')
      await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
      const fallback = await resolveMasterKeyRing({ envValue: ' ', keyFilePath: path })
      expect(fallback).toMatchObject({ source: 'file', created: true })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
