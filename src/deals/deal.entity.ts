import { defineEntity, p } from '@mikro-orm/core'
import { Account } from '../account/account.entity.ts'
import { tenantFilters, Workspace } from '../workspace/workspace.entity.ts'

/**
 * The commission deal of one account, or of one brand of it when a program runs several brands on different
 * terms. Its terms live in versions, so that a change the program makes (a raised CPA qualification, carry-over
 * introduced) never rewrites what was in force before.
 */
export const DealSchema = defineEntity({
  name: 'Deal',
  tableName: 'deal',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    /** The brand as the platform reports it; '' for the whole account (every brand without a deal of its own). */
    brand: p.text().default(''),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  uniques: [{ properties: ['account', 'brand'] }],
  indexes: [{ properties: ['workspace', 'createdAt'] }],
  filters: tenantFilters,
})
export class Deal extends DealSchema.class {}
DealSchema.setClass(Deal)

/** The terms in force from `validFrom` (a platform day) until the next version's `validFrom`. Never edited. */
export const DealVersionSchema = defineEntity({
  name: 'DealVersion',
  tableName: 'deal_version',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    deal: () => p.manyToOne(Deal).deleteRule('cascade'),
    validFrom: p.date(),
    /** DealTerms (deal-terms.ts): validated on write, read back through the same schema. */
    terms: p.json<Record<string, unknown>>(),
    /** Where the terms come from ("IO signed 2026-03-02", "email from the account manager"): the proof. */
    note: p.text().nullable(),
    createdAt: p.datetime(),
  },
  uniques: [{ properties: ['deal', 'validFrom'] }],
  filters: tenantFilters,
})
export class DealVersion extends DealVersionSchema.class {}
DealVersionSchema.setClass(DealVersion)

/** Where a payment record came from. */
export const PAYMENT_SOURCES = ['MANUAL', 'CSV', 'PLATFORM'] as const
export type PaymentSource = (typeof PAYMENT_SOURCES)[number]

/**
 * Money a program paid (or, from a platform, invoiced) for one month of an account's commission. The month is the
 * period paid for, not the day the money arrived: reconciliation sets what was paid for a month against what was
 * owed for it.
 */
export const PaymentSchema = defineEntity({
  name: 'Payment',
  tableName: 'payment',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    account: () => p.manyToOne(Account).deleteRule('cascade'),
    /** As on Deal: '' for the whole account. */
    brand: p.text().default(''),
    /** The 1st of the month the payment settles. */
    periodMonth: p.date(),
    amount: p.decimal().columnType('numeric'),
    currency: p.text(),
    /** Null: invoiced by the platform but not yet paid. */
    paidOn: p.date().nullable(),
    source: p.text(),
    /**
     * Identifies the payment at its source (a bank reference, the platform's invoice id): importing the same
     * statement twice updates rather than doubles. Unique per account where present.
     */
    reference: p.text().nullable(),
    note: p.text().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [
    { properties: ['workspace', 'periodMonth'] },
    {
      name: 'payment_account_reference_unique',
      expression:
        'create unique index "payment_account_reference_unique" on "payment" ("account_id", "reference") where "reference" is not null',
    },
  ],
  filters: tenantFilters,
})
export class Payment extends PaymentSchema.class {}
PaymentSchema.setClass(Payment)
