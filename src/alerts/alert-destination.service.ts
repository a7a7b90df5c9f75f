import { randomBytes } from 'node:crypto'
import dns from 'node:dns/promises'
import net from 'node:net'
import type { EntityManager } from '@mikro-orm/core'
import type { AppServices } from '../app-services.ts'
import { perServices } from '../app-services.ts'
import { decryptCredentials, encryptCredentials } from '../crypto/credential-cipher.ts'
import { isUuid } from '../db/uuid.ts'
import { createSsrfGuard, OutboundBlockedError, type SsrfGuard } from '../http/ssrf-guard.ts'
import { type FieldIssue, type UserErrorShape, userError } from '../schema/errors.schema.ts'
import { Workspace } from '../workspace/workspace.entity.ts'
import {
  AlertDestination,
  type AlertDestinationKind,
  type EmailSettings,
} from './alert-destination.entity.ts'

/**
 * The secret part of a destination, sealed at rest. For Slack and Discord the URL is the credential (anyone who
 * has it can post); a generic webhook's signing secret is ours, made at creation.
 */
export interface DestinationSecrets {
  url?: string
  signingSecret?: string
  password?: string
}

/** Where the row id is bound into the sealed value, so a copy pasted onto another row does not open. */
export const destinationAad = (id: string) => `alert-destination:${id}`

/**
 * One guard per set of services, built from the same allowlist as the platform runner's: a webhook is an outbound
 * request like any platform call and must not reach the cloud metadata service or the private network.
 */
export const deliveryGuard = perServices<SsrfGuard>((services) =>
  createSsrfGuard({ allow: services.config.outboundAllowlist }),
)

export function sealDestinationSecrets(services: AppServices, id: string, secrets: DestinationSecrets) {
  const plain: Record<string, string> = {}
  for (const [k, v] of Object.entries(secrets)) if (typeof v === 'string') plain[k] = v
  return encryptCredentials(services.keyRing, plain, destinationAad(id))
}

/** Throws CredentialDecryptError when the value was sealed under another key or for another row. */
export function openDestinationSecrets(
  services: AppServices,
  destination: AlertDestination,
): DestinationSecrets {
  const opened = decryptCredentials(services.keyRing, destination.credentials, destinationAad(destination.id))
  return (typeof opened === 'string' ? JSON.parse(opened) : opened) as DestinationSecrets
}

/** Scheme and host only: the path of a Slack or Discord webhook URL is its secret. */
export function urlHint(url: string): string {
  const parsed = new URL(url)
  return `${parsed.protocol}//${parsed.host}`
}

export const emailHint = (to: readonly string[]) => to.join(', ')

export function emailSettingsOf(destination: AlertDestination): EmailSettings {
  return destination.settings as unknown as EmailSettings
}

const outboundBlocked = (error: OutboundBlockedError, path: string[]): UserErrorShape =>
  userError('OutboundBlockedError', 'OUTBOUND_BLOCKED', error.message, [{ path, message: error.message }])

const invalid = (path: string[], message: string): UserErrorShape =>
  userError('InvalidArgumentError', 'INVALID_ARGUMENT', message, [{ path, message }])

/** A webhook URL the guard accepts, or the typed refusal naming the field. */
export async function checkWebhookUrl(
  services: AppServices,
  url: string,
  path: string[],
): Promise<UserErrorShape | null> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return invalid(path, 'not a URL')
  }
  try {
    await deliveryGuard(services).checkTarget(parsed)
  } catch (error) {
    if (error instanceof OutboundBlockedError) return outboundBlocked(error, path)
    throw error
  }
  return null
}

/**
 * The address to connect an SMTP session to, decided by the same guard as HTTP. nodemailer would resolve the name
 * itself; resolving here and handing it the checked address leaves no second lookup that could answer otherwise.
 */
export async function resolveSmtpHost(services: AppServices, host: string, port: number): Promise<string> {
  const guard = deliveryGuard(services)
  guard.checkHost(host, port)
  if (net.isIP(host)) return host
  const addresses = await dns.lookup(host, { all: true })
  for (const { address } of addresses) guard.checkAddress(address, host, port)
  const first = addresses[0]
  if (!first) throw new OutboundBlockedError(host, 'the name resolves to no address')
  return first.address
}

export async function checkSmtpHost(
  services: AppServices,
  host: string,
  port: number,
  path: string[],
): Promise<UserErrorShape | null> {
  try {
    await resolveSmtpHost(services, host, port)
  } catch (error) {
    if (error instanceof OutboundBlockedError) return outboundBlocked(error, path)
    // A name that does not resolve now may later; the delivery then fails and says so in its log.
  }
  return null
}

