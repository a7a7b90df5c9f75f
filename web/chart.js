import { useEffect, useRef } from 'preact/hooks'
import { numberOf } from './format.js'
import { html } from './html.js'
import { isPartialPeriod } from './periods.js'

const CHART_HEIGHT = 260
export const MAX_SERIES = 8
const PALETTE = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d']

let uplotLoading = null
/** uPlot is the largest file of the page: it loads with the first chart, not with the page. */
function loadUplot() {
  if (!uplotLoading) {
    const link = document.createElement('link')
    link.rel = 'stylesheet'
    link.href = '/vendor/uplot.css'
    document.head.append(link)
    uplotLoading = import('uplot').then((module) => module.default)
  }
  return uplotLoading
}

/**
 * The charts an answer needs, one per currency when its money is in several and the metric is money (an axis
 * cannot hold euros and dollars at once), else one. Each holds one series per group, the largest first; periods
 * are the answer's, with those the range cuts marked partial.
 * @param {{ rows: any[], currency: string | null }} result
 * @param {{ granularity: 'DAY'|'WEEK'|'MONTH', metric: string, money: boolean, nameOf: (row: any) => string }} query
 */
export function chartsOf(result, query) {
  const byCurrency = query.money && !result.currency
  const periods = [...new Map(result.rows.map((r) => [r.periodStart, r.periodEnd])).entries()].sort((a, b) =>
    a[0] < b[0] ? -1 : 1,
  )
  // A period is provisional when any of its rows may still be revised by its platform.
  const provisional = new Set(result.rows.filter((r) => r.settled === false).map((r) => r.periodStart))
  const index = new Map(periods.map(([start], i) => [start, i]))
  const charts = new Map()
  for (const row of result.rows) {
    const figure = numberOf(row[query.metric])
    if (figure == null) continue
    const unit = byCurrency ? (row.currency ?? '') : (result.currency ?? '')
    if (!charts.has(unit)) charts.set(unit, new Map())
    const series = charts.get(unit)
    const name = query.nameOf(row)
    if (!series.has(name)) series.set(name, { name, values: periods.map(() => null), size: 0 })
    const entry = series.get(name)
    const at = index.get(row.periodStart)
    // Counts of one group can come in several rows (one per native currency): they add up.
    entry.values[at] = (entry.values[at] ?? 0) + figure
    entry.size += Math.abs(figure)
  }
  return [...charts.entries()].map(([unit, series]) => {
    const ranked = [...series.values()].sort((a, b) => b.size - a.size)
    return {
      unit,
      granularity: query.granularity,
      periods: periods.map(([start, end]) => ({
        start,
        end,
        partial: isPartialPeriod(start, end, query.granularity),
        provisional: provisional.has(start),
      })),
      series: ranked.slice(0, MAX_SERIES),
      hidden: Math.max(0, ranked.length - MAX_SERIES),
    }
  })
}

let hatching = null
/** Diagonal lines over a faint wash: provisional periods stay readable, yet do not look final. */
function hatchOf(ctx) {
  if (!hatching) {
    const tile = document.createElement('canvas')
    tile.width = tile.height = 8
    const c = tile.getContext('2d')
    c.fillStyle = 'rgba(127,127,127,0.10)'
    c.fillRect(0, 0, 8, 8)
    c.strokeStyle = 'rgba(127,127,127,0.35)'
    c.lineWidth = 1
    c.beginPath()
    c.moveTo(0, 8)
    c.lineTo(8, 0)
    c.stroke()
    hatching = tile
  }
  return ctx.createPattern(hatching, 'repeat')
}

const DAY_SECONDS = 86_400

/** Shades the provisional periods behind the series: a bar's slot, or a day's width around its point. */
function shadeProvisional(chart, bars) {
  return (u) => {
    const { ctx } = u
    const { top, height } = u.bbox
    ctx.save()
    ctx.fillStyle = hatchOf(ctx)
    chart.periods.forEach((p, i) => {
      if (!p.provisional) return
      const [from, to] = bars
        ? [i - 0.5, i + 0.5]
        : [
            Date.parse(`${p.start}T00:00:00Z`) / 1000 - DAY_SECONDS / 2,
            Date.parse(`${p.end}T00:00:00Z`) / 1000 + DAY_SECONDS / 2,
          ]
      const left = Math.max(u.bbox.left, u.valToPos(from, 'x', true))
      const right = Math.min(u.bbox.left + u.bbox.width, u.valToPos(to, 'x', true))
      if (right > left) ctx.fillRect(left, top, right - left, height)
    })
    ctx.restore()
  }
}

