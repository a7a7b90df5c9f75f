import { defineEntity, p } from '@mikro-orm/core'
import { Account } from '../account/account.entity.ts'
import { tenantFilters, Workspace } from '../workspace/workspace.entity.ts'

/**
 * What a rule watches. Each kind is something affiliates lose money to without being told: a sync that stopped, a
 * key the platform refuses, figures revised after the fact, traffic that fell away, a program gone quiet, a payment
 * that never came or came short.
 */
export const ALERT_RULE_KINDS = [
  'SYNC_STALE',
  'CREDENTIALS_REFUSED',
  'REVISION',
  'TRAFFIC_CHANGE',
  'STOPPED_REPORTING',
  'PAYMENT_OVERDUE',
] as const
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number]

/** A workspace's standing order: watch these accounts for this condition and tell these destinations. */
export const AlertRuleSchema = defineEntity({
  name: 'AlertRule',
  tableName: 'alert_rule',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    name: p.text(),
    kind: p.text(),
    /** The kind's thresholds (see alert-rules.ts); validated on write, read defensively. */
    settings: p.json<Record<string, unknown>>(),
    /** Accounts carrying any of these tags; with targetAccountIds empty too, every account of the workspace. */
    targetTags: p.array().default([]),
    targetAccountIds: p.array().default([]),
    /** Where its alerts go besides the alert list; empty: stored and shown only. */
    destinationIds: p.array().default([]),
    enabled: p.boolean().default(true),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [{ properties: ['workspace', 'createdAt'] }],
  filters: tenantFilters,
})
export class AlertRule extends AlertRuleSchema.class {}
AlertRuleSchema.setClass(AlertRule)

/**
 * One firing of a rule for one subject (an account, or an account's day and figure). While the condition lasts the
 * same record is kept (lastSeenAt moves, the figures follow the latest state); it is resolved when the condition
 * clears, and a later recurrence is a new alert.
 */
export const AlertSchema = defineEntity({
  name: 'Alert',
  tableName: 'alert',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    rule: () => p.manyToOne(AlertRule).deleteRule('cascade'),
    account: () => p.manyToOne(Account).deleteRule('cascade').nullable(),
    kind: p.text(),
    /** What the alert is about within its rule (e.g. `account:<id>` or `day:<id>:2026-11-03:ftds`). */
    subjectKey: p.text(),
    day: p.date().nullable(),
    metric: p.text().nullable(),
    currency: p.text().nullable(),
    beforeValue: p.decimal().columnType('numeric').nullable(),
    afterValue: p.decimal().columnType('numeric').nullable(),
    title: p.text(),
    details: p.json<Record<string, unknown>>(),
    firedAt: p.datetime(),
    lastSeenAt: p.datetime(),
    resolvedAt: p.datetime().nullable(),
    /** CLEARED (the condition went away) or DISMISSED (a user closed it). */
    resolution: p.text().nullable(),
  },
  indexes: [
    { properties: ['workspace', 'firedAt'] },
    // At most one open alert per rule and subject, whatever number of evaluations race for it.
    {
      name: 'alert_open_subject_unique',
      expression:
        'create unique index "alert_open_subject_unique" on "alert" ("rule_id", "subject_key") where "resolved_at" is null',
    },
  ],
  filters: tenantFilters,
})
export class Alert extends AlertSchema.class {}
AlertSchema.setClass(Alert)
