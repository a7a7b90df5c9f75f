import { Account } from '../account/account.entity.ts'
import { accountSettledThrough } from '../platform/revision-horizon.ts'
import { type GraphQLContext, requirePrincipal } from '../schema/builder.ts'
import type { StatsResult, StatsRowData } from './stats.service.ts'

/**
 * Which stats rows hold only settled days. A row does not list its accounts, and asking the database per row would
 * cost a statement per row on the request path: instead one statement per request reads the workspace's accounts
 * (platform, time zone, tags) and each row is matched to them in memory by the query's filter and the row's own
 * keys. Groups the accounts do not determine (program, brand, campaign) count every account of the query, so a row
 * may be called provisional for an account that has no figures in it: never settled too early.
 */

interface SettlingAccount {
  id: string
  platformId: string
  tags: readonly string[]
  settledThrough: string
}

/** What a row was answered for: its result's query, and the account of `Account.stats`. */
const scopes = new WeakMap<StatsRowData, StatsResult>()

/** Remembers the answer a page of rows belongs to, for `settled`. */
export function rememberScope(rows: readonly StatsRowData[], result: StatsResult): void {
  for (const row of rows) if (!scopes.has(row)) scopes.set(row, result)
}

function settlingAccounts(ctx: GraphQLContext): Promise<SettlingAccount[]> {
  return ctx.loaders.get('stats:settling-accounts', async () => {
    requirePrincipal(ctx)
    const now = ctx.services.clock.now()
    const accounts = await ctx.em.find(Account, {})
    return accounts.map((a) => ({
      id: a.id,
      platformId: a.platformId,
      tags: a.tags ?? [],
      settledThrough: accountSettledThrough(ctx.services.registry.get(a.platformId), a.timeZone, now),
    }))
  })
}

function inScope(a: SettlingAccount, result: StatsResult): boolean {
  const f = result.query.filter ?? {}
  return (
    (!result.scopeAccountId || a.id === result.scopeAccountId) &&
    (!f.accountIds?.length || f.accountIds.includes(a.id)) &&
    (!f.platformIds?.length || f.platformIds.includes(a.platformId)) &&
    (!f.tags?.length || a.tags.some((t) => f.tags!.includes(t)))
  )
}

function inRow(a: SettlingAccount, row: StatsRowData, byTag: boolean): boolean {
  if (row.accountId && a.id !== row.accountId) return false
  if (row.platformId && a.platformId !== row.platformId) return false
  if (byTag) return row.tag === null ? a.tags.length === 0 : a.tags.includes(row.tag)
  return true
}

const earliest = (accounts: readonly SettlingAccount[]): string | null =>
  accounts.reduce<string | null>(
    (min, a) => (min === null || a.settledThrough < min ? a.settledThrough : min),
    null,
  )

/** The last day settled for every account the answer covers; null when it covers none. */
export async function resultSettledThrough(ctx: GraphQLContext, result: StatsResult): Promise<string | null> {
  const accounts = await settlingAccounts(ctx)
  return earliest(accounts.filter((a) => inScope(a, result)))
}

/** Per answer, the last settled day of each group key: a page of 1,000 rows scans the accounts once per group. */
const byGroup = new WeakMap<StatsResult, Map<string, string | null>>()

/** True when every day of the row's period is settled for every account that may have figures in it. */
export async function rowSettled(ctx: GraphQLContext, row: StatsRowData): Promise<boolean> {
  const result = scopes.get(row)
  if (!result) throw new Error('a stats row reached `settled` without the answer it belongs to')
  const accounts = await settlingAccounts(ctx)
  const byTag = result.query.groupBy.includes('TAG')
  const groups = byGroup.get(result) ?? new Map<string, string | null>()
  byGroup.set(result, groups)
  const key = JSON.stringify([row.accountId, row.platformId, byTag ? row.tag : null])
  if (!groups.has(key))
    groups.set(key, earliest(accounts.filter((a) => inScope(a, result) && inRow(a, row, byTag))))
  const through = groups.get(key)!
  return through === null || row.periodEnd <= through
}
