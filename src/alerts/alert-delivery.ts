import { createHmac } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import nodemailer from 'nodemailer'
import type PgBoss from 'pg-boss'
import { fetch } from 'undici'
import { Account } from '../account/account.entity.ts'
import type { AppServices } from '../app-services.ts'
import { CredentialDecryptError } from '../crypto/credential-cipher.ts'
import { createSecretRedactor } from '../http/redact.ts'
import { OutboundBlockedError } from '../http/ssrf-guard.ts'
import { crashPoint } from '../sync/crash-points.ts'
import { Alert, AlertRule } from './alert.entity.ts'
import {
  type AlertAttemptOutcome,
  AlertDelivery,
  AlertDeliveryAttempt,
  type AlertDeliveryEvent,
  AlertDestination,
} from './alert-destination.entity.ts'
import {
  type DestinationSecrets,
  deliveryGuard,
  emailSettingsOf,
  openDestinationSecrets,
  resolveSmtpHost,
} from './alert-destination.service.ts'

export const ALERT_DELIVERY_QUEUE = 'affgraph-alert-delivery'

/** Why an attempt failed, as stored and as the API's enum states it; the raw network code stays in the message. */
export const DELIVERY_ERROR_CODES = [
  'HTTP_RETRYABLE',
  'HTTP_REFUSED',
  'REDIRECT_REFUSED',
  'OUTBOUND_BLOCKED',
  'NETWORK',
  'TIMEOUT',
  'SMTP_REFUSED',
  'SMTP_AUTH',
  'DESTINATION_DISABLED',
  'SECRETS_UNREADABLE',
] as const
export type DeliveryErrorCode = (typeof DELIVERY_ERROR_CODES)[number]

/** Headers of a generic webhook; the delivery header is what a receiver deduplicates on. */
export const WEBHOOK_HEADERS = {
  event: 'x-affgraph-event',
  delivery: 'x-affgraph-delivery',
  timestamp: 'x-affgraph-timestamp',
  signature: 'x-affgraph-signature',
} as const

export interface AlertDeliveryOptions {
  /** Retries after the first attempt (default 6: about two minutes of backoff at a 2 s base). */
  retryLimit?: number
  retryDelaySeconds?: number
  /** Longest pause between two retries (default 600 s). */
  retryDelayMaxSeconds?: number
  pollingIntervalSeconds?: number
  /** Deliveries sent side by side by this process, so that one slow receiver does not hold up the others. */
  concurrency?: number
  /**
   * A job active for longer is presumed lost with its worker and handed out again. Defaults to the sync job
   * timeout, at most 300 s: one send takes well under a minute.
   */
  jobTimeoutSeconds?: number
  /** false: create the queue (so this process can enqueue) but send nothing from here. */
  work?: boolean
}

const DEFAULT_OPTIONS = {
  retryLimit: 6,
  retryDelaySeconds: 2,
  retryDelayMaxSeconds: 600,
  pollingIntervalSeconds: 2,
  concurrency: 2,
  work: true,
} as const

/** The queue each set of services enqueues on, once delivery has started in that process. */
const queues = new WeakMap<AppServices, PgBoss>()

/** Deterministic, so that the same alert and event never owe one destination two messages. */
export const idempotencyKeyOf = (alertId: string, event: AlertDeliveryEvent, destinationId: string) =>
  `alert:${alertId}:${event}:${destinationId}`

async function queueDeliveries(boss: PgBoss, ids: readonly string[]): Promise<void> {
  // The job id is the delivery id: a second send of the same delivery while its job is kept is a no-op.
  for (const id of ids) await boss.send(ALERT_DELIVERY_QUEUE, { deliveryId: id }, { id })
}

/**
 * Records one delivery per enabled destination of the alert's rule (of the alert's own workspace only) and queues
 * each. Safe to call again: the idempotency key makes a repeat create nothing. Pass `em` to insert within the
 * caller's transaction; a job that runs before that commits finds no record and is retried. Returns the number of
 * deliveries created by this call.
 */
