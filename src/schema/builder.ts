import type { EntityManager } from '@mikro-orm/core'
import SchemaBuilder from '@pothos/core'
import RelayPlugin, { type RelayPluginOptions } from '@pothos/plugin-relay'
import ZodPlugin from '@pothos/plugin-zod'
import { GraphQLError, Kind } from 'graphql'
import type { Logger } from 'pino'
import type { AppServices } from '../app-services.ts'
import { isCalendarDay, parseInstant } from '../db/iso-day.ts'
import { isIso4217Code } from '../fx/currency-codes.ts'
import { NODE_TYPES } from './global-ids.ts'
import './input-errors.plugin.ts'
import { AUTH_FAILURE_MESSAGES, type AuthResult, type Principal } from '../workspace/workspace.service.ts'

export interface GraphQLContext {
  requestId: string
  /** The process logger bound to this request's id: every line written while serving it carries the id. */
  log: Logger
  /** The request's own unit of work; tenant-filtered once a principal is known. */
  em: EntityManager
  auth: AuthResult
  services: AppServices
  /** Request-scoped DataLoaders, created on first use (see `createLoaderCache`). */
  loaders: LoaderCache
  /** The HTTP request (Yoga's own context field). */
  request?: Request
}

/** DataLoaders live for one request: they batch its fields and cache nothing across requests or tenants. */
export interface LoaderCache {
  get<T>(name: string, create: () => T): T
}

export function createLoaderCache(): LoaderCache {
  const loaders = new Map<string, unknown>()
  return {
    get<T>(name: string, create: () => T): T {
      if (!loaders.has(name)) loaders.set(name, create())
      return loaders.get(name) as T
    },
  }
}

export interface FieldIssue {
  /** Path inside the argument, e.g. ["input", "connection", "softSwiss", "token"]. */
  path: string[]
  message: string
}

export type AppSchemaTypes = {
  Context: GraphQLContext
  Scalars: {
    Secret: { Input: string; Output: never }
    URL: { Input: string; Output: string }
    DateTime: { Input: Date; Output: Date }
    Date: { Input: string; Output: string }
    Decimal: { Input: string; Output: string }
    Count: { Input: number; Output: number }
    CurrencyCode: { Input: string; Output: string }
  }
  DefaultInputFieldRequiredness: false
  DefaultEdgesNullability: { list: false; items: false }
  DefaultNodeNullability: false
  Connection: { totalCount?: number | (() => Promise<number>) }
}

export type AppBuilder = PothosSchemaTypes.SchemaBuilder<PothosSchemaTypes.ExtendDefaultTypes<AppSchemaTypes>>

/** Throws unless the request carries a valid token; the returned principal scopes every read and write. */
export function requirePrincipal(ctx: GraphQLContext): Principal {
  if (ctx.auth.ok) return ctx.auth.principal
  throw new GraphQLError(AUTH_FAILURE_MESSAGES[ctx.auth.reason], {
    extensions: { code: ctx.auth.reason, http: { status: 401 } },
  })
}

const RFC_3339_DATE_TIME = 'https://www.rfc-editor.org/rfc/rfc3339#section-5.6'

/**
 * The custom scalars published without `@specifiedBy`, and why: no public specification describes exactly the
 * values they accept, so their descriptions state the format in full instead. A spec URL that is only roughly
 * right would mislead generated validators.
 */
export const SCALARS_WITHOUT_SPECIFICATION: Readonly<Record<string, string>> = {
  Secret: 'an opaque credential string of the platform that issued it; no format of its own to specify',
  Decimal:
    'a plain decimal string (no exponent, no grouping); JSON numbers and IEEE 754 decimal formats do not match it',
  Count:
    'a JSON number restricted to whole numbers from 0 to 2^53; the restriction is ours, stated in its description',
  CurrencyCode:
    'an ISO 4217 alphabetic code on input, but an output may carry a code a platform sent that ISO 4217 does not ' +
    'list; a validator built from the ISO 4217 page would refuse such real answers',
}

