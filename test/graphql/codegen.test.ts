import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, relative, resolve } from 'node:path'
import { codegen } from '@graphql-codegen/core'
import * as typescriptPlugin from '@graphql-codegen/typescript'
import * as operationsPlugin from '@graphql-codegen/typescript-operations'
import {
  buildClientSchema,
  buildSchema,
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLSchema,
  getIntrospectionQuery,
  type IntrospectionOptions,
  type IntrospectionQuery,
  isScalarType,
  isSpecifiedScalarType,
  lexicographicSortSchema,
  parse,
  printSchema,
} from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AFFGRAPH_INTROSPECTION,
  AFFGRAPH_SCALARS,
  OPERATIONS_CONFIG,
  SCHEMA_TYPES_CONFIG,
} from '../../docs/codegen/codegen.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const SDL = readFileSync(join(ROOT, 'schema.graphql'), 'utf8')

// What a client of this API writes: the public platform list, a connect mutation typed by the generated oneOf
// input (no runtime introspection needed to build it), a page of accounts, and a stats query.
const OPERATIONS = /* GraphQL */ `
  query Platforms {
    platforms {
      id
      name
      version
      connectionInputType
      connectionInputField
      capabilities { metrics breakdowns timeZone maxWindowDays perProgramHost }
      connectionFields { name label help example inputType required secret }
    }
  }

  mutation ConnectAccount($connection: ConnectionInput!, $label: String, $tags: [String!]) {
    connectAccount(input: { connection: $connection, label: $label, tags: $tags }) {
      __typename
      ... on ConnectAccountSuccess {
        account { id label status platformId connectionFields { name isSet hint } }
      }
      ... on UserError { code message fields { path field message } }
      ... on PlatformRateLimitedError { retryAfterSeconds }
    }
  }

  query Accounts($first: Int, $after: String) {
    accounts(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        label
        status
        tags
        timeZone
        lastCheckAt
        lastError { code message }
        platform { id name }
      }
    }
  }

  query Stats($input: StatsInput!) {
    stats(input: $input) {
      currency
      granularity
      rows { nodes {
        periodStart
        platformId
        clicks
        ftds
        commission { amount exactAmount currency }
        epc
        accountsContributing
        conversions { currency rate rateDate source reason }
      } }
      totals { clicks ftds commission { amount currency } accountsContributing }
    }
  }
`

// The shipped config's settings; schema types and operations go in separate files (see docs/codegen/codegen.ts).
async function generate(schemaAst: GraphQLSchema): Promise<{ schemaTypes: string; operations: string }> {
  const schema = parse(printSchema(schemaAst))
  const pluginMap = { typescript: typescriptPlugin, 'typescript-operations': operationsPlugin }
  const schemaTypes = await codegen({
    filename: 'schema-types.ts',
    schema,
    schemaAst,
    documents: [],
    config: SCHEMA_TYPES_CONFIG,
    plugins: [{ typescript: {} }],
    pluginMap,
  })
  const operations = await codegen({
    filename: 'operations.ts',
    schema,
    schemaAst,
    documents: [{ location: 'operations.graphql', document: parse(OPERATIONS) }],
    config: OPERATIONS_CONFIG,
    plugins: [{ 'typescript-operations': {} }],
    pluginMap,
  })
  return { schemaTypes, operations }
}

function tsc(project: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/tsc'), ['--noEmit', '-p', project], { cwd: ROOT })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => done({ code, output }))
  })
}

let live: { t: TestApp; server: Server; url: string; token: string } | undefined

/** A real server on a free port of this machine, with a workspace token (introspection needs one by default). */
async function liveServer(): Promise<NonNullable<typeof live>> {
  if (live) return live
  const t = await createTestApp()
  const server = createServer(t.app)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  const { token } = await t.workspace('codegen')
  live = { t, server, url: `http://127.0.0.1:${port}/graphql`, token }
  return live
}

