import { resolve } from 'node:path'
import { type GraphQLSchema, getNamedType, isInputObjectType } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  type AccountResult,
  accountRowsText,
  bearer,
  CONNECT_ACCOUNT,
  connectSoftSwiss,
  ok,
  send,
  TEST_CONNECTION,
  type UserErrorResult,
} from './graphql-helpers.ts'
import { formFromIntrospection, introspect, type PlatformForm } from './introspection-helpers.ts'

const FIXTURE_PLUGINS = resolve(import.meta.dirname, 'fixtures/plugins')
const EXAMPLE_KEY = 'exn_0123456789abcdef'

let t: TestApp
let sim: PlatformSimulator
let ws: { id: string; token: string }
let schema: GraphQLSchema
let rowsBefore: string[]

beforeAll(async () => {
  t = await createTestApp({ pluginDirs: [FIXTURE_PLUGINS] })
  sim = await softswiss.simulator.create({ seed: 'multiple-platforms', accounts: 1 })
  ws = await t.workspace('multiple-platforms')
  schema = (await introspect(t)).schema
  await connectSoftSwiss(t, ws.token, sim.accounts[0]!.connection, { label: 'existing' })
  rowsBefore = await accountRowsText(t)
})

afterAll(async () => {
  await sim?.close()
  await t?.close()
})

describe('a schema built from two plugins', () => {
  it('given a second plugin folder, when ConnectionInput is introspected, then it is oneOf with one field per platform', async () => {
    const response = await send<{
      __type: { isOneOf: boolean; inputFields: { name: string; type: { name: string } }[] }
    }>(
      t,
      '{ __type(name: "ConnectionInput") { isOneOf inputFields { name type { name } } } }',
      {},
      bearer(ws.token),
    )
    expect(response.body.data?.__type).toEqual({
      isOneOf: true,
      inputFields: t.registry
        .all()
        .map((p) => ({ name: p.fieldName, type: { name: `${p.typeName}ConnectionInput` } })),
    })
  })

  it('given the forms rendered from introspection, when compared with platforms { connectionFields }, then both platforms match, optional text field included', async () => {
    const response = await send<{ platforms: PlatformForm[] }>(
      t,
      `{ platforms { id connectionInputField connectionInputType
          connectionFields { name label help secret required example inputType } } }`,
    )
    const platforms = response.body.data!.platforms
    expect(platforms.map((p) => p.id)).toEqual(t.registry.all().map((p) => p.definition.id))
    expect(platforms.map((p) => p.id)).toEqual(expect.arrayContaining(['example-net', 'softswiss']))
    const connectionInput = schema.getType('ConnectionInput')
    if (!isInputObjectType(connectionInput)) throw new Error('ConnectionInput is not an input type')
    for (const platform of platforms) {
      const inputType = getNamedType(connectionInput.getFields()[platform.connectionInputField]!.type)
      if (!isInputObjectType(inputType)) throw new Error(`${inputType.name} is not an input type`)
      expect(Object.values(inputType.getFields()).map(formFromIntrospection)).toEqual(
        platform.connectionFields,
      )
    }
    expect(platforms.find((p) => p.id === 'example-net')!.connectionFields).toEqual([
      {
        name: 'apiKey',
        label: 'API key',
        help: 'In the Example Net dashboard open Settings → API and copy the key.',
        secret: true,
        required: true,
        example: 'exn_4f9c2a7b1d8e6f30',
        inputType: 'SECRET',
      },
      {
        name: 'nickname',
        label: 'Nickname',
        help: 'Any name you like for this login; shown in reports.',
        secret: false,
        required: false,
        example: 'main login',
        inputType: 'TEXT',
      },
    ])
  })

  it('given the second platform selected, when testConnection runs, then that plugin answers', async () => {
    const data = await ok<{
      testConnection: UserErrorResult & { platform?: { id: string }; accountName?: string }
    }>(t, ws.token, TEST_CONNECTION, { input: { exampleNet: { apiKey: EXAMPLE_KEY, nickname: 'second' } } })
    expect(data.testConnection).toMatchObject({
      __typename: 'TestConnectionSuccess',
      platform: { id: 'example-net' },
      accountName: 'second',
    })
  })

  it('given the second platform with a malformed key, when testConnection runs, then its own zod schema rejects the field', async () => {
    const response = await send(
      t,
      TEST_CONNECTION,
      { input: { exampleNet: { apiKey: 'nope' } } },
      bearer(ws.token),
    )
    expect(response.body.errors).toBeUndefined()
    expect((response.body.data as { testConnection: UserErrorResult }).testConnection).toMatchObject({
      __typename: 'CredentialsInvalidError',
      code: 'CREDENTIALS_INVALID',
      fields: [
        {
          path: ['input', 'exampleNet', 'apiKey'],
          field: 'apiKey',
          message: 'must look like exn_ followed by 16 hex digits',
        },
      ],
    })
  })
})

describe('two platforms at once', () => {
  it('given two platforms in one ConnectionInput variable, when testConnection runs, then it is rejected before execution and nothing is called', async () => {
    const requests = sim.log.length
    const response = await send(
      t,
      TEST_CONNECTION,
      { input: { softSwiss: sim.accounts[0]!.connection, exampleNet: { apiKey: EXAMPLE_KEY } } },
      bearer(ws.token),
    )
    expect(response.status).toBe(400)
    expect(response.body).not.toHaveProperty('data')
    expect(response.body.errors?.[0]?.message).toContain(
      'Exactly one key must be specified for OneOf type "ConnectionInput"',
    )
    expect(sim.log.length).toBe(requests)
  })

  it('given two platforms written inline, when connectAccount runs, then the document fails validation and nothing is stored', async () => {
    const requests = sim.log.length
    const { baseUrl, token } = sim.accounts[0]!.connection
    const response = await send(
      t,
      `mutation { connectAccount(input: { connection: {
          softSwiss: { baseUrl: "${baseUrl}", token: "${token}" }, exampleNet: { apiKey: "${EXAMPLE_KEY}" } } }) {
        __typename } }`,
      {},
      bearer(ws.token),
    )
    expect(response.body).not.toHaveProperty('data')
    expect(response.body.errors?.[0]?.message).toContain(
      'OneOf Input Object "ConnectionInput" must specify exactly one key',
    )
    expect(sim.log.length).toBe(requests)
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })

  it('given two platforms as connectAccount variables, when it runs, then nothing is stored', async () => {
    const response = await send<{ connectAccount: AccountResult }>(
      t,
      CONNECT_ACCOUNT,
      {
        input: {
          connection: { softSwiss: sim.accounts[0]!.connection, exampleNet: { apiKey: EXAMPLE_KEY } },
        },
      },
      bearer(ws.token),
    )
    expect(response.status).toBe(400)
    expect(response.body).not.toHaveProperty('data')
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })
})
