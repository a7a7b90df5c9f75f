/**
 * Income Access's API Reports URL, as far as public material shows it.
 *
 * Public: the affiliate generates the URL in Reports → API Reports → URL (a report such as "Member Report –
 * Detailed", a date range, one merchant, a format such as CSV, then "Generate URL"); the key is embedded in it; the
 * one working integrator known keeps that URL and replaces only its dates on each fetch (see evidence.ts). Not
 * public: the host, the path, the names of the query parameters, the date format. So affgraph never builds a URL of
 * its own: it keeps the pasted one and recognises its date parameters by their values.
 */

/** A date-valued query parameter of the pasted URL and how its value is written. */
export interface DateParam {
  /** The parameter's name as pasted. */
  name: string
  /** Index of the parameter among the query's `&`-separated parts. */
  part: number
  /** The day it holds, `YYYY-MM-DD`. */
  day: string
  layout: DateLayout
}

/** How a day is written in the URL: the order of its fields, their separator and anything after the day. */
export interface DateLayout {
  order: 'ymd' | 'dmy' | 'mdy'
  separator: string
  /** Day and month written with two digits. */
  padded: boolean
  /** A time after the day (`00:00:00`), kept as pasted. */
  rest: string
}

export interface QueryPart {
  name: string
  /** The value as pasted, still percent-encoded. */
  raw: string
  /** The value decoded (`+` read as a space, as forms write it). */
  value: string
}

/** The `&`-separated parts of a URL's query, in order; a part without `=` has an empty value. */
export function queryParts(url: string): QueryPart[] {
  const start = url.indexOf('?')
  if (start < 0) return []
  const end = url.indexOf('#', start)
  const query = url.slice(start + 1, end < 0 ? undefined : end)
  if (query === '') return []
  return query.split('&').map((part) => {
    const eq = part.indexOf('=')
    const name = eq < 0 ? part : part.slice(0, eq)
    const raw = eq < 0 ? '' : part.slice(eq + 1)
    let value: string
    try {
      value = decodeURIComponent(raw.replace(/\+/g, ' '))
    } catch {
      value = raw
    }
    return { name, raw, value }
  })
}

