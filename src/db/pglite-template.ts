import { constants, readFileSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { migrationsList } from '../../migrations/index.ts'

/**
 * A migrated, empty embedded database made once at install (`npm install` runs `prepare`), so that a first start
 * copies a directory instead of creating a PostgreSQL cluster in WebAssembly and running every migration (seconds
 * to tens of seconds on a busy machine). It lives under node_modules/.cache: a fresh install makes a fresh one,
 * and a template made for other migrations or other PGlite and pg-boss versions is never used.
 */
export const PGLITE_TEMPLATE_DIR = resolve(
  import.meta.dirname,
  '../../node_modules/.cache/affgraph/pglite-template',
)
const MANIFEST = 'affgraph-template.json'

const require = createRequire(import.meta.url)
/** A dependency's version from its package.json (some packages do not export that file). */
function versionOf(name: string): string {
  let dir = dirname(require.resolve(name))
  while (dir !== dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === name && pkg.version) return pkg.version
    } catch {
      // not this directory
    }
    dir = dirname(dir)
  }
  return 'unknown'
}

/** What a template must have been made with to be used. */
export function templateManifest(): Record<string, unknown> {
  return {
    pglite: versionOf('@electric-sql/pglite'),
    pgBoss: versionOf('pg-boss'),
    migrations: migrationsList.map((m) => m.name),
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/**
 * Copies a directory tree with every file copy queued at once. fs.cp copies one entry after another, which for the
 * thousand small files of a cluster took most of a fresh start's copy time; a clone is used where the file system
 * has them.
 */
export async function copyTree(from: string, to: string): Promise<void> {
  const files: [string, string][] = []
  const walk = async (source: string, target: string) => {
    await mkdir(target, { recursive: true })
    for (const entry of await readdir(source, { withFileTypes: true })) {
      const s = join(source, entry.name)
      const t = join(target, entry.name)
      if (entry.isDirectory()) await walk(s, t)
      else files.push([s, t])
    }
  }
  await walk(from, to)
  await Promise.all(files.map(([s, t]) => copyFile(s, t, constants.COPYFILE_FICLONE)))
}

/** Fills a data directory that does not exist yet from the template, when a matching one is there. */
export async function seedFromTemplate(dataDir: string, templateDir = PGLITE_TEMPLATE_DIR): Promise<boolean> {
  if (await exists(join(dataDir, 'PG_VERSION'))) return false
  const manifest = await readFile(join(templateDir, MANIFEST), 'utf8').catch(() => null)
  if (manifest !== JSON.stringify(templateManifest())) return false
  await copyTree(join(templateDir, 'pglite'), dataDir)
  return true
}

/**
 * Makes the template: a cluster created, migrated and given pg-boss's schema, closed, and moved into place with
 * its manifest. Concurrent installs each build in a directory of their own; the last rename wins.
 */
export async function buildPgliteTemplate(templateDir = PGLITE_TEMPLATE_DIR): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { openDatabase } = await import('./database.ts')
  const { createJobQueue } = await import('../sync/job-queue.ts')
  const building = `${templateDir}.${process.pid}`
  await rm(building, { recursive: true, force: true })
  await mkdir(join(building, 'pglite'), { recursive: true })
  const pglite = await PGlite.create({ dataDir: join(building, 'pglite') })
  const db = await openDatabase({ pglite })
  const boss = createJobQueue(db, { schedule: false })
  await boss.start()
  await boss.stop({ graceful: false, close: false, wait: true })
  await db.close()
  await pglite.close()
  await writeFile(join(building, MANIFEST), JSON.stringify(templateManifest()))
  await rm(templateDir, { recursive: true, force: true })
  await rename(building, templateDir)
}
