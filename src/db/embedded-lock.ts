import { randomBytes } from 'node:crypto'
import { readFileSync, unlinkSync } from 'node:fs'
import { link, readFile, unlink, writeFile } from 'node:fs/promises'

/**
 * PGlite is one process's database: a second process that opens the same directory sees neither the first one's
 * writes nor its locks, and its own writes are lost or corrupt the files. Every process that opens an embedded
 * data directory therefore holds this lock file beside it; a second opener is refused with who holds it, and a
 * server says where its admin socket is, so commands (`npm run token`) can go through it instead.
 */
export interface EmbeddedLockHolder {
  pid: number
  /** What holds the database: the server, a worker, or a command. */
  role: string
  startedAt: string
  /** Where the holding server takes admin commands, when it is a server. */
  adminSocket?: string
}

export class EmbeddedDatabaseBusyError extends Error {
  readonly code = 'EMBEDDED_DATABASE_BUSY'
  override readonly name = 'EmbeddedDatabaseBusyError'
  readonly directory: string
  readonly holder: EmbeddedLockHolder
  constructor(directory: string, holder: EmbeddedLockHolder) {
    super(
      `the embedded database in ${directory} is open in another process (${holder.role}, pid ${holder.pid}, since ` +
        `${holder.startedAt}); only one process may open it. Stop that process first, or set DATABASE_URL to a ` +
        'PostgreSQL server, which any number of processes can share.',
    )
    this.directory = directory
    this.holder = holder
  }
}

export const lockPathOf = (directory: string) => `${directory.replace(/\/+$/, '')}.lock`

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The live holder of a directory's lock, or null when nobody (or only a dead process) holds it. */
export async function embeddedLockHolder(directory: string): Promise<EmbeddedLockHolder | null> {
  try {
    const holder = JSON.parse(await readFile(lockPathOf(directory), 'utf8')) as EmbeddedLockHolder
    return Number.isInteger(holder.pid) && alive(holder.pid) ? holder : null
  } catch {
    return null
  }
}

export interface EmbeddedLock {
  readonly path: string
  /** Records more about the holder (the server's admin socket). */
  update(fields: Partial<EmbeddedLockHolder>): Promise<void>
  release(): Promise<void>
}

/**
 * Takes the lock or throws EmbeddedDatabaseBusyError. The file is linked into place, which fails when it exists,
 * so two processes starting at once cannot both win; a lock left by a process that died is taken over.
 */
export async function acquireEmbeddedLock(directory: string, role: string): Promise<EmbeddedLock> {
  const path = lockPathOf(directory)
  let holder: EmbeddedLockHolder = { pid: process.pid, role, startedAt: new Date().toISOString() }
  const write = async (target: string) => writeFile(target, `${JSON.stringify(holder)}\n`, { mode: 0o600 })
  for (let attempt = 0; ; attempt++) {
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
    await write(temp)
    try {
      await link(temp, path)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 3) throw error
      const current = await embeddedLockHolder(directory)
      if (current) throw new EmbeddedDatabaseBusyError(directory, current)
      // Left behind by a process that is gone.
      await unlink(path).catch(() => undefined)
    } finally {
      await unlink(temp).catch(() => undefined)
    }
  }
  // A process that exits without closing (an uncaught error, process.exit) leaves no lock behind.
  const onExit = () => {
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as EmbeddedLockHolder).pid === process.pid) unlinkSync(path)
    } catch {
      // already gone
    }
  }
  process.once('exit', onExit)
  return {
    path,
    async update(fields) {
      holder = { ...holder, ...fields }
      await write(path)
    },
    async release() {
      process.off('exit', onExit)
      onExit()
    },
  }
}
