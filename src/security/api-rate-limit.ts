import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  Kind,
  type SelectionSetNode,
} from 'graphql'
import type { Plugin } from 'graphql-yoga'
import ipaddr from 'ipaddr.js'
import { importRowCount } from '../account/import-csv.ts'
import type { AppServices } from '../app-services.ts'
import type { ApiRateLimitClass, ApiRateLimitSetting, Config } from '../config.ts'
import type { Database } from '../db/database.ts'
import type { GraphQLContext } from '../schema/builder.ts'
import { markRefused } from './refused-requests.ts'
import { authenticateRequest } from './request-auth.ts'

/**
 * Per-token and per-client-IP limits on the operations that reach third-party platforms with a user's credentials,
 * mint tokens or queue syncs, and on failed authentications per IP. Counters live in `rate_limit_state`, the table
 * the upstream limiter already keeps its GCRA state in, so every process on the same database shares them and the
 * database clock is the only clock. A refused operation costs nothing and runs no resolver.
 */

/** Root mutation fields and the class each one is counted in; a field not listed here is not limited. */
export const LIMITED_MUTATIONS: Readonly<Record<string, Exclude<ApiRateLimitClass, 'AUTH_FAILURE'>>> = {
  testConnection: 'CREDENTIAL_TEST',
  checkAccount: 'CREDENTIAL_TEST',
  updateAccountConnection: 'CREDENTIAL_TEST',
  connectAccount: 'CONNECT',
  // Counted per CSV row: each row is checked against its platform like a connectAccount of its own.
  importAccounts: 'CONNECT',
  createApiToken: 'TOKEN_CREATE',
  syncAccount: 'SYNC_TRIGGER',
  // One per call: the queue keeps one job per account and window, so a repeat adds no upstream work.
  syncAll: 'SYNC_TRIGGER',
  // A capture is one fetch of the account's report, run at once.
  recordCapture: 'SYNC_TRIGGER',
}

/**
 * What an import is charged: the rows the importer will check, read by the importer's own parser, so no way of
 * writing line ends or padding a file makes the two disagree. A file refused whole checks nothing.
 */
export function csvDataRows(csv: string): number {
  return importRowCount(csv)
}

function importCost(schema: GraphQLSchema, node: FieldNode, variables: Record<string, unknown>): number {
  const field = schema.getMutationType()?.getFields().importAccounts
  if (!field) return 1
  try {
    const input = getArgumentValues(field, node, variables).input as { csv?: unknown } | undefined
    // A file refused whole (over a cap, not CSV) is refused before any platform is called: it costs one call.
    return Math.max(1, typeof input?.csv === 'string' ? csvDataRows(input.csv) : 0)
  } catch {
    return 1
  }
}

/**
 * What an operation costs in each class. Fields are grouped by response key as the executor groups them, so every
 * alias counts (`a: testConnection … b: testConnection …` costs 2) and fragments count like the fields they hold;
 * `@skip`/`@include` are ignored, which can only over-count.
 */
export function classifyOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): Map<ApiRateLimitClass, number> {
  const costs = new Map<ApiRateLimitClass, number>()
  const operation = getOperationAST(document, operationName ?? undefined)
  if (operation?.operation !== 'mutation') return costs
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d)
  const byKey = new Map<string, FieldNode>()
  const visited = new Set<string>()
  const collect = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value
        if (!byKey.has(key)) byKey.set(key, selection)
      } else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet)
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value)
        const fragment = fragments.get(selection.name.value)
        if (fragment) collect(fragment.selectionSet)
      }
    }
  }
  collect(operation.selectionSet)
  for (const node of byKey.values()) {
    const limitClass = LIMITED_MUTATIONS[node.name.value]
    if (!limitClass) continue
    const cost = node.name.value === 'importAccounts' ? importCost(schema, node, variables ?? {}) : 1
    costs.set(limitClass, (costs.get(limitClass) ?? 0) + cost)
  }
  return costs
}

/** The address requests from `app.fetch` are counted under: there is no socket to read one from. */
export const IN_PROCESS_CLIENT = 'in-process'

function normalizeIp(raw: string | undefined): string | null {
  if (!raw) return null
  const text = raw.trim().replace(/^\[(.*)\](:\d+)?$/, '$1')
  if (!ipaddr.isValid(text)) return null
  const address = ipaddr.process(text)
  if (address.kind() === 'ipv4') return address.toString()
  // One IPv6 client usually holds a whole /64: counting single addresses would give it 2^64 budgets.
  const parts = (address as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4)
  return `${parts.map((p) => p.replace(/^0+(?=.)/, '')).join(':')}::/64`
}

