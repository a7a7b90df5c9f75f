import { defineEntity, p } from '@mikro-orm/core'

/**
 * Month and week sums of stat_day (kind 'month' or 'week', period_start the 1st or the Monday), written only by
 * the triggers of migrations/20261204000000-rollups.migration.ts and read only by the stats statement. The
 * entity keeps the ORM's picture of the table exact. No foreign keys: a row lives exactly as long as the days it
 * sums, which the triggers see go (account and workspace deletions cascade through stat_day).
 */
export const StatRollupSchema = defineEntity({
  name: 'StatRollup',
  tableName: 'stat_rollup',
  properties: {
    accountId: p.uuid().primary(),
    kind: p.text().primary(),
    periodStart: p.date().primary(),
    brand: p.text().primary(),
    campaign: p.text().primary(),
    currency: p.text().primary(),
    workspaceId: p.uuid().primary(),
    impressions: p.bigint().nullable(),
    clicks: p.bigint().nullable(),
    signups: p.bigint().nullable(),
    ftds: p.bigint().nullable(),
    depositCount: p.bigint().nullable(),
    cpaCount: p.bigint().nullable(),
    salesCount: p.bigint().nullable(),
    refundCount: p.bigint().nullable(),
    chargebackCount: p.bigint().nullable(),
    deposits: p.decimal().columnType('numeric').nullable(),
    netRevenue: p.decimal().columnType('numeric').nullable(),
    commission: p.decimal().columnType('numeric').nullable(),
    salesAmount: p.decimal().columnType('numeric').nullable(),
    refundAmount: p.decimal().columnType('numeric').nullable(),
    chargebackAmount: p.decimal().columnType('numeric').nullable(),
  },
  // Currency last: a report currency's rollups are found without visiting the others' rows.
  indexes: [{ properties: ['workspaceId', 'kind', 'periodStart', 'currency'] }],
})
export class StatRollup extends StatRollupSchema.class {}
StatRollupSchema.setClass(StatRollup)
