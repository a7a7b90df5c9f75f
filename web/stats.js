import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { gql } from './api.js'
import { downloadText, toCsv } from './csv.js'
import { html } from './html.js'

const STATS = `query Stats($input: StatsInput!, $after: String) {
  stats(input: $input) {
    currency
    rows(after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        periodStart periodEnd program platformId platform { name } accountId account { label } tag currency
        clicks signups ftds
        deposits { amount currency } netRevenue { amount currency } commission { amount currency }
        conversions { currency reason }
      }
    }
    totals {
      currency clicks signups ftds
      deposits { amount currency } netRevenue { amount currency } commission { amount currency }
      native {
        currency deposits { amount currency } netRevenue { amount currency } commission { amount currency }
      }
    }
  }
}`

/**
 * The whole answer: rows come 1,000 a page, so only a long breakdown (days × accounts) takes more than one
 * request; the table and the CSV always hold every row.
 */
async function allRows(input) {
  const rows = []
  let after = null
  for (;;) {
    const { stats } = await gql(STATS, { input, after })
    rows.push(...stats.rows.nodes)
    if (!stats.rows.pageInfo.hasNextPage) return { ...stats, rows }
    after = stats.rows.pageInfo.endCursor
  }
}

const METRICS = [
  { key: 'clicks', label: 'Clicks' },
  { key: 'signups', label: 'Signups' },
  { key: 'ftds', label: 'FTDs' },
  { key: 'deposits', label: 'Deposits', money: true },
  { key: 'netRevenue', label: 'Net revenue', money: true },
  { key: 'commission', label: 'Commission', money: true },
]

const GROUPS = {
  PROGRAM: { label: 'Program', of: (row) => row.program ?? '(no program)' },
  PLATFORM: { label: 'Platform', of: (row) => row.platform?.name ?? row.platformId },
  ACCOUNT: { label: 'Account', of: (row) => row.account?.label ?? row.accountId },
  TAG: { label: 'Tag', of: (row) => row.tag ?? '(untagged)' },
}

const GRANULARITIES = { DAY: 'Day', WEEK: 'Week', MONTH: 'Month' }

/** The currencies the ECB publishes euro reference rates for: the ones a report can be converted into. */
const CURRENCIES = [
  'EUR',
  'USD',
  'GBP',
  'CAD',
  'AUD',
  'NZD',
  'CHF',
  'SEK',
  'NOK',
  'DKK',
  'PLN',
  'CZK',
  'HUF',
  'RON',
]
  .concat(['BGN', 'ISK', 'TRY', 'JPY', 'CNY', 'HKD', 'SGD', 'KRW', 'INR', 'IDR', 'MYR', 'PHP', 'THB', 'ILS'])
  .concat(['BRL', 'MXN', 'ZAR'])

const NOT_REPORTED = '—'
const CHART_HEIGHT = 260
const MAX_SERIES = 8
const PALETTE = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d']

/** @param {Date} date */
const isoDay = (date) => date.toLocaleDateString('en-CA')

function defaultQuery() {
  const to = new Date()
  const from = new Date(to)
  from.setDate(from.getDate() - 29)
  return {
    from: isoDay(from),
    to: isoDay(to),
    granularity: 'DAY',
    groupBy: 'PROGRAM',
    currency: '',
    policy: 'DAILY',
    metric: 'commission',
  }
}

/** The settings outlive the view, so leaving Stats and coming back shows the same report. */
let remembered = defaultQuery()

function period(row, granularity) {
  return granularity === 'MONTH' ? row.periodStart.slice(0, 7) : row.periodStart
}

/** Counts with the reader's thousands separators ("12,345" or "12.345"). */
const COUNT_FORMAT = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
const count = (value) => (value == null ? NOT_REPORTED : COUNT_FORMAT.format(value))

/**
 * Money as people read it: the currency's symbol (or code) and the reader's separators, with exactly the decimal
 * places of the amount the API rounded (JPY none, EUR two, KWD three). The amount goes to Intl as a string, which
 * formats it as the exact decimal it is: no binary float in between, however large.
 */
function money(value) {
  if (value == null) return NOT_REPORTED
  const places = value.amount.split('.')[1]?.length ?? 0
  const options = { minimumFractionDigits: places, maximumFractionDigits: places }
  try {
    return new Intl.NumberFormat(undefined, {
      ...options,
      style: 'currency',
      currency: value.currency,
    }).format(value.amount)
  } catch {
    // A code a platform sent that this browser cannot format as a currency: the number and the code.
    return `${new Intl.NumberFormat(undefined, options).format(value.amount)} ${value.currency}`
  }
}

/** One table cell: what people read, and what the CSV holds (the plain rounded amount; empty for no figure). */
const text = (value) => ({ display: value, csv: value })
function cellOf(metric, value) {
  if (metric.money) return { display: money(value), csv: value?.amount ?? '' }
  return { display: count(value), csv: value ?? '' }
}

/**
 * What the table shows, cell for cell: the CSV download is built from the same model, with the plain rounded
 * amounts instead of the formatted ones. Metrics that no row and no total has (no connected platform reports them)
 * get no column.
 */