/**
 * The client's address: the socket's peer, or, behind `trustProxyHops` proxies, the entry that many places from
 * the right of X-Forwarded-For (entries further left were written by the client and prove nothing).
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | null,
  trustProxyHops: number,
): string {
  const peer = normalizeIp(socketAddress)
  if (!socketAddress) return IN_PROCESS_CLIENT
  if (trustProxyHops <= 0 || !forwardedFor) return peer ?? IN_PROCESS_CLIENT
  const chain = [...forwardedFor.split(','), socketAddress]
  const picked = normalizeIp(chain[Math.max(0, chain.length - 1 - trustProxyHops)])
  // A malformed entry cannot be trusted to name anyone: count the request under the proxy that sent it.
  return picked ?? peer ?? IN_PROCESS_CLIENT
}

interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } }
  request?: Request
}

export interface RateLimitTake {
  key: string
  limit: ApiRateLimitSetting
  /** Units consumed when allowed; 0 only asks whether one more would fit. */
  cost: number
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; key: string; retryAfterMs: number }

/** Slack for the microsecond rounding of stored times; far below any spacing a real limit has. */
const EPSILON_MS = 0.5

/**
 * GCRA over `rate_limit_state` for checks that refuse instead of waiting: a key's TAT advances by
 * cost × (interval / requests) when allowed, and a request fits while the TAT stays within one interval of now.
 * All keys of one operation are decided in one transaction under row locks: either every key is charged or none.
 */
export function createApiRateLimiter(db: Database) {
  let takesSinceSweep = 0
  const sweep = async () => {
    // A TAT in the past means the same as no row; dropping them keeps the table from growing with every IP seen.
    await db.query(`delete from rate_limit_state where key like 'api:%' and tat < clock_timestamp()`)
  }
  const decide = (takes: readonly RateLimitTake[], tats: Map<string, number>, now: number) => {
    let refused: { key: string; retryAfterMs: number } | null = null
    const next = new Map<string, number>()
    for (const take of takes) {
      const spacing = take.limit.intervalMs / take.limit.requests
      const base = Math.max(tats.get(take.key) ?? Number.NEGATIVE_INFINITY, now)
      const need = Math.max(1, take.cost)
      const excess = base + need * spacing - now - take.limit.intervalMs
      if (excess > EPSILON_MS) {
        // More than the whole budget at once never fits; the earliest honest answer is a full recovery.
        const retryAfterMs = need > take.limit.requests ? base - now : excess
        if (!refused || retryAfterMs > refused.retryAfterMs) refused = { key: take.key, retryAfterMs }
      } else if (take.cost > 0) next.set(take.key, base + take.cost * spacing)
    }
    return { refused, next }
  }
  return {
    async take(takes: readonly RateLimitTake[]): Promise<RateLimitVerdict> {
      if (takes.length === 0) return { allowed: true }
      if (++takesSinceSweep >= 1000) {
        takesSinceSweep = 0
        await sweep()
      }
      const charged = takes.filter((t) => t.cost > 0)
      if (charged.length === 0) {
        // Only asking: a plain read, no transaction and no row created.
        const keys = takes.map((t) => t.key)
        const rows = await db.query<{ key: string; tat_ms: unknown; now_ms: unknown }>(
          `select key, extract(epoch from tat) * 1000 as tat_ms, extract(epoch from clock_timestamp()) * 1000 as now_ms
             from rate_limit_state where key in (${keys.map(() => '?').join(', ')})`,
          keys,
        )
        if (rows.length === 0) return { allowed: true }
        const { refused } = decide(
          takes,
          new Map(rows.map((r) => [r.key, Number(r.tat_ms)])),
          Number(rows[0]?.now_ms),
        )
        return refused ? { allowed: false, ...refused } : { allowed: true }
      }
      const keys = [...new Set(takes.map((t) => t.key))].sort()
      const chargedKeys = [...new Set(charged.map((t) => t.key))].sort()
      return db.orm.em.fork().transactional(async (em) => {
        const conn = em.getConnection()
        const ctx = em.getTransactionContext()
        await conn.execute(
          `insert into rate_limit_state (key, tat) values ${chargedKeys.map(() => "(?, '-infinity')").join(', ')} on conflict (key) do nothing`,
          chargedKeys,
          'run',
          ctx,
        )
        const rows = (await conn.execute(
          `select key, extract(epoch from tat) * 1000 as tat_ms, extract(epoch from clock_timestamp()) * 1000 as now_ms
             from rate_limit_state where key in (${keys.map(() => '?').join(', ')}) order by key for update`,
          keys,
          'all',
          ctx,
        )) as { key: string; tat_ms: unknown; now_ms: unknown }[]
        const now = Number(rows[0]?.now_ms)
        const { refused, next } = decide(takes, new Map(rows.map((r) => [r.key, Number(r.tat_ms)])), now)
        if (refused) return { allowed: false, ...refused }
        for (const [key, tat] of next) {
          await conn.execute(
            'update rate_limit_state set tat = to_timestamp(? / 1000.0) where key = ?',
            [tat, key],
            'run',
            ctx,
          )
        }
        return { allowed: true } as const
      })
    },
  }
}

const CLASS_WORDS: Record<ApiRateLimitClass, string> = {
  CREDENTIAL_TEST: 'credential checks',
  CONNECT: 'account connections',
  TOKEN_CREATE: 'API token creations',
  SYNC_TRIGGER: 'sync requests',
  AUTH_FAILURE: 'failed authentications',
}

