import { useEffect, useState } from 'preact/hooks'
import { allNodes, errorsByField, gql } from './api.js'
import { downloadText, toCsv } from './csv.js'
import { CURRENCIES, preferredCurrency, rememberCurrency } from './currencies.js'
import { count, day, money, month as monthWords, NOT_REPORTED } from './format.js'
import { html } from './html.js'

const RECONCILIATION = `query Reconciliation($from: String!, $to: String!, $currency: CurrencyCode) {
  reconciliation(fromMonth: $from, toMonth: $to, reportCurrency: $currency) {
    rows {
      account { id label programName platform { name } }
      brand month currency status owedFrom dueOn daysOverdue unconvertedPayments statisticsFrom
      owed { amount currency } reported { amount currency } expected { amount currency }
      expectedUpperBound { amount currency } difference { amount currency }
      paid { amount currency } outstanding { amount currency }
      reasons { code message count amount { amount currency } }
      breakdown {
        ftds qualifiedCpas netRevenue { amount currency } cpa { amount currency }
        revenueShare { amount currency } fees { amount currency } carriedIn { amount currency }
        carriedOut { amount currency } tierPercents versionsInForce daysWithData
      }
      payments { id paidOn source reference amount { amount currency } }
      inReportCurrency {
        rate rateDay owed { amount currency } expected { amount currency } paid { amount currency }
        outstanding { amount currency }
      }
    }
  }
}`

const DEALS = `query Deals($after: String) {
  deals(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id brand account { id label programName }
      versions {
        id validFrom validTo note
        terms {
          currency paymentTermsDays minimumPayout { amount currency }
          cpa { amount { amount currency } qualification { minFirstDeposit { amount currency } minWagering { amount currency } activity countries } }
          revenueShare { tierBasis negativeCarryOver tiers { from percent } }
          fixedFees { label frequency amount { amount currency } }
        }
      }
    }
  }
}`

const ACCOUNTS = `query PaymentAccounts($after: String) {
  accounts(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id label programName currency platform { name reportsPayments } }
  }
}`

const SET_TERMS = `mutation SetDealTerms($input: SetDealTermsInput!) {
  setDealTerms(input: $input) {
    __typename
    ... on SetDealTermsSuccess { deal { id } }
    ... on UserError { code message fields { field path message } }
  }
}`

const DELETE_VERSION = `mutation DeleteDealVersion($input: DeleteDealVersionInput!) {
  deleteDealVersion(input: $input) {
    __typename
    ... on UserError { code message }
  }
}`

const RECORD_PAYMENT = `mutation RecordPayment($input: RecordPaymentInput!) {
  recordPayment(input: $input) {
    __typename
    ... on RecordPaymentSuccess { payment { id } }
    ... on UserError { code message fields { field path message } }
  }
}`

const DELETE_PAYMENT = `mutation DeletePayment($input: DeletePaymentInput!) {
  deletePayment(input: $input) {
    __typename
    ... on UserError { code message }
  }
}`

const IMPORT_PAYMENTS = `mutation ImportPayments($input: ImportPaymentsInput!) {
  importPayments(input: $input) {
    __typename
    ... on ImportPaymentsSuccess { created updated rejected rows { line outcome errors } }
    ... on UserError { code message fields { field path message } }
  }
}`

const FETCH_PAYMENTS = `mutation FetchPlatformPayments($input: FetchPlatformPaymentsInput!) {
  fetchPlatformPayments(input: $input) {
    __typename
    ... on FetchPlatformPaymentsSuccess { created updated }
    ... on UserError { code message }
  }
}`

/** What each status means to someone waiting for money, and how loud it is. */
const STATUS = {
  OVERDUE: { label: 'Overdue', tone: 'bad' },
  SHORT: { label: 'Paid short', tone: 'bad' },
  NOT_DUE: { label: 'Not due yet', tone: 'muted' },
  BELOW_MINIMUM: { label: 'Below minimum payout', tone: 'muted' },
  PAID: { label: 'Paid', tone: 'ok' },
  OVERPAID: { label: 'Overpaid', tone: 'warn' },
  NOTHING_OWED: { label: 'Nothing owed', tone: 'muted' },
}

/** Which months the table lists; the totals above it always count every month. */
const SHOW = {
  ALL: { label: 'Every month', keep: () => true },
  ATTENTION: { label: 'Overdue or paid short', keep: (status) => status === 'OVERDUE' || status === 'SHORT' },
  OPEN: {
    label: 'Not fully paid',
    keep: (status) => ['OVERDUE', 'SHORT', 'NOT_DUE', 'BELOW_MINIMUM'].includes(status),
  },
}

