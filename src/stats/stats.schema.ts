import { cursorToOffset, resolveArrayConnection } from '@pothos/plugin-relay'
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql'
import { Account } from '../account/account.entity.ts'
import type { registerAccountSchema } from '../account/account.schema.ts'
import { METRIC_DESCRIPTIONS, type registerPlatformSchema } from '../platform/platform.schema.ts'
import type { AppBuilder, GraphQLContext } from '../schema/builder.ts'
import { invalidArgument, requirePrincipal } from '../schema/builder.ts'
import { checkPageArgs, countedConnection, keysetConnection, type PageArgs } from '../schema/connections.ts'
import { doNotCache } from '../schema/response-cache.ts'
import { COUNT_METRICS, METRICS, type Metric, MONEY_METRICS } from '../sdk/index.ts'
import { fetchMissing } from '../sync/on-demand-fetch.ts'
import type { SyncRun } from '../sync/sync.entity.ts'
import type { registerSyncSchema } from '../sync/sync.schema.ts'
import { moneyOf, RATIO_DIGITS, registerMoneySchema, roundedRatio } from './money.schema.ts'
import { statsRunner } from './statement-coalescing.ts'
import { accountByIdLoader, accountStatsLoader } from './stats.loader.ts'
import {
  countStatChanges,
  type FxConversion,
  listStatChanges,
  type MoneyBreakdown,
  openChangeId,
  queryStats,
  type StatChangeData,
  type StatChangesFilter,
  type StatsFigures,
  type StatsInput,
  type StatsResult,
  type StatsRowData,
  statChangesFilterSchema,
  statsInputSchema,
  toStatsQuery,
} from './stats.service.ts'
import { rememberScope, resultSettledThrough, rowSettled } from './stats-settled.ts'
import type { StatsQuery } from './stats-sql.ts'

type AccountRefs = ReturnType<typeof registerAccountSchema>

export interface StatsSchemaRefs {
  SyncRunRef: ReturnType<typeof registerSyncSchema>['SyncRunRef']
  AccountRef: AccountRefs['AccountRef']
  platforms: ReturnType<typeof registerPlatformSchema>
}

/** Revisions on a page of `Query.changes` when neither `first` nor `last` is given. */
const CHANGES_PAGE = 50

/** Query arguments report INVALID_ARGUMENT (credential inputs keep CREDENTIALS_INVALID). */
const ARGUMENT_ERRORS = { validationErrorCode: 'INVALID_ARGUMENT' }

const PLATFORM_DAYS =
  'Days are platform days: each account counts its days in its own reporting time zone (`Account.timeZone`), ' +
  'so one day of a program in UTC and one of a program in America/New_York are different instants.'

/** The hops of the rows connection down to a row: a row's figures count as `rows.<figure>` through either. */
const ROW_PAGE_HOPS: Record<string, string> = {
  'rows.nodes': 'rows',
  'rows.edges': 'rows.edges',
  'rows.edges.node': 'rows',
}

/**
 * Paths of the fields selected below the resolving field ('totals', 'rows.accountsContributing', …), through
 * fragments. @skip/@include are not evaluated, so a path may be reported that ends up skipped: the statement
 * then computes a little more than needed, never less.
 */
function selectedPaths(info: GraphQLResolveInfo, depth = 2): Set<string> {
  const paths = new Set<string>()
  const visit = (set: SelectionSetNode | undefined, prefix: string, level: number) => {
    if (!set || level > depth) return
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const path = prefix ? `${prefix}.${selection.name.value}` : selection.name.value
        paths.add(path)
        const hop = ROW_PAGE_HOPS[path]
        visit(selection.selectionSet, hop ?? path, hop ? level : level + 1)
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, prefix, level)
      } else {
        visit(info.fragments[selection.name.value]?.selectionSet, prefix, level)
      }
    }
  }
  for (const node of info.fieldNodes) visit(node.selectionSet, '', 1)
  return paths
}

/** Ratios and breakdowns, and the metrics each needs summed. */
const NEEDS: Record<string, readonly Metric[]> = {
  epc: ['commission', 'clicks'],
  clickToSignup: ['signups', 'clicks'],
  signupToFtd: ['ftds', 'signups'],
  native: MONEY_METRICS,
  conversions: MONEY_METRICS,
}

/** The metrics a `stats` answer shows, in its rows or its totals, directly or through a ratio or breakdown. */
function metricsSelected(selected: Set<string>): Metric[] {
  const shown = (field: string) => selected.has(`rows.${field}`) || selected.has(`totals.${field}`)
  const metrics = new Set<Metric>(METRICS.filter(shown))
  for (const [field, needs] of Object.entries(NEEDS)) if (shown(field)) for (const m of needs) metrics.add(m)
  return [...metrics]
}

