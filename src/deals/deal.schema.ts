import { randomUUID } from 'node:crypto'
import { Decimal as DecimalJs } from 'decimal.js'
import { Account } from '../account/account.entity.ts'
import { evaluateAlerts } from '../alerts/alert-engine.ts'
import { isoDay } from '../db/iso-day.ts'
import { convertAmount } from '../fx/fx-convert.ts'
import type { AppBuilder, GraphQLContext } from '../schema/builder.ts'
import { invalidArgument, latestPlatformDay, requirePrincipal } from '../schema/builder.ts'
import { countedConnection, entityConnection } from '../schema/connections.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { userError } from '../schema/errors.schema.ts'
import { databaseId, toGlobalId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import type { MoneyData } from '../stats/money.schema.ts'
import { platformToday } from '../sync/sync-engine.ts'
import { Workspace } from '../workspace/workspace.entity.ts'
import { Deal, DealVersion, Payment, type PaymentSource } from './deal.entity.ts'
import { type DealTerms, dealTermsSchema, type FeeFrequency, type TierBasis } from './deal-terms.ts'
import type { ExpectedMonth, ExpectedReason } from './expected-commission.ts'
import { importPaymentsCsv, type PaymentImportResult } from './payment-import.ts'
import { fetchPlatformPayments } from './platform-payments.ts'
import {
  monthEnd,
  RECONCILIATION_STATUSES,
  type ReconciliationRow,
  type ReconciliationStatus,
  reconcile,
} from './reconciliation.ts'

const PAGE = 50
/** A reconciliation covers at most two years of months: a statement dispute never reaches further. */
const MAX_MONTHS = 24
const MAX_VERSIONS = 100
/** Shown per reconciliation row; no program pays one month in more instalments. */
const MAX_PAYMENTS_PER_MONTH = 100
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/

const REASON_CODES = [
  'NO_DEAL',
  'TERMS_CHANGED_MID_MONTH',
  'QUALIFIED_COUNT_NOT_REPORTED',
  'FTDS_BELOW_QUALIFICATION',
  'CARRY_OVER_APPLIED',
  'NEGATIVE_MONTH',
  'NET_REVENUE_NOT_REPORTED',
  'FTDS_NOT_REPORTED',
  'COMMISSION_NOT_REPORTED',
] as const satisfies readonly ExpectedReason['code'][]

const REASON_TEXT: Record<(typeof REASON_CODES)[number], string> = {
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

/** Deals and payments decide overdue and short payments: their alerts follow each change at once. */
async function paymentsChanged(ctx: GraphQLContext, workspaceId: string): Promise<void> {
  await evaluateAlerts(ctx.services, { workspaceId, kinds: ['PAYMENT_OVERDUE'] })
}

function checkMonth(path: string[], value: string): string {
  if (!MONTH.test(value)) throw invalidArgument(path, 'must be a month written YYYY-MM, e.g. "2026-11"')
  return value
}

/** Terms as the API takes them, through the same schema as stored ones; issues name their input path. */
function termsFrom(given: Record<string, unknown>): DealTerms {
  const parsed = dealTermsSchema.safeParse(stripNulls(given))
  if (!parsed.success) {
    const [issue] = parsed.error.issues
    throw invalidArgument(
      ['input', 'terms', ...((issue?.path ?? []) as (string | number)[])],
      issue?.message ?? 'invalid',
    )
  }
  return parsed.data
}

/** GraphQL hands omitted optional input fields as undefined or null; zod defaults apply only to undefined. */
function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, stripNulls(v)]),
  )
}

