import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay'
import {
  type GraphQLInputType,
  type GraphQLResolveInfo,
  getNullableType,
  isInputObjectType,
  isListType,
} from 'graphql'
import type { FieldIssue } from './errors.schema.ts'

/**
 * The objects a client can refetch with `Query.node(id:)`. Their ids are Relay global ids: base64 of
 * `<type>:<database id>` (the plugin's standard encoding), opaque to clients.
 */
export const NODE_TYPES = [
  'Account',
  'Alert',
  'AlertRule',
  'AlertDelivery',
  'AlertDestination',
  'ApiToken',
  'Deal',
  'DealVersion',
  'Member',
  'Payment',
  'SyncRun',
  'StatChange',
  'Workspace',
] as const
export type NodeTypeName = (typeof NODE_TYPES)[number]

export const toGlobalId = (type: NodeTypeName, id: string): string => encodeGlobalID(type, id)

/** The database id behind a decoded global id argument (the relay plugin hands `{ typename, id }` on). */
export function databaseId(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'id' in value) return String(value.id)
  return String(value)
}

/** The type and database id of a global id, or null for a string that is not one of ours. */
export function parseGlobalId(value: string): { typename: string; id: string } | null {
  try {
    const decoded = decodeGlobalID(value)
    // A value that only decodes because base64 decoding skips what it cannot read is no id we issued.
    return encodeGlobalID(decoded.typename, decoded.id) === value ? decoded : null
  } catch {
    return null
  }
}

interface GlobalIdExtensions {
  isRelayGlobalID?: boolean
  relayGlobalIDFor?: { typename: string }[] | null
}

const article = (name: string) => (/^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`)

function issueOf(value: unknown, extensions: GlobalIdExtensions): string | null {
  const parsed = typeof value === 'string' ? parseGlobalId(value) : null
  const allowed = extensions.relayGlobalIDFor?.map((t) => t.typename) ?? null
  const expected = allowed ? allowed.map(article).join(' or ') : 'an object'
  if (!parsed) return `not a global id; pass the \`id\` of ${expected}`
  if (allowed && !allowed.includes(parsed.typename))
    return `the id of ${article(parsed.typename)}, not of ${expected}`
  return null
}

/**
 * The global-id arguments of a field that do not decode, or name the wrong type, with their input paths. The
 * relay plugin reports only the first, without saying where it sits: a client needs the path to place the error.
 */
export function globalIdIssues(info: GraphQLResolveInfo, args: Record<string, unknown>): FieldIssue[] {
  const field = info.parentType.getFields()[info.fieldName]
  if (!field) return []
  const issues: FieldIssue[] = []
  const walk = (type: GraphQLInputType, value: unknown, path: string[], extensions: GlobalIdExtensions) => {
    if (value === null || value === undefined) return
    const nullable = getNullableType(type)
    if (isListType(nullable)) {
      if (!Array.isArray(value)) return
      value.forEach((item, index) => {
        walk(nullable.ofType, item, [...path, String(index)], extensions)
      })
      return
    }
    if (isInputObjectType(nullable)) {
      if (typeof value !== 'object') return
      for (const inner of Object.values(nullable.getFields())) {
        const innerValue = (value as Record<string, unknown>)[inner.name]
        walk(inner.type, innerValue, [...path, inner.name], inner.extensions as GlobalIdExtensions)
      }
      return
    }
    if (!extensions?.isRelayGlobalID) return
    const message = issueOf(value, extensions)
    if (message) issues.push({ path, message })
  }
  for (const arg of field.args)
    walk(arg.type, args[arg.name], [arg.name], arg.extensions as GlobalIdExtensions)
  return issues
}