const SOURCE_WORDS = { MANUAL: 'entered', CSV: 'imported', PLATFORM: 'from the platform' }

/** YYYY-MM of a Date, `back` months earlier. */
function monthOf(date, back = 0) {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - back, 1))
  return d.toISOString().slice(0, 7)
}

const programName = (row) =>
  `${row.account.programName || row.account.label}${row.brand ? ` · ${row.brand}` : ''}`

/** A figure in the program's currency, and beside it the report currency's when they differ. */
function Both({ value, converted }) {
  if (!value) return NOT_REPORTED
  if (!converted || converted.currency === value.currency) return money(value)
  return html`${money(value)}<br /><span class="small muted">${money(converted)}</span>`
}

function StatusBadge({ row }) {
  const s = STATUS[row.status] ?? { label: row.status, tone: 'muted' }
  const extra = row.daysOverdue > 0 ? ` · ${count(row.daysOverdue)} d` : ''
  return html`<span class=${`badge pay-${s.tone}`}>${s.label}${extra}</span>`
}

/** What a row without reasons says about its difference: agreement, or a gap the statistics cannot explain. */
function differenceWords(row) {
  if (!row.expected || !row.reported)
    return 'Nothing to compare: the deal or the program’s report is missing.'
  const gap = Number(row.difference?.amount ?? 0)
  if (gap === 0) return 'The program reported exactly what the deal gives.'
  return `The program reported ${money({ ...row.difference, amount: Math.abs(gap).toFixed(2) })} ${
    gap > 0 ? 'more' : 'less'
  } than the deal gives; nothing in the stored statistics explains it. Check the deal’s terms or ask the program.`
}

function Details({ row }) {
  const b = row.breakdown
  const conv = row.inReportCurrency
  return html`<div class="pay-details">
    ${
      row.reasons.length
        ? html`<ul class="pay-reasons">${row.reasons.map((r) => html`<li>${r.message}</li>`)}</ul>`
        : html`<p class="small muted">${differenceWords(row)}</p>`
    }
    ${
      b
        ? html`<dl class="pay-breakdown">
          <dt>FTDs</dt><dd>${count(b.ftds)}</dd>
          <dt>Qualified CPAs</dt><dd>${count(b.qualifiedCpas)}</dd>
          <dt>Net revenue</dt><dd>${money(b.netRevenue)}</dd>
          <dt>CPA</dt><dd>${money(b.cpa)}</dd>
          <dt>Revenue share</dt><dd>${money(b.revenueShare)}${b.tierPercents.length ? ` at ${b.tierPercents.join(' / ')} %` : ''}</dd>
          <dt>Fixed fees</dt><dd>${money(b.fees)}</dd>
          ${b.carriedIn.amount !== '0.00' || b.carriedOut.amount !== '0.00' ? html`<dt>Carry-over in / out</dt><dd>${money(b.carriedIn)} / ${money(b.carriedOut)}</dd>` : ''}
          <dt>Terms in force</dt><dd>${b.versionsInForce.length ? b.versionsInForce.map((d) => `from ${day(d)}`).join(', ') : 'none'}</dd>
        </dl>`
        : ''
    }
    ${
      row.statisticsFrom
        ? html`<p class="small">Statistics are stored from ${day(row.statisticsFrom)} only (the account’s history
            starts then): owed and expected cover part of the month, a payment covers all of it. Fetch the older days
            from the Accounts page to compare the whole month.</p>`
        : ''
    }
    <p class="small">Due ${day(row.dueOn)}.${
      conv?.rate && row.currency !== conv.owed?.currency
        ? ` ${row.currency} → ${conv.owed?.currency ?? ''} at ${Number(conv.rate).toPrecision(6)}${conv.rateDay ? ` (ECB, ${day(conv.rateDay)})` : ''}.`
        : ''
    }${row.unconvertedPayments ? ` ${row.unconvertedPayments} payment(s) in a currency without a stored rate are left out.` : ''}</p>
    ${
      row.payments.length
        ? html`<ul class="pay-list">${row.payments.map(
            (
              p,
            ) => html`<li>${`${money(p.amount)} ${p.paidOn ? `paid ${day(p.paidOn)}` : 'invoiced, not paid yet'} `}<span
                class="muted small">${SOURCE_WORDS[p.source] ?? p.source}${p.reference ? ` · ${p.reference}` : ''}</span>${' '}
              <button type="button" class="link" onClick=${() => row.onDeletePayment(p)}>Delete</button></li>`,
          )}</ul>`
        : ''
    }
  </div>`
}

