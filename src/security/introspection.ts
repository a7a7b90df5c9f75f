import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions'
import { type ASTVisitor, GraphQLError, type ValidationContext } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import type { AppServices } from '../app-services.ts'
import type { Config } from '../config.ts'
import { authenticateRequest } from './request-auth.ts'
import { unauthenticatedHttp } from './request-errors.ts'

export type IntrospectionMode = Config['introspection']

export const INTROSPECTION_MESSAGES = {
  authenticated: 'Introspection needs an API token: send it as "Authorization: Bearer <token>".',
  off: 'Introspection is disabled on this server.',
} as const

const SUGGESTION = / ?Did you mean [^?]*\?/g
const HAS_SUGGESTION = /Did you mean /

/**
 * Without a token the caller is not permitted to introspect (401, as for any other field that needs one); with
 * `off` the fields do not exist for anyone, a validation failure like any other. `spec: false` keeps the 401 under
 * `application/json` too, where Yoga would otherwise answer a validation error with 200.
 */
const needsToken = { ...unauthenticatedHttp('TOKEN_MISSING'), spec: false }

/** Named, because Yoga keys its validation cache by the names of the rules in force. */
function NoIntrospectionRule(mode: 'authenticated' | 'off') {
  return function IntrospectionNotAllowed(context: ValidationContext): ASTVisitor {
    return {
      Field(node) {
        const name = node.name.value
        if (name === '__schema' || name === '__type') {
          context.reportError(
            new GraphQLError(INTROSPECTION_MESSAGES[mode], {
              nodes: node,
              extensions: {
                code: 'INTROSPECTION_DISABLED',
                ...(mode === 'authenticated' ? { http: needsToken } : {}),
              },
            }),
          )
        }
      },
    }
  }
}

/**
 * Who may introspect: `public` anyone, `authenticated` token holders (connect forms are built from introspection
 * after sign-in), `off` no one. Whoever may not introspect also gets no "Did you mean …" hints, which would
 * otherwise let them rebuild the schema field by field.
 */
export function useIntrospectionPolicy(services: AppServices, mode: IntrospectionMode): Plugin {
  const mayIntrospect = new WeakMap<Request, boolean>()
  const allowed = (request: Request | undefined) =>
    mode === 'public' || (request !== undefined && mayIntrospect.get(request) === true)
  const blockSuggestions = blockFieldSuggestionsPlugin({ mask: '' })
  const rule = mode === 'public' ? null : NoIntrospectionRule(mode)
  return {
    async onParams({ request }) {
      if (mode !== 'authenticated') return
      const auth = await authenticateRequest(services, request)
      mayIntrospect.set(request, auth.ok)
    },
    onValidate(payload) {
      const request = (payload.context as { request?: Request }).request
      if (allowed(request)) return
      if (rule) payload.addValidationRule(rule)
      return blockSuggestions.onValidate?.(payload as never)
    },
    // Coercing variables (an enum value, an input field) suggests names too, after validation.
    onExecutionResult({ request, result, setResult }) {
      if (allowed(request) || !result || Symbol.asyncIterator in result) return
      if (!result.errors?.some((e) => HAS_SUGGESTION.test(e.message))) return
      setResult({
        ...result,
        errors: result.errors.map((e) =>
          HAS_SUGGESTION.test(e.message)
            ? new GraphQLError(e.message.replace(SUGGESTION, '').trim(), {
                nodes: e.nodes,
                source: e.source,
                positions: e.positions,
                path: e.path,
                originalError: e.originalError,
                extensions: e.extensions,
              })
            : e,
        ),
      })
    },
  }
}
