import { z } from 'zod'
import { isDecimalString, normalizeDecimal } from '../sdk/decimal.ts'

/**
 * The commission terms of one deal version: what the program promised, as the affiliate reads it in the deal
 * sheet. Every part is optional, and any combination is a deal: CPA alone, revenue share alone, both (a hybrid),
 * with or without fixed fees. Money is exact decimal strings in the deal's `currency`.
 */
const money = z
  .string()
  .trim()
  .refine(isDecimalString, 'must be a decimal amount such as "150" or "12.50"')
  .transform((v) => normalizeDecimal(v))
const positiveMoney = money.refine((v) => !v.startsWith('-') && v !== '0', 'must be more than 0')
const nonNegativeMoney = money.refine((v) => !v.startsWith('-'), 'must not be negative')
const percent = z
  .string()
  .trim()
  .refine(isDecimalString, 'must be a percentage such as "25" or "27.5"')
  .transform((v) => normalizeDecimal(v))
  .refine((v) => !v.startsWith('-') && Number(v) <= 100, 'must be between 0 and 100')

/**
 * What a first-time depositor must do before the program pays CPA for them. Stored statistics are totals per day,
 * not per player, so a qualification with any condition can be checked only through the count of qualified CPAs
 * the platform reports itself (`cpaCount`); without it the expected CPA is not computed but bounded.
 */
export const cpaQualificationSchema = z.object({
  /** Smallest first deposit that counts, in the deal's currency. */
  minFirstDeposit: nonNegativeMoney.nullable().default(null),
  /** Wagering (turnover) the player must reach, in the deal's currency. */
  minWagering: nonNegativeMoney.nullable().default(null),
  /** Any other activity condition as the deal sheet words it ("5 bets within 30 days"). */
  activity: z.string().trim().min(1).max(300).nullable().default(null),
  /** ISO 3166-1 alpha-2 countries whose players qualify; empty: every country. */
  countries: z
    .array(
      z
        .string()
        .trim()
        .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "DE"'),
    )
    .max(250)
    .default([]),
})

export const cpaTermSchema = z.object({
  amount: positiveMoney,
  qualification: cpaQualificationSchema.default({
    minFirstDeposit: null,
    minWagering: null,
    activity: null,
    countries: [],
  }),
})

/** What decides the revenue-share tier of a month: its first-time depositors, or its net revenue. */
export const TIER_BASES = ['FTDS', 'NET_REVENUE'] as const
export type TierBasis = (typeof TIER_BASES)[number]

export const revenueShareTierSchema = z.object({
  /** The tier applies from this month total of the basis upwards (inclusive); the first tier starts at 0. */
  from: nonNegativeMoney,
  percent,
})

export const revenueShareTermSchema = z
  .object({
    tierBasis: z.enum(TIER_BASES).default('FTDS'),
    /**
     * Ascending thresholds. The tier a month reaches sets the percentage of the month's whole net revenue (not
     * only of the part above the threshold): how iGaming deal sheets word it.
     */
    tiers: z.array(revenueShareTierSchema).min(1).max(20),
    /**
     * A negative month's net revenue is carried into the following months and offset against them before any
     * share is paid. Without it a negative month simply earns nothing.
     */
    negativeCarryOver: z.boolean().default(false),
  })
  .superRefine((term, ctx) => {
    if (term.tiers[0] && term.tiers[0].from !== '0')
      ctx.addIssue({ code: 'custom', path: ['tiers', 0, 'from'], message: 'the first tier must start at 0' })
    for (let i = 1; i < term.tiers.length; i++) {
      if (Number(term.tiers[i]!.from) <= Number(term.tiers[i - 1]!.from))
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'from'],
          message: 'tiers must be in ascending order',
        })
    }
  })

export const FEE_FREQUENCIES = ['MONTHLY', 'ONCE'] as const
export type FeeFrequency = (typeof FEE_FREQUENCIES)[number]

export const fixedFeeSchema = z.object({
  label: z.string().trim().min(1).max(120),
  amount: positiveMoney,
  /** MONTHLY: every month the version is in force on the month's last day; ONCE: the month the version starts. */
  frequency: z.enum(FEE_FREQUENCIES).default('MONTHLY'),
})

export const dealTermsSchema = z
  .object({
    /** ISO 4217: the currency the deal sheet states amounts in. */
    currency: z
      .string()
      .trim()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"'),
    cpa: cpaTermSchema.nullable().default(null),
    revenueShare: revenueShareTermSchema.nullable().default(null),
    fixedFees: z.array(fixedFeeSchema).max(20).default([]),
    /** Days after the end of a month by which its commission is due (net 15, net 30…). */
    paymentTermsDays: z.number().int().min(0).max(365).default(30),
    /** A month's commission below this is carried into the next payment rather than paid. */
    minimumPayout: nonNegativeMoney.nullable().default(null),
  })
  .refine((t) => t.cpa !== null || t.revenueShare !== null || t.fixedFees.length > 0, {
    message: 'a deal needs a CPA, a revenue share or a fixed fee',
    path: ['cpa'],
  })

export type DealTerms = z.output<typeof dealTermsSchema>
export type DealTermsInput = z.input<typeof dealTermsSchema>
export type CpaTerm = z.output<typeof cpaTermSchema>
export type RevenueShareTerm = z.output<typeof revenueShareTermSchema>

/** True when the CPA has no condition beyond a first deposit: every FTD qualifies. */
export function isUnconditionalCpa(cpa: CpaTerm): boolean {
  const q = cpa.qualification
  return (
    (q.minFirstDeposit === null || q.minFirstDeposit === '0') &&
    (q.minWagering === null || q.minWagering === '0') &&
    q.activity === null &&
    q.countries.length === 0
  )
}

/** A version of a deal: its terms in force from `validFrom` (a platform day) until the next version starts. */
export interface DealVersionTerms {
  validFrom: string
  terms: DealTerms
}