function ReconciliationTable({ rows, reportCurrency }) {
  const [open, setOpen] = useState(() => new Set())
  const toggle = (key) =>
    setOpen((old) => {
      const next = new Set(old)
      if (next.has(key)) next.delete(key)
      else next.add(key)
      return next
    })
  if (!rows.length)
    return html`<p class="empty">No program has statistics, a deal or a payment in these months.</p>`
  return html`<div class="table-wrap"><table class="pay-table">
    <caption class="visually-hidden">Owed, expected, paid and outstanding per program and month</caption>
    <thead><tr>
      <th scope="col">Program</th><th scope="col">Month</th><th scope="col">Status</th>
      <th scope="col" class="num">Owed</th><th scope="col" class="num">Expected by deal</th>
      <th scope="col" class="num">Difference</th><th scope="col" class="num">Paid</th>
      <th scope="col" class="num">Outstanding</th>
    </tr></thead>
    <tbody>${rows.map((row) => {
      const key = `${row.account.id}|${row.brand ?? ''}|${row.month}`
      const conv = row.inReportCurrency
      const expanded = open.has(key)
      return html`<tr class=${`pay-row pay-${row.status.toLowerCase()}`}>
          <th scope="row"><button type="button" class="link" aria-expanded=${expanded}
            onClick=${() => toggle(key)}>${programName(row)}</button>
            <span class="small muted">${row.account.platform?.name ?? ''}</span></th>
          <td>${monthWords(row.month)}${
            row.statisticsFrom
              ? html`<br /><span class="small muted">stats from ${day(row.statisticsFrom)}</span>`
              : ''
          }</td>
          <td><${StatusBadge} row=${row} /></td>
          <td class="num"><${Both} value=${row.owed} converted=${conv?.owed} />${row.owedFrom === 'EXPECTED' ? html`<br /><span class="small muted">by deal</span>` : ''}</td>
          <td class="num">${row.expected ? html`<${Both} value=${row.expected} converted=${conv?.expected} />` : row.expectedUpperBound ? html`≤ ${money(row.expectedUpperBound)}` : NOT_REPORTED}</td>
          <td class=${`num${row.difference?.amount.startsWith('-') ? ' bad' : ''}`}>${row.difference ? money(row.difference, { signed: true }) : NOT_REPORTED}</td>
          <td class="num"><${Both} value=${row.paid} converted=${conv?.paid} /></td>
          <td class="num"><${Both} value=${row.outstanding} converted=${conv?.outstanding} /></td>
        </tr>
        ${expanded ? html`<tr class="pay-detail-row"><td colspan="8"><${Details} row=${row} /></td></tr>` : ''}`
    })}</tbody>
  </table></div>
  <p class="small muted">Owed is what the program reported as commission (or the deal’s figure where it reports none); amounts
  below in ${reportCurrency} use the rate of each month’s last day. Click a program for the reasons and payments.</p>`
}

function exportCsv(rows, reportCurrency, from, to) {
  const header = [
    'program',
    'platform',
    'brand',
    'month',
    'currency',
    'status',
    'due_on',
    'days_overdue',
    'owed',
    'owed_from',
    'reported',
    'expected',
    'expected_upper_bound',
    'difference',
    'paid',
    'outstanding',
    'reasons',
    `rate_to_${reportCurrency}`,
    `owed_${reportCurrency}`,
    `paid_${reportCurrency}`,
    `outstanding_${reportCurrency}`,
  ]
  const a = (m) => m?.amount ?? ''
  const lines = rows.map((r) => [
    r.account.programName || r.account.label,
    r.account.platform?.name ?? '',
    r.brand ?? '',
    r.month,
    r.currency,
    r.status,
    r.dueOn,
    r.daysOverdue,
    a(r.owed),
    r.owedFrom,
    a(r.reported),
    a(r.expected),
    a(r.expectedUpperBound),
    a(r.difference),
    a(r.paid),
    a(r.outstanding),
    r.reasons.map((x) => x.code).join(' '),
    r.inReportCurrency?.rate ?? '',
    a(r.inReportCurrency?.owed),
    a(r.inReportCurrency?.paid),
    a(r.inReportCurrency?.outstanding),
  ])
  downloadText(`affgraph-reconciliation-${from}-to-${to}.csv`, toCsv([header, ...lines]))
}

