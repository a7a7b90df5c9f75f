import type { AppBuilder } from './builder.ts'

/**
 * Stable codes: clients switch on these, so a code is never renamed or reused. Each is described where clients
 * read it (introspection), with what the client can do about it.
 */
export const ERROR_CODE_DESCRIPTIONS = {
  CREDENTIALS_INVALID:
    'A connection field is missing or malformed (checked before any call to the platform). `fields` names each one.',
  INVALID_ARGUMENT:
    'An argument other than credentials is out of range or malformed. `fields` names each one.',
  PLATFORM_AUTH_FAILED: 'The platform refused the credentials or their permissions. Re-key the named fields.',
  PLATFORM_RATE_LIMITED: 'The platform asked to slow down; retry after `retryAfterSeconds` when given.',
  PLATFORM_UNAVAILABLE: 'The platform could not be reached or answered with a server error; retry later.',
  PLATFORM_RESPONSE_INVALID:
    'The platform answered in a format affgraph does not understand (its API may have changed).',
  OUTBOUND_BLOCKED:
    'A URL points to an address affgraph will not call (private, loopback, link-local or cloud metadata).',
  ACCOUNT_NOT_FOUND: 'No account with this id exists in your workspace.',
  PLATFORM_MISMATCH: 'The connection is for a different platform than the account.',
  API_TOKEN_NOT_FOUND: 'No API token with this id exists in your workspace.',
  ALERT_RULE_NOT_FOUND: 'No alert rule with this id exists in your workspace.',
  ALERT_NOT_FOUND: 'No alert with this id exists in your workspace.',
  CREDENTIALS_UNREADABLE:
    'The stored credentials could not be decrypted (another master key, or altered data); enter them again.',
  SYNC_UNAVAILABLE: 'Syncing is switched off on this server.',
  PLATFORM_UNKNOWN: 'No loaded platform has this id.',
  PLATFORM_NOT_LOADED: "The plugin of this account's platform is not loaded on this server.",
  ACCOUNT_DUPLICATE: 'An account with the same platform, program and login already exists in your workspace.',
  ACCOUNT_NOT_STORED: 'The account passed its check but could not be stored; nothing was saved.',
  MEMBER_DUPLICATE: 'A member with this email already belongs to your workspace.',
  IMPORT_TOO_LARGE: 'The CSV file has more rows, columns or bytes than one import takes; split it.',
  IMPORT_CSV_INVALID: 'The text is not a CSV file affgraph can read, or it has no `platform` column.',
  CIRCUIT_OPEN:
    'affgraph paused calls to this program host after repeated failures; the sync is retried when the pause ends.',
  INTERRUPTED:
    'The sync was stopped by a shutdown or a lost process before it finished; a queued run runs again, and the ' +
    'days an on-demand fetch did not store are fetched when next asked for.',
  ALERT_DESTINATION_NOT_FOUND: 'No alert destination with this id exists in your workspace.',
  DEAL_NOT_FOUND: 'No deal or deal version with this id exists in your workspace.',
  PAYMENT_NOT_FOUND: 'No payment with this id exists in your workspace.',
  INTERNAL: 'affgraph failed unexpectedly; the server log has the details (never the credentials).',
} as const
export type ErrorCode = keyof typeof ERROR_CODE_DESCRIPTIONS
export const ERROR_CODES = Object.keys(ERROR_CODE_DESCRIPTIONS) as ErrorCode[]

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODE_DESCRIPTIONS, value)
}

/** The plugin SDK's names for two failures the API names after what the user sees. */
const SDK_ERROR_CODES: Record<string, ErrorCode> = {
  PLATFORM_AUTH: 'PLATFORM_AUTH_FAILED',
  PLATFORM_RESPONSE_FORMAT: 'PLATFORM_RESPONSE_INVALID',
}

/**
 * A code as the API states it: SDK codes translated, and a stored code an older version wrote that no longer
 * exists read as INTERNAL rather than failing the whole answer.
 */
export const asErrorCode = (value: string): ErrorCode =>
  isErrorCode(value) ? value : (SDK_ERROR_CODES[value] ?? 'INTERNAL')

/** One input value at fault: where it sits in the request and what is wrong with it. */
export interface FieldIssue {
  path: string[]
  message: string
}

export interface UserErrorShape {
  __typename: string
  code: ErrorCode
  message: string
  fields: FieldIssue[]
  retryAfterSeconds?: number | null
}

export const ERROR_TYPES = {
  CredentialsInvalidError:
    'Connection fields are missing or malformed. Nothing was sent to the platform and nothing was saved.',
  InvalidArgumentError:
    'An input value other than credentials is out of range or malformed. Nothing was changed.',
  PlatformAuthError:
    'The platform refused the credentials or their permissions. Fix the named field(s); affgraph will not retry.',
  PlatformRateLimitedError:
    'The platform asked to slow down; try again after `retryAfterSeconds` when given.',
  PlatformUnavailableError:
    'The platform could not be reached or answered with a server error; try again later.',
  PlatformResponseError: 'The platform answered in an unexpected format (it may have changed its API).',
  OutboundBlockedError:
    'The program URL points to an address affgraph will not call (private, loopback, link-local or metadata).',
  AccountNotFoundError: 'No account with this id exists in your workspace.',
  PlatformMismatchError: 'The connection is for a different platform than the account.',
  ApiTokenNotFoundError: 'No API token with this id exists in your workspace.',
  AlertRuleNotFoundError: 'No alert rule with this id exists in your workspace.',
  AlertNotFoundError: 'No alert with this id exists in your workspace.',
  SyncUnavailableError: 'Syncing is switched off on this server.',
  CredentialsUnreadableError:
    'The stored credentials could not be decrypted (a different master key, or altered data). Enter them again with `updateAccountConnection`.',
  MemberDuplicateError: 'A member with this email already belongs to your workspace; nothing was changed.',
  ImportRejectedError:
    'The CSV file as a whole was refused (too large, or not readable as CSV); no row was checked or stored.',
  AlertDestinationNotFoundError: 'No alert destination with this id exists in your workspace.',
  DealNotFoundError: 'No deal or deal version with this id exists in your workspace.',
  PaymentNotFoundError: 'No payment with this id exists in your workspace.',
} as const
export type ErrorTypeName = keyof typeof ERROR_TYPES

