/**
 * A GraphQL Code Generator config for clients of affgraph. Copy it into your project as `codegen.ts`, install
 * `@graphql-codegen/cli`, `@graphql-codegen/typescript` and `@graphql-codegen/typescript-operations`, put your
 * operations in `src/**\/*.graphql`, and run `AFFGRAPH_TOKEN=agk_… npx graphql-codegen` (see docs/codegen.md).
 * affgraph's own tests generate and typecheck a client with exactly these settings against a running server.
 */

/**
 * Every custom scalar of schema.graphql as the TypeScript type of its JSON value (the same for input and output).
 * With `strictScalars`, codegen fails on a scalar missing here instead of typing it `unknown`.
 */
export const AFFGRAPH_SCALARS = {
  /** A whole number of events, exact up to 2^53. */
  Count: 'number',
  /** A calendar day, `YYYY-MM-DD`. */
  Date: 'string',
  /** An instant, ISO 8601 in UTC. */
  DateTime: 'string',
  /** A currency's three-letter ISO 4217 code, e.g. `"EUR"`. */
  CurrencyCode: 'string',
  /** An exact decimal number as a string (`"1234.5"`): parse it with a decimal library, not `Number`. */
  Decimal: 'string',
  /** A credential; accepted in inputs only. */
  Secret: 'string',
  /** An absolute http(s) URL. */
  URL: 'string',
} as const

/**
 * What the introspection query must ask for (graphql's `getIntrospectionQuery` options, which the URL loader of
 * GraphQL Code Generator takes per schema entry). Without `oneOf: true` the server's answer does not say that
 * `ConnectionInput` is a oneOf input, and every platform's field comes out optional: `{}` would typecheck.
 */
export const AFFGRAPH_INTROSPECTION = {
  descriptions: true,
  specifiedByUrl: true,
  inputValueDeprecation: true,
  oneOf: true,
} as const

/** Shared by both files: scalars mapped, type-only imports (they suit `verbatimModuleSyntax`). */
const SHARED = { scalars: AFFGRAPH_SCALARS, strictScalars: true, useTypeImports: true }

/** Schema types: enums as string unions, so that the file also compiles under `erasableSyntaxOnly`. */
export const SCHEMA_TYPES_CONFIG = { ...SHARED, enumsAsTypes: true }

/**
 * Operation types. codegen 6's operations plugin declares the inputs and enums it uses itself unless it imports
 * them: schema types go in one file, operations in another that imports it.
 */
export const OPERATIONS_CONFIG = {
  ...SHARED,
  enumType: 'string-literal',
  importSchemaTypesFrom: './schema-types.ts',
  importExtension: '.ts',
}

const url = process.env.AFFGRAPH_URL ?? 'http://127.0.0.1:4000/graphql'
// Introspection needs a token unless the server runs with AFFGRAPH_INTROSPECTION=public.
const token = process.env.AFFGRAPH_TOKEN

const config = {
  overwrite: true,
  schema: [
    { [url]: { headers: token ? { authorization: `Bearer ${token}` } : {}, ...AFFGRAPH_INTROSPECTION } },
  ],
  documents: ['src/**/*.graphql'],
  generates: {
    'src/generated/schema-types.ts': { plugins: ['typescript'], config: SCHEMA_TYPES_CONFIG },
    'src/generated/operations.ts': { plugins: ['typescript-operations'], config: OPERATIONS_CONFIG },
  },
}

export default config
