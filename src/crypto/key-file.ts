/**
 * Edits of the generated master key file (`<dataDir>/master.key`) for rotation: prepend a new active key, drop a
 * retired one. Each edit writes a private temp file and renames it over the old one, so a reader (a server
 * starting at that moment) sees the old file or the new one, never half of either.
 */
import { randomBytes } from 'node:crypto'
import { open, readFile, rename, unlink } from 'node:fs/promises'
import { DEFAULT_MASTER_KEY_ID, generateMasterKeyEntry, parseMasterKeys, readKeyFile } from './master-key.ts'

/** The file's entries as written, keyed by id; the ring parsed alongside proves they are valid. */
async function readEntries(path: string): Promise<{ id: string; entry: string }[]> {
  await readKeyFile(path)
  const content = await readFile(path, 'utf8')
  return content
    .trim()
    .split(',')
    .map((raw) => raw.trim())
    .map((entry) => {
      const colon = entry.indexOf(':')
      return { id: colon === -1 ? DEFAULT_MASTER_KEY_ID : entry.slice(0, colon).trim(), entry }
    })
}

async function writeAtomically(path: string, entries: readonly string[]): Promise<void> {
  const text = `${entries.join(',')}\n`
  // Validated before it replaces anything: a bug here must not leave an unreadable key file.
  parseMasterKeys(text, `Master key file ${path}`)
  const tempPath = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(tempPath, 'wx', 0o600)
  try {
    try {
      await handle.chmod(0o600)
      await handle.writeFile(text, { encoding: 'utf8' })
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tempPath, path)
  } finally {
    await unlink(tempPath).catch(() => undefined)
  }
}

/** Key ids in the file, active first. */
export async function keyFileIds(path: string): Promise<string[]> {
  return (await readEntries(path)).map((e) => e.id)
}

/** Prepends a fresh key, which becomes the active one; the others stay to open records not yet re-wrapped. */
export async function prependKeyToFile(path: string, id: string): Promise<void> {
  const entries = await readEntries(path)
  const fresh = generateMasterKeyEntry(id)
  await writeAtomically(path, [fresh, ...entries.map((e) => e.entry)])
}

/** Removes one entry; the caller has checked that no record uses it and that it is not the active one. */
export async function removeKeyFromFile(path: string, id: string): Promise<boolean> {
  const entries = await readEntries(path)
  const kept = entries.filter((e) => e.id !== id)
  if (kept.length === entries.length) return false
  await writeAtomically(
    path,
    kept.map((e) => e.entry),
  )
  return true
}