/** The query a `stats` field runs: its input, and only the work its selection needs. */
function plannedQuery(input: StatsInput, info: GraphQLResolveInfo): StatsQuery {
  // The grand total and the distinct-account counts cost extra work in the statement: only when asked.
  const selected = selectedPaths(info)
  return {
    ...toStatsQuery(input),
    totals: selected.has('totals'),
    accounts: selected.has('rows.accountsContributing') || selected.has('totals.accountsContributing'),
    native: selected.has('rows.native') || selected.has('totals.native'),
    conversions: selected.has('rows.conversions') || selected.has('totals.conversions'),
    metrics: metricsSelected(selected),
  }
}

/** Rows in a page of a stats answer: a dashboard's table in one page, a long breakdown in a few. */
export const STATS_ROWS_PAGE = 1000

/** A page of an answer's rows by offset; refusals name their argument like every connection's. */
function rowsPage(rows: StatsRowData[], args: PageArgs) {
  checkPageArgs(args, STATS_ROWS_PAGE)
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name]
    if (cursor == null) continue
    const offset = (() => {
      try {
        return cursorToOffset(cursor)
      } catch {
        return Number.NaN
      }
    })()
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw invalidArgument([name], 'not a cursor of these rows')
  }
  const page = resolveArrayConnection(
    {
      args: {
        first: args.first ?? undefined,
        last: args.last ?? undefined,
        after: args.after ?? undefined,
        before: args.before ?? undefined,
      },
      defaultSize: STATS_ROWS_PAGE,
      maxSize: STATS_ROWS_PAGE,
    },
    rows,
  )
  // As every connection of the API: no cursors on an empty page.
  return page.edges.length === 0
    ? { ...page, pageInfo: { ...page.pageInfo, startCursor: null, endCursor: null } }
    : page
}

/** More accounts than this in one request would hold the answer for minutes behind the platforms' rate limits. */
export const MAX_FETCH_ACCOUNTS = 100

