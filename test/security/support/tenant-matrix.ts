import {
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isObjectType,
} from 'graphql'
import type { NodeTypeName } from '../../../src/schema/global-ids.ts'
import { databaseIdOf, globalId } from '../../support/global-ids.ts'
import { collectEvents } from '../../support/sse-events.ts'
import type { TestDatabase } from '../../support/test-database.ts'

/** `Query.account`, `Mutation.syncAccount`, … for every root field the schema has. */
export function rootFieldNames(schema: GraphQLSchema): string[] {
  return [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((root) =>
    root ? Object.keys(root.getFields()).map((name) => `${root.name}.${name}`) : [],
  )
}

const isRoot = (schema: GraphQLSchema, name: string) =>
  [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].some(
    (r) => r?.name === name,
  )

/** Fields below the roots that take arguments (`Account.stats`, …): each is a way in that a case must walk. */
export function nestedFieldsWithArguments(schema: GraphQLSchema): string[] {
  const names: string[] = []
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || isRoot(schema, type.name)) continue
    for (const field of Object.values(type.getFields())) {
      if (field.args.length > 0) names.push(`${type.name}.${field.name}`)
    }
  }
  return names.sort()
}

/**
 * Every argument path, on any field, through which a caller names a tenant's object: ID-typed values at any depth
 * of the input types (`Mutation.updateAccount(input.accountId)`, `Query.stats(input.filter.accountIds)`) and the
 * `after` and `before` cursors of connections.
 */
export function scopedArgumentPaths(schema: GraphQLSchema): string[] {
  const paths = new Set<string>()
  const walk = (type: GraphQLInputType, path: string, seen: ReadonlySet<string>) => {
    const named = getNamedType(type)
    if (named.name === 'ID') paths.add(path)
    else if (isInputObjectType(named) && !seen.has(named.name)) {
      for (const field of Object.values(named.getFields())) {
        walk(field.type, `${path}.${field.name}`, new Set([...seen, named.name]))
      }
    }
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue
    for (const field of Object.values(type.getFields())) {
      for (const arg of field.args) {
        const at = `${type.name}.${field.name}`
        if (arg.name === 'after' || arg.name === 'before') paths.add(`${at}(${arg.name}`)
        else walk(arg.type, `${at}(${arg.name}`, new Set())
      }
    }
  }
  return [...paths].map((p) => `${p})`).sort()
}

/** Tables holding a workspace's data, each read whole as text and hashed: equal hashes mean byte-for-byte equal rows. */
const SNAPSHOT_QUERIES: Record<string, string> = {
  workspace: 'select x::text as r from workspace x where x.id = ?',
  account: 'select x::text as r from account x where x.workspace_id = ?',
  stat_day: 'select x::text as r from stat_day x where x.workspace_id = ?',
  stat_change: 'select x::text as r from stat_change x where x.workspace_id = ?',
  sync_run: 'select x::text as r from sync_run x where x.workspace_id = ?',
  sync_coverage:
    'select x::text as r from sync_coverage x join account a on a.id = x.account_id where a.workspace_id = ?',
  api_token: 'select x::text as r from api_token x where x.workspace_id = ?',
  member: 'select x::text as r from member x where x.workspace_id = ?',
  alert_rule: 'select x::text as r from alert_rule x where x.workspace_id = ?',
  alert: 'select x::text as r from alert x where x.workspace_id = ?',
  // Rows of any workspace that name A's accounts: another tenant watching them is a change to A as much as an edit.
  'alert_rule (targeting A)':
    'select x::text as r from alert_rule x where exists (select 1 from account a where a.workspace_id = ? and a.id::text = any(x.target_account_ids::text[]))',
  'alert (about A)':
    'select x::text as r from alert x join account a on a.id = x.account_id where a.workspace_id = ?',
  alert_destination: 'select x::text as r from alert_destination x where x.workspace_id = ?',
  deal: 'select x::text as r from deal x where x.workspace_id = ?',
  deal_version: 'select x::text as r from deal_version x where x.workspace_id = ?',
  payment: 'select x::text as r from payment x where x.workspace_id = ?',
  'deal (on A)':
    'select x::text as r from deal x join account a on a.id = x.account_id where a.workspace_id = ?',
  'payment (on A)':
    'select x::text as r from payment x join account a on a.id = x.account_id where a.workspace_id = ?',
}

export type Snapshot = Record<string, { rows: number; md5: string }>

export async function snapshotWorkspace(db: TestDatabase, workspaceId: string): Promise<Snapshot> {
  const snapshot: Snapshot = {}
  for (const [table, sql] of Object.entries(SNAPSHOT_QUERIES)) {
    const [row] = await db.query<{ rows: number | string; md5: string | null }>(
      `select count(*)::int as rows, md5(coalesce(string_agg(q.r, E'\\n' order by q.r), '')) as md5 from (${sql}) q`,
      [workspaceId],
    )
    snapshot[table] = { rows: Number(row!.rows), md5: String(row!.md5) }
  }
  // Jobs are not workspace rows, but a job queued for one of the workspace's accounts is a change all the same.
  const [jobs] = await db.query<{ n: number | string }>(
    `select count(*)::int as n from pgboss.job j
      where j.data->>'accountId' in (select id::text from account where workspace_id = ?)`,
    [workspaceId],
  )
  snapshot['pgboss.job'] = { rows: Number(jobs!.n), md5: '' }
  return snapshot
}

