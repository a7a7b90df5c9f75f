import {
  buildClientSchema,
  type GraphQLNamedType,
  type GraphQLSchema,
  getIntrospectionQuery,
  getNamedType,
  type IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
} from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCALARS_WITHOUT_SPECIFICATION } from '../../src/schema/builder.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { bearer, send } from './graphql-helpers.ts'

const described = (text: string | null | undefined) => typeof text === 'string' && text.trim().length > 0

/** Every element of `type` without a description, as `Type`, `Type.field`, `Type.field(arg)` or `Enum.VALUE`. */
function undocumentedIn(type: GraphQLNamedType, only?: string): string[] {
  const missing: string[] = []
  if (!only && !described(type.description)) missing.push(type.name)
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields())) {
      if (only && field.name !== only) continue
      if (!described(field.description)) missing.push(`${type.name}.${field.name}`)
      for (const arg of field.args)
        if (!described(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name})`)
    }
  } else if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields()))
      if (!described(field.description)) missing.push(`${type.name}.${field.name}`)
  } else if (isEnumType(type)) {
    for (const value of type.getValues())
      if (!described(value.description)) missing.push(`${type.name}.${value.name}`)
  }
  return missing
}

/** The per-platform connection input types, as `ConnectionInput`'s members name them. */
function platformInputTypes(schema: GraphQLSchema): string[] {
  const connectionInput = schema.getType('ConnectionInput')
  if (!isInputObjectType(connectionInput)) throw new Error('ConnectionInput is not an input type')
  return Object.values(connectionInput.getFields()).map((f) => getNamedType(f.type).name)
}

let t: TestApp
let schema: GraphQLSchema

beforeAll(async () => {
  t = await createTestApp()
  // What a client sees: the server's own introspection answer, with descriptions, @specifiedBy and @oneOf.
  const response = await send<IntrospectionQuery>(
    t,
    getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, oneOf: true }),
    {},
    bearer((await t.workspace('descriptions')).token),
  )
  expect(response.body.errors, response.text).toBeUndefined()
  schema = buildClientSchema(response.body.data as IntrospectionQuery)
})

afterAll(async () => {
  await t?.close()
})

describe('schema descriptions', () => {
  it('given the introspected schema, when every type is checked, then none of its types, fields, arguments, input fields or enum values lacks a description', () => {
    expect(platformInputTypes(schema).length).toBeGreaterThanOrEqual(14)
    const missing = Object.values(schema.getTypeMap())
      .filter((type) => !type.name.startsWith('__') && !(isScalarType(type) && isSpecifiedScalarType(type)))
      .flatMap((type) => undocumentedIn(type))
    expect(missing, `undocumented:\n${missing.join('\n')}`).toEqual([])
  })

  it('given the introspected schema, when its custom scalars are listed, then each has a @specifiedBy URL or a stated reason for having none', () => {
    const custom = Object.values(schema.getTypeMap()).filter(
      (type) => isScalarType(type) && !isSpecifiedScalarType(type),
    )
    expect(custom.map((s) => s.name)).toEqual(expect.arrayContaining(['Date', 'DateTime', 'Decimal']))
    const unexplained = custom
      .filter((s) => isScalarType(s) && !s.specifiedByURL && !SCALARS_WITHOUT_SPECIFICATION[s.name])
      .map((s) => s.name)
    expect(unexplained, 'custom scalars with neither @specifiedBy nor a reason').toEqual([])
    // A stale reason would hide a scalar that has since gained a specification.
    const specified = custom.filter((s) => isScalarType(s) && s.specifiedByURL).map((s) => s.name)
    expect(specified.filter((name) => name in SCALARS_WITHOUT_SPECIFICATION)).toEqual([])
    const specifiedBy = (name: string) => {
      const type = schema.getType(name)
      return isScalarType(type) ? type.specifiedByURL : undefined
    }
    expect(specifiedBy('Date')).toMatch(/rfc3339/)
    expect(specifiedBy('DateTime')).toMatch(/rfc3339/)
  })

  it("given NetRefer's optional settings, when introspected, then their fixed defaults are input defaultValues, matching Platform.connectionFields", async () => {
    const input = schema.getType('NetReferConnectionInput')
    if (!isInputObjectType(input)) throw new Error('NetReferConnectionInput is not an input type')
    const fields = input.getFields()
    expect(fields.reportTypeCode?.defaultValue).toBe('DAR')
    expect(fields.apiVersion?.defaultValue).toBe('1')
    // The scope's default is built from the client id, so no fixed value can stand for it.
    expect(fields.scope?.defaultValue).toBeUndefined()
    // Required fields never carry a default: a client must still fill them in.
    expect(fields.clientId?.defaultValue).toBeUndefined()

    const response = await send<{
      platform: { connectionFields: { name: string; defaultValue: string | null }[] }
    }>(
      t,
      '{ platform(id: "netrefer") { connectionFields { name defaultValue } } }',
      {},
      bearer((await t.workspace('descriptions')).token),
    )
    expect(response.body.errors, response.text).toBeUndefined()
    const declared = Object.fromEntries(
      response.body.data!.platform.connectionFields.map((f) => [f.name, f.defaultValue]),
    )
    const introspected = Object.fromEntries(
      Object.values(fields).map((f) => [f.name, (f.defaultValue as string | undefined) ?? null]),
    )
    expect(declared).toEqual(introspected)
  })

  it('given every platform, when its connection input is introspected, then each field default equals connectionFields.defaultValue and is one the field accepts', async () => {
    const response = await send<{
      platforms: {
        id: string
        connectionInputType: string
        connectionFields: { name: string; required: boolean; defaultValue: string | null }[]
      }[]
    }>(t, '{ platforms { id connectionInputType connectionFields { name required defaultValue } } }')
    expect(response.body.errors, response.text).toBeUndefined()
    let defaults = 0
    for (const platform of response.body.data!.platforms) {
      const input = schema.getType(platform.connectionInputType)
      if (!isInputObjectType(input)) throw new Error(`${platform.connectionInputType} is not an input type`)
      const spec = t.registry.get(platform.id)!.definition.connection
      for (const field of platform.connectionFields) {
        const introspected = input.getFields()[field.name]?.defaultValue ?? null
        expect(introspected, `${platform.id}.${field.name}`).toBe(field.defaultValue)
        if (field.defaultValue === null) continue
        defaults++
        expect(field.required, `${platform.id}.${field.name} is required yet has a default`).toBe(false)
        expect(spec.fields[field.name]!.schema.safeParse(field.defaultValue).success).toBe(true)
      }
    }
    expect(defaults).toBeGreaterThanOrEqual(2)
  })
})
