import { type ExecutionResult, GraphQLError } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import type { AppServices } from '../app-services.ts'
import { hashApiToken } from '../crypto/api-token.ts'
import type { GraphQLContext } from '../schema/builder.ts'
import {
  AUTH_FAILURE_MESSAGES,
  type AuthFailure,
  bearerToken,
  findTokenByHash,
  judgeToken,
} from '../workspace/workspace.service.ts'

/**
 * How long an open subscription may outlive its token at most when a revocation's notification is lost (the change
 * feed down or reconnecting). With the feed up a revocation ends it at once, and an expiry ends it at the instant.
 */
export const SUBSCRIPTION_RECHECK_MS = 10_000
/** setTimeout's largest delay; a farther expiry is re-armed when this one fires. */
const MAX_TIMER_MS = 2_147_483_647

type Outcome = { reason: AuthFailure }

/**
 * Authentication is judged once when a subscription starts; a stream may stay open for days. This keeps judging the
 * token for as long as the stream is open, and ends it with a final error (TOKEN_REVOKED, TOKEN_EXPIRED, …) the
 * client can read once the token no longer authenticates.
 */
export function useSubscriptionTokenWatch(): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args }) {
      const ctx = args.contextValue as GraphQLContext
      if (!ctx.auth.ok) return
      const authorization = ctx.request?.headers.get('authorization') ?? null
      const { tokenId } = ctx.auth.principal
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return
          setResult(watchToken(result, ctx.services, authorization, tokenId, ctx.log))
        },
      }
    },
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value
}

function watchToken(
  source: AsyncIterable<ExecutionResult>,
  services: AppServices,
  authorization: string | null,
  tokenId: string,
  log: GraphQLContext['log'],
): AsyncIterableIterator<ExecutionResult> {
  const inner = source[Symbol.asyncIterator]()
  let endWith: (outcome: Outcome) => void = () => undefined
  const ended = new Promise<Outcome>((resolve) => {
    endWith = resolve
  })
  let over: Outcome | null = null
  let finished = false
  let expiryTimer: NodeJS.Timeout | null = null

  const end = (reason: AuthFailure) => {
    if (over) return
    over = { reason }
    endWith(over)
  }
  const armExpiry = (expiresAt: Date | null) => {
    if (expiryTimer) clearTimeout(expiryTimer)
    expiryTimer = null
    if (!expiresAt || finished) return
    const left = expiresAt.getTime() - services.clock.now().getTime()
    if (left <= 0) return end('TOKEN_EXPIRED')
    expiryTimer = setTimeout(() => armExpiry(expiresAt), Math.min(left, MAX_TIMER_MS))
    expiryTimer.unref()
  }
  const check = async () => {
    const bearer = bearerToken(authorization)
    if (!bearer.ok) return end(bearer.reason)
    const record = await findTokenByHash(services.db, hashApiToken(bearer.token))
    const verdict = judgeToken(bearer.token, record, services.clock.now())
    if (!verdict.ok) end(verdict.reason)
    else armExpiry(record?.expiresAt ?? null)
  }
  const recheck = () => {
    if (finished || over) return
    void check().catch((error: Error) =>
      log.warn({ err: { message: error.message } }, 'subscription token not re-checked'),
    )
  }
  // 'reset': the feed reconnected, so a revocation may have been missed meanwhile.
  const unsubscribe = services.db.changes.subscribe((change) => {
    if (change === `token:${tokenId}` || change === 'reset') recheck()
  })
  const backstop = setInterval(recheck, SUBSCRIPTION_RECHECK_MS)
  backstop.unref()
  recheck()

  const finish = () => {
    if (finished) return
    finished = true
    unsubscribe()
    clearInterval(backstop)
    if (expiryTimer) clearTimeout(expiryTimer)
    void inner.return?.()?.catch(() => undefined)
  }
  const finalEvent = (outcome: Outcome): IteratorResult<ExecutionResult> => {
    finish()
    return {
      done: false,
      value: {
        errors: [
          new GraphQLError(AUTH_FAILURE_MESSAGES[outcome.reason], { extensions: { code: outcome.reason } }),
        ],
      },
    }
  }

  return {
    [Symbol.asyncIterator]() {
      return this
    },
    async next() {
      if (finished) return { done: true, value: undefined }
      if (over) return finalEvent(over)
      const next = await Promise.race([inner.next(), ended])
      if (finished) return { done: true, value: undefined }
      if ('reason' in next) return finalEvent(next)
      if (next.done) finish()
      return next
    },
    async return() {
      finish()
      return { done: true, value: undefined }
    },
    async throw(error: unknown) {
      finish()
      throw error
    },
  }
}
