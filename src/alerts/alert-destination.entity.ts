import { defineEntity, p } from '@mikro-orm/core'
import type { SealedCredentials } from '../crypto/credential-cipher.ts'
import { tenantFilters, Workspace } from '../workspace/workspace.entity.ts'
import { Alert } from './alert.entity.ts'

export const ALERT_DESTINATION_KINDS = ['WEBHOOK', 'SLACK', 'DISCORD', 'EMAIL'] as const
export type AlertDestinationKind = (typeof ALERT_DESTINATION_KINDS)[number]

/** What the API may show of an email destination; the password lives sealed beside it. */
export interface EmailSettings {
  host: string
  port: number
  /** true: TLS from the first byte (port 465); false: plain, upgraded with STARTTLS when the server offers it. */
  secure: boolean
  user: string | null
  from: string
  to: string[]
}

/**
 * Where alerts are sent. The secret part (a webhook URL, which for Slack and Discord is the only credential there
 * is; an SMTP password; a generic webhook's signing secret) is sealed like platform credentials, with the row id
 * bound in, and never leaves the server again.
 */
export const AlertDestinationSchema = defineEntity({
  name: 'AlertDestination',
  tableName: 'alert_destination',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    name: p.text(),
    kind: p.text(),
    enabled: p.boolean().default(true),
    /** Scheme and host of a URL, or the recipients of an email: enough to recognise it, never the secret. */
    hint: p.text(),
    /** Non-secret settings (EmailSettings for EMAIL; empty otherwise). */
    settings: p.json<Record<string, unknown>>(),
    credentials: p.json<SealedCredentials>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [{ properties: ['workspace', 'createdAt'] }],
  filters: tenantFilters,
})
export class AlertDestination extends AlertDestinationSchema.class {}
AlertDestinationSchema.setClass(AlertDestination)

export const ALERT_DELIVERY_EVENTS = ['FIRED', 'RESOLVED', 'TEST'] as const
export type AlertDeliveryEvent = (typeof ALERT_DELIVERY_EVENTS)[number]
export const ALERT_DELIVERY_STATUSES = ['PENDING', 'SENT', 'FAILED'] as const
export type AlertDeliveryStatus = (typeof ALERT_DELIVERY_STATUSES)[number]

/**
 * One message owed to one destination. The idempotency key is unique, so enqueueing the same alert and event twice
 * finds the record already there; it is also what the receiver sees, so a resend after a crash can be recognised.
 */
export const AlertDeliverySchema = defineEntity({
  name: 'AlertDelivery',
  tableName: 'alert_delivery',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    /** Null for a test message, which concerns no alert. */
    alert: () => p.manyToOne(Alert).deleteRule('cascade').nullable(),
    destination: () => p.manyToOne(AlertDestination).deleteRule('cascade'),
    event: p.text(),
    idempotencyKey: p.text().unique(),
    status: p.text(),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [{ properties: ['alert'] }, { properties: ['destination', 'createdAt'] }],
  filters: tenantFilters,
})
export class AlertDelivery extends AlertDeliverySchema.class {}
AlertDeliverySchema.setClass(AlertDelivery)

export const ALERT_ATTEMPT_OUTCOMES = ['SENT', 'RETRY', 'FAILED'] as const
export type AlertAttemptOutcome = (typeof ALERT_ATTEMPT_OUTCOMES)[number]

/** One try at a delivery, kept so a user can see why a message did not arrive. Error text is redacted first. */
export const AlertDeliveryAttemptSchema = defineEntity({
  name: 'AlertDeliveryAttempt',
  tableName: 'alert_delivery_attempt',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    delivery: () => p.manyToOne(AlertDelivery).deleteRule('cascade'),
    attempt: p.integer(),
    startedAt: p.datetime(),
    durationMs: p.integer(),
    /** HTTP status, or the SMTP reply code. */
    responseCode: p.integer().nullable(),
    errorCode: p.text().nullable(),
    errorMessage: p.text().nullable(),
    outcome: p.text(),
  },
  indexes: [{ properties: ['delivery', 'attempt'] }],
  filters: tenantFilters,
})
export class AlertDeliveryAttempt extends AlertDeliveryAttemptSchema.class {}
AlertDeliveryAttemptSchema.setClass(AlertDeliveryAttempt)