/** The month range, the currency and totals: what a reader checks before the table. */
function Summary({ rows, reportCurrency }) {
  const sum = (pick) => {
    let cents = 0n
    let any = false
    for (const r of rows) {
      const v = pick(r)
      if (!v) continue
      any = true
      const [i, f = ''] = v.amount.replace('-', '').split('.')
      const n = BigInt(i + f.padEnd(2, '0').slice(0, 2))
      cents += v.amount.startsWith('-') ? -n : n
    }
    if (!any) return null
    const neg = cents < 0n
    const t = (neg ? -cents : cents).toString().padStart(3, '0')
    return { amount: `${neg ? '-' : ''}${t.slice(0, -2)}.${t.slice(-2)}`, currency: reportCurrency }
  }
  const late = rows.filter((r) => r.status === 'OVERDUE' || r.status === 'SHORT')
  const outstanding = sum((r) =>
    Number(r.outstanding?.amount ?? 0) > 0 ? r.inReportCurrency?.outstanding : null,
  )
  const overdue = sum((r) => (late.includes(r) ? r.inReportCurrency?.outstanding : null))
  const paid = sum((r) => r.inReportCurrency?.paid)
  const gap = sum((r) =>
    r.difference
      ? {
          ...r.difference,
          amount: String(Number(r.difference.amount) * Number(r.inReportCurrency?.rate ?? 1)),
        }
      : null,
  )
  const kpi = (label, value, note = '', attention = false) =>
    html`<div class=${`kpi${attention ? ' attention' : ''}`}><p class="kpi-label">${label}</p>
      <p class="kpi-value">${value}</p>${note ? html`<p class="kpi-change muted">${note}</p>` : ''}</div>`
  const months = late.length === 1 ? '1 program-month' : `${count(late.length)} program-months`
  return html`<div class="kpis">
    ${kpi('Outstanding', money(outstanding), 'owed and not yet paid')}
    ${kpi('Overdue or paid short', money(overdue), months, late.length > 0)}
    ${kpi('Paid', money(paid), 'in the months shown')}
    ${kpi(
      'Reported − expected',
      gap ? money({ ...gap, amount: Number(gap.amount).toFixed(2) }, { signed: true }) : NOT_REPORTED,
      'negative: programs reported less than their deals say',
    )}
  </div>`
}

function termsWords(terms) {
  if (!terms) return 'Terms no longer readable'
  const parts = []
  if (terms.cpa) {
    const q = terms.cpa.qualification
    const conditions = [
      q.minFirstDeposit ? `first deposit ≥ ${money(q.minFirstDeposit)}` : null,
      q.minWagering ? `wagering ≥ ${money(q.minWagering)}` : null,
      q.activity,
      q.countries.length ? q.countries.join(', ') : null,
    ].filter(Boolean)
    parts.push(`CPA ${money(terms.cpa.amount)}${conditions.length ? ` (${conditions.join('; ')})` : ''}`)
  }
  if (terms.revenueShare) {
    const rs = terms.revenueShare
    const tiers = rs.tiers.map((t) => `${t.percent} % from ${t.from}`).join(', ')
    parts.push(
      `Revenue share ${tiers}${rs.tiers.length > 1 ? ` by ${rs.tierBasis === 'FTDS' ? 'FTDs' : 'net revenue'}` : ''}, ${
        rs.negativeCarryOver ? 'negative carry-over' : 'no carry-over'
      }`,
    )
  }
  for (const f of terms.fixedFees)
    parts.push(`${f.label} ${money(f.amount)} ${f.frequency === 'ONCE' ? 'once' : 'a month'}`)
  parts.push(`net ${terms.paymentTermsDays}`)
  if (terms.minimumPayout) parts.push(`minimum payout ${money(terms.minimumPayout)}`)
  return parts.join(' · ')
}

const TERM_FIELDS = [
  'accountId',
  'brand',
  'validFrom',
  'currency',
  'amount',
  'minFirstDeposit',
  'countries',
  'tiers',
  'from',
  'percent',
  'negativeCarryOver',
  'paymentTermsDays',
  'minimumPayout',
  'label',
  'note',
]

