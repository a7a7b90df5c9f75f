import { createHmac, randomBytes } from 'node:crypto'
import type { Cache } from '@envelop/response-cache'
import { useResponseCache } from '@graphql-yoga/plugin-response-cache'
import type { ExecutionResult } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import { type AppServices, perServices } from '../app-services.ts'
import type { Change } from '../db/change-feed.ts'
import { wasRefused } from '../security/refused-requests.ts'
import { authenticateRequest } from '../security/request-auth.ts'

/**
 * Longest life of a cached answer. Every write that changes what a workspace's answers show empties its entries
 * at once (the change feed); this bound is a backstop only.
 */
export const RESPONSE_CACHE_TTL_MS = 5 * 60_000
const MAX_ENTRIES = 5_000

interface Entry {
  result: ExecutionResult
  expires: number
  workspaceId: string
  tokenId: string
}

/**
 * Answers to read operations, per token (a token only ever sees answers computed for itself, so a revoked token
 * loses them with its entries), emptied per workspace by the change feed: sync writes, connect, disconnect, tag
 * and label edits, token changes, exchange rates (all workspaces). A key holds the workspace's generation, bumped
 * by every change, so an answer computed while a write committed is stored under a key no request asks for again.
 * Keys are HMACs under a secret of this process: an ETag names nothing and cannot be forged or replayed elsewhere.
 */
export class WorkspaceResponseCache implements Cache {
  readonly #entries = new Map<string, Entry>()
  readonly #generations = new Map<string, number>()
  /** Whose each key is, from when it was built until its answer is stored. */
  readonly #owners = new Map<string, { workspaceId: string; tokenId: string }>()
  readonly #secret = randomBytes(32)
  hits = 0
  misses = 0

  constructor(services: AppServices) {
    services.db.changes.subscribe((change) => this.onChange(change))
  }

  onChange(change: Change): void {
    if (change === 'all' || change === 'reset') {
      this.#entries.clear()
      this.#generations.clear()
      return
    }
    const colon = change.indexOf(':')
    const kind = change.slice(0, colon)
    const id = change.slice(colon + 1)
    if (kind === 'ws') this.#generations.set(id, (this.#generations.get(id) ?? 0) + 1)
    if (kind !== 'ws' && kind !== 'token') return
    for (const [key, entry] of this.#entries) {
      if ((kind === 'ws' ? entry.workspaceId : entry.tokenId) === id) this.#entries.delete(key)
    }
  }

  /** The key of one operation for one principal at the workspace's current generation. */
  keyOf(parts: {
    workspaceId: string
    tokenId: string
    document: string
    variables: unknown
    operationName: string | null | undefined
  }): string {
    const generation = this.#generations.get(parts.workspaceId) ?? 0
    const hmac = createHmac('sha256', this.#secret)
    hmac.update(`${parts.workspaceId}\n${parts.tokenId}\n${generation}\n${parts.operationName ?? ''}\n`)
    hmac.update(JSON.stringify(parts.variables ?? {}))
    hmac.update('\n')
    hmac.update(parts.document)
    const key = hmac.digest('base64url')
    if (this.#owners.size >= MAX_ENTRIES * 4) this.#owners.clear()
    this.#owners.set(key, { workspaceId: parts.workspaceId, tokenId: parts.tokenId })
    return key
  }

  /** The answer being computed under `key` must not be stored (it reports a passing failure). */
  refuse(key: string): void {
    this.#owners.delete(key)
  }

  get(key: string): ExecutionResult | undefined {
    const entry = this.#entries.get(key)
    if (!entry || entry.expires <= performance.now()) {
      if (entry) this.#entries.delete(key)
      this.misses++
      return undefined
    }
    this.hits++
    return entry.result
  }

  set(key: string, result: ExecutionResult, _entities: unknown, ttl: number): void {
    const owner = this.#owners.get(key)
    if (!owner) return
    this.#owners.delete(key)
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    const life =
      Number.isFinite(ttl) && ttl > 0 ? Math.min(ttl, RESPONSE_CACHE_TTL_MS) : RESPONSE_CACHE_TTL_MS
    this.#entries.set(key, { result, expires: performance.now() + life, ...owner })
  }

  /** Invalidation comes from the change feed, which also hears the writes of other processes. */
  invalidate(): void {}

  get size(): number {
    return this.#entries.size
  }
}

const keyOfRequest = new WeakMap<Request, string>()

/** Keeps the answer to this request out of the cache, e.g. when it reports that a platform could not be reached. */
export function doNotCache(services: AppServices, request: Request | undefined): void {
  const key = request && keyOfRequest.get(request)
  if (key) responseCacheOf(services).refuse(key)
}

export const responseCacheOf = perServices((services) => new WorkspaceResponseCache(services))

/**
 * Yoga's response cache over `WorkspaceResponseCache`: queries of authenticated callers only, only while the change
 * feed is live (a missed notification could otherwise leave an answer stale), with ETag / If-None-Match → 304.
 */
export function useWorkspaceResponseCache(services: AppServices): Plugin {
  const cache = responseCacheOf(services)
  void services.db.changes.start().catch(() => undefined)
  return useResponseCache({
    cache,
    ttl: RESPONSE_CACHE_TTL_MS,
    // Mutations are never cached nor answered from the cache (testConnection must reach the program every time, and
    // every write must count against its rate limit); entity invalidation is left to the change feed (a no-op here).
    invalidateViaMutation: true,
    // Entities are not tracked (the change feed invalidates): no id is resolved a second time for the cache.
    idFields: [],
    enabled: (request) =>
      services.db.changes.live && request.headers.has('authorization') && !wasRefused(request),
    session: async (request) => {
      const auth = await authenticateRequest(services, request)
      return auth.ok ? `${auth.principal.workspaceId}/${auth.principal.tokenId}` : null
    },
    // Without a principal there is no key to store under: such answers are never cached nor served from cache.
    buildResponseCacheKey: async ({ documentString, variableValues, operationName, sessionId, request }) => {
      const [workspaceId, tokenId] = (sessionId ?? '').split('/')
      // Yoga checks the request's shape only after this hook: a query that is not text is left for it to refuse.
      if (!workspaceId || !tokenId || typeof documentString !== 'string') {
        return `anonymous-${randomBytes(16).toString('base64url')}`
      }
      const key = cache.keyOf({
        workspaceId,
        tokenId,
        document: documentString,
        variables: variableValues,
        operationName,
      })
      keyOfRequest.set(request, key)
      return key
    },
  })
}
