import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  buildSchema,
  type GraphQLField,
  getNamedType,
  getNullableType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql'
import { describe, expect, it } from 'vitest'

// schema.graphql is the contract; test/graphql/schema-file.test.ts keeps it equal to what the server builds.
const SDL = readFileSync(join(resolve(import.meta.dirname, '../..'), 'schema.graphql'), 'utf8')
const schema = buildSchema(SDL)

const outputFields = () =>
  Object.values(schema.getTypeMap())
    .filter((type) => !type.name.startsWith('__') && (isObjectType(type) || isInterfaceType(type)))
    .flatMap((type) =>
      Object.values(
        (type as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields(),
      ).map((field) => ({ path: `${type.name}.${field.name}`, field })),
    )

/**
 * Lists that stay plain lists because their length has a small bound, stated here. Anything else a client might
 * page through must be a connection.
 */
const BOUNDED_LISTS: Record<string, string> = {
  'Query.platforms': 'one per loaded plugin',
  'Platform.connectionFields': "the fields of one platform's connect form",
  'Platform.evidence': "the documented facts of one plugin's wire format",
  'EvidenceFact.sources': 'the sources of one fact',
  'Account.connectionFields': "the fields of one platform's connect form",
  'SyncStarted.runs': 'the windows of one sync request, cut by the platform report limits',
  'ImportAccountsSuccess.rows': 'the rows of one CSV import, at most 500',
  'StatsFigures.native': 'one per reporting currency of the figures',
  'StatsFigures.conversions': 'one per currency pair converted',
  'StatsRow.native': 'one per reporting currency of the row',
  'StatsRow.conversions': 'one per currency pair converted',
  'StatsTotals.native': 'one per reporting currency of the totals',
  'StatsTotals.conversions': 'one per currency pair converted',
  'StatsResult.fetchRuns': 'one per account a request fetched for, at most 100',
}

/**
 * Unbounded lists still served as plain lists or `nodes` pages. The Relay conversion (Node, global ids, edges,
 * pageInfo both ways) takes each off this list; a new unbounded list cannot join it without failing here.
 */
const AWAITING_CONNECTIONS = [
  'Query.apiTokens',
  'Query.members',
  'Account.syncRuns',
  'AccountPage.nodes',
  'StatsResult.rows',
  'StatChangePage.nodes',
]

describe('schema conventions', () => {
  it('given every mutation, when its signature is read, then it takes one argument named input and returns a non-null union with typed errors', () => {
    const mutations = Object.values(schema.getMutationType()!.getFields())
    expect(mutations.length).toBeGreaterThanOrEqual(14)
    const offending = mutations.flatMap((m) => {
      const problems: string[] = []
      if (m.args.length !== 1 || m.args[0]!.name !== 'input')
        problems.push(`${m.name}(${m.args.map((a) => a.name).join(', ')}): one argument named input`)
      const result = getNamedType(m.type)
      if (!isNonNullType(m.type) || !isUnionType(result)) problems.push(`${m.name}: a non-null result union`)
      else {
        const members = result.getTypes().map((t) => t.name)
        for (const needed of ['CredentialsInvalidError', 'InvalidArgumentError'])
          if (!members.includes(needed)) problems.push(`${m.name}: ${result.name} lacks ${needed}`)
        const errors = result.getTypes().filter((t) => t.getInterfaces().some((i) => i.name === 'UserError'))
        if (errors.some((t) => !t.name.endsWith('Error')))
          problems.push(`${m.name}: an error type not named *Error`)
        if (result.getTypes().length - errors.length !== 1)
          problems.push(`${m.name}: exactly one success member`)
      }
      return problems
    })
    expect(offending).toEqual([])
  })

  it('given every output field, when a code is exposed, then it is typed by an enum, never String', () => {
    const stringCodes = outputFields()
      .filter(({ field }) => /(^c|C)ode$/.test(field.name))
      .filter(({ field }) => !isEnumType(getNamedType(field.type)))
      .map(({ path }) => path)
    expect(stringCodes).toEqual([])
    const codes = outputFields().filter(({ field }) => /(^c|C)ode$/.test(field.name))
    expect(codes.length).toBeGreaterThan(10)
  })

  it('given every list of objects in an output type, when classified, then it is bounded with a stated bound, or one of the named lists awaiting connections', () => {
    const lists = outputFields()
      .filter(({ field }) => isListType(getNullableType(field.type)))
      .filter(({ field }) => !isEnumType(getNamedType(field.type)) && !isScalarType(getNamedType(field.type)))
      .map(({ path }) => path)
      // An error's `fields` lists the input values of one request.
      .filter((path) => !path.endsWith('.fields'))
    const unclassified = lists.filter((p) => !(p in BOUNDED_LISTS) && !AWAITING_CONNECTIONS.includes(p))
    expect(unclassified, 'unbounded lists must be connections').toEqual([])
    // Stale entries would let a list slip back in unnoticed.
    expect(Object.keys(BOUNDED_LISTS).filter((p) => !lists.includes(p))).toEqual([])
    expect(AWAITING_CONNECTIONS.filter((p) => !lists.includes(p))).toEqual([])
  })

  it('given a UserError field, when read, then it names input paths, not bare names', () => {
    const userError = schema.getType('UserError')
    if (!isInterfaceType(userError)) throw new Error('UserError is not an interface')
    const fields = userError.getFields().fields!
    expect(String(fields.type)).toBe('[FieldIssue!]!')
    const issue = schema.getType('FieldIssue')
    if (!isObjectType(issue)) throw new Error('FieldIssue is not an object type')
    expect(Object.keys(issue.getFields()).sort()).toEqual(['field', 'message', 'path'])
  })
})