const periodLabel = (period, granularity) => {
  const date = new Date(`${period.start}T00:00:00Z`)
  const text =
    granularity === 'MONTH'
      ? date.toLocaleDateString(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' })
      : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })
  return period.partial ? `${text}*` : text
}

/**
 * Days are lines on a time axis; weeks and months are stacked bars, one slot per period, because two monthly points
 * joined by a line suggest days that were never measured. The legend shows each group's own value, not the stack.
 */
export function Chart({ chart, label }) {
  const ref = useRef(null)
  useEffect(() => {
    const element = ref.current
    let plot = null
    let observer = null
    let cancelled = false
    loadUplot().then((uPlot) => {
      if (cancelled || !element) return
      const ink = getComputedStyle(element).color
      const axis = {
        stroke: ink,
        grid: { stroke: 'rgba(127,127,127,0.2)' },
        ticks: { stroke: 'rgba(127,127,127,0.4)' },
      }
      const bars = chart.granularity !== 'DAY'
      const own = chart.series.map((s) => s.values)
      let drawn = own
      if (bars) {
        // Stack: each series is drawn as the sum of itself and those below it, the tallest first, so every group
        // shows as its own band of the bar.
        const running = chart.periods.map(() => 0)
        drawn = own.map((values) => values.map((v, i) => (running[i] += v ?? 0)))
      }
      const order = bars ? [...own.keys()].reverse() : [...own.keys()]
      const x = bars
        ? chart.periods.map((_, i) => i)
        : chart.periods.map((p) => Date.parse(`${p.start}T00:00:00Z`) / 1000)
      const options = {
        width: element.clientWidth || 320,
        height: CHART_HEIGHT,
        scales: bars
          ? { x: { time: false, range: [-0.5, Math.max(0.5, chart.periods.length - 0.5)] } }
          : { x: { time: true } },
        // Periods are platform days, not instants: label them as the calendar days they are, in any time zone.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        axes: [
          bars
            ? {
                ...axis,
                splits: () => x,
                values: (_, splits) =>
                  splits.map((i) =>
                    chart.periods[i] ? periodLabel(chart.periods[i], chart.granularity) : '',
                  ),
              }
            : axis,
          { ...axis, size: 72, label: chart.unit || undefined },
        ],
        legend: { live: true },
        hooks: { drawClear: [shadeProvisional(chart, bars)] },
        series: [
          {
            label: 'Period',
            value: (_, v) => {
              if (v == null) return '—'
              const period = bars ? chart.periods[Math.round(v)] : null
              if (bars)
                return period
                  ? `${period.start} – ${period.end}${period.partial ? ' (partial)' : ''}${period.provisional ? ' (may still change)' : ''}`
                  : '—'
              const day = new Date(v * 1000).toISOString().slice(0, 10)
              return chart.periods.find((p) => p.start === day)?.provisional
                ? `${day} (may still change)`
                : day
            },
          },
          ...order.map((i) => {
            const colour = PALETTE[i % PALETTE.length]
            return {
              label: chart.series[i].name,
              stroke: colour,
              width: bars ? 1 : 2,
              ...(bars
                ? {
                    fill: `${colour}cc`,
                    paths: uPlot.paths.bars({ size: [0.7, 64] }),
                    points: { show: false },
                  }
                : {}),
              ...(bars ? {} : { points: { show: x.length <= 62 } }),
              value: (_, __, ___, idx) => {
                const v = idx == null ? null : own[i][idx]
                return v == null ? '—' : v.toLocaleString(undefined, { maximumFractionDigits: 2 })
              },
            }
          }),
        ],
      }
      plot = new uPlot(options, [x, ...order.map((i) => drawn[i])], element)
      observer = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: CHART_HEIGHT }))
      observer.observe(element)
    })
    return () => {
      cancelled = true
      observer?.disconnect()
      plot?.destroy()
    }
  }, [chart])
  return html`<div class="chart" ref=${ref} role="img" aria-label=${label}></div>`
}
