import { z } from 'zod'
import { type ConnectionFields, type ConnectionOf, type ConnectionSpec, isTimeZone } from './connection.ts'
import { type EvidenceFact, evidenceSchema } from './evidence.ts'
import type { HttpClient } from './http.ts'
import type { PaymentRow, PaymentsCapability } from './payment-row.ts'
import {
  BREAKDOWNS,
  type Breakdown,
  type DateWindow,
  METRICS,
  type Metric,
  type ReportRow,
} from './report-row.ts'
import type { SimulatorFactory } from './simulator.ts'

export interface PluginLogger {
  debug(message: string, data?: Record<string, unknown>): void
  info(message: string, data?: Record<string, unknown>): void
  warn(message: string, data?: Record<string, unknown>): void
  error(message: string, data?: Record<string, unknown>): void
}

/** Per-account scratch space that outlives one call (e.g. an OAuth access token until it expires). */
export interface PluginCache {
  get<T = unknown>(key: string): T | undefined
  set(key: string, value: unknown, ttlMs: number): void
  delete(key: string): void
}

/** What the host hands a plugin for each call. A plugin uses nothing else to reach the outside world. */
export interface PluginContext {
  http: HttpClient
  log: PluginLogger
  signal: AbortSignal
  now(): Date
  cache: PluginCache
  /** Registers a value obtained at run time (an access token, a session id) so it is redacted like a credential. */
  registerSecret(value: string): void
  /**
   * At most `maxLength` characters of `text` (whitespace flattened, then an ellipsis), for quoting a body in an
   * error: the account's secrets are redacted before the cut, where a cut piece of one could no longer be told.
   */
  excerpt(text: string, maxLength: number): string
}

export interface RateLimit {
  /** Requests allowed per interval. */
  requests: number
  intervalMs: number
}

export interface PlatformLimits {
  /** Shared by every account calling the same host. */
  perHost?: RateLimit
  /** Per connected account (per credential). */
  perAccount?: RateLimit
  /** Longest inclusive date window one `fetchReport` call may be given; the host splits longer ones. */
  maxWindowDays: number
  /** When true, windows are also split at calendar-month boundaries. */
  monthAlignedWindows?: boolean
}

export interface PlatformCapabilities {
  metrics: Metric[]
  breakdowns: Breakdown[]
  /** IANA time zone the platform's days are counted in. */
  timeZone: string
  /** True when the program's own base URL is one of the connection fields. */
  perProgramHost: boolean
  /**
   * How many past days periodic syncs re-fetch by default, long enough for the platform's revision habits
   * (conversions approved or reversed for weeks or months). Absent: DEFAULT_LOOKBACK_DAYS. Each account may change it.
   */
  lookbackDays?: number
  /**
   * How long the platform keeps changing a day's figures after the day: approvals and reversals of conversions,
   * refunds, revenue share that is final only with the month's statement. Reports mark the days inside it as
   * provisional, so that a user does not read a figure that will still move as final. Absent: the host's
   * conservative DEFAULT_REVISION_HORIZON, shown as a default.
   */
  revisionHorizon?: RevisionHorizon
  /** Present when the platform reports the payments it made; the plugin then implements `fetchPayments`. */
  payments?: PaymentsCapability
}

/**
 * When a day's figures become final. A horizon is a claim about the platform, so it names the `revisions` fact of
 * the plugin's evidence it rests on (whose confidence says how well it is known).
 *
 * With both forms, a day is settled only once both have passed: a network may lock a month's conversions at a
 * statement and still let a refund window run.
 */
export interface RevisionHorizon {
  /** A day is settled once this many full days have passed after it (0: as soon as the day is over). */
  days?: number
  /**
   * A day is settled once its calendar month has ended and `afterDays` full days of the following months have
   * passed, for platforms that close a month's figures with a statement (iGaming revenue share, monthly locking).
   */
  monthClose?: { afterDays: number }
  /** Id of the plugin's evidence fact (topic `revisions`) that says so. */
  evidence: string
}

/** The lookback of a platform that declares none: how long iGaming programs are seen to revise is not published. */
export const DEFAULT_LOOKBACK_DAYS = 7

/** Facts a successful connection test may learn about the account. */
export interface CheckResult {
  /** A name for the account as the platform knows it (affiliate id, nickname). Never a secret. */
  accountName?: string
  /**
   * The program's own name (brand, merchant, site) when the platform states one for the whole account. Never a
   * host, and never a per-row brand: a program may run several brands.
   */
  programName?: string
  currency?: string
  timeZone?: string
}