export function registerStatsSchema(builder: AppBuilder, refs: StatsSchemaRefs) {
  const { AccountRef, platforms } = refs

  // --- enums and inputs ---------------------------------------------------------------------------------------
  const GranularityEnum = builder.enumType('StatsGranularity', {
    description: 'Length of the periods rows are summed over.',
    values: {
      DAY: { description: 'One row per platform day.' },
      WEEK: { description: 'ISO weeks, Monday to Sunday.' },
      MONTH: { description: 'Calendar months.' },
      YEAR: { description: 'Calendar years.' },
      TOTAL: { description: 'The whole range as one period.' },
    },
  })
  const DimensionEnum = builder.enumType('StatsDimension', {
    description: 'What rows are grouped by, besides the period.',
    values: {
      ACCOUNT: { description: 'Each connected account.' },
      PROGRAM: {
        description:
          "The account's program name (`Account.programName`: the user's, else the platform's) or, when it has " +
          'none, its label. Never a host name. Accounts with neither share the group whose `program` is null.',
      },
      PLATFORM: { description: 'The platform (plugin id).' },
      BRAND: { description: 'Brand breakdown inside the reports; null where the platform gives none.' },
      CAMPAIGN: { description: 'Campaign (tracker, sub-ID) breakdown; null where the platform gives none.' },
      TAG: {
        description:
          "The account's tags: an account with several tags counts in each of its tags' groups (so rows may add " +
          'up to more than the totals, which count each account once); an untagged account is in the group whose ' +
          '`tag` is null. With a `tags` filter, only the filtered tags form groups.',
      },
    },
  })
  const FxPolicyEnum = builder.enumType('FxPolicy', {
    description: 'Which reference rate converts an amount into the report currency.',
    values: {
      DAILY: {
        description:
          "Each day's amounts at that day's rate (the latest publication on or before the day, at most 7 days old).",
      },
      PERIOD_END: {
        description:
          "Every day of a period (of the query's granularity) at the rate of the period's last day, capped at the " +
          'end of the range.',
      },
      FIXED_DATE: { description: 'Every amount at the rate of one given date (`fx.date`).' },
    },
  })
  const FxSourceEnum = builder.enumType('FxSource', {
    description: 'Publisher of the stored reference rates.',
    values: {
      ECB: { value: 'ECB', description: 'The European Central Bank euro reference rates.' },
      ECB_SIMULATED: {
        value: 'ECB-SIMULATED',
        description: 'Rates of the local ECB simulator (demo and tests), never real ECB data.',
      },
    },
  })
  const FxMissingReasonEnum = builder.enumType('FxMissingReason', {
    description: 'Why an amount could not be converted. A missing rate is never guessed.',
    values: {
      NO_RATE: {
        description: 'The currency is known, but no rate was published close enough before the day.',
      },
      UNKNOWN_CURRENCY: {
        description: 'No rate was ever stored for this currency (or for the report currency).',
      },
    },
  })

  const StatsRangeInput = builder.inputType('StatsRangeInput', {
    description: `An inclusive range of days, at most ten years long. ${PLATFORM_DAYS}`,
    fields: (t) => ({
      from: t.field({ type: 'Date', required: true, description: 'First platform day, included.' }),
      to: t.field({ type: 'Date', required: true, description: 'Last platform day, included.' }),
    }),
  })
  const FxOptionsInput = builder.inputType('FxOptionsInput', {
    description: 'How amounts are converted into the report currency.',
    fields: (t) => ({
      policy: t.field({
        type: FxPolicyEnum,
        required: false,
        defaultValue: 'DAILY',
        description: "Which day's rate converts each amount.",
      }),
      date: t.field({
        type: 'Date',
        required: false,
        description: 'FIXED_DATE only: the day whose rates apply.',
      }),
      source: t.field({
        type: FxSourceEnum,
        required: false,
        description: "Only this publisher's rates; by default ECB, else the simulator's for a day ECB lacks.",
      }),
    }),
  })
  const StatsFilterInput = builder.inputType('StatsFilterInput', {
    description: 'Restricts the stats; conditions of different fields must all hold.',
    fields: (t) => ({
      accountIds: t.globalIDList({
        required: false,
        for: AccountRef,
        description: 'Only these accounts, as `Account.id` (at most 1000).',
      }),
      platformIds: t.stringList({ required: false, description: 'Only accounts on these platforms.' }),
      tags: t.stringList({ required: false, description: 'Only accounts carrying any of these tags.' }),
      brands: t.stringList({
        required: false,
        description: 'Only these brands (as the platform names them).',
      }),
      campaigns: t.stringList({ required: false, description: 'Only these campaigns.' }),
    }),
  })
  const StatsInputRef = builder.inputType('StatsInput', {
    description:
      'What `Query.stats` and `Account.stats` sum: a range of days, cut into periods and groups, optionally ' +
      'filtered, converted, and completed from the platforms first.',
    fields: (t) => ({
      range: t.field({ type: StatsRangeInput, required: true, description: 'The platform days to sum.' }),
      granularity: t.field({
        type: GranularityEnum,
        required: false,
        defaultValue: 'TOTAL',
        description: 'Length of the periods of the rows.',
      }),
      groupBy: t.field({
        type: [DimensionEnum],
        required: false,
        defaultValue: [],
        description: 'Keys of each row besides its period; none gives one row per period.',
      }),
      filter: t.field({
        type: StatsFilterInput,
        required: false,
        description: 'Which accounts, brands and campaigns count; all of the workspace when left out.',
      }),
      currency: t.field({
        type: 'CurrencyCode',
        required: false,
        description:
          'Report currency (ISO 4217, e.g. "EUR"): money is converted into it. Without it, money stays in the ' +
          'currencies the programs report, and rows are split by currency.',
      }),
      fx: t.field({
        type: FxOptionsInput,
        required: false,
        description: 'Conversion policy; default DAILY.',
      }),
      fetchMissing: t.boolean({
        required: false,
        defaultValue: false,
        description:
          'Fetch the days of the range never synced from the platforms before answering (up to each ' +
          "platform's today). Each fetch is recorded as an ON_DEMAND run in `Account.syncRuns` and listed in " +
          `\`fetchRuns\`. At most ${MAX_FETCH_ACCOUNTS} accounts per request: narrow the filter, or sync them. ` +
          'Without it, only stored days answer.',
      }),
    }),
  })
  const StatChangesFilterInput = builder.inputType('StatChangesFilterInput', {
    description: 'Restricts the revisions listed; conditions of different fields must all hold.',
    fields: (t) => ({
      accountIds: t.globalIDList({
        required: false,
        for: AccountRef,
        description: 'Only revisions of these accounts, as `Account.id`.',
      }),
      from: t.field({
        type: 'Date',
        required: false,
        description: 'Revisions of platform days from this day.',
      }),
      to: t.field({
        type: 'Date',
        required: false,
        description: 'Revisions of platform days up to this day.',
      }),
      metrics: t.field({
        type: [platforms.MetricEnum],
        required: false,
        description: 'Only revisions of these metrics.',
      }),
    }),
  })

  // --- outputs -------------------------------------------------------------------------------------------------
  const MoneyRef = registerMoneySchema(builder)
  const MoneyBreakdownRef = builder.objectRef<MoneyBreakdown>('MoneyBreakdown').implement({
    description: 'Money as the programs reported it, in one native currency, before any conversion.',
    fields: (t) => ({
      currency: t.field({
        type: 'CurrencyCode',
        nullable: false,
        description: 'The native currency, an ISO 4217 code such as "EUR", as the program reported it.',
        resolve: (b) => b.currency,
      }),
      ...Object.fromEntries(
        MONEY_METRICS.map((m) => [
          m,
          t.field({
            type: MoneyRef,
            nullable: true,
            description: `${METRIC_DESCRIPTIONS[m]} In \`currency\`; null when no contributing platform reports it.`,
            resolve: (b) => moneyOf(b[m], b.currency),
          }),
        ]),
      ),
    }),
  })

  const FxConversionRef = builder.objectRef<FxConversion>('FxConversion').implement({
    description:
      'How the amounts of one native currency were converted into the report currency: ' +
      '`amount × factor = converted amount`, with factor = reportRate / rate (both rates per 1 EUR, published ' +
      'the same day by the same source). A row spanning several days may use several daily rates: `factor`, ' +
      '`rate`, `rateDate` and `source` are set when one value applied to every day, and the min/max and ' +
      'first/last fields give the spread. Rates are given exactly as their publisher published them (e.g. the ' +
      "ECB's 1.0837 USD per EUR); factors are the unrounded quotients of PostgreSQL numeric division (at least " +
      '16 significant digits). Neither is rounded: the converted amounts use them as they are and only the money ' +
      'figures are rounded, once, at the end.',
    fields: (t) => ({
      currency: t.field({
        type: 'CurrencyCode',
        nullable: false,
        description: 'The native currency converted.',
        resolve: (c) => c.currency,
      }),
      factor: t.field({
        type: 'Decimal',
        nullable: true,
        description: 'The factor applied to every day of the row; null when days used different factors.',
        resolve: (c) => c.factor,
      }),
      minFactor: t.field({
        type: 'Decimal',
        nullable: true,
        description: 'Smallest factor applied to a day of the row; null when no day was converted.',
        resolve: (c) => c.minFactor,
      }),
      maxFactor: t.field({
        type: 'Decimal',
        nullable: true,
        description: 'Largest factor applied to a day of the row; null when no day was converted.',
        resolve: (c) => c.maxFactor,
      }),
      rate: t.field({
        type: 'Decimal',
        nullable: true,
        description: 'Units of the native currency per 1 EUR; null when days used different rates.',
        resolve: (c) => c.rate,
      }),
      reportRate: t.field({
        type: 'Decimal',
        nullable: true,
        description: 'Units of the report currency per 1 EUR; null when days used different rates.',
        resolve: (c) => c.reportRate,
      }),
      rateDate: t.field({
        type: 'Date',
        nullable: true,
        description: 'Publication day of the rates used; null when days used rates of different days.',
        resolve: (c) => c.rateDate,
      }),
      firstRateDate: t.field({
        type: 'Date',
        nullable: true,
        description: 'Earliest publication day of the rates used; null when no day was converted.',
        resolve: (c) => c.firstRateDate,
      }),
      lastRateDate: t.field({
        type: 'Date',
        nullable: true,
        description: 'Latest publication day of the rates used; null when no day was converted.',
        resolve: (c) => c.lastRateDate,
      }),
      source: t.exposeString('source', {
        nullable: true,
        description: 'Publisher of the rates, e.g. "ECB"; null when days used rates of different publishers.',
      }),
      firstDayWithoutRate: t.field({
        type: 'Date',
        nullable: true,
        description:
          'First day of the row with amounts in this currency but no usable rate; null when none lacks one.',
        resolve: (c) => c.firstDayWithoutRate,
      }),
      lastDayWithoutRate: t.field({
        type: 'Date',
        nullable: true,
        description: 'Last such day. While any day lacks a rate, the converted figures of the row are null.',
        resolve: (c) => c.lastDayWithoutRate,
      }),
      reason: t.field({
        type: FxMissingReasonEnum,
        nullable: true,
        description:
          'Why days lack a rate: UNKNOWN_CURRENCY when the currency was never rated, else NO_RATE.',
        resolve: (c) => c.reason,
      }),
    }),
  })

  const FiguresRef = builder.interfaceRef<StatsFigures>('StatsFigures').implement({
    description:
      'Summed figures. A metric no contributing platform provides is null (never 0). Money is in `currency`. ' +
      'Derived metrics are ratios of the sums, computed after aggregation.',
    fields: (t) => ({
      ...Object.fromEntries(
        COUNT_METRICS.map((m) => [
          m,
          t.field({
            type: 'Count',
            nullable: true,
            description: METRIC_DESCRIPTIONS[m],
            resolve: (f) => f[m],
          }),
        ]),
      ),
      ...Object.fromEntries(
        MONEY_METRICS.map((m) => [
          m,
          t.field({
            type: MoneyRef,
            nullable: true,
            description:
              `${METRIC_DESCRIPTIONS[m]} In \`currency\`; null when some amount had no rate to convert it, and ` +
              'when the money of these figures is in several currencies with no report currency (see `native`).',
            resolve: (f) => moneyOf(f[m], f.currency),
          }),
        ]),
      ),
      epc: t.field({
        type: 'Decimal',
        nullable: true,
        description:
          'Earnings per click: commission / clicks of this row, in `currency`, computed from the exact commission ' +
          `and rounded half away from zero to ${RATIO_DIGITS} decimal places ("0.0725"). A Decimal rather than ` +
          '`Money`, whose amount stops at the minor unit: a fraction of a cent per click still shows. Null when ' +
          'the commission is null or there are no clicks.',
        resolve: (f) => roundedRatio(f.epc),
      }),
      clickToSignup: t.field({
        type: 'Decimal',
        nullable: true,
        description:
          `Click-to-signup conversion: signups / clicks of this row as a fraction (0.05 = 5 %), rounded half away ` +
          `from zero to ${RATIO_DIGITS} decimal places ("0.0500").`,
        resolve: (f) => roundedRatio(f.clickToSignup),
      }),
      signupToFtd: t.field({
        type: 'Decimal',
        nullable: true,
        description:
          `Signup-to-FTD conversion: ftds / signups of this row as a fraction, rounded half away from zero to ` +
          `${RATIO_DIGITS} decimal places ("0.2500").`,
        resolve: (f) => roundedRatio(f.signupToFtd),
      }),
      accountsContributing: t.exposeInt('accountsContributing', {
        nullable: false,
        description: 'Accounts with at least one stored stat row in this row (each counted once).',
      }),
      currency: t.field({
        type: 'CurrencyCode',
        nullable: true,
        resolve: (f) => f.currency,
        description:
          'Currency of the money figures: the report currency or, without one, the native currency of this ' +
          'row (null for rows of a platform that reports no money). Totals without a report currency give ' +
          'their money here only when it is all in one currency; otherwise money is null and `native` has it.',
      }),
      native: t.field({
        type: [MoneyBreakdownRef],
        nullable: false,
        description: 'The amounts per native currency, as reported.',
        resolve: (f) => f.native,
      }),
      conversions: t.field({
        type: [FxConversionRef],
        nullable: false,
        description: 'The rates used per native currency (empty without a report currency).',
        resolve: (f) => f.conversions,
      }),
    }),
  })

  const StatsRowRef = builder.objectRef<StatsRowData>('StatsRow').implement({
    description: `One period and group. ${PLATFORM_DAYS}`,
    interfaces: [FiguresRef],
    isTypeOf: (value) => typeof value === 'object' && value !== null && 'periodStart' in value,
    fields: (t) => ({
      periodStart: t.field({
        type: 'Date',
        nullable: false,
        description:
          'First platform day of the period inside the range (a Monday, a 1st… unless the range starts later).',
        resolve: (r) => r.periodStart,
      }),
      periodEnd: t.field({
        type: 'Date',
        nullable: false,
        description: 'Last platform day of the period inside the range.',
        resolve: (r) => r.periodEnd,
      }),
      settled: t.boolean({
        nullable: false,
        description:
          "True when every day of the period is settled for every account of the row: past its platform's revision " +
          "horizon (`Platform.revisionHorizon`), counted in the account's time zone, so its figures should no longer " +
          'change. False while a platform may still approve, reverse or restate them. Groups that do not pick ' +
          'accounts (program, brand, campaign) count every account of the query.',
        resolve: (r, _, ctx) => rowSettled(ctx, r),
      }),
      accountId: t.globalID({
        nullable: true,
        description: 'Set when grouping by ACCOUNT: the account, as `Account.id`.',
        resolve: (r) => (r.accountId ? { type: 'Account', id: r.accountId } : null),
      }),
      account: t.field({
        type: AccountRef,
        nullable: true,
        description: 'Set when grouping by ACCOUNT.',
        resolve: (r, _, ctx) => (r.accountId ? accountByIdLoader(ctx).load(r.accountId) : null),
      }),
      program: t.exposeString('program', { nullable: true, description: 'Set when grouping by PROGRAM.' }),
      platformId: t.exposeString('platformId', {
        nullable: true,
        description: 'Set when grouping by PLATFORM.',
      }),
      platform: t.field({
        type: platforms.PlatformRef,
        nullable: true,
        description:
          'Set when grouping by PLATFORM; null otherwise, and when the plugin of `platformId` is no longer loaded.',
        resolve: (r, _, ctx) => (r.platformId ? (ctx.services.registry.get(r.platformId) ?? null) : null),
      }),
      brand: t.exposeString('brand', {
        nullable: true,
        description: 'Set when grouping by BRAND; null there for figures the platform gives no brand for.',
      }),
      campaign: t.exposeString('campaign', {
        nullable: true,
        description:
          'Set when grouping by CAMPAIGN; null there for figures the platform gives no campaign for.',
      }),
      tag: t.exposeString('tag', {
        nullable: true,
        description: 'Set when grouping by TAG; null there for the group of untagged accounts.',
      }),
    }),
  })

  const StatsTotalsRef = builder.objectRef<StatsFigures>('StatsTotals').implement({
    description: 'The whole range over every group; each account counted once, whatever its tags.',
    interfaces: [FiguresRef],
    isTypeOf: (value) => typeof value === 'object' && value !== null && !('periodStart' in value),
  })

  const StatsRowConnectionRef = builder.connectionObject(
    {
      type: StatsRowRef,
      ...countedConnection(
        'StatsRowConnection',
        'A page of the rows of a stats answer.',
        'Rows of the whole answer, on every page.',
      ),
    },
    { name: 'StatsRowEdge', description: 'A row and its position in the answer.' },
  )

  const StatsResultRef = builder.objectRef<StatsResult>('StatsResult').implement({
    description:
      'The answer of `Query.stats` or `Account.stats`, with the query it answers as the server understood it.',
    fields: (t) => ({
      from: t.field({
        type: 'Date',
        nullable: false,
        description: 'First platform day of the range, included.',
        resolve: (r) => r.query.from,
      }),
      to: t.field({
        type: 'Date',
        nullable: false,
        description: 'Last platform day of the range, included.',
        resolve: (r) => r.query.to,
      }),
      granularity: t.field({
        type: GranularityEnum,
        nullable: false,
        description: 'Length of the periods of the rows.',
        resolve: (r) => r.query.granularity,
      }),
      groupBy: t.field({
        type: [DimensionEnum],
        nullable: false,
        description: 'Keys of each row besides its period, as asked.',
        resolve: (r) => [...r.query.groupBy],
      }),
      currency: t.field({
        type: 'CurrencyCode',
        nullable: true,
        description: 'The report currency, when one was asked for.',
        resolve: (r) => r.query.currency ?? null,
      }),
      fxPolicy: t.field({
        type: FxPolicyEnum,
        nullable: true,
        description: 'The conversion policy applied; null without a report currency.',
        resolve: (r) => r.query.fx?.policy ?? null,
      }),
      rows: t.field({
        type: StatsRowConnectionRef,
        nullable: false,
        description:
          `The rows, ordered by period, then by the group keys; ${STATS_ROWS_PAGE} a page unless \`first\` or ` +
          '`last` says. The whole answer is computed at once: a page is a slice of it, and its cursors are ' +
          'positions in it, valid with the same input.',
        args: {
          first: t.arg.int({
            required: false,
            description: `Page forward: at most this many rows after \`after\` (0 to ${STATS_ROWS_PAGE}). Not with \`last\`.`,
          }),
          after: t.arg.string({ required: false, description: 'A cursor of these rows: the rows after it.' }),
          last: t.arg.int({
            required: false,
            description: `Page back: at most this many rows before \`before\`, or the last rows (0 to ${STATS_ROWS_PAGE}). Not with \`first\`.`,
          }),
          before: t.arg.string({
            required: false,
            description: 'A cursor of these rows: the rows before it.',
          }),
        },
        // The statement of the field above is priced by its range; a page of its rows costs nothing more.
        extensions: { aggregateRows: true },
        resolve: (r, args) => {
          rememberScope(r.rows, r)
          return rowsPage(r.rows, args)
        },
      }),
      totals: t.field({
        type: StatsTotalsRef,
        nullable: false,
        description: 'The whole range over every group, each account counted once.',
        resolve: (r) => r.totals!,
      }),
      settledThrough: t.field({
        type: 'Date',
        nullable: true,
        description:
          "The last day settled for every account the query covers (each platform's revision horizon, in each " +
          "account's time zone): figures after it may still change. Null when the query covers no account.",
        resolve: (r, _, ctx) => resultSettledThrough(ctx, r),
      }),
      fetchRuns: t.field({
        type: [refs.SyncRunRef],
        nullable: false,
        description:
          `The ON_DEMAND runs made for \`fetchMissing\`, one per account that had days to fetch (at most ` +
          `${MAX_FETCH_ACCOUNTS}). A FAILED run says why; the rows then hold only the days already stored.`,
        resolve: (r) => r.fetchRuns ?? [],
      }),
    }),
  })

  builder.queryField('stats', (t) =>
    t.field({
      type: StatsResultRef,
      nullable: false,
      description:
        `Unified stats of your workspace's accounts in one aggregation. ${PLATFORM_DAYS} Only stored days ` +
        'answer, unless `input.fetchMissing` asks to fetch the others first.',
      args: {
        input: t.arg({
          type: StatsInputRef,
          required: true,
          description: 'Range, periods, groups, filter and currency of the answer.',
          validate: { schema: statsInputSchema as never },
        }),
      },
      extensions: ARGUMENT_ERRORS,
      resolve: async (_, args, ctx, info) => {
        const { workspaceId } = requirePrincipal(ctx)
        const input = args.input as StatsInput
        const query = plannedQuery(input, info)
        const fetchRuns = input.fetchMissing ? await fetchFor(ctx, query) : []
        // Right after its own fetch, a request reads for itself rather than share a statement started earlier.
        const runner = fetchRuns.length ? ctx.services.db : statsRunner(ctx.services, workspaceId)
        return { ...(await queryStats(runner, workspaceId, query)), fetchRuns }
      },
    }),
  )

  /** Fetches the never-synced days of the accounts a query covers, refusing more than a request can bear. */
  async function fetchFor(ctx: GraphQLContext, query: StatsQuery): Promise<SyncRun[]> {
    const filter = query.filter ?? {}
    const accounts = await ctx.em.find(
      Account,
      {
        ...(filter.accountIds?.length ? { id: { $in: [...filter.accountIds] } } : {}),
        ...(filter.platformIds?.length ? { platformId: { $in: [...filter.platformIds] } } : {}),
        ...(filter.tags?.length ? { tags: { $overlap: [...filter.tags] } } : {}),
      },
      { orderBy: { id: 'asc' }, limit: MAX_FETCH_ACCOUNTS + 1 },
    )
    if (accounts.length > MAX_FETCH_ACCOUNTS) {
      throw invalidArgument(
        ['input', 'fetchMissing'],
        `fetches the days of at most ${MAX_FETCH_ACCOUNTS} accounts at once: narrow the filter`,
      )
    }
    const outcomes = await fetchMissing(ctx.services, ctx.em, accounts, { from: query.from, to: query.to })
    // An answer that reports a failed fetch is true for now only: it must not be served again from the cache.
    if (outcomes.some((o) => o.error)) doNotCache(ctx.services, ctx.request)
    return outcomes.map((o) => o.run)
  }

  // A run listed away from its account (in `fetchRuns`) must say whose it is.
  builder.objectField(refs.SyncRunRef, 'account', (t) =>
    t.field({
      type: AccountRef,
      nullable: false,
      description: 'The account the run fetched for (runs are deleted with their account).',
      resolve: async (run, _, ctx) => {
        const account = await accountByIdLoader(ctx).load(run.account.id)
        if (!account) throw new Error(`account of run ${run.id} not found`)
        return account
      },
    }),
  )

  // --- Account.stats ---------------------------------------------------------------------------------------------
  builder.objectField(AccountRef, 'stats', (t) =>
    t.field({
      type: StatsResultRef,
      nullable: false,
      description:
        `This account's stats: the answer of \`Query.stats\` with the same input, narrowed to the account (a ` +
        '`filter` applies within it). Every account of a request asking the same input is answered by one SQL ' +
        'statement, and with `fetchMissing` by one upstream window per account.',
      args: {
        input: t.arg({
          type: StatsInputRef,
          required: true,
          description: 'Range, periods, groups, filter and currency of the answer.',
          validate: { schema: statsInputSchema as never },
        }),
      },
      extensions: ARGUMENT_ERRORS,
      resolve: (account: Account, args, ctx, info) => {
        const input = args.input as StatsInput
        return accountStatsLoader(ctx).load({
          account,
          query: plannedQuery(input, info),
          fetchMissing: input.fetchMissing ?? false,
        })
      },
    }),
  )

  // --- revisions ---------------------------------------------------------------------------------------------------
  const StatChangeRef = builder.objectRef<StatChangeData>('StatChange').implement({
    description: 'A figure a platform revised after it was stored (programs revise days; FTDs vanish).',
    fields: (t) => ({
      accountId: t.globalID({
        nullable: false,
        description: 'The account revised, as `Account.id`.',
        resolve: (c) => ({ type: 'Account', id: c.accountId }),
      }),
      account: t.field({
        type: AccountRef,
        nullable: true,
        description: 'The account revised; null when it no longer exists.',
        resolve: (c, _, ctx) => accountByIdLoader(ctx).load(c.accountId),
      }),
      day: t.field({
        type: 'Date',
        nullable: false,
        description: 'The platform day revised.',
        resolve: (c) => c.day,
      }),
      brand: t.exposeString('brand', {
        nullable: true,
        description: 'Brand of the revised figure; null when the platform gives none.',
      }),
      campaign: t.exposeString('campaign', {
        nullable: true,
        description: 'Campaign of the revised figure; null when the platform gives none.',
      }),
      currency: t.field({
        type: 'CurrencyCode',
        nullable: true,
        description:
          'ISO 4217 currency of the reported row the figure belongs to (money figures are in it); null for rows ' +
          'that name no currency.',
        resolve: (c) => c.currency,
      }),
      metric: t.field({
        type: platforms.MetricEnum,
        nullable: false,
        description: 'The metric revised.',
        resolve: (c) => c.metric as Metric,
      }),
      oldValue: t.field({
        type: 'Decimal',
        nullable: true,
        description:
          'The figure before the revision, exactly as stored, unrounded: a whole number for a count, an amount in ' +
          '`currency` for money (as many decimal places as the platform sent). Null when the figure was new.',
        resolve: (c) => c.oldValue,
      }),
      newValue: t.field({
        type: 'Decimal',
        nullable: true,
        description:
          'The figure after the revision, with the precision of `oldValue`. Null when the platform no longer ' +
          'reports it.',
        resolve: (c) => c.newValue,
      }),
      detectedAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the sync that found the new figure stored it.',
        resolve: (c) => c.detectedAt,
      }),
    }),
  })
  builder.nodeRef<StatChangeData, string, typeof StatChangeRef>(StatChangeRef, {
    id: { resolve: (c) => c.id, description: 'Global id of the revision.' },
    loadMany: async (ids, ctx) => {
      const { workspaceId } = requirePrincipal(ctx)
      const rowIds = ids.map((id) => openChangeId(ctx.services.keyRing, id))
      const wanted = rowIds.filter((id): id is string => id !== null)
      const found = await listStatChanges(
        ctx.services.keyRing,
        ctx.em,
        workspaceId,
        {},
        {
          limit: wanted.length,
          after: null,
          before: null,
          inverted: false,
          ids: wanted,
        },
      )
      const byId = new Map(found.map((c) => [c.id, c]))
      return ids.map((id) => byId.get(id) ?? null)
    },
  })

  builder.queryField('changes', (t) =>
    t.connection(
      {
        type: StatChangeRef,
        nullable: false,
        description:
          'Revisions recorded when a sync found different figures for a stored day, newest first; ' +
          `${CHANGES_PAGE} a page unless \`first\` or \`last\` says.`,
        args: {
          filter: t.arg({
            type: StatChangesFilterInput,
            required: false,
            description: 'Which revisions to list; all of the workspace when left out.',
            validate: { schema: statChangesFilterSchema as never },
          }),
        },
        extensions: { ...ARGUMENT_ERRORS, defaultPageSize: CHANGES_PAGE },
        resolve: (_, args, ctx) => {
          const { workspaceId } = requirePrincipal(ctx)
          const ring = ctx.services.keyRing
          const filter = (args.filter ?? {}) as StatChangesFilter
          return keysetConnection<StatChangeData, string>(args, {
            defaultSize: CHANGES_PAGE,
            // A cursor is the sealed id of its revision: it names nothing another workspace could read.
            cursorOf: (c) => c.id,
            keyOf: (cursor) => openChangeId(ring, cursor),
            fetch: (page) => listStatChanges(ring, ctx.em, workspaceId, filter, page),
            totalCount: () => countStatChanges(ctx.em, workspaceId, filter),
          })
        },
      },
      countedConnection(
        'StatChangeConnection',
        'A page of revisions, newest first.',
        'Revisions matching the filter, on every page.',
      ),
      { name: 'StatChangeEdge', description: 'A revision and its cursor.' },
    ),
  )
  return { MoneyRef }
}
