import type { Plugin, YogaServerOptions } from 'graphql-yoga'
import { CSRF_HEADER } from './csrf.ts'

type CorsOption = YogaServerOptions<Record<string, unknown>, Record<string, unknown>>['cors']

/** Request headers a page may send: the token, the body's type, the media type it accepts, GET's CSRF header. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'accept', CSRF_HEADER, 'x-request-id']
/** Response headers a page may read besides the safelisted ones. */
const EXPOSED_HEADERS = ['retry-after', 'x-request-id']
const PREFLIGHT_MAX_AGE_SECONDS = 600

/**
 * Yoga's `cors` option for a list of allowed origins. Yoga's default reflects any origin with credentials, which lets
 * every site's pages read the API with whatever the browser holds; here an empty list turns CORS off (no header is
 * ever sent, so browsers keep other sites' pages out) and a listed origin gets an answer naming it alone. No
 * credentials: the API authenticates by bearer header, never by cookie, so a page has nothing for the browser to
 * attach.
 */
export function corsOption(origins: readonly string[]): CorsOption {
  if (origins.length === 0) return false
  const allowed = new Set(origins)
  return (request: Request) => {
    const origin = request.headers.get('origin')
    if (!origin || !allowed.has(origin)) return false
    return {
      origin: [origin],
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    }
  }
}

/**
 * With an origin list, what a response carries depends on the request's Origin: a shared cache must not hand one
 * origin's answer (or the refusal of an unlisted one) to another.
 */
export function useCorsVary(origins: readonly string[]): Plugin {
  return {
    onResponse({ response }) {
      if (origins.length === 0) return
      const vary = response.headers.get('vary')
      if (vary?.split(',').some((v) => v.trim().toLowerCase() === 'origin')) return
      try {
        response.headers.set('vary', vary ? `${vary}, Origin` : 'Origin')
      } catch {
        // Some responses (a redirect built by Response.redirect) have immutable headers; they vary by nothing.
      }
    },
  }
}