export interface PlatformDefinition<F extends ConnectionFields = ConnectionFields> {
  /** kebab-case, equal to the plugin's folder name, never renamed: it is stored with every account. */
  id: string
  name: string
  /**
   * PascalCase stem of the plugin's GraphQL names (`<graphqlName>ConnectionInput`, the `ConnectionInput` field
   * in camelCase). Defaults to the words of `name` without any parenthesis: "Income Access" → `IncomeAccess`.
   * Part of the public API: pin it if the display name may change.
   */
  graphqlName?: string
  version: string
  docsUrl: string
  description: string
  connection: ConnectionSpec<F>
  limits: PlatformLimits
  capabilities: PlatformCapabilities
  /** The cheapest authenticated call: proves the credentials work. */
  check(ctx: PluginContext, connection: ConnectionOf<ConnectionSpec<F>>): Promise<CheckResult>
  /** Every row of the inclusive window; the host has already cut the window to `limits`. */
  fetchReport(
    ctx: PluginContext,
    connection: ConnectionOf<ConnectionSpec<F>>,
    window: DateWindow,
  ): Promise<ReportRow[]>
  /**
   * Every payment whose period overlaps the inclusive window, for platforms declaring `capabilities.payments`; the
   * host has already cut the window to its `maxWindowDays`.
   */
  fetchPayments?(
    ctx: PluginContext,
    connection: ConnectionOf<ConnectionSpec<F>>,
    window: DateWindow,
  ): Promise<PaymentRow[]>
  /** A local fake of the platform's HTTP API for tests, the demo and benchmarks; never used for real traffic. */
  simulator: SimulatorFactory
  /**
   * Every wire fact the plugin relies on (endpoint, auth, parameters, paging, fields, errors, limits, revisions),
   * each with its public source and confidence. The host derives the platform's maturity from it.
   */
  evidence: EvidenceFact[]
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds plugins of every connection shape
export type AnyPlatform = PlatformDefinition<any>

const rateLimitSchema = z.object({
  requests: z.number().int().positive(),
  intervalMs: z.number().int().positive(),
})

/** Checked when a plugin is loaded; a plugin that fails this stops the server with the folder named. */
export const platformManifestSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be kebab-case, e.g. "income-access"'),
    name: z.string().min(1).max(80),
    graphqlName: z
      .string()
      .regex(/^[A-Z][A-Za-z0-9]*$/, 'must be PascalCase')
      .optional(),
    version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][\w.-]+)?$/, 'must be a semantic version'),
    docsUrl: z.url({ protocol: /^https?$/ }),
    description: z.string().min(1).max(500),
    connection: z.object({
      fields: z
        .record(z.string(), z.object({ label: z.string().min(1), help: z.string().min(1) }).loose())
        .refine((fields) => Object.keys(fields).length > 0, 'must declare at least one field'),
      schema: z.custom<z.ZodObject>((v) => v instanceof z.ZodObject, 'must be a zod object schema'),
    }),
    limits: z.object({
      perHost: rateLimitSchema.optional(),
      perAccount: rateLimitSchema.optional(),
      maxWindowDays: z.number().int().min(1).max(3660),
      monthAlignedWindows: z.boolean().optional(),
    }),
    capabilities: z.object({
      metrics: z.array(z.enum(METRICS)).min(1),
      breakdowns: z.array(z.enum(BREAKDOWNS)),
      timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone'),
      perProgramHost: z.boolean(),
      lookbackDays: z.number().int().min(1).max(366).optional(),
      revisionHorizon: z
        .object({
          days: z.number().int().min(0).max(3660).optional(),
          monthClose: z.object({ afterDays: z.number().int().min(0).max(366) }).optional(),
          evidence: z.string().min(1),
        })
        .refine((h) => h.days !== undefined || h.monthClose !== undefined, {
          message: 'declares days, monthClose or both',
        })
        .optional(),
      payments: z
        .object({
          evidence: z.string().min(1),
          maxWindowDays: z.number().int().min(1).max(3660),
          monthAligned: z.boolean().optional(),
        })
        .optional(),
    }),
    check: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'must be a function'),
    fetchReport: z.custom<(...args: unknown[]) => unknown>(
      (v) => typeof v === 'function',
      'must be a function',
    ),
    fetchPayments: z
      .custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'must be a function')
      .optional(),
    evidence: evidenceSchema,
    simulator: z
      .object({
        create: z.custom<(...args: unknown[]) => unknown>(
          (v) => typeof v === 'function',
          'must be a function',
        ),
      })
      .loose(),
  })
  .superRefine((platform, ctx) => {
    const payments = platform.capabilities.payments
    if (payments !== undefined) {
      const fact = platform.evidence?.find((f) => f.id === payments.evidence)
      if (fact?.topic !== 'payments')
        ctx.addIssue({
          code: 'custom',
          message: `must name an evidence fact of topic "payments"; "${payments.evidence}" is ${fact ? `about ${fact.topic}` : 'not in evidence'}`,
          path: ['capabilities', 'payments', 'evidence'],
        })
      if (typeof platform.fetchPayments !== 'function')
        ctx.addIssue({
          code: 'custom',
          message: 'a platform declaring payments must implement fetchPayments',
          path: ['fetchPayments'],
        })
    }
    // A horizon without the fact it rests on could not tell a user how far to trust it.
    const cited = platform.capabilities.revisionHorizon?.evidence
    if (cited === undefined) return
    const fact = platform.evidence?.find((f) => f.id === cited)
    if (fact?.topic !== 'revisions')
      ctx.addIssue({
        code: 'custom',
        message: `must name an evidence fact of topic "revisions"; "${cited}" is ${fact ? `about ${fact.topic}` : 'not in evidence'}`,
        path: ['capabilities', 'revisionHorizon', 'evidence'],
      })
  })

/** The manifest of a platform plugin: its default export. */
export function definePlatform<F extends ConnectionFields>(
  definition: PlatformDefinition<F>,
): PlatformDefinition<F> {
  return definition
}
