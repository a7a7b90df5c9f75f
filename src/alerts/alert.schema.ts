import { randomUUID } from 'node:crypto'
import { GraphQLError } from 'graphql'
import { filter, pipe } from 'graphql-yoga'
import { Account } from '../account/account.entity.ts'
import { isoDay } from '../db/iso-day.ts'
import type { AppBuilder, GraphQLContext } from '../schema/builder.ts'
import { invalidArgument, requirePrincipal } from '../schema/builder.ts'
import {
  countedConnection,
  createdAtCursors,
  entityConnection,
  keysetConnection,
} from '../schema/connections.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { userError } from '../schema/errors.schema.ts'
import { databaseId, toGlobalId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import type { MoneyData } from '../stats/money.schema.ts'
import { Workspace } from '../workspace/workspace.entity.ts'
import { ALERT_RULE_KINDS, Alert, AlertRule, type AlertRuleKind } from './alert.entity.ts'
import { deliveriesOfAlert } from './alert-delivery.ts'
import { AlertDestination } from './alert-destination.entity.ts'
import { evaluateAlerts } from './alert-engine.ts'
import { readSettings, settingsFieldsOf, type TrafficMetric, validateSettings } from './alert-rules.ts'

const PAGE = 50
const MAX_RULES_PER_WORKSPACE = 200
const MONEY_METRICS = new Set(['netRevenue', 'commission', 'deposits'])

const KIND_DESCRIPTIONS: Record<AlertRuleKind, string> = {
  SYNC_STALE:
    'No successful sync of an account for `staleHours` hours. Resolves with the next successful sync.',
  CREDENTIALS_REFUSED:
    'The platform refuses an account’s stored credentials (its status is AUTH_FAILED). Resolves when a sync or a ' +
    'connection test succeeds again.',
  REVISION:
    'A stored day was revised: FTDs or signups removed, net revenue or commission moved by more than ' +
    '`moneyChangePercent`, a change after the day’s month closed, or after the platform’s revision horizon. One ' +
    'alert per account, day, figure and currency; it resolves when the figure returns to what was first stored.',
  TRAFFIC_CHANGE:
    'The last complete day of an account strays from the median of its previous `baselineDays` days by more than ' +
    '`changePercent` (a median, so one promotion day or one late report does not move the baseline). Resolves ' +
    'when a later day is back within the band.',
  STOPPED_REPORTING:
    'Syncs succeed but the last `quietDays` complete days have no clicks, signups, FTDs or commission at all, ' +
    'after activity in the `activeDays` before. Resolves when activity returns.',
  PAYMENT_OVERDUE:
    'A month’s commission (see `reconciliation`) is unpaid `graceDays` after it fell due under the deal’s payment ' +
    'terms, or was paid short (`shortPayments`), by at least `minimumOutstanding`. One alert per account, brand and ' +
    'month; it resolves when the payments recorded cover what is owed.',
}

const METRIC_ENUM_VALUES: Record<string, TrafficMetric> = {
  CLICKS: 'clicks',
  SIGNUPS: 'signups',
  FTDS: 'ftds',
  DEPOSITS: 'deposits',
  NET_REVENUE: 'netRevenue',
  COMMISSION: 'commission',
}
const METRIC_ENUM_OF = Object.fromEntries(Object.entries(METRIC_ENUM_VALUES).map(([k, v]) => [v, k]))

interface SettingsView {
  kind: AlertRuleKind
  values: Record<string, unknown>
}

function parseAlertCursor(cursor: string) {
  return createdAtCursors('alert').keyOf(cursor)
}

export function registerAlertSchema(
  builder: AppBuilder,
  refs: { AccountRef: unknown; MoneyRef: unknown; DestinationRef: unknown; DeliveryRef: unknown },
  errorTypes: ReturnType<typeof registerErrorTypes>,
) {
  const AccountRef = refs.AccountRef as Parameters<typeof builder.objectField>[0]
  const MoneyRef = refs.MoneyRef as Parameters<typeof builder.objectField>[0]
  const DestinationRef = refs.DestinationRef as Parameters<typeof builder.objectField>[0]
  const DeliveryRef = refs.DeliveryRef as Parameters<typeof builder.objectField>[0]
  const errors = errorTypes.refs

  const KindEnum = builder.enumType('AlertRuleKind', {
    description: 'What an alert rule watches.',
    values: Object.fromEntries(
      ALERT_RULE_KINDS.map((k) => [k, { description: KIND_DESCRIPTIONS[k] }]),
    ) as Record<AlertRuleKind, { description: string }>,
  })
  const MetricEnum = builder.enumType('TrafficMetric', {
    description: 'A daily figure a traffic rule compares with its baseline.',
    values: {
      CLICKS: { description: 'Clicks on the affiliate’s links.' },
      SIGNUPS: { description: 'Registrations.' },
      FTDS: { description: 'First-time depositors.' },
      DEPOSITS: { description: 'Deposit amount, in the account’s reporting currency.' },
      NET_REVENUE: { description: 'Net gaming revenue, in the account’s reporting currency.' },
      COMMISSION: { description: 'Commission earned, in the account’s reporting currency.' },
    } as const,
  })
  const DirectionEnum = builder.enumType('TrafficDirection', {
    description: 'Which way a traffic change must go to count.',
    values: {
      DROP: { description: 'Below the baseline.' },
      SPIKE: { description: 'Above the baseline (fraud, a bot, or a promotion worth knowing about).' },
      BOTH: { description: 'Either way.' },
    } as const,
  })
  const StatusEnum = builder.enumType('AlertStatus', {
    description: 'Whether an alert’s condition still holds.',
    values: {
      OPEN: { description: 'The condition holds (as of `lastSeenAt`).' },
      RESOLVED: { description: 'The condition cleared, or a user dismissed the alert.' },
    } as const,
  })
  const ResolutionEnum = builder.enumType('AlertResolution', {
    description: 'How an alert was resolved.',
    values: {
      CLEARED: {
        description: 'The condition went away by itself (a sync succeeded, a figure was restored…).',
      },
      DISMISSED: { description: 'A user dismissed it; the same condition later opens a new alert.' },
    } as const,
  })

  const num = (v: unknown) => (typeof v === 'number' ? v : null)
  const bool = (v: unknown) => (typeof v === 'boolean' ? v : null)
  const SettingsRef = builder.objectRef<SettingsView>('AlertRuleSettings').implement({
    description:
      'The thresholds of a rule, defaults filled in. Only the fields of the rule’s kind are set; the others are null.',
    fields: (t) => ({
      staleHours: t.int({
        nullable: true,
        description: 'SYNC_STALE: hours without a successful sync (default 24).',
        resolve: (s) => num(s.values.staleHours),
      }),
      ftdsRemoved: t.boolean({
        nullable: true,
        description: 'REVISION: alert when FTDs are removed from a stored day (default true).',
        resolve: (s) => bool(s.values.ftdsRemoved),
      }),
      signupsRemoved: t.boolean({
        nullable: true,
        description: 'REVISION: alert when signups are removed from a stored day (default false).',
        resolve: (s) => bool(s.values.signupsRemoved),
      }),
      moneyChangePercent: t.float({
        nullable: true,
        description:
          'REVISION: alert when a day’s net revenue or commission moves by more than this percentage of the ' +
          'day’s figure (default 10; null when this check is off).',
        resolve: (s) => num(s.values.moneyChangePercent),
      }),
      afterMonthClose: t.boolean({
        nullable: true,
        description: 'REVISION: alert on any change to a day once the next month has begun (default true).',
        resolve: (s) => bool(s.values.afterMonthClose),
      }),
      afterHorizon: t.boolean({
        nullable: true,
        description:
          'REVISION: alert on any change after the platform’s revision horizon declared the day settled (default true).',
        resolve: (s) => bool(s.values.afterHorizon),
      }),
      windowDays: t.int({
        nullable: true,
        description: 'REVISION: revisions detected in this many past days are looked at (default 35).',
        resolve: (s) => num(s.values.windowDays),
      }),
      metric: t.field({
        type: MetricEnum,
        nullable: true,
        description: 'TRAFFIC_CHANGE: the figure compared (default CLICKS).',
        resolve: (s) =>
          typeof s.values.metric === 'string'
            ? (METRIC_ENUM_OF[s.values.metric] as keyof typeof METRIC_ENUM_VALUES as never)
            : null,
      }),
      direction: t.field({
        type: DirectionEnum,
        nullable: true,
        description: 'TRAFFIC_CHANGE: which way counts (default DROP).',
        resolve: (s) => (typeof s.values.direction === 'string' ? (s.values.direction as 'DROP') : null),
      }),
      changePercent: t.float({
        nullable: true,
        description: 'TRAFFIC_CHANGE: how far from the baseline, in percent, counts (default 50).',
        resolve: (s) => num(s.values.changePercent),
      }),
      baselineDays: t.int({
        nullable: true,
        description:
          'TRAFFIC_CHANGE: days before the last complete day whose median is the baseline (default 14).',
        resolve: (s) => num(s.values.baselineDays),
      }),
      minimumBaseline: t.float({
        nullable: true,
        description:
          'TRAFFIC_CHANGE: accounts whose baseline is below this (in the figure’s unit) are not judged (default 20).',
        resolve: (s) => num(s.values.minimumBaseline),
      }),
      quietDays: t.int({
        nullable: true,
        description: 'STOPPED_REPORTING: complete days in a row without activity (default 3).',
        resolve: (s) => num(s.values.quietDays),
      }),
      activeDays: t.int({
        nullable: true,
        description:
          'STOPPED_REPORTING: days before the quiet ones that must have had activity (default 14).',
        resolve: (s) => num(s.values.activeDays),
      }),
      graceDays: t.int({
        nullable: true,
        description: 'PAYMENT_OVERDUE: days past the due day before an unpaid month alerts (default 3).',
        resolve: (s) => num(s.values.graceDays),
      }),
      shortPayments: t.boolean({
        nullable: true,
        description: 'PAYMENT_OVERDUE: alert on a month paid only in part (default true).',
        resolve: (s) => bool(s.values.shortPayments),
      }),
      minimumOutstanding: t.float({
        nullable: true,
        description: 'PAYMENT_OVERDUE: smaller outstanding amounts do not alert (default 1).',
        resolve: (s) => num(s.values.minimumOutstanding),
      }),
      monthsBack: t.int({
        nullable: true,
        description: 'PAYMENT_OVERDUE: past months watched (default 6).',
        resolve: (s) => num(s.values.monthsBack),
      }),
    }),
  })

  const SettingsInput = builder.inputType('AlertRuleSettingsInput', {
    description:
      'Thresholds of a rule. Give only fields of the rule’s kind (others are refused); what is omitted takes its ' +
      'default, listed on `AlertRuleSettings`.',
    fields: (t) => ({
      staleHours: t.int({ required: false, description: 'SYNC_STALE: hours, 1 to 720.' }),
      ftdsRemoved: t.boolean({ required: false, description: 'REVISION: alert on removed FTDs.' }),
      signupsRemoved: t.boolean({ required: false, description: 'REVISION: alert on removed signups.' }),
      moneyChangePercent: t.float({
        required: false,
        description: 'REVISION: percent, 0 to 1000; null switches the money check off.',
      }),
      afterMonthClose: t.boolean({
        required: false,
        description: 'REVISION: alert on changes after month close.',
      }),
      afterHorizon: t.boolean({
        required: false,
        description: 'REVISION: alert on changes after the platform’s revision horizon.',
      }),
      windowDays: t.int({
        required: false,
        description: 'REVISION: days of detections looked at, 1 to 366.',
      }),
      metric: t.field({
        type: MetricEnum,
        required: false,
        description: 'TRAFFIC_CHANGE: the figure compared.',
      }),
      direction: t.field({
        type: DirectionEnum,
        required: false,
        description: 'TRAFFIC_CHANGE: which way counts.',
      }),
      changePercent: t.float({ required: false, description: 'TRAFFIC_CHANGE: percent, 1 to 1000.' }),
      baselineDays: t.int({ required: false, description: 'TRAFFIC_CHANGE: baseline days, 3 to 90.' }),
      minimumBaseline: t.float({
        required: false,
        description: 'TRAFFIC_CHANGE: smallest baseline judged, ≥ 0.',
      }),
      quietDays: t.int({ required: false, description: 'STOPPED_REPORTING: quiet days, 1 to 60.' }),
      activeDays: t.int({ required: false, description: 'STOPPED_REPORTING: active days before, 1 to 90.' }),
      graceDays: t.int({ required: false, description: 'PAYMENT_OVERDUE: grace days, 0 to 90.' }),
      shortPayments: t.boolean({ required: false, description: 'PAYMENT_OVERDUE: alert on short payments.' }),
      minimumOutstanding: t.float({ required: false, description: 'PAYMENT_OVERDUE: smallest amount, ≥ 0.' }),
      monthsBack: t.int({ required: false, description: 'PAYMENT_OVERDUE: months watched, 1 to 24.' }),
    }),
  })

  const RuleRef = builder.objectRef<AlertRule>('AlertRule').implement({
    description:
      'A standing order of the workspace: watch these accounts for this condition and raise alerts.',
    fields: (t) => ({
      name: t.exposeString('name', {
        nullable: false,
        description: 'What the rule is for, as its owner named it.',
      }),
      kind: t.field({
        type: KindEnum,
        nullable: false,
        description: 'What the rule watches.',
        resolve: (r) => r.kind as AlertRuleKind,
      }),
      enabled: t.exposeBoolean('enabled', {
        nullable: false,
        description: 'A disabled rule raises nothing and leaves its open alerts as they are.',
      }),
      settings: t.field({
        type: SettingsRef,
        nullable: false,
        description: 'The thresholds, defaults filled in.',
        resolve: (r) => ({
          kind: r.kind as AlertRuleKind,
          values: readSettings(r.kind as AlertRuleKind, r.settings) as Record<string, unknown>,
        }),
      }),
      targetTags: t.stringList({
        nullable: false,
        description: 'Accounts carrying any of these tags are watched (with `targetAccounts`).',
        resolve: (r) => r.targetTags,
      }),
      targetAccounts: t.field({
        type: [AccountRef],
        nullable: false,
        description:
          'Accounts watched by name (with those of `targetTags`). With no tags and no accounts, every account ' +
          'of the workspace is watched, including accounts connected later.',
        resolve: async (r, _, ctx) =>
          (await loadScoped(ctx, Account, r.targetAccountIds)).filter(
            (a): a is Account => a !== null,
          ) as never,
      }),
      destinations: t.field({
        type: [DestinationRef],
        nullable: false,
        description:
          'Where the rule’s alerts are delivered when they fire and when they resolve (webhooks, Slack, Discord, ' +
          'email). Empty: the alerts are stored and shown only.',
        resolve: async (r, _, ctx) =>
          (await loadScoped(ctx, AlertDestination, r.destinationIds)).filter((d) => d !== null) as never,
      }),
      openAlertCount: t.int({
        nullable: false,
        description: 'Alerts of this rule whose condition holds now.',
        resolve: (r, _, ctx) => ctx.em.count(Alert, { rule: r.id, resolvedAt: null }),
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the rule was created.',
        resolve: (r) => r.createdAt,
      }),
      updatedAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the rule was last changed.',
        resolve: (r) => r.updatedAt,
      }),
    }),
  })
  builder.nodeRef<AlertRule, string, typeof RuleRef>(RuleRef, {
    id: { resolve: (r) => r.id, description: 'Global id of the rule.' },
    loadMany: (ids, ctx) => loadScoped(ctx, AlertRule, ids),
  })

  const money = (alert: Alert, value: string | null): MoneyData | null =>
    value !== null && alert.currency && alert.metric && MONEY_METRICS.has(alert.metric)
      ? { exactAmount: String(value), currency: alert.currency }
      : null

  const AlertRef = builder.objectRef<Alert>('Alert').implement({
    description:
      'A rule fired for one subject: an account, or an account’s day and figure. While the condition lasts the ' +
      'alert is kept and refreshed (`lastSeenAt`, `after`); when it clears the alert is resolved, and a ' +
      'recurrence is a new alert.',
    fields: (t) => ({
      kind: t.field({
        type: KindEnum,
        nullable: false,
        description: 'The kind of the rule that fired.',
        resolve: (a) => a.kind as AlertRuleKind,
      }),
      rule: t.field({
        type: RuleRef,
        nullable: false,
        description: 'The rule that fired.',
        resolve: async (a, _, ctx) => ctx.em.findOneOrFail(AlertRule, { id: a.rule.id }),
      }),
      account: t.field({
        type: AccountRef,
        nullable: true,
        description: 'The account the alert is about.',
        resolve: async (a, _, ctx) =>
          a.account ? (((await loadScoped(ctx, Account, [a.account.id]))[0] ?? null) as never) : null,
      }),
      status: t.field({
        type: StatusEnum,
        nullable: false,
        description: 'Whether the condition still holds.',
        resolve: (a) => (a.resolvedAt ? 'RESOLVED' : 'OPEN'),
      }),
      title: t.exposeString('title', {
        nullable: false,
        description: 'What happened, in one line, for people.',
      }),
      reasons: t.stringList({
        nullable: false,
        description:
          'For a REVISION: every reason it qualified (FTDS_REMOVED, SIGNUPS_REMOVED, MONEY_REVISED, ' +
          'AFTER_MONTH_CLOSE, AFTER_HORIZON). For a TRAFFIC_CHANGE: DROP or SPIKE. Empty otherwise.',
        resolve: (a) => {
          const d = a.details as { reasons?: unknown; direction?: unknown }
          if (Array.isArray(d.reasons)) return d.reasons.map(String)
          return typeof d.direction === 'string' ? [d.direction] : []
        },
      }),
      day: t.field({
        type: 'Date',
        nullable: true,
        description: 'The platform day concerned (the revised day; the judged day of a traffic change).',
        resolve: (a) => (a.day ? isoDay(a.day as never) : null),
      }),
      metric: t.exposeString('metric', {
        nullable: true,
        description: 'The figure concerned, as named in `StatsFigures` (`ftds`, `commission`…).',
      }),
      before: t.field({
        type: 'Decimal',
        nullable: true,
        description:
          'The figure before: as first stored (REVISION), or the baseline median (TRAFFIC_CHANGE). Exact; money ' +
          'is in `currency` and also given rounded in `beforeMoney`.',
        resolve: (a) =>
          a.beforeValue === null || a.beforeValue === undefined ? null : String(a.beforeValue),
      }),
      after: t.field({
        type: 'Decimal',
        nullable: true,
        description:
          'The figure now: as stored at the last evaluation (REVISION), the judged day (TRAFFIC_CHANGE), or hours ' +
          'since the last successful sync (SYNC_STALE).',
        resolve: (a) => (a.afterValue === null || a.afterValue === undefined ? null : String(a.afterValue)),
      }),
      beforeMoney: t.field({
        type: MoneyRef as never,
        nullable: true,
        description: '`before` as money, when the figure is money.',
        resolve: (a) => money(a, a.beforeValue === null ? null : String(a.beforeValue)) as never,
      }),
      afterMoney: t.field({
        type: MoneyRef as never,
        nullable: true,
        description: '`after` as money, when the figure is money.',
        resolve: (a) => money(a, a.afterValue === null ? null : String(a.afterValue)) as never,
      }),
      currency: t.field({
        type: 'CurrencyCode',
        nullable: true,
        description: 'Currency of a money figure; null for counts.',
        resolve: (a) => a.currency ?? null,
      }),
      firedAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the rule first found the condition.',
        resolve: (a) => a.firedAt,
      }),
      lastSeenAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the condition was last found to hold.',
        resolve: (a) => a.lastSeenAt,
      }),
      resolvedAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When the alert was resolved; null while open.',
        resolve: (a) => a.resolvedAt ?? null,
      }),
      resolution: t.field({
        type: ResolutionEnum,
        nullable: true,
        description: 'How it was resolved; null while open.',
        resolve: (a) => (a.resolution as 'CLEARED' | 'DISMISSED' | null) ?? null,
      }),
      deliveries: t.field({
        type: [DeliveryRef],
        nullable: false,
        description:
          'Its deliveries: one per destination of the rule and event (FIRED, RESOLVED), each with its attempts.',
        resolve: (a, _, ctx) => deliveriesOfAlert(ctx.em, a.id) as never,
      }),
    }),
  })
  builder.nodeRef<Alert, string, typeof AlertRef>(AlertRef, {
    id: { resolve: (a) => a.id, description: 'Global id of the alert.' },
    loadMany: (ids, ctx) => loadScoped(ctx, Alert, ids),
  })

  builder.queryField('alertRules', (t) =>
    t.connection(
      {
        type: RuleRef,
        nullable: false,
        description: `The alert rules of the workspace, oldest first; ${PAGE} a page unless \`first\` or \`last\` says.`,
        extensions: { defaultPageSize: PAGE },
        resolve: (_, args, ctx) => {
          requirePrincipal(ctx)
          return entityConnection(ctx, AlertRule, {}, args, {
            order: 'asc',
            defaultSize: PAGE,
            cursorPrefix: 'rule',
          })
        },
      },
      countedConnection(
        'AlertRuleConnection',
        'A page of alert rules.',
        'Rules of the workspace, on every page.',
      ),
      { name: 'AlertRuleEdge', description: 'A rule and its cursor.' },
    ),
  )

  const AlertFilterInput = builder.inputType('AlertFilter', {
    description: 'Which alerts to list; every given condition must hold.',
    fields: (t) => ({
      status: t.field({
        type: StatusEnum,
        required: false,
        description: 'Only open, or only resolved, alerts.',
      }),
      kinds: t.field({
        type: [KindEnum],
        required: false,
        description: 'Only alerts of rules of these kinds.',
      }),
      accountIds: t.globalIDList({
        required: false,
        for: AccountRef as never,
        description: 'Only alerts about these accounts.',
      }),
      ruleIds: t.globalIDList({ required: false, for: RuleRef, description: 'Only alerts of these rules.' }),
      firedFrom: t.field({
        type: 'DateTime',
        required: false,
        description: 'Only alerts fired at or after this.',
      }),
      firedTo: t.field({ type: 'DateTime', required: false, description: 'Only alerts fired before this.' }),
    }),
  })

  builder.queryField('alerts', (t) =>
    t.connection(
      {
        type: AlertRef,
        nullable: false,
        description: `Alerts of the workspace, newest first; ${PAGE} a page unless \`first\` or \`last\` says.`,
        extensions: { defaultPageSize: PAGE },
        args: { filter: t.arg({ type: AlertFilterInput, required: false, description: 'Which alerts.' }) },
        resolve: (_, args, ctx) => {
          requirePrincipal(ctx)
          const f = args.filter ?? {}
          const where: Record<string, unknown> = {}
          if (f.status === 'OPEN') where.resolvedAt = null
          if (f.status === 'RESOLVED') where.resolvedAt = { $ne: null }
          if (f.kinds?.length) where.kind = { $in: f.kinds }
          if (f.accountIds?.length) where.account = { $in: f.accountIds.map((id) => databaseId(id)) }
          if (f.ruleIds?.length) where.rule = { $in: f.ruleIds.map((id) => databaseId(id)) }
          if (f.firedFrom || f.firedTo)
            where.firedAt = {
              ...(f.firedFrom ? { $gte: f.firedFrom } : {}),
              ...(f.firedTo ? { $lt: f.firedTo } : {}),
            }
          return alertConnection(ctx, where, args)
        },
      },
      countedConnection('AlertConnection', 'A page of alerts.', 'Alerts matching the filter, on every page.'),
      { name: 'AlertEdge', description: 'An alert and its cursor.' },
    ),
  )

  const CreateInput = builder.inputType('CreateAlertRuleInput', {
    description: 'A new alert rule.',
    fields: (t) => ({
      name: t.string({
        required: true,
        description: 'What the rule is for (1 to 80 characters).',
        validate: { minLength: [1, { message: 'must not be empty' }], maxLength: 80 },
      }),
      kind: t.field({ type: KindEnum, required: true, description: 'What the rule watches.' }),
      settings: t.field({
        type: SettingsInput,
        required: false,
        description: 'Thresholds of the kind; defaults for what is omitted.',
      }),
      targetTags: t.stringList({
        required: false,
        description: 'Watch accounts carrying any of these tags.',
        validate: { maxLength: 50 },
      }),
      targetAccountIds: t.globalIDList({
        required: false,
        for: AccountRef as never,
        description: 'Watch these accounts. With no tags and no accounts, every account is watched.',
        validate: { maxLength: 500 },
      }),
      destinationIds: t.globalIDList({
        required: false,
        for: DestinationRef as never,
        description: 'Deliver the alerts to these destinations (see `alertDestinations`).',
        validate: { maxLength: 20 },
      }),
      enabled: t.boolean({ required: false, defaultValue: true, description: 'Whether the rule is active.' }),
    }),
  })
  const UpdateInput = builder.inputType('UpdateAlertRuleInput', {
    description: 'Changes to a rule; omitted fields keep their value.',
    fields: (t) => ({
      id: t.globalID({ required: true, for: RuleRef, description: 'The rule, as `AlertRule.id`.' }),
      name: t.string({
        required: false,
        description: 'New name (1 to 80 characters).',
        validate: { minLength: [1, { message: 'must not be empty' }], maxLength: 80 },
      }),
      settings: t.field({
        type: SettingsInput,
        required: false,
        description: 'New thresholds; they replace the old ones (omitted fields take their defaults).',
      }),
      targetTags: t.stringList({ required: false, description: 'New tags.', validate: { maxLength: 50 } }),
      targetAccountIds: t.globalIDList({
        required: false,
        for: AccountRef as never,
        description: 'New accounts.',
        validate: { maxLength: 500 },
      }),
      destinationIds: t.globalIDList({
        required: false,
        for: DestinationRef as never,
        description: 'New destinations; an empty list stops delivery (the alerts are still stored).',
        validate: { maxLength: 20 },
      }),
      enabled: t.boolean({ required: false, description: 'Switch the rule on or off.' }),
    }),
  })
  const IdInput = (name: string, description: string) =>
    builder.inputType(name, {
      description,
      fields: (t) => ({
        id: t.globalID({ required: true, for: RuleRef, description: 'The rule, as `AlertRule.id`.' }),
      }),
    })
  const DeleteInput = IdInput('DeleteAlertRuleInput', 'Which rule to delete.')

  const RuleSuccess = (name: string, description: string) =>
    builder.objectRef<{ rule: AlertRule }>(name).implement({
      description,
      isTypeOf: (v) => (v as { __typename?: string }).__typename === name,
      fields: (t) => ({
        alertRule: t.field({
          type: RuleRef,
          nullable: false,
          description: 'The rule.',
          resolve: (v) => v.rule,
        }),
      }),
    })
  const CreateSuccess = RuleSuccess(
    'CreateAlertRuleSuccess',
    'The rule is stored and was evaluated once: conditions that hold now are already alerts.',
  )
  const UpdateSuccess = RuleSuccess(
    'UpdateAlertRuleSuccess',
    'The rule is changed and evaluated again: alerts whose condition no longer holds under it are resolved.',
  )
  const DeleteSuccess = builder.objectRef<{ ruleId: string }>('DeleteAlertRuleSuccess').implement({
    description: 'The rule and its alerts are deleted.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'DeleteAlertRuleSuccess',
    fields: (t) => ({
      alertRuleId: t.id({
        nullable: false,
        description: 'Global id the rule had.',
        resolve: (v) => toGlobalId('AlertRule', v.ruleId),
      }),
    }),
  })

  const notFound = () =>
    userError('AlertRuleNotFoundError', 'ALERT_RULE_NOT_FOUND', 'Alert rule not found.', [
      { path: ['input', 'id'], message: 'no alert rule with this id in your workspace' },
    ])

  /** Settings as given (GraphQL enum values to stored names), refusing fields of another kind. */
  const settingsFrom = (kind: AlertRuleKind, given: Record<string, unknown> | null | undefined) => {
    const raw: Record<string, unknown> = {}
    const allowed = new Set(settingsFieldsOf(kind))
    for (const [key, value] of Object.entries(given ?? {})) {
      if (value === undefined) continue
      if (!allowed.has(key))
        throw invalidArgument(['input', 'settings', key], `is not a setting of ${kind} rules`)
      if (value === null && key !== 'moneyChangePercent')
        throw invalidArgument(['input', 'settings', key], 'must not be null')
      raw[key] = key === 'metric' ? METRIC_ENUM_VALUES[String(value)] : value
    }
    const checked = validateSettings(kind, raw)
    if ('issues' in checked) {
      const [first] = checked.issues
      throw invalidArgument(['input', ...(first?.path ?? ['settings'])], first?.message ?? 'invalid')
    }
    return checked.settings
  }

  const targetIds = async (ctx: GraphQLContext, ids: readonly unknown[] | null | undefined) => {
    const wanted = (ids ?? []).map((id) => databaseId(id))
    const found = await loadScoped(ctx, Account, wanted)
    const missing = found.indexOf(null)
    if (missing >= 0)
      throw invalidArgument(
        ['input', 'targetAccountIds', missing],
        'no account with this id in your workspace',
      )
    return [...new Set(wanted)]
  }

  const destinationIds = async (ctx: GraphQLContext, ids: readonly unknown[] | null | undefined) => {
    const wanted = (ids ?? []).map((id) => databaseId(id))
    const found = await loadScoped(ctx, AlertDestination, wanted)
    const missing = found.indexOf(null)
    if (missing >= 0)
      throw invalidArgument(
        ['input', 'destinationIds', missing],
        'no alert destination with this id in your workspace',
      )
    return [...new Set(wanted)]
  }

  const evaluateNow = async (ctx: GraphQLContext, rule: AlertRule) => {
    await ctx.em.flush()
    await evaluateAlerts(ctx.services, { workspaceId: rule.workspace.id, ruleId: rule.id })
  }

  const tags = (list: readonly string[] | null | undefined) => [
    ...new Set((list ?? []).map((t) => t.trim()).filter((t) => t.length > 0)),
  ]

  builder.mutationField('createAlertRule', (t) =>
    t.field({
      type: builder.unionType('CreateAlertRuleResult', {
        description: 'The new rule, or why none was created.',
        types: [CreateSuccess, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Creates an alert rule and evaluates it at once.',
      args: {
        input: t.arg({ type: CreateInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const kind = input.kind as AlertRuleKind
        const settings = settingsFrom(kind, input.settings as Record<string, unknown>)
        const accountIds = await targetIds(ctx, input.targetAccountIds)
        if ((await ctx.em.count(AlertRule, {})) >= MAX_RULES_PER_WORKSPACE)
          throw invalidArgument(['input'], `a workspace holds at most ${MAX_RULES_PER_WORKSPACE} alert rules`)
        const now = ctx.services.clock.now()
        const rule = ctx.em.create(AlertRule, {
          id: randomUUID(),
          workspace: ctx.em.getReference(Workspace, p.workspaceId),
          name: input.name.trim(),
          kind,
          settings,
          targetTags: tags(input.targetTags),
          targetAccountIds: accountIds,
          destinationIds: await destinationIds(ctx, input.destinationIds),
          enabled: input.enabled ?? true,
          createdAt: now,
          updatedAt: now,
        })
        await evaluateNow(ctx, rule)
        return { __typename: 'CreateAlertRuleSuccess', rule }
      },
    }),
  )

  builder.mutationField('updateAlertRule', (t) =>
    t.field({
      type: builder.unionType('UpdateAlertRuleResult', {
        description: 'The changed rule, or why it was not changed.',
        types: [UpdateSuccess, errors.AlertRuleNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Changes an alert rule and evaluates it again.',
      args: {
        input: t.arg({ type: UpdateInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        const [rule] = await loadScoped(ctx, AlertRule, [databaseId(input.id)])
        if (!rule) return notFound()
        const kind = rule.kind as AlertRuleKind
        if (input.settings !== undefined && input.settings !== null)
          rule.settings = settingsFrom(kind, input.settings as Record<string, unknown>)
        if (input.name != null) rule.name = input.name.trim()
        if (input.targetTags != null) rule.targetTags = tags(input.targetTags)
        if (input.targetAccountIds != null)
          rule.targetAccountIds = await targetIds(ctx, input.targetAccountIds)
        if (input.destinationIds != null)
          rule.destinationIds = await destinationIds(ctx, input.destinationIds)
        if (input.enabled != null) rule.enabled = input.enabled
        rule.updatedAt = ctx.services.clock.now()
        await evaluateNow(ctx, rule)
        return { __typename: 'UpdateAlertRuleSuccess', rule }
      },
    }),
  )

  builder.mutationField('deleteAlertRule', (t) =>
    t.field({
      type: builder.unionType('DeleteAlertRuleResult', {
        description: 'The deleted rule’s id, or why nothing was deleted.',
        types: [DeleteSuccess, errors.AlertRuleNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Deletes an alert rule and its alerts.',
      args: {
        input: t.arg({ type: DeleteInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        const [rule] = await loadScoped(ctx, AlertRule, [databaseId(input.id)])
        if (!rule) return notFound()
        const ruleId = rule.id
        await ctx.em.nativeDelete(Alert, { rule: ruleId })
        await ctx.em.remove(rule).flush()
        return { __typename: 'DeleteAlertRuleSuccess', ruleId }
      },
    }),
  )

  const DismissInput = builder.inputType('DismissAlertInput', {
    description: 'Which alert to dismiss.',
    fields: (t) => ({
      id: t.globalID({ required: true, for: AlertRef, description: 'The alert, as `Alert.id`.' }),
    }),
  })
  const DismissSuccess = builder.objectRef<{ alert: Alert }>('DismissAlertSuccess').implement({
    description: 'The alert is resolved as DISMISSED (dismissing a resolved alert changes nothing).',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'DismissAlertSuccess',
    fields: (t) => ({
      alert: t.field({ type: AlertRef, nullable: false, description: 'The alert.', resolve: (v) => v.alert }),
    }),
  })
  builder.mutationField('dismissAlert', (t) =>
    t.field({
      type: builder.unionType('DismissAlertResult', {
        description: 'The dismissed alert, or why it could not be dismissed.',
        types: [DismissSuccess, errors.AlertNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description:
        'Resolves an open alert by hand. If its condition still holds, the next evaluation opens a new alert.',
      args: {
        input: t.arg({ type: DismissInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        const [alert] = await loadScoped(ctx, Alert, [databaseId(input.id)])
        if (!alert)
          return userError('AlertNotFoundError', 'ALERT_NOT_FOUND', 'Alert not found.', [
            { path: ['input', 'id'], message: 'no alert with this id in your workspace' },
          ])
        if (!alert.resolvedAt) {
          alert.resolvedAt = ctx.services.clock.now()
          alert.resolution = 'DISMISSED'
          await ctx.em.flush()
          ctx.services.sync?.publishAlert({
            workspaceId: alert.workspace.id,
            alertId: alert.id,
            event: 'RESOLVED',
          })
        }
        return { __typename: 'DismissAlertSuccess', alert }
      },
    }),
  )

  builder.subscriptionField('alertChanged', (t) =>
    t.field({
      type: AlertRef,
      nullable: false,
      description:
        'Alerts of your workspace as they fire, change and resolve (server-sent events). Each event is the alert ' +
        'as it stands.',
      subscribe: (_, __, ctx) => {
        const principal = requirePrincipal(ctx)
        const sync = ctx.services.sync
        // The same expected answer as syncProgress: alerts are evaluated by the sync engine.
        if (!sync)
          throw new GraphQLError('Syncing is switched off on this server.', {
            extensions: { code: 'SYNC_UNAVAILABLE' },
          })
        return pipe(
          sync.pubsub.subscribe('alertChanged'),
          filter((e) => e.workspaceId === principal.workspaceId),
        )
      },
      resolve: async (event, _, ctx) => {
        const [alert] = await loadScoped(ctx, Alert, [event.alertId])
        if (!alert) throw invalidArgument([], 'the alert was deleted')
        await ctx.em.refresh(alert)
        return alert
      },
    }),
  )

  return { AlertRef, RuleRef }
}

async function alertConnection(
  ctx: GraphQLContext,
  where: Record<string, unknown>,
  args: { first?: number | null; last?: number | null; after?: string | null; before?: string | null },
) {
  type Key = { createdAt: Date; id: string }
  const cursors = createdAtCursors('alert')
  const beyond = (key: Key, op: '$gt' | '$lt') => ({
    $or: [{ firedAt: { [op]: key.createdAt } }, { firedAt: key.createdAt, id: { [op]: key.id } }],
  })
  return keysetConnection<Alert, Key>(args, {
    defaultSize: PAGE,
    cursorOf: (a) => cursors.cursorOf({ createdAt: a.firedAt, id: a.id }),
    keyOf: parseAlertCursor,
    fetch: ({ after, before, limit, inverted }) => {
      const conditions: Record<string, unknown>[] = [where]
      if (after) conditions.push(beyond(after, '$lt'))
      if (before) conditions.push(beyond(before, '$gt'))
      const direction = inverted ? 'asc' : 'desc'
      return ctx.em.find(Alert, { $and: conditions } as never, {
        orderBy: { firedAt: direction, id: direction } as never,
        limit,
      })
    },
    totalCount: () => ctx.em.count(Alert, where as never),
  })
}
