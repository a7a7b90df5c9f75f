/**
 * How figures read: the reader's locale for separators, the currency's symbol, money rounded as the API rounded
 * it, times in the reader's zone with the zone named. Every view formats through here, so a table, a card and a
 * chart legend never disagree.
 */

export const NOT_REPORTED = '—'

const COUNT_FORMAT = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
/** Counts with the reader's thousands separators ("12,345" or "12.345"). */
export const count = (value) => (value == null ? NOT_REPORTED : COUNT_FORMAT.format(value))

/**
 * Money with the decimal places of the amount the API rounded (JPY none, EUR two, KWD three). The amount goes to
 * Intl as a string, which formats it as the exact decimal it is: no binary float in between, however large.
 * `standard` rounds an unrounded amount (a stored revision, as the platform sent it) to the currency's minor unit;
 * `signed` shows "+" on gains.
 * @param {{ amount: string, currency: string } | null | undefined} value
 * @param {{ standard?: boolean, signed?: boolean }} [options]
 */
export function money(value, options = {}) {
  if (value == null) return NOT_REPORTED
  const places = value.amount.split('.')[1]?.length ?? 0
  const digits = {
    ...(options.standard ? {} : { minimumFractionDigits: places, maximumFractionDigits: places }),
    ...(options.signed ? { signDisplay: 'exceptZero' } : {}),
  }
  try {
    return new Intl.NumberFormat(undefined, {
      ...digits,
      style: 'currency',
      currency: value.currency,
    }).format(/** @type {any} */ (value.amount))
  } catch {
    // A code a platform sent that this browser cannot format as a currency: the number and the code.
    return `${new Intl.NumberFormat(undefined, digits).format(/** @type {any} */ (value.amount))} ${value.currency}`
  }
}

/** A fraction ("0.0512") as a percentage with up to two decimals ("5.12%"). */
export function percent(fraction, digits = 2) {
  if (fraction == null) return NOT_REPORTED
  return new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: digits }).format(
    Number(fraction),
  )
}

/**
 * Earnings per click: a Decimal in the report currency with up to four places, because a fraction of a cent per
 * click is still information.
 */
export function perClick(amount, currency) {
  if (amount == null) return NOT_REPORTED
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: 4,
    }).format(/** @type {any} */ (amount))
  } catch {
    return `${amount} ${currency ?? ''}`.trim()
  }
}

/** The numeric value of a figure (a count, a Decimal string or Money), for comparing and charting only. */
export function numberOf(figure) {
  if (figure == null) return null
  return Number(typeof figure === 'object' ? figure.amount : figure)
}

/**
 * The change from `before` to `now` as a fraction, or a word when a fraction says nothing: "new" from zero,
 * null when either side is unknown.
 * @returns {{ fraction: number | null, text: string, direction: 'up' | 'down' | 'flat' | 'none' }}
 */
export function change(now, before) {
  const a = numberOf(now)
  const b = numberOf(before)
  if (a == null || b == null) return { fraction: null, text: 'no comparison', direction: 'none' }
  if (b === 0) {
    if (a === 0) return { fraction: 0, text: 'no change', direction: 'flat' }
    return { fraction: null, text: 'new', direction: a > 0 ? 'up' : 'down' }
  }
  const fraction = (a - b) / Math.abs(b)
  const rounded = Math.round(fraction * 1000) / 1000
  if (rounded === 0) return { fraction: 0, text: 'no change', direction: 'flat' }
  const text = new Intl.NumberFormat(undefined, {
    style: 'percent',
    maximumFractionDigits: 1,
    signDisplay: 'always',
  }).format(rounded)
  return { fraction: rounded, text, direction: rounded > 0 ? 'up' : 'down' }
}

/** The reader's own time zone, by its IANA name. */
export const readerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone

/**
 * An instant in the reader's zone, with the zone named, because "09:00" alone means nothing to someone whose
 * programs report in three zones.
 * @param {string | null} iso
 */
export function instant(iso) {
  if (!iso) return null
  // dateStyle cannot be combined with timeZoneName: the parts are spelled out instead.
  return new Date(iso).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  })
}

/** How long ago (or until) an instant, relative to `now`, in words: "3 hours ago", "in 12 minutes". */
export function relative(iso, now = Date.now()) {
  if (!iso) return null
  const seconds = Math.round((Date.parse(iso) - now) / 1000)
  const units = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ]
  const words = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return words.format(Math.round(seconds / size), unit)
  }
  return words.format(0, 'minute')
}

/** A platform day (YYYY-MM-DD) as the reader writes dates, without shifting it through any time zone. */
export function day(iso, style = 'medium') {
  if (!iso) return ''
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString(undefined, { dateStyle: style, timeZone: 'UTC' })
}

/** A month (YYYY-MM) as the reader writes it: "Nov 2026". */
export function month(iso) {
  return new Date(`${iso.slice(0, 7)}-01T00:00:00Z`).toLocaleDateString(undefined, {
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  })
}
