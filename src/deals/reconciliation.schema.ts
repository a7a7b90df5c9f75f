import { Account } from '../account/account.entity.ts'
import { convertAmount } from '../fx/fx-convert.ts'
import type { AppBuilder } from '../schema/builder.ts'
import { invalidArgument, requirePrincipal } from '../schema/builder.ts'
import { databaseId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import { moneyOf } from '../stats/money.schema.ts'
import { platformToday } from '../sync/sync-engine.ts'
import { Deal, Payment } from './deal.entity.ts'
import { checkMonth } from './deal-schema-support.ts'
import {
  EXPECTED_REASON_CODES,
  ExactDecimal,
  type ExpectedMonth,
  type ExpectedReason,
  type ExpectedReasonCode,
} from './expected-commission.ts'
import {
  monthEnd,
  RECONCILIATION_STATUSES,
  type ReconciliationRow,
  type ReconciliationStatus,
  reconcile,
} from './reconciliation.ts'

/** A reconciliation covers at most two years of months: a statement dispute never reaches further. */
const MAX_MONTHS = 24

const REASON_TEXT: Record<ExpectedReasonCode, string> = {
  NO_DEAL: 'No deal terms are in force for the month: nothing is expected.',
  TERMS_CHANGED_MID_MONTH:
    'A new version of the terms started during the month; each part is computed with its own.',
  QUALIFIED_COUNT_NOT_REPORTED:
    'The CPA has qualification conditions but the platform reports no count of qualified CPAs, so the CPA part is ' +
    'not computed; `expectedUpperBound` assumes every FTD qualified.',
  FTDS_BELOW_QUALIFICATION:
    'FTDs the program did not count as qualified CPAs (`count`), and what they would have earned.',
  CARRY_OVER_APPLIED: 'Negative net revenue carried in from earlier months was offset (`amount`).',
  NEGATIVE_MONTH: 'The month’s net revenue was negative (`amount`): the revenue share earns nothing.',
  NET_REVENUE_NOT_REPORTED: 'The platform reports no net revenue, so the revenue share is not computed.',
  FTDS_NOT_REPORTED: 'The platform reports no FTDs, so an FTD-based tier cannot be chosen.',
  COMMISSION_NOT_REPORTED:
    'The platform reports no commission for the month: what is owed is taken from the deal instead.',
}

const STATUS_TEXT: Record<ReconciliationStatus, string> = {
  NOTHING_OWED: 'Nothing is owed for the month, and nothing was paid.',
  NOT_DUE: 'Commission is owed but not yet due under the payment terms.',
  BELOW_MINIMUM: 'What is owed is below the deal’s minimum payout; programs carry it into a later payment.',
  PAID: 'Paid in full (within a cent).',
  OVERPAID: 'More was paid than is owed.',
  SHORT: 'Something was paid, but less than is owed.',
  OVERDUE: 'Nothing was paid and the payment terms have run out.',
}

interface ConversionView {
  currency: string
  rate: string | null
  rateDay: string | null
  amounts: Record<'owed' | 'expected' | 'paid' | 'outstanding', string | null>
}

export function registerReconciliationSchema(
  builder: AppBuilder,
  refs: { AccountRef: unknown; MoneyRef: unknown; DealRef: unknown; PaymentRef: unknown },
) {
  const AccountRef = refs.AccountRef as Parameters<typeof builder.objectField>[0]
  const MoneyRef = refs.MoneyRef as never
  const money = moneyOf
  const DealRef = refs.DealRef as Parameters<typeof builder.objectField>[0]
  const PaymentRef = refs.PaymentRef as Parameters<typeof builder.objectField>[0]

  const StatusEnum = builder.enumType('ReconciliationStatus', {
    description: 'Where a month of a program stands between owed and paid.',
    values: Object.fromEntries(
      RECONCILIATION_STATUSES.map((s) => [s, { description: STATUS_TEXT[s] }]),
    ) as Record<ReconciliationStatus, { description: string }>,
  })
  const ReasonCodeEnum = builder.enumType('CommissionDifferenceCode', {
    description: 'Why what the deal says and what the program reported can differ.',
    values: Object.fromEntries(
      EXPECTED_REASON_CODES.map((c) => [c, { description: REASON_TEXT[c] }]),
    ) as Record<ExpectedReasonCode, { description: string }>,
  })
  const OwedFromEnum = builder.enumType('OwedFrom', {
    description: 'What the owed figure of a month stands on.',
    values: {
      REPORTED: { description: 'The commission the program reported.' },
      EXPECTED: { description: 'The deal’s expected commission (the program reports none).' },
      NONE: { description: 'Neither is known.' },
    } as const,
  })

  // ---- reconciliation ----------------------------------------------------------------------------------------
  const ReasonRef = builder
    .objectRef<{ reason: ExpectedReason; currency: string }>('CommissionDifferenceReason')
    .implement({
      description:
        'One reason the expected and the reported commission of a month differ, or why one is unknown.',
      fields: (t) => ({
        code: t.field({
          type: ReasonCodeEnum,
          nullable: false,
          description: 'Stable code.',
          resolve: (v) => v.reason.code,
        }),
        message: t.string({ nullable: false, description: 'For people.', resolve: (v) => v.reason.message }),
        amount: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'The amount concerned, when there is one.',
          resolve: (v) => money(v.reason.amount, v.currency) as never,
        }),
        count: t.int({
          nullable: true,
          description: 'The count concerned (FTDs), when there is one.',
          resolve: (v) => v.reason.count,
        }),
      }),
    })
  const BreakdownRef = builder
    .objectRef<{ e: ExpectedMonth; currency: string }>('ExpectedCommissionBreakdown')
    .implement({
      description:
        'How the expected commission of a month is made up, from the stored statistics and the deal.',
      fields: (t) => ({
        ftds: t.int({
          nullable: true,
          description: 'FTDs of the month (null: not reported).',
          resolve: (v) => v.e.ftds,
        }),
        qualifiedCpas: t.int({
          nullable: true,
          description: 'Qualified CPAs as the platform counts them (null: not reported).',
          resolve: (v) => v.e.cpaCount,
        }),
        netRevenue: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'Net revenue of the month.',
          resolve: (v) => money(v.e.netRevenue, v.currency) as never,
        }),
        cpa: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'The CPA part (null: not computable or no CPA).',
          resolve: (v) => money(v.e.cpa, v.currency) as never,
        }),
        revenueShare: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'The revenue-share part.',
          resolve: (v) => money(v.e.revenueShare, v.currency) as never,
        }),
        fees: t.field({
          type: MoneyRef,
          nullable: false,
          description: 'Fixed fees of the month.',
          resolve: (v) => money(v.e.fees, v.currency) as never,
        }),
        carriedIn: t.field({
          type: MoneyRef,
          nullable: false,
          description: 'Negative net revenue carried in from earlier months (0 or less).',
          resolve: (v) => money(v.e.carriedIn, v.currency) as never,
        }),
        carriedOut: t.field({
          type: MoneyRef,
          nullable: false,
          description: 'Negative net revenue carried into the next month (0 or less).',
          resolve: (v) => money(v.e.carriedOut, v.currency) as never,
        }),
        tierPercents: t.field({
          type: ['Decimal'],
          nullable: false,
          description: 'The revenue-share percentages applied, one per version in force.',
          resolve: (v) => v.e.tierPercents,
        }),
        versionsInForce: t.field({
          type: ['Date'],
          nullable: false,
          description: '`validFrom` of each version governing a day of the month.',
          resolve: (v) => v.e.versionsInForce,
        }),
        daysWithData: t.int({
          nullable: false,
          description: 'Days of the month with stored statistics.',
          resolve: (v) => v.e.daysWithData,
        }),
      }),
    })
  const ConversionRef = builder.objectRef<ConversionView>('ReconciliationConversion').implement({
    description:
      'The month’s figures in the report currency, at the rate of the month’s last day (or today, for the current ' +
      'month), the rate shown.',
    fields: (t) => ({
      rate: t.field({
        type: 'Decimal',
        nullable: true,
        description: 'Report-currency units per unit of the program’s currency; null when no rate is stored.',
        resolve: (v) => v.rate,
      }),
      rateDay: t.field({
        type: 'Date',
        nullable: true,
        description: 'Publication day of the rate.',
        resolve: (v) => v.rateDay,
      }),
      owed: t.field({
        type: MoneyRef,
        nullable: true,
        description: 'Owed.',
        resolve: (v) => money(v.amounts.owed, v.currency) as never,
      }),
      expected: t.field({
        type: MoneyRef,
        nullable: true,
        description: 'Expected.',
        resolve: (v) => money(v.amounts.expected, v.currency) as never,
      }),
      paid: t.field({
        type: MoneyRef,
        nullable: true,
        description: 'Paid.',
        resolve: (v) => money(v.amounts.paid, v.currency) as never,
      }),
      outstanding: t.field({
        type: MoneyRef,
        nullable: true,
        description: 'Outstanding.',
        resolve: (v) => money(v.amounts.outstanding, v.currency) as never,
      }),
    }),
  })
  const RowRef = builder
    .objectRef<{ row: ReconciliationRow; reportCurrency: string | null }>('ReconciliationRow')
    .implement({
      description:
        'One program (account, or a brand with its own deal) and month: owed by the program’s own report, ' +
        'expected by the deal, paid, outstanding, and whether it is overdue under the deal’s payment terms. Money ' +
        'is in the program’s currency; `inReportCurrency` converts it.',
      fields: (t) => ({
        account: t.field({
          type: AccountRef,
          nullable: false,
          description: 'The account.',
          resolve: async (v, _, ctx) => (await loadScoped(ctx, Account, [v.row.accountId]))[0] as never,
        }),
        brand: t.string({
          nullable: true,
          description: 'The brand of a brand deal; null for the account.',
          resolve: (v) => (v.row.brand === '' ? null : v.row.brand),
        }),
        deal: t.field({
          type: DealRef,
          nullable: true,
          description: 'The deal; null when none is recorded.',
          resolve: async (v, _, ctx) =>
            (v.row.dealId ? ((await loadScoped(ctx, Deal, [v.row.dealId]))[0] ?? null) : null) as never,
        }),
        month: t.string({ nullable: false, description: 'YYYY-MM.', resolve: (v) => v.row.month }),
        currency: t.field({
          type: 'CurrencyCode',
          nullable: false,
          description: 'The program’s currency: the deal’s, else the account’s.',
          resolve: (v) => v.row.currency,
        }),
        status: t.field({
          type: StatusEnum,
          nullable: false,
          description: 'Where the month stands.',
          resolve: (v) => v.row.status,
        }),
        owed: t.field({
          type: MoneyRef,
          nullable: true,
          description:
            'What the program owes: its reported commission, or the expected one where it reports none.',
          resolve: (v) => money(v.row.owed, v.row.currency) as never,
        }),
        owedFrom: t.field({
          type: OwedFromEnum,
          nullable: false,
          description: 'What `owed` stands on.',
          resolve: (v) => v.row.owedFrom,
        }),
        reported: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'Commission the program reported for the month.',
          resolve: (v) => money(v.row.expected?.reported ?? null, v.row.currency) as never,
        }),
        expected: t.field({
          type: MoneyRef,
          nullable: true,
          description:
            'Commission the deal says is owed; null when a term cannot be computed (see `reasons`).',
          resolve: (v) => money(v.row.expected?.expected ?? null, v.row.currency) as never,
        }),
        expectedUpperBound: t.field({
          type: MoneyRef,
          nullable: true,
          description:
            'When `expected` is null for want of a qualified-CPA count: the most the deal could owe.',
          resolve: (v) => money(v.row.expected?.expectedUpperBound ?? null, v.row.currency) as never,
        }),
        difference: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'Reported minus expected: negative when the program reported less than the deal says.',
          resolve: (v) => money(v.row.expected?.difference ?? null, v.row.currency) as never,
        }),
        reasons: t.field({
          type: [ReasonRef],
          nullable: false,
          description: 'Why expected and reported differ, or why one is unknown.',
          resolve: (v) =>
            (v.row.expected?.reasons ?? []).map((reason) => ({ reason, currency: v.row.currency })),
        }),
        breakdown: t.field({
          type: BreakdownRef,
          nullable: true,
          description: 'How the expected commission is made up.',
          resolve: (v) => (v.row.expected ? { e: v.row.expected, currency: v.row.currency } : null),
        }),
        paid: t.field({
          type: MoneyRef,
          nullable: false,
          description: 'Paid for the month, converted into the program’s currency at each payment’s day.',
          resolve: (v) => money(v.row.paid, v.row.currency) as never,
        }),
        outstanding: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'Owed minus paid.',
          resolve: (v) => money(v.row.outstanding, v.row.currency) as never,
        }),
        dueOn: t.field({
          type: 'Date',
          nullable: false,
          description:
            'When the month’s commission is due: its last day plus the deal’s payment terms (30 without a deal).',
          resolve: (v) => v.row.dueOn,
        }),
        daysOverdue: t.int({
          nullable: false,
          description: 'Days past `dueOn` with money outstanding (0 when not overdue).',
          resolve: (v) => v.row.daysOverdue,
        }),
        payments: t.field({
          type: [PaymentRef],
          nullable: false,
          description: 'The payments for the month.',
          resolve: async (v, _, ctx) =>
            (
              await loadScoped(
                ctx,
                Payment,
                v.row.payments.map((p) => p.id),
              )
            ).filter((p) => p !== null) as never,
        }),
        statisticsFrom: t.field({
          type: 'Date',
          nullable: true,
          description:
            'When the account’s synced history starts inside the month (a backfill that began mid-month): its ' +
            'first synced day. Owed and expected then cover only the days since, while a program’s payment covers ' +
            'the whole month; fetch the older days to compare the whole month.',
          resolve: (v) => v.row.statisticsFrom,
        }),
        unconvertedPayments: t.int({
          nullable: false,
          description: 'Payments in another currency with no stored rate: left out of `paid`.',
          resolve: (v) => v.row.unconvertedPayments,
        }),
        inReportCurrency: t.field({
          type: ConversionRef,
          nullable: true,
          description: 'The figures in the report currency asked for; null when none was asked for.',
          resolve: async (v, _, ctx) => {
            if (!v.reportCurrency) return null
            const row = v.row
            const today = platformToday('UTC', ctx.services.clock.now())
            const end = monthEnd(row.month)
            const day = [end, today].sort()[0] as string
            const amounts = {
              owed: row.owed,
              expected: row.expected?.expected ?? null,
              paid: row.paid,
              outstanding: row.outstanding,
            }
            if (row.currency === v.reportCurrency)
              return { currency: v.reportCurrency, rate: '1', rateDay: null, amounts }
            const c = await convertAmount(ctx.services.db, {
              amount: '1',
              currency: row.currency,
              day,
              reportCurrency: v.reportCurrency,
            })
            const times = (a: string | null) => (a === null || c.factor === null ? null : mul(a, c.factor))
            return {
              currency: v.reportCurrency,
              rate: c.factor,
              rateDay: c.rateDay,
              amounts: {
                owed: times(amounts.owed),
                expected: times(amounts.expected),
                paid: times(amounts.paid),
                outstanding: times(amounts.outstanding),
              },
            }
          },
        }),
      }),
    })
  const ReportRef = builder
    .objectRef<{ rows: ReconciliationRow[]; reportCurrency: string | null }>('Reconciliation')
    .implement({
      description: 'Owed, expected, paid and outstanding per program and month.',
      fields: (t) => ({
        rows: t.field({
          type: [RowRef],
          nullable: false,
          description:
            'One per program and month with statistics, a deal or a payment, by account then month; at most ' +
            `${MAX_MONTHS} months.`,
          resolve: (v) => v.rows.map((row) => ({ row, reportCurrency: v.reportCurrency })),
        }),
      }),
    })
  builder.queryField('reconciliation', (t) =>
    t.field({
      type: ReportRef,
      nullable: false,
      description:
        'What each program owes (its report), should owe (its deal), paid and still owes, per month. Computed from ' +
        'the stored statistics, deals and payments when asked.',
      args: {
        fromMonth: t.arg.string({ required: true, description: 'First month, YYYY-MM.' }),
        toMonth: t.arg.string({ required: true, description: 'Last month, YYYY-MM.' }),
        accountIds: t.arg.globalIDList({
          required: false,
          for: AccountRef as never,
          description: 'Only these accounts.',
          validate: { maxLength: 500 },
        }),
        reportCurrency: t.arg({
          type: 'CurrencyCode',
          required: false,
          description: 'Also state every row in this currency (`inReportCurrency`).',
        }),
      },
      resolve: async (_, args, ctx) => {
        const p = requirePrincipal(ctx)
        const from = checkMonth(['fromMonth'], args.fromMonth)
        const to = checkMonth(['toMonth'], args.toMonth)
        if (from > to) throw invalidArgument(['toMonth'], 'must not be before fromMonth')
        const [fy, fm] = from.split('-').map(Number) as [number, number]
        const [ty, tm] = to.split('-').map(Number) as [number, number]
        if ((ty - fy) * 12 + (tm - fm) + 1 > MAX_MONTHS)
          throw invalidArgument(['toMonth'], `a reconciliation covers at most ${MAX_MONTHS} months`)
        const rows = await reconcile(ctx.services, {
          workspaceId: p.workspaceId,
          fromMonth: from,
          toMonth: to,
          accountIds: args.accountIds?.map((id) => databaseId(id)),
        })
        return { rows, reportCurrency: args.reportCurrency ?? null }
      },
    }),
  )
}

function mul(a: string, b: string): string {
  return new ExactDecimal(a).times(b).toString()
}
