import { randomUUID } from 'node:crypto'
import { Account } from '../account/account.entity.ts'
import { isoDay } from '../db/iso-day.ts'
import type { AppBuilder } from '../schema/builder.ts'
import { invalidArgument, latestPlatformDay, requirePrincipal } from '../schema/builder.ts'
import { countedConnection, entityConnection } from '../schema/connections.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { userError } from '../schema/errors.schema.ts'
import { databaseId, toGlobalId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import { moneyOf } from '../stats/money.schema.ts'
import { Workspace } from '../workspace/workspace.entity.ts'
import { Payment, type PaymentSource } from './deal.entity.ts'
import { accountOf, brandOf, checkMonth, PAGE, paymentsChanged } from './deal-schema-support.ts'
import { importPaymentsCsv, type PaymentImportResult } from './payment-import.ts'
import { fetchPlatformPayments } from './platform-payments.ts'
import { monthEnd } from './reconciliation.ts'

/** Shown per reconciliation row; no program pays one month in more instalments. */
const MAX_PAYMENTS_PER_MONTH = 100

export function registerPaymentSchema(
  builder: AppBuilder,
  refs: { AccountRef: unknown; MoneyRef: unknown },
  errorTypes: ReturnType<typeof registerErrorTypes>,
) {
  const AccountRef = refs.AccountRef as Parameters<typeof builder.objectField>[0]
  const MoneyRef = refs.MoneyRef as never
  const money = moneyOf
  const errors = errorTypes.refs

  const SourceEnum = builder.enumType('PaymentSource', {
    description: 'Where a payment record came from.',
    values: {
      MANUAL: { description: 'Entered by hand.' },
      CSV: { description: 'Imported from a CSV statement (bank or program).' },
      PLATFORM: { description: 'Read from the platform’s own payment or invoice report.' },
    } as const satisfies Record<PaymentSource, unknown>,
  })

  // ---- payments ----------------------------------------------------------------------------------------------
  const PaymentRef = builder.objectRef<Payment>('Payment').implement({
    description:
      'Money a program paid (or, read from a platform, invoiced) for one month of an account’s commission. The ' +
      'month is the period paid for, not the day the money arrived.',
    fields: (t) => ({
      account: t.field({
        type: AccountRef,
        nullable: false,
        description: 'The account paid.',
        resolve: async (v, _, ctx) => (await loadScoped(ctx, Account, [v.account.id]))[0] as never,
      }),
      brand: t.string({
        nullable: true,
        description: 'The brand paid for; null for the whole account.',
        resolve: (v) => (v.brand === '' ? null : v.brand),
      }),
      month: t.string({
        nullable: false,
        description: 'The month paid for, YYYY-MM.',
        resolve: (v) => isoDay(v.periodMonth as never).slice(0, 7),
      }),
      amount: t.field({
        type: MoneyRef,
        nullable: false,
        description: 'The amount, in the currency it was paid in.',
        resolve: (v) => money(String(v.amount), v.currency) as never,
      }),
      paidOn: t.field({
        type: 'Date',
        nullable: true,
        description: 'The day paid; null for an invoice the platform lists as not yet paid.',
        resolve: (v) => (v.paidOn ? isoDay(v.paidOn as never) : null),
      }),
      source: t.field({
        type: SourceEnum,
        nullable: false,
        description: 'Where the record came from.',
        resolve: (v) => v.source as PaymentSource,
      }),
      reference: t.exposeString('reference', {
        nullable: true,
        description: 'The reference at its source (bank reference, invoice number); unique per account.',
      }),
      note: t.exposeString('note', { nullable: true, description: 'A note.' }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the record was stored.',
        resolve: (v) => v.createdAt,
      }),
    }),
  })
  builder.nodeRef<Payment, string, typeof PaymentRef>(PaymentRef, {
    id: { resolve: (v) => v.id, description: 'Global id of the payment.' },
    loadMany: (ids, ctx) => loadScoped(ctx, Payment, ids),
  })

  const PaymentFilter = builder.inputType('PaymentFilter', {
    description: 'Which payments to list; every given condition must hold.',
    fields: (t) => ({
      accountIds: t.globalIDList({
        required: false,
        for: AccountRef as never,
        description: 'Only payments to these accounts.',
        validate: { maxLength: 500 },
      }),
      fromMonth: t.string({ required: false, description: 'Months paid for from this one (YYYY-MM).' }),
      toMonth: t.string({ required: false, description: 'Months paid for up to this one (YYYY-MM).' }),
    }),
  })
  builder.queryField('payments', (t) =>
    t.connection(
      {
        type: PaymentRef,
        nullable: false,
        description: `Payments received, newest record first; ${PAGE} a page unless \`first\` or \`last\` says.`,
        extensions: { defaultPageSize: PAGE },
        args: { filter: t.arg({ type: PaymentFilter, required: false, description: 'Which payments.' }) },
        resolve: (_, args, ctx) => {
          requirePrincipal(ctx)
          const where: Record<string, unknown> = {}
          const ids = args.filter?.accountIds?.map((id) => databaseId(id))
          if (ids) where.account = { $in: ids }
          const month: Record<string, string> = {}
          if (args.filter?.fromMonth)
            month.$gte = `${checkMonth(['filter', 'fromMonth'], args.filter.fromMonth)}-01`
          if (args.filter?.toMonth)
            month.$lte = `${checkMonth(['filter', 'toMonth'], args.filter.toMonth)}-01`
          if (Object.keys(month).length > 0) where.periodMonth = month
          return entityConnection(ctx, Payment, where, args, {
            order: 'desc',
            defaultSize: PAGE,
            cursorPrefix: 'payment',
          })
        },
      },
      countedConnection(
        'PaymentConnection',
        'A page of payments.',
        'Payments matching the filter, on every page.',
      ),
      { name: 'PaymentEdge', description: 'A payment and its cursor.' },
    ),
  )

  const RecordInput = builder.inputType('RecordPaymentInput', {
    description: 'A payment received, entered by hand.',
    fields: (t) => ({
      accountId: t.globalID({ required: true, for: AccountRef as never, description: 'The account paid.' }),
      brand: t.string({
        required: false,
        description: 'The brand paid for, if the deal is per brand.',
        validate: { maxLength: 200 },
      }),
      month: t.string({ required: true, description: 'The month paid for, YYYY-MM.' }),
      amount: t.field({ type: 'Decimal', required: true, description: 'The amount received.' }),
      currency: t.field({ type: 'CurrencyCode', required: true, description: 'Its currency.' }),
      paidOn: t.field({ type: 'Date', required: true, description: 'The day it was paid.' }),
      reference: t.string({
        required: false,
        description: 'Bank reference or invoice number (≤ 200 characters); unique per account.',
        validate: { maxLength: 200 },
      }),
      note: t.string({
        required: false,
        description: 'A note (≤ 500 characters).',
        validate: { maxLength: 500 },
      }),
    }),
  })
  const RecordSuccess = builder.objectRef<{ payment: Payment }>('RecordPaymentSuccess').implement({
    description: 'The payment is stored.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'RecordPaymentSuccess',
    fields: (t) => ({
      payment: t.field({
        type: PaymentRef,
        nullable: false,
        description: 'The payment.',
        resolve: (v) => v.payment,
      }),
    }),
  })
  builder.mutationField('recordPayment', (t) =>
    t.field({
      type: builder.unionType('RecordPaymentResult', {
        description: 'The stored payment, or why it was not stored.',
        types: [RecordSuccess, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Records a payment received for a month of an account’s commission.',
      args: {
        input: t.arg({ type: RecordInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const account = await accountOf(ctx, input.accountId, ['input', 'accountId'])
        const month = checkMonth(['input', 'month'], input.month)
        const amount = String(input.amount).trim()
        if (amount.startsWith('-') || Number(amount) === 0)
          throw invalidArgument(['input', 'amount'], 'must be more than 0')
        // A day ahead of UTC is still today somewhere; later than that is a payment not yet made.
        if (input.paidOn > latestPlatformDay(ctx.services.clock.now()))
          throw invalidArgument(
            ['input', 'paidOn'],
            'must not be in the future: record a payment once it is made',
          )
        const reference = input.reference?.trim() || null
        if (reference && (await ctx.em.count(Payment, { account: account.id, reference })))
          throw invalidArgument(
            ['input', 'reference'],
            'a payment with this reference is already recorded for this account',
          )
        if (
          (await ctx.em.count(Payment, { account: account.id, periodMonth: `${month}-01` })) >=
          MAX_PAYMENTS_PER_MONTH
        )
          throw invalidArgument(
            ['input', 'month'],
            `a month holds at most ${MAX_PAYMENTS_PER_MONTH} payments per account`,
          )
        const now = ctx.services.clock.now()
        const payment = ctx.em.create(Payment, {
          id: randomUUID(),
          workspace: ctx.em.getReference(Workspace, p.workspaceId),
          account,
          brand: brandOf(input.brand),
          periodMonth: `${month}-01` as never,
          amount,
          currency: input.currency,
          paidOn: input.paidOn as never,
          source: 'MANUAL',
          reference,
          note: input.note?.trim() || null,
          createdAt: now,
          updatedAt: now,
        })
        await ctx.em.flush()
        await paymentsChanged(ctx, p.workspaceId)
        return { __typename: 'RecordPaymentSuccess', payment }
      },
    }),
  )

  const DeletePaymentInput = builder.inputType('DeletePaymentInput', {
    description: 'Which payment to delete.',
    fields: (t) => ({
      id: t.globalID({ required: true, for: PaymentRef, description: 'The payment, as `Payment.id`.' }),
    }),
  })
  const DeletePaymentSuccess = builder.objectRef<{ paymentId: string }>('DeletePaymentSuccess').implement({
    description: 'The payment is deleted.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'DeletePaymentSuccess',
    fields: (t) => ({
      paymentId: t.id({
        nullable: false,
        description: 'Global id the payment had.',
        resolve: (v) => toGlobalId('Payment', v.paymentId),
      }),
    }),
  })
  builder.mutationField('deletePayment', (t) =>
    t.field({
      type: builder.unionType('DeletePaymentResult', {
        description: 'The deleted payment’s id, or why nothing was deleted.',
        types: [DeletePaymentSuccess, errors.PaymentNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Deletes a payment record.',
      args: {
        input: t.arg({
          type: DeletePaymentInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const [payment] = await loadScoped(ctx, Payment, [databaseId(input.id)])
        if (!payment)
          return userError('PaymentNotFoundError', 'PAYMENT_NOT_FOUND', 'Payment not found.', [
            { path: ['input', 'id'], message: 'no payment with this id in your workspace' },
          ])
        const paymentId = payment.id
        await ctx.em.remove(payment).flush()
        await paymentsChanged(ctx, p.workspaceId)
        return { __typename: 'DeletePaymentSuccess', paymentId }
      },
    }),
  )

  const ImportInput = builder.inputType('ImportPaymentsInput', {
    description:
      'A CSV statement of payments (a bank export or a program’s statement), at most 500 rows and 1 MiB. Columns ' +
      '(header names, any order, case-insensitive): `month` (YYYY-MM, the month paid for), `amount`, `currency`, ' +
      '`paid_on` (YYYY-MM-DD), optional `reference`, `note`, `brand`, and `account` (an account’s global id or ' +
      'its label) unless `accountId` is given.',
    fields: (t) => ({
      csv: t.string({ required: true, description: 'The CSV text, with a header row.' }),
      accountId: t.globalID({
        required: false,
        for: AccountRef as never,
        description: 'The account every row is for, when the file has no `account` column.',
      }),
    }),
  })
  const ImportRowRef = builder.objectRef<PaymentImportResult['rows'][number]>('ImportPaymentRow').implement({
    description: 'The outcome of one row.',
    fields: (t) => ({
      line: t.int({
        nullable: false,
        description: 'Line of the file the row starts on.',
        resolve: (r) => r.line,
      }),
      outcome: t.string({
        nullable: false,
        description: 'CREATED, UPDATED (same reference as a stored payment) or REJECTED.',
        resolve: (r) => r.outcome,
      }),
      payment: t.field({
        type: PaymentRef,
        nullable: true,
        description: 'The stored payment.',
        resolve: async (r, _, ctx) =>
          r.paymentId ? ((await loadScoped(ctx, Payment, [r.paymentId]))[0] ?? null) : null,
      }),
      errors: t.stringList({
        nullable: false,
        description: 'Why a rejected row was rejected, each naming its column.',
        resolve: (r) => r.errors,
      }),
    }),
  })
  const ImportSuccess = builder.objectRef<PaymentImportResult>('ImportPaymentsSuccess').implement({
    description:
      'The file was read. Valid rows are stored (a reference already stored for the account updates that ' +
      'payment); rejected rows name their columns, and change nothing.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'ImportPaymentsSuccess',
    fields: (t) => ({
      created: t.int({
        nullable: false,
        description: 'Rows stored as new payments.',
        resolve: (v) => v.created,
      }),
      updated: t.int({
        nullable: false,
        description: 'Rows that updated a stored payment.',
        resolve: (v) => v.updated,
      }),
      rejected: t.int({ nullable: false, description: 'Rows refused.', resolve: (v) => v.rejected }),
      rows: t.field({
        type: [ImportRowRef],
        nullable: false,
        description: 'Every row’s outcome.',
        resolve: (v) => v.rows,
      }),
    }),
  })
  builder.mutationField('importPayments', (t) =>
    t.field({
      type: builder.unionType('ImportPaymentsResult', {
        description: 'What the import did, or why the file was refused as a whole.',
        types: [ImportSuccess, errors.ImportRejectedError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Imports payments from a CSV statement.',
      args: {
        input: t.arg({ type: ImportInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const accountId = input.accountId
          ? (await accountOf(ctx, input.accountId, ['input', 'accountId'])).id
          : null
        const result = await importPaymentsCsv(ctx, p.workspaceId, input.csv, accountId)
        if (result.__typename === 'ImportRejectedError') return result
        await paymentsChanged(ctx, p.workspaceId)
        return result
      },
    }),
  )

  const FetchInput = builder.inputType('FetchPlatformPaymentsInput', {
    description: 'Which account’s platform payments to read, and for which months.',
    fields: (t) => ({
      accountId: t.globalID({ required: true, for: AccountRef as never, description: 'The account.' }),
      fromMonth: t.string({ required: true, description: 'First month, YYYY-MM.' }),
      toMonth: t.string({ required: true, description: 'Last month, YYYY-MM.' }),
    }),
  })
  const FetchSuccess = builder
    .objectRef<{ created: number; updated: number }>('FetchPlatformPaymentsSuccess')
    .implement({
      description:
        'The platform’s payments for the months are stored (read again, a payment is updated, not doubled).',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'FetchPlatformPaymentsSuccess',
      fields: (t) => ({
        created: t.int({ nullable: false, description: 'New payments.', resolve: (v) => v.created }),
        updated: t.int({
          nullable: false,
          description: 'Payments read before, updated.',
          resolve: (v) => v.updated,
        }),
      }),
    })
  builder.mutationField('fetchPlatformPayments', (t) =>
    t.field({
      type: builder.unionType('FetchPlatformPaymentsResult', {
        description: 'What was read, or why nothing was.',
        types: [
          FetchSuccess,
          errors.PlatformAuthError,
          errors.PlatformRateLimitedError,
          errors.PlatformUnavailableError,
          errors.PlatformResponseError,
          errors.CredentialsUnreadableError,
          ...errorTypes.inputErrors,
        ],
      }),
      nullable: false,
      description:
        'Reads the payments a platform reports (for platforms whose `Platform.reportsPayments` is true) and stores ' +
        'them. Scheduled syncs do the same for the months of their window.',
      args: {
        input: t.arg({ type: FetchInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const account = await accountOf(ctx, input.accountId, ['input', 'accountId'])
        const from = checkMonth(['input', 'fromMonth'], input.fromMonth)
        const to = checkMonth(['input', 'toMonth'], input.toMonth)
        if (from > to) throw invalidArgument(['input', 'toMonth'], 'must not be before fromMonth')
        const platform = ctx.services.registry.get(account.platformId)
        if (!platform?.definition.capabilities.payments)
          throw invalidArgument(['input', 'accountId'], 'this account’s platform does not report payments')
        const result = await fetchPlatformPayments(ctx.services, account.id, {
          from: `${from}-01`,
          to: monthEnd(to),
        })
        if ('code' in result) return result
        await paymentsChanged(ctx, p.workspaceId)
        return { __typename: 'FetchPlatformPaymentsSuccess', ...result }
      },
    }),
  )

  return { PaymentRef }
}
