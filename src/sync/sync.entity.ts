import { defineEntity, p } from '@mikro-orm/core'
import { Account } from '../account/account.entity.ts'
import { tenantFilters, Workspace } from '../workspace/workspace.entity.ts'

export const SYNC_RUN_KINDS = ['BACKFILL', 'PERIODIC', 'MANUAL', 'ON_DEMAND'] as const
export type SyncRunKind = (typeof SYNC_RUN_KINDS)[number]
export const SYNC_RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'RETRYING'] as const
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number]

/** One fetch of an account's report for a window of platform days. */
export const SyncRunSchema = defineEntity({
  name: 'SyncRun',
  tableName: 'sync_run',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    kind: p.text(),
    windowFrom: p.date(),
    windowTo: p.date(),
    status: p.text(),
    attempts: p.integer().default(0),
    requests: p.integer().default(0),
    rowsWritten: p.integer().default(0),
    rowsChanged: p.integer().default(0),
    errorCode: p.text().nullable(),
    errorMessage: p.text().nullable(),
    createdAt: p.datetime(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['account', 'createdAt'] }, { properties: ['workspace', 'createdAt'] }],
  filters: tenantFilters,
})
export class SyncRun extends SyncRunSchema.class {}
SyncRunSchema.setClass(SyncRun)

/** Inclusive windows of days known to be synced, merged per account; gaps are what on-demand fetching fills. */
export const SyncCoverageSchema = defineEntity({
  name: 'SyncCoverage',
  tableName: 'sync_coverage',
  properties: {
    id: p.bigint().primary().autoincrement(),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    fromDay: p.date(),
    toDay: p.date(),
    syncedAt: p.datetime(),
  },
  indexes: [{ properties: ['account', 'fromDay'] }],
})
export class SyncCoverage extends SyncCoverageSchema.class {}
SyncCoverageSchema.setClass(SyncCoverage)

/**
 * Rate-limit state shared by every worker process: one GCRA "theoretical arrival time" per key, updated in one
 * statement, so limits hold across processes and machines.
 */
export const RateLimitStateSchema = defineEntity({
  name: 'RateLimitState',
  tableName: 'rate_limit_state',
  properties: {
    key: p.text().primary(),
    tat: p.datetime(),
  },
})
export class RateLimitState extends RateLimitStateSchema.class {}
RateLimitStateSchema.setClass(RateLimitState)

/**
 * Circuit breaker of one workspace's calls to one host, shared by every worker: a persistent outage stops that
 * workspace's calls to that host only, and no tenant's failures pause another tenant.
 */
export const HostCircuitSchema = defineEntity({
  name: 'HostCircuit',
  tableName: 'host_circuit',
  properties: {
    workspace: () => p.manyToOne(Workspace).primary().deleteRule('cascade'),
    host: p.text().primary(),
    failures: p.integer().default(0),
    openedUntil: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
})
export class HostCircuit extends HostCircuitSchema.class {}
HostCircuitSchema.setClass(HostCircuit)
