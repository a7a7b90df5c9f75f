import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { bearer, type GqlResponse, send } from '../graphql/graphql-helpers.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

const SCHEMA = '{ __schema { queryType { name } } }'
const TYPE = '{ __type(name: "ConnectionInput") { name } }'
// "platformz" is one letter off two real fields: graphql-js suggests them unless told not to.
const TYPO = '{ platformz { id } }'
// A variable naming an enum value one letter off: coercing it suggests the real value.
const ENUM_TYPO =
  'query($g: StatsGranularity!) { stats(input: { range: { from: "2026-01-01", to: "2026-01-02" }, granularity: $g }) { from } }'

type Mode = 'authenticated' | 'public' | 'off'
const apps = new Map<Mode, { t: TestApp; token: string }>()

let base: TestApp

beforeAll(async () => {
  base = await createTestApp({ env: { AFFGRAPH_SYNC: 'off' } })
  const token = (await base.workspace('introspection')).token
  // One database and services, three apps that differ only in their introspection setting.
  for (const mode of ['authenticated', 'public', 'off'] as const) {
    const app = createApp({ ...base.services, config: { ...base.services.config, introspection: mode } })
    apps.set(mode, { t: { ...base, app }, token })
  }
})

afterAll(async () => {
  await base?.close()
})

async function ask(
  mode: Mode,
  query: string,
  withToken: boolean,
  variables = {},
): Promise<GqlResponse<unknown>> {
  const app = apps.get(mode)!
  return send(app.t, query, variables, withToken ? bearer(app.token) : {})
}

function expectIntrospectionRefused(response: GqlResponse<unknown>, message: RegExp): void {
  expect(response.body.data ?? null, response.text).toBeNull()
  expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['INTROSPECTION_DISABLED'])
  expect(response.body.errors?.[0]?.message).toMatch(message)
}

const messages = (response: GqlResponse<unknown>) =>
  (response.body.errors ?? []).map((e) => e.message).join('\n')

describe('AFFGRAPH_INTROSPECTION=authenticated (the default)', () => {
  it('given no token, when __schema or __type is asked for, then INTROSPECTION_DISABLED tells the caller to send a token', async () => {
    expectIntrospectionRefused(await ask('authenticated', SCHEMA, false), /API token/)
    expectIntrospectionRefused(await ask('authenticated', TYPE, false), /API token/)
  })

  it('given a token, when __schema and __type are asked for, then both answer', async () => {
    const schema = await ask('authenticated', SCHEMA, true)
    expect(schema.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } })
    const type = await ask('authenticated', TYPE, true)
    expect(type.body).toEqual({ data: { __type: { name: 'ConnectionInput' } } })
  })

  it('given no token, when a field name is misspelt, then the error suggests no field; with a token it does', async () => {
    const anonymous = await ask('authenticated', TYPO, false)
    expect(messages(anonymous)).toContain('Cannot query field "platformz" on type "Query".')
    expect(messages(anonymous)).not.toMatch(/Did you mean|platforms/)
    const signedIn = await ask('authenticated', TYPO, true)
    expect(messages(signedIn)).toMatch(/Did you mean "platform" or "platforms"\?/)
  })

  it('given no token, when __typename is asked for, then it answers (it reveals nothing of the schema)', async () => {
    expect((await ask('authenticated', '{ __typename }', false)).body).toEqual({
      data: { __typename: 'Query' },
    })
  })
})

describe('AFFGRAPH_INTROSPECTION=public', () => {
  it('given no token, when the schema is introspected, then it answers and suggestions are given', async () => {
    expect((await ask('public', SCHEMA, false)).body).toEqual({
      data: { __schema: { queryType: { name: 'Query' } } },
    })
    expect(messages(await ask('public', TYPO, false))).toMatch(/Did you mean "platform" or "platforms"\?/)
  })
})

describe('AFFGRAPH_INTROSPECTION=off', () => {
  it('given a token, when __schema or __type is asked for, then INTROSPECTION_DISABLED says it is off', async () => {
    expectIntrospectionRefused(await ask('off', SCHEMA, true), /disabled on this server/)
    expectIntrospectionRefused(await ask('off', TYPE, true), /disabled on this server/)
    expectIntrospectionRefused(await ask('off', SCHEMA, false), /disabled on this server/)
  })

  it('given a token, when a field or an enum value is misspelt, then no error suggests a name', async () => {
    const field = await ask('off', TYPO, true)
    expect(messages(field)).toContain('Cannot query field "platformz" on type "Query".')
    expect(messages(field)).not.toMatch(/Did you mean|"platforms?"/)
    const value = await ask('off', ENUM_TYPO, true, { g: 'DAYS' })
    expect(messages(value)).toContain('"DAYS"')
    expect(messages(value)).not.toMatch(/Did you mean|"DAY"/)
    // The same typo where introspection is allowed does get the hint: the check above is not vacuous.
    expect(messages(await ask('public', ENUM_TYPO, true, { g: 'DAYS' }))).toMatch(
      /Did you mean the enum value "DAY"\?/,
    )
  })
})
