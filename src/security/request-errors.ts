import { type ExecutionResult, GraphQLError } from 'graphql'
import type { Plugin } from 'graphql-yoga'

/**
 * HTTP statuses of refusals, as the GraphQL-over-HTTP spec asks:
 * - a request error (the operation is refused before it runs: a limit, a NUL) is 400 under
 *   `application/graphql-response+json`, where an answer without `data` must be 4xx or 5xx, and 200 under the
 *   legacy `application/json`, where the spec recommends 200 for every well-formed request. Yoga reads
 *   `spec: true` as "this status only under the new media type". Variables that do not coerce keep the 400 Yoga's
 *   executor gives them under both types (allowed for the legacy type, and what its clients have seen so far);
 * - a caller who is not permitted (no or bad token: 401; CSRF header missing: 403) or has to slow down (429) gets
 *   that status under both media types, so that clients, proxies and browsers can act on it without reading the
 *   body. The spec allows 4xx under `application/json` for this, and asks for 401/403 when a request is not
 *   permitted.
 */
export const REQUEST_ERROR_HTTP = { spec: true, status: 400 } as const

/** A 401 names the scheme the caller must use (RFC 9110 §11.6.1, RFC 6750 §3). */
export function unauthenticatedHttp(reason: string): { status: 401; headers: Record<string, string> } {
  const challenge =
    reason === 'TOKEN_MISSING' ? 'Bearer realm="affgraph"' : 'Bearer realm="affgraph", error="invalid_token"'
  return { status: 401, headers: { 'WWW-Authenticate': challenge } }
}

const isRefusal = (result: ExecutionResult) =>
  result.data === undefined &&
  (result.errors?.length ?? 0) > 0 &&
  result.errors?.every(
    (e) => e instanceof GraphQLError && !e.extensions?.http && !e.extensions?.unexpected && !e.originalError,
  )

/**
 * An operation refused before execution (no `data`) by a plugin that gave its error no status would be answered
 * 200 under `application/graphql-response+json`, which the spec forbids. Such an answer is a request error: each of
 * our refusals sets its status itself, and this is the floor for any refusal added later without one. Errors that
 * wrap an unexpected failure are left to Yoga (500).
 */
export function useRequestErrorStatus(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (!result || Symbol.asyncIterator in result || Array.isArray(result)) return
      const single = result as ExecutionResult
      if (!isRefusal(single)) return
      setResult({
        ...single,
        errors: single.errors?.map(
          (e) =>
            new GraphQLError(e.message, {
              nodes: e.nodes,
              source: e.source,
              positions: e.positions,
              path: e.path,
              extensions: { ...e.extensions, http: REQUEST_ERROR_HTTP },
            }),
        ),
      })
    },
  }
}
