import { useEffect, useState } from 'preact/hooks'
import { loadAllAccounts } from './accounts.js'
import { gql } from './api.js'
import { count, day, instant, money, NOT_REPORTED } from './format.js'
import { html } from './html.js'
import { addDays, utcToday } from './periods.js'

const CHANGES = `query Changes($filter: StatChangesFilterInput, $after: String) {
  changes(first: 100, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id day metric currency oldValue newValue detectedAt brand campaign accountId
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

export function Changes() {
  const [filter, setFilter] = useState(
    () => remembered ?? { from: addDays(utcToday(), -89), to: utcToday(), accountId: '', metric: '' },
  )
  const [accounts, setAccounts] = useState([])
  const [page, setPage] = useState(null)
  const [error, setError] = useState('')
  const [loadingMore, setLoadingMore] = useState(false)

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
    gql(CHANGES, { filter: apiFilter }).then(
      ({ changes }) => live && setPage({ ...changes, nodes: changes.nodes }),
      (e) => live && setError(e.message),
    )
    return () => {
      live = false
    }
  }, [JSON.stringify(filter)])

  const more = async () => {
    setLoadingMore(true)
    try {
      const { changes } = await gql(CHANGES, { filter: apiFilter, after: page.pageInfo.endCursor })
      setPage({ ...changes, nodes: [...page.nodes, ...changes.nodes] })
    } catch (e) {
      setError(e.message)
    } finally {
      setLoadingMore(false)
    }
  }

  const update = (event) => {
    const { name, value } = event.target
    setFilter({ ...filter, [name]: value })
  }

  const shown = page?.nodes ?? []
  const ftdsRemoved = shown
    .filter((c) => c.metric === 'FTDS' && c.oldValue != null)
    .reduce((sum, c) => sum + Math.max(0, Number(c.oldValue) - Number(c.newValue ?? 0)), 0)
  const afterClose = shown.filter((c) => flagsOf(c).includes('After month close')).length

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
              <strong>${count(page.totalCount)}</strong> revision${page.totalCount === 1 ? '' : 's'}${
                ftdsRemoved
                  ? html`; <strong class="bad">${count(ftdsRemoved)} FTD${ftdsRemoved === 1 ? '' : 's'} removed</strong>`
                  : ''
              }${afterClose ? html`; <strong>${count(afterClose)}</strong> after the month closed` : ''}${
                page.nodes.length < page.totalCount
                  ? html` <span class="muted">(in the ${count(page.nodes.length)} shown)</span>`
                  : ''
              }.
            </p>
            <div class="table-wrap" tabindex="0">
              <table class="changes-table">
                <caption class="visually-hidden">Revisions, newest day first</caption>
                <thead><tr>
                  <th scope="col">Day</th><th scope="col">Program</th><th scope="col">Figure</th>
                  <th scope="col" class="num">Before</th><th scope="col" class="num">After</th><th scope="col" class="num">Change</th>
                  <th scope="col">Noticed</th>
                </tr></thead>
                <tbody>
                  ${page.nodes.map((c) => {
                    const flags = flagsOf(c)
                    return html`<tr class=${flags.length ? 'flagged' : ''} data-metric=${c.metric}>
                      <td>${day(c.day)}</td>
                      <td>${c.account?.programName || c.account?.label || c.accountId}${c.brand ? html`<span class="muted small"> · ${c.brand}</span>` : ''}</td>
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
              page.pageInfo.hasNextPage
                ? html`<button type="button" class="secondary" onClick=${more} disabled=${loadingMore}>${loadingMore ? 'Loading…' : 'Show more'}</button>`
                : ''
            }`)
    }
  </section>`
}
