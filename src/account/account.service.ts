import { createHash } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { AppServices } from '../app-services.ts'
import {
  CredentialDecryptError,
  decryptCredentials,
  encryptCredentials,
  type SealedCredentials,
} from '../crypto/credential-cipher.ts'
import { isUuid } from '../db/uuid.ts'
import type { LoadedPlatform } from '../platform/platform-registry.ts'
import { connectionUrls } from '../platform/platform-runner.ts'
import { type UserErrorShape, userError } from '../schema/errors.schema.ts'
import { type CheckResult, DEFAULT_LOOKBACK_DAYS, isPlatformError, retryAfterOf } from '../sdk/index.ts'
import { crashPoint } from '../sync/crash-points.ts'
import { Workspace } from '../workspace/workspace.entity.ts'
import type { Principal } from '../workspace/workspace.service.ts'
import { Account, type AccountStatus, type ConnectionFieldState } from './account.entity.ts'

/** One account of the request's workspace (the tenant filter applies), or null — also for ids that are not UUIDs. */
export async function findAccount(
  em: EntityManager,
  id: unknown,
  options: { populateWorkspace?: boolean } = {},
): Promise<Account | null> {
  const text = String(id)
  if (!isUuid(text)) return null
  return em.findOne(Account, { id: text }, options.populateWorkspace ? { populate: ['workspace'] } : {})
}

export type CheckOutcome =
  | { ok: true; result: CheckResult }
  | { ok: false; error: UserErrorShape; status: AccountStatus }

/**
 * The URL fields a refused outbound request concerns: those whose host it was refused for, or, when it was a
 * redirect (or a plugin-built URL) elsewhere, every URL field that is set, since one of them led there.
 */
export function blockedUrlFields(
  platform: LoadedPlatform,
  connection: Record<string, unknown>,
  blockedHost: string,
): string[] {
  const urls = connectionUrls(platform, connection)
  const matching = urls.filter(({ url }) => url.host === blockedHost || url.hostname === blockedHost)
  return (matching.length > 0 ? matching : urls).map(({ name }) => name)
}

/**
 * A platform's answer rarely says which field it refused. A refused login concerns the secrets (a form shows the
 * message next to each); an unreachable host concerns the URL fields naming it. Other failures concern none.
 */
function unnamedFields(
  error: { code: string; message: string },
  context: { platform: LoadedPlatform; connection: Record<string, unknown> },
): string[] {
  if (error.code === 'PLATFORM_AUTH') return context.platform.secretFields
  if (error.code === 'PLATFORM_UNAVAILABLE')
    return connectionUrls(context.platform, context.connection)
      .filter(({ url }) => error.message.includes(url.host) || error.message.includes(url.hostname))
      .map(({ name }) => name)
  return []
}

/** Maps any failure of a platform call to a typed result; unknown failures become "unavailable", never a crash. */
export function toUserError(
  error: unknown,
  context?: { platform: LoadedPlatform; connection: Record<string, unknown> },
): { error: UserErrorShape; status: AccountStatus } {
  if (isPlatformError(error)) {
    const fields = error.field ? [error.field] : context ? unnamedFields(error, context) : []
    switch (error.code) {
      case 'PLATFORM_AUTH':
        return {
          status: 'AUTH_FAILED',
          error: userError('PlatformAuthError', 'PLATFORM_AUTH_FAILED', error.message, fields),
        }
      case 'PLATFORM_RATE_LIMITED': {
        const ms = retryAfterOf(error)
        return {
          status: 'RATE_LIMITED',
          error: userError('PlatformRateLimitedError', 'PLATFORM_RATE_LIMITED', error.message, fields, {
            retryAfterSeconds: ms === undefined ? null : Math.ceil(ms / 1000),
          }),
        }
      }
      case 'PLATFORM_UNAVAILABLE':
        return {
          status: 'UNREACHABLE',
          error: userError('PlatformUnavailableError', 'PLATFORM_UNAVAILABLE', error.message, fields),
        }
      case 'PLATFORM_RESPONSE_FORMAT':
        return {
          status: 'UNREACHABLE',
          error: userError('PlatformResponseError', 'PLATFORM_RESPONSE_INVALID', error.message, fields),
        }
    }
  }
  if (error instanceof Error && (error as { code?: unknown }).code === 'OUTBOUND_BLOCKED') {
    const host = (error as { host?: unknown }).host
    const fields =
      context && typeof host === 'string'
        ? blockedUrlFields(context.platform, context.connection, host)
        : ['baseUrl']
    return {
      status: 'UNREACHABLE',
      error: userError('OutboundBlockedError', 'OUTBOUND_BLOCKED', error.message, fields),
    }
  }
  return {
    status: 'UNREACHABLE',
    error: userError(
      'PlatformUnavailableError',
      'PLATFORM_UNAVAILABLE',
      'The platform could not be reached.',
    ),
  }
}