export function registerDealSchema(
  builder: AppBuilder,
  refs: { AccountRef: unknown; MoneyRef: unknown },
  errorTypes: ReturnType<typeof registerErrorTypes>,
) {
  const AccountRef = refs.AccountRef as Parameters<typeof builder.objectField>[0]
  const MoneyRef = refs.MoneyRef as never
  const errors = errorTypes.refs
  const money = (amount: string | null, currency: string): MoneyData | null =>
    amount === null ? null : { exactAmount: amount, currency }

  const TierBasisEnum = builder.enumType('RevenueShareTierBasis', {
    description: 'What decides the revenue-share tier of a month.',
    values: {
      FTDS: { description: 'The month’s first-time depositors.' },
      NET_REVENUE: { description: 'The month’s net revenue, in the deal’s currency.' },
    } as const satisfies Record<TierBasis, unknown>,
  })
  const FeeFrequencyEnum = builder.enumType('FixedFeeFrequency', {
    description: 'How often a fixed fee is owed.',
    values: {
      MONTHLY: { description: 'Every month the version is in force on the month’s last day.' },
      ONCE: { description: 'Once, in the month the version starts.' },
    } as const satisfies Record<FeeFrequency, unknown>,
  })
  const SourceEnum = builder.enumType('PaymentSource', {
    description: 'Where a payment record came from.',
    values: {
      MANUAL: { description: 'Entered by hand.' },
      CSV: { description: 'Imported from a CSV statement (bank or program).' },
      PLATFORM: { description: 'Read from the platform’s own payment or invoice report.' },
    } as const satisfies Record<PaymentSource, unknown>,
  })
  const StatusEnum = builder.enumType('ReconciliationStatus', {
    description: 'Where a month of a program stands between owed and paid.',
    values: Object.fromEntries(
      RECONCILIATION_STATUSES.map((s) => [s, { description: STATUS_TEXT[s] }]),
    ) as Record<ReconciliationStatus, { description: string }>,
  })
  const ReasonCodeEnum = builder.enumType('CommissionDifferenceCode', {
    description: 'Why what the deal says and what the program reported can differ.',
    values: Object.fromEntries(REASON_CODES.map((c) => [c, { description: REASON_TEXT[c] }])) as Record<
      (typeof REASON_CODES)[number],
      { description: string }
    >,
  })
  const OwedFromEnum = builder.enumType('OwedFrom', {
    description: 'What the owed figure of a month stands on.',
    values: {
      REPORTED: { description: 'The commission the program reported.' },
      EXPECTED: { description: 'The deal’s expected commission (the program reports none).' },
      NONE: { description: 'Neither is known.' },
    } as const,
  })

  // ---- terms (output) ----------------------------------------------------------------------------------------
  type Terms = DealTerms
  const QualificationRef = builder
    .objectRef<{ q: NonNullable<Terms['cpa']>['qualification']; currency: string }>('CpaQualification')
    .implement({
      description:
        'What a first-time depositor must do before the CPA is paid. Checked through the platform’s own count of ' +
        'qualified CPAs: stored statistics are daily totals, not players.',
      fields: (t) => ({
        minFirstDeposit: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'Smallest first deposit that counts.',
          resolve: (v) => money(v.q.minFirstDeposit, v.currency) as never,
        }),
        minWagering: t.field({
          type: MoneyRef,
          nullable: true,
          description: 'Wagering the player must reach.',
          resolve: (v) => money(v.q.minWagering, v.currency) as never,
        }),
        activity: t.string({
          nullable: true,
          description: 'Any other condition, as the deal sheet words it.',
          resolve: (v) => v.q.activity,
        }),
        countries: t.stringList({
          nullable: false,
          description: 'ISO 3166-1 alpha-2 countries whose players qualify; empty: every country.',
          resolve: (v) => v.q.countries,
        }),
      }),
    })
  const CpaRef = builder
    .objectRef<{ cpa: NonNullable<Terms['cpa']>; currency: string }>('CpaTerm')
    .implement({
      description: 'A fixed amount per qualified first-time depositor.',
      fields: (t) => ({
        amount: t.field({
          type: MoneyRef,
          nullable: false,
          description: 'Paid per qualified CPA.',
          resolve: (v) => money(v.cpa.amount, v.currency) as never,
        }),
        qualification: t.field({
          type: QualificationRef,
          nullable: false,
          description: 'The conditions; all empty when every FTD qualifies.',
          resolve: (v) => ({ q: v.cpa.qualification, currency: v.currency }),
        }),
      }),
    })
  const TierRef = builder.objectRef<{ from: string; percent: string }>('RevenueShareTier').implement({
    description:
      'From this month total of the tier basis upwards, this share of the whole month’s net revenue.',
    fields: (t) => ({
      from: t.field({
        type: 'Decimal',
        nullable: false,
        description: 'Threshold (inclusive).',
        resolve: (v) => v.from,
      }),
      percent: t.field({
        type: 'Decimal',
        nullable: false,
        description: 'Share, in percent.',
        resolve: (v) => v.percent,
      }),
    }),
  })
  const RevShareRef = builder.objectRef<NonNullable<Terms['revenueShare']>>('RevenueShareTerm').implement({
    description: 'A share of net revenue, by tiers.',
    fields: (t) => ({
      tierBasis: t.field({
        type: TierBasisEnum,
        nullable: false,
        description: 'What decides the tier.',
        resolve: (v) => v.tierBasis,
      }),
      tiers: t.field({
        type: [TierRef],
        nullable: false,
        description: 'Ascending tiers.',
        resolve: (v) => v.tiers,
      }),
      negativeCarryOver: t.boolean({
        nullable: false,
        description: 'Whether a negative month is carried into the next months before any share is paid.',
        resolve: (v) => v.negativeCarryOver,
      }),
    }),
  })
  const FeeRef = builder
    .objectRef<{ fee: Terms['fixedFees'][number]; currency: string }>('FixedFee')
    .implement({
      description: 'A fixed amount the program pays besides commission (a listing fee, a tenancy).',
      fields: (t) => ({
        label: t.string({ nullable: false, description: 'What it is for.', resolve: (v) => v.fee.label }),
        amount: t.field({
          type: MoneyRef,
          nullable: false,
          description: 'The amount.',
          resolve: (v) => money(v.fee.amount, v.currency) as never,
        }),
        frequency: t.field({
          type: FeeFrequencyEnum,
          nullable: false,
          description: 'How often.',
          resolve: (v) => v.fee.frequency,
        }),
      }),
    })
  const TermsRef = builder.objectRef<Terms>('DealTerms').implement({
    description:
      'The commission terms of one version of a deal: CPA, revenue share, both (a hybrid), and fixed fees, in the ' +
      'deal’s currency.',
    fields: (t) => ({
      currency: t.field({
        type: 'CurrencyCode',
        nullable: false,
        description: 'The currency the deal states amounts in.',
        resolve: (v) => v.currency,
      }),
      cpa: t.field({
        type: CpaRef,
        nullable: true,
        description: 'The CPA part, if any.',
        resolve: (v) => (v.cpa ? { cpa: v.cpa, currency: v.currency } : null),
      }),
      revenueShare: t.field({
        type: RevShareRef,
        nullable: true,
        description: 'The revenue-share part, if any.',
        resolve: (v) => v.revenueShare,
      }),
      fixedFees: t.field({
        type: [FeeRef],
        nullable: false,
        description: 'Fixed fees, at most 20.',
        resolve: (v) => v.fixedFees.map((fee) => ({ fee, currency: v.currency })),
      }),
      paymentTermsDays: t.int({
        nullable: false,
        description: 'Days after a month’s end by which its commission is due (net 30: 30).',
        resolve: (v) => v.paymentTermsDays,
      }),
      minimumPayout: t.field({
        type: MoneyRef,
        nullable: true,
        description: 'Below this a month’s commission is carried into a later payment.',
        resolve: (v) => money(v.minimumPayout, v.currency) as never,
      }),
    }),
  })

  // ---- deals -------------------------------------------------------------------------------------------------
  const readTerms = (version: DealVersion): Terms | null => {
    const parsed = dealTermsSchema.safeParse(version.terms)
    return parsed.success ? parsed.data : null
  }
  const versionsOf = (ctx: GraphQLContext, dealId: string) =>
    ctx.em.find(DealVersion, { deal: dealId }, { orderBy: { validFrom: 'asc' } })

  const VersionRef = builder.objectRef<DealVersion>('DealVersion').implement({
    description:
      'The terms of a deal from `validFrom` until the day before the next version starts. Versions are never ' +
      'edited: a change of terms is a new version, so the terms in force on any day stay on record.',
    fields: (t) => ({
      validFrom: t.field({
        type: 'Date',
        nullable: false,
        description: 'First platform day the terms govern.',
        resolve: (v) => isoDay(v.validFrom as never),
      }),
      validTo: t.field({
        type: 'Date',
        nullable: true,
        description: 'Last day they govern; null while they are the latest.',
        resolve: async (v, _, ctx) => {
          const next = await ctx.em.findOne(
            DealVersion,
            { deal: v.deal.id, validFrom: { $gt: v.validFrom } },
            { orderBy: { validFrom: 'asc' } },
          )
          if (!next) return null
          const d = new Date(`${isoDay(next.validFrom as never)}T00:00:00Z`)
          return new Date(d.getTime() - 86_400_000).toISOString().slice(0, 10)
        },
      }),
      terms: t.field({
        type: TermsRef,
        nullable: true,
        description: 'The terms; null only if a stored version no longer reads as valid terms.',
        resolve: (v) => readTerms(v),
      }),
      note: t.exposeString('note', {
        nullable: true,
        description: 'Where the terms come from (an insertion order, an email): the proof.',
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the version was recorded.',
        resolve: (v) => v.createdAt,
      }),
    }),
  })
  builder.nodeRef<DealVersion, string, typeof VersionRef>(VersionRef, {
    id: { resolve: (v) => v.id, description: 'Global id of the version.' },
    loadMany: (ids, ctx) => loadScoped(ctx, DealVersion, ids),
  })

  const DealRef = builder.objectRef<Deal>('Deal').implement({
    description:
      'The commission deal of an account, or of one of its brands: dated versions of its terms. A brand’s deal ' +
      'covers that brand’s statistics; the account’s deal covers every brand without a deal of its own.',
    fields: (t) => ({
      account: t.field({
        type: AccountRef,
        nullable: false,
        description: 'The account.',
        resolve: async (d, _, ctx) => (await loadScoped(ctx, Account, [d.account.id]))[0] as never,
      }),
      brand: t.string({
        nullable: true,
        description: 'The brand as the platform reports it; null for the whole account.',
        resolve: (d) => (d.brand === '' ? null : d.brand),
      }),
      versions: t.field({
        type: [VersionRef],
        nullable: false,
        description: 'Every version, oldest first.',
        resolve: (d, _, ctx) => versionsOf(ctx, d.id),
      }),
      termsOn: t.field({
        type: VersionRef,
        nullable: true,
        description: 'The version in force on a day; null before the first.',
        args: { day: t.arg({ type: 'Date', required: true, description: 'A platform day.' }) },
        resolve: (d, { day }, ctx) =>
          ctx.em.findOne(
            DealVersion,
            { deal: d.id, validFrom: { $lte: day } },
            { orderBy: { validFrom: 'desc' } },
          ),
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the deal was first recorded.',
        resolve: (d) => d.createdAt,
      }),
    }),
  })
  builder.nodeRef<Deal, string, typeof DealRef>(DealRef, {
    id: { resolve: (d) => d.id, description: 'Global id of the deal.' },
    loadMany: (ids, ctx) => loadScoped(ctx, Deal, ids),
  })

  const DealFilter = builder.inputType('DealFilter', {
    description: 'Which deals to list.',
    fields: (t) => ({
      accountIds: t.globalIDList({
        required: false,
        for: AccountRef as never,
        description: 'Only deals of these accounts.',
        validate: { maxLength: 500 },
      }),
    }),
  })
  builder.queryField('deals', (t) =>
    t.connection(
      {
        type: DealRef,
        nullable: false,
        description: `The deals of the workspace, oldest first; ${PAGE} a page unless \`first\` or \`last\` says.`,
        extensions: { defaultPageSize: PAGE },
        args: { filter: t.arg({ type: DealFilter, required: false, description: 'Which deals.' }) },
        resolve: (_, args, ctx) => {
          requirePrincipal(ctx)
          const ids = args.filter?.accountIds?.map((id) => databaseId(id))
          return entityConnection(ctx, Deal, ids ? { account: { $in: ids } } : {}, args, {
            order: 'asc',
            defaultSize: PAGE,
            cursorPrefix: 'deal',
          })
        },
      },
      countedConnection('DealConnection', 'A page of deals.', 'Deals matching the filter, on every page.'),
      { name: 'DealEdge', description: 'A deal and its cursor.' },
    ),
  )

  const QualificationInput = builder.inputType('CpaQualificationInput', {
    description: 'CPA conditions; omit all for a CPA paid on every FTD.',
    fields: (t) => ({
      minFirstDeposit: t.field({ type: 'Decimal', required: false, description: 'Smallest first deposit.' }),
      minWagering: t.field({ type: 'Decimal', required: false, description: 'Wagering to reach.' }),
      activity: t.string({
        required: false,
        description: 'Any other condition, in words (≤ 300 characters).',
      }),
      countries: t.stringList({
        required: false,
        description: 'ISO 3166-1 alpha-2 countries that qualify.',
        validate: { maxLength: 250 },
      }),
    }),
  })
  const CpaInput = builder.inputType('CpaTermInput', {
    description: 'A CPA: an amount per qualified first-time depositor.',
    fields: (t) => ({
      amount: t.field({ type: 'Decimal', required: true, description: 'Per qualified CPA, more than 0.' }),
      qualification: t.field({ type: QualificationInput, required: false, description: 'Conditions.' }),
    }),
  })
  const TierInput = builder.inputType('RevenueShareTierInput', {
    description: 'One tier.',
    fields: (t) => ({
      from: t.field({
        type: 'Decimal',
        required: true,
        description: 'Threshold, inclusive; the first is 0.',
      }),
      percent: t.field({ type: 'Decimal', required: true, description: 'Share in percent, 0 to 100.' }),
    }),
  })
  const RevShareInput = builder.inputType('RevenueShareTermInput', {
    description: 'A tiered revenue share.',
    fields: (t) => ({
      tierBasis: t.field({ type: TierBasisEnum, required: false, description: 'Default FTDS.' }),
      tiers: t.field({
        type: [TierInput],
        required: true,
        description: 'Ascending tiers, 1 to 20; one tier for a flat share.',
        validate: { maxLength: 20 },
      }),
      negativeCarryOver: t.boolean({ required: false, description: 'Default false.' }),
    }),
  })
  const FeeInput = builder.inputType('FixedFeeInput', {
    description: 'A fixed fee.',
    fields: (t) => ({
      label: t.string({ required: true, description: 'What it is for (≤ 120 characters).' }),
      amount: t.field({ type: 'Decimal', required: true, description: 'More than 0.' }),
      frequency: t.field({ type: FeeFrequencyEnum, required: false, description: 'Default MONTHLY.' }),
    }),
  })
  const TermsInput = builder.inputType('DealTermsInput', {
    description: 'Commission terms: at least one of `cpa`, `revenueShare` or a fixed fee.',
    fields: (t) => ({
      currency: t.field({ type: 'CurrencyCode', required: true, description: 'Currency of the amounts.' }),
      cpa: t.field({ type: CpaInput, required: false, description: 'The CPA part.' }),
      revenueShare: t.field({ type: RevShareInput, required: false, description: 'The revenue-share part.' }),
      fixedFees: t.field({
        type: [FeeInput],
        required: false,
        description: 'Fixed fees, at most 20.',
        validate: { maxLength: 20 },
      }),
      paymentTermsDays: t.int({
        required: false,
        description: 'Net days after month end, 0 to 365; default 30.',
      }),
      minimumPayout: t.field({ type: 'Decimal', required: false, description: 'Minimum payout, ≥ 0.' }),
    }),
  })
  const SetTermsInput = builder.inputType('SetDealTermsInput', {
    description: 'New terms for an account (or one of its brands) from a day on.',
    fields: (t) => ({
      accountId: t.globalID({ required: true, for: AccountRef as never, description: 'The account.' }),
      brand: t.string({
        required: false,
        description:
          'The brand, as the platform reports it, for a brand with its own deal; omit for the account.',
        validate: { maxLength: 200 },
      }),
      validFrom: t.field({
        type: 'Date',
        required: true,
        description: 'First platform day the terms govern.',
      }),
      terms: t.field({ type: TermsInput, required: true, description: 'The terms.' }),
      note: t.string({
        required: false,
        description: 'Where they come from (≤ 500 characters): an IO, an email, a screenshot’s name.',
        validate: { maxLength: 500 },
      }),
    }),
  })
  const SetTermsSuccess = builder
    .objectRef<{ deal: Deal; version: DealVersion }>('SetDealTermsSuccess')
    .implement({
      description: 'The terms are recorded as a new version; earlier versions are unchanged.',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'SetDealTermsSuccess',
      fields: (t) => ({
        deal: t.field({ type: DealRef, nullable: false, description: 'The deal.', resolve: (v) => v.deal }),
        version: t.field({
          type: VersionRef,
          nullable: false,
          description: 'The new version.',
          resolve: (v) => v.version,
        }),
      }),
    })

  const accountOf = async (ctx: GraphQLContext, id: unknown, path: (string | number)[]) => {
    const [account] = await loadScoped(ctx, Account, [databaseId(id)])
    if (!account) throw invalidArgument(path, 'no account with this id in your workspace')
    return account
  }
  const brandOf = (brand: string | null | undefined) => (brand ?? '').trim()

  builder.mutationField('setDealTerms', (t) =>
    t.field({
      type: builder.unionType('SetDealTermsResult', {
        description: 'The new version, or why none was recorded.',
        types: [SetTermsSuccess, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description:
        'Records the terms of an account’s (or a brand’s) deal from a day on. The deal is created with its first ' +
        'version; a later call adds a version, so the terms in force before stay on record.',
      args: {
        input: t.arg({ type: SetTermsInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const account = await accountOf(ctx, input.accountId, ['input', 'accountId'])
        const terms = termsFrom(input.terms as Record<string, unknown>)
        const brand = brandOf(input.brand)
        const now = ctx.services.clock.now()
        let deal = await ctx.em.findOne(Deal, { account: account.id, brand })
        if (!deal) {
          deal = ctx.em.create(Deal, {
            id: randomUUID(),
            workspace: ctx.em.getReference(Workspace, p.workspaceId),
            account,
            brand,
            createdAt: now,
            updatedAt: now,
          })
        } else if (await ctx.em.count(DealVersion, { deal: deal.id, validFrom: input.validFrom })) {
          throw invalidArgument(
            ['input', 'validFrom'],
            'a version of this deal already starts on this day; delete it first to replace it',
          )
        } else if ((await ctx.em.count(DealVersion, { deal: deal.id })) >= MAX_VERSIONS) {
          throw invalidArgument(['input', 'validFrom'], `a deal keeps at most ${MAX_VERSIONS} versions`)
        }
        deal.updatedAt = now
        const version = ctx.em.create(DealVersion, {
          id: randomUUID(),
          workspace: ctx.em.getReference(Workspace, p.workspaceId),
          deal,
          validFrom: input.validFrom,
          terms: terms as unknown as Record<string, unknown>,
          note: input.note?.trim() || null,
          createdAt: now,
        })
        await ctx.em.flush()
        await paymentsChanged(ctx, p.workspaceId)
        return { __typename: 'SetDealTermsSuccess', deal, version }
      },
    }),
  )

  const DeleteVersionInput = builder.inputType('DeleteDealVersionInput', {
    description: 'Which version to delete (a version recorded by mistake).',
    fields: (t) => ({
      id: t.globalID({ required: true, for: VersionRef, description: 'The version, as `DealVersion.id`.' }),
    }),
  })
  const DeleteVersionSuccess = builder
    .objectRef<{ versionId: string; deal: Deal | null }>('DeleteDealVersionSuccess')
    .implement({
      description: 'The version is deleted; the one before it governs its days again.',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'DeleteDealVersionSuccess',
      fields: (t) => ({
        dealVersionId: t.id({
          nullable: false,
          description: 'Global id the version had.',
          resolve: (v) => toGlobalId('DealVersion', v.versionId),
        }),
        deal: t.field({
          type: DealRef,
          nullable: true,
          description: 'The deal; null when its last version was deleted, which deletes the deal.',
          resolve: (v) => v.deal,
        }),
      }),
    })
  builder.mutationField('deleteDealVersion', (t) =>
    t.field({
      type: builder.unionType('DeleteDealVersionResult', {
        description: 'What was deleted, or why nothing was.',
        types: [DeleteVersionSuccess, errors.DealNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Deletes one version of a deal (and the deal with its last version).',
      args: {
        input: t.arg({
          type: DeleteVersionInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const [version] = await loadScoped(ctx, DealVersion, [databaseId(input.id)])
        if (!version)
          return userError('DealNotFoundError', 'DEAL_NOT_FOUND', 'Deal version not found.', [
            { path: ['input', 'id'], message: 'no deal version with this id in your workspace' },
          ])
        const versionId = version.id
        const deal = await ctx.em.findOneOrFail(Deal, { id: version.deal.id })
        await ctx.em.remove(version).flush()
        const left = await ctx.em.count(DealVersion, { deal: deal.id })
        if (left === 0) await ctx.em.remove(deal).flush()
        await paymentsChanged(ctx, p.workspaceId)
        return { __typename: 'DeleteDealVersionSuccess', versionId, deal: left === 0 ? null : deal }
      },
    }),
  )

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
            v.row.dealId ? ((await loadScoped(ctx, Deal, [v.row.dealId]))[0] ?? null) : null,
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

  return { DealRef, PaymentRef }
}

/** Exact enough for any amount times an exchange factor of 20-odd digits (the default keeps 20 digits). */
const Exact = DecimalJs.clone({ precision: 200 })

function mul(a: string, b: string): string {
  return new Exact(a).times(b).toString()
}
