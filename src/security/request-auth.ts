import { type AppServices, perServices } from '../app-services.ts'
import { hashApiToken } from '../crypto/api-token.ts'
import type { Change } from '../db/change-feed.ts'
import {
  type AuthResult,
  bearerToken,
  findTokenByHash,
  judgeToken,
  type TokenRecord,
} from '../workspace/workspace.service.ts'

/**
 * How long a token's record may be trusted from memory. Revocation normally reaches every process at once (the
 * writing process announces it on the change feed with its flush, and hears its own writes locally); this bound
 * holds even if a notification were lost or a row changed by hand, and while the feed is down nothing is served
 * from memory at all.
 */
export const TOKEN_CACHE_TTL_MS = 10_000
/** How often the last use of the tokens seen is written, in one statement for all of them. */
export const LAST_USE_FLUSH_MS = 60_000
const MAX_CACHED_TOKENS = 10_000

/**
 * Authenticated tokens of one process, by the SHA-256 of the token (the plaintext is never kept). Only records
 * that were found are kept: an unknown token is looked up every time, and every such guess is counted by the
 * failed-authentication limit. Expiry is judged on every use against the clock.
 */
export class TokenCache {
  readonly #byHash = new Map<string, { record: TokenRecord; until: number }>()
  readonly #lastUse = new Map<string, Date>()
  readonly #services: AppServices
  readonly #unsubscribe: () => void
  #flushTimer: NodeJS.Timeout | null = null
  /** Lookups that reached the database (for tests and figures). */
  lookups = 0

  constructor(services: AppServices) {
    this.#services = services
    this.#unsubscribe = services.db.changes.subscribe((change) => this.#onChange(change))
    void services.db.changes.start().catch(() => undefined)
  }

  #onChange(change: Change): void {
    if (change === 'all' || change === 'reset') {
      this.#byHash.clear()
      return
    }
    const [kind, id] = [change.slice(0, change.indexOf(':')), change.slice(change.indexOf(':') + 1)]
    if (kind !== 'token' && kind !== 'ws') return
    for (const [hash, entry] of this.#byHash) {
      if ((kind === 'token' ? entry.record.id : entry.record.workspaceId) === id) this.#byHash.delete(hash)
    }
  }

  async authenticate(authorization: string | null): Promise<AuthResult> {
    const bearer = bearerToken(authorization)
    if (!bearer.ok) return bearer
    const hash = hashApiToken(bearer.token)
    const now = this.#services.clock.now()
    const live = this.#services.db.changes.live
    let record: TokenRecord | null
    const cached = live ? this.#byHash.get(hash) : undefined
    if (cached && cached.until > performance.now()) record = cached.record
    else {
      this.lookups++
      record = await findTokenByHash(this.#services.db, hash)
      if (record && live) {
        if (this.#byHash.size >= MAX_CACHED_TOKENS) this.#byHash.clear()
        this.#byHash.set(hash, { record, until: performance.now() + TOKEN_CACHE_TTL_MS })
      } else this.#byHash.delete(hash)
    }
    const result = judgeToken(bearer.token, record, now)
    if (result.ok) this.#noteUse(result.principal.tokenId, now)
    return result
  }

  #noteUse(tokenId: string, at: Date): void {
    this.#lastUse.set(tokenId, at)
    if (this.#flushTimer) return
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null
      void this.flushLastUse().catch((error: Error) =>
        this.#services.logger.warn({ err: { message: error.message } }, 'token last use not recorded'),
      )
    }, LAST_USE_FLUSH_MS)
    this.#flushTimer.unref()
  }

  /** Writes the last use of every token seen since the previous flush, in one statement. */
  async flushLastUse(): Promise<number> {
    if (this.#lastUse.size === 0) return 0
    const entries = [...this.#lastUse]
    this.#lastUse.clear()
    await this.#services.db.prepared(
      `update api_token t set last_used_at = v.at
         from unnest($1::uuid[], $2::timestamptz[]) as v(id, at)
        where t.id = v.id and (t.last_used_at is null or t.last_used_at < v.at)`,
      [entries.map(([id]) => id), entries.map(([, at]) => at.toISOString())],
    )
    return entries.length
  }

  close(): void {
    this.#unsubscribe()
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    this.#flushTimer = null
  }
}

/** The token cache of one set of services (one per process in production). */
export const tokenCacheOf = perServices((services) => new TokenCache(services))

const settled = new WeakMap<Request, Promise<AuthResult>>()

/**
 * The caller's authentication, looked up once per HTTP request. Introspection and field suggestions are decided
 * before Yoga builds the context (validation runs first), and the context then reuses the same answer.
 */
export function authenticateRequest(services: AppServices, request: Request): Promise<AuthResult> {
  let result = settled.get(request)
  if (!result) {
    result = tokenCacheOf(services).authenticate(request.headers.get('authorization'))
    settled.set(request, result)
  }
  return result
}