export async function enqueueAlertDeliveries(
  services: AppServices,
  alert: Alert,
  event: 'FIRED' | 'RESOLVED',
  options: { em?: EntityManager } = {},
): Promise<number> {
  const em = options.em ?? services.db.fork()
  const workspaceId = alert.workspace.id
  const rule = await em.findOne(AlertRule, { id: alert.rule.id }, { filters: false })
  if (!rule) return 0
  const ids = rule.destinationIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id))
  if (ids.length === 0) return 0
  const destinations = await em.find(
    AlertDestination,
    { id: { $in: ids }, workspace: workspaceId, enabled: true },
    { filters: false },
  )
  const now = services.clock.now()
  const connection = em.getConnection()
  let created = 0
  const keys: string[] = []
  for (const destination of destinations) {
    const key = idempotencyKeyOf(alert.id, event, destination.id)
    keys.push(key)
    const result = await connection.execute<{ affectedRows: number }>(
      `insert into alert_delivery (id, workspace_id, alert_id, destination_id, event, idempotency_key, status, attempts, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?) on conflict (idempotency_key) do nothing`,
      [crypto.randomUUID(), workspaceId, alert.id, destination.id, event, key, now, now],
      'run',
      em.getTransactionContext(),
    )
    created += result.affectedRows
  }
  const boss = queues.get(services)
  if (boss && keys.length > 0) {
    const pending = await connection.execute<{ id: string }[]>(
      `select id from alert_delivery where idempotency_key in (${keys.map(() => '?').join(', ')}) and status = 'PENDING'`,
      keys,
      'all',
      em.getTransactionContext(),
    )
    await queueDeliveries(
      boss,
      pending.map((row: { id: string }) => row.id),
    )
  }
  return created
}

/** Queues a one-off message to check that a destination works; it concerns no alert. */
export async function enqueueTestDelivery(
  services: AppServices,
  em: EntityManager,
  destination: AlertDestination,
): Promise<AlertDelivery> {
  const now = services.clock.now()
  const id = crypto.randomUUID()
  const delivery = em.create(AlertDelivery, {
    id,
    workspace: destination.workspace,
    alert: null,
    destination,
    event: 'TEST',
    idempotencyKey: `test:${id}`,
    status: 'PENDING',
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  })
  await em.flush()
  const boss = queues.get(services)
  if (boss) await queueDeliveries(boss, [id])
  return delivery
}

/** Deliveries of one alert, oldest first; for `Alert.deliveries` (the tenant filter of `em` applies). */
export function deliveriesOfAlert(em: EntityManager, alertId: string): Promise<AlertDelivery[]> {
  return em.find(AlertDelivery, { alert: alertId }, { orderBy: { createdAt: 'asc', id: 'asc' } })
}

/** The attempt log of one delivery, first attempt first. */
export function attemptsOfDelivery(em: EntityManager, deliveryId: string): Promise<AlertDeliveryAttempt[]> {
  return em.find(
    AlertDeliveryAttempt,
    { delivery: deliveryId },
    { orderBy: { attempt: 'asc', startedAt: 'asc' } },
  )
}

/**
 * Creates the delivery queue on the sync engine's pg-boss and, unless told not to, works it. Deliveries left
 * PENDING (queued while no process delivered, or whose job was lost) are queued again at start.
 */