/**
 * Strings that only workspace A's data contains (ids, labels, names, emails): none may appear in anything B
 * receives. Read from the database each time, so that renames during the run are included.
 */
export async function markersOf(db: TestDatabase, workspaceId: string): Promise<string[]> {
  const rows = await db.query<{ m: string }>(
    `select id::text as m from workspace where id = ?
     union select name from workspace where id = ?
     union select id::text from account where workspace_id = ?
     union select label from account where workspace_id = ?
     union select id::text from api_token where workspace_id = ?
     union select name from api_token where workspace_id = ?
     union select prefix from api_token where workspace_id = ?
     union select id::text from member where workspace_id = ?
     union select email from member where workspace_id = ?
     union select id::text from sync_run where workspace_id = ?
     union select unnest(tags) from account where workspace_id = ?
     union select id::text from alert_rule where workspace_id = ?
     union select name from alert_rule where workspace_id = ?
     union select id::text from alert where workspace_id = ?
     union select title from alert where workspace_id = ?
     union select id::text from alert_destination where workspace_id = ?
     union select name from alert_destination where workspace_id = ?
     union select id::text from deal where workspace_id = ?
     union select id::text from deal_version where workspace_id = ?
     union select note from deal_version where workspace_id = ? and note is not null
     union select id::text from payment where workspace_id = ?
     union select reference from payment where workspace_id = ? and reference is not null`,
    Array.from({ length: 22 }, () => workspaceId),
  )
  // The API names A's objects by global ids: those must not appear either.
  const typed = await db.query<{ type: NodeTypeName; id: string }>(
    `select 'Workspace' as type, id::text as id from workspace where id = ?
     union select 'Account', id::text from account where workspace_id = ?
     union select 'ApiToken', id::text from api_token where workspace_id = ?
     union select 'Member', id::text from member where workspace_id = ?
     union select 'SyncRun', id::text from sync_run where workspace_id = ?
     union select 'AlertRule', id::text from alert_rule where workspace_id = ?
     union select 'Alert', id::text from alert where workspace_id = ?
     union select 'AlertDestination', id::text from alert_destination where workspace_id = ?
     union select 'Deal', id::text from deal where workspace_id = ?
     union select 'DealVersion', id::text from deal_version where workspace_id = ?
     union select 'Payment', id::text from payment where workspace_id = ?`,
    Array.from({ length: 11 }, () => workspaceId),
  )
  // Tags both workspaces use say nothing about A; the caller removes them.
  return [...rows.map((r) => r.m), ...typed.map((r) => globalId(r.type, r.id))].filter((m) => m.length >= 6)
}

export interface ClicksFilter {
  accountIds?: string[]
  platformIds?: string[]
  tags?: string[]
  brands?: string[]
  campaigns?: string[]
}

/** Clicks a workspace stored over a range under a filter, summed straight from stat_day: the stats oracle. */
export async function storedClicks(
  db: TestDatabase,
  workspaceId: string,
  range: { from: string; to: string },
  filter: ClicksFilter = {},
): Promise<number> {
  const where = ['s.workspace_id = ?', 's.day between ? and ?']
  const params: unknown[] = [workspaceId, range.from, range.to]
  const list = (column: string, values: string[] | undefined) => {
    if (!values?.length) return
    where.push(`${column} in (${values.map(() => '?').join(', ')})`)
    params.push(...values)
  }
  // The filter names accounts as the API does.
  list('s.account_id::text', filter.accountIds?.map(databaseIdOf))
  list('a.platform_id', filter.platformIds)
  list('s.brand', filter.brands)
  list('s.campaign', filter.campaigns)
  if (filter.tags?.length) {
    where.push(
      `exists (select 1 from unnest(a.tags) t(tag) where t.tag in (${filter.tags.map(() => '?').join(', ')}))`,
    )
    params.push(...filter.tags)
  }
  const [row] = await db.query<{ n: string }>(
    `select coalesce(sum(s.clicks), 0)::text as n from stat_day s join account a on a.id = s.account_id
      where ${where.join(' and ')}`,
    params,
  )
  return Number(row!.n)
}

/** Waits until no sync run of the workspace is queued, running or waiting to retry. */
export async function settleSyncs(db: TestDatabase, workspaceId: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [row] = await db.query<{ n: number | string }>(
      `select count(*)::int as n from sync_run where workspace_id = ? and status in ('QUEUED', 'RUNNING', 'RETRYING')`,
      [workspaceId],
    )
    if (Number(row!.n) === 0) return
    if (Date.now() > deadline) throw new Error(`${row!.n} sync runs still open after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export { collectEvents }
