import { useEffect, useMemo, useState } from 'preact/hooks'
import { loadAllAccounts, needsAttention } from './accounts.js'
import { allNodes, gql } from './api.js'
import { CURRENCIES, preferredCurrency, rememberCurrency } from './currencies.js'
import { change, count, day, money, NOT_REPORTED, numberOf, perClick, percent } from './format.js'
import { html } from './html.js'
import { daysBetween, PRESETS, presetRanges, utcToday } from './periods.js'

const OVERVIEW = `query Overview($current: StatsInput!, $previous: StatsInput!, $revisionsFrom: Date!) {
  current: stats(input: $current) {
    currency
    rows(first: 1000) {
      nodes {
        accountId
        account { id label programName timeZone platform { name } }
        clicks signups ftds
        deposits { amount currency } netRevenue { amount currency } commission { amount currency }
        epc clickToSignup signupToFtd
      }
    }
    totals {
      currency clicks signups ftds
      deposits { amount currency } netRevenue { amount currency } commission { amount currency }
      epc clickToSignup signupToFtd
    }
  }
  previous: stats(input: $previous) {
    rows(first: 1000) {
      nodes {
        accountId clicks signups ftds
        deposits { amount currency } netRevenue { amount currency } commission { amount currency }
        epc clickToSignup
      }
    }
    totals {
      clicks signups ftds
      deposits { amount currency } netRevenue { amount currency } commission { amount currency }
      epc clickToSignup signupToFtd
    }
  }
  ftdsRemoved: changes(first: 0, filter: { from: $revisionsFrom, metrics: [FTDS] }) { totalCount }
  revisions: changes(first: 0, filter: { from: $revisionsFrom }) { totalCount }
}`

const OPEN_ALERTS = `query OverviewOpenAlerts { alerts(first: 0, filter: { status: OPEN }) { totalCount } }`

const TREND = `query OverviewTrend($input: StatsInput!, $after: String) {
  stats(input: $input) {
    rows(after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { periodStart accountId commission { amount } }
    }
  }
}`

/**
 * The cards, in reading order. `better` says which way is good news: every figure here is better higher, which
 * the arrow and colour show, always with the signed percentage in words beside them.
 */
const KPIS = [
  { key: 'clicks', label: 'Clicks', show: (v) => count(v) },
  { key: 'signups', label: 'Signups', show: (v) => count(v) },
  { key: 'ftds', label: 'FTDs', show: (v) => count(v) },
  { key: 'deposits', label: 'Deposits', show: (v) => money(v) },
  { key: 'netRevenue', label: 'Net revenue', show: (v) => money(v) },
  { key: 'commission', label: 'Commission', show: (v) => money(v) },
  { key: 'epc', label: 'EPC', hint: 'commission per click', show: (v, currency) => perClick(v, currency) },
  { key: 'clickToSignup', label: 'CR', hint: 'signups per click', show: (v) => percent(v) },
]

const COLUMNS = [
  { key: 'program', label: 'Program', text: true },
  { key: 'clicks', label: 'Clicks' },
  { key: 'signups', label: 'Signups' },
  { key: 'ftds', label: 'FTDs' },
  { key: 'deposits', label: 'Deposits' },
  { key: 'netRevenue', label: 'Net revenue' },
  { key: 'commission', label: 'Commission' },
  { key: 'change', label: 'vs previous' },
  { key: 'epc', label: 'EPC' },
]

/** At most this many points per sparkline: days up to two months, then weeks, then months. */
const trendGranularity = (days) => (days <= 62 ? 'DAY' : days <= 400 ? 'WEEK' : 'MONTH')

let remembered = { preset: 'last7', custom: null }

const trendRows = async (input) => (await allNodes(TREND, { input }, (data) => data.stats.rows)).nodes

/** The program a row stands for: its name, else the account's label (never a host). */
const programOf = (account) => account?.programName || account?.label || NOT_REPORTED

function Delta({ now, before, label }) {
  const c = change(now, before)
  const arrow = { up: '▲', down: '▼', flat: '', none: '' }[c.direction]
  return html`<span class=${`delta delta-${c.direction}`} title=${label}>
    ${arrow ? html`<span aria-hidden="true">${arrow} </span>` : ''}${c.text}
  </span>`
}

/** A line of the period's values, drawn as text for assistive technology: its label says first and last. */
function Sparkline({ values, label }) {
  const points = values.filter((v) => v != null)
  if (points.length < 2) return html`<span class="muted">${NOT_REPORTED}</span>`
  const width = 96
  const height = 24
  const min = Math.min(...points)
  const max = Math.max(...points)
  const span = max - min || 1
  const step = width / (values.length - 1)
  const path = values
    .map((v, i) =>
      v == null
        ? null
        : `${(i * step).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`,
    )
    .filter(Boolean)
    .join(' ')
  return html`<svg class="sparkline" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${label}>
    <polyline points=${path} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`
}

