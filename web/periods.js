/**
 * Report periods in platform days. Platforms count their days in UTC unless an account says otherwise, so "today"
 * is today in UTC, not in the reader's zone: at 01:00 in Sydney the platforms' today has not started yet.
 */

const MS_PER_DAY = 86_400_000

/** @param {Date} date */
const isoDay = (date) => date.toISOString().slice(0, 10)
const parse = (iso) => new Date(`${iso}T00:00:00Z`)

/** `iso` moved by `days` (negative: back). */
export function addDays(iso, days) {
  return isoDay(new Date(parse(iso).getTime() + days * MS_PER_DAY))
}

/** Days from `from` to `to`, both included. */
export function daysBetween(from, to) {
  return Math.round((parse(to).getTime() - parse(from).getTime()) / MS_PER_DAY) + 1
}

/** The platforms' today, from an instant (ms). */
export const utcToday = (now = Date.now()) => isoDay(new Date(now))

const startOfMonth = (iso) => `${iso.slice(0, 7)}-01`
const endOfMonth = (iso) => {
  const d = parse(startOfMonth(iso))
  d.setUTCMonth(d.getUTCMonth() + 1)
  return addDays(isoDay(d), -1)
}
/** The same day of the month `months` away, or that month's last day when it is shorter (31 Mar → 28 Feb). */
function shiftMonths(iso, months) {
  const d = parse(startOfMonth(iso))
  d.setUTCMonth(d.getUTCMonth() + months)
  const target = isoDay(d)
  const last = endOfMonth(target)
  const dayOfMonth = Math.min(Number(iso.slice(8, 10)), Number(last.slice(8, 10)))
  return `${target.slice(0, 8)}${String(dayOfMonth).padStart(2, '0')}`
}

/**
 * The presets, in the order the page offers them. Each gives its range and the range it is compared with: the
 * same number of days just before, except for calendar periods, which compare with the same stretch of the
 * previous month or year (month to date on the 3rd compares with the 1st–3rd of last month).
 */
export const PRESETS = [
  { id: 'today', label: 'Today' },
  { id: 'yesterday', label: 'Yesterday' },
  { id: 'last7', label: 'Last 7 days' },
  { id: 'last30', label: 'Last 30 days' },
  { id: 'mtd', label: 'Month to date' },
  { id: 'lastMonth', label: 'Last month' },
  { id: 'ytd', label: 'Year to date' },
  { id: 'custom', label: 'Custom' },
]

/** The range just before `range`, as long as it. */
export function precedingRange({ from, to }) {
  const length = daysBetween(from, to)
  return { from: addDays(from, -length), to: addDays(from, -1) }
}

/**
 * @param {string} preset one of PRESETS' ids
 * @param {string} today the platforms' today (YYYY-MM-DD)
 * @param {{ from: string, to: string }} [custom] the range for 'custom'
 * @returns {{ current: { from: string, to: string }, previous: { from: string, to: string } }}
 */
export function presetRanges(preset, today, custom) {
  switch (preset) {
    case 'today':
      return { current: { from: today, to: today }, previous: precedingRange({ from: today, to: today }) }
    case 'yesterday': {
      const y = addDays(today, -1)
      return { current: { from: y, to: y }, previous: { from: addDays(y, -1), to: addDays(y, -1) } }
    }
    case 'last7':
    case 'last30': {
      const current = { from: addDays(today, preset === 'last7' ? -6 : -29), to: today }
      return { current, previous: precedingRange(current) }
    }
    case 'mtd': {
      const from = startOfMonth(today)
      const prevFrom = shiftMonths(from, -1)
      return { current: { from, to: today }, previous: { from: prevFrom, to: shiftMonths(today, -1) } }
    }
    case 'lastMonth': {
      const from = shiftMonths(startOfMonth(today), -1)
      const prevFrom = shiftMonths(from, -1)
      return {
        current: { from, to: endOfMonth(from) },
        previous: { from: prevFrom, to: endOfMonth(prevFrom) },
      }
    }
    case 'ytd': {
      const from = `${today.slice(0, 4)}-01-01`
      const lastYear = String(Number(today.slice(0, 4)) - 1)
      // 29 February has no twin in the year before: the comparison ends on the 28th.
      const sameDay = today.slice(5) === '02-29' ? `${lastYear}-02-28` : `${lastYear}${today.slice(4)}`
      return { current: { from, to: today }, previous: { from: `${lastYear}-01-01`, to: sameDay } }
    }
    default: {
      const current = custom ?? { from: addDays(today, -29), to: today }
      return { current, previous: precedingRange(current) }
    }
  }
}

/**
 * Whether a period of the answer is cut by the range (a week that starts before `from`, a month that ends after
 * `to`): its figure is smaller than a whole period's and must not read as a drop.
 * @param {'DAY'|'WEEK'|'MONTH'} granularity
 */
export function isPartialPeriod(periodStart, periodEnd, granularity) {
  if (granularity === 'DAY') return false
  if (granularity === 'MONTH')
    return periodStart !== startOfMonth(periodStart) || periodEnd !== endOfMonth(periodStart)
  return daysBetween(periodStart, periodEnd) < 7
}