function parseDay(value: unknown): string {
  if (!isCalendarDay(value)) {
    throw new GraphQLError(
      'Date must be a calendar day written YYYY-MM-DD, between 0001-01-01 and 9999-12-31',
    )
  }
  return value
}

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !/^[+-]?\d+(\.\d+)?$/.test(value)) {
    throw new GraphQLError('Decimal must be a string such as "12.34"')
  }
  return value
}

function parseCount(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new GraphQLError('Count must be a non-negative whole number')
  }
  return value
}

function parseCurrencyCode(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value) || !isIso4217Code(value)) {
    throw new GraphQLError('CurrencyCode must be an upper-case ISO 4217 currency code such as "EUR"')
  }
  return value
}

/** Largest page a connection serves, and the largest `nodes(ids:)` list: stated in their descriptions. */
export const MAX_PAGE_SIZE = 100

const RELAY_OPTIONS: RelayPluginOptions<PothosSchemaTypes.ExtendDefaultTypes<AppSchemaTypes>> = {
  clientMutationId: 'omit',
  cursorType: 'String',
  edgesFieldOptions: {
    nullable: { list: false, items: false },
    description: 'The items of this page, each with its cursor.',
  },
  nodeFieldOptions: { nullable: false, description: 'The item.' },
  nodesOnConnection: { description: 'The items of this page, without cursors (the nodes of `edges`).' },
  cursorFieldOptions: { description: 'Where this item sits in the list: pass it as `after` or `before`.' },
  pageInfoFieldOptions: {
    description: 'Where this page sits in the list, to ask for the next or the previous one.',
  },
  nodeTypeOptions: {
    description:
      'An object with a global id, refetchable with `Query.node(id:)`. Global ids are opaque strings; every ' +
      'argument that names an object takes its global id.',
  },
  idFieldOptions: {
    description: 'Global id of the object: pass it to `node(id:)` and to every argument naming it.',
  },
  pageInfoTypeOptions: { description: 'Where a page of a connection sits in its list.' },
  hasNextPageFieldOptions: {
    description:
      'Whether more items follow this page. Paging back with `last`: true when `before` was given.',
  },
  hasPreviousPageFieldOptions: {
    description:
      'Whether items come before this page. Paging forward with `first`: true when `after` was given.',
  },
  startCursorFieldOptions: {
    description:
      'Cursor of the first item of the page: pass it as `before` for the previous page. Null when empty.',
  },
  endCursorFieldOptions: {
    description:
      'Cursor of the last item of the page: pass it as `after` for the next page. Null when empty.',
  },
  firstArgOptions: {
    description: `Page forward: at most this many items after \`after\` (0 to ${MAX_PAGE_SIZE}). Not with \`last\`.`,
  },
  lastArgOptions: {
    description: `Page back: at most this many items before \`before\` (0 to ${MAX_PAGE_SIZE}). Not with \`first\`.`,
  },
  afterArgOptions: { description: 'A cursor of this list (`pageInfo.endCursor`): items after it.' },
  beforeArgOptions: { description: 'A cursor of this list (`pageInfo.startCursor`): items before it.' },
  defaultConnectionTypeOptions: {},
  defaultEdgeTypeOptions: {},
  defaultPayloadTypeOptions: {},
  defaultMutationInputTypeOptions: {},
  mutationInputArgOptions: {},
  clientMutationIdInputOptions: {},
  clientMutationIdFieldOptions: {},
  relayMutationFieldOptions: {},
  nodeQueryOptions: {
    description:
      'Any object of your workspace by its global id; null for an unknown id, an id of another workspace, or one of ' +
      'a type that is not a Node. An id that is no global id at all is refused (INVALID_ARGUMENT).',
    args: { id: { description: 'A global id, as `Node.id`.' } },
    resolve: (_root, args, ctx, _info, resolveNode) => {
      requirePrincipal(ctx)
      return isNodeType(args.id.typename) ? resolveNode(args.id) : null
    },
  },
  nodesQueryOptions: {
    description:
      `Objects of your workspace by their global ids (at most ${MAX_PAGE_SIZE}), in the order asked; null in place ` +
      'of an unknown id, an id of another workspace, or one of a type that is not a Node.',
    args: { ids: { description: `Global ids, as \`Node.id\`; at most ${MAX_PAGE_SIZE}.` } },
    resolve: async (_root, args, ctx, _info, resolveNodes) => {
      requirePrincipal(ctx)
      if (args.ids.length > MAX_PAGE_SIZE) throw invalidArgument(['ids'], `at most ${MAX_PAGE_SIZE} ids`)
      const known = args.ids.filter((id) => isNodeType(id.typename))
      const found = await resolveNodes(known)
      const byPosition = new Map(known.map((id, i) => [id, found[i]]))
      return args.ids.map((id) => byPosition.get(id) ?? null)
    },
  },
}

