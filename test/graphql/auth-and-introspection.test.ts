import { type GraphQLSchema, getNamedType, isInputObjectType, printSchema } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { generateApiToken } from '../../src/crypto/api-token.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { Workspace } from '../../src/workspace/workspace.entity.ts'
import { issueApiToken } from '../../src/workspace/workspace.service.ts'
import { bundledPluginIds } from '../server/support/affgraph-process.ts'
import { globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  bearer,
  CONNECT_ACCOUNT,
  countAccounts,
  type GqlResponse,
  type HeaderMap,
  ok,
  send,
} from './graphql-helpers.ts'
import {
  formFromIntrospection,
  introspect,
  type PlatformForm,
  rootFieldOperation,
} from './introspection-helpers.ts'

const VIEWER = '{ viewer { workspace { id name } token { id } } }'

let t: TestApp
let sim: PlatformSimulator
let schema: GraphQLSchema
let owner: { id: string; token: string }

beforeAll(async () => {
  t = await createTestApp()
  sim = await softswiss.simulator.create({ seed: 'auth', accounts: 1 })
  owner = await t.workspace('auth-owner')
  schema = (await introspect(t)).schema
})

afterAll(async () => {
  await sim?.close()
  await t?.close()
})

function expectAuthFailure(response: GqlResponse<unknown>, code: string): void {
  expect(response.status, response.text).toBe(401)
  expect(response.body.data ?? null).toBeNull()
  expect(response.body.errors).toHaveLength(1)
  expect(response.body.errors?.[0]?.extensions?.code).toBe(code)
  // The message tells the caller what to do, and never echoes what was sent.
  expect(response.body.errors?.[0]?.message).toMatch(/token/i)
}

async function createToken(name: string, expiresAt?: string): Promise<{ id: string; token: string }> {
  const data = await ok<{
    createApiToken: { token: string; apiToken: { id: string; expiresAt: string | null } }
  }>(
    t,
    owner.token,
    'mutation($name: String!, $expiresAt: DateTime) { createApiToken(input: { name: $name, expiresAt: $expiresAt }) { ... on CreateApiTokenSuccess { token apiToken { id expiresAt } } } }',
    { name, expiresAt },
  )
  expect(data.createApiToken.apiToken.expiresAt).toBe(expiresAt ?? null)
  return { id: data.createApiToken.apiToken.id, token: data.createApiToken.token }
}

