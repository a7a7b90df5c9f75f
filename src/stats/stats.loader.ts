import DataLoader from 'dataloader'
import { Account } from '../account/account.entity.ts'
import type { GraphQLContext } from '../schema/builder.ts'
import { requirePrincipal } from '../schema/builder.ts'
import { doNotCache } from '../schema/response-cache.ts'
import type { DateWindow } from '../sdk/index.ts'
import { fetchMissing, type OnDemandOutcome } from '../sync/on-demand-fetch.ts'
import { statsRunner } from './statement-coalescing.ts'
import { queryStats, type StatsResult } from './stats.service.ts'
import type { StatsQuery } from './stats-sql.ts'

/** One `Account.stats` field: its account and the query it asks, as `Query.stats` would run it. */
export interface AccountStatsKey {
  account: Account
  /** The query before it is narrowed to the account; what to compute (totals, metrics…) included. */
  query: StatsQuery
  fetchMissing: boolean
}

/** Matches no account: an `accountIds` filter that leaves the account out narrows its answer to nothing. */
const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000'

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

/** What a query asks, without what its selection needs computed. */
function askedOf(query: StatsQuery): string {
  const { totals, accounts, native, conversions, metrics, ...asked } = query
  return JSON.stringify(asked)
}

/** One query doing the work of all: every figure any of them selected. */
function mergedWork(queries: StatsQuery[]): StatsQuery {
  const all = (flag: 'totals' | 'accounts' | 'native' | 'conversions') =>
    queries.some((q) => q[flag] !== false)
  const metrics = queries.some((q) => !q.metrics)
    ? null
    : [...new Set(queries.flatMap((q) => q.metrics ?? []))]
  return {
    ...queries[0]!,
    totals: all('totals'),
    accounts: all('accounts'),
    native: all('native'),
    conversions: all('conversions'),
    metrics,
  }
}

/** `Query.stats` with the same input, narrowed to one account: the filter applies within the account. */
export function narrowToAccount(query: StatsQuery, accountId: string): StatsQuery {
  const asked = query.filter?.accountIds
  const inside = !asked?.length || asked.includes(accountId)
  return { ...query, filter: { ...query.filter, accountIds: [inside ? accountId : NO_ACCOUNT] } }
}

/**
 * `Account.stats` of one request, batched:
 * 1. never-synced days are fetched first when asked, one upstream window per account covering every range its
 *    fields ask (accounts asking the same span share one coverage lookup), each recorded as an ON_DEMAND run;
 * 2. then ONE statement per distinct query answers all accounts that asked it, grouped by account and split.
 *    Totals are per account, so a query that asks for them runs once per account.
 * Everything is scoped to the principal's workspace; the loader lives for one request only.
 */
export function accountStatsLoader(ctx: GraphQLContext): DataLoader<AccountStatsKey, StatsResult, string> {
  return ctx.loaders.get('stats:account-stats', () => {
    const { workspaceId } = requirePrincipal(ctx)
    return new DataLoader<AccountStatsKey, StatsResult, string>(
      async (keys) => {
        const spans = new Map<string, { account: Account; window: DateWindow }>()
        for (const { account, query } of keys.filter((k) => k.fetchMissing)) {
          const span = spans.get(account.id)
          if (!span) spans.set(account.id, { account, window: { from: query.from, to: query.to } })
          else {
            if (query.from < span.window.from) span.window.from = query.from
            if (query.to > span.window.to) span.window.to = query.to
          }
        }
        const outcomes = new Map<string, OnDemandOutcome>()
        const bySpan = groupBy([...spans.values()], (s) => `${s.window.from}|${s.window.to}`)
        for (const group of bySpan.values()) {
          const done = await fetchMissing(
            ctx.services,
            ctx.em,
            group.map((g) => g.account),
            group[0]!.window,
          )
          for (const outcome of done) outcomes.set(outcome.accountId, outcome)
        }
        // An answer that reports a failed fetch is true for now only: it must not be served again from the cache.
        if ([...outcomes.values()].some((o) => o.error)) doNotCache(ctx.services, ctx.request)

        // Right after its own fetch, a batch reads for itself rather than share a statement started earlier.
        const runner = spans.size ? ctx.services.db : statsRunner(ctx.services, workspaceId)
        const answers = new Map<string, StatsResult>()
        for (const [key, group] of groupBy(keys, (k) => askedOf(k.query))) {
          // Fields asking the same input with different selections share a statement computing all they need.
          const query = mergedWork(group.map((k) => k.query))
          const accounts = [...new Map(group.map((k) => [k.account.id, k.account])).values()]
          if (query.totals !== false) {
            for (const account of accounts) {
              const result = await queryStats(runner, workspaceId, narrowToAccount(query, account.id))
              answers.set(`${account.id}|${key}`, result)
            }
            continue
          }
          const asked = query.filter?.accountIds
          const ids = accounts.map((a) => a.id).filter((id) => !asked?.length || asked.includes(id))
          const byAccount = query.groupBy.includes('ACCOUNT')
          const rows = ids.length
            ? (
                await queryStats(runner, workspaceId, {
                  ...query,
                  groupBy: byAccount ? query.groupBy : ['ACCOUNT', ...query.groupBy],
                  filter: { ...query.filter, accountIds: ids },
                })
              ).rows
            : []
          const split = groupBy(rows, (r) => r.accountId ?? '')
          for (const account of accounts) {
            const own = split.get(account.id) ?? []
            answers.set(`${account.id}|${key}`, {
              query,
              // Grouped by account only to split one statement's rows: the key stays out of the answer unless asked.
              rows: byAccount ? own : own.map((r) => ({ ...r, accountId: null })),
              totals: null,
            })
          }
        }
        return keys.map(({ account, query, fetchMissing }) => {
          const run = fetchMissing ? outcomes.get(account.id)?.run : undefined
          const answer = answers.get(`${account.id}|${askedOf(query)}`)!
          return { ...answer, query, fetchRuns: run ? [run] : [], scopeAccountId: account.id }
        })
      },
      {
        cacheKeyFn: (k) => `${k.account.id}|${k.fetchMissing}|${JSON.stringify(k.query)}`,
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