const TIME = String.raw`(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?Z?)?`
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(${TIME})$`)
const YEAR_LAST = new RegExp(String.raw`^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(${TIME})$`)
/** `20260105` only counts under a name that speaks of dates: an 8-digit id would otherwise pass for one. */
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/
const DATE_LIKE_NAME = /date|day|from|to$|^to|start|end|begin|period|since|until/i

function validDay(y: number, m: number, d: number): string | undefined {
  if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31) return undefined
  const day = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
  const t = new Date(`${day}T00:00:00Z`)
  return !Number.isNaN(t.getTime()) && t.toISOString().startsWith(day) ? day : undefined
}

/** A value that may be a day, with the orders it can be read in (both, when day and month are each ≤ 12). */
interface DateCandidate {
  readings: { order: DateLayout['order']; day: string }[]
  separator: string
  padded: boolean
  rest: string
}

function dateCandidate(value: string, name: string): DateCandidate | undefined {
  const text = value.trim()
  let match = YEAR_FIRST.exec(text)
  if (match) {
    const [, y, separator, m, d, rest] = match
    const day = validDay(Number(y), Number(m), Number(d))
    if (!day) return undefined
    return { readings: [{ order: 'ymd', day }], separator: separator!, padded: m!.length === 2, rest: rest! }
  }
  match = YEAR_LAST.exec(text)
  if (match) {
    const [, a, separator, b, y, rest] = match
    const readings: DateCandidate['readings'] = []
    const dmy = validDay(Number(y), Number(b), Number(a))
    const mdy = validDay(Number(y), Number(a), Number(b))
    if (dmy) readings.push({ order: 'dmy', day: dmy })
    if (mdy) readings.push({ order: 'mdy', day: mdy })
    if (readings.length === 0) return undefined
    return { readings, separator: separator!, padded: a!.length === 2 && b!.length === 2, rest: rest! }
  }
  match = COMPACT.exec(text)
  if (match && DATE_LIKE_NAME.test(name)) {
    const day = validDay(Number(match[1]), Number(match[2]), Number(match[3]))
    if (day) return { readings: [{ order: 'ymd', day }], separator: '', padded: true, rest: '' }
  }
  return undefined
}

/** Why a pasted URL's dates cannot be used, in words for the report URL field. */
export class DateParamsError extends Error {}

const FROM_NAME = /from|start|begin|since|^d1$|1$/i
const TO_NAME = /to$|^to|end|until|^d2$|2$/i

/**
 * The start and end date parameters of a generated report URL, recognised by their values. Exactly two must hold
 * days (or, among more, exactly one named like a start and one like an end); when day and month cannot be told
 * apart in either (`05/06/2026` and `07/08/2026`), the URL is refused rather than read the wrong way round.
 */
export function findDateParams(url: string): { from: DateParam; to: DateParam } {
  const found = queryParts(url)
    .map((part, index) => ({ part, index, candidate: dateCandidate(part.value, part.name) }))
    .filter((e): e is typeof e & { candidate: DateCandidate } => e.candidate !== undefined)
  if (found.length === 0)
    throw new DateParamsError(
      'has no date in it: generate the URL again with a start and an end date selected (Reports → API Reports → URL → Generate URL)',
    )
  if (found.length === 1)
    throw new DateParamsError(
      `holds one date only ("${found[0]!.part.name}"): generate the URL again with a start and an end date`,
    )
  let pair = found
  if (found.length > 2) {
    const from = found.filter((e) => FROM_NAME.test(e.part.name) && !TO_NAME.test(e.part.name))
    const to = found.filter((e) => TO_NAME.test(e.part.name) && !FROM_NAME.test(e.part.name))
    if (from.length !== 1 || to.length !== 1)
      throw new DateParamsError(
        `holds ${found.length} dates (${found.map((e) => `"${e.part.name}"`).join(', ')}) and affgraph cannot tell which are the start and the end`,
      )
    pair = [from[0]!, to[0]!]
  }
  const [first, second] = pair as [(typeof pair)[0], (typeof pair)[0]]
  const orders = first.candidate.readings
    .map((r) => r.order)
    .filter((order) => second.candidate.readings.some((r) => r.order === order))
  if (orders.length === 0)
    throw new DateParamsError(
      `writes its dates "${first.part.name}" and "${second.part.name}" in two different ways: generate the URL again`,
    )
  if (orders.length > 1)
    throw new DateParamsError(
      `writes its dates so that day and month cannot be told apart (${first.part.value}, ${second.part.value}): generate the URL again with a start date after the 12th of a month`,
    )
  const order = orders[0]!
  const param = (e: typeof first): DateParam => ({
    name: e.part.name,
    part: e.index,
    day: e.candidate.readings.find((r) => r.order === order)!.day,
    layout: { order, separator: e.candidate.separator, padded: e.candidate.padded, rest: e.candidate.rest },
  })
  const [a, b] = [param(first), param(second)]
  // The earlier day is the start; for equal days, the first parameter, as forms list them.
  return b.day < a.day ? { from: b, to: a } : { from: a, to: b }
}

/** A day written in a URL's layout. */
export function formatDay(day: string, layout: DateLayout): string {
  const [y, m, d] = day.split('-') as [string, string, string]
  const pad = (v: string) => (layout.padded ? v : String(Number(v)))
  const fields =
    layout.order === 'ymd'
      ? [y, pad(m), pad(d)]
      : layout.order === 'dmy'
        ? [pad(d), pad(m), y]
        : [pad(m), pad(d), y]
  return fields.join(layout.separator) + layout.rest
}

/**
 * Writes `value` over a raw query value. When both have the same digits in the same places, only the digits are
 * replaced, so the URL keeps its own escaping (`%2F`, `+`); otherwise the value is escaped afresh.
 */
function rewriteRaw(raw: string, oldValue: string, newValue: string): string {
  const digits = (s: string) => s.replace(/\D/g, '')
  if (
    digits(oldValue).length === digits(newValue).length &&
    oldValue.replace(/\d/g, '0') === newValue.replace(/\d/g, '0')
  ) {
    const next = digits(newValue).split('')
    let i = 0
    // Percent escapes hold hex digits of their own: skip them.
    return raw.replace(/%[0-9A-Fa-f]{2}|\d/g, (m) => (m.length === 1 ? next[i++]! : m))
  }
  // Otherwise escape afresh, writing separators the way the pasted value wrote them.
  let escaped = encodeURIComponent(newValue)
  for (const ch of ['/', ':', '.', ','])
    if (raw.includes(ch)) escaped = escaped.replaceAll(encodeURIComponent(ch), ch)
  return raw.includes('+') ? escaped.replaceAll('%20', '+') : escaped
}

/** The pasted URL with its two date parameters set to the window; every other byte is kept. */
export function rewriteDates(url: string, window: { from: string; to: string }): string {
  const { from, to } = findDateParams(url)
  const start = url.indexOf('?')
  const hash = url.indexOf('#', start)
  const query = url.slice(start + 1, hash < 0 ? undefined : hash)
  const parts = query.split('&')
  const values = queryParts(url)
  for (const [param, day] of [
    [from, window.from],
    [to, window.to],
  ] as const) {
    const part = values[param.part]!
    parts[param.part] = `${part.name}=${rewriteRaw(part.raw, part.value, formatDay(day, param.layout))}`
  }
  return `${url.slice(0, start + 1)}${parts.join('&')}`
}

/** Values of the URL other than its dates that are long enough to be a key: redacted wherever they appear alone. */
export function secretLookingValues(url: string, minLength: number): string[] {
  const dates = new Set<number>()
  try {
    const { from, to } = findDateParams(url)
    dates.add(from.part).add(to.part)
  } catch {
    // A URL without usable dates never reaches a request; every long value is then treated as secret.
  }
  return queryParts(url)
    .filter((p, i) => !dates.has(i) && p.value.length >= minLength)
    .flatMap((p) => [p.value, p.raw])
}