describe('public and protected fields', () => {
  it('given no Authorization header, when platforms is queried, then it answers with the loaded plugins', async () => {
    const response = await send<{ platforms: { id: string; name: string }[] }>(t, '{ platforms { id name } }')
    expect(response.status).toBe(200)
    expect(response.body.errors).toBeUndefined()
    expect(response.body.data?.platforms).toEqual(
      t.registry.all().map((p) => ({ id: p.definition.id, name: p.definition.name })),
    )
    expect(response.body.data?.platforms).toContainEqual({ id: 'softswiss', name: 'SoftSwiss (Affilka)' })
  })

  it('given the bundled plugins, when platforms is queried, then every bundled platform answers, each with help on every field', async () => {
    const response = await send<{
      platforms: { id: string; description: string; connectionFields: { name: string; help: string }[] }[]
    }>(t, '{ platforms { id description connectionFields { name help } } }')
    const platforms = response.body.data?.platforms ?? []
    expect(platforms.map((p) => p.id).sort()).toEqual(await bundledPluginIds())
    for (const p of platforms) {
      expect(p.description.length, p.id).toBeGreaterThan(40)
      for (const f of p.connectionFields) expect(f.help.length, `${p.id}.${f.name}`).toBeGreaterThan(20)
    }
  })

  it('given no Authorization header, when any other root field is called, then each fails with TOKEN_MISSING, HTTP 401 and no data', async () => {
    const fields = [
      ...Object.values(schema.getQueryType()!.getFields()).map((f) => ({ operation: 'query' as const, f })),
      ...Object.values(schema.getMutationType()!.getFields()).map((f) => ({
        operation: 'mutation' as const,
        f,
      })),
      ...Object.values(schema.getSubscriptionType()?.getFields() ?? {}).map((f) => ({
        operation: 'subscription' as const,
        f,
      })),
    ].filter(({ f }) => f.name !== 'platforms')
    // The schema's own fields, found by introspection: a field added later is covered without editing this test.
    expect(fields.map(({ f }) => f.name)).toEqual(
      expect.arrayContaining([
        'viewer',
        'accounts',
        'account',
        'platform',
        'connectAccount',
        'testConnection',
      ]),
    )
    const before = await countAccounts(t)
    const requestsBefore = sim.log.length
    const failures: string[] = []
    for (const { operation, f } of fields) {
      const { query, variables } = rootFieldOperation(operation, f)
      const response = await send(t, query, variables)
      const code = response.body.errors?.[0]?.extensions?.code
      // A nullable root field comes back as null next to the error; a non-null one nulls the whole data.
      const values = Object.values((response.body.data ?? {}) as Record<string, unknown>)
      if (response.status !== 401 || code !== 'TOKEN_MISSING' || values.some((v) => v !== null)) {
        failures.push(`${operation} ${f.name}: HTTP ${response.status} ${response.text}`)
      }
    }
    expect(failures).toEqual([])
    expect(await countAccounts(t)).toBe(before)
    expect(sim.log.length).toBe(requestsBefore)
  })

  it('given no Authorization header and the default introspection setting, when the schema is introspected, then INTROSPECTION_DISABLED and no schema', async () => {
    const response = await send<{ __schema: { queryType: { name: string } } }>(
      t,
      '{ __schema { queryType { name } } }',
    )
    expect(response.body.data ?? null).toBeNull()
    expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['INTROSPECTION_DISABLED'])
    expect(response.body.errors?.[0]?.message).toMatch(/token/i)
  })

  it('given a token, when the schema is introspected, then it answers (connect forms are built after sign-in)', async () => {
    const response = await send<{ __schema: { queryType: { name: string } } }>(
      t,
      '{ __schema { queryType { name } } }',
      {},
      bearer(owner.token),
    )
    expect(response.status).toBe(200)
    expect(response.body.data?.__schema.queryType.name).toBe('Query')
  })

  it('given a public and a protected field in one request without a token, when it runs, then the whole operation is refused with 401', async () => {
    const response = await send<{ platforms: { id: string }[] }>(
      t,
      '{ platforms { id } viewer { workspace { id } } }',
    )
    expect(response.status).toBe(401)
    expect(response.body.errors?.[0]?.extensions?.code).toBe('TOKEN_MISSING')
    // Refused before execution: no resolver runs, so nothing (not even the public part) comes back.
    expect(response.body.data ?? null).toBeNull()
  })
})

