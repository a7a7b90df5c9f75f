import { GraphQLError } from 'graphql'
import { parseInstant } from '../db/iso-day.ts'
import type { registerPlatformSchema } from '../platform/platform.schema.ts'
import { selectedPlatform } from '../platform/platform.schema.ts'
import type { AppBuilder } from '../schema/builder.ts'
import { requirePrincipal } from '../schema/builder.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { asErrorCode, underPath, userError } from '../schema/errors.schema.ts'
import { ACCOUNT_STATUSES, Account, type AccountStatus } from './account.entity.ts'
import {
  checkConnection,
  connectAccount,
  findAccount,
  normalizeTags,
  recheckAccount,
  updateAccountConnection,
} from './account.service.ts'

type PlatformRefs = ReturnType<typeof registerPlatformSchema>

const CURSOR_PREFIX = 'acct:'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const encodeCursor = (account: Account) =>
  Buffer.from(`${CURSOR_PREFIX}${account.createdAt.toISOString()}|${account.id}`).toString('base64url')
function decodeCursor(cursor: string): { createdAt: Date; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!text.startsWith(CURSOR_PREFIX)) return null
  const [at, id, ...rest] = text.slice(CURSOR_PREFIX.length).split('|')
  // Only what encodeCursor writes: a forged id that is no UUID, or an instant PostgreSQL cannot hold, would
  // otherwise reach the query and fail it as an unexpected error.
  const createdAt = parseInstant(at)
  if (rest.length > 0 || !id || !UUID.test(id) || !createdAt) return null
  return { createdAt, id }
}

const accountNotFound = () =>
  userError('AccountNotFoundError', 'ACCOUNT_NOT_FOUND', 'Account not found.', [
    { path: ['input', 'accountId'], message: 'no account with this id in your workspace' },
  ])