/** "25" or "0:25, 11:30, 26:35" (threshold:percent) as tiers. */
function parseTiers(text) {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (items.length === 1 && !items[0].includes(':')) return [{ from: '0', percent: items[0] }]
  return items.map((item) => {
    const [from, percent] = item.split(':').map((s) => s.trim())
    return { from: from ?? '', percent: percent ?? '' }
  })
}

function DealForm({ accounts, onSaved }) {
  const [errors, setErrors] = useState({ byField: {}, general: [] })
  const [busy, setBusy] = useState(false)
  async function submit(event) {
    event.preventDefault()
    const form = event.currentTarget
    const f = Object.fromEntries(new FormData(form))
    const terms = {
      currency: String(f.currency),
      paymentTermsDays: Number(f.paymentTermsDays || 30),
      ...(f.minimumPayout ? { minimumPayout: String(f.minimumPayout) } : {}),
    }
    if (f.cpa) {
      terms.cpa = {
        amount: String(f.cpa),
        qualification: {
          ...(f.minFirstDeposit ? { minFirstDeposit: String(f.minFirstDeposit) } : {}),
          ...(f.countries
            ? {
                countries: String(f.countries)
                  .split(/[\s,]+/)
                  .filter(Boolean)
                  .map((c) => c.toUpperCase()),
              }
            : {}),
        },
      }
    }
    if (f.tiers) {
      terms.revenueShare = {
        tierBasis: String(f.tierBasis),
        tiers: parseTiers(String(f.tiers)),
        negativeCarryOver: f.negativeCarryOver === 'on',
      }
    }
    if (f.feeAmount)
      terms.fixedFees = [
        { label: String(f.feeLabel || 'Fixed fee'), amount: String(f.feeAmount), frequency: 'MONTHLY' },
      ]
    setBusy(true)
    try {
      const { setDealTerms } = await gql(SET_TERMS, {
        input: {
          accountId: f.accountId,
          ...(f.brand ? { brand: String(f.brand) } : {}),
          validFrom: String(f.validFrom),
          terms,
          ...(f.note ? { note: String(f.note) } : {}),
        },
      })
      if (setDealTerms.__typename !== 'SetDealTermsSuccess') {
        setErrors(errorsByField(setDealTerms, TERM_FIELDS))
        return
      }
      setErrors({ byField: {}, general: [] })
      form.reset()
      onSaved()
    } catch (e) {
      setErrors(errorsByField(e, TERM_FIELDS))
    } finally {
      setBusy(false)
    }
  }
  const err = (name) =>
    errors.byField[name]?.length
      ? html`<p class="field-error" role="alert">${errors.byField[name].join(' ')}</p>`
      : ''
  const today = new Date().toISOString().slice(0, 10)
  return html`<form class="deal-form" onSubmit=${submit}>
    <h3>New terms</h3>
    <p class="small muted">Terms take effect from the day given; earlier terms stay on record for the days they governed.
      Fill CPA, revenue share or both (a hybrid).</p>
    <div class="deal-grid">
      <div class="field"><label for="deal-account">Account</label>
        <select id="deal-account" name="accountId" required>${accounts.map(
          (a) => html`<option value=${a.id}>${a.programName || a.label}</option>`,
        )}</select>${err('accountId')}</div>
      <div class="field"><label for="deal-brand">Brand <span class="muted">(only for a brand with its own deal)</span></label>
        <input id="deal-brand" name="brand" maxlength="200" />${err('brand')}</div>
      <div class="field"><label for="deal-from">In force from</label>
        <input id="deal-from" name="validFrom" type="date" required value=${today} />${err('validFrom')}</div>
      <div class="field"><label for="deal-currency">Currency</label>
        <input id="deal-currency" name="currency" required maxlength="3" value="EUR" pattern="[A-Za-z]{3}" />${err('currency')}</div>
      <div class="field"><label for="deal-cpa">CPA per qualified FTD</label>
        <input id="deal-cpa" name="cpa" inputmode="decimal" placeholder="e.g. 150" />${err('amount')}</div>
      <div class="field"><label for="deal-min-deposit">Minimum first deposit</label>
        <input id="deal-min-deposit" name="minFirstDeposit" inputmode="decimal" placeholder="e.g. 20" />${err('minFirstDeposit')}</div>
      <div class="field"><label for="deal-countries">Qualifying countries</label>
        <input id="deal-countries" name="countries" placeholder="e.g. DE, AT (empty: all)" />${err('countries')}</div>
      <div class="field"><label for="deal-tiers">Revenue share (%)</label>
        <input id="deal-tiers" name="tiers" placeholder="30, or tiers 0:25, 11:30, 26:35" aria-describedby="deal-tiers-help" />
        <p class="small muted" id="deal-tiers-help">Tiers as threshold:percent; the month’s total picks the tier for all its net revenue.</p>
        ${err('tiers')}${err('from')}${err('percent')}</div>
      <div class="field"><label for="deal-basis">Tiers by</label>
        <select id="deal-basis" name="tierBasis"><option value="FTDS">FTDs in the month</option>
          <option value="NET_REVENUE">Net revenue of the month</option></select></div>
      <div class="field"><label class="switch"><input type="checkbox" name="negativeCarryOver" /> Negative carry-over</label></div>
      <div class="field"><label for="deal-fee">Monthly fixed fee</label>
        <input id="deal-fee" name="feeAmount" inputmode="decimal" />${err('label')}</div>
      <div class="field"><label for="deal-fee-label">Fee for</label><input id="deal-fee-label" name="feeLabel" placeholder="Listing" /></div>
      <div class="field"><label for="deal-net">Paid within (days after month end)</label>
        <input id="deal-net" name="paymentTermsDays" type="number" min="0" max="365" value="30" />${err('paymentTermsDays')}</div>
      <div class="field"><label for="deal-min-payout">Minimum payout</label>
        <input id="deal-min-payout" name="minimumPayout" inputmode="decimal" />${err('minimumPayout')}</div>
      <div class="field deal-note"><label for="deal-note">Source of the terms</label>
        <input id="deal-note" name="note" maxlength="500" placeholder="IO signed 2026-03-02, email from the account manager…" />${err('note')}</div>
    </div>
    ${errors.general.map((m) => html`<p class="form-error" role="alert">${m}</p>`)}
    <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save terms'}</button>
  </form>`
}