export function statsTable(result, query) {
  const metrics = METRICS.filter(
    (m) => result.totals[m.key] != null || result.rows.some((r) => r[m.key] != null),
  )
  const group = GROUPS[query.groupBy]
  const lead = group ? [''] : []
  const header = ['Period', ...(group ? [group.label] : []), 'Currency', ...metrics.map((m) => m.label)]
  const body = result.rows.map((row) => [
    text(period(row, query.granularity)),
    ...(group ? [text(group.of(row))] : []),
    text(row.currency ?? ''),
    ...metrics.map((m) => cellOf(m, row[m.key])),
  ])
  const totals = result.totals
  const footer = [
    [
      text('Total'),
      ...lead.map(text),
      text(totals.currency ?? ''),
      ...metrics.map((m) => cellOf(m, totals[m.key])),
    ],
  ]
  // Without a report currency, money in several currencies cannot be one total: one line per currency.
  if (!totals.currency && totals.native.length > 1) {
    for (const native of totals.native) {
      footer.push([
        text(`Total ${native.currency}`),
        ...lead.map(text),
        text(native.currency),
        ...metrics.map((m) => (m.money ? cellOf(m, native[m.key]) : text(''))),
      ])
    }
  }
  return { header, body, footer, metrics }
}

/** Series for the chart: one per group (and native currency), the largest first, on a shared time axis. */
function chartData(result, query) {
  const group = GROUPS[query.groupBy]
  const days = [...new Set(result.rows.map((r) => r.periodStart))].sort()
  const index = new Map(days.map((d, i) => [d, i]))
  const series = new Map()
  for (const row of result.rows) {
    const name = [group ? group.of(row) : 'All', result.currency ? '' : row.currency]
      .filter(Boolean)
      .join(' · ')
    if (!series.has(name)) series.set(name, { name, values: days.map(() => null), size: 0 })
    const entry = series.get(name)
    const figure = row[query.metric]
    if (figure == null) continue
    // The chart only needs a point's height: a float is precise enough there, and money is the rounded amount.
    const value = Number(typeof figure === 'object' ? figure.amount : figure)
    entry.values[index.get(row.periodStart)] = value
    entry.size += Math.abs(value)
  }
  const ranked = [...series.values()].sort((a, b) => b.size - a.size)
  return {
    x: days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
    series: ranked.slice(0, MAX_SERIES),
    hidden: Math.max(0, ranked.length - MAX_SERIES),
  }
}

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

function Chart({ data, label }) {
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
      const options = {
        width: element.clientWidth || 320,
        height: CHART_HEIGHT,
        // Periods are platform days, not instants: label them as the calendar days they are, in any time zone.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true } },
        axes: [axis, { ...axis, size: 64 }],
        series: [
          {
            label: 'Period',
            value: (_, ts) => (ts == null ? '—' : new Date(ts * 1000).toISOString().slice(0, 10)),
          },
          ...data.series.map((s, i) => ({
            label: s.name,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            points: { show: data.x.length <= 62 },
          })),
        ],
      }
      plot = new uPlot(options, [data.x, ...data.series.map((s) => s.values)], element)
      observer = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: CHART_HEIGHT }))
      observer.observe(element)
    })
    return () => {
      cancelled = true
      observer?.disconnect()
      plot?.destroy()
    }
  }, [data])
  return html`<div class="chart" ref=${ref} role="img" aria-label=${label}></div>`
}

/** Why some converted figures are blank: the API never guesses a missing rate. */
function missingRates(result) {
  const notes = new Map()
  for (const row of result.rows) {
    for (const c of row.conversions) {
      if (c.reason)
        notes.set(c.currency, c.reason === 'UNKNOWN_CURRENCY' ? 'no rate is stored' : 'no recent rate')
    }
  }
  return [...notes].map(([currency, why]) => `${currency} → ${result.currency}: ${why}`)
}

