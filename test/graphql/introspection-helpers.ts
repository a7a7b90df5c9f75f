import {
  astFromValue,
  buildClientSchema,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  getIntrospectionQuery,
  getNamedType,
  type IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  print,
} from 'graphql'
import { expect } from 'vitest'
import type { TestApp } from '../support/test-app.ts'
import { suiteClock, testDay } from '../support/test-clock.ts'
import { bearer, send } from './graphql-helpers.ts'

/**
 * The schema exactly as a client sees it: built from the server's introspection answer. Introspection needs a
 * token by default (AFFGRAPH_INTROSPECTION=authenticated), so it is fetched with one of a workspace of its own.
 */
export async function introspect(
  t: TestApp,
  token?: string,
): Promise<{ schema: GraphQLSchema; result: IntrospectionQuery }> {
  const response = await send<IntrospectionQuery>(
    t,
    getIntrospectionQuery({ oneOf: true, descriptions: true }),
    {},
    bearer(token ?? (await t.workspace('introspection')).token),
  )
  expect(response.body.errors, response.text).toBeUndefined()
  const result = response.body.data as IntrospectionQuery
  return { schema: buildClientSchema(result), result }
}

/** A plausible value for a required argument, so that validation passes and the resolver itself is reached. */
export function sampleValue(type: GraphQLInputType, name = ''): unknown {
  if (isNonNullType(type)) return sampleValue(type.ofType, name)
  if (isListType(type)) return [sampleValue(type.ofType, name)]
  if (isEnumType(type)) return type.getValues()[0]?.name
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields())
    if (type.isOneOf) {
      const first = fields[0]!
      return { [first.name]: sampleValue(first.type, first.name) }
    }
    return Object.fromEntries(
      fields
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, sampleValue(f.type, f.name)]),
    )
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
        return crypto.randomUUID()
      case 'Int':
      case 'Float':
        return 1
      case 'Boolean':
        return true
      case 'DateTime':
        return new Date(suiteClock.now().getTime() + 86_400_000).toISOString()
      case 'URL':
        return 'https://partners.example.com'
      case 'Secret':
        return 'Q7wErTy8uIoP3aSdF5gHjK2lZxCvBnM4'
      default:
        // Day-valued strings (ranges, windows) get yesterday; anything else a value that passes e-mail checks.
        return /^(from|to|day|date|since|until)$/i.test(name) ? testDay(-1) : 'someone@example.com'
    }
  }
  throw new Error(`no sample value for ${String(type)}`)
}

/** `{ __typename }` for composite types, nothing for leaves. */
function minimalSelection(type: GraphQLNamedType): string {
  return isLeafType(type) ? '' : '{ __typename }'
}

/** A complete operation calling one root field with sample values for its required arguments. */
export function rootFieldOperation(
  operation: 'query' | 'mutation' | 'subscription',
  field: GraphQLField<unknown, unknown>,
): { query: string; variables: Record<string, unknown> } {
  const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined)
  const declarations = required.map((a, i) => `$a${i}: ${String(a.type)}`)
  const args = required.map((a, i) => `${a.name}: $a${i}`)
  const variables = Object.fromEntries(required.map((a, i) => [`a${i}`, sampleValue(a.type, a.name)]))
  const query = `${operation} Probe${declarations.length ? `(${declarations.join(', ')})` : ''} {
    ${field.name}${args.length ? `(${args.join(', ')})` : ''} ${minimalSelection(getNamedType(field.type))}
  }`
  return { query, variables }
}

/** Arguments written inline, with sample values for the required ones (and `overrides` taking precedence). */
export function inlineArgs(
  field: GraphQLField<unknown, unknown>,
  overrides: Record<string, unknown> = {},
): string {
  const parts: string[] = []
  for (const arg of field.args) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined
    if (!required && !(arg.name in overrides)) continue
    const value = arg.name in overrides ? overrides[arg.name] : sampleValue(arg.type, arg.name)
    const ast = astFromValue(value, arg.type)
    if (!ast) throw new Error(`cannot write a value for ${field.name}(${arg.name})`)
    parts.push(`${arg.name}: ${print(ast)}`)
  }
  return parts.length ? `(${parts.join(', ')})` : ''
}

/**
 * Every field reachable from `type`, to `maxDepth`: leaves by name, objects recursively, unions and interfaces
 * through an inline fragment per possible type; fields with required arguments get sample values. Each object type
 * is selected in full once per document, at its first place; elsewhere it gets `{ __typename }`: cycles (Account →
 * stats → rows → account) and repeats (a connection's `edges.node` and `nodes`) would outgrow the token limit.
 */
export function fullSelection(
  schema: GraphQLSchema,
  type: GraphQLNamedType,
  depth = 0,
  maxDepth = 6,
  selected: Set<string> = new Set(),
): string {
  if (isLeafType(type)) return ''
  if (depth > maxDepth || selected.has(type.name)) return '{ __typename }'
  if (isUnionType(type) || isInterfaceType(type)) {
    const fragments = schema
      .getPossibleTypes(type)
      .map(
        (possible) =>
          `... on ${possible.name} ${fullSelection(schema, possible, depth + 1, maxDepth, selected)}`,
      )
    return `{ __typename ${fragments.join(' ')} }`
  }
  if (!isObjectType(type)) throw new Error(`unexpected output type ${type.name}`)
  selected.add(type.name)
  const parts = ['__typename']
  for (const field of Object.values(type.getFields())) {
    parts.push(
      `${field.name}${inlineArgs(field)} ${fullSelection(schema, getNamedType(field.type), depth + 1, maxDepth, selected)}`,
    )
  }
  return `{ ${parts.join(' ')} }`
}

export interface FormField {
  name: string
  label: string
  help: string
  secret: boolean
  required: boolean
  example: string
  inputType: 'SECRET' | 'URL' | 'TEXT'
}

export interface PlatformForm {
  id: string
  connectionInputField: string
  connectionInputType: string
  connectionFields: FormField[]
}

/**
 * What a generic client does: it knows nothing about any platform and renders each connect form from the input
 * types alone — label on the description's first line, help after the blank line, the example on its own line,
 * a password input for `Secret`, a URL input for `URL`, "required" from non-null.
 */
export function formFromIntrospection(field: GraphQLInputField): FormField {
  const [label = '', ...rest] = (field.description ?? '').split('\n\n')
  const exampleLine = rest.find((part) => part.startsWith('Example: '))
  const help = rest.filter((part) => part !== exampleLine).join('\n\n')
  const scalar = getNamedType(field.type).name
  const inputType = scalar === 'Secret' ? 'SECRET' : scalar === 'URL' ? 'URL' : 'TEXT'
  return {
    name: field.name,
    label,
    help,
    secret: inputType === 'SECRET',
    required: isNonNullType(field.type),
    example: exampleLine?.slice('Example: '.length) ?? '',
    inputType,
  }
}