/** The limited operations of one request, as keys and costs: each class per token and per client address. */
export function rateLimitTakes(
  config: Config['apiRateLimit'],
  costs: ReadonlyMap<ApiRateLimitClass, number>,
  tokenId: string,
  client: string,
): RateLimitTake[] {
  const takes: RateLimitTake[] = []
  for (const [limitClass, cost] of costs) {
    const { perToken, perIp } = config.limits[limitClass]
    if (perToken) takes.push({ key: `api:${limitClass}:token:${tokenId}`, limit: perToken, cost })
    if (perIp) takes.push({ key: `api:${limitClass}:ip:${client}`, limit: perIp, cost })
  }
  return takes
}

const CLEAN_READING_TTL_MS = 1000

function rateLimitedError(verdict: { key: string; retryAfterMs: number }): GraphQLError {
  const [, limitClass, scope] = verdict.key.split(':') as [string, ApiRateLimitClass, 'token' | 'ip']
  const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))
  const who = scope === 'ip' ? 'from this address' : 'for this token'
  return new GraphQLError(`Too many ${CLASS_WORDS[limitClass]} ${who}; retry in ${retryAfterSeconds} s.`, {
    extensions: {
      code: 'RATE_LIMITED',
      limitClass,
      scope: scope === 'ip' ? 'IP' : 'TOKEN',
      retryAfterSeconds,
      http: { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } },
    },
  })
}

/**
 * Refuses with 429 before anything of the operation runs: an address out of failed authentications as soon as the
 * parameters are read (before validation, whose answers can also depend on the token), a limited mutation once
 * its document is validated and its cost known.
 */
export function useApiRateLimit(services: AppServices): Plugin<GraphQLContext> {
  const config = services.config.apiRateLimit
  const limiter = createApiRateLimiter(services.db)
  const log = services.logger.child({ component: 'api-rate-limit' })
  const addressOf = (context: NodeServerContext, request: Request) =>
    clientAddress(
      context.req?.socket?.remoteAddress,
      request.headers.get('x-forwarded-for'),
      config.trustProxyHops,
    )
  // Addresses whose failed-authentication budget was last seen with room to spare. Reading that row on every
  // authenticated request would cost a query each; trusting a clean reading for a second lets a blocked address
  // through for at most that second per process, a handful of guesses against a 256-bit token.
  const cleanUntil = new Map<string, number>()
  // One verdict per HTTP request: the operations of a batch share its token and are one guess, not several.
  const authVerdicts = new WeakMap<Request, Promise<GraphQLError | null>>()

  const authGate = async (request: Request, context: NodeServerContext): Promise<GraphQLError | null> => {
    const limit = config.limits.AUTH_FAILURE.perIp
    if (!limit || !request.headers.has('authorization')) return null
    const auth = await authenticateRequest(services, request)
    const failed = !auth.ok && auth.reason !== 'TOKEN_MISSING'
    const client = addressOf(context, request)
    if (!failed && (cleanUntil.get(client) ?? 0) > Date.now()) return null
    if (failed) cleanUntil.delete(client)
    // Once an address has spent its failures, every token it presents is refused, good or bad: answering a valid
    // one would let a guesser tell a hit from a miss, which is all the limit exists to deny.
    const verdict = await limiter.take([
      { key: `api:AUTH_FAILURE:ip:${client}`, limit, cost: failed ? 1 : 0 },
    ])
    if (verdict.allowed) {
      if (!failed) {
        if (cleanUntil.size >= 10_000) cleanUntil.clear()
        cleanUntil.set(client, Date.now() + CLEAN_READING_TTL_MS)
      }
      return null
    }
    log.warn({ limitClass: 'AUTH_FAILURE', scope: 'ip', client }, 'rate limit refused an authentication')
    return rateLimitedError(verdict)
  }

  const operationGate = async (args: {
    schema: GraphQLSchema
    document: DocumentNode
    operationName?: string | null
    variableValues?: Record<string, unknown> | null
    contextValue: GraphQLContext & NodeServerContext
  }): Promise<GraphQLError | null> => {
    const ctx = args.contextValue
    if (!ctx.auth.ok || !ctx.request) return null
    const costs = classifyOperation(args.schema, args.document, args.operationName, args.variableValues)
    if (costs.size === 0) return null
    const tokenId = ctx.auth.principal.tokenId
    const client = addressOf(ctx, ctx.request)
    const verdict = await limiter.take(rateLimitTakes(config, costs, tokenId, client))
    if (verdict.allowed) return null
    const error = rateLimitedError(verdict)
    log.warn(
      { requestId: ctx.requestId, ...error.extensions, http: undefined, tokenId, client },
      'rate limit refused an operation',
    )
    return error
  }

  return {
    async onParams({ request, context, setResult }) {
      let verdict = authVerdicts.get(request)
      if (!verdict) {
        verdict = authGate(request, context as NodeServerContext)
        authVerdicts.set(request, verdict)
      }
      const refused = await verdict
      if (refused) {
        markRefused(request)
        setResult({ errors: [refused] })
      }
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const refused = await operationGate(args as never)
      if (refused) setResultAndStopExecution({ errors: [refused] })
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const refused = await operationGate(args as never)
      if (refused) setResultAndStopExecution({ errors: [refused] })
    },
  }
}
