import { useEffect, useMemo, useState } from 'preact/hooks'
import { loadAllAccounts } from './accounts.js'
import { allNodes } from './api.js'
import { count, day, instant, money, NOT_REPORTED } from './format.js'
import { html } from './html.js'
import { addDays, utcToday } from './periods.js'

const CHANGES = `query Changes($filter: StatChangesFilterInput, $after: String) {
  changes(first: 100, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      day metric currency oldValue newValue detectedAt accountId
      account { label programName platform { name } }
    }
  }
}`

const METRIC = {
  CLICKS: { label: 'Clicks' },
  IMPRESSIONS: { label: 'Impressions' },
  SIGNUPS: { label: 'Signups' },
  FTDS: { label: 'FTDs' },
  CPA_COUNT: { label: 'CPA count' },
  DEPOSIT_COUNT: { label: 'Deposit count' },
  SALES_COUNT: { label: 'Sales count' },
  REFUND_COUNT: { label: 'Refund count' },
  CHARGEBACK_COUNT: { label: 'Chargeback count' },
  DEPOSITS: { label: 'Deposits', money: true },
  NET_REVENUE: { label: 'Net revenue', money: true },
  COMMISSION: { label: 'Commission', money: true },
  SALES_AMOUNT: { label: 'Sales amount', money: true },
  REFUND_AMOUNT: { label: 'Refund amount', money: true },
  CHARGEBACK_AMOUNT: { label: 'Chargeback amount', money: true },
}

/** Figures that stand for the affiliate's players or earnings: a drop in these costs money. */
const EARNING = new Set(['FTDS', 'SIGNUPS', 'CPA_COUNT', 'NET_REVENUE', 'COMMISSION', 'DEPOSITS'])

/** A revision the affiliate should look at first, in words; null for an ordinary one. */
export function flagsOf(change) {
  const flags = []
  const before = change.oldValue == null ? null : Number(change.oldValue)
  const after = change.newValue == null ? 0 : Number(change.newValue)
  if (change.metric === 'FTDS' && before != null && after < before) flags.push('FTDs removed')
  else if (EARNING.has(change.metric) && before != null && after < before) flags.push('Lowered')
  // The day's month had ended before the platform changed it: the month's statement was already closed.
  const monthOfDay = change.day.slice(0, 7)
  if (before != null && change.detectedAt.slice(0, 7) > monthOfDay) flags.push('After month close')
  return flags
}

const figure = (change, value) => {
  if (value == null) return NOT_REPORTED
  return METRIC[change.metric]?.money
    ? money({ amount: value, currency: change.currency ?? 'XXX' }, { standard: true })
    : count(Number(value))
}

function difference(change) {
  if (change.oldValue == null || change.newValue == null) return ''
  const d = Number(change.newValue) - Number(change.oldValue)
  if (METRIC[change.metric]?.money) {
    // Six places are finer than any currency's minor unit; Intl rounds them to it.
    return money(
      { amount: d.toFixed(6), currency: change.currency ?? 'XXX' },
      { standard: true, signed: true },
    )
  }
  return `${d > 0 ? '+' : ''}${count(d)}`
}

let remembered = null

/** Enough for any real month of revisions; beyond it the page says it shows the newest only. */
const MAX_CHANGES = 5000
const ROWS_SHOWN = 100

async function allChanges(filter) {
  const { nodes, answer } = await allNodes(CHANGES, { filter }, (data) => data.changes, MAX_CHANGES)
  return { totalCount: answer.changes.totalCount, nodes }
}

/**
 * Platforms report a day in rows (per brand, campaign, currency) and revise them row by row; people read a day of
 * a program: one line per day, program, figure and currency, old and new summed.
 */
