import { filter, pipe } from 'graphql-yoga'
import { Account } from '../account/account.entity.ts'
import { findAccount } from '../account/account.service.ts'
import { isCalendarDay, isoDay } from '../db/iso-day.ts'
import type { AppBuilder } from '../schema/builder.ts'
import { invalidArgument, latestPlatformDay, requirePrincipal } from '../schema/builder.ts'
import type { ErrorRefs } from '../schema/errors.schema.ts'
import { userError } from '../schema/errors.schema.ts'
import { SYNC_RUN_KINDS, SYNC_RUN_STATUSES, SyncRun } from './sync.entity.ts'
import { type SyncProgressEvent, trailingWindow } from './sync-engine.ts'

// biome-ignore lint/suspicious/noExplicitAny: the Account object ref comes from another module's builder call
type AnyObjectRef = any

const DAY_MESSAGE = 'must be a calendar day written YYYY-MM-DD'
const ARGUMENT_ERRORS = { validationErrorCode: 'INVALID_ARGUMENT' }

/** No platform has figures for a day that has not begun anywhere yet. */
function refuseFutureRange(range: { from: string; to: string } | null | undefined, now: Date): void {
  const latest = latestPlatformDay(now)
  if (range && range.to > latest) throw invalidArgument(['range', 'to'], `must not be after ${latest}`)
}