export async function startAlertDelivery(
  services: AppServices,
  boss: PgBoss,
  options: AlertDeliveryOptions = {},
): Promise<void> {
  const o = { ...DEFAULT_OPTIONS, ...options }
  await boss.createQueue(ALERT_DELIVERY_QUEUE, {
    retryLimit: o.retryLimit,
    retryDelay: o.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: o.retryDelayMaxSeconds,
    expireInSeconds: o.jobTimeoutSeconds ?? Math.min(services.config.sync.jobTimeoutSeconds, 300),
  })
  queues.set(services, boss)
  if (!o.work) return
  const log = services.logger.child({ component: 'alert-delivery' })
  // pg-boss 11 runs one handler call at a time per worker: several workers are what sends side by side.
  for (let i = 0; i < o.concurrency; i++) {
    await boss.work<{ deliveryId: string }>(
      ALERT_DELIVERY_QUEUE,
      { pollingIntervalSeconds: o.pollingIntervalSeconds, batchSize: 1, includeMetadata: true },
      async (jobs) => {
        for (const job of jobs) {
          await runDelivery(services, job.data.deliveryId, {
            lastTry: job.retryCount >= job.retryLimit,
          })
        }
      },
    )
  }
  const pending = await services.db.query<{ id: string }>(
    `select id from alert_delivery where status = 'PENDING' order by created_at limit 1000`,
  )
  await queueDeliveries(
    boss,
    pending.map((row) => row.id),
  ).catch((error: Error) => log.error({ err: { message: error.message } }, 'requeueing deliveries failed'))
}

/** Stops taking delivery jobs in this process; a job running now finishes (pg-boss waits for it on stop). */
export async function stopAlertDelivery(services: AppServices): Promise<void> {
  const boss = queues.get(services)
  queues.delete(services)
  await boss?.offWork(ALERT_DELIVERY_QUEUE).catch(() => undefined)
}