export function revisionLines(changes) {
  const lines = new Map()
  for (const c of changes) {
    const key = [c.day, c.accountId, c.metric, c.currency ?? ''].join('|')
    let line = lines.get(key)
    if (!line) {
      line = { ...c, oldValue: null, newValue: null, rows: 0, sawOld: false, sawNew: false }
      lines.set(key, line)
    }
    line.rows += 1
    if (c.oldValue != null) {
      line.oldValue = (line.oldValue ?? 0) + Number(c.oldValue)
      line.sawOld = true
    }
    if (c.newValue != null) {
      line.newValue = (line.newValue ?? 0) + Number(c.newValue)
      line.sawNew = true
    }
    if (c.detectedAt > line.detectedAt) line.detectedAt = c.detectedAt
  }
  // Sums of decimals in floating point: six places are finer than any currency's minor unit, rounded on display.
  return [...lines.values()].map((line) => ({
    ...line,
    oldValue: line.sawOld ? line.oldValue.toFixed(6) : null,
    newValue: line.sawNew ? line.newValue.toFixed(6) : line.sawOld ? '0' : null,
  }))
}

/** Per program: FTDs removed, and money lowered per figure and currency. */
function summaryOf(lines) {
  const programs = new Map()
  for (const line of lines) {
    const name = line.account?.programName || line.account?.label || line.accountId
    if (!programs.has(line.accountId))
      programs.set(line.accountId, { name, ftdsRemoved: 0, lowered: new Map(), afterClose: 0 })
    const p = programs.get(line.accountId)
    const before = line.oldValue == null ? null : Number(line.oldValue)
    const after = Number(line.newValue ?? 0)
    if (line.metric === 'FTDS' && before != null && after < before) p.ftdsRemoved += before - after
    if (METRIC[line.metric]?.money && before != null && after < before) {
      const key = `${line.metric}|${line.currency ?? 'XXX'}`
      p.lowered.set(key, (p.lowered.get(key) ?? 0) + (before - after))
    }
    if (flagsOf(line).includes('After month close')) p.afterClose += 1
  }
  return [...programs.values()].filter((p) => p.ftdsRemoved || p.lowered.size || p.afterClose)
}

