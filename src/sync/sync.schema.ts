import { GraphQLError } from 'graphql'
import { filter, pipe } from 'graphql-yoga'
import { Account } from '../account/account.entity.ts'
import { findAccount } from '../account/account.service.ts'
import { isoDay } from '../db/iso-day.ts'
import type { AppBuilder, GraphQLContext } from '../schema/builder.ts'
import { invalidArgument, latestPlatformDay, requirePrincipal } from '../schema/builder.ts'
import { countedConnection, entityConnection, type PageArgs } from '../schema/connections.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { asErrorCode, userError } from '../schema/errors.schema.ts'
import { databaseId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import { SYNC_RUN_KINDS, SYNC_RUN_STATUSES, SyncRun } from './sync.entity.ts'
import { type SyncProgressEvent, trailingWindow } from './sync-engine.ts'

// biome-ignore lint/suspicious/noExplicitAny: the Account object ref comes from another module's builder call
type AnyObjectRef = any

/** Runs on a page of `Account.syncRuns` when neither `first` nor `last` is given. */
const SYNC_RUNS_PAGE = 20

/** No platform has figures for a day that has not begun anywhere yet. */
function refuseFutureRange(range: { from: string; to: string } | null | undefined, now: Date): void {
  const latest = latestPlatformDay(now)
  if (range && range.to > latest)
    throw invalidArgument(['input', 'range', 'to'], `must not be after ${latest}`)
}

const KIND_DESCRIPTIONS: Record<(typeof SYNC_RUN_KINDS)[number], string> = {
  BACKFILL: 'History fetched when the account was connected (`backfillDays`).',
  PERIODIC: 'The scheduled re-fetch of the last `lookbackDays`, every `syncIntervalMinutes`.',
  MANUAL: 'Asked for with `syncAccount` or `syncAll`.',
  ON_DEMAND: 'Days a stats query asked for that were not stored yet.',
}
const STATUS_DESCRIPTIONS: Record<(typeof SYNC_RUN_STATUSES)[number], string> = {
  QUEUED: 'Waiting for a worker.',
  RUNNING: 'A worker is fetching it.',
  SUCCEEDED: 'Fetched and stored.',
  FAILED: 'Ended in an error (`errorCode`); a later sync tries again.',
  RETRYING:
    'Failed for a passing reason (rate limit, outage, a pause of the host, a lost worker); queued again.',
}

export function registerSyncSchema(
  builder: AppBuilder,
  AccountRef: AnyObjectRef,
  errorTypes: ReturnType<typeof registerErrorTypes>,
) {
  const errors = errorTypes.refs
  const KindEnum = builder.enumType('SyncRunKind', {
    description: 'Why a sync run was made.',
    values: Object.fromEntries(
      SYNC_RUN_KINDS.map((k) => [k, { description: KIND_DESCRIPTIONS[k] }]),
    ) as Record<(typeof SYNC_RUN_KINDS)[number], { description: string }>,
  })
  const StatusEnum = builder.enumType('SyncRunStatus', {
    description: 'Where a sync run stands.',
    values: Object.fromEntries(
      SYNC_RUN_STATUSES.map((k) => [k, { description: STATUS_DESCRIPTIONS[k] }]),
    ) as Record<(typeof SYNC_RUN_STATUSES)[number], { description: string }>,
  })

  const DateWindowRef = builder.objectRef<{ from: string; to: string }>('DateWindow').implement({
    description: "An inclusive range of the platform's own reporting days.",
    fields: (t) => ({
      from: t.field({ type: 'Date', nullable: false, description: 'First day.', resolve: (w) => w.from }),
      to: t.field({
        type: 'Date',
        nullable: false,
        description: 'Last day (included).',
        resolve: (w) => w.to,
      }),
    }),
  })

  const SyncRunRef = builder.objectRef<SyncRun>('SyncRun').implement({
    description: "One fetch of an account's report for a window of the platform's days.",
    fields: (t) => ({
      kind: t.field({
        type: KindEnum,
        nullable: false,
        description: 'Why the run was made.',
        resolve: (r) => r.kind as (typeof SYNC_RUN_KINDS)[number],
      }),
      status: t.field({
        type: StatusEnum,
        nullable: false,
        description: 'Where the run stands.',
        resolve: (r) => r.status as (typeof SYNC_RUN_STATUSES)[number],
      }),
      window: t.field({
        type: DateWindowRef,
        nullable: false,
        description: "The platform's days the run fetches.",
        resolve: (r) => ({ from: isoDay(r.windowFrom), to: isoDay(r.windowTo) }),
      }),
      attempts: t.exposeInt('attempts', {
        nullable: false,
        description: 'Times a worker started the run (retries after a transient failure or a lost worker).',
      }),
      requests: t.exposeInt('requests', {
        nullable: false,
        description: 'Upstream HTTP requests made, retries included.',
      }),
      rowsWritten: t.exposeInt('rowsWritten', {
        nullable: false,
        description: 'Report rows the run stored (new or unchanged).',
      }),
      rowsChanged: t.exposeInt('rowsChanged', {
        nullable: false,
        description: 'Stored rows whose figures the platform revised.',
      }),
      errorCode: t.field({
        type: errorTypes.ErrorCodeEnum,
        nullable: true,
        description: 'Why the run failed; null unless `status` is FAILED.',
        resolve: (r) => (r.errorCode ? asErrorCode(r.errorCode) : null),
      }),
      errorMessage: t.exposeString('errorMessage', {
        nullable: true,
        description: 'Why the run failed, for people; never quotes a credential.',
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the run was queued.',
        resolve: (r) => r.createdAt,
      }),
      startedAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When a worker last started it; null while queued.',
        resolve: (r) => r.startedAt,
      }),
      finishedAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When it succeeded or failed; null before.',
        resolve: (r) => r.finishedAt,
      }),
    }),
  })

  builder.nodeRef<SyncRun, string, typeof SyncRunRef>(SyncRunRef, {
    id: { resolve: (r) => r.id, description: 'Global id of the run.' },
    loadMany: (ids, ctx) => loadScoped(ctx, SyncRun, ids),
  })

  builder.objectField(AccountRef, 'syncRuns', (t: AnyObjectRef) =>
    t.connection(
      {
        type: SyncRunRef,
        nullable: false,
        description: `The sync runs of the account, newest first; ${SYNC_RUNS_PAGE} a page unless \`first\` or \`last\` says.`,
        extensions: { defaultPageSize: SYNC_RUNS_PAGE },
        resolve: (account: Account, args: PageArgs, ctx: GraphQLContext) =>
          entityConnection(ctx, SyncRun, { account: account.id }, args, {
            order: 'desc',
            defaultSize: SYNC_RUNS_PAGE,
            cursorPrefix: 'run',
          }),
      },
      countedConnection(
        'SyncRunConnection',
        'A page of sync runs.',
        'Sync runs of the account, on every page.',
      ),
      { name: 'SyncRunEdge', description: 'A sync run and its cursor.' },
    ),
  )
  for (const [name, description] of [
    ['backfillDays', 'Days fetched when the account was connected.'],
    ['lookbackDays', 'Past days re-fetched by every periodic sync, because programs revise them.'],
    ['syncIntervalMinutes', 'Minutes between periodic syncs.'],
  ] as const) {
    builder.objectField(AccountRef, name, (t: AnyObjectRef) =>
      t.int({ nullable: false, description, resolve: (a: Account) => a[name] }),
    )
  }
  builder.objectField(AccountRef, 'nextSyncAt', (t: AnyObjectRef) =>
    t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the next periodic sync is due; null before the first one is scheduled.',
      resolve: (a: Account) => a.nextSyncAt,
    }),
  )

  const SyncUnavailableError = errors.SyncUnavailableError
  const SyncStartedRef = builder.objectRef<{ runs: SyncRun[] }>('SyncStarted').implement({
    description: 'The runs were queued; follow them with `syncProgress` or `Account.syncRuns`.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'SyncStarted',
    fields: (t) => ({
      runs: t.field({
        type: [SyncRunRef],
        nullable: false,
        description: "The queued runs, one per window the platform's report limits allow.",
        resolve: (v) => v.runs,
      }),
    }),
  })
  const SyncAccountResult = builder.unionType('SyncAccountResult', {
    description: 'The queued runs, or why none were queued.',
    types: [SyncStartedRef, errors.AccountNotFoundError, SyncUnavailableError, ...errorTypes.inputErrors],
  })
  const SyncAllResult = builder.unionType('SyncAllResult', {
    description: 'The queued runs, or why none were queued.',
    types: [SyncStartedRef, SyncUnavailableError, ...errorTypes.inputErrors],
  })

  const DateRangeInput = builder.inputType('DateRangeInput', {
    description:
      "An inclusive range of days (YYYY-MM-DD), counted in each platform's own reporting time zone.",
    fields: (t) => ({
      from: t.field({ type: 'Date', required: true, description: 'First day.' }),
      to: t.field({
        type: 'Date',
        required: true,
        description: 'Last day (included); not after tomorrow in UTC.',
      }),
    }),
    validate: [
      (range) => range.from <= range.to && Date.parse(range.to) - Date.parse(range.from) <= 3660 * 86_400_000,
      { message: 'from must not be after to, and a range spans at most ten years' },
    ],
  })

  const unavailable = () =>
    userError(
      'SyncUnavailableError',
      'SYNC_UNAVAILABLE',
      'Syncing is switched off on this server (AFFGRAPH_SYNC=off).',
    )

  const SyncAccountInput = builder.inputType('SyncAccountInput', {
    description: 'Which account to sync, and optionally which days.',
    fields: (t) => ({
      accountId: t.globalID({
        required: true,
        for: AccountRef,
        description: 'The account, as `Account.id`.',
      }),
      range: t.field({
        type: DateRangeInput,
        required: false,
        description: "Days to fetch; the account's lookback window (its last `lookbackDays`) when omitted.",
      }),
    }),
  })
  const SyncAllInput = builder.inputType('SyncAllInput', {
    description: 'Optionally, which days to sync for every account.',
    fields: (t) => ({
      range: t.field({
        type: DateRangeInput,
        required: false,
        description: "Days to fetch; each account's lookback window when omitted.",
      }),
    }),
  })

  builder.mutationField('syncAccount', (t) =>
    t.field({
      type: SyncAccountResult,
      nullable: false,
      description:
        "Queues a sync of one account. Without a range, its lookback window (the last `lookbackDays` of the platform's days).",
      args: {
        input: t.arg({
          type: SyncAccountInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        refuseFutureRange(input.range, ctx.services.clock.now())
        const account = await findAccount(ctx.em, databaseId(input.accountId), { populateWorkspace: true })
        if (!account)
          return userError('AccountNotFoundError', 'ACCOUNT_NOT_FOUND', 'Account not found.', [
            { path: ['input', 'accountId'], message: 'no account with this id in your workspace' },
          ])
        const sync = ctx.services.sync
        if (!sync) return unavailable()
        const window =
          input.range ?? trailingWindow(account.lookbackDays, account.timeZone, ctx.services.clock.now())
        const runs = await sync.enqueue(ctx.em, account, window, 'MANUAL')
        return { __typename: 'SyncStarted', runs }
      },
    }),
  )

  builder.mutationField('syncAll', (t) =>
    t.field({
      type: SyncAllResult,
      nullable: false,
      description:
        'Queues a sync of every account of the workspace (their lookback windows, or the given range).',
      args: {
        input: t.arg({
          type: SyncAllInput,
          required: false,
          description: 'Omit it to sync each account over its lookback window.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        const range = input?.range ?? null
        refuseFutureRange(range, ctx.services.clock.now())
        const sync = ctx.services.sync
        if (!sync) return unavailable()
        const accounts = await ctx.em.find(Account, {}, { populate: ['workspace'] })
        const runs = await sync.enqueueMany(
          ctx.em,
          accounts.map((account) => ({
            account,
            window: range ?? trailingWindow(account.lookbackDays, account.timeZone, ctx.services.clock.now()),
            kind: 'MANUAL' as const,
          })),
        )
        return { __typename: 'SyncStarted', runs }
      },
    }),
  )

  const SyncSettingsInput = builder.inputType('UpdateAccountSyncInput', {
    description: "An account's sync settings; omitted fields keep their value.",
    fields: (t) => ({
      accountId: t.globalID({
        required: true,
        for: AccountRef,
        description: 'The account, as `Account.id`.',
      }),
      backfillDays: t.int({
        required: false,
        description: 'Days of history to fetch when connected, 1 to 3660.',
        validate: { min: 1, max: 3660 },
      }),
      lookbackDays: t.int({
        required: false,
        description: 'Past days every periodic sync re-fetches, 1 to 366.',
        validate: { min: 1, max: 366 },
      }),
      syncIntervalMinutes: t.int({
        required: false,
        description: 'Minutes between periodic syncs, 15 to 10080 (a week).',
        validate: { min: 15, max: 7 * 24 * 60 },
      }),
    }),
  })
  const UpdateSyncSuccess = builder.objectRef<{ account: Account }>('UpdateAccountSyncSuccess').implement({
    description: 'The settings were saved.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'UpdateAccountSyncSuccess',
    fields: (t) => ({
      account: t.field({
        type: AccountRef,
        nullable: false,
        description: 'The account with its new settings.',
        resolve: (v) => v.account as never,
      }),
    }),
  })
  builder.mutationField('updateAccountSync', (t) =>
    t.field({
      type: builder.unionType('UpdateAccountSyncResult', {
        description: 'The account with its new settings, or why they were not saved.',
        types: [UpdateSyncSuccess, errors.AccountNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description:
        'Changes how much history an account backfills, how far back periodic syncs look, and how often they run.',
      args: {
        input: t.arg({
          type: SyncSettingsInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const account = await findAccount(ctx.em, databaseId(args.input.accountId))
        if (!account)
          return userError('AccountNotFoundError', 'ACCOUNT_NOT_FOUND', 'Account not found.', [
            { path: ['input', 'accountId'], message: 'no account with this id in your workspace' },
          ])
        if (args.input.backfillDays) account.backfillDays = args.input.backfillDays
        if (args.input.lookbackDays) account.lookbackDays = args.input.lookbackDays
        if (args.input.syncIntervalMinutes) {
          account.syncIntervalMinutes = args.input.syncIntervalMinutes
          account.nextSyncAt = new Date(
            ctx.services.clock.now().getTime() + account.syncIntervalMinutes * 60_000,
          )
        }
        await ctx.em.flush()
        return { __typename: 'UpdateAccountSyncSuccess', account }
      },
    }),
  )

  const ProgressRef = builder.objectRef<SyncProgressEvent>('SyncProgress').implement({
    description: 'A sync run changed state.',
    fields: (t) => ({
      accountId: t.globalID({
        nullable: false,
        description: 'The account synced, as `Account.id`.',
        resolve: (e) => ({ type: 'Account', id: e.accountId }),
      }),
      runId: t.globalID({
        nullable: false,
        description: 'The run, as `SyncRun.id`.',
        resolve: (e) => ({ type: 'SyncRun', id: e.runId }),
      }),
      kind: t.field({
        type: KindEnum,
        nullable: false,
        description: 'Why the run was made.',
        resolve: (e) => e.kind,
      }),
      status: t.field({
        type: StatusEnum,
        nullable: false,
        description: 'The state the run entered.',
        resolve: (e) => e.status,
      }),
      window: t.field({
        type: DateWindowRef,
        nullable: false,
        description: "The platform's days the run fetches.",
        resolve: (e) => e.window,
      }),
      requests: t.exposeInt('requests', {
        nullable: false,
        description: 'Upstream HTTP requests made so far.',
      }),
      rowsWritten: t.exposeInt('rowsWritten', { nullable: false, description: 'Report rows stored so far.' }),
      rowsChanged: t.exposeInt('rowsChanged', {
        nullable: false,
        description: 'Stored rows whose figures the platform revised.',
      }),
      errorCode: t.field({
        type: errorTypes.ErrorCodeEnum,
        nullable: true,
        description: 'Why the run failed; null unless `status` is FAILED.',
        resolve: (e) => (e.errorCode ? asErrorCode(e.errorCode) : null),
      }),
      errorMessage: t.exposeString('errorMessage', {
        nullable: true,
        description: 'Why the run failed, for people.',
      }),
      at: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the state changed.',
        resolve: (e) => e.at,
      }),
    }),
  })

  builder.subscriptionType({ description: 'Live events, over server-sent events (GraphQL over SSE).' })
  builder.subscriptionField('syncProgress', (t) =>
    t.field({
      type: ProgressRef,
      nullable: false,
      description:
        'Live progress of the sync runs of your workspace (server-sent events), optionally of one account.',
      args: {
        accountId: t.arg.globalID({
          required: false,
          for: AccountRef,
          description: 'Only this account; every account when omitted.',
        }),
      },
      subscribe: (_, args, ctx) => {
        const principal = requirePrincipal(ctx)
        const sync = ctx.services.sync
        // An expected answer, with the code the sync mutations use: not a server fault (no HTTP 500, no error log).
        if (!sync)
          throw new GraphQLError('Syncing is switched off on this server.', {
            extensions: { code: 'SYNC_UNAVAILABLE' },
          })
        const accountId = args.accountId ? databaseId(args.accountId) : null
        return pipe(
          sync.pubsub.subscribe('syncProgress'),
          filter(
            (e: SyncProgressEvent) =>
              e.workspaceId === principal.workspaceId && (!accountId || e.accountId === accountId),
          ),
        )
      },
      resolve: (event) => event,
    }),
  )

  return { DateRangeInput, DateWindowRef, SyncRunRef }
}