/** A delivery to retry later: pg-boss counts the retries and spaces them out. */
export class AlertDeliveryRetryError extends Error {
  override readonly name = 'AlertDeliveryRetryError'
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

interface SendResult {
  ok: boolean
  responseCode: number | null
  errorCode: DeliveryErrorCode | null
  errorMessage: string | null
  /** No retry can help (refused by the guard, a 4xx other than 408/429, a 5xx SMTP reply). */
  permanent: boolean
}

/** Sends one delivery; a job for a delivery already SENT (or FAILED for good) does nothing. */
export async function runDelivery(
  services: AppServices,
  deliveryId: string,
  context: { lastTry: boolean },
): Promise<void> {
  const em = services.db.fork()
  const delivery = await em.findOne(
    AlertDelivery,
    { id: deliveryId },
    { filters: false, populate: ['destination', 'alert'] },
  )
  // Enqueued within a transaction that has not committed yet (or rolled back): look again on the next retry.
  if (!delivery) throw new AlertDeliveryRetryError('DELIVERY_NOT_FOUND', 'delivery not found (yet)')
  if (delivery.status !== 'PENDING') return
  const destination = delivery.destination
  const started = services.clock.now()
  const t0 = performance.now()
  let result: SendResult
  let secrets: DestinationSecrets | null = null
  if (!destination.enabled) {
    result = failure(null, 'DESTINATION_DISABLED', 'the destination is switched off', true)
  } else {
    try {
      secrets = openDestinationSecrets(services, destination)
    } catch (error) {
      if (!(error instanceof CredentialDecryptError)) throw error
      result = failure(
        null,
        'SECRETS_UNREADABLE',
        'the stored secret could not be decrypted; enter it again',
        true,
      )
    }
    result ??= await send(services, em, delivery, destination, secrets!)
  }
  if (result.ok) crashPoint('alert-after-send')
  const durationMs = Math.round(performance.now() - t0)
  const outcome: AlertAttemptOutcome = result.ok
    ? 'SENT'
    : result.permanent || context.lastTry
      ? 'FAILED'
      : 'RETRY'
  const attempt = delivery.attempts + 1
  await em.transactional(async (tx) => {
    tx.create(AlertDeliveryAttempt, {
      id: crypto.randomUUID(),
      workspace: delivery.workspace,
      delivery,
      attempt,
      startedAt: started,
      durationMs,
      responseCode: result.responseCode,
      errorCode: result.errorCode,
      errorMessage: result.errorMessage,
      outcome,
    })
    delivery.attempts = attempt
    delivery.updatedAt = services.clock.now()
    if (result.ok) {
      delivery.status = 'SENT'
      delivery.sentAt = services.clock.now()
      delivery.lastError = null
    } else {
      delivery.lastError = `${result.errorCode}: ${result.errorMessage}`
      if (outcome === 'FAILED') delivery.status = 'FAILED'
    }
    tx.persist(delivery)
  })
  if (outcome === 'RETRY')
    throw new AlertDeliveryRetryError(result.errorCode ?? 'FAILED', result.errorMessage ?? '')
  const log = services.logger.child({ component: 'alert-delivery' })
  if (outcome === 'FAILED')
    log.warn(
      { deliveryId, destinationId: destination.id, attempt, code: result.errorCode },
      'alert delivery failed for good',
    )
}

const failure = (
  responseCode: number | null,
  errorCode: DeliveryErrorCode,
  errorMessage: string,
  permanent: boolean,
): SendResult => ({ ok: false, responseCode, errorCode, errorMessage, permanent })

/** The alert and its account as every format tells them. */
interface AlertFacts {
  event: AlertDeliveryEvent
  key: string
  alert: Alert | null
  account: { id: string; label: string; platform: string } | null
  summary: string
  title: string
}

async function factsOf(em: EntityManager, delivery: AlertDelivery): Promise<AlertFacts> {
  const alert = delivery.alert ? await em.findOne(Alert, { id: delivery.alert.id }, { filters: false }) : null
  const account = alert?.account
    ? await em.findOne(Account, { id: alert.account.id }, { filters: false })
    : null
  const event = delivery.event as AlertDeliveryEvent
  const title = alert?.title ?? 'Test message'
  const facts = {
    event,
    key: delivery.idempotencyKey,
    alert,
    account: account ? { id: account.id, label: account.label, platform: account.platformId } : null,
    title,
    summary: '',
  }
  facts.summary = summaryOf(facts)
  return facts
}

/** A calendar day as `YYYY-MM-DD`, whether the driver handed back text or a Date at local midnight. */
function dayText(day: unknown): string {
  if (!(day instanceof Date)) return String(day).slice(0, 10)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`
}

function figure(value: string | number | null | undefined, currency: string | null | undefined): string {
  if (value === null || value === undefined) return 'none'
  return currency ? `${value} ${currency}` : String(value)
}

/** Plain words, no links: a message forwarded anywhere says what happened without pointing back at the server. */
function summaryOf(facts: Omit<AlertFacts, 'summary'>): string {
  const { alert, account, event } = facts
  if (!alert) return 'Test message from affgraph: this destination receives alerts.'
  const lines = [`${event === 'RESOLVED' ? 'Resolved' : 'Alert'}: ${alert.title}`]
  if (account) lines.push(`Account: ${account.label} (${account.platform})`)
  if (alert.metric)
    lines.push(
      `${alert.metric}${alert.day ? ` on ${dayText(alert.day)}` : ''}: ${figure(alert.beforeValue, alert.currency)} -> ${figure(alert.afterValue, alert.currency)}`,
    )
  lines.push(`Fired at ${alert.firedAt.toISOString()}`)
  if (alert.resolvedAt)
    lines.push(`Resolved at ${alert.resolvedAt.toISOString()} (${alert.resolution ?? 'CLEARED'})`)
  return lines.join('\n')
}

/** The generic webhook's JSON (see docs/alerts.md). */
export function webhookBody(facts: AlertFacts): Record<string, unknown> {
  const { alert } = facts
  return {
    event: facts.event,
    deliveryId: facts.key,
    summary: facts.summary,
    alert: alert
      ? {
          id: alert.id,
          ruleId: alert.rule.id,
          kind: alert.kind,
          title: alert.title,
          day: alert.day ? dayText(alert.day) : null,
          metric: alert.metric,
          currency: alert.currency,
          before: alert.beforeValue ?? null,
          after: alert.afterValue ?? null,
          details: alert.details,
          firedAt: alert.firedAt.toISOString(),
          resolvedAt: alert.resolvedAt?.toISOString() ?? null,
          resolution: alert.resolution,
        }
      : null,
    account: facts.account,
  }
}

/**
 * Slack's incoming webhooks take `{ text, blocks? }`; with blocks present, `text` is the fallback shown in
 * notifications. In mrkdwn, `&`, `<` and `>` must be escaped as HTML entities, or a title could forge a link or a
 * mention. Source: https://docs.slack.dev/tools/node-slack-sdk/reference/webhook/interfaces/IncomingWebhookSendArguments
 */
export function slackBody(facts: AlertFacts): Record<string, unknown> {
  const escapeSlack = (text: string) =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const [head, ...rest] = facts.summary.split('\n')
  return {
    text: escapeSlack(facts.summary),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(head ?? facts.title)}*` } },
      ...(rest.length > 0
        ? [{ type: 'section', text: { type: 'mrkdwn', text: escapeSlack(rest.join('\n')) } }]
        : []),
    ],
  }
}

