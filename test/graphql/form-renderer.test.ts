import {
  buildClientSchema,
  type GraphQLInputType,
  type GraphQLSchema,
  getIntrospectionQuery,
  getNamedType,
  type IntrospectionQuery,
  isInputObjectType,
  isNonNullType,
} from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

/**
 * A connect form as a client would build it with nothing but the server's introspection: one form per member of
 * the oneOf `ConnectionInput`, one control per input field, labelled by its description, required when non-null,
 * prefilled with its default. Errors go next to the control their `path` ends in, wherever they come from: the
 * `fields` of a result union member, or `extensions.fields` of a top-level error (values the schema itself
 * refuses, such as a required field left out). Nothing here reads affgraph's code.
 */
interface FormControl {
  name: string
  label: string
  control: 'password' | 'url' | 'text'
  required: boolean
  defaultValue: string | undefined
}
interface ConnectForm {
  member: string
  controls: FormControl[]
}
interface Issue {
  path: string[]
  message: string
}

function renderForms(schema: GraphQLSchema): ConnectForm[] {
  const root = schema.getType('ConnectionInput')
  if (!isInputObjectType(root) || !root.isOneOf) throw new Error('ConnectionInput is not a oneOf input')
  return Object.values(root.getFields()).map((member) => {
    const type = getNamedType(member.type)
    if (!isInputObjectType(type)) throw new Error(`${member.name} is not an input type`)
    return {
      member: member.name,
      controls: Object.values(type.getFields()).map((field) => {
        const scalar = getNamedType(field.type as GraphQLInputType).name
        return {
          name: field.name,
          label: (field.description ?? '').split('\n')[0]!,
          control: scalar === 'Secret' ? 'password' : scalar === 'URL' ? 'url' : 'text',
          required: isNonNullType(field.type) && field.defaultValue === undefined,
          defaultValue: field.defaultValue === undefined ? undefined : String(field.defaultValue),
        }
      }),
    }
  })
}

/** What the form shows after a submit: messages under their controls, and the rest above the form. */
function placeErrors(form: ConnectForm, body: SubmitBody) {
  const result = body.data?.testConnection
  const issues: Issue[] = [
    ...(result?.fields ?? []),
    ...(body.errors ?? []).flatMap((e) => (e.extensions?.fields as Issue[] | undefined) ?? []),
  ]
  const byControl: Record<string, string[]> = {}
  const general: string[] = []
  for (const issue of issues) {
    const control = form.controls.find((c) => c.name === issue.path.at(-1))
    if (control && issue.path.slice(-2, -1)[0] === form.member) {
      byControl[control.name] = [...(byControl[control.name] ?? []), issue.message]
    } else general.push(issue.message)
  }
  if (issues.length === 0) general.push(...(body.errors ?? []).map((e) => e.message))
  return { byControl, general, typename: result?.__typename, code: result?.code }
}

interface SubmitBody {
  data?: {
    testConnection?: {
      __typename: string
      code?: string
      message?: string
      fields?: { path: string[]; field: string; message: string }[]
    }
  } | null
  errors?: { message: string; extensions?: Record<string, unknown> }[]
}

const SUBMIT = `mutation Submit($input: ConnectionInput!) {
  testConnection(input: $input) {
    __typename
    ... on UserError { code message fields { path field message } }
  }
}`

let t: TestApp
let schema: GraphQLSchema
let forms: ConnectForm[]
const simulators = new Map<string, PlatformSimulator>()

beforeAll(async () => {
  t = await createTestApp()
  const { token } = await t.workspace('form-renderer')
  const introspection = await t.gql<IntrospectionQuery>(
    getIntrospectionQuery({ descriptions: true, oneOf: true, inputValueDeprecation: true }),
    {},
    token,
  )
  expect(introspection.body.errors).toBeUndefined()
  schema = buildClientSchema(introspection.body.data!)
  forms = renderForms(schema)
  // The user's side of the form: what a user of each platform would type, from the platform's simulator.
  for (const platform of t.registry.all()) {
    simulators.set(
      platform.fieldName,
      await platform.definition.simulator.create({ seed: 'forms', accounts: 1 }),
    )
  }
}, 120_000)

