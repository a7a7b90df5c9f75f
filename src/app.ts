import { type DocumentNode, GraphQLError } from 'graphql'
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga'
import type { AppServices } from './app-services.ts'
import { requestIdOf, useRequestLogging } from './logger.ts'
import { useMetrics } from './observability/metrics.ts'
import { createLoaderCache, type GraphQLContext } from './schema/builder.ts'
import { useWorkspaceResponseCache } from './schema/response-cache.ts'
import { buildSchema } from './schema/schema.ts'
import { useApiRateLimit } from './security/api-rate-limit.ts'
import { useRequestBodyLimit } from './security/body-limit.ts'
import { corsOption, useCorsVary } from './security/cors.ts'
import { useCsrfPrevention } from './security/csrf.ts'
import { useGraphQLLimits } from './security/graphql-limits.ts'
import { useInputErrorHygiene } from './security/input-errors.ts'
import { useIntrospectionPolicy } from './security/introspection.ts'
import { useNulGuard } from './security/nul-guard.ts'
import { authenticateRequest } from './security/request-auth.ts'
import { unauthenticatedHttp, useRequestErrorStatus } from './security/request-errors.ts'
import { rootFieldNames } from './security/root-fields.ts'
import { useSubscriptionTokenWatch } from './security/subscription-auth.ts'
import { documentIdOf, useTrustedDocuments } from './security/trusted-documents.ts'
import { GRAPHIQL_DEFAULT_QUERY, renderGraphiQLPage, useGraphiQLAssets } from './web/graphiql.ts'
import { WEB_DOCUMENTS } from './web/web-documents.generated.ts'
import { useWebApp } from './web/web-routes.ts'
import { AUTH_FAILURE_MESSAGES } from './workspace/workspace.service.ts'

export type AffgraphApp = YogaServerInstance<Record<string, unknown>, GraphQLContext>

/** Answers /health (the process is up) and /ready (the database answers) outside GraphQL. */
function useHealthEndpoints(services: AppServices): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/health') {
        endResponse(
          new fetchAPI.Response(JSON.stringify({ status: 'ok' }), {
            headers: { 'content-type': 'application/json' },
          }),
        )
      } else if (url.pathname === '/ready') {
        try {
          await services.db.query('select 1')
          endResponse(
            new fetchAPI.Response(JSON.stringify({ status: 'ready' }), {
              headers: { 'content-type': 'application/json' },
            }),
          )
        } catch {
          endResponse(new fetchAPI.Response(JSON.stringify({ status: 'unavailable' }), { status: 503 }))
        }
      }
    },
  }
}

/**
 * Root fields anyone may call: the platform catalogue and introspection (connect forms are built from it). Whether
 * introspection is really open to anonymous callers is AFFGRAPH_INTROSPECTION's call, enforced while validating.
 */
const PUBLIC_ROOT_FIELDS = new Set(['platforms', '__schema', '__type', '__typename'])

/**
 * Refuses an operation that needs a token before anything of it runs — argument validation included, so that an
 * anonymous caller learns nothing from field-level errors and always gets 401.
 */
function useAuthGate(): Plugin<GraphQLContext> {
  const gate = (args: {
    document: DocumentNode
    operationName?: string | null
    contextValue: GraphQLContext
  }) => {
    const auth = args.contextValue.auth
    if (auth.ok) return null
    if (rootFieldNames(args.document, args.operationName).every((n) => PUBLIC_ROOT_FIELDS.has(n))) return null
    return {
      errors: [
        new GraphQLError(AUTH_FAILURE_MESSAGES[auth.reason], {
          extensions: { code: auth.reason, http: unauthenticatedHttp(auth.reason) },
        }),
      ],
    }
  }
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = gate(args as never)
      if (refused) setResultAndStopExecution(refused)
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = gate(args as never)
      if (refused) setResultAndStopExecution(refused)
    },
  }
}