/** Before an account exists, rate limits and caches are keyed by a fingerprint of the credentials, never the secret. */
function provisionalKey(platform: LoadedPlatform, connection: Record<string, unknown>): string {
  const digest = createHash('sha256').update(platform.definition.id)
  for (const name of platform.fieldNames) digest.update(`\u0000${name}=${String(connection[name] ?? '')}`)
  return `pending:${digest.digest('hex').slice(0, 16)}`
}

export async function checkConnection(
  services: AppServices,
  platform: LoadedPlatform,
  connection: Record<string, unknown>,
  accountKey?: string,
): Promise<CheckOutcome> {
  try {
    const refused = await services.runner.refusedUrlField(platform, connection)
    if (refused) {
      return {
        ok: false,
        status: 'UNREACHABLE',
        error: userError('OutboundBlockedError', 'OUTBOUND_BLOCKED', refused.error.message, [refused.field]),
      }
    }
    const result = await services.runner.check(platform, connection, {
      accountKey: accountKey ?? provisionalKey(platform, connection),
      onRequest: (info) => services.metrics.recordUpstreamRequest(platform.definition.id, info),
    })
    return { ok: true, result }
  } catch (error) {
    return { ok: false, ...toUserError(error, { platform, connection }) }
  }
}

/** What the API shows for each connection field: never a secret, at most its last four characters. */
export function connectionState(platform: LoadedPlatform, connection: Record<string, unknown>) {
  const state: Record<string, ConnectionFieldState> = {}
  for (const name of platform.fieldNames) {
    const field = platform.definition.connection.fields[name]!
    const value = connection[name]
    const isSet = typeof value === 'string' && value.length > 0
    let hint: string | null = null
    if (isSet && field.secret) hint = value.length >= 16 ? `…${value.slice(-4)}` : null
    else if (isSet) hint = value.length > 80 ? `${value.slice(0, 77)}…` : value
    state[name] = { isSet, hint }
  }
  return state
}

function sealConnection(
  services: AppServices,
  accountId: string,
  connection: Record<string, unknown>,
): SealedCredentials {
  const plain: Record<string, string> = {}
  for (const [k, v] of Object.entries(connection)) if (typeof v === 'string') plain[k] = v
  return encryptCredentials(services.keyRing, plain, `account:${accountId}`)
}

export const platformNotLoaded = (platformId: string): UserErrorShape =>
  userError(
    'PlatformUnavailableError',
    'PLATFORM_UNAVAILABLE',
    `Platform plugin "${platformId}" is not loaded.`,
  )

export const credentialsUnreadable = (): UserErrorShape =>
  userError(
    'CredentialsUnreadableError',
    'CREDENTIALS_UNREADABLE',
    'The stored credentials of this account could not be decrypted. Enter them again with updateAccountConnection.',
  )

/**
 * The account's stored connection, or null (and a log line) when it cannot be decrypted. Fail closed: no call is
 * made with anything but intact credentials sealed for this very account.
 */
export function openStoredConnection(services: AppServices, account: Account): Record<string, string> | null {
  try {
    return openConnection(services, account)
  } catch (error) {
    if (!(error instanceof CredentialDecryptError)) throw error
    services.logger.error(
      { account: account.id, reason: error.reason },
      'stored credentials could not be decrypted',
    )
    return null
  }
}

export function openConnection(services: AppServices, account: Account): Record<string, string> {
  const opened = decryptCredentials(
    services.keyRing,
    account.credentials as unknown as SealedCredentials,
    `account:${account.id}`,
  )
  if (typeof opened === 'string') throw new Error('stored credentials have an unexpected shape')
  return opened
}

export interface ConnectOptions {
  label?: string | null
  /** The user's name for the program; validated by the API (1–120 characters once trimmed). */
  programName?: string | null
  tags?: string[] | null
}

/** Longest program name, as for labels. */
export const PROGRAM_NAME_MAX = 120

/**
 * The program name a credential check reported, trimmed and cut to the length users may type; undefined when it
 * gave none. Plugins relay the platform's text, which must not flood the row when an answer goes wrong.
 */
export function platformProgramName(check: CheckResult): string | undefined {
  const name = typeof check.programName === 'string' ? check.programName.trim() : ''
  return name ? name.slice(0, PROGRAM_NAME_MAX) : undefined
}

/** A check names the program only for accounts whose user did not: the user's name is the one they asked for. */
function applyCheckedProgramName(account: Account, check: CheckResult): void {
  const name = platformProgramName(check)
  if (name && !account.programNameFromUser) account.programName = name
}

export function normalizeTags(tags: string[] | null | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.trim()).filter(Boolean))].sort()
}

function defaultLabel(
  platform: LoadedPlatform,
  connection: Record<string, unknown>,
  check: CheckResult,
  programName: string | null,
): string {
  const base = typeof connection.baseUrl === 'string' ? new URL(connection.baseUrl).hostname : null
  // The host only tells accounts apart when nothing better names them.
  const login = check.accountName ?? (programName ? null : base)
  return [platform.definition.name, programName, login].filter(Boolean).join(' — ')
}

