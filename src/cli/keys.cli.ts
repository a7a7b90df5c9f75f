import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadMasterKeys } from '../bootstrap.ts'
import { loadConfig } from '../config.ts'
import { keyFileIds, prependKeyToFile, removeKeyFromFile } from '../crypto/key-file.ts'
import { countRecordsByKey, KeyRotationError, rotateMasterKey } from '../crypto/key-rotation.ts'
import { generateMasterKeyEntry, type MasterKeyRing } from '../crypto/master-key.ts'
import { type Database, openDatabase } from '../db/database.ts'
import { createLogger } from '../logger.ts'

const USAGE = `usage:
  npm run keys -- add [--id <key id>]        new active master key (key file: prepended; AFFGRAPH_MASTER_KEY: printed)
  npm run keys -- rotate [--batch-size <n>] [--pause-ms <ms>] [--server-stopped]
                                             re-wrap every stored data key under the active master key
  npm run keys -- status [--server-stopped]  stored credentials per master key id
  npm run keys -- retire <key id> [--server-stopped]
                                             drop a key from the key file once no record uses it

On the embedded database (no DATABASE_URL) only one process may open the data directory: stop the server and
pass --server-stopped, or restart the server with the new key first, which re-wraps at start by itself.`

type Command = 'add' | 'rotate' | 'status' | 'retire'
const COMMANDS: readonly Command[] = ['add', 'rotate', 'status', 'retire']

function nextKeyId(existing: readonly string[]): string {
  const taken = new Set(existing)
  let n = existing.length + 1
  while (taken.has(`k${n}`)) n++
  return `k${n}`
}

function wholeNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number`)
  return Number(value)
}

class UsageError extends Error {
  readonly code = 'KEYS_USAGE' as const
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      id: { type: 'string' },
      'batch-size': { type: 'string' },
      'pause-ms': { type: 'string' },
      'server-stopped': { type: 'boolean', default: false },
    },
  })
  const command = positionals[0] as Command | undefined
  if (!command || !COMMANDS.includes(command) || (command === 'retire') !== (positionals.length === 2)) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  if (command !== 'retire' && positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const config = loadConfig()
  // Logs go to stderr so that stdout carries only what scripts read.
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    destination: process.stderr as never,
  })
  const keyFile = join(config.dataDir, 'master.key')
  const fromEnv = config.masterKey !== undefined

  if (command === 'add') {
    const ring = await loadMasterKeys(config, logger)
    const id = values.id ?? nextKeyId(ring.keyIds)
    if (!fromEnv) {
      await prependKeyToFile(keyFile, id)
      process.stdout.write(
        `Added master key "${id}" to ${keyFile} as the active key (keys now: ${(await keyFileIds(keyFile)).join(', ')}).\n` +
          'Restart the server: it re-wraps stored credentials under the new key at start (or run `npm run keys -- rotate`).\n',
      )
      return 0
    }
    if (ring.has(id)) throw new UsageError(`Master key id "${id}" is already configured`)
    // The new entry is the only key material this command ever prints; the configured keys are never echoed.
    process.stdout.write(
      `New master key "${id}". Put this entry first in AFFGRAPH_MASTER_KEY, followed by a comma and the current entries (${ring.keyIds.join(', ')}), restart, then rotate:\n${generateMasterKeyEntry(id)}\n`,
    )
    return 0
  }

  if (!config.databaseUrl && !values['server-stopped']) {
    throw new KeyRotationError(
      'KEY_ROTATION_EMBEDDED_DATABASE',
      'The embedded database cannot be opened while a server or worker uses it, and nothing here can tell whether one does. ' +
        'Stop them and pass --server-stopped, or restart the server with the new key first: it re-wraps at start.',
    )
  }
  const ring = await loadMasterKeys(config, logger)
  if (command === 'retire') assertRetirable(ring, positionals[1] ?? '')
  const db = await openDatabase({ url: config.databaseUrl, pgliteDir: join(config.dataDir, 'pglite') })
  try {
    if (command === 'status') return await status(db, ring)
    if (command === 'retire') return await retire(db, positionals[1] ?? '', fromEnv, keyFile)
    return await rotate(db, ring, {
      batchSize: wholeNumber(values['batch-size'], config.keyRotation.batchSize, 'batch-size'),
      pauseMs: wholeNumber(values['pause-ms'], config.keyRotation.pauseMs, 'pause-ms'),
    })
  } finally {
    await db.close()
  }
}

async function status(db: Database, ring: MasterKeyRing): Promise<number> {
  const counts = await countRecordsByKey(db)
  process.stdout.write(`active key: ${ring.activeKeyId}\n`)
  for (const id of new Set([...ring.keyIds, ...counts.keys()])) {
    const where = ring.has(id) ? (id === ring.activeKeyId ? 'active' : 'configured') : 'NOT CONFIGURED'
    process.stdout.write(`${id}\t${counts.get(id) ?? 0}\t${where}\n`)
  }
  return 0
}

function assertRetirable(ring: MasterKeyRing, id: string): void {
  if (!ring.has(id))
    throw new KeyRotationError('KEY_ROTATION_NO_SUCH_KEY', `No master key "${id}" is configured`)
  if (id === ring.activeKeyId) {
    throw new KeyRotationError(
      'KEY_ROTATION_ACTIVE_KEY',
      `Master key "${id}" is the active key; add a new one and rotate before retiring it`,
    )
  }
}

async function retire(db: Database, id: string, fromEnv: boolean, keyFile: string): Promise<number> {
  const inUse = (await countRecordsByKey(db)).get(id) ?? 0
  if (inUse > 0) {
    throw new KeyRotationError(
      'KEY_ROTATION_KEY_IN_USE',
      `Master key "${id}" still wraps ${inUse} stored credential(s); run \`npm run keys -- rotate\` first`,
    )
  }
  if (fromEnv) {
    process.stdout.write(
      `No stored credential uses master key "${id}": remove its entry from AFFGRAPH_MASTER_KEY and restart.\n`,
    )
    return 0
  }
  await removeKeyFromFile(keyFile, id)
  process.stdout.write(`Retired master key "${id}" (keys now: ${(await keyFileIds(keyFile)).join(', ')}).\n`)
  return 0
}

async function rotate(
  db: Database,
  ring: MasterKeyRing,
  options: { batchSize: number; pauseMs: number },
): Promise<number> {
  const counts = (p: { rows: number; rewrapped: number; alreadyCurrent: number; raced: number }) =>
    `rows ${p.rows}, rewrapped ${p.rewrapped}, already current ${p.alreadyCurrent}, changed concurrently ${p.raced}`
  const result = await rotateMasterKey(db, ring, {
    ...options,
    onBatch: (p) => process.stdout.write(`batch done: ${counts(p)}, failed ${p.failed.length}\n`),
  })
  process.stdout.write(
    `rotation to "${ring.activeKeyId}" finished: ${counts(result)}, failed ${result.failed.length}\n`,
  )
  for (const id of result.failed) process.stdout.write(`failed: account ${id}\n`)
  return result.failed.length > 0 ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const code = (error as { code?: unknown }).code
    // Known failures print their code and message (which never carry key material); others their message only.
    process.stderr.write(
      `affgraph keys: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}\n`,
    )
    process.exit(error instanceof UsageError ? 2 : 1)
  },
)
