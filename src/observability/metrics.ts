import { performance } from 'node:perf_hooks'
import { type DocumentNode, getOperationAST } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { AppServices } from '../app-services.ts'
import type { HttpRequestInfo } from '../http/http-client.ts'
import type { SyncEngine } from '../sync/sync-engine.ts'

export const METRICS_PATH = '/metrics'

/*
 * Label values are bounded sets owned by the server — operation types, error codes, plugin ids, HTTP statuses —
 * never workspace ids, account labels or URLs: the endpoint needs no token, so it must say nothing about tenants.
 */
type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown'
type Outcome = 'success' | 'error'

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/
const labelCode = (code: unknown) => (typeof code === 'string' && CODE.test(code) ? code : 'UNSPECIFIED')
const labelStatus = (status: number | undefined) =>
  status !== undefined && Number.isInteger(status) && status >= 100 && status < 600 ? String(status) : 'none'

export interface AppMetrics {
  /** Per app instance, never prom-client's global one: two apps in one process (tests) keep their own counts. */
  readonly registry: Registry
  recordOperation(type: OperationType, outcome: Outcome, seconds: number): void
  recordGraphQLError(code: unknown): void
  /** A sync run reached a final status (SUCCEEDED or FAILED). */
  recordSyncRun(platformId: string, status: string): void
  /** One attempt of an outbound call made for a platform (checks, syncs, on-demand fetches). */
  recordUpstreamRequest(platformId: string, info: HttpRequestInfo): void
  /**
   * What only a process serving `/metrics` needs: process metrics and the queue gauge read at scrape time.
   * Workers record the same counters without starting these collectors; calling it twice is harmless.
   */
  enableExposition(sync: () => SyncEngine | null): void
}

export function createMetrics(): AppMetrics {
  const registry = new Registry()
  const operations = new Counter({
    name: 'affgraph_graphql_requests_total',
    help: 'GraphQL operations answered, by operation type and outcome (error: the response carried errors).',
    labelNames: ['operation_type', 'outcome'] as const,
    registers: [registry],
  })
  const durations = new Histogram({
    name: 'affgraph_graphql_request_duration_seconds',
    help: 'Time from reading the GraphQL parameters to the result (for subscriptions: to the stream start).',
    labelNames: ['operation_type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  const graphqlErrors = new Counter({
    name: 'affgraph_graphql_errors_total',
    help: 'Errors in GraphQL responses, by extensions.code (UNSPECIFIED when none).',
    labelNames: ['code'] as const,
    registers: [registry],
  })
  const syncRuns = new Counter({
    name: 'affgraph_sync_runs_total',
    help: 'Sync runs finished, by platform and final status.',
    labelNames: ['platform', 'status'] as const,
    registers: [registry],
  })
  const upstream = new Counter({
    name: 'affgraph_upstream_requests_total',
    help: 'Outbound HTTP attempts to affiliate platforms, by platform and HTTP status (none: no response).',
    labelNames: ['platform', 'status'] as const,
    registers: [registry],
  })
  const upstreamDurations = new Histogram({
    name: 'affgraph_upstream_request_duration_seconds',
    help: 'Network time of one outbound attempt, rate-limit waits excluded.',
    labelNames: ['platform'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  })
  let exposed = false

  return {
    registry,
    recordOperation(type, outcome, seconds) {
      operations.inc({ operation_type: type, outcome })
      durations.observe({ operation_type: type }, seconds)
    },
    recordGraphQLError(code) {
      graphqlErrors.inc({ code: labelCode(code) })
    },
    recordSyncRun(platformId, status) {
      syncRuns.inc({ platform: platformId, status })
    },
    recordUpstreamRequest(platformId, info) {
      upstream.inc({ platform: platformId, status: labelStatus(info.status) })
      upstreamDurations.observe({ platform: platformId }, info.durationMs / 1000)
    },
    enableExposition(sync) {
      if (exposed) return
      exposed = true
      collectDefaultMetrics({ register: registry })
      new Gauge({
        name: 'affgraph_sync_queue_depth',
        help: 'Sync jobs in the queue at scrape time: waiting (ready to run), deferred (retry backoff) and active.',
        labelNames: ['state'] as const,
        registers: [registry],
        async collect() {
          this.reset()
          const engine = sync()
          if (!engine) return
          try {
            const depth = await engine.queueDepth()
            this.set({ state: 'waiting' }, depth.waiting)
            this.set({ state: 'deferred' }, depth.deferred)
            this.set({ state: 'active' }, depth.active)
          } catch {
            // A stopped engine or an unreachable database: the scrape answers without the gauge.
          }
        },
      })
    },
  }
}

/** The operation type of a parsed document; an unparsable one or an unknown operation name is `unknown`. */
function operationType(document: unknown, operationName: string | null | undefined): OperationType {
  if (!document || document instanceof Error) return 'unknown'
  return getOperationAST(document as DocumentNode, operationName ?? undefined)?.operation ?? 'unknown'
}

/**
 * Serves `GET /metrics` in the Prometheus text format and counts GraphQL operations and their errors. Needs no
 * token: every label is an operation type, a code, a plugin id or a status (see `createMetrics`).
 */
export function useMetrics(services: Pick<AppServices, 'metrics' | 'sync'>): Plugin {
  const metrics = services.metrics
  // Read at scrape time: the engine is started (or replaced) after the app is built.
  metrics.enableExposition(() => services.sync)
  const operations = new WeakMap<Request, { type: OperationType; at: number }>()
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== METRICS_PATH) return
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }))
        return
      }
      const body = await metrics.registry.metrics()
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
          headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' },
        }),
      )
    },
    onParams({ request }) {
      operations.set(request, { type: 'unknown', at: performance.now() })
    },
    onParse({ context }) {
      const { request, params } = context as {
        request?: Request
        params?: { operationName?: string | null }
      }
      return ({ result }) => {
        const entry = request && operations.get(request)
        if (entry) entry.type = operationType(result, params?.operationName)
      }
    },
    onExecutionResult({ request, result }) {
      const entry = operations.get(request)
      operations.delete(request)
      const seconds = entry ? (performance.now() - entry.at) / 1000 : 0
      const type = entry?.type ?? 'unknown'
      if (!result || Symbol.asyncIterator in result) {
        metrics.recordOperation(type, 'success', seconds)
        return
      }
      const errors = result.errors ?? []
      metrics.recordOperation(type, errors.length > 0 ? 'error' : 'success', seconds)
      for (const error of errors) metrics.recordGraphQLError(error.extensions?.code)
    },
  }
}
