import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention'
import { createGraphQLError, type Plugin } from 'graphql-yoga'

/** The header a browser cannot send cross-site without a CORS preflight; any value will do. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf'

/**
 * Refuses, with 403 and code CSRF_HEADER_MISSING, a GraphQL request a page on another site could make without a
 * CORS preflight (a GET, or a POST of text/plain, a form or multipart) unless it carries {@link CSRF_HEADER}.
 * JSON POSTs (our web app, GraphiQL, every GraphQL client) are preflighted and pass untouched.
 */
export function useCsrfPrevention(): Plugin {
  const prevention = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] })
  return {
    onRequestParse(payload) {
      // A GET naming no operation runs nothing (Yoga answers it with its own error), e.g. a link to /graphql.
      if (payload.request.method === 'GET' && !payload.url.searchParams.has('query')) return
      try {
        return prevention.onRequestParse?.(payload)
      } catch {
        throw createGraphQLError(
          `Required CSRF header not present: send "${CSRF_HEADER}" with any value, or POST application/json.`,
          { extensions: { code: 'CSRF_HEADER_MISSING', http: { status: 403 } } },
        )
      }
    },
  }
}