/** The Yoga app, with no port: tests call `app.fetch`, `main.ts` hands it to an HTTP server. */
export function createApp(services: AppServices): AffgraphApp {
  const schema = buildSchema(services.registry)
  const log = services.logger.child({ component: 'graphql' })
  // The web page and GraphiQL's first tab must work whichever documents the operator lists.
  const trustedDocuments = services.config.trustedDocuments && {
    ...WEB_DOCUMENTS,
    [documentIdOf(GRAPHIQL_DEFAULT_QUERY)]: GRAPHIQL_DEFAULT_QUERY,
    ...services.config.trustedDocuments,
  }
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // Our /health and /ready answer with a body; Yoga's own empty check moves out of their way.
    healthCheckEndpoint: '/_yoga/health',
    landingPage: false,
    // Off unless AFFGRAPH_CORS_ORIGINS lists the origins whose pages may call the API.
    cors: corsOption(services.config.corsOrigins),
    // The cap is useRequestBodyLimit's (Yoga's default, 25 MB, is far above any real operation: the largest, a
    // CSV import, is capped at 1 MiB).
    maxRequestBodySize: false,
    graphiql: services.config.graphiql
      ? {
          title: 'affgraph',
          defaultQuery: GRAPHIQL_DEFAULT_QUERY,
        }
      : false,
    renderGraphiQL: renderGraphiQLPage,
    // Unexpected errors reach clients as "Unexpected error."; the original goes to the log, already redacted.
    maskedErrors: true,
    // One operation per request: a JSON array body is refused with 400, so rate limits count every operation.
    batching: false,
    // A trusted document may be asked for by id alone (the GraphQL-over-HTTP persisted documents proposal).
    ...(trustedDocuments ? { extraParamNames: ['documentId'] } : {}),
    logging: {
      // Yoga logs at debug on every request: with debug off, not even the arguments are gathered.
      debug: log.isLevelEnabled('debug') ? (...args) => log.debug({ args }, 'yoga') : () => undefined,
      info: (...args) => log.info({ args }, 'yoga'),
      warn: (...args) => log.warn({ args }, 'yoga'),
      error: (...args) =>
        log.error(
          { err: args.find((a) => a instanceof Error), args: args.filter((a) => !(a instanceof Error)) },
          'yoga',
        ),
    },
    plugins: [
      useHealthEndpoints(services),
      useCorsVary(services.config.corsOrigins),
      useCsrfPrevention(),
      useRequestBodyLimit(services.config.maxBodyBytes),
      // First of the GraphQL hooks: every later one (rate limits, auth gate, response cache key, limits) sees the
      // listed document an id stands for, and an unlisted operation costs nothing past this point.
      ...(trustedDocuments
        ? useTrustedDocuments({
            documents: trustedDocuments,
            maxTokens: services.config.graphqlLimits.maxTokens,
          })
        : []),
      useIntrospectionPolicy(services, services.config.introspection),
      // Before the auth gate: an address out of failed authentications gets 429, not a 401 that tells a guess apart.
      useApiRateLimit(services),
      useAuthGate(),
      // Only streams the gate let through are watched: each ends once its token no longer authenticates.
      useSubscriptionTokenWatch(),
      // After the limits that refuse before parsing; a hit then skips parsing, validation and execution.
      ...(services.config.responseCache ? [useWorkspaceResponseCache(services)] : []),
      useInputErrorHygiene(),
      useNulGuard(),
      // After the auth gate: an anonymous caller learns that it needs a token before what its query would cost.
      ...useGraphQLLimits(services.config.graphqlLimits),
      useWebApp(),
      ...(services.config.graphiql ? [useGraphiQLAssets('/graphql')] : []),
      // Last to see a result: every refusal above is answered with a status the GraphQL-over-HTTP spec allows.
      useRequestErrorStatus(),
      useMetrics(services),
      useRequestLogging(services.logger),
    ],
    context: async ({ request }) => {
      const requestId = requestIdOf(request)
      const em = services.db.fork()
      const auth = await authenticateRequest(services, request)
      // Every tenant-owned entity carries a default filter on its workspace: with the principal's id set here,
      // no query can see another workspace, and without it (no token) such a query fails instead of leaking.
      if (auth.ok) em.setFilterParams('workspace', { id: auth.principal.workspaceId })
      const log = services.logger.child({ requestId })
      return { requestId, log, em, auth, services, loaders: createLoaderCache() }
    },
  })
}