afterAll(async () => {
  for (const sim of simulators.values()) await sim.close()
  await t?.close()
})

/** Submits values typed into a form, each platform under its own workspace (credential tests are rate limited). */
async function submit(form: ConnectForm, values: Record<string, string | undefined>) {
  const typed = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined))
  const { token } = await t.workspace(`form-${form.member}`)
  const response = await t.gql<NonNullable<SubmitBody['data']>>(
    SUBMIT,
    { input: { [form.member]: typed } },
    token,
  )
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(500)
  return placeErrors(form, response.body as SubmitBody)
}

describe('a connect form rendered from introspection alone', () => {
  it('given the introspected schema, when the forms are rendered, then every loaded platform has one with labelled controls and a required one', () => {
    expect(forms.map((f) => f.member).sort()).toEqual(
      t.registry
        .all()
        .map((p) => p.fieldName)
        .sort(),
    )
    expect(forms.length).toBeGreaterThanOrEqual(14)
    for (const form of forms) {
      expect(form.controls.length, form.member).toBeGreaterThan(0)
      expect(
        form.controls.filter((c) => c.label.trim() === '').map((c) => c.name),
        form.member,
      ).toEqual([])
      expect(
        form.controls.some((c) => c.required),
        form.member,
      ).toBe(true)
      expect(
        form.controls.some((c) => c.control === 'password'),
        form.member,
      ).toBe(true)
    }
  })

  it('given each form filled as its user would, when submitted, then the platform accepts it and no error is shown', async () => {
    for (const form of forms) {
      const shown = await submit(form, simulators.get(form.member)!.accounts[0]!.connection)
      expect(shown, form.member).toMatchObject({
        typename: 'TestConnectionSuccess',
        byControl: {},
        general: [],
      })
    }
  })

  it('given each form with a required control left out, when submitted, then "required" shows under that control', async () => {
    for (const form of forms) {
      const missing = form.controls.find((c) => c.required)!
      const values = { ...simulators.get(form.member)!.accounts[0]!.connection, [missing.name]: undefined }
      const shown = await submit(form, values)
      expect(Object.keys(shown.byControl), form.member).toEqual([missing.name])
      expect(shown.byControl[missing.name]!.join(' '), form.member).toMatch(/required/i)
      expect(shown.general, form.member).toEqual([])
    }
  })

  it('given each form with a required control blank or malformed, when submitted, then CREDENTIALS_INVALID shows under that control and nothing reaches the platform', async () => {
    for (const form of forms) {
      const sim = simulators.get(form.member)!
      for (const control of form.controls.filter((c) => c.required)) {
        const requests = sim.log.length
        const bad = control.control === 'url' ? 'not a url' : ''
        const shown = await submit(form, { ...sim.accounts[0]!.connection, [control.name]: bad })
        const where = `${form.member}.${control.name}=${JSON.stringify(bad)}`
        expect(shown.typename, where).toBe('CredentialsInvalidError')
        expect(shown.code, where).toBe('CREDENTIALS_INVALID')
        expect(Object.keys(shown.byControl), where).toContain(control.name)
        expect(shown.general, where).toEqual([])
        expect(sim.log.length, where).toBe(requests)
      }
    }
  })

  it('given each form with credentials the platform refuses, when submitted, then the refusal shows under the credential controls', async () => {
    for (const form of forms) {
      const shown = await submit(form, simulators.get(form.member)!.invalidConnection())
      expect(shown.typename, form.member).toBe('PlatformAuthError')
      expect(shown.code, form.member).toBe('PLATFORM_AUTH_FAILED')
      const named = Object.keys(shown.byControl)
      expect(named.length, form.member).toBeGreaterThan(0)
      expect(shown.general, form.member).toEqual([])
    }
  })
})
