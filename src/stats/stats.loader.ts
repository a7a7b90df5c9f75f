import DataLoader from 'dataloader'
import { Account } from '../account/account.entity.ts'
import type { GraphQLContext } from '../schema/builder.ts'
import { requirePrincipal } from '../schema/builder.ts'
import { doNotCache } from '../schema/response-cache.ts'
import type { DateWindow } from '../sdk/index.ts'
import { fetchMissing, type OnDemandOutcome } from '../sync/on-demand-fetch.ts'
import { queryStats, type StatsRowData } from './stats.service.ts'
import type { Granularity, StatsFxOptions } from './stats-sql.ts'

/** The arguments of one `Account.stats` field, validated and with defaults applied. */
export interface AccountStatsArgs {
  from: string
  to: string
  granularity: Granularity
  currency: string | null
  fx: StatsFxOptions | null
}

export interface AccountStatsKey {
  account: Account
  args: AccountStatsArgs
}

export interface AccountStatsData {
  rows: StatsRowData[]
  /** Why the never-synced days of the range could not be fetched just now; the rows hold what is stored. */
  fetchError: { code: string; message: string } | null
}

const argsKey = (args: AccountStatsArgs) =>
  JSON.stringify([
    args.from,
    args.to,
    args.granularity,
    args.currency,
    args.fx?.policy,
    args.fx?.date,
    args.fx?.source,
  ])

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group) group.push(item)
    else groups.set(k, [item])
  }
  return groups
}

/**
 * `Account.stats` of one request, batched:
 * 1. never-synced days are fetched first, one upstream window per account covering every range its fields ask
 *    (accounts asking the same span share one coverage lookup);
 * 2. then ONE statement per distinct argument set answers all accounts that asked with it.
 * Everything is scoped to the principal's workspace; the loader lives for one request only.
 */
export function accountStatsLoader(
  ctx: GraphQLContext,
): DataLoader<AccountStatsKey, AccountStatsData, string> {
  return ctx.loaders.get('stats:account-stats', () => {
    const { workspaceId } = requirePrincipal(ctx)
    return new DataLoader<AccountStatsKey, AccountStatsData, string>(
      async (keys) => {
        const spans = new Map<string, { account: Account; window: DateWindow }>()
        for (const { account, args } of keys) {
          const span = spans.get(account.id)
          if (!span) spans.set(account.id, { account, window: { from: args.from, to: args.to } })
          else {
            if (args.from < span.window.from) span.window.from = args.from
            if (args.to > span.window.to) span.window.to = args.to
          }
        }
        const outcomes = new Map<string, OnDemandOutcome>()
        const bySpan = groupBy([...spans.values()], (s) => `${s.window.from}|${s.window.to}`)
        for (const group of bySpan.values()) {
          const window = group[0]!.window
          const done = await fetchMissing(
            ctx.services,
            ctx.em,
            group.map((g) => g.account),
            window,
          )
          for (const outcome of done) outcomes.set(outcome.accountId, outcome)
        }

        // An answer that reports a failed fetch is true for now only: it must not be served again from the cache.
        if ([...outcomes.values()].some((o) => o.error)) doNotCache(ctx.services, ctx.request)
        const answers = new Map<string, StatsRowData[]>()
        const byArgs = groupBy(keys, (k) => argsKey(k.args))
        for (const [key, group] of byArgs) {
          const args = group[0]!.args
          const result = await queryStats(ctx.services.db, workspaceId, {
            from: args.from,
            to: args.to,
            granularity: args.granularity,
            groupBy: ['ACCOUNT'],
            filter: { accountIds: [...new Set(group.map((k) => k.account.id))] },
            currency: args.currency,
            fx: args.fx,
            totals: false,
          })
          for (const [accountId, rows] of groupBy(result.rows, (r) => r.accountId ?? '')) {
            answers.set(`${accountId}|${key}`, rows)
          }
        }
        return keys.map(({ account, args }) => ({
          rows: answers.get(`${account.id}|${argsKey(args)}`) ?? [],
          fetchError: outcomes.get(account.id)?.error ?? null,
        }))
      },
      {
        cacheKeyFn: (k) => `${k.account.id}|${argsKey(k.args)}`,
        // Sibling lists (aliases of `accounts`) resolve as their own queries return; waiting for the check phase
        // lets the answers that arrived together share one batch instead of one batch each.
        batchScheduleFn: (dispatch) => setImmediate(dispatch),
      },
    )
  })
}

/** Accounts by id for one request (rows and changes name them), through the tenant-filtered unit of work. */
export function accountByIdLoader(ctx: GraphQLContext): DataLoader<string, Account | null> {
  return ctx.loaders.get('stats:account-by-id', () => {
    requirePrincipal(ctx)
    return new DataLoader<string, Account | null>(async (ids) => {
      const found = await ctx.em.find(Account, { id: { $in: [...ids] } })
      const byId = new Map(found.map((a) => [a.id, a]))
      return ids.map((id) => byId.get(id) ?? null)
    })
  })
}