function Deals({ deals, accounts, onChanged }) {
  const [error, setError] = useState('')
  async function remove(version) {
    if (
      !confirm(
        `Delete the terms in force from ${day(version.validFrom)}? The terms before them govern their days again.`,
      )
    )
      return
    try {
      const { deleteDealVersion } = await gql(DELETE_VERSION, { input: { id: version.id } })
      if (deleteDealVersion.__typename !== 'DeleteDealVersionSuccess') setError(deleteDealVersion.message)
      onChanged()
    } catch (e) {
      setError(e.message)
    }
  }
  return html`<section aria-labelledby="deals-h">
    <h2 id="deals-h">Deals</h2>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${
      deals.length
        ? html`<ul class="deal-list">${deals.map(
            (
              d,
            ) => html`<li class="deal"><h3>${d.account.programName || d.account.label}${d.brand ? ` · ${d.brand}` : ''}</h3>
              <ol class="deal-versions">${[...d.versions].reverse().map(
                (
                  v,
                ) => html`<li><strong>${day(v.validFrom)} – ${v.validTo ? day(v.validTo) : 'now'}:</strong>${' '}
                  ${termsWords(v.terms)}${v.note ? html` <span class="muted small">(${v.note})</span>` : ''}
                  <button type="button" class="link" onClick=${() => remove(v)}>Delete</button></li>`,
              )}</ol></li>`,
          )}</ul>`
        : html`<p class="empty">No deal recorded yet. Record each program’s terms to see what it should have paid.</p>`
    }
    ${accounts.length ? html`<${DealForm} accounts=${accounts} onSaved=${onChanged} />` : ''}
  </section>`
}

const PAYMENT_FIELDS = [
  'accountId',
  'brand',
  'month',
  'amount',
  'currency',
  'paidOn',
  'reference',
  'note',
  'csv',
]