function Kpi({ kpi, now, before, currency }) {
  return html`<div class="kpi" data-kpi=${kpi.key}>
    <p class="kpi-label">${kpi.label}${kpi.hint ? html` <span class="muted">(${kpi.hint})</span>` : ''}</p>
    <p class="kpi-value">${kpi.show(now?.[kpi.key], currency)}</p>
    <p class="kpi-change"><${Delta} now=${now?.[kpi.key]} before=${before?.[kpi.key]} label=${`${kpi.label} against the previous period`} />
      <span class="muted"> vs ${kpi.show(before?.[kpi.key], currency)}</span></p>
  </div>`
}

export function Overview({ navigate }) {
  const [settings, setSettings] = useState(remembered)
  const [currency, setCurrency] = useState(preferredCurrency)
  const [data, setData] = useState(null)
  const [trend, setTrend] = useState(null)
  const [accounts, setAccounts] = useState(null)
  const [openAlerts, setOpenAlerts] = useState(0)
  const [error, setError] = useState('')
  const [sort, setSort] = useState({ key: 'commission', descending: true })

  const today = utcToday()
  const { current, previous } = presetRanges(settings.preset, today, settings.custom ?? undefined)

  useEffect(() => {
    remembered = settings
  }, [settings])

  useEffect(() => {
    loadAllAccounts().then(setAccounts, (e) => setError(e.message))
    // A count only; the banner is a pointer to the Alerts page, and a failure here must not hide the figures.
    gql(OPEN_ALERTS).then(
      (answer) => setOpenAlerts(answer.alerts.totalCount),
      () => setOpenAlerts(0),
    )
  }, [])

  useEffect(() => {
    if (current.from > current.to) {
      setError('"From" must not be after "To".')
      return
    }
    let live = true
    const base = { currency, fx: { policy: 'DAILY' }, groupBy: ['ACCOUNT'] }
    const variables = {
      current: { ...base, range: current },
      previous: { ...base, range: previous },
      revisionsFrom: previous.from,
    }
    const granularity = trendGranularity(daysBetween(current.from, current.to))
    setError('')
    Promise.all([gql(OVERVIEW, variables), trendRows({ ...base, range: current, granularity })]).then(
      ([answer, rows]) => {
        if (!live) return
        setData({ ...answer, range: current, previousRange: previous })
        setTrend(rows)
      },
      (e) => live && setError(e.message),
    )
    return () => {
      live = false
    }
  }, [current.from, current.to, previous.from, previous.to, currency])

  const table = useMemo(() => {
    if (!data) return []
    const before = new Map(data.previous.rows.nodes.map((r) => [r.accountId, r]))
    const series = new Map()
    const periods = [...new Set((trend ?? []).map((r) => r.periodStart))].sort()
    const index = new Map(periods.map((p, i) => [p, i]))
    for (const row of trend ?? []) {
      if (!series.has(row.accountId))
        series.set(
          row.accountId,
          periods.map(() => null),
        )
      series.get(row.accountId)[index.get(row.periodStart)] = numberOf(row.commission)
    }
    return data.current.rows.nodes.map((row) => ({
      row,
      before: before.get(row.accountId),
      program: programOf(row.account),
      trend: series.get(row.accountId) ?? [],
    }))
  }, [data, trend])

  const sorted = useMemo(() => {
    const value = (entry) => {
      if (sort.key === 'program') return entry.program.toLocaleLowerCase()
      if (sort.key === 'change')
        return change(entry.row.commission, entry.before?.commission).fraction ?? -Infinity
      return numberOf(entry.row[sort.key]) ?? -Infinity
    }
    return [...table].sort((a, b) => {
      const x = value(a)
      const y = value(b)
      const order = x < y ? -1 : x > y ? 1 : 0
      return sort.descending ? -order : order
    })
  }, [table, sort])

  const attention = (accounts ?? []).filter(needsAttention)
  const onPreset = (event) => {
    const preset = event.currentTarget.value
    setSettings({ preset, custom: preset === 'custom' ? (settings.custom ?? current) : settings.custom })
  }
  const onCustom = (event) => {
    const { name, value } = event.currentTarget
    if (value) setSettings({ preset: 'custom', custom: { ...current, [name]: value } })
  }
  const onCurrency = (event) => {
    setCurrency(event.currentTarget.value)
    rememberCurrency(event.currentTarget.value)
  }
  const sortBy = (key) =>
    setSort(sort.key === key ? { key, descending: !sort.descending } : { key, descending: key !== 'program' })

  const go = (section) => (event) => {
    event.preventDefault()
    navigate(section)
  }
  if (accounts?.length === 0) {
    return html`<section aria-labelledby="overview-title">
      <h2 id="overview-title">Welcome to affgraph</h2>
      <p>No accounts yet. <a href="#connect" onClick=${go('connect')}>Connect your first program</a> with the API
        credentials from its affiliate portal, or <a href="#import" onClick=${go('import')}>import many from a CSV file</a>.
        Their figures appear here as their first syncs finish.</p>
    </section>`
  }
  const totals = data?.current.totals
  const previousTotals = data?.previous.totals
  return html`<section aria-labelledby="overview-title">
    <h2 id="overview-title">Overview</h2>
    <form class="overview-controls" onSubmit=${(e) => e.preventDefault()}>
      <div class="field">
        <label for="overview-period">Period</label>
        <select id="overview-period" value=${settings.preset} onChange=${onPreset}>
          ${PRESETS.map((p) => html`<option value=${p.id}>${p.label}</option>`)}
        </select>
      </div>
      ${
        settings.preset === 'custom'
          ? html`<div class="field"><label for="overview-from">From</label><input id="overview-from" name="from" type="date" value=${current.from} onChange=${onCustom} /></div>
            <div class="field"><label for="overview-to">To</label><input id="overview-to" name="to" type="date" value=${current.to} onChange=${onCustom} /></div>`
          : ''
      }
      <div class="field">
        <label for="overview-currency">Currency</label>
        <select id="overview-currency" value=${currency} onChange=${onCurrency}>
          ${CURRENCIES.map((c) => html`<option value=${c}>${c}</option>`)}
        </select>
      </div>
    </form>
    <p class="muted period-line" data-testid="period-line">
      <span class="current-range" data-from=${current.from} data-to=${current.to}>${day(current.from)} – ${day(current.to)}</span>${' '}
      compared with <span class="previous-range" data-from=${previous.from} data-to=${previous.to}>${day(previous.from)} – ${day(previous.to)}</span>.
      Days are platform days in UTC unless an account reports in its own zone (shown beside it). Money in ${currency} at each
      day's ECB reference rate; a missing rate is never guessed.
    </p>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${
      attention.length
        ? html`<div class="attention" role="status">
            <strong>${attention.length} account${attention.length === 1 ? ' needs' : 's need'} attention:</strong>
            ${attention.map((a, i) => html`${i ? ', ' : ' '}<span>${programOf(a)}</span>`)}.${' '}
            <a href="#accounts" onClick=${go('accounts')}>Open accounts</a>
          </div>`
        : ''
    }
    ${
      openAlerts > 0
        ? html`<div class="attention open-alerts" role="status">
            <strong>${count(openAlerts)} open alert${openAlerts === 1 ? '' : 's'}.</strong>${' '}
            <a href="#alerts" onClick=${go('alerts')}>Open alerts</a>
          </div>`
        : ''
    }
    ${
      data && data.revisions.totalCount > 0
        ? html`<div class="revisions-note">
            Platforms revised <strong>${count(data.revisions.totalCount)}</strong> stored figure${data.revisions.totalCount === 1 ? '' : 's'}${' '}
            of days since ${day(previous.from)}${data.ftdsRemoved.totalCount ? html`, <strong>${count(data.ftdsRemoved.totalCount)}</strong> of them FTD counts` : ''}.${' '}
            <a href="#revisions" onClick=${go('revisions')}>See what changed</a>
          </div>`
        : ''
    }
    ${!data && !error ? html`<p class="muted">Loading…</p>` : ''}
    ${
      data &&
      html`<div class="kpis">${KPIS.map((kpi) => html`<${Kpi} kpi=${kpi} now=${totals} before=${previousTotals} currency=${data.current.currency} />`)}</div>
        <h3>Programs</h3>
        ${
          sorted.length === 0
            ? html`<p class="muted">No figures stored for this period. Accounts fill it as their syncs finish; older history can be fetched from each account's page.</p>`
            : html`<div class="table-wrap" tabindex="0">
            <table class="programs-table">
              <caption class="visually-hidden">Programs in the period, sortable by any column</caption>
              <thead><tr>
                ${COLUMNS.map(
                  (
                    c,
                  ) => html`<th scope="col" class=${c.text ? '' : 'num'} aria-sort=${sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined}>
                    <button type="button" class="sort" onClick=${() => sortBy(c.key)}>${c.label}</button>
                  </th>`,
                )}
                <th scope="col">Commission trend</th>
              </tr></thead>
              <tbody>
                ${sorted.map(
                  (entry) => html`<tr data-account-id=${entry.row.accountId}>
                    <th scope="row" class="program-cell">
                      <span class="program-name">${entry.program}</span>
                      <span class="muted small">${[entry.row.account?.platform?.name, entry.row.account?.label !== entry.program ? entry.row.account?.label : null, entry.row.account?.timeZone].filter(Boolean).join(' · ')}</span>
                    </th>
                    <td class="num">${count(entry.row.clicks)}</td>
                    <td class="num">${count(entry.row.signups)}</td>
                    <td class="num">${count(entry.row.ftds)}</td>
                    <td class="num">${money(entry.row.deposits)}</td>
                    <td class="num">${money(entry.row.netRevenue)}</td>
                    <td class="num">${money(entry.row.commission)}</td>
                    <td class="num"><${Delta} now=${entry.row.commission} before=${entry.before?.commission} label="Commission against the previous period" /></td>
                    <td class="num">${perClick(entry.row.epc, data.current.currency)}</td>
                    <td><${Sparkline} values=${entry.trend} label=${`Commission of ${entry.program} per period`} /></td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        }`
    }
  </section>`
}
