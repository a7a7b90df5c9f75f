import { minorUnitOf } from '../fx/currency-codes.ts'
import type { AppBuilder } from '../schema/builder.ts'
import { roundDecimal } from '../sdk/index.ts'

/** An amount as summed (or converted), unrounded, and the currency it is in. */
export interface MoneyData {
  exactAmount: string
  currency: string
}

/** Fraction digits of ratios: enough for an EPC of a hundredth of a cent and for 0.01 % conversion rates. */
export const RATIO_DIGITS = 4

/** A money figure, or null when there is no amount or no single currency to state it in. */
export function moneyOf(exactAmount: string | null, currency: string | null): MoneyData | null {
  return exactAmount === null || !currency ? null : { exactAmount, currency }
}

export function roundedRatio(value: string | null): string | null {
  return value === null ? null : roundDecimal(value, RATIO_DIGITS)
}

export const ROUNDING_RULE =
  'half away from zero (2.345 EUR → 2.35, -2.345 EUR → -2.35), in exact decimal arithmetic'

export function registerMoneySchema(builder: AppBuilder) {
  return builder.objectRef<MoneyData>('Money').implement({
    description:
      'An amount of money in one currency. `amount` is rounded to the minor unit of the currency as ISO 4217 ' +
      'defines it (JPY 0 decimal places, EUR 2, KWD 3; 2 for a code ISO 4217 does not list or gives no minor unit), ' +
      `${ROUNDING_RULE}; \`exactAmount\` is the same figure unrounded. Sums are taken of the exact amounts and ` +
      'rounded once: a total is the rounded sum of the exact row amounts, so the rounded rows may add up to ' +
      'something else, by at most half a minor unit per row.',
    fields: (t) => ({
      amount: t.field({
        type: 'Decimal',
        nullable: false,
        description:
          `The amount rounded to the minor unit of \`currency\`, ${ROUNDING_RULE}, written with exactly that ` +
          'many decimal places: "1234.50" EUR, "1235" JPY, "1.235" KWD.',
        resolve: (m) => roundDecimal(m.exactAmount, minorUnitOf(m.currency)),
      }),
      exactAmount: t.field({
        type: 'Decimal',
        nullable: false,
        description:
          "The amount unrounded, as summed from the platforms' figures and, when converted, multiplied by the " +
          'unrounded exchange factor: it may carry 20 or more decimal places.',
        resolve: (m) => m.exactAmount,
      }),
      currency: t.field({
        type: 'CurrencyCode',
        nullable: false,
        description: 'The currency of the amount.',
        resolve: (m) => m.currency,
      }),
    }),
  })
}