/** A fresh signing secret, prefixed so that one found in a config file says what it is. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64url')}`

export interface EmailInput {
  host: string
  port: number
  secure: boolean
  user?: string | null
  password?: string | null
  from: string
  to: string[]
}

export interface CreateDestinationInput {
  name: string
  kind: AlertDestinationKind
  url?: string | null
  email?: EmailInput | null
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/

function emailIssues(email: EmailInput, base: string[]): FieldIssue[] {
  const issues: FieldIssue[] = []
  if (!email.host.trim()) issues.push({ path: [...base, 'host'], message: 'must not be empty' })
  if (!Number.isInteger(email.port) || email.port < 1 || email.port > 65535)
    issues.push({ path: [...base, 'port'], message: 'a port from 1 to 65535' })
  if (!EMAIL_PATTERN.test(email.from))
    issues.push({ path: [...base, 'from'], message: 'not an email address' })
  if (email.to.length === 0 || email.to.length > 20)
    issues.push({ path: [...base, 'to'], message: 'from 1 to 20 recipients' })
  email.to.forEach((address, index) => {
    if (!EMAIL_PATTERN.test(address))
      issues.push({ path: [...base, 'to', String(index)], message: 'not an email address' })
  })
  return issues
}

export type CreateDestinationOutcome =
  | { ok: true; destination: AlertDestination; signingSecret: string | null }
  | { ok: false; error: UserErrorShape }

/** Checks, seals and stores a destination; for a generic webhook, also makes the signing secret shown once. */
export async function createDestination(
  services: AppServices,
  em: EntityManager,
  workspaceId: string,
  input: CreateDestinationInput,
): Promise<CreateDestinationOutcome> {
  const id = crypto.randomUUID()
  const now = services.clock.now()
  let secrets: DestinationSecrets
  let settings: Record<string, unknown> = {}
  let hint: string
  let signingSecret: string | null = null
  if (input.kind === 'EMAIL') {
    const email = input.email
    if (!email) return { ok: false, error: invalid(['input', 'email'], 'required for an EMAIL destination') }
    const issues = emailIssues(email, ['input', 'email'])
    if (issues.length > 0)
      return {
        ok: false,
        error: userError('InvalidArgumentError', 'INVALID_ARGUMENT', issues[0]!.message, issues),
      }
    const refused = await checkSmtpHost(services, email.host, email.port, ['input', 'email', 'host'])
    if (refused) return { ok: false, error: refused }
    const stored: EmailSettings = {
      host: email.host.trim(),
      port: email.port,
      secure: email.secure,
      user: email.user ?? null,
      from: email.from,
      to: email.to,
    }
    settings = stored as unknown as Record<string, unknown>
    secrets = email.password ? { password: email.password } : {}
    hint = emailHint(email.to)
  } else {
    const url = input.url
    if (!url)
      return { ok: false, error: invalid(['input', 'url'], `required for a ${input.kind} destination`) }
    const refused = await checkWebhookUrl(services, url, ['input', 'url'])
    if (refused) return { ok: false, error: refused }
    secrets = { url }
    if (input.kind === 'WEBHOOK') {
      signingSecret = newSigningSecret()
      secrets.signingSecret = signingSecret
    }
    hint = urlHint(url)
  }
  const destination = em.create(AlertDestination, {
    id,
    workspace: em.getReference(Workspace, workspaceId),
    name: input.name,
    kind: input.kind,
    enabled: true,
    hint,
    settings,
    credentials: sealDestinationSecrets(services, id, secrets),
    createdAt: now,
    updatedAt: now,
  })
  await em.flush()
  return { ok: true, destination, signingSecret }
}

export interface UpdateDestinationInput {
  name?: string | null
  enabled?: boolean | null
  url?: string | null
  email?: EmailInput | null
  rotateSigningSecret?: boolean | null
}

/** Renames, switches on or off, or replaces the secret part; the signing secret is rotated only when asked. */
export async function updateDestination(
  services: AppServices,
  em: EntityManager,
  destination: AlertDestination,
  input: UpdateDestinationInput,
): Promise<{ ok: true; signingSecret: string | null } | { ok: false; error: UserErrorShape }> {
  let signingSecret: string | null = null
  if (input.name) destination.name = input.name
  if (typeof input.enabled === 'boolean') destination.enabled = input.enabled
  const replaceUrl = input.url !== undefined && input.url !== null
  const replaceEmail = input.email !== undefined && input.email !== null
  if (replaceUrl || replaceEmail || input.rotateSigningSecret) {
    const secrets = openDestinationSecrets(services, destination)
    if (replaceUrl) {
      if (destination.kind === 'EMAIL')
        return {
          ok: false,
          error: invalid(['input', 'url'], 'an EMAIL destination has no URL; pass `email`'),
        }
      const refused = await checkWebhookUrl(services, input.url!, ['input', 'url'])
      if (refused) return { ok: false, error: refused }
      secrets.url = input.url!
      destination.hint = urlHint(input.url!)
    }
    if (replaceEmail) {
      if (destination.kind !== 'EMAIL')
        return { ok: false, error: invalid(['input', 'email'], 'only an EMAIL destination takes `email`') }
      const email = input.email!
      const issues = emailIssues(email, ['input', 'email'])
      if (issues.length > 0)
        return {
          ok: false,
          error: userError('InvalidArgumentError', 'INVALID_ARGUMENT', issues[0]!.message, issues),
        }
      const refused = await checkSmtpHost(services, email.host, email.port, ['input', 'email', 'host'])
      if (refused) return { ok: false, error: refused }
      destination.settings = {
        host: email.host.trim(),
        port: email.port,
        secure: email.secure,
        user: email.user ?? null,
        from: email.from,
        to: email.to,
      }
      // A form that does not show the stored password leaves it out: only a given one replaces it.
      if (email.password) secrets.password = email.password
      destination.hint = emailHint(email.to)
    }
    if (input.rotateSigningSecret) {
      if (destination.kind !== 'WEBHOOK')
        return {
          ok: false,
          error: invalid(['input', 'rotateSigningSecret'], 'only a WEBHOOK destination signs its messages'),
        }
      signingSecret = newSigningSecret()
      secrets.signingSecret = signingSecret
    }
    destination.credentials = sealDestinationSecrets(services, destination.id, secrets)
  }
  destination.updatedAt = services.clock.now()
  await em.flush()
  return { ok: true, signingSecret }
}

/** One destination of the request's workspace (the tenant filter applies), or null. */
export async function findDestination(em: EntityManager, id: string): Promise<AlertDestination | null> {
  if (!isUuid(id)) return null
  return em.findOne(AlertDestination, { id })
}
