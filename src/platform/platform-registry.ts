import type { AnyPlatform } from '../sdk/index.ts'

export interface LoadedPlatform {
  definition: AnyPlatform
  /** Folder the plugin was loaded from (for error messages and tooling). */
  folder: string
  /** PascalCase stem of the plugin's GraphQL names, e.g. `SoftSwiss`. */
  typeName: string
  /** camelCase field of `ConnectionInput`, e.g. `softSwiss`. */
  fieldName: string
  /** Connection field names in form order. */
  fieldNames: string[]
  /** Names of the secret connection fields. */
  secretFields: string[]
}

export class PlatformRegistry {
  readonly #byId = new Map<string, LoadedPlatform>()
  readonly #byField = new Map<string, LoadedPlatform>()

  constructor(platforms: LoadedPlatform[]) {
    for (const p of [...platforms].sort((a, b) => a.definition.id.localeCompare(b.definition.id))) {
      this.#byId.set(p.definition.id, p)
      this.#byField.set(p.fieldName, p)
    }
  }

  all(): LoadedPlatform[] {
    return [...this.#byId.values()]
  }

  get(id: string): LoadedPlatform | undefined {
    return this.#byId.get(id)
  }

  byFieldName(fieldName: string): LoadedPlatform | undefined {
    return this.#byField.get(fieldName)
  }
}

/** "SoftSwiss (Affilka)" → "SoftSwiss"; "Income Access" → "IncomeAccess"; "my-platform" → "MyPlatform". */
export function graphqlStem(definition: Pick<AnyPlatform, 'name' | 'id' | 'graphqlName'>): string {
  if (definition.graphqlName) return definition.graphqlName
  const words = definition.name
    .replace(/\([^)]*\)/g, ' ')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
  const stem = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
  if (/^[A-Z][A-Za-z0-9]*$/.test(stem)) return stem
  return definition.id
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')
}
