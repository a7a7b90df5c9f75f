import { z } from 'zod'
import type { AlertRuleKind } from './alert.entity.ts'

/** Figures a traffic rule can watch: the ones an affiliate reads first every morning. */
export const TRAFFIC_METRICS = ['clicks', 'signups', 'ftds', 'deposits', 'netRevenue', 'commission'] as const
export type TrafficMetric = (typeof TRAFFIC_METRICS)[number]
export const TRAFFIC_DIRECTIONS = ['DROP', 'SPIKE', 'BOTH'] as const
export type TrafficDirection = (typeof TRAFFIC_DIRECTIONS)[number]

/**
 * Every kind's thresholds, with the defaults a new user gets. They are stored as given (JSON) and read back through
 * the same schemas, so a rule written by an older version still evaluates with today's defaults for what it lacks.
 */
export const RULE_SETTINGS = {
  SYNC_STALE: z.object({
    /** Hours without a successful sync; the default leaves room for a 6-hour schedule plus retries. */
    staleHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(24),
  }),
  CREDENTIALS_REFUSED: z.object({}),
  REVISION: z.object({
    ftdsRemoved: z.boolean().default(true),
    signupsRemoved: z.boolean().default(false),
    /** Net revenue or commission of a day moved by more than this share of the day's figure; null: off. */
    moneyChangePercent: z.number().min(0).max(1000).nullable().default(10),
    /** Any change to a day of a month detected once the next month has begun. */
    afterMonthClose: z.boolean().default(true),
    /** Any change detected after the platform's revision horizon said the day was settled. */
    afterHorizon: z.boolean().default(true),
    /** How far back (by detection time) revisions are looked at when the rule is evaluated. */
    windowDays: z.number().int().min(1).max(366).default(35),
  }),
  TRAFFIC_CHANGE: z.object({
    metric: z.enum(TRAFFIC_METRICS).default('clicks'),
    direction: z.enum(TRAFFIC_DIRECTIONS).default('DROP'),
    /** How far the last complete day may stray from the baseline before it counts. */
    changePercent: z.number().min(1).max(1000).default(50),
    /** Days before the last complete one whose median is the baseline. */
    baselineDays: z.number().int().min(3).max(90).default(14),
    /** Below this baseline (in the metric's unit) the account is too small for a percentage to mean much. */
    minimumBaseline: z.number().min(0).default(20),
  }),
  STOPPED_REPORTING: z.object({
    /** Complete days in a row with no activity at all while syncs succeed. */
    quietDays: z.number().int().min(1).max(60).default(3),
    /** Days before the quiet ones that must have had activity (so a dormant account does not alert forever). */
    activeDays: z.number().int().min(1).max(90).default(14),
  }),
  PAYMENT_OVERDUE: z.object({
    /** Days past the due day before an unpaid month counts: banks take a day or two to credit a transfer. */
    graceDays: z.number().int().min(0).max(90).default(3),
    /** A month paid only in part alerts too (once its payment is recorded, whatever the due day). */
    shortPayments: z.boolean().default(true),
    /** Outstanding amounts below this (in the program's currency) are not worth an alert. */
    minimumOutstanding: z.number().min(0).default(1),
    /** How many past months are watched. */
    monthsBack: z.number().int().min(1).max(24).default(6),
  }),
} as const satisfies Record<AlertRuleKind, z.ZodType>

export type RuleSettings = { [K in AlertRuleKind]: z.output<(typeof RULE_SETTINGS)[K]> }

/** A stored rule's settings with defaults filled in; settings that no longer validate fall back to the defaults. */
export function readSettings<K extends AlertRuleKind>(kind: K, stored: unknown): RuleSettings[K] {
  const schema = RULE_SETTINGS[kind] as unknown as z.ZodType<RuleSettings[K]>
  const parsed = schema.safeParse(stored ?? {})
  return parsed.success ? parsed.data : schema.parse({})
}

export interface SettingsIssue {
  path: string[]
  message: string
}

/** Validates settings given for a kind, naming each bad field under `settings`. */
export function validateSettings(
  kind: AlertRuleKind,
  given: Record<string, unknown>,
): { settings: Record<string, unknown> } | { issues: SettingsIssue[] } {
  const parsed = (RULE_SETTINGS[kind] as z.ZodType).safeParse(given)
  if (parsed.success) return { settings: parsed.data as Record<string, unknown> }
  return {
    issues: parsed.error.issues.map((issue) => ({
      path: ['settings', ...issue.path.map(String)],
      message: issue.message,
    })),
  }
}

/** Which settings fields belong to which kind (a field given for another kind is an input error, not ignored). */
export function settingsFieldsOf(kind: AlertRuleKind): string[] {
  return Object.keys((RULE_SETTINGS[kind] as z.ZodObject<z.ZodRawShape>).shape)
}

/** The middle of the values (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** The first day of the month after `day`'s. */
export function nextMonthStart(day: string): string {
  const [y, m] = day.split('-').map(Number) as [number, number]
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`
}
