import { randomUUID } from 'node:crypto'
import { Account } from '../account/account.entity.ts'
import { isoDay } from '../db/iso-day.ts'
import type { AppBuilder, GraphQLContext } from '../schema/builder.ts'
import { invalidArgument, requirePrincipal } from '../schema/builder.ts'
import { countedConnection, entityConnection } from '../schema/connections.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { userError } from '../schema/errors.schema.ts'
import { databaseId, toGlobalId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import { moneyOf } from '../stats/money.schema.ts'
import { Workspace } from '../workspace/workspace.entity.ts'
import { Deal, DealVersion } from './deal.entity.ts'
import { accountOf, brandOf, PAGE, paymentsChanged } from './deal-schema-support.ts'
import { type DealTerms, dealTermsSchema, type FeeFrequency, type TierBasis } from './deal-terms.ts'

const MAX_VERSIONS = 100

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
  const money = moneyOf
  const errors = errorTypes.refs

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

  return { DealRef }
}
