import { z } from 'zod'
import { isDecimalString, normalizeDecimal } from './decimal.ts'

/**
 * One payment a program reports having made (or invoiced) to the affiliate. Platforms that publish such a report
 * declare `capabilities.payments`; the host stores what `fetchPayments` returns beside the payments a user enters
 * or imports, and reconciles them against what the program owes.
 */
export const paymentRowSchema = z.object({
  /**
   * The platform's own stable identifier of the payment or invoice: the same payment read twice must carry the same
   * reference, so that a re-read updates it instead of counting it twice.
   */
  reference: z.string().min(1).max(200),
  /** First and last platform day of the period the payment settles (a calendar month, usually). */
  periodFrom: z.iso.date(),
  periodTo: z.iso.date(),
  /** The day the money was sent; null while the platform lists it as invoiced but not yet paid. */
  paidOn: z.iso.date().nullable().default(null),
  amount: z
    .string()
    .refine(isDecimalString, 'must be a decimal string such as "12.34"')
    .transform((v) => normalizeDecimal(v)),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  /** The brand the payment is for, when the platform says; null: the whole account. */
  brand: z.string().min(1).max(200).nullable().default(null),
  /** The platform's own wording of the payment's state or method, shown as is. */
  description: z.string().max(300).nullable().default(null),
})

export type PaymentRow = z.output<typeof paymentRowSchema>
export type PaymentRowInput = z.input<typeof paymentRowSchema>

/** Builds a full payment row; validates and normalises. */
export function paymentRow(input: PaymentRowInput): PaymentRow {
  return paymentRowSchema.parse(input)
}

/**
 * Declared by a platform that reports payments. Like a revision horizon it is a claim about the platform, so it
 * names the evidence fact (topic `payments`) it rests on, whose confidence tells the user how far to trust it.
 */
export interface PaymentsCapability {
  evidence: string
  /** Longest inclusive window one `fetchPayments` call may be given; the host splits longer ones. */
  maxWindowDays: number
  /** When true, windows are also split at calendar-month boundaries (a report asked for one month at a time). */
  monthAligned?: boolean
}
