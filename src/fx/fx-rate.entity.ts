import { defineEntity, p } from '@mikro-orm/core'

/**
 * A daily reference rate: 1 EUR = `rate` units of `currency` on `day`, as published by `source`
 * ('ECB', or 'ECB-SIMULATED' for the local simulator). Kept exact, never as a float.
 */
export const FxRateSchema = defineEntity({
  name: 'FxRate',
  tableName: 'fx_rate',
  properties: {
    source: p.text().primary(),
    day: p.date().primary(),
    currency: p.text().primary(),
    rate: p.decimal().columnType('numeric'),
    importedAt: p.datetime(),
  },
  indexes: [{ properties: ['currency', 'day'] }],
})
export class FxRate extends FxRateSchema.class {}
FxRateSchema.setClass(FxRate)
