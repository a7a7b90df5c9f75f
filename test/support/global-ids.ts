import { type NodeTypeName, parseGlobalId, toGlobalId } from '../../src/schema/global-ids.ts'

/**
 * The API names objects by global ids; tests that read rows from the database pass their ids through this to
 * call the API, and read the database id back from an id the API returned.
 */
export const globalId = (type: NodeTypeName, databaseId: string): string => toGlobalId(type, databaseId)

export function databaseIdOf(id: string): string {
  const parsed = parseGlobalId(id)
  if (!parsed) throw new Error(`not a global id: ${id}`)
  return parsed.id
}

/** The database id of an id the API returned, or the id itself when it already is one (seed helpers take both). */
export const asDatabaseId = (id: string): string => parseGlobalId(id)?.id ?? id
