import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import module from 'node:module'
import { basename, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { z } from 'zod'
import { type AnyPlatform, platformManifestSchema } from '../sdk/index.ts'
import { graphqlStem, type LoadedPlatform, PlatformRegistry } from './platform-registry.ts'

export class PluginLoadError extends Error {
  readonly code = 'PLUGIN_INVALID'
  override readonly name = 'PluginLoadError'
  readonly folder: string
  constructor(folder: string, problem: string) {
    super(`plugin folder ${folder}: ${problem}`)
    this.folder = folder
  }
}

const ENTRY_FILES = ['index.ts', 'index.mts', 'index.js', 'index.mjs']
const SDK_ENTRY = pathToFileURL(resolve(import.meta.dirname, '../sdk/index.ts')).href
let sdkSpecifierRegistered = false

/**
 * Plugins outside this repository import the SDK as `affgraph/sdk`; a resolve hook maps that name onto this
 * server's own SDK module, so a plugin folder works wherever it lives and shares the host's error classes.
 */
function registerSdkSpecifier(): void {
  if (sdkSpecifierRegistered) return
  sdkSpecifierRegistered = true
  // In-thread hooks see require() as well as import: a plugin folder outside any "type": "module" package is loaded
  // as CommonJS by tsx, and its require('affgraph/sdk') must land on the same SDK module.
  if (typeof module.registerHooks === 'function') {
    module.registerHooks({
      resolve(specifier, context, next) {
        if (specifier === 'affgraph/sdk') return { url: SDK_ENTRY, format: 'module', shortCircuit: true }
        return next(specifier, context)
      },
    })
    return
  }
  // Node before 22.15 (unsupported, but still met on old machines): a loader hook, which sees import() only.
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === 'affgraph/sdk') return { url: ${JSON.stringify(SDK_ENTRY)}, shortCircuit: true }
    return next(specifier, context)
  }`
  module.register(`data:text/javascript,${encodeURIComponent(hook)}`)
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(manifest)'} ${i.message}`).join('; ')
}

/** Checks one imported module against the manifest contract; returns the loaded platform or throws naming the folder. */
export function validatePlugin(folder: string, exported: unknown): LoadedPlatform {
  if (exported === undefined || exported === null) {
    throw new PluginLoadError(
      folder,
      'has no default export (expected `export default definePlatform({...})`)',
    )
  }
  const parsed = platformManifestSchema.safeParse(exported)
  if (!parsed.success) throw new PluginLoadError(folder, `invalid manifest: ${describeIssues(parsed.error)}`)
  const definition = exported as AnyPlatform
  const folderName = basename(folder)
  if (definition.id !== folderName) {
    throw new PluginLoadError(
      folder,
      `manifest id "${definition.id}" must equal the folder name "${folderName}"`,
    )
  }
  const fieldNames = Object.keys(definition.connection.fields)
  const schemaKeys = Object.keys(definition.connection.schema.shape)
  if (fieldNames.join() !== schemaKeys.join()) {
    throw new PluginLoadError(
      folder,
      `connection fields (${fieldNames.join(', ')}) do not match the zod schema (${schemaKeys.join(', ')})`,
    )
  }
  const typeName = graphqlStem(definition)
  return {
    definition,
    folder,
    typeName,
    fieldName: typeName[0]!.toLowerCase() + typeName.slice(1),
    fieldNames,
    secretFields: fieldNames.filter((n) => definition.connection.fields[n]?.secret),
  }
}

async function pluginFolders(dir: string): Promise<string[]> {
  if (!existsSync(dir)) throw new PluginLoadError(dir, 'directory does not exist')
  const entries = await readdir(dir, { withFileTypes: true })
  return entries
    .filter(
      (e) =>
        e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_') && e.name !== 'node_modules',
    )
    .map((e) => join(dir, e.name))
    .sort()
}

export async function loadPlugin(folder: string): Promise<LoadedPlatform> {
  registerSdkSpecifier()
  const entry = ENTRY_FILES.map((f) => join(folder, f)).find((f) => existsSync(f))
  if (!entry) throw new PluginLoadError(folder, `has no entry file (${ENTRY_FILES.join(', ')})`)
  let mod: { default?: unknown }
  try {
    mod = (await import(pathToFileURL(entry).href)) as { default?: unknown }
  } catch (error) {
    throw new PluginLoadError(folder, `failed to import: ${(error as Error).message}`)
  }
  return validatePlugin(folder, mod.default)
}

/** The folder holding the bundled plugins. */
export const BUNDLED_PLUGIN_DIR = resolve(import.meta.dirname, '../../plugins')

/**
 * Imports every plugin folder of every directory, in order. A malformed plugin or a duplicate id stops start-up
 * with the folder and the problem named: a server that silently skips a platform would leave accounts unsynced.
 */
export async function loadPlugins(dirs: string[]): Promise<PlatformRegistry> {
  registerSdkSpecifier()
  const loaded: LoadedPlatform[] = []
  const seen = new Map<string, string>()
  const seenTypes = new Map<string, string>()
  for (const dir of dirs) {
    for (const folder of await pluginFolders(dir)) {
      const platform = await loadPlugin(folder)
      const other = seen.get(platform.definition.id)
      if (other)
        throw new PluginLoadError(
          folder,
          `duplicate plugin id "${platform.definition.id}" (also in ${other})`,
        )
      const otherType = seenTypes.get(platform.typeName)
      if (otherType) {
        throw new PluginLoadError(
          folder,
          `GraphQL name "${platform.typeName}" is already used by ${otherType}; set graphqlName`,
        )
      }
      seen.set(platform.definition.id, folder)
      seenTypes.set(platform.typeName, folder)
      loaded.push(platform)
    }
  }
  return new PlatformRegistry(loaded)
}
