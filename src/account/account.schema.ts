import { z } from 'zod'
import type { registerPlatformSchema } from '../platform/platform.schema.ts'
import { selectedPlatform } from '../platform/platform.schema.ts'
import type { AppBuilder } from '../schema/builder.ts'
import { requirePrincipal } from '../schema/builder.ts'
import { countedConnection, entityConnection } from '../schema/connections.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { asErrorCode, underPath, userError } from '../schema/errors.schema.ts'
import { databaseId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import { ACCOUNT_STATUSES, Account, type AccountStatus } from './account.entity.ts'
import {
  checkConnection,
  connectAccount,
  findAccount,
  normalizeTags,
  PROGRAM_NAME_MAX,
  platformProgramName,
  recheckAccount,
  updateAccountConnection,
} from './account.service.ts'

type PlatformRefs = ReturnType<typeof registerPlatformSchema>

/** Trimmed before its length is judged: a name of blanks names no program. */
const programNameSchema = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(PROGRAM_NAME_MAX, { message: `at most ${PROGRAM_NAME_MAX} characters` })

const programNameArg = (t: {
  string: (o: { required: boolean; description: string; validate: object }) => unknown
}) =>
  t.string({
    required: false,
    description:
      `The name the program goes by (the casino, merchant or site), 1 to ${PROGRAM_NAME_MAX} characters after trimming. ` +
      'Kept over any name the platform reports; stats grouped by PROGRAM show it.',
    validate: { schema: programNameSchema },
  })

/** Accounts on a page when neither `first` nor `last` is given. */
const ACCOUNTS_PAGE = 50

const accountNotFound = () =>
  userError('AccountNotFoundError', 'ACCOUNT_NOT_FOUND', 'Account not found.', [
    { path: ['input', 'accountId'], message: 'no account with this id in your workspace' },
  ])

const tagsArg = (t: {
  stringList: (o: { required: boolean; description: string; validate: object }) => unknown
}) =>
  t.stringList({
    required: false,
    description:
      'Tags, up to 50 of at most 64 characters; stored lower-cased without duplicates. Replaces all tags.',
    validate: {
      maxLength: [50, { message: 'at most 50 tags' }],
      items: { maxLength: [64, { message: 'a tag is at most 64 characters' }] },
    },
  })

export function registerAccountSchema(
  builder: AppBuilder,
  platforms: PlatformRefs,
  errorTypes: ReturnType<typeof registerErrorTypes>,
) {
  const errors = errorTypes.refs
  const StatusEnum = builder.enumType('AccountStatus', {
    description: "Health of an account's connection, from its last check or sync.",
    values: {
      OK: { description: 'The last call to the platform succeeded.' },
      AUTH_FAILED: { description: 'The platform refused the credentials: the user must re-key the account.' },
      RATE_LIMITED: { description: 'The platform is rate limiting; affgraph will try again later.' },
      UNREACHABLE: { description: 'The platform could not be reached or answered unexpectedly.' },
      PENDING: { description: 'Not checked yet.' },
    },
  })
  void ACCOUNT_STATUSES

  const FieldStateRef = builder
    .objectRef<{ name: string; isSet: boolean; hint: string | null }>('ConnectionFieldState')
    .implement({
      description:
        'Whether a connection field is set. Secret values are never returned; `hint` shows at most the last four characters of a long secret.',
      fields: (t) => ({
        name: t.exposeString('name', {
          nullable: false,
          description: 'The connection field, as in `Platform.connectionFields.name`.',
        }),
        isSet: t.exposeBoolean('isSet', { nullable: false, description: 'Whether the field holds a value.' }),
        hint: t.exposeString('hint', {
          nullable: true,
          description:
            'The value of a non-secret field; for a secret of 16 characters or more its last four, else null.',
        }),
      }),
    })

  const AccountErrorRef = builder.objectRef<{ code: string; message: string }>('AccountError').implement({
    description: 'The failure of the last check or sync of an account, kept until one succeeds.',
    fields: (t) => ({
      code: t.field({
        type: errorTypes.ErrorCodeEnum,
        nullable: false,
        description: 'What went wrong, for programs to switch on.',
        resolve: (e) => asErrorCode(e.code),
      }),
      message: t.exposeString('message', { nullable: false, description: 'What went wrong, for people.' }),
    }),
  })

  const AccountRef = builder.objectRef<Account>('Account').implement({
    description: "The user's login at one program, on one platform.",
    fields: (t) => ({
      label: t.exposeString('label', {
        nullable: false,
        description: 'Display name; the program and login when none was given.',
      }),
      platformId: t.exposeString('platformId', {
        nullable: false,
        description: 'The platform, as `Platform.id`; kept when its plugin is no longer loaded.',
      }),
      platform: t.field({
        type: platforms.PlatformRef,
        nullable: true,
        description: 'Null when the plugin that created the account is no longer loaded.',
        resolve: (a, _, ctx) => ctx.services.registry.get(a.platformId) ?? null,
      }),
      programName: t.exposeString('programName', {
        nullable: true,
        description:
          'Name of the program (the casino, merchant or site): as the user gave it, else as the platform reports ' +
          'it; null when neither names one. Never a host name.',
      }),
      baseUrl: t.field({
        type: 'URL',
        nullable: true,
        description: "The program's own URL on its platform; null for platforms with one fixed host.",
        resolve: (a) => a.baseUrl,
      }),
      currency: t.field({
        type: 'CurrencyCode',
        nullable: true,
        description: "ISO 4217 code of the account's reporting currency; null until the platform states it.",
        resolve: (a) => a.currency ?? null,
      }),
      timeZone: t.exposeString('timeZone', {
        nullable: false,
        description: "IANA time zone of the platform's reporting days for this account.",
      }),
      tags: t.exposeStringList('tags', {
        nullable: false,
        description: 'Free labels for grouping and filtering, lower-cased, without duplicates.',
      }),
      status: t.field({
        type: StatusEnum,
        nullable: false,
        description: 'Health of the connection, from its last check or sync.',
        resolve: (a) => a.status as AccountStatus,
      }),
      externalAccountName: t.exposeString('externalAccountName', {
        nullable: true,
        description: 'The login or affiliate name the platform reported for these credentials.',
      }),
      lastCheckAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When the credentials were last tested; null if never.',
        resolve: (a) => a.lastCheckAt,
      }),
      lastSyncAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When a sync of the account last succeeded; null if never.',
        resolve: (a) => a.lastSyncAt,
      }),
      lastError: t.field({
        type: AccountErrorRef,
        nullable: true,
        description: 'Why the last check or sync failed; null after a success.',
        resolve: (a) =>
          a.lastErrorCode ? { code: a.lastErrorCode, message: a.lastErrorMessage ?? '' } : null,
      }),
      connectionFields: t.field({
        type: [FieldStateRef],
        nullable: false,
        description: "Which of the platform's connection fields are set, in form order; never a secret.",
        resolve: (a, _, ctx) => {
          const names = ctx.services.registry.get(a.platformId)?.fieldNames ?? Object.keys(a.connectionState)
          return names.map((name) => ({
            name,
            isSet: a.connectionState[name]?.isSet ?? false,
            hint: a.connectionState[name]?.hint ?? null,
          }))
        },
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the account was connected.',
        resolve: (a) => a.createdAt,
      }),
      updatedAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the account (label, tags, credentials or status) last changed.',
        resolve: (a) => a.updatedAt,
      }),
    }),
  })

  builder.nodeRef<Account, string, typeof AccountRef>(AccountRef, {
    id: { resolve: (a) => a.id, description: 'Global id of the account.' },
    loadMany: (ids, ctx) => loadScoped(ctx, Account, ids),
  })

  builder.queryField('accounts', (t) =>
    t.connection(
      {
        type: AccountRef,
        nullable: false,
        description: `Accounts of your workspace, oldest first; ${ACCOUNTS_PAGE} a page unless \`first\` or \`last\` says.`,
        args: {
          platformId: t.arg.string({ required: false, description: 'Only accounts on this platform.' }),
          tag: t.arg.string({ required: false, description: 'Only accounts with this tag.' }),
        },
        extensions: { defaultPageSize: ACCOUNTS_PAGE },
        resolve: (_, args, ctx) => {
          requirePrincipal(ctx)
          const where: Record<string, unknown> = {}
          if (args.platformId) where.platformId = args.platformId
          if (args.tag) where.tags = { $contains: [args.tag] }
          return entityConnection(ctx, Account, where, args, {
            order: 'asc',
            defaultSize: ACCOUNTS_PAGE,
            cursorPrefix: 'acct',
          })
        },
      },
      countedConnection(
        'AccountConnection',
        'A page of accounts.',
        'Accounts matching the filters, on every page.',
      ),
      { name: 'AccountEdge', description: 'An account and its cursor.' },
    ),
  )

  builder.queryField('account', (t) =>
    t.field({
      type: AccountRef,
      nullable: true,
      description: "One account of your workspace; null for an unknown id or another workspace's account.",
      args: {
        id: t.arg.globalID({ required: true, for: AccountRef, description: 'The account, as `Account.id`.' }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        return findAccount(ctx.em, databaseId(args.id))
      },
    }),
  )

  const failureTypes = [
    ...errorTypes.inputErrors,
    errors.PlatformAuthError,
    errors.PlatformRateLimitedError,
    errors.PlatformUnavailableError,
    errors.PlatformResponseError,
    errors.OutboundBlockedError,
  ] as const

  const TestConnectionSuccess = builder
    .objectRef<{
      platformId: string
      accountName?: string
      programName?: string
      currency?: string
      timeZone?: string
    }>('TestConnectionSuccess')
    .implement({
      description: 'The platform accepted the credentials. Nothing was saved.',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'TestConnectionSuccess',
      fields: (t) => ({
        platform: t.field({
          type: platforms.PlatformRef,
          nullable: false,
          description: 'The platform tested.',
          resolve: (v, _, ctx) => ctx.services.registry.get(v.platformId)!,
        }),
        accountName: t.string({
          nullable: true,
          description: 'The login or affiliate name the platform reported, when it reports one.',
          resolve: (v) => v.accountName ?? null,
        }),
        programName: t.string({
          nullable: true,
          description: 'The program name the platform reported, when it states one for the whole account.',
          resolve: (v) => platformProgramName(v) ?? null,
        }),
        currency: t.field({
          type: 'CurrencyCode',
          nullable: true,
          description: 'ISO 4217 code of the reporting currency, when the platform states it.',
          resolve: (v) => v.currency ?? null,
        }),
        timeZone: t.string({
          nullable: true,
          description: "IANA time zone of the platform's reporting days, when it states one.",
          resolve: (v) => v.timeZone ?? null,
        }),
      }),
    })
  const TestConnectionResult = builder.unionType('TestConnectionResult', {
    description: 'The platform accepted the credentials, or why not.',
    types: [TestConnectionSuccess, ...failureTypes],
  })

  const AccountSuccess = (name: string, description: string) =>
    builder.objectRef<{ account: Account }>(name).implement({
      description,
      isTypeOf: (v) => (v as { __typename?: string }).__typename === name,
      fields: (t) => ({
        account: t.field({
          type: AccountRef,
          nullable: false,
          description: 'The account as it is now.',
          resolve: (v) => v.account,
        }),
      }),
    })
  const ConnectAccountSuccess = AccountSuccess(
    'ConnectAccountSuccess',
    'The credentials passed their check and are stored; the backfill is queued.',
  )
  const UpdateAccountConnectionSuccess = AccountSuccess(
    'UpdateAccountConnectionSuccess',
    'The new credentials passed their check and replaced the old ones.',
  )
  const UpdateAccountSuccess = AccountSuccess(
    'UpdateAccountSuccess',
    'The label, program name or tags were saved.',
  )
  const CheckAccountSuccess = AccountSuccess('CheckAccountSuccess', 'The stored credentials still work.')
  const DisconnectAccountSuccess = builder
    .objectRef<{ accountId: string }>('DisconnectAccountSuccess')
    .implement({
      description: 'The account and its credentials are deleted; its stored stats went with it.',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'DisconnectAccountSuccess',
      fields: (t) => ({
        accountId: t.globalID({
          nullable: false,
          description: 'The global id the account had.',
          resolve: (v) => ({ type: 'Account', id: v.accountId }),
        }),
      }),
    })

  const ConnectAccountResult = builder.unionType('ConnectAccountResult', {
    description: 'The stored account, or why nothing was stored.',
    types: [ConnectAccountSuccess, ...failureTypes],
  })
  const UpdateAccountConnectionResult = builder.unionType('UpdateAccountConnectionResult', {
    description: 'The re-keyed account, or why the old credentials were kept.',
    types: [
      UpdateAccountConnectionSuccess,
      errors.AccountNotFoundError,
      errors.PlatformMismatchError,
      ...failureTypes,
    ],
  })
  const UpdateAccountResult = builder.unionType('UpdateAccountResult', {
    description: 'The updated account, or why nothing changed.',
    types: [UpdateAccountSuccess, errors.AccountNotFoundError, ...errorTypes.inputErrors],
  })
  const CheckAccountResult = builder.unionType('CheckAccountResult', {
    description: 'The account with its new status, or why the check failed.',
    types: [
      CheckAccountSuccess,
      errors.AccountNotFoundError,
      errors.CredentialsUnreadableError,
      ...failureTypes,
    ],
  })
  const DisconnectAccountResult = builder.unionType('DisconnectAccountResult', {
    description: 'The id of the deleted account, or why nothing was deleted.',
    types: [DisconnectAccountSuccess, errors.AccountNotFoundError, ...errorTypes.inputErrors],
  })
  const AccountIdInput = (name: string, description: string) =>
    builder.inputType(name, {
      description,
      fields: (t) => ({
        accountId: t.globalID({
          required: true,
          for: AccountRef,
          description: 'The account, as `Account.id`.',
        }),
      }),
    })
  const CheckAccountInput = AccountIdInput('CheckAccountInput', 'Which account to re-test.')
  const DisconnectAccountInput = AccountIdInput('DisconnectAccountInput', 'Which account to delete.')

  const ConnectAccountInput = builder.inputType('ConnectAccountInput', {
    description: 'A new account: its credentials and how to show it.',
    fields: (t) => ({
      connection: t.field({
        type: platforms.ConnectionInput,
        required: true,
        description: 'The credentials, for one platform.',
      }),
      label: t.string({
        required: false,
        description: 'Display name, up to 120 characters; the program and login when omitted.',
        validate: { maxLength: [120, { message: 'at most 120 characters' }] },
      }),
      programName: programNameArg(t as never) as never,
      tags: tagsArg(t as never) as never,
    }),
  })
  const UpdateAccountConnectionInput = builder.inputType('UpdateAccountConnectionInput', {
    description: 'New credentials for an account (the same platform).',
    fields: (t) => ({
      accountId: t.globalID({
        required: true,
        for: AccountRef,
        description: 'The account, as `Account.id`.',
      }),
      connection: t.field({
        type: platforms.ConnectionInput,
        required: true,
        description: "The new credentials, for the account's platform.",
      }),
    }),
  })
  const UpdateAccountInput = builder.inputType('UpdateAccountInput', {
    description: 'How to show an account; omitted fields keep their value.',
    fields: (t) => ({
      accountId: t.globalID({
        required: true,
        for: AccountRef,
        description: 'The account, as `Account.id`.',
      }),
      label: t.string({
        required: false,
        description: 'Display name, 1 to 120 characters.',
        validate: { minLength: [1, { message: 'must not be empty' }], maxLength: 120 },
      }),
      programName: programNameArg(t as never) as never,
      tags: tagsArg(t as never) as never,
    }),
  })

  builder.mutationField('testConnection', (t) =>
    t.field({
      type: TestConnectionResult,
      nullable: false,
      description: "Runs the platform's cheapest authenticated call with these credentials. Saves nothing.",
      args: {
        input: t.arg({
          type: platforms.ConnectionInput,
          required: true,
          description: 'The credentials to test, for one platform.',
        }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const { platform, connection } = selectedPlatform(
          ctx.services.registry,
          args.input as Record<string, unknown>,
        )
        const outcome = await checkConnection(ctx.services, platform, connection)
        if (!outcome.ok) return underPath(outcome.error, ['input', platform.fieldName])
        return { __typename: 'TestConnectionSuccess', platformId: platform.definition.id, ...outcome.result }
      },
    }),
  )

  builder.mutationField('connectAccount', (t) =>
    t.field({
      type: ConnectAccountResult,
      nullable: false,
      description:
        'Validates and checks the credentials, then stores them encrypted. A failure saves nothing.',
      args: {
        input: t.arg({
          type: ConnectAccountInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, args, ctx) => {
        const principal = requirePrincipal(ctx)
        const input = args.input as {
          connection: Record<string, unknown>
          label?: string | null
          programName?: string | null
          tags?: string[] | null
        }
        const { platform, connection } = selectedPlatform(ctx.services.registry, input.connection)
        const outcome = await connectAccount(ctx.services, ctx.em, principal, platform, connection, input)
        return outcome.ok
          ? { __typename: 'ConnectAccountSuccess', account: outcome.account }
          : underPath(outcome.error, ['input', 'connection', platform.fieldName])
      },
    }),
  )

  builder.mutationField('updateAccountConnection', (t) =>
    t.field({
      type: UpdateAccountConnectionResult,
      nullable: false,
      description:
        'Replaces the credentials of an account (re-key). The old ones stay until the new ones pass the check.',
      args: {
        input: t.arg({
          type: UpdateAccountConnectionInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const input = args.input as { accountId: unknown; connection: Record<string, unknown> }
        const { platform, connection } = selectedPlatform(ctx.services.registry, input.connection)
        const outcome = await updateAccountConnection(
          ctx.services,
          ctx.em,
          databaseId(input.accountId),
          platform,
          connection,
        )
        return outcome.ok
          ? { __typename: 'UpdateAccountConnectionSuccess', account: outcome.account }
          : underPath(outcome.error, ['input', 'connection', platform.fieldName])
      },
    }),
  )

  builder.mutationField('updateAccount', (t) =>
    t.field({
      type: UpdateAccountResult,
      nullable: false,
      description: 'Changes the label, program name or tags of an account.',
      args: {
        input: t.arg({
          type: UpdateAccountInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const input = args.input as {
          accountId: unknown
          label?: string | null
          programName?: string | null
          tags?: string[] | null
        }
        const account = await findAccount(ctx.em, databaseId(input.accountId))
        if (!account) return accountNotFound()
        if (input.label) account.label = input.label.trim()
        const programName = input.programName?.trim()
        if (programName) {
          account.programName = programName
          account.programNameFromUser = true
        }
        if (input.tags) account.tags = normalizeTags(input.tags)
        await ctx.em.flush()
        return { __typename: 'UpdateAccountSuccess', account }
      },
    }),
  )

  builder.mutationField('checkAccount', (t) =>
    t.field({
      type: CheckAccountResult,
      nullable: false,
      description: "Re-tests an account's stored credentials and updates its status.",
      args: {
        input: t.arg({
          type: CheckAccountInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const account = await findAccount(ctx.em, databaseId(args.input.accountId))
        if (!account) return accountNotFound()
        const outcome = await recheckAccount(ctx.services, ctx.em, account)
        // Stored credentials: paths name the connection fields themselves (see FieldIssue.path).
        return outcome.ok ? { __typename: 'CheckAccountSuccess', account } : outcome.error
      },
    }),
  )

  builder.mutationField('disconnectAccount', (t) =>
    t.field({
      type: DisconnectAccountResult,
      nullable: false,
      description: 'Deletes an account and its stored credentials.',
      args: {
        input: t.arg({
          type: DisconnectAccountInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const account = await findAccount(ctx.em, databaseId(args.input.accountId))
        if (!account) return accountNotFound()
        const accountId = account.id
        await ctx.em.remove(account).flush()
        return { __typename: 'DisconnectAccountSuccess', accountId }
      },
    }),
  )

  return { AccountRef }
}
