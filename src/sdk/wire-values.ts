import { normalizeDecimal } from './decimal.ts'

/**
 * Figures as platforms put them on the wire: JSON numbers, numeric strings, XML text. Each reader gives the value,
 * null for a figure that is absent (null, "" or missing: not reported, never 0), or undefined for one that cannot
 * be read, so the plugin's error can name the row and field.
 */

/** A count: a whole JSON number, `"12"` or a decimal column's `"12.0000"`; never negative. */
export function readCount(value: unknown): number | null | undefined {
  if (value === undefined || value === null || value === '') return null
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : ''
  const match = /^(\d+)(?:\.0+)?$/.exec(text)
  const count = match ? Number(match[1]) : Number.NaN
  return Number.isSafeInteger(count) ? count : undefined
}

/**
 * An amount as an exact decimal string. A decimal string is kept as sent. A JSON number has already been read as
 * a binary float by the JSON parser; its shortest text that reads back as the same float is the decimal the
 * platform wrote for any amount of up to 15 significant digits, so that text is kept (a float JavaScript prints in
 * exponent form, which no platform sends as money, cannot be read).
 */
export function readAmount(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === '') return null
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined
  const text =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined
  if (text === undefined) return undefined
  try {
    return normalizeDecimal(text)
  } catch {
    return undefined
  }
}