/**
 * Discord's execute-webhook takes `{ content, embeds? }`: content at most 2000 characters, an embed with `title`,
 * `description`, a decimal `color`, `fields` of `{ name, value, inline }` and an ISO `timestamp`.
 * `allowed_mentions: { parse: [] }` keeps an alert title from pinging @everyone.
 * Source: https://pypi.org/project/discord-webhook/0.13.0/ (the execute call and its embed fields).
 */
export function discordBody(facts: AlertFacts): Record<string, unknown> {
  const { alert } = facts
  const fields: { name: string; value: string; inline: boolean }[] = []
  if (facts.account)
    fields.push({
      name: 'Account',
      value: `${facts.account.label} (${facts.account.platform})`,
      inline: true,
    })
  if (alert?.metric) {
    fields.push({ name: 'Before', value: figure(alert.beforeValue, alert.currency), inline: true })
    fields.push({ name: 'After', value: figure(alert.afterValue, alert.currency), inline: true })
  }
  const red = 0xd93025
  const green = 0x188038
  return {
    content: facts.summary.slice(0, 2000),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: facts.title.slice(0, 256),
        description: facts.summary.slice(0, 4000),
        color: facts.event === 'RESOLVED' ? green : red,
        fields,
        ...(alert ? { timestamp: (alert.resolvedAt ?? alert.firedAt).toISOString() } : {}),
      },
    ],
  }
}

