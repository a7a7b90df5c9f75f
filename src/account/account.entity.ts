import { defineEntity, p } from '@mikro-orm/core'
import { tenantFilters, Workspace } from '../workspace/workspace.entity.ts'

export const ACCOUNT_STATUSES = ['OK', 'AUTH_FAILED', 'RATE_LIMITED', 'UNREACHABLE', 'PENDING'] as const
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number]

/** Public per-field facts shown back to the user: whether it is set, and a hint that never reveals a secret. */
export interface ConnectionFieldState {
  isSet: boolean
  hint: string | null
}

export const AccountSchema = defineEntity({
  name: 'Account',
  tableName: 'account',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    platformId: p.text(),
    label: p.text(),
    /** The program's own name (casino, merchant, site): the user's when given, else the platform's. */
    programName: p.text().nullable(),
    /** Set when the user gave the program name: a later credential check then keeps it. */
    programNameFromUser: p.boolean().default(false),
    baseUrl: p.text().nullable(),
    currency: p.text().nullable(),
    timeZone: p.text(),
    tags: p.array().default([]),
    status: p.enum(() => ACCOUNT_STATUSES),
    lastCheckAt: p.datetime().nullable(),
    lastSyncAt: p.datetime().nullable(),
    lastErrorCode: p.text().nullable(),
    lastErrorMessage: p.text().nullable(),
    /** AES-256-GCM envelope of the whole connection input; the row id is bound as associated data. */
    credentials: p.json<Record<string, unknown>>(),
    connectionState: p.json<Record<string, ConnectionFieldState>>(),
    externalAccountName: p.text().nullable(),
    /** Days fetched when the account is connected. */
    backfillDays: p.integer().default(90),
    /** Past days re-fetched by every periodic sync, because programs revise them. */
    lookbackDays: p.integer().default(7),
    syncIntervalMinutes: p.integer().default(360),
    nextSyncAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [{ properties: ['workspace', 'platformId'] }],
  filters: tenantFilters,
})
export class Account extends AccountSchema.class {}
AccountSchema.setClass(Account)