export function Changes() {
  const [filter, setFilter] = useState(
    () => remembered ?? { from: addDays(utcToday(), -89), to: utcToday(), accountId: '', metric: '' },
  )
  const [accounts, setAccounts] = useState([])
  const [page, setPage] = useState(null)
  const [error, setError] = useState('')
  const [shownCount, setShownCount] = useState(ROWS_SHOWN)

  useEffect(() => {
    loadAllAccounts().then(setAccounts, (e) => setError(e.message))
  }, [])

  const apiFilter = {
    from: filter.from || undefined,
    to: filter.to || undefined,
    ...(filter.accountId ? { accountIds: [filter.accountId] } : {}),
    ...(filter.metric ? { metrics: [filter.metric] } : {}),
  }

  useEffect(() => {
    remembered = filter
    let live = true
    setError('')
    setPage(null)
    setShownCount(ROWS_SHOWN)
    allChanges(apiFilter).then(
      (answer) => live && setPage(answer),
      (e) => live && setError(e.message),
    )
    return () => {
      live = false
    }
  }, [JSON.stringify(filter)])

  const update = (event) => {
    const { name, value } = event.target
    setFilter({ ...filter, [name]: value })
  }

  const lines = useMemo(() => (page ? revisionLines(page.nodes) : []), [page])
  const summary = useMemo(() => summaryOf(lines), [lines])
  const shown = lines.slice(0, shownCount)

  return html`<section aria-labelledby="changes-title">
    <h2 id="changes-title">Revisions</h2>
    <p class="muted">Figures a platform changed after affgraph had stored them: FTDs that vanished, revenue revised
      after the month closed. Every revision is kept, old value and new.</p>
    <form class="stats-controls" onChange=${update} onSubmit=${(e) => e.preventDefault()}>
      <div class="field"><label for="changes-from">Days from</label><input id="changes-from" name="from" type="date" value=${filter.from} /></div>
      <div class="field"><label for="changes-to">to</label><input id="changes-to" name="to" type="date" value=${filter.to} /></div>
      <div class="field">
        <label for="changes-account">Program</label>
        <select id="changes-account" name="accountId" value=${filter.accountId}>
          <option value="">All programs</option>
          ${accounts.map((a) => html`<option value=${a.id}>${a.programName || a.label}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="changes-metric">Figure</label>
        <select id="changes-metric" name="metric" value=${filter.metric}>
          <option value="">All figures</option>
          ${Object.entries(METRIC).map(([value, m]) => html`<option value=${value}>${m.label}</option>`)}
        </select>
      </div>
    </form>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${!page && !error ? html`<p class="muted">Loading…</p>` : ''}
    ${
      page &&
      (page.totalCount === 0
        ? html`<p class="empty">No revisions of these days. Syncs re-read each account's recent days and record here
            any figure the platform changed.</p>`
        : html`<p class="changes-summary" role="status">
              <strong>${count(page.totalCount)}</strong> revised row${page.totalCount === 1 ? '' : 's'} of stored days, in${' '}
              <strong>${count(lines.length)}</strong> line${lines.length === 1 ? '' : 's'} (day, program, figure)${
                page.nodes.length < page.totalCount
                  ? html` <span class="muted">(the newest ${count(page.nodes.length)} rows)</span>`
                  : ''
              }.
            </p>
            ${
              summary.length
                ? html`<ul class="revision-summary">${summary.map(
                    (p) => html`<li><strong>${p.name}</strong>:${' '}
                      ${[
                        p.ftdsRemoved
                          ? html`<span class="bad">${count(p.ftdsRemoved)} FTD${p.ftdsRemoved === 1 ? '' : 's'} removed</span>`
                          : null,
                        ...[...p.lowered].map(([key, amount]) => {
                          const [metric, currency] = key.split('|')
                          return html`${METRIC[metric].label.toLowerCase()} lowered by ${money({ amount: amount.toFixed(6), currency }, { standard: true })}`
                        }),
                        p.afterClose
                          ? html`${count(p.afterClose)} change${p.afterClose === 1 ? '' : 's'} after the month closed`
                          : null,
                      ]
                        .filter(Boolean)
                        .map((part, i) => html`${i ? '; ' : ''}${part}`)}
                    </li>`,
                  )}</ul>`
                : ''
            }
            <div class="table-wrap" tabindex="0">
              <table class="changes-table">
                <caption class="visually-hidden">Revisions, newest day first</caption>
                <thead><tr>
                  <th scope="col">Day</th><th scope="col">Program</th><th scope="col">Figure</th>
                  <th scope="col" class="num">Before</th><th scope="col" class="num">After</th><th scope="col" class="num">Change</th>
                  <th scope="col">Noticed</th>
                </tr></thead>
                <tbody>
                  ${shown.map((c) => {
                    const flags = flagsOf(c)
                    return html`<tr class=${flags.length ? 'flagged' : ''} data-metric=${c.metric}>
                      <td>${day(c.day)}</td>
                      <td>${c.account?.programName || c.account?.label || c.accountId}</td>
                      <td>${METRIC[c.metric]?.label ?? c.metric}${flags.map((f) => html` <span class="flag">${f}</span>`)}</td>
                      <td class="num">${figure(c, c.oldValue)}</td>
                      <td class="num">${figure(c, c.newValue)}</td>
                      <td class="num">${difference(c)}</td>
                      <td>${instant(c.detectedAt)}</td>
                    </tr>`
                  })}
                </tbody>
              </table>
            </div>
            ${
              lines.length > shown.length
                ? html`<button type="button" class="secondary" onClick=${() => setShownCount(shownCount + ROWS_SHOWN)}>Show ${count(Math.min(ROWS_SHOWN, lines.length - shown.length))} more</button>`
                : ''
            }`)
    }
  </section>`
}