export function registerSyncSchema(builder: AppBuilder, AccountRef: AnyObjectRef, errors: ErrorRefs) {
  const KindEnum = builder.enumType('SyncRunKind', { values: SYNC_RUN_KINDS })
  const StatusEnum = builder.enumType('SyncRunStatus', { values: SYNC_RUN_STATUSES })

  const DateWindowRef = builder.objectRef<{ from: string; to: string }>('DateWindow').implement({
    description: "An inclusive range of the platform's own reporting days.",
    fields: (t) => ({
      from: t.exposeString('from', { nullable: false }),
      to: t.exposeString('to', { nullable: false }),
    }),
  })

  const SyncRunRef = builder.objectRef<SyncRun>('SyncRun').implement({
    description: "One fetch of an account's report for a window of the platform's days.",
    fields: (t) => ({
      id: t.exposeID('id', { nullable: false }),
      kind: t.field({
        type: KindEnum,
        nullable: false,
        resolve: (r) => r.kind as (typeof SYNC_RUN_KINDS)[number],
      }),
      status: t.field({
        type: StatusEnum,
        nullable: false,
        resolve: (r) => r.status as (typeof SYNC_RUN_STATUSES)[number],
      }),
      window: t.field({
        type: DateWindowRef,
        nullable: false,
        resolve: (r) => ({ from: isoDay(r.windowFrom), to: isoDay(r.windowTo) }),
      }),
      attempts: t.exposeInt('attempts', { nullable: false }),
      requests: t.exposeInt('requests', {
        nullable: false,
        description: 'Upstream HTTP requests made, retries included.',
      }),
      rowsWritten: t.exposeInt('rowsWritten', { nullable: false }),
      rowsChanged: t.exposeInt('rowsChanged', {
        nullable: false,
        description: 'Stored rows whose figures the platform revised.',
      }),
      errorCode: t.exposeString('errorCode', { nullable: true }),
      errorMessage: t.exposeString('errorMessage', { nullable: true }),
      createdAt: t.field({ type: 'DateTime', nullable: false, resolve: (r) => r.createdAt }),
      startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.startedAt }),
      finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.finishedAt }),
    }),
  })

  builder.objectField(AccountRef, 'syncRuns', (t: AnyObjectRef) =>
    t.field({
      type: [SyncRunRef],
      nullable: false,
      description: 'The most recent sync runs of the account, newest first.',
      args: { first: t.arg.int({ required: false, defaultValue: 20, validate: { min: 1, max: 200 } }) },
      resolve: (
        account: Account,
        args: { first?: number | null },
        ctx: Parameters<typeof requirePrincipal>[0],
      ) =>
        ctx.em.find(
          SyncRun,
          { account: account.id },
          { orderBy: { createdAt: 'desc', id: 'desc' }, limit: args.first ?? 20 },
        ),
    }),
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
    t.field({ type: 'DateTime', nullable: true, resolve: (a: Account) => a.nextSyncAt }),
  )

  const SyncUnavailableError = errors.SyncUnavailableError
  const SyncStartedRef = builder.objectRef<{ runs: SyncRun[] }>('SyncStarted').implement({
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'SyncStarted',
    fields: (t) => ({ runs: t.field({ type: [SyncRunRef], nullable: false, resolve: (v) => v.runs }) }),
  })
  const SyncAccountResult = builder.unionType('SyncAccountResult', {
    types: [SyncStartedRef, errors.AccountNotFoundError, SyncUnavailableError],
  })
  const SyncAllResult = builder.unionType('SyncAllResult', { types: [SyncStartedRef, SyncUnavailableError] })

  const DateRangeInput = builder.inputType('DateRangeInput', {
    description:
      "An inclusive range of days (YYYY-MM-DD), counted in each platform's own reporting time zone.",
    fields: (t) => ({
      from: t.string({ required: true, validate: [isCalendarDay, { message: DAY_MESSAGE }] }),
      to: t.string({ required: true, validate: [isCalendarDay, { message: DAY_MESSAGE }] }),
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

  builder.mutationField('syncAccount', (t) =>
    t.field({
      type: SyncAccountResult,
      nullable: false,
      description:
        "Queues a sync of one account. Without a range, its lookback window (the last `lookbackDays` of the platform's days).",
      args: {
        accountId: t.arg.id({ required: true }),
        range: t.arg({ type: DateRangeInput, required: false }),
      },
      extensions: ARGUMENT_ERRORS,
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        refuseFutureRange(args.range, ctx.services.clock.now())
        const account = await findAccount(ctx.em, args.accountId, { populateWorkspace: true })
        if (!account)
          return userError('AccountNotFoundError', 'ACCOUNT_NOT_FOUND', 'Account not found.', ['accountId'])
        const sync = ctx.services.sync
        if (!sync) return unavailable()
        const window =
          args.range ?? trailingWindow(account.lookbackDays, account.timeZone, ctx.services.clock.now())
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
      args: { range: t.arg({ type: DateRangeInput, required: false }) },
      extensions: ARGUMENT_ERRORS,
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        refuseFutureRange(args.range, ctx.services.clock.now())
        const sync = ctx.services.sync
        if (!sync) return unavailable()
        const accounts = await ctx.em.find(Account, {}, { populate: ['workspace'] })
        const runs = await sync.enqueueMany(
          ctx.em,
          accounts.map((account) => ({
            account,
            window:
              args.range ?? trailingWindow(account.lookbackDays, account.timeZone, ctx.services.clock.now()),
            kind: 'MANUAL' as const,
          })),
        )
        return { __typename: 'SyncStarted', runs }
      },
    }),
  )

  const SyncSettingsInput = builder.inputType('UpdateAccountSyncInput', {
    fields: (t) => ({
      accountId: t.id({ required: true }),
      backfillDays: t.int({ required: false, validate: { min: 1, max: 3660 } }),
      lookbackDays: t.int({ required: false, validate: { min: 1, max: 366 } }),
      syncIntervalMinutes: t.int({ required: false, validate: { min: 15, max: 7 * 24 * 60 } }),
    }),
  })
  const UpdateSyncSuccess = builder.objectRef<{ account: Account }>('UpdateAccountSyncSuccess').implement({
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'UpdateAccountSyncSuccess',
    fields: (t) => ({
      account: t.field({ type: AccountRef, nullable: false, resolve: (v) => v.account as never }),
    }),
  })
  builder.mutationField('updateAccountSync', (t) =>
    t.field({
      type: builder.unionType('UpdateAccountSyncResult', {
        types: [UpdateSyncSuccess, errors.AccountNotFoundError],
      }),
      nullable: false,
      description:
        'Changes how much history an account backfills, how far back periodic syncs look, and how often they run.',
      args: { input: t.arg({ type: SyncSettingsInput, required: true }) },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const account = await findAccount(ctx.em, args.input.accountId)
        if (!account)
          return userError('AccountNotFoundError', 'ACCOUNT_NOT_FOUND', 'Account not found.', ['accountId'])
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
      accountId: t.exposeID('accountId', { nullable: false }),
      runId: t.exposeID('runId', { nullable: false }),
      kind: t.field({ type: KindEnum, nullable: false, resolve: (e) => e.kind }),
      status: t.field({ type: StatusEnum, nullable: false, resolve: (e) => e.status }),
      window: t.field({ type: DateWindowRef, nullable: false, resolve: (e) => e.window }),
      requests: t.exposeInt('requests', { nullable: false }),
      rowsWritten: t.exposeInt('rowsWritten', { nullable: false }),
      rowsChanged: t.exposeInt('rowsChanged', { nullable: false }),
      errorCode: t.exposeString('errorCode', { nullable: true }),
      errorMessage: t.exposeString('errorMessage', { nullable: true }),
      at: t.field({ type: 'DateTime', nullable: false, resolve: (e) => e.at }),
    }),
  })

  builder.subscriptionType({})
  builder.subscriptionField('syncProgress', (t) =>
    t.field({
      type: ProgressRef,
      nullable: false,
      description:
        'Live progress of the sync runs of your workspace (server-sent events), optionally of one account.',
      args: { accountId: t.arg.id({ required: false }) },
      subscribe: (_, args, ctx) => {
        const principal = requirePrincipal(ctx)
        const sync = ctx.services.sync
        if (!sync) throw new Error('Syncing is switched off on this server.')
        const accountId = args.accountId ? String(args.accountId) : null
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

  return { DateRangeInput, DateWindowRef }
}