function PaymentForms({ accounts, onChanged }) {
  const [errors, setErrors] = useState({ byField: {}, general: [] })
  const [imported, setImported] = useState(null)
  const [busy, setBusy] = useState(false)
  const [fetchWords, setFetchWords] = useState('')
  const err = (name) =>
    errors.byField[name]?.length
      ? html`<p class="field-error" role="alert">${errors.byField[name].join(' ')}</p>`
      : ''
  async function record(event) {
    event.preventDefault()
    const form = event.currentTarget
    const f = Object.fromEntries(new FormData(form))
    setBusy(true)
    try {
      const { recordPayment } = await gql(RECORD_PAYMENT, {
        input: {
          accountId: f.accountId,
          month: String(f.month),
          amount: String(f.amount).trim(),
          currency: String(f.currency).trim().toUpperCase(),
          paidOn: String(f.paidOn),
          ...(f.reference ? { reference: String(f.reference) } : {}),
          ...(f.note ? { note: String(f.note) } : {}),
        },
      })
      if (recordPayment.__typename !== 'RecordPaymentSuccess') {
        setErrors(errorsByField(recordPayment, PAYMENT_FIELDS))
        return
      }
      setErrors({ byField: {}, general: [] })
      form.reset()
      onChanged()
    } catch (e) {
      setErrors(errorsByField(e, PAYMENT_FIELDS))
    } finally {
      setBusy(false)
    }
  }
  async function importCsv(event) {
    event.preventDefault()
    const form = event.currentTarget
    const file = form.elements.namedItem('file')?.files?.[0]
    const text = file ? await file.text() : String(new FormData(form).get('csv') ?? '')
    setBusy(true)
    try {
      const { importPayments } = await gql(IMPORT_PAYMENTS, { input: { csv: text } })
      if (importPayments.__typename !== 'ImportPaymentsSuccess') {
        setImported({ error: importPayments.message })
        return
      }
      setImported(importPayments)
      onChanged()
    } catch (e) {
      setImported({ error: e.message })
    } finally {
      setBusy(false)
    }
  }
  async function readPlatforms() {
    const readers = accounts.filter((a) => a.platform?.reportsPayments)
    const now = new Date()
    let created = 0
    let updated = 0
    const failed = []
    setBusy(true)
    for (const a of readers) {
      try {
        const { fetchPlatformPayments: r } = await gql(FETCH_PAYMENTS, {
          input: { accountId: a.id, fromMonth: monthOf(now, 11), toMonth: monthOf(now) },
        })
        if (r.__typename === 'FetchPlatformPaymentsSuccess') {
          created += r.created
          updated += r.updated
        } else failed.push(`${a.programName || a.label}: ${r.message}`)
      } catch (e) {
        failed.push(`${a.programName || a.label}: ${e.message}`)
      }
    }
    setBusy(false)
    setFetchWords(
      `${count(created)} new, ${count(updated)} updated from ${count(readers.length)} account(s).${failed.length ? ` ${failed.join(' ')}` : ''}`,
    )
    onChanged()
  }
  const lastMonth = monthOf(new Date(), 1)
  const readers = accounts.filter((a) => a.platform?.reportsPayments)
  return html`<section aria-labelledby="payments-h">
    <h2 id="payments-h">Payments received</h2>
    <form class="inline-form pay-form" onSubmit=${record}>
      <div class="field"><label for="pay-account">Account</label>
        <select id="pay-account" name="accountId" required>${accounts.map(
          (a) => html`<option value=${a.id}>${a.programName || a.label}</option>`,
        )}</select>${err('accountId')}</div>
      <div class="field"><label for="pay-month">For month</label>
        <input id="pay-month" name="month" type="month" required value=${lastMonth} />${err('month')}</div>
      <div class="field"><label for="pay-amount">Amount</label>
        <input id="pay-amount" name="amount" required inputmode="decimal" />${err('amount')}</div>
      <div class="field"><label for="pay-currency">Currency</label>
        <input id="pay-currency" name="currency" required maxlength="3" value="EUR" />${err('currency')}</div>
      <div class="field"><label for="pay-on">Paid on</label>
        <input id="pay-on" name="paidOn" type="date" required />${err('paidOn')}</div>
      <div class="field"><label for="pay-ref">Reference</label>
        <input id="pay-ref" name="reference" maxlength="200" />${err('reference')}</div>
      <button type="submit" disabled=${busy || !accounts.length}>Record payment</button>
    </form>
    ${errors.general.map((m) => html`<p class="form-error" role="alert">${m}</p>`)}
    <details class="pay-import"><summary>Import a CSV statement</summary>
      <form onSubmit=${importCsv}>
        <p class="small muted">Columns: <code>account</code> (label or id), <code>month</code> (YYYY-MM paid for),
          <code>amount</code>, <code>currency</code>, <code>paid_on</code> (YYYY-MM-DD), optional <code>reference</code>,
          <code>note</code>, <code>brand</code>. A reference already stored updates that payment instead of doubling it.</p>
        <div class="field"><label for="pay-file">File</label><input id="pay-file" name="file" type="file" accept=".csv,text/csv" /></div>
        <div class="field"><label for="pay-csv">…or paste it</label><textarea id="pay-csv" name="csv" rows="4"></textarea></div>
        <button type="submit" disabled=${busy}>Import</button>
      </form>
      ${
        imported?.error
          ? html`<p class="form-error" role="alert">${imported.error}</p>`
          : imported
            ? html`<p role="status">${count(imported.created)} created, ${count(imported.updated)} updated, ${count(imported.rejected)} rejected.</p>
              <ul>${imported.rows.filter((r) => r.outcome === 'REJECTED').map((r) => html`<li>Line ${r.line}: ${r.errors.join('; ')}</li>`)}</ul>`
            : ''
      }
    </details>
    ${
      readers.length
        ? html`<p><button type="button" class="secondary" disabled=${busy} onClick=${readPlatforms}>
            Read payments from ${readers.length === 1 ? 'the platform' : `${count(readers.length)} platforms`}</button>
            ${fetchWords ? html` <span role="status" class="small">${fetchWords}</span>` : ''}</p>`
        : ''
    }
  </section>`
}

