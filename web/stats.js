import { useEffect, useMemo, useState } from 'preact/hooks'
import { allNodes } from './api.js'
import { Chart, chartsOf, MAX_SERIES } from './chart.js'
import { downloadText, toCsv } from './csv.js'
import { CURRENCIES, preferredCurrency } from './currencies.js'
import { count, money, NOT_REPORTED } from './format.js'
import { html } from './html.js'
import { addDays, utcToday } from './periods.js'

const STATS = `query Stats($input: StatsInput!, $after: String) {
  stats(input: $input) {
    currency settledThrough
    rows(after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        periodStart periodEnd settled program platformId platform { name } accountId account { label } tag currency
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
  const { nodes, answer } = await allNodes(STATS, { input }, (data) => data.stats.rows)
  return { ...answer.stats, rows: nodes }
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

function defaultQuery() {
  // Platform days are UTC days: the reader's own date can be a day ahead of or behind every platform's.
  const to = utcToday()
  return {
    from: addDays(to, -29),
    to,
    granularity: 'DAY',
    groupBy: 'PROGRAM',
    currency: preferredCurrency(),
    policy: 'DAILY',
    metric: 'commission',
    fetchMissing: false,
  }
}

/** The settings outlive the view, so leaving Stats and coming back shows the same report. */
let remembered = defaultQuery()

function period(row, granularity) {
  return granularity === 'MONTH' ? row.periodStart.slice(0, 7) : row.periodStart
}

/** Marks a period whose figures a platform may still revise (inside its revision horizon). */
export const PROVISIONAL_MARK = ' †'

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
    // The mark is for readers; the CSV keeps the plain period.
    {
      display: `${period(row, query.granularity)}${row.settled === false ? PROVISIONAL_MARK : ''}`,
      csv: period(row, query.granularity),
    },
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
      ...(request.fetchMissing ? { fetchMissing: true } : {}),
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
  const charts = useMemo(
    () =>
      result && chartMetric
        ? chartsOf(result.stats, {
            granularity: result.query.granularity,
            metric: chartMetric.key,
            money: Boolean(chartMetric.money),
            nameOf: (row) => GROUPS[result.query.groupBy]?.of(row) ?? 'All accounts',
          })
        : [],
    [result, chartMetric?.key],
  )
  const partial = charts.some((c) => c.periods.some((p) => p.partial))
  const provisional = result?.stats.rows.some((r) => r.settled === false)

  const update = (/** @type {Event} */ event) => {
    const { name, value } = /** @type {HTMLInputElement} */ (event.target)
    if (name in query) setQuery({ ...query, [name]: value, fetchMissing: false })
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
    <h2 id="stats-title">Reports</h2>
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
            ? html`<div class="empty">
                <p>No figures are stored for ${result.query.from} to ${result.query.to}.</p>
                ${
                  result.query.fetchMissing
                    ? html`<p class="muted">The platforms were asked for these days and reported nothing for them.</p>`
                    : html`<p class="muted">Syncs keep each account's recent days (its backfill); older days are fetched when asked for.</p>
                      <button type="button" onClick=${() => setQuery({ ...query, fetchMissing: true })}>Fetch these days from the platforms</button>`
                }
              </div>`
            : html`<div class="chart-head">
                <label for="stats-metric">Chart</label>
                <select id="stats-metric" value=${chartMetric?.key} onChange=${(e) => setQuery({ ...query, metric: e.currentTarget.value })}>
                  ${chartMetrics.map((m) => html`<option value=${m.key}>${m.label}</option>`)}
                </select>
              </div>
              ${charts.map(
                (chart) => html`<figure class="chart-figure">
                  ${charts.length > 1 ? html`<figcaption>${chartMetric.label} in ${chart.unit}</figcaption>` : ''}
                  ${chart.hidden ? html`<p class="muted small">The ${MAX_SERIES} largest of ${MAX_SERIES + chart.hidden} groups.</p>` : ''}
                  <${Chart} chart=${chart} label=${`${chartMetric.label}${chart.unit ? ` in ${chart.unit}` : ''} per ${GRANULARITIES[result.query.granularity].toLowerCase()}`} />
                </figure>`,
              )}
              ${
                provisional
                  ? html`<p class="muted small provisional-note"><span class="provisional-swatch" aria-hidden="true"></span> ${
                      result.stats.settledThrough
                        ? `Figures after ${result.stats.settledThrough} may still change`
                        : 'These figures may still change'
                    }: platforms approve, reverse or restate recent days until their revision horizon has passed (hatched; † in the table).</p>`
                  : ''
              }
              ${partial ? html`<p class="muted small">* A partial ${result.query.granularity === 'MONTH' ? 'month' : 'week'}: only its days inside the range count, so it is not comparable with whole ones.</p>` : ''}`
        }
        <div class="table-head">
          <button type="button" class="secondary" onClick=${download}>Download CSV</button>
        </div>
        <div class="table-wrap" tabindex="0">
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
