import type { AppBuilder } from './builder.ts'

/** Stable codes: clients switch on these, so a code is never renamed or reused. */
export const ERROR_CODES = [
  'CREDENTIALS_INVALID',
  'PLATFORM_AUTH_FAILED',
  'PLATFORM_RATE_LIMITED',
  'PLATFORM_UNAVAILABLE',
  'PLATFORM_RESPONSE_INVALID',
  'OUTBOUND_BLOCKED',
  'ACCOUNT_NOT_FOUND',
  'PLATFORM_MISMATCH',
  'API_TOKEN_NOT_FOUND',
  'CREDENTIALS_UNREADABLE',
  'SYNC_UNAVAILABLE',
  'INVALID_ARGUMENT',
  'PLATFORM_UNKNOWN',
  'ACCOUNT_DUPLICATE',
  'ACCOUNT_NOT_STORED',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface UserErrorShape {
  __typename: string
  code: ErrorCode
  message: string
  /** Connection-field names (or argument names) the error concerns. */
  fields: string[]
  retryAfterSeconds?: number | null
}

export const ERROR_TYPES = {
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
  SyncUnavailableError: 'Syncing is switched off on this server.',
  CredentialsUnreadableError:
    'The stored credentials could not be decrypted (a different master key, or altered data). Enter them again with `updateAccountConnection`.',
} as const
export type ErrorTypeName = keyof typeof ERROR_TYPES

export function userError(
  typeName: ErrorTypeName,
  code: ErrorCode,
  message: string,
  fields: string[] = [],
  extra: Partial<UserErrorShape> = {},
): UserErrorShape {
  return { __typename: typeName, code, message, fields, ...extra }
}

export function registerErrorTypes(builder: AppBuilder) {
  const ErrorCodeEnum = builder.enumType('ErrorCode', { values: ERROR_CODES })
  const UserErrorInterface = builder.interfaceRef<UserErrorShape>('UserError').implement({
    description: 'An expected failure the user can act on. `code` is stable; `message` is for people.',
    fields: (t) => ({
      code: t.field({ type: ErrorCodeEnum, nullable: false, resolve: (e) => e.code }),
      message: t.exposeString('message', { nullable: false }),
      fields: t.exposeStringList('fields', {
        nullable: false,
        description: 'Input fields the error concerns.',
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
            extra.retryAfterSeconds = t.int({ nullable: true, resolve: (e) => e.retryAfterSeconds ?? null })
          }
          return extra
        },
      })
      return [name, ref]
    }),
  ) as Record<ErrorTypeName, ReturnType<typeof builder.objectRef<UserErrorShape>>>
  return { ErrorCodeEnum, UserErrorInterface, refs }
}

export type ErrorRefs = ReturnType<typeof registerErrorTypes>['refs']