const tagsArg = (t: { stringList: (o: { required: boolean; validate: object }) => unknown }) =>
  t.stringList({
    required: false,
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
        name: t.exposeString('name', { nullable: false }),
        isSet: t.exposeBoolean('isSet', { nullable: false }),
        hint: t.exposeString('hint', { nullable: true }),
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
      id: t.exposeID('id', { nullable: false }),
      label: t.exposeString('label', { nullable: false }),
      platformId: t.exposeString('platformId', { nullable: false }),
      platform: t.field({
        type: platforms.PlatformRef,
        nullable: true,
        description: 'Null when the plugin that created the account is no longer loaded.',
        resolve: (a, _, ctx) => ctx.services.registry.get(a.platformId) ?? null,
      }),
      programName: t.exposeString('programName', { nullable: true }),
      baseUrl: t.field({ type: 'URL', nullable: true, resolve: (a) => a.baseUrl }),
      currency: t.exposeString('currency', { nullable: true }),
      timeZone: t.exposeString('timeZone', {
        nullable: false,
        description: "IANA time zone of the platform's reporting days for this account.",
      }),
      tags: t.exposeStringList('tags', { nullable: false }),
      status: t.field({ type: StatusEnum, nullable: false, resolve: (a) => a.status as AccountStatus }),
      externalAccountName: t.exposeString('externalAccountName', { nullable: true }),
      lastCheckAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.lastCheckAt }),
      lastSyncAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.lastSyncAt }),
      lastError: t.field({
        type: AccountErrorRef,
        nullable: true,
        resolve: (a) =>
          a.lastErrorCode ? { code: a.lastErrorCode, message: a.lastErrorMessage ?? '' } : null,
      }),
      connectionFields: t.field({
        type: [FieldStateRef],
        nullable: false,
        resolve: (a, _, ctx) => {
          const names = ctx.services.registry.get(a.platformId)?.fieldNames ?? Object.keys(a.connectionState)
          return names.map((name) => ({
            name,
            isSet: a.connectionState[name]?.isSet ?? false,
            hint: a.connectionState[name]?.hint ?? null,
          }))
        },
      }),
      createdAt: t.field({ type: 'DateTime', nullable: false, resolve: (a) => a.createdAt }),
      updatedAt: t.field({ type: 'DateTime', nullable: false, resolve: (a) => a.updatedAt }),
    }),
  })

  const PageInfoRef = builder
    .objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo')
    .implement({
      fields: (t) => ({
        hasNextPage: t.exposeBoolean('hasNextPage', { nullable: false }),
        endCursor: t.exposeString('endCursor', { nullable: true }),
      }),
    })

  const AccountPageRef = builder
    .objectRef<{
      nodes: Account[]
      pageInfo: { hasNextPage: boolean; endCursor: string | null }
      totalCount: number
    }>('AccountPage')
    .implement({
      fields: (t) => ({
        nodes: t.field({ type: [AccountRef], nullable: false, resolve: (p) => p.nodes }),
        pageInfo: t.field({ type: PageInfoRef, nullable: false, resolve: (p) => p.pageInfo }),
        totalCount: t.exposeInt('totalCount', { nullable: false }),
      }),
    })

  builder.queryField('accounts', (t) =>
    t.field({
      type: AccountPageRef,
      nullable: false,
      description: 'Accounts of your workspace, oldest first.',
      args: {
        first: t.arg.int({ required: false, defaultValue: 50, validate: { min: 1, max: 100 } }),
        after: t.arg.string({ required: false, validate: { maxLength: 200 } }),
        platformId: t.arg.string({ required: false }),
        tag: t.arg.string({ required: false }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const first = args.first ?? 50
        const where: Record<string, unknown> = {}
        if (args.platformId) where.platformId = args.platformId
        if (args.tag) where.tags = { $contains: [args.tag] }
        const totalCount = await ctx.em.count(Account, where)
        const cursor = args.after ? decodeCursor(args.after) : null
        if (args.after && !cursor) {
          throw new GraphQLError('`after` is not a cursor returned by this field', {
            extensions: {
              code: 'INVALID_ARGUMENT',
              fields: [{ path: ['after'], message: 'unknown cursor' }],
            },
          })
        }
        const pageWhere = cursor
          ? {
              ...where,
              $or: [
                { createdAt: { $gt: cursor.createdAt } },
                { createdAt: cursor.createdAt, id: { $gt: cursor.id } },
              ],
            }
          : where
        const rows = await ctx.em.find(Account, pageWhere, {
          orderBy: { createdAt: 'asc', id: 'asc' },
          limit: first + 1,
        })
        const nodes = rows.slice(0, first)
        const last = nodes.at(-1)
        return {
          nodes,
          totalCount,
          pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor(last) : null },
        }
      },
    }),
  )

  builder.queryField('account', (t) =>
    t.field({
      type: AccountRef,
      nullable: true,
      description: "One account of your workspace; null for an unknown id or another workspace's account.",
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        return findAccount(ctx.em, args.id)
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
    .objectRef<{ platformId: string; accountName?: string; currency?: string; timeZone?: string }>(
      'TestConnectionSuccess',
    )
    .implement({
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'TestConnectionSuccess',
      fields: (t) => ({
        platform: t.field({
          type: platforms.PlatformRef,
          nullable: false,
          resolve: (v, _, ctx) => ctx.services.registry.get(v.platformId)!,
        }),
        accountName: t.string({ nullable: true, resolve: (v) => v.accountName ?? null }),
        currency: t.string({ nullable: true, resolve: (v) => v.currency ?? null }),
        timeZone: t.string({ nullable: true, resolve: (v) => v.timeZone ?? null }),
      }),
    })
  const TestConnectionResult = builder.unionType('TestConnectionResult', {
    types: [TestConnectionSuccess, ...failureTypes],
  })

  const AccountSuccess = (name: string) =>
    builder.objectRef<{ account: Account }>(name).implement({
      isTypeOf: (v) => (v as { __typename?: string }).__typename === name,
      fields: (t) => ({ account: t.field({ type: AccountRef, nullable: false, resolve: (v) => v.account }) }),
    })
  const ConnectAccountSuccess = AccountSuccess('ConnectAccountSuccess')
  const UpdateAccountConnectionSuccess = AccountSuccess('UpdateAccountConnectionSuccess')
  const UpdateAccountSuccess = AccountSuccess('UpdateAccountSuccess')
  const CheckAccountSuccess = AccountSuccess('CheckAccountSuccess')
  const DisconnectAccountSuccess = builder
    .objectRef<{ accountId: string }>('DisconnectAccountSuccess')
    .implement({
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'DisconnectAccountSuccess',
      fields: (t) => ({ accountId: t.exposeID('accountId', { nullable: false }) }),
    })

  const ConnectAccountResult = builder.unionType('ConnectAccountResult', {
    types: [ConnectAccountSuccess, ...failureTypes],
  })
  const UpdateAccountConnectionResult = builder.unionType('UpdateAccountConnectionResult', {
    types: [
      UpdateAccountConnectionSuccess,
      errors.AccountNotFoundError,
      errors.PlatformMismatchError,
      ...failureTypes,
    ],
  })
  const UpdateAccountResult = builder.unionType('UpdateAccountResult', {
    types: [UpdateAccountSuccess, errors.AccountNotFoundError, ...errorTypes.inputErrors],
  })
  const CheckAccountResult = builder.unionType('CheckAccountResult', {
    types: [
      CheckAccountSuccess,
      errors.AccountNotFoundError,
      errors.CredentialsUnreadableError,
      ...failureTypes,
    ],
  })
  const DisconnectAccountResult = builder.unionType('DisconnectAccountResult', {
    types: [DisconnectAccountSuccess, errors.AccountNotFoundError, ...errorTypes.inputErrors],
  })
  const AccountIdInput = (name: string, description: string) =>
    builder.inputType(name, {
      description,
      fields: (t) => ({ accountId: t.id({ required: true, description: 'The account, as `Account.id`.' }) }),
    })
  const CheckAccountInput = AccountIdInput('CheckAccountInput', 'Which account to re-test.')
  const DisconnectAccountInput = AccountIdInput('DisconnectAccountInput', 'Which account to delete.')

  const ConnectAccountInput = builder.inputType('ConnectAccountInput', {
    fields: (t) => ({
      connection: t.field({ type: platforms.ConnectionInput, required: true }),
      label: t.string({
        required: false,
        validate: { maxLength: [120, { message: 'at most 120 characters' }] },
      }),
      tags: tagsArg(t as never) as never,
    }),
  })
  const UpdateAccountConnectionInput = builder.inputType('UpdateAccountConnectionInput', {
    fields: (t) => ({
      accountId: t.id({ required: true }),
      connection: t.field({ type: platforms.ConnectionInput, required: true }),
    }),
  })
  const UpdateAccountInput = builder.inputType('UpdateAccountInput', {
    fields: (t) => ({
      accountId: t.id({ required: true }),
      label: t.string({
        required: false,
        validate: { minLength: [1, { message: 'must not be empty' }], maxLength: 120 },
      }),
      tags: tagsArg(t as never) as never,
    }),
  })

  builder.mutationField('testConnection', (t) =>
    t.field({
      type: TestConnectionResult,
      nullable: false,
      description: "Runs the platform's cheapest authenticated call with these credentials. Saves nothing.",
      args: { input: t.arg({ type: platforms.ConnectionInput, required: true }) },
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
      args: { input: t.arg({ type: ConnectAccountInput, required: true }) },
      resolve: async (_, args, ctx) => {
        const principal = requirePrincipal(ctx)
        const input = args.input as {
          connection: Record<string, unknown>
          label?: string | null
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
      args: { input: t.arg({ type: UpdateAccountConnectionInput, required: true }) },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const input = args.input as { accountId: string; connection: Record<string, unknown> }
        const { platform, connection } = selectedPlatform(ctx.services.registry, input.connection)
        const outcome = await updateAccountConnection(
          ctx.services,
          ctx.em,
          String(input.accountId),
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
      description: 'Changes the label or tags of an account.',
      args: { input: t.arg({ type: UpdateAccountInput, required: true }) },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const input = args.input as { accountId: string; label?: string | null; tags?: string[] | null }
        const account = await findAccount(ctx.em, input.accountId)
        if (!account) return accountNotFound()
        if (input.label) account.label = input.label.trim()
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
      args: { input: t.arg({ type: CheckAccountInput, required: true }) },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const account = await findAccount(ctx.em, args.input.accountId)
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
      args: { input: t.arg({ type: DisconnectAccountInput, required: true }) },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const account = await findAccount(ctx.em, args.input.accountId)
        if (!account) return accountNotFound()
        const accountId = account.id
        await ctx.em.remove(account).flush()
        return { __typename: 'DisconnectAccountSuccess', accountId }
      },
    }),
  )

  return { AccountRef, PageInfoRef }
}