describe('token failures', () => {
  const malformedHeaders: [string, HeaderMap][] = [
    ['a bearer value that is not an affgraph token', { authorization: 'Bearer not-a-token' }],
    ['a Basic credential', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a bare token without the Bearer scheme', { authorization: generateApiToken().token }],
    ['the Bearer scheme with no token', { authorization: 'Bearer' }],
    ['two tokens', { authorization: `Bearer ${generateApiToken().token} ${generateApiToken().token}` }],
  ]

  it('given a valid token, when viewer is queried, then it names the token workspace', async () => {
    const data = await ok<{ viewer: { workspace: { id: string; name: string } } }>(t, owner.token, VIEWER)
    expect(data.viewer.workspace).toEqual({ id: globalId('Workspace', owner.id), name: 'auth-owner' })
  })

  it('given no Authorization header, when viewer is queried, then TOKEN_MISSING', async () => {
    expectAuthFailure(await send(t, VIEWER), 'TOKEN_MISSING')
  })

  it.each(malformedHeaders)(
    'given %s, when viewer is queried, then TOKEN_MALFORMED',
    async (_name, headers) => {
      expectAuthFailure(await send(t, VIEWER, {}, headers), 'TOKEN_MALFORMED')
    },
  )

  it('given a well-formed token that was never issued, when viewer is queried, then TOKEN_INVALID', async () => {
    expectAuthFailure(await send(t, VIEWER, {}, bearer(generateApiToken().token)), 'TOKEN_INVALID')
  })

  it('given an issued token with its secret part altered, when viewer is queried, then TOKEN_INVALID', async () => {
    const last = owner.token.at(-1) === 'A' ? 'B' : 'A'
    const altered = `${owner.token.slice(0, -1)}${last}`
    expectAuthFailure(await send(t, VIEWER, {}, bearer(altered)), 'TOKEN_INVALID')
  })

  it('given a token revoked with revokeApiToken, when it is used, then TOKEN_REVOKED and nothing it asks for is done', async () => {
    const issued = await createToken('to revoke')
    const before = await ok<{ viewer: { token: { id: string } } }>(t, issued.token, VIEWER)
    expect(before.viewer.token.id).toBe(issued.id)

    const revoked = await ok<{
      revokeApiToken: { __typename: string; apiToken: { id: string; revokedAt: string } }
    }>(
      t,
      owner.token,
      'mutation($id: ID!) { revokeApiToken(input: { id: $id }) { __typename ... on RevokeApiTokenSuccess { apiToken { id revokedAt } } } }',
      { id: issued.id },
    )
    expect(revoked.revokeApiToken.__typename).toBe('RevokeApiTokenSuccess')
    expect(revoked.revokeApiToken.apiToken.id).toBe(issued.id)
    expect(
      t.services.clock.now().getTime() - Date.parse(revoked.revokeApiToken.apiToken.revokedAt),
    ).toBeLessThan(60_000)

    expectAuthFailure(await send(t, VIEWER, {}, bearer(issued.token)), 'TOKEN_REVOKED')
    const accounts = await countAccounts(t)
    const requests = sim.log.length
    const write = await send(
      t,
      CONNECT_ACCOUNT,
      { input: { connection: { softSwiss: sim.accounts[0]!.connection } } },
      bearer(issued.token),
    )
    expectAuthFailure(write, 'TOKEN_REVOKED')
    expect(await countAccounts(t)).toBe(accounts)
    expect(sim.log.length).toBe(requests)
  })

  it('given a token whose expiry has passed, when it is used, then TOKEN_EXPIRED', async () => {
    // createApiToken refuses an expiry already past; a stored token reaches its expiry as time goes by.
    const em = t.db.fork()
    const { id } = await t.workspace('expiry')
    const issued = await issueApiToken(em, em.getReference(Workspace, id), 'expired', {
      expiresAt: new Date('2020-01-01T00:00:00.000Z'),
    })
    expectAuthFailure(await send(t, VIEWER, {}, bearer(issued.token)), 'TOKEN_EXPIRED')
  })

  it('given a token created with an expiry in the future, when it is used, then it works', async () => {
    const expiresAt = new Date(t.services.clock.now().getTime() + 3_600_000).toISOString()
    const issued = await createToken('valid for an hour', expiresAt)
    const data = await ok<{ viewer: { token: { id: string } } }>(t, issued.token, VIEWER)
    expect(data.viewer.token.id).toBe(issued.id)
  })

  it('given any failing token, when the error is returned, then it never echoes the token', async () => {
    const unknown = generateApiToken().token
    const response = await send(t, VIEWER, {}, bearer(unknown))
    expect(response.text).not.toContain(unknown)
    expect(response.text).not.toContain(unknown.split('_')[2]!)
  })
})

describe('connect forms from introspection alone, with a token and no platform-specific code', () => {
  it('given a token, when SoftSwissConnectionInput is introspected, then baseUrl is URL! and token is Secret! with label and help in their descriptions', async () => {
    const response = await send<{
      __type: {
        kind: string
        inputFields: {
          name: string
          description: string
          type: { kind: string; ofType: { kind: string; name: string } }
        }[]
      }
    }>(
      t,
      '{ __type(name: "SoftSwissConnectionInput") { kind inputFields { name description type { kind ofType { kind name } } } } }',
      {},
      bearer(owner.token),
    )
    expect(response.status).toBe(200)
    const type = response.body.data?.__type
    expect(type?.kind).toBe('INPUT_OBJECT')
    const byName = Object.fromEntries((type?.inputFields ?? []).map((f) => [f.name, f]))
    expect(Object.keys(byName)).toEqual(['baseUrl', 'token'])
    expect(byName.baseUrl?.type).toEqual({ kind: 'NON_NULL', ofType: { kind: 'SCALAR', name: 'URL' } })
    expect(byName.token?.type).toEqual({ kind: 'NON_NULL', ofType: { kind: 'SCALAR', name: 'Secret' } })

    expect(byName.baseUrl?.description.split('\n')[0]).toBe('Partner dashboard URL')
    expect(byName.baseUrl?.description).toContain("The address of the affiliate program's partner dashboard")
    expect(byName.token?.description.split('\n')[0]).toBe('Statistic token')
    expect(byName.token?.description).toContain('Reports → Statistics, click Export report and choose JSON')
    expect(byName.token?.description).toContain('between "token=" and "&page="')
  })

  it('given a token, when ConnectionInput is introspected, then it is a oneOf input with a softSwiss field', async () => {
    const response = await send<{
      __type: {
        kind: string
        isOneOf: boolean
        inputFields: { name: string; type: { kind: string; name: string } }[]
      }
    }>(
      t,
      '{ __type(name: "ConnectionInput") { kind isOneOf inputFields { name type { kind name } } } }',
      {},
      bearer(owner.token),
    )
    expect(response.body.errors).toBeUndefined()
    expect(response.body.data?.__type).toEqual({
      kind: 'INPUT_OBJECT',
      isOneOf: true,
      inputFields: t.registry.all().map((p) => ({
        name: p.fieldName,
        type: { kind: 'INPUT_OBJECT', name: `${p.typeName}ConnectionInput` },
      })),
    })
  })

  it('given the schema rebuilt from introspection alone, when it is printed, then ConnectionInput carries @oneOf', () => {
    expect(printSchema(schema)).toMatch(/^input ConnectionInput @oneOf \{$/m)
  })

  it('given the forms rendered from introspection, when compared with platforms { connectionFields }, then they match field for field', async () => {
    const response = await send<{ platforms: PlatformForm[] }>(
      t,
      `{ platforms { id connectionInputField connectionInputType
          connectionFields { name label help secret required example inputType } } }`,
    )
    expect(response.body.errors).toBeUndefined()
    const platforms = response.body.data!.platforms
    expect(platforms.map((p) => p.id)).toEqual(t.registry.all().map((p) => p.definition.id))

    const connectionInput = schema.getType('ConnectionInput')
    if (!isInputObjectType(connectionInput)) throw new Error('ConnectionInput is not an input type')
    for (const platform of platforms) {
      const selector = connectionInput.getFields()[platform.connectionInputField]
      expect(selector, platform.connectionInputField).toBeDefined()
      const inputType = getNamedType(selector!.type)
      expect(inputType.name).toBe(platform.connectionInputType)
      if (!isInputObjectType(inputType)) throw new Error(`${inputType.name} is not an input type`)
      const rendered = Object.values(inputType.getFields()).map(formFromIntrospection)
      expect(rendered).toEqual(platform.connectionFields)
    }
  })

  it('given the SoftSwiss plugin declaration, when the form is queried, then it shows the plugin labels, help, examples and kinds', async () => {
    const response = await send<{ platforms: PlatformForm[] }>(
      t,
      '{ platforms { id connectionFields { name label help secret required example inputType } } }',
    )
    const fields = softswiss.connection.fields
    const form = (response.body.data?.platforms as (PlatformForm & { id: string })[] | undefined)?.find(
      (p) => p.id === 'softswiss',
    )
    expect(form?.connectionFields).toEqual([
      {
        name: 'baseUrl',
        label: 'Partner dashboard URL',
        help: fields.baseUrl.help,
        secret: false,
        required: true,
        example: 'https://partners.example-casino.com',
        inputType: 'URL',
      },
      {
        name: 'token',
        label: 'Statistic token',
        help: fields.token.help,
        secret: true,
        required: true,
        example: 'fk3Hq9ZrT2wLx7VbN4pYc8MdJ6sAe1Gu',
        inputType: 'SECRET',
      },
    ])
  })
})