export type AccountOutcome = { ok: true; account: Account } | { ok: false; error: UserErrorShape }

/** Checks first; nothing is written unless the platform accepted the credentials. */
export async function connectAccount(
  services: AppServices,
  em: EntityManager,
  principal: Principal,
  platform: LoadedPlatform,
  connection: Record<string, unknown>,
  options: ConnectOptions,
): Promise<AccountOutcome> {
  const checked = await checkConnection(services, platform, connection)
  if (!checked.ok) return { ok: false, error: checked.error }
  const id = crypto.randomUUID()
  const now = services.clock.now()
  const userProgramName = options.programName?.trim() || null
  const programName = userProgramName ?? platformProgramName(checked.result) ?? null
  const account = em.create(Account, {
    id,
    workspace: em.getReference(Workspace, principal.workspaceId),
    platformId: platform.definition.id,
    label: options.label?.trim() || defaultLabel(platform, connection, checked.result, programName),
    programName,
    programNameFromUser: userProgramName !== null,
    baseUrl: typeof connection.baseUrl === 'string' ? connection.baseUrl : null,
    currency: checked.result.currency ?? null,
    timeZone: checked.result.timeZone ?? platform.definition.capabilities.timeZone,
    lookbackDays: platform.definition.capabilities.lookbackDays ?? DEFAULT_LOOKBACK_DAYS,
    tags: normalizeTags(options.tags),
    status: 'OK',
    lastCheckAt: now,
    lastSyncAt: null,
    lastErrorCode: null,
    lastErrorMessage: null,
    credentials: sealConnection(services, id, connection) as unknown as Record<string, unknown>,
    connectionState: connectionState(platform, connection),
    externalAccountName: checked.result.accountName ?? null,
  })
  await em.flush()
  crashPoint('after-account-saved')
  // The first sync is the backfill; queued after the account is saved. Should the process die in between, or
  // the queueing fail, the engine's backfill repair queues it on its next start or scheduler tick.
  if (services.sync) {
    try {
      await services.sync.enqueueBackfill(em, account)
    } catch (error) {
      services.logger.error(
        { account: account.id, err: { message: (error as Error).message } },
        'backfill not queued',
      )
    }
  }
  return { ok: true, account }
}

/** Re-keys an account. The stored credentials change only after the platform accepted the new ones. */
export async function updateAccountConnection(
  services: AppServices,
  em: EntityManager,
  accountId: string,
  platform: LoadedPlatform,
  connection: Record<string, unknown>,
): Promise<AccountOutcome> {
  const account = await findAccount(em, accountId)
  if (!account)
    return {
      ok: false,
      error: userError('AccountNotFoundError', 'ACCOUNT_NOT_FOUND', 'Account not found.', [
        { path: ['input', 'accountId'], message: 'no account with this id in your workspace' },
      ]),
    }
  if (account.platformId !== platform.definition.id) {
    return {
      ok: false,
      error: userError(
        'PlatformMismatchError',
        'PLATFORM_MISMATCH',
        `This account is on platform "${account.platformId}"; the connection given is for "${platform.definition.id}".`,
        [{ path: ['input', 'connection'], message: `must be the ${account.platformId} connection` }],
      ),
    }
  }
  const checked = await checkConnection(services, platform, connection, account.id)
  if (!checked.ok) return { ok: false, error: checked.error }
  account.credentials = sealConnection(services, account.id, connection) as unknown as Record<string, unknown>
  account.connectionState = connectionState(platform, connection)
  account.baseUrl = typeof connection.baseUrl === 'string' ? connection.baseUrl : null
  account.status = 'OK'
  account.lastCheckAt = services.clock.now()
  account.lastErrorCode = null
  account.lastErrorMessage = null
  if (checked.result.accountName) account.externalAccountName = checked.result.accountName
  if (checked.result.currency) account.currency = checked.result.currency
  applyCheckedProgramName(account, checked.result)
  await em.flush()
  return { ok: true, account }
}

/** Re-runs the platform's check with the stored credentials and records the outcome on the account. */
export async function recheckAccount(
  services: AppServices,
  em: EntityManager,
  account: Account,
): Promise<CheckOutcome> {
  const platform = services.registry.get(account.platformId)
  let outcome: CheckOutcome
  if (!platform) {
    outcome = { ok: false, status: 'UNREACHABLE', error: platformNotLoaded(account.platformId) }
  } else {
    const connection = openStoredConnection(services, account)
    outcome = connection
      ? await checkConnection(services, platform, connection, account.id)
      : { ok: false, status: 'AUTH_FAILED', error: credentialsUnreadable() }
  }
  account.lastCheckAt = services.clock.now()
  account.status = outcome.ok ? 'OK' : outcome.status
  account.lastErrorCode = outcome.ok ? null : outcome.error.code
  account.lastErrorMessage = outcome.ok ? null : outcome.error.message
  if (outcome.ok) applyCheckedProgramName(account, outcome.result)
  await em.flush()
  return outcome
}
