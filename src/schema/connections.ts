import type { EntityClass } from '@mikro-orm/core'
import { type ResolveCursorConnectionArgs, resolveCursorConnection } from '@pothos/plugin-relay'
import { parseInstant } from '../db/iso-day.ts'
import { isUuid } from '../db/uuid.ts'
import { type AppSchemaTypes, type GraphQLContext, invalidArgument, MAX_PAGE_SIZE } from './builder.ts'

/** The four Relay paging arguments, as every connection field takes them. */
export interface PageArgs {
  first?: number | null
  last?: number | null
  after?: string | null
  before?: string | null
}

/** What a connection resolver hands the plugin: edges and pageInfo, plus a count made only when asked. */
export interface CountedConnection {
  totalCount?: number | (() => Promise<number>)
}

/**
 * Refuses paging arguments Relay leaves undefined or that exceed our bound, each naming its argument: the
 * relay plugin's own checks throw untyped errors without a path.
 */
export function checkPageArgs(args: PageArgs, maxSize = MAX_PAGE_SIZE): void {
  for (const name of ['first', 'last'] as const) {
    const value = args[name]
    if (value != null && (value < 0 || value > maxSize))
      throw invalidArgument([name], `must be between 0 and ${maxSize}`)
  }
  if (args.first != null && args.last != null)
    throw invalidArgument(
      ['last'],
      'cannot be combined with `first`: page forward with first/after, back with last/before',
    )
  for (const name of ['after', 'before'] as const) {
    const value = args[name]
    if (value != null && value.length > 200) throw invalidArgument([name], 'not a cursor of this list')
  }
}

/**
 * A connection over rows fetched by keyset in SQL: `fetch` gets the decoded cursors and a limit one larger than
 * the page (to tell whether more follow) and returns rows in list order, or in reverse when `inverted` (paging
 * back from the end or from `before`).
 */
export async function keysetConnection<Row, Key>(
  args: PageArgs,
  options: {
    defaultSize: number
    cursorOf: (row: Row) => string
    /** The key a cursor names, or null for a string that is no cursor of this list. */
    keyOf: (cursor: string) => Key | null
    fetch: (page: {
      after: Key | null
      before: Key | null
      limit: number
      inverted: boolean
    }) => Promise<Row[]>
    totalCount?: () => Promise<number>
  },
) {
  checkPageArgs(args)
  const key = (name: 'after' | 'before') => {
    const cursor = args[name]
    if (cursor == null) return null
    const decoded = options.keyOf(cursor)
    if (decoded === null) throw invalidArgument([name], 'not a cursor of this list')
    return decoded
  }
  const after = key('after')
  const before = key('before')
  const connection = await resolveCursorConnection(
    {
      args: {
        first: args.first ?? undefined,
        last: args.last ?? undefined,
        after: args.after ?? undefined,
        before: args.before ?? undefined,
      },
      defaultSize: options.defaultSize,
      maxSize: MAX_PAGE_SIZE,
      toCursor: options.cursorOf,
    },
    ({ limit, inverted }: ResolveCursorConnectionArgs) => options.fetch({ after, before, limit, inverted }),
  )
  // The plugin repeats the cursor asked with on an empty page; our pageInfo says null there, as documented.
  const empty = connection.edges.length === 0
  const pageInfo = empty
    ? { ...connection.pageInfo, startCursor: null, endCursor: null }
    : connection.pageInfo
  return { ...connection, pageInfo, totalCount: options.totalCount } as typeof connection & CountedConnection
}

/** Cursors of lists ordered by creation: the instant and the id of a row, under a prefix naming the list. */
export function createdAtCursors(prefix: string) {
  return {
    cursorOf: (row: { createdAt: Date; id: string }) =>
      Buffer.from(`${prefix}:${row.createdAt.toISOString()}|${row.id}`).toString('base64url'),
    keyOf: (cursor: string): { createdAt: Date; id: string } | null => {
      const text = Buffer.from(cursor, 'base64url').toString('utf8')
      if (!text.startsWith(`${prefix}:`)) return null
      const [at, id, ...rest] = text.slice(prefix.length + 1).split('|')
      // Only what cursorOf writes: a forged id that is no UUID, or an instant PostgreSQL cannot hold, would
      // otherwise reach the query and fail it as an unexpected error.
      const createdAt = parseInstant(at)
      if (rest.length > 0 || !id || !isUuid(id) || !createdAt) return null
      return { createdAt, id }
    },
  }
}

/**
 * A connection over an entity ordered by (createdAt, id), `asc` oldest first or `desc` newest first, paged in
 * SQL. The request's EntityManager applies the tenant filter, so a cursor of another workspace only positions
 * the page among the caller's own rows.
 */
export function entityConnection<T extends { id: string; createdAt: Date }>(
  ctx: GraphQLContext,
  entity: EntityClass<T>,
  where: Record<string, unknown>,
  args: PageArgs,
  options: { order: 'asc' | 'desc'; defaultSize: number; cursorPrefix: string },
) {
  const cursors = createdAtCursors(options.cursorPrefix)
  type Key = { createdAt: Date; id: string }
  const beyond = (key: Key, op: '$gt' | '$lt') => ({
    $or: [{ createdAt: { [op]: key.createdAt } }, { createdAt: key.createdAt, id: { [op]: key.id } }],
  })
  const later = options.order === 'asc' ? '$gt' : '$lt'
  const earlier = options.order === 'asc' ? '$lt' : '$gt'
  return keysetConnection<T, Key>(args, {
    defaultSize: options.defaultSize,
    cursorOf: cursors.cursorOf,
    keyOf: cursors.keyOf,
    fetch: ({ after, before, limit, inverted }) => {
      const conditions: Record<string, unknown>[] = [where]
      if (after) conditions.push(beyond(after, later))
      if (before) conditions.push(beyond(before, earlier))
      const direction = (options.order === 'asc') !== inverted ? 'asc' : 'desc'
      return ctx.em.find(entity, { $and: conditions } as never, {
        orderBy: { createdAt: direction, id: direction } as never,
        limit,
      })
    },
    totalCount: () => ctx.em.count(entity, where as never),
  })
}

/** `totalCount` of a connection: counted only when a client selects it. */
export async function countOf(connection: CountedConnection): Promise<number> {
  const count = connection.totalCount
  return typeof count === 'function' ? count() : (count ?? 0)
}

/**
 * The options of a connection type: its name, what a page holds, and `totalCount`, described as what it counts.
 * Every connection of the API carries the same count, computed only when selected.
 */
export function countedConnection(name: string, description: string, counts: string) {
  return {
    name,
    description,
    fields: (
      c: PothosSchemaTypes.ObjectFieldBuilder<
        PothosSchemaTypes.ExtendDefaultTypes<AppSchemaTypes>,
        CountedConnection
      >,
    ) => ({
      totalCount: c.int({ nullable: false, description: counts, resolve: (page) => countOf(page) }),
    }),
  }
}