/** Input-error types every mutation's result union carries: validation failures arrive as these, never top-level. */
export const INPUT_ERROR_TYPES = ['CredentialsInvalidError', 'InvalidArgumentError'] as const

/**
 * `fields` are input paths, or bare names (a connection field, an argument) that become one-element paths; the
 * message of a bare name is the error's own.
 */
export function userError(
  typeName: ErrorTypeName,
  code: ErrorCode,
  message: string,
  fields: (string | FieldIssue)[] = [],
  extra: Partial<UserErrorShape> = {},
): UserErrorShape {
  return {
    __typename: typeName,
    code,
    message,
    fields: fields.map((f) => (typeof f === 'string' ? { path: [f], message } : f)),
    ...extra,
  }
}

/**
 * Paths of a platform's refusal name connection fields (`["apiKey"]`); a mutation puts them where the request
 * carried them (`["input", "connection", "cellxpert", "apiKey"]`), so every error points into the input alike.
 */
export function underPath(error: UserErrorShape, prefix: string[]): UserErrorShape {
  if (!CONNECTION_FIELD_CODES.has(error.code)) return error
  return { ...error, fields: error.fields.map((f) => ({ ...f, path: [...prefix, ...f.path] })) }
}

/** Codes whose `fields` name connection fields (the others name input paths already). */
const CONNECTION_FIELD_CODES = new Set<ErrorCode>([
  'PLATFORM_AUTH_FAILED',
  'PLATFORM_RATE_LIMITED',
  'PLATFORM_UNAVAILABLE',
  'PLATFORM_RESPONSE_INVALID',
  'OUTBOUND_BLOCKED',
])

export function registerErrorTypes(builder: AppBuilder) {
  const ErrorCodeEnum = builder.enumType('ErrorCode', {
    description:
      'Stable codes of expected failures. A code is never renamed or reused; new ones may be added.',
    values: Object.fromEntries(
      Object.entries(ERROR_CODE_DESCRIPTIONS).map(([code, description]) => [code, { description }]),
    ) as Record<ErrorCode, { description: string }>,
  })
  const FieldIssueRef = builder.objectRef<FieldIssue>('FieldIssue').implement({
    description: 'One input value at fault, so a form can show the message next to its field.',
    fields: (t) => ({
      path: t.exposeStringList('path', {
        nullable: false,
        description:
          'Where the value sits in the request, from the argument name down, e.g. `["input", "connection", "softSwiss", "baseUrl"]`. ' +
          'For stored credentials (checkAccount, syncs) it starts at the connection field, e.g. `["apiKey"]`; a CSV import row names its column.',
      }),
      field: t.string({
        nullable: false,
        description: 'The last element of `path`: the field or column name a form labels.',
        resolve: (f) => f.path.at(-1) ?? '',
      }),
      message: t.exposeString('message', { nullable: false, description: 'What is wrong, for people.' }),
    }),
  })
  const UserErrorInterface = builder.interfaceRef<UserErrorShape>('UserError').implement({
    description:
      'An expected failure the user can act on, returned as a member of a result union. `code` is stable; `message` is for people.',
    fields: (t) => ({
      code: t.field({
        type: ErrorCodeEnum,
        nullable: false,
        description: 'What went wrong, for programs to switch on.',
        resolve: (e) => e.code,
      }),
      message: t.exposeString('message', { nullable: false, description: 'What went wrong, for people.' }),
      fields: t.field({
        type: [FieldIssueRef],
        nullable: false,
        description: 'The input values at fault; empty when the failure concerns none in particular.',
        resolve: (e) => e.fields,
      }),
    }),
  })
  const refs = Object.fromEntries(
    Object.entries(ERROR_TYPES).map(([name, description]) => {
      const ref = builder.objectRef<UserErrorShape>(name).implement({
        description,
        interfaces: [UserErrorInterface],
        isTypeOf: (value) => (value as UserErrorShape).__typename === name,
        fields: (t) => {
          const extra: Record<string, ReturnType<typeof t.int>> = {}
          if (name === 'PlatformRateLimitedError') {
            extra.retryAfterSeconds = t.int({
              nullable: true,
              description: 'Seconds the platform asked to wait; null when it did not say.',
              resolve: (e) => e.retryAfterSeconds ?? null,
            })
          }
          return extra
        },
      })
      return [name, ref]
    }),
  ) as Record<ErrorTypeName, ReturnType<typeof builder.objectRef<UserErrorShape>>>
  const inputErrors = [refs.CredentialsInvalidError, refs.InvalidArgumentError] as const
  return { ErrorCodeEnum, UserErrorInterface, FieldIssueRef, refs, inputErrors }
}

export type ErrorRefs = ReturnType<typeof registerErrorTypes>['refs']
