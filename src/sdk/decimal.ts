import { ResponseFormatError } from './errors.ts'

/**
 * Exact decimal helpers for money on the wire. Amounts never pass through binary floats: platforms send
 * "41711.0" cents or "12.34" strings, and rounding them through a double would change stored figures.
 */
const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/

export function isDecimalString(value: string): boolean {
  return DECIMAL.test(value)
}

/** Normalise a decimal string: no leading zeros, no trailing fractional zeros, "-0" becomes "0". */
export function normalizeDecimal(value: string | number | bigint): string {
  const text = typeof value === 'string' ? value.trim() : String(value)
  const match = DECIMAL.exec(text)
  if (!match) throw new ResponseFormatError(`not a decimal number: ${JSON.stringify(text).slice(0, 40)}`)
  const sign = match[1] === '-' ? '-' : ''
  const int = match[2]!.replace(/^0+(?=\d)/, '')
  const frac = (match[3] ?? '').replace(/0+$/, '')
  const out = frac ? `${int}.${frac}` : int
  return out === '0' ? '0' : sign + out
}

/** Cents (possibly with a fractional part, e.g. "41711.0") to a decimal amount in units: "417.11". */
export function centsToDecimal(cents: string | number | bigint): string {
  const text = normalizeDecimal(cents)
  const negative = text.startsWith('-')
  const [intPart, fracPart = ''] = (negative ? text.slice(1) : text).split('.')
  const padded = intPart!.padStart(3, '0')
  const units = padded.slice(0, -2)
  const fraction = padded.slice(-2) + fracPart
  return normalizeDecimal(`${negative ? '-' : ''}${units}.${fraction}`)
}

/** Exact sum of decimal strings. */
export function addDecimals(...values: string[]): string {
  let scale = 0
  for (const v of values) scale = Math.max(scale, (normalizeDecimal(v).split('.')[1] ?? '').length)
  let total = 0n
  for (const v of values) {
    const n = normalizeDecimal(v)
    const negative = n.startsWith('-')
    const [i, f = ''] = (negative ? n.slice(1) : n).split('.')
    const scaled = BigInt(i! + f.padEnd(scale, '0'))
    total += negative ? -scaled : scaled
  }
  const negative = total < 0n
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0')
  const out = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits
  return normalizeDecimal((negative ? '-' : '') + out)
}

/**
 * Rounds a decimal string to `digits` fraction digits, half away from zero ("0.125" → "0.13", "-0.125" → "-0.13"),
 * and writes exactly that many ("1.5" at 2 → "1.50"). Half away from zero is what people expect of money and what
 * PostgreSQL's round(numeric) does, so an amount rounded here matches one rounded in SQL. Done on digits with
 * bigint arithmetic: no binary float, no limit on size. A result that rounds to zero has no sign.
 */
export function roundDecimal(value: string, digits: number): string {
  if (!Number.isInteger(digits) || digits < 0)
    throw new RangeError(`digits must be a whole number ≥ 0: ${digits}`)
  const text = normalizeDecimal(value)
  const negative = text.startsWith('-')
  const [int, frac = ''] = (negative ? text.slice(1) : text).split('.')
  let scaled = BigInt(int! + frac.slice(0, digits).padEnd(digits, '0'))
  // Half away from zero on the magnitude: the first dropped digit decides, the ones after cannot tip it back.
  if ((frac[digits] ?? '0') >= '5') scaled += 1n
  const padded = scaled.toString().padStart(digits + 1, '0')
  const out = digits ? `${padded.slice(0, -digits)}.${padded.slice(-digits)}` : padded
  return negative && scaled !== 0n ? `-${out}` : out
}