export function Stats() {
  const [query, setQuery] = useState(remembered)
  const [result, setResult] = useState(null)
  const [error, setError] = useState('')
  const [loading, setLoading] = useState(false)
  const { metric, ...request } = query

  useEffect(() => {
    remembered = query
  }, [query])

  useEffect(() => {
    if (!request.from || !request.to) return
    if (request.from > request.to) {
      setError('"From" must not be after "To".')
      return
    }
    let current = true
    setLoading(true)
    const input = {
      range: { from: request.from, to: request.to },
      granularity: request.granularity,
      groupBy: request.groupBy ? [request.groupBy] : [],
      ...(request.currency ? { currency: request.currency, fx: { policy: request.policy } } : {}),
    }
    allRows(input).then(
      (stats) => {
        if (!current) return
        setResult({ stats, query: request })
        setError('')
        setLoading(false)
      },
      (e) => {
        if (!current) return
        setError(e.message)
        setLoading(false)
      },
    )
    // A newer request supersedes this one: its answer, whenever it comes, is dropped.
    return () => {
      current = false
    }
  }, [JSON.stringify(request)])

  const table = useMemo(() => result && statsTable(result.stats, result.query), [result])
  const chartMetrics = table?.metrics ?? []
  const chartMetric = chartMetrics.find((m) => m.key === metric) ?? chartMetrics[0]
  const chart = useMemo(
    () => result && chartMetric && chartData(result.stats, { ...result.query, metric: chartMetric.key }),
    [result, chartMetric?.key],
  )

  const update = (/** @type {Event} */ event) => {
    const { name, value } = /** @type {HTMLInputElement} */ (event.target)
    if (name in query) setQuery({ ...query, [name]: value })
  }

  const download = () => {
    const q = result.query
    const name = [
      'affgraph-stats',
      q.from,
      q.to,
      q.granularity.toLowerCase(),
      q.groupBy.toLowerCase() || 'all',
      q.currency.toLowerCase(),
    ]
    downloadText(
      `${name.filter(Boolean).join('-')}.csv`,
      toCsv([table.header, ...[...table.body, ...table.footer].map((row) => row.map((c) => c.csv))]),
    )
  }

  const numeric = (index) => index >= table.header.length - table.metrics.length
  const notes = result?.stats.currency ? missingRates(result.stats) : []
  return html`<section aria-labelledby="stats-title">
    <h2 id="stats-title">Stats</h2>
    <form class="stats-controls" onChange=${update} onSubmit=${(e) => e.preventDefault()}>
      <div class="field"><label for="stats-from">From</label><input id="stats-from" name="from" type="date" value=${query.from} required /></div>
      <div class="field"><label for="stats-to">To</label><input id="stats-to" name="to" type="date" value=${query.to} required /></div>
      <div class="field">
        <label for="stats-granularity">Per</label>
        <select id="stats-granularity" name="granularity" value=${query.granularity}>
          ${Object.entries(GRANULARITIES).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="stats-group">Grouped by</label>
        <select id="stats-group" name="groupBy" value=${query.groupBy}>
          ${Object.entries(GROUPS).map(([value, g]) => html`<option value=${value}>${g.label}</option>`)}
          <option value="">Nothing (all accounts)</option>
        </select>
      </div>
      <div class="field">
        <label for="stats-currency">Currency</label>
        <select id="stats-currency" name="currency" value=${query.currency}>
          <option value="">As each program reports</option>
          ${CURRENCIES.map((c) => html`<option value=${c}>${c}</option>`)}
        </select>
      </div>
      ${
        query.currency
          ? html`<div class="field">
            <label for="stats-policy">Exchange rate</label>
            <select id="stats-policy" name="policy" value=${query.policy}>
              <option value="DAILY">Each day's rate</option>
              <option value="PERIOD_END">Rate at period end</option>
            </select>
          </div>`
          : ''
      }
    </form>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${loading && !result ? html`<p class="muted">Loading stats…</p>` : ''}
    ${
      table &&
      html`<div class=${loading ? 'stale' : ''} aria-busy=${loading}>
        ${
          table.body.length === 0
            ? html`<p class="muted">No stats stored for these days yet. A connected account's history appears once its first sync finishes.</p>`
            : html`<div class="chart-head">
                <label for="stats-metric">Chart</label>
                <select id="stats-metric" value=${chartMetric?.key} onChange=${(e) => setQuery({ ...query, metric: e.currentTarget.value })}>
                  ${chartMetrics.map((m) => html`<option value=${m.key}>${m.label}</option>`)}
                </select>
                ${chart.hidden ? html`<span class="muted">the ${MAX_SERIES} largest of ${MAX_SERIES + chart.hidden} groups</span>` : ''}
              </div>
              <${Chart} data=${chart} label=${`${chartMetric.label} per ${GRANULARITIES[result.query.granularity].toLowerCase()}`} />`
        }
        <div class="table-head">
          <button type="button" class="secondary" onClick=${download}>Download CSV</button>
        </div>
        <div class="table-wrap">
          <table class="stats-table">
            <thead><tr>${table.header.map((h, i) => html`<th scope="col" class=${numeric(i) ? 'num' : ''}>${h}</th>`)}</tr></thead>
            <tbody>
              ${table.body.map((row) => html`<tr>${row.map((cell, i) => html`<td class=${numeric(i) ? 'num' : ''}>${cell.display}</td>`)}</tr>`)}
            </tbody>
            <tfoot>
              ${table.footer.map((row) => html`<tr>${row.map((cell, i) => (i === 0 ? html`<th scope="row">${cell.display}</th>` : html`<td class=${numeric(i) ? 'num' : ''}>${cell.display}</td>`))}</tr>`)}
            </tfoot>
          </table>
        </div>
        ${notes.length ? html`<p class="muted">${NOT_REPORTED} in money columns: ${notes.join('; ')}. Missing rates are never guessed.</p>` : ''}
        ${
          [...table.body, ...table.footer].some((row) => row.some((cell) => cell.display === NOT_REPORTED))
            ? html`<p class="muted">${NOT_REPORTED} means no connected platform reports that figure.</p>`
            : ''
        }
      </div>`
    }
  </section>`
}