/** What a client's tooling does: POST the introspection query over HTTP and build a schema from the answer. */
async function introspectLive(options: IntrospectionOptions): Promise<GraphQLSchema> {
  const { url, token } = await liveServer()
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: getIntrospectionQuery(options) }),
  })
  const body = (await response.json()) as { data?: IntrospectionQuery; errors?: unknown[] }
  expect(response.status, JSON.stringify(body.errors)).toBe(200)
  return buildClientSchema(body.data!)
}

afterAll(async () => {
  if (!live) return
  const { server, t } = live
  await new Promise((done) => server.close(done))
  await t.close()
})

const SOURCES = [
  { id: 'file', name: 'schema.graphql', load: async () => buildSchema(SDL) },
  {
    id: 'live',
    name: 'a live server introspected over HTTP with the shipped options',
    load: () => introspectLive(AFFGRAPH_INTROSPECTION),
  },
]

describe('introspecting a live server', () => {
  it('given the shipped introspection options, when the schema is built from the answer, then ConnectionInput is oneOf, and without oneOf: true it is not', async () => {
    const withOneOf = await introspectLive(AFFGRAPH_INTROSPECTION)
    const without = await introspectLive({ ...AFFGRAPH_INTROSPECTION, oneOf: false })
    expect((withOneOf.getType('ConnectionInput') as GraphQLInputObjectType).isOneOf).toBe(true)
    expect((without.getType('ConnectionInput') as GraphQLInputObjectType).isOneOf).toBe(false)
    // With @specifiedBy asked for too, the live schema prints as the contract does.
    expect(printSchema(lexicographicSortSchema(withOneOf))).toBe(
      printSchema(lexicographicSortSchema(buildSchema(SDL))),
    )
  })
})