export function Payments() {
  const now = new Date()
  const [from, setFrom] = useState(monthOf(now, 5))
  const [to, setTo] = useState(monthOf(now))
  const [currency, setCurrency] = useState(preferredCurrency)
  const [rows, setRows] = useState(null)
  const [deals, setDeals] = useState([])
  const [accounts, setAccounts] = useState([])
  const [error, setError] = useState('')
  const [version, setVersion] = useState(0)
  const [show, setShow] = useState('ALL')
  const reload = () => setVersion((v) => v + 1)

  useEffect(() => {
    let live = true
    setError('')
    Promise.all([
      gql(RECONCILIATION, { from, to, currency }),
      allNodes(DEALS, {}, (d) => d.deals),
      allNodes(ACCOUNTS, {}, (d) => d.accounts),
    ])
      .then(([rec, d, a]) => {
        if (!live) return
        setRows(rec.reconciliation.rows)
        setDeals(d.nodes)
        setAccounts(a.nodes)
      })
      .catch((e) => live && setError(e.message))
    return () => {
      live = false
    }
  }, [from, to, currency, version])

  async function deletePayment(payment) {
    if (!confirm(`Delete the payment of ${money(payment.amount)}?`)) return
    try {
      await gql(DELETE_PAYMENT, { input: { id: payment.id } })
    } catch (e) {
      setError(e.message)
    }
    reload()
  }

  const shown = (rows ?? []).filter((r) => SHOW[show].keep(r.status))
  const withActions = shown.map((r) => ({ ...r, onDeletePayment: deletePayment }))
  return html`<section aria-labelledby="pay-h">
    <div class="section-head">
      <h1 id="pay-h">Payments</h1>
      <div class="overview-controls">
        <label>From <input type="month" value=${from} max=${to} onChange=${(e) => setFrom(e.currentTarget.value)} /></label>
        <label>To <input type="month" value=${to} min=${from} onChange=${(e) => setTo(e.currentTarget.value)} /></label>
        <label>Currency <select value=${currency} onChange=${(e) => {
          setCurrency(e.currentTarget.value)
          rememberCurrency(e.currentTarget.value)
        }}>${CURRENCIES.map((c) => html`<option value=${c}>${c}</option>`)}</select></label>
        <label>Show <select value=${show} onChange=${(e) => setShow(e.currentTarget.value)}>${Object.entries(
          SHOW,
        ).map(([value, s]) => html`<option value=${value}>${s.label}</option>`)}</select></label>
        <button type="button" class="secondary" disabled=${!shown.length}
          onClick=${() => exportCsv(shown, currency, from, to)}>Export CSV</button>
      </div>
    </div>
    <p class="muted">What each program owes by its own report, what its deal says it should owe, what it paid, and what is
      late. Overdue and short payments also raise alerts (rule “Payment overdue or short”).</p>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${
      rows == null
        ? html`<p class="muted">Loading…</p>`
        : html`<${Summary} rows=${rows} reportCurrency=${currency} />
          <${ReconciliationTable} rows=${withActions} reportCurrency=${currency} />`
    }
    <${PaymentForms} accounts=${accounts} onChanged=${reload} />
    <${Deals} deals=${deals} accounts=${accounts} onChanged=${reload} />
  </section>`
}