/** `v1=` and the hex HMAC-SHA256 of `<timestamp>.<raw body>` under the destination's signing secret. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

async function send(
  services: AppServices,
  em: EntityManager,
  delivery: AlertDelivery,
  destination: AlertDestination,
  secrets: DestinationSecrets,
): Promise<SendResult> {
  const facts = await factsOf(em, delivery)
  const redactor = createSecretRedactor(
    [secrets.url, secrets.password, secrets.signingSecret].filter((s): s is string => !!s),
  )
  try {
    if (destination.kind === 'EMAIL') return await sendEmail(services, destination, secrets, facts)
    const body =
      destination.kind === 'SLACK'
        ? slackBody(facts)
        : destination.kind === 'DISCORD'
          ? discordBody(facts)
          : webhookBody(facts)
    return await sendHttp(services, destination, secrets, facts, JSON.stringify(body))
  } catch (error) {
    // The guard refuses at connect time too (a name that resolved elsewhere than when it was saved).
    const blocked = blockedIn(error)
    if (blocked) return failure(null, 'OUTBOUND_BLOCKED', blocked.message, true)
    const raw = rawCodeOf(error)
    const code: DeliveryErrorCode =
      raw === 'TIMEOUT' || raw === 'UND_ERR_CONNECT_TIMEOUT' ? 'TIMEOUT' : 'NETWORK'
    return failure(null, code, redactor.redact(`${raw}: ${messageOf(error)}`), false)
  }
}

function blockedIn(error: unknown): OutboundBlockedError | null {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current; depth++) {
    if (current instanceof OutboundBlockedError) return current
    current = (current as { cause?: unknown }).cause
  }
  return null
}

function rawCodeOf(error: unknown): string {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return error instanceof Error && error.name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK'
}

function messageOf(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 4 && current; depth++) {
    if (current instanceof Error && current.message) parts.push(current.message)
    current = (current as { cause?: unknown }).cause
  }
  return parts.join(': ').slice(0, 500) || 'unknown error'
}

async function sendHttp(
  services: AppServices,
  destination: AlertDestination,
  secrets: DestinationSecrets,
  facts: AlertFacts,
  body: string,
): Promise<SendResult> {
  const url = new URL(secrets.url ?? '')
  const guard = deliveryGuard(services)
  // The URL is checked before the request and every address again at connect time (a name may rebind).
  guard.checkUrl(url)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'affgraph-alerts',
  }
  if (destination.kind === 'WEBHOOK') {
    const timestamp = Math.floor(services.clock.now().getTime() / 1000)
    headers[WEBHOOK_HEADERS.event] = facts.event
    headers[WEBHOOK_HEADERS.delivery] = facts.key
    headers[WEBHOOK_HEADERS.timestamp] = String(timestamp)
    headers[WEBHOOK_HEADERS.signature] = webhookSignature(secrets.signingSecret ?? '', timestamp, body)
  }
  const timeoutMs = Math.min(services.config.http.totalTimeoutMs, 30_000)
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body,
    // A redirect could lead anywhere; a receiver that moved must be re-entered by hand.
    redirect: 'manual',
    dispatcher: guard.dispatcher({ connectMs: 10_000, headersMs: timeoutMs, bodyMs: timeoutMs }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  // The answer is not ours to read; draining it frees the connection.
  await response.arrayBuffer().catch(() => undefined)
  const status = response.status
  if (status >= 200 && status < 300)
    return { ok: true, responseCode: status, errorCode: null, errorMessage: null, permanent: false }
  if (status >= 300 && status < 400)
    return failure(
      status,
      'REDIRECT_REFUSED',
      `the receiver redirected (HTTP ${status}); redirects are not followed`,
      true,
    )
  return failure(
    status,
    retryableStatus(status) ? 'HTTP_RETRYABLE' : 'HTTP_REFUSED',
    `the receiver answered HTTP ${status}`,
    !retryableStatus(status),
  )
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

async function sendEmail(
  services: AppServices,
  destination: AlertDestination,
  secrets: DestinationSecrets,
  facts: AlertFacts,
): Promise<SendResult> {
  const settings = emailSettingsOf(destination)
  const address = await resolveSmtpHost(services, settings.host, settings.port)
  const transport = nodemailer.createTransport({
    host: address,
    port: settings.port,
    secure: settings.secure,
    // Connected by address; the certificate is still checked against the name the user gave.
    tls: { servername: settings.host },
    auth: settings.user ? { user: settings.user, pass: secrets.password ?? '' } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    logger: false,
    debug: false,
  })
  try {
    const info = await transport.sendMail({
      from: settings.from,
      to: settings.to,
      subject: `[affgraph] ${facts.title}`,
      text: facts.summary,
      html: `<div>${facts.summary
        .split('\n')
        .map((line) => `<p>${escapeHtml(line)}</p>`)
        .join('')}</div>`,
      headers: { 'X-Affgraph-Delivery': facts.key },
    })
    const code = Number.parseInt(String(info.response ?? '').slice(0, 3), 10)
    return {
      ok: true,
      responseCode: Number.isFinite(code) ? code : null,
      errorCode: null,
      errorMessage: null,
      permanent: false,
    }
  } catch (error) {
    const responseCode = (error as { responseCode?: unknown }).responseCode
    const code = typeof responseCode === 'number' ? responseCode : null
    const redactor = createSecretRedactor([secrets.password].filter((s): s is string => !!s))
    const raw = rawCodeOf(error)
    // A 5xx reply (bad recipient, refused login) will be the same next time; 4xx and lost connections may not.
    const permanent = (code !== null && code >= 500) || raw === 'EAUTH'
    const errorCode: DeliveryErrorCode =
      raw === 'EAUTH'
        ? 'SMTP_AUTH'
        : code !== null
          ? 'SMTP_REFUSED'
          : raw === 'ETIMEDOUT'
            ? 'TIMEOUT'
            : 'NETWORK'
    return failure(code, errorCode, redactor.redact(`${raw}: ${messageOf(error)}`), permanent)
  } finally {
    transport.close()
  }
}
