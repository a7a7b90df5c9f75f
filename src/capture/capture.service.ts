import { performance } from 'node:perf_hooks'
import type { Account } from '../account/account.entity.ts'
import { credentialsUnreadable, openStoredConnection, platformNotLoaded } from '../account/account.service.ts'
import type { AppServices } from '../app-services.ts'
import { AFFGRAPH_VERSION, type HttpExchange } from '../http/http-client.ts'
import type { LoadedPlatform } from '../platform/platform-registry.ts'
import type { UserErrorShape } from '../schema/errors.schema.ts'
import { type DateWindow, isPlatformError } from '../sdk/index.ts'
import { trailingWindow } from '../sync/sync-engine.ts'
import {
  CAPTURE_ABOUT,
  CAPTURE_ERROR_CODES,
  CAPTURE_FORMAT,
  CAPTURE_REDACTION_NOTE,
  CAPTURE_VERSION,
  type CaptureErrorCode,
  type CaptureFile,
  captureFileSchema,
  serializeCaptureFile,
} from './capture-file.ts'
import { createCaptureRedactor } from './capture-redaction.ts'

/** A capture is a diagnosis of one fetch, not a backfill: a quarter of days at most keeps the file readable. */
export const MAX_CAPTURE_DAYS = 92

export interface CaptureResult {
  file: CaptureFile
  /** The file's text, as written to disk or downloaded. */
  content: string
  fileName: string
  /** Rows the fetch returned; null when it failed. */
  rows: number | null
  /** How the fetch failed, redacted like the file; null when it succeeded. */
  error: { code: CaptureErrorCode; message: string; field?: string } | null
}

export interface CaptureTarget {
  platform: LoadedPlatform
  /** The decrypted connection, as stored. */
  connection: Record<string, string>
  window: DateWindow
  /** Rate-limit key of the account, so that the capture waits its turn like any sync of it. */
  accountKey: string
  /** The name the platform gave the account at its check: an identifier too. */
  accountName?: string | null
}

const ERROR_CODES = new Set<string>(CAPTURE_ERROR_CODES)

export function captureFileName(platformId: string, window: DateWindow): string {
  return `affgraph-capture-${platformId}-${window.from}-${window.to}.json`
}

/**
 * Runs one fetch of the report through the host's runner with every attempt recorded, then writes the capture
 * with the account's secrets, run-time tokens and identifiers replaced. The fetch starts with a cache of its own,
 * so a token exchange is recorded too; nothing is stored, and a failed fetch still gives its capture.
 */
export async function recordCapture(services: AppServices, target: CaptureTarget): Promise<CaptureResult> {
  const { platform, connection, window } = target
  const fields = platform.definition.connection.fields
  const exchanges: HttpExchange[] = []
  const registered: string[] = []
  const recordedAt = services.clock.now()
  const startedAt = performance.now()
  let rows: number | null = null
  let failure: unknown = null
  try {
    const got = await services.runner.fetchReport(platform, connection, window, {
      accountKey: target.accountKey,
      isolatedCache: true,
      onExchange: (exchange) => exchanges.push(exchange),
      onSecret: (value) => registered.push(value),
      onRequest: (info) => services.metrics.recordUpstreamRequest(platform.definition.id, info),
    })
    rows = got.length
  } catch (error) {
    failure = error
  }

  const secretFields: Record<string, string> = {}
  const identifiers: Record<string, string> = {}
  for (const name of platform.fieldNames) {
    const value = connection[name]
    if (typeof value !== 'string' || value === '') continue
    if (fields[name]?.secret) secretFields[name] = value
    else if (fields[name]?.identifier) identifiers[name] = value
  }
  if (target.accountName) identifiers['account-name'] = target.accountName
  const redactor = createCaptureRedactor({ secretFields, identifiers, registered })
  redactor.discover(exchanges)

  let error: CaptureResult['error'] = null
  if (failure !== null) {
    const code = (failure as { code?: unknown }).code
    const field = isPlatformError(failure) ? failure.field : undefined
    error = {
      code: (typeof code === 'string' && ERROR_CODES.has(code)
        ? code
        : 'PLATFORM_UNAVAILABLE') as CaptureErrorCode,
      message: redactor.text(failure instanceof Error ? failure.message : String(failure)),
      ...(field ? { field } : {}),
    }
  }
  const urlFields = new Set(platform.fieldNames.filter((name) => fields[name]?.kind === 'url'))
  const secretUrlFields = new Set(
    Object.keys(secretFields).filter((name) => /^https?:\/\/[^?#]+\?/i.test(secretFields[name]!)),
  )
  const file = captureFileSchema.parse({
    format: CAPTURE_FORMAT,
    version: CAPTURE_VERSION,
    about: CAPTURE_ABOUT,
    redaction: CAPTURE_REDACTION_NOTE,
    origin: { kind: 'capture' },
    platform: { id: platform.definition.id, version: platform.definition.version },
    affgraphVersion: AFFGRAPH_VERSION,
    recordedAt: recordedAt.toISOString(),
    window,
    connection: redactor.connection(connection, urlFields, secretUrlFields),
    placeholders: redactor.placeholders(),
    exchanges: exchanges.map((exchange) => redactor.exchange(exchange, startedAt)),
    outcome: error ? { error } : { rows: rows ?? 0 },
  })
  return {
    file,
    content: serializeCaptureFile(file),
    fileName: captureFileName(platform.definition.id, window),
    rows,
    error,
  }
}

export type AccountCaptureOutcome =
  | { ok: true; capture: CaptureResult }
  | { ok: false; error: UserErrorShape }

/** Days from `from` to `to`, both included. */
const spanDays = (window: DateWindow) =>
  Math.round((Date.parse(`${window.to}T00:00:00Z`) - Date.parse(`${window.from}T00:00:00Z`)) / 86_400_000) + 1

export class CaptureWindowError extends Error {
  override readonly name = 'CaptureWindowError'
  readonly code = 'INVALID_ARGUMENT'
}

/** The window to capture: the one asked for, or the account's lookback window ending on the platform's today. */
export function captureWindow(
  services: AppServices,
  account: Account,
  asked?: DateWindow | null,
): DateWindow {
  const window = asked ?? trailingWindow(account.lookbackDays, account.timeZone, services.clock.now())
  if (window.from > window.to) throw new CaptureWindowError('from must not be after to')
  if (spanDays(window) > MAX_CAPTURE_DAYS)
    throw new CaptureWindowError(`a capture covers at most ${MAX_CAPTURE_DAYS} days; choose a shorter range`)
  return window
}

/** A capture of one stored account: its credentials opened, its plugin loaded. */
export async function recordAccountCapture(
  services: AppServices,
  account: Account,
  window: DateWindow,
): Promise<AccountCaptureOutcome> {
  const platform = services.registry.get(account.platformId)
  if (!platform) {
    return { ok: false, error: platformNotLoaded(account.platformId) }
  }
  const connection = openStoredConnection(services, account)
  if (!connection) return { ok: false, error: credentialsUnreadable() }
  const capture = await recordCapture(services, {
    platform,
    connection,
    window,
    accountKey: account.id,
    accountName: account.externalAccountName,
  })
  services.logger.info(
    {
      account: account.id,
      platform: platform.definition.id,
      window,
      exchanges: capture.file.exchanges.length,
      rows: capture.rows,
      error: capture.error?.code ?? null,
    },
    'capture recorded',
  )
  return { ok: true, capture }
}
