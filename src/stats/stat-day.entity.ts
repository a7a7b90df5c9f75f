import { defineEntity, p } from '@mikro-orm/core'
import { Account } from '../account/account.entity.ts'
import { tenantFilters, Workspace } from '../workspace/workspace.entity.ts'

/**
 * One account × platform day × brand × campaign × currency. Absent dimensions are stored as '' so that the
 * natural key can be a primary key (NULLs never conflict). Money is unconstrained `numeric`: exact, any scale.
 * The hot paths (upsert, aggregation) use SQL directly; the entity keeps the ORM's picture of the table exact.
 */
export const StatDaySchema = defineEntity({
  name: 'StatDay',
  tableName: 'stat_day',
  properties: {
    account: () => p.manyToOne(Account).primary().deleteRule('cascade'),
    day: p.date().primary(),
    brand: p.text().primary(),
    campaign: p.text().primary(),
    currency: p.text().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    impressions: p.integer().nullable(),
    clicks: p.integer().nullable(),
    signups: p.integer().nullable(),
    ftds: p.integer().nullable(),
    depositCount: p.integer().nullable(),
    cpaCount: p.integer().nullable(),
    salesCount: p.integer().nullable(),
    refundCount: p.integer().nullable(),
    chargebackCount: p.integer().nullable(),
    deposits: p.decimal().columnType('numeric').nullable(),
    netRevenue: p.decimal().columnType('numeric').nullable(),
    commission: p.decimal().columnType('numeric').nullable(),
    salesAmount: p.decimal().columnType('numeric').nullable(),
    refundAmount: p.decimal().columnType('numeric').nullable(),
    chargebackAmount: p.decimal().columnType('numeric').nullable(),
    syncedAt: p.datetime(),
  },
  indexes: [{ properties: ['workspace', 'day'] }],
  // The rollup triggers (migrations/20261204000000-rollups.migration.ts, which owns their function), declared so
  // that the ORM's schema comparison knows them. TRUNCATE triggers are invisible to its introspection, so the
  // fourth one, which empties stat_rollup, is not listed.
  triggers: (['insert', 'update', 'delete'] as const).map((event) => ({
    name: `stat_day_rollup_${event}`,
    timing: 'after' as const,
    events: [event],
    forEach: 'statement' as const,
    expression: `create trigger "stat_day_rollup_${event}" after ${event} on "stat_day" referencing ${
      event === 'insert'
        ? 'new table as new_rows'
        : event === 'update'
          ? 'old table as old_rows new table as new_rows'
          : 'old table as old_rows'
    } for each statement execute function stat_day_rollup_trigger()`,
  })),
})
export class StatDay extends StatDaySchema.class {}
StatDaySchema.setClass(StatDay)

/** A change the platform made to a day already stored: programs revise figures, users want to see it. */
export const StatChangeSchema = defineEntity({
  name: 'StatChange',
  tableName: 'stat_change',
  properties: {
    id: p.bigint().primary().autoincrement(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    day: p.date(),
    brand: p.text(),
    campaign: p.text(),
    currency: p.text(),
    metric: p.text(),
    oldValue: p.decimal().columnType('numeric').nullable(),
    newValue: p.decimal().columnType('numeric').nullable(),
    syncRunId: p.uuid().nullable(),
    detectedAt: p.datetime(),
  },
  indexes: [{ properties: ['workspace', 'detectedAt'] }, { properties: ['account', 'day'] }],
  filters: tenantFilters,
})
export class StatChange extends StatChangeSchema.class {}
StatChangeSchema.setClass(StatChange)