for (const source of SOURCES) {
  describe(`GraphQL Code Generator on ${source.name}`, () => {
    let schemaAst: GraphQLSchema
    let generated: { schemaTypes: string; operations: string }
    const warnings: string[] = []
    let outDir: string | undefined

    beforeAll(async () => {
      // Plugins report problems they tolerate through console.warn / console.error or process warnings, not errors.
      const original = { warn: console.warn, error: console.error }
      const record =
        (kind: string) =>
        (...args: unknown[]) => {
          warnings.push(`${kind}: ${args.map(String).join(' ')}`)
        }
      const onWarning = (warning: Error) => warnings.push(`process: ${warning.message}`)
      console.warn = record('console.warn')
      console.error = record('console.error')
      process.on('warning', onWarning)
      try {
        schemaAst = await source.load()
        generated = await generate(schemaAst)
      } finally {
        console.warn = original.warn
        console.error = original.error
        process.off('warning', onWarning)
      }
    })

    afterAll(() => {
      if (outDir) rmSync(outDir, { recursive: true, force: true })
    })

    it('given the schema and a few client operations, when codegen runs, then it succeeds without any warning', () => {
      expect(generated.schemaTypes.length).toBeGreaterThan(10_000)
      expect(generated.operations.length).toBeGreaterThan(1_000)
      expect(warnings).toEqual([])
    })

    it('given the generated operation types, when read, then each operation has its result and variables types', () => {
      for (const name of ['PlatformsQuery', 'ConnectAccountMutation', 'AccountsQuery', 'StatsQuery']) {
        expect(generated.operations).toContain(`export type ${name} =`)
        expect(generated.operations).toContain(`export type ${name}Variables =`)
      }
      expect(generated.operations).toMatch(/connection: Types\.ConnectionInput;/)
      // The result union names each member, so a client can switch on __typename without introspection.
      expect(generated.operations).toContain("__typename: 'PlatformRateLimitedError'")
      expect(generated.operations).toMatch(/retryAfterSeconds: number \| null/)
    })

    it('given the oneOf ConnectionInput, when generated, then it is a union with exactly one platform field per member', () => {
      const union = /export type ConnectionInput =([\s\S]*?);\n\n/.exec(generated.schemaTypes)?.[1] ?? ''
      const members = [...union.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!)
      expect(members.length).toBeGreaterThanOrEqual(6)
      for (const member of members) {
        const set = [...member.matchAll(/(\w+)(\??): (\w+);/g)].filter(
          ([, , optional, type]) => !(optional && type === 'never'),
        )
        expect(set, member).toHaveLength(1)
      }
      expect(members.some((m) => / softSwiss: SoftSwissConnectionInput;/.test(m))).toBe(true)
    })

    it('given every custom scalar of the schema, when generated, then each has the shipped type and none is unknown or any', () => {
      const custom = Object.values(schemaAst.getTypeMap())
        .filter((type) => isScalarType(type) && !isSpecifiedScalarType(type) && !type.name.startsWith('__'))
        .map((type) => type.name)
        .sort()
      expect(custom).toEqual(Object.keys(AFFGRAPH_SCALARS).sort())
      const block = /export type Scalars = \{([\s\S]*?)\n\};/.exec(generated.schemaTypes)?.[1] ?? ''
      for (const name of custom) {
        const type = AFFGRAPH_SCALARS[name as keyof typeof AFFGRAPH_SCALARS]
        expect(block).toContain(`${name}: { input: ${type}; output: ${type}; }`)
      }
      const types = [...block.matchAll(/^\s*\w+: \{ input: (.+); output: (.+); \}$/gm)].flatMap((m) => [
        m[1],
        m[2],
      ])
      expect(types.length).toBeGreaterThanOrEqual(2 * (custom.length + 5))
      expect(types.filter((type) => /\b(unknown|any)\b/.test(type!))).toEqual([])
    })

    it('given the ErrorCode enum, when generated, then it lists exactly the schema values', () => {
      const values = (schemaAst.getType('ErrorCode') as GraphQLEnumType).getValues().map((v) => v.name)
      // Each value is a `| 'VALUE'` line; its description (a comment above it) may hold any punctuation.
      const union = /export type ErrorCode =([\s\S]*?)\n\n/.exec(generated.schemaTypes)?.[1] ?? ''
      const generatedValues = [...union.matchAll(/^\s*\|\s*'([A-Z_]+)'/gm)].map((m) => m[1])
      expect(values).toContain('PLATFORM_AUTH_FAILED')
      expect(generatedValues).toEqual(values)
    })

    it('given the generated files and client code using them, when typechecked with the project options, then tsc reports nothing', async () => {
      const base = join(ROOT, 'test-output')
      mkdirSync(base, { recursive: true })
      outDir = mkdtempSync(join(base, `codegen-${source.id}-`))
      writeFileSync(join(outDir, 'schema-types.ts'), generated.schemaTypes)
      writeFileSync(join(outDir, 'operations.ts'), generated.operations)
      writeFileSync(
        join(outDir, 'client.ts'),
        `import type { ConnectionInput } from './schema-types.ts'
import type { ConnectAccountMutation, ConnectAccountMutationVariables } from './operations.ts'

const connection: ConnectionInput = { softSwiss: { baseUrl: 'https://partners.example.com', token: 'fk3Hq9ZrT2wLx7VbN4pYc8MdJ6sAe1Gu' } }
export const variables: ConnectAccountMutationVariables = { connection, label: 'Example', tags: ['casino'] }

// @ts-expect-error a oneOf input takes exactly one platform
export const two: ConnectionInput = { softSwiss: { baseUrl: 'https://a.example', token: 'x' }, clickBank: { apiKey: 'API-X', nickname: 'n' } }

export function outcome(result: ConnectAccountMutation): string {
  const r = result.connectAccount
  if (r.__typename === 'ConnectAccountSuccess') return r.account.id
  if (r.__typename === 'PlatformRateLimitedError') return \`retry in \${r.retryAfterSeconds ?? '?'} s\`
  return \`\${r.code}: \${r.message}\`
}
`,
      )
      writeFileSync(
        join(outDir, 'tsconfig.json'),
        JSON.stringify({ extends: relative(outDir, join(ROOT, 'tsconfig.json')), include: ['.'] }),
      )
      const result = await tsc(join(outDir, 'tsconfig.json'))
      expect(result.code, result.output).toBe(0)
    })
  })
}