const isNodeType = (name: string) => (NODE_TYPES as readonly string[]).includes(name)

export function createBuilder(): AppBuilder {
  const builder = new SchemaBuilder<AppSchemaTypes>({
    // First, so it wraps the relay plugin's id decoding and the zod plugin's validation: a mutation's refused
    // input becomes a union member.
    plugins: ['affgraphInputErrors', RelayPlugin, ZodPlugin],
    relay: RELAY_OPTIONS,
    zod: {
      // A typed, field-level error instead of a raw ZodError (which Yoga would mask as "Unexpected error.").
      // Messages come from our schemas and never echo the submitted value, so secrets cannot leak through here.
      validationError: (error, _args, _ctx, info) => {
        const fields: FieldIssue[] = error.issues.map((issue) => ({
          path: issue.path.map(String),
          message: issue.message,
        }))
        const summary = fields.map((f) => `${f.path.at(-1) ?? 'input'}: ${f.message}`).join('; ')
        // Credentials are what the connection inputs hold; anything else is an argument.
        const credentials = fields.some((f) => f.path.includes('connection') || f.path[0] === 'connections')
        const testConnection = info.parentType.name === 'Mutation' && info.fieldName === 'testConnection'
        const code = credentials || testConnection ? 'CREDENTIALS_INVALID' : 'INVALID_ARGUMENT'
        return new GraphQLError(`Invalid input: ${summary}`, { extensions: { code, fields } })
      },
    },
  })

  // No specifiedBy: see SCALARS_WITHOUT_SPECIFICATION.
  builder.scalarType('Secret', {
    description:
      'A credential, as a string exactly as the platform issued it. Write-only: affgraph accepts it in inputs, ' +
      'encrypts it at rest and never returns it in any output.',
    serialize: () => {
      throw new GraphQLError('Secret values are write-only')
    },
    parseValue: (value) => {
      if (typeof value !== 'string') throw new GraphQLError('Secret must be a string')
      return value
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError('Secret must be a string')
      return ast.value
    },
  })

  builder.scalarType('URL', {
    description:
      'An absolute http(s) URL as a string, e.g. a program\'s own domain such as "https://partners.example.com". ' +
      'Inputs are parsed as the WHATWG URL Standard parses them; the field using it may restrict it further (no ' +
      'user name, query or fragment in a base URL).',
    specifiedByURL: 'https://url.spec.whatwg.org/#absolute-url-string',
    serialize: (value) => String(value),
    parseValue: (value) => {
      if (typeof value !== 'string') throw new GraphQLError('URL must be a string')
      return value
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError('URL must be a string')
      return ast.value
    },
  })

  builder.scalarType('DateTime', {
    description:
      'An instant, as an RFC 3339 date-time string. Outputs are always in UTC with milliseconds, e.g. ' +
      '"2026-03-01T12:00:00.000Z". Inputs need a time zone offset ("Z" or "+02:00"); seconds may be left out; the ' +
      'day must be a real calendar day of the years 0001 to 9999.',
    specifiedByURL: RFC_3339_DATE_TIME,
    serialize: (value) =>
      value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString(),
    parseValue: (value) => {
      // JavaScript dates roll 2026-02-30 over into March and reach ±275760 years, PostgreSQL's timestamptz only
      // 4713 BC: such a value would fail a statement as an unexpected error instead of telling the client.
      const date = parseInstant(value)
      if (!date) {
        throw new GraphQLError(
          'DateTime must be an ISO 8601 instant such as 2026-03-01T12:00:00Z, on a real calendar day of the years 0001 to 9999',
        )
      }
      return date
    },
  })

  builder.scalarType('Date', {
    description:
      'A calendar day as an RFC 3339 full-date string, `YYYY-MM-DD`, between 0001-01-01 and 9999-12-31. It has no ' +
      'time zone of its own: a stats day is a platform day, counted in the reporting time zone of its account.',
    specifiedByURL: RFC_3339_DATE_TIME,
    serialize: (value) => String(value),
    parseValue: (value) => parseDay(value),
    parseLiteral: (ast) => parseDay(ast.kind === Kind.STRING ? ast.value : null),
  })

  builder.scalarType('Decimal', {
    // No specifiedBy: see SCALARS_WITHOUT_SPECIFICATION.
    description:
      'An exact decimal number as a string: an optional sign, digits, and optionally "." and more digits, e.g. ' +
      '"1234.5" or "-0.25" (no exponent, no thousands separator). Money is never rounded through a binary float; ' +
      'the number of fraction digits varies and carries no meaning.',
    serialize: (value) => String(value),
    parseValue: (value) => parseDecimal(value),
    parseLiteral: (ast) => parseDecimal(ast.kind === Kind.STRING ? ast.value : null),
  })

  builder.scalarType('Count', {
    // No specifiedBy: see SCALARS_WITHOUT_SPECIFICATION.
    description:
      'A whole number of events (clicks, signups…), as a JSON number, never negative. Unlike `Int` it may exceed ' +
      '2^31 − 1; it is exact up to 2^53.',
    serialize: (value) => Number(value),
    parseValue: (value) => parseCount(value),
    parseLiteral: (ast) => parseCount(ast.kind === Kind.INT ? Number(ast.value) : null),
  })

  builder.scalarType('CurrencyCode', {
    // No specifiedBy: see SCALARS_WITHOUT_SPECIFICATION.
    description:
      'A currency as its ISO 4217 alphabetic code: three upper-case letters, e.g. "EUR", "JPY", "KWD" ' +
      '(https://www.iso.org/iso-4217-currency-codes.html). Inputs must be a code ISO 4217 lists (current codes, and ' +
      'those withdrawn since 2020); anything else is refused naming the field. Outputs are the codes the platforms ' +
      'reported and are never refused: a code ISO 4217 does not list is returned as sent, and money in it is rounded ' +
      'to 2 decimal places.',
    serialize: (value) => String(value),
    parseValue: (value) => parseCurrencyCode(value),
    parseLiteral: (ast) => parseCurrencyCode(ast.kind === Kind.STRING ? ast.value : null),
  })

  builder.queryType({
    description: 'Everything but `platforms` needs an API token (Authorization: Bearer <token>).',
  })
  builder.mutationType({ description: 'Every mutation needs an API token (Authorization: Bearer <token>).' })
  return builder as unknown as AppBuilder
}

/** An argument the client must change: a top-level INVALID_ARGUMENT naming its path, like a validation failure. */
export function invalidArgument(path: (string | number)[], message: string): GraphQLError {
  return new GraphQLError(`Invalid input: ${path.at(-1)}: ${message}`, {
    extensions: { code: 'INVALID_ARGUMENT', fields: [{ path, message }] },
  })
}

/** The last day any platform can have reached: UTC+14 is a day ahead of UTC. */
export function latestPlatformDay(now: Date): string {
  return new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10)
}
