import type { DateWindow, PlatformLimits } from '../sdk/index.ts'

const DAY = 86_400_000
const toTime = (d: string) => Date.parse(`${d}T00:00:00Z`)
const toDay = (t: number) => new Date(t).toISOString().slice(0, 10)

/** Cuts an inclusive window into pieces no longer than the platform allows (and month-aligned when it asks). */
export function splitWindow(
  window: DateWindow,
  limits: Pick<PlatformLimits, 'maxWindowDays' | 'monthAlignedWindows'>,
): DateWindow[] {
  const pieces: DateWindow[] = []
  const end = toTime(window.to)
  let start = toTime(window.from)
  if (Number.isNaN(start) || Number.isNaN(end) || start > end) return pieces
  while (start <= end) {
    let pieceEnd = Math.min(end, start + (limits.maxWindowDays - 1) * DAY)
    if (limits.monthAlignedWindows) {
      const d = new Date(start)
      const monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)
      pieceEnd = Math.min(pieceEnd, monthEnd)
    }
    pieces.push({ from: toDay(start), to: toDay(pieceEnd) })
    start = pieceEnd + DAY
  }
  return pieces
}
