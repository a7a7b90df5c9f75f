import { useEffect, useRef, useState } from 'preact/hooks'
import { allNodes, errorsByField, gql, subscribe } from './api.js'
import { splitTags } from './connect.js'
import { Destinations, kindWords, loadDestinations } from './destinations.js'
import { count, day, instant, money, relative } from './format.js'
import { html } from './html.js'

const ALERT_FIELDS = `query Alerts($filter: AlertFilter, $after: String) {
  alerts(first: 50, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id kind status title reasons day metric before after currency
      beforeMoney { amount currency } afterMoney { amount currency }
      firedAt lastSeenAt resolvedAt resolution
      account { id label programName platform { name } }
      rule { id name }
      deliveries { id event status lastError destination { id name kind } }
    }
  }
  open: alerts(first: 0, filter: { status: OPEN }) { totalCount }
}`

const RULES = `query AlertRules($after: String) {
  alertRules(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name kind enabled targetTags targetAccounts { id label } openAlertCount createdAt
      destinations { id name kind hint }
      settings {
        activeDays afterHorizon afterMonthClose baselineDays changePercent direction ftdsRemoved metric
        minimumBaseline moneyChangePercent quietDays signupsRemoved staleHours windowDays
        graceDays shortPayments minimumOutstanding monthsBack
      }
    }
  }
}`

const RULE_ACCOUNTS = `query AlertRuleAccounts($after: String) {
  accounts(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id label programName tags }
  }
}`

const CREATE_RULE = `mutation CreateAlertRule($input: CreateAlertRuleInput!) {
  createAlertRule(input: $input) {
    __typename
    ... on CreateAlertRuleSuccess { alertRule { id name } }
    ... on UserError { code message fields { field path message } }
  }
}`

const UPDATE_RULE = `mutation UpdateAlertRule($input: UpdateAlertRuleInput!) {
  updateAlertRule(input: $input) {
    __typename
    ... on UpdateAlertRuleSuccess { alertRule { id enabled } }
    ... on UserError { code message fields { field path message } }
  }
}`

const DELETE_RULE = `mutation DeleteAlertRule($input: DeleteAlertRuleInput!) {
  deleteAlertRule(input: $input) {
    __typename
    ... on UserError { code message }
  }
}`

const DISMISS_ALERT = `mutation DismissAlert($input: DismissAlertInput!) {
  dismissAlert(input: $input) {
    __typename
    ... on DismissAlertSuccess { alert { id status } }
    ... on UserError { code message }
  }
}`

const ALERT_CHANGED = `subscription AlertChanged {
  alertChanged { id status title }
}`

/**
 * The kinds, with what each watches in one line and the settings it takes. Defaults are those the schema lists on
 * `AlertRuleSettings`; the form shows them so nobody has to guess what an empty field means.
 */
export const KINDS = {
  REVISION: {
    label: 'Revised figures',
    explain:
      'A platform changes a day already stored: FTDs removed, money moved, or a change after the month closed.',
    settings: [
      { name: 'ftdsRemoved', label: 'FTDs removed', type: 'boolean', value: true },
      { name: 'signupsRemoved', label: 'Signups removed', type: 'boolean', value: false },
      { name: 'afterMonthClose', label: 'Any change after the month closed', type: 'boolean', value: true },
      {
        name: 'afterHorizon',
        label: 'Any change after the platform called the day final',
        type: 'boolean',
        value: true,
      },
      {
        name: 'moneyChangePercent',
        label: 'Money moved by more than (%)',
        hint: 'Net revenue or commission of the day. Leave empty to not watch money.',
        type: 'number',
        value: 10,
        min: 0,
        max: 1000,
        optional: true,
      },
      {
        name: 'windowDays',
        label: 'Look at revisions of the last (days)',
        type: 'number',
        value: 35,
        min: 1,
        max: 366,
      },
    ],
  },
  SYNC_STALE: {
    label: 'Sync stale',
    explain: 'An account has had no successful sync for a while, so its figures are getting old.',
    settings: [
      {
        name: 'staleHours',
        label: 'Hours without a successful sync',
        type: 'number',
        value: 24,
        min: 1,
        max: 720,
      },
    ],
  },
  CREDENTIALS_REFUSED: {
    label: 'Credentials refused',
    explain: 'A program refuses the stored API key or password; nothing syncs until it is replaced.',
    settings: [],
  },
  TRAFFIC_CHANGE: {
    label: 'Traffic change',
    explain:
      'Yesterday’s figure strays far from the median of the days before (a broken link, a lost placement, a bot).',
    settings: [
      {
        name: 'metric',
        label: 'Figure',
        type: 'select',
        value: 'CLICKS',
        options: [
          ['CLICKS', 'Clicks'],
          ['SIGNUPS', 'Signups'],
          ['FTDS', 'FTDs'],
          ['DEPOSITS', 'Deposits'],
          ['NET_REVENUE', 'Net revenue'],
          ['COMMISSION', 'Commission'],
        ],
      },
      {
        name: 'direction',
        label: 'Which way',
        type: 'select',
        value: 'DROP',
        options: [
          ['DROP', 'Drop'],
          ['SPIKE', 'Spike'],
          ['BOTH', 'Either way'],
        ],
      },
      { name: 'changePercent', label: 'By more than (%)', type: 'number', value: 50, min: 1, max: 1000 },
      {
        name: 'baselineDays',
        label: 'Baseline: median of the previous (days)',
        type: 'number',
        value: 14,
        min: 3,
        max: 90,
      },
      {
        name: 'minimumBaseline',
        label: 'Ignore accounts whose baseline is below',
        hint: 'In the figure’s unit, so tiny accounts do not alert on noise.',
        type: 'number',
        value: 20,
        min: 0,
      },
    ],
  },
  STOPPED_REPORTING: {
    label: 'Stopped reporting',
    explain: 'Syncs succeed but an account that had activity now reports nothing at all.',
    settings: [
      {
        name: 'quietDays',
        label: 'Days in a row with no activity',
        type: 'number',
        value: 3,
        min: 1,
        max: 60,
      },
      {
        name: 'activeDays',
        label: 'After activity in the previous (days)',
        type: 'number',
        value: 14,
        min: 1,
        max: 90,
      },
    ],
  },
  PAYMENT_OVERDUE: {
    label: 'Payment overdue or short',
    explain:
      'A month’s commission is unpaid after its due day (the deal’s net days), or was paid less than owed.',
    settings: [
      {
        name: 'graceDays',
        label: 'Days after the due day before it counts',
        hint: 'Bank transfers take a day or two to arrive.',
        type: 'number',
        value: 3,
        min: 0,
        max: 90,
      },
      { name: 'shortPayments', label: 'Alert on short payments too', type: 'boolean', value: true },
      {
        name: 'minimumOutstanding',
        label: 'Ignore outstanding amounts below',
        hint: 'In the program’s currency.',
        type: 'number',
        value: 1,
        min: 0,
      },
      { name: 'monthsBack', label: 'Watch the last (months)', type: 'number', value: 6, min: 1, max: 24 },
    ],
  },
}

/** What the one click sets up: the cases an affiliate loses money over without noticing. */
const RECOMMENDED = [
  { kind: 'REVISION', name: 'Revised figures', settings: {} },
  { kind: 'SYNC_STALE', name: 'No sync for a day', settings: { staleHours: 24 } },
  { kind: 'CREDENTIALS_REFUSED', name: 'Credentials refused', settings: {} },
  {
    kind: 'TRAFFIC_CHANGE',
    name: 'Clicks dropped by half',
    settings: { metric: 'CLICKS', direction: 'DROP', changePercent: 50 },
  },
  { kind: 'STOPPED_REPORTING', name: 'Stopped reporting', settings: {} },
  { kind: 'PAYMENT_OVERDUE', name: 'Payment overdue or short', settings: {} },
]

const REASON_WORDS = {
  FTDS_REMOVED: 'FTDs removed',
  SIGNUPS_REMOVED: 'Signups removed',
  AFTER_MONTH_CLOSE: 'Revised after month close',
  AFTER_HORIZON: 'Revised after the platform called it final',
  MONEY_REVISED: 'Money revised',
  DROP: 'Drop',
  SPIKE: 'Spike',
  OVERDUE: 'Overdue',
  SHORT: 'Paid short',
}

const METRIC_WORDS = {
  clicks: 'Clicks',
  signups: 'Signups',
  ftds: 'FTDs',
  deposits: 'Deposits',
  netRevenue: 'Net revenue',
  commission: 'Commission',
  CLICKS: 'clicks',
  SIGNUPS: 'signups',
  FTDS: 'FTDs',
  DEPOSITS: 'deposits',
  NET_REVENUE: 'net revenue',
  COMMISSION: 'commission',
}

const POLL_MS = 30_000
/** A month of revisions can raise dozens; the first ones are shown and the rest one click away. */
const SHOWN_AT_FIRST = 15
/** Events right after the user's own action are its echo, not news: they are not highlighted. */
const ECHO_MS = 5_000
const HIGHLIGHT_MS = 8_000

const loadAlerts = async (filter) =>
  allNodes(ALERT_FIELDS, { filter }, (data) => data.alerts, 200).then(({ nodes, answer }) => ({
    nodes,
    open: answer.open.totalCount,
  }))
const loadRules = async () => (await allNodes(RULES, {}, (data) => data.alertRules)).nodes
const loadAccounts = async () => (await allNodes(RULE_ACCOUNTS, {}, (data) => data.accounts)).nodes

const plural = (n, one, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`

function when(iso) {
  if (!iso) return ''
  return html`<time datetime=${iso} title=${relative(iso) ?? ''}>${instant(iso)}</time>`
}

/** A figure as its alert means it: money formatted in its currency, counts plain. */
function figure(value, asMoney) {
  if (asMoney) return money(asMoney, { standard: true })
  if (value == null) return '—'
  return count(Number(value))
}

/** What moved, in one line: before → after for revisions, against the baseline for traffic, hours for syncs. */
function Figures({ alert }) {
  const metric = METRIC_WORDS[alert.metric] ?? alert.metric
  if (alert.kind === 'REVISION') {
    return html`<p class="alert-figures">${metric ? html`<span>${metric}: </span>` : ''}
      <span class="before">${figure(alert.before, alert.beforeMoney)}</span>
      <span aria-hidden="true"> → </span><span class="visually-hidden"> changed to </span>
      <span class="after">${figure(alert.after, alert.afterMoney)}</span></p>`
  }
  if (alert.kind === 'TRAFFIC_CHANGE') {
    const before = Number(alert.before)
    const after = Number(alert.after)
    const share = before ? Math.round(((after - before) / before) * 100) : null
    return html`<p class="alert-figures">${metric ? `${metric}: ` : ''}
      <span class="after">${figure(alert.after, alert.afterMoney)}</span> against a median of${' '}
      <span class="before">${figure(alert.before, alert.beforeMoney)}</span>
      ${share != null ? html` <span class=${share < 0 ? 'delta delta-down' : 'delta delta-up'}>(${share > 0 ? '+' : ''}${share}%)</span>` : ''}</p>`
  }
  if (alert.kind === 'PAYMENT_OVERDUE') {
    return html`<p class="alert-figures">Owed <span class="before">${figure(alert.before, alert.beforeMoney)}</span>,
      paid <span class="after">${figure(alert.after, alert.afterMoney)}</span></p>`
  }
  if (alert.kind === 'SYNC_STALE' && alert.after != null) {
    return html`<p class="alert-figures">No successful sync for ${plural(Number(alert.after), 'hour')}</p>`
  }
  return ''
}

/** The newest delivery to each destination: whether the last event reached it is what the reader needs at a glance. */
export function deliveryWords(deliveries) {
  const latest = new Map()
  for (const d of deliveries ?? []) {
    if (d.event === 'TEST') continue
    latest.set(d.destination?.id ?? `gone-${d.id}`, d)
  }
  return [...latest.values()].map((d) => {
    const where = d.destination ? d.destination.name : 'a deleted destination'
    if (d.status === 'SENT') return `Delivered to ${where}`
    if (d.status === 'FAILED') return `${where} failed${d.lastError ? `: ${d.lastError}` : ''}`
    return `Sending to ${where}${d.lastError ? ` (retrying: ${d.lastError})` : ''}`
  })
}

function DeliveryLine({ deliveries }) {
  const parts = deliveryWords(deliveries)
  if (!parts.length) return ''
  const failed = deliveries.some((d) => d.status === 'FAILED')
  return html`<p class=${`small delivery-line${failed ? ' delivery-failed' : ''}`}>${parts.join(' · ')}</p>`
}

function AlertItem({ alert, fresh, onDismiss, busy }) {
  const account = alert.account
  const where = [
    account?.programName || account?.label,
    account?.platform?.name,
    alert.day ? day(alert.day) : null,
  ]
  return html`<li class=${`alert alert-${alert.status.toLowerCase()}${fresh ? ' alert-fresh' : ''}`} data-alert-id=${alert.id}>
    <div class="alert-head">
      <span class=${`badge kind-${alert.kind.toLowerCase()}`}>${KINDS[alert.kind]?.label ?? alert.kind}</span>
      ${alert.reasons.map((r) => html`<span class="flag">${REASON_WORDS[r] ?? r}</span>`)}
      ${fresh ? html`<span class="badge badge-new">New</span>` : ''}
    </div>
    <h3 class="alert-title">${alert.title}</h3>
    <p class="muted small">${where.filter(Boolean).join(' · ')}</p>
    <${Figures} alert=${alert} />
    <p class="muted small">Fired ${when(alert.firedAt)}${
      alert.status === 'OPEN'
        ? html` · last seen ${when(alert.lastSeenAt)}`
        : html` · ${alert.resolution === 'DISMISSED' ? 'dismissed' : 'cleared'} ${when(alert.resolvedAt)}`
    } · rule “${alert.rule.name}”</p>
    <${DeliveryLine} deliveries=${alert.deliveries} />
    ${
      alert.status === 'OPEN'
        ? html`<div class="actions"><button type="button" class="secondary" disabled=${busy}
            aria-label=${`Dismiss: ${alert.title}`} onClick=${() => onDismiss(alert)}>Dismiss</button></div>`
        : ''
    }
  </li>`
}

/** The rule's thresholds as a sentence, from the settings the API filled in. */
export function thresholdWords(rule) {
  const s = rule.settings
  switch (rule.kind) {
    case 'SYNC_STALE':
      return `No successful sync for ${plural(s.staleHours, 'hour')}`
    case 'CREDENTIALS_REFUSED':
      return 'The program refuses the stored credentials'
    case 'TRAFFIC_CHANGE': {
      const way = { DROP: 'drop', SPIKE: 'rise', BOTH: 'move' }[s.direction] ?? 'move'
      const what = METRIC_WORDS[s.metric] ?? s.metric
      return `${what[0].toUpperCase()}${what.slice(1)} ${way} more than ${s.changePercent}% from the ${s.baselineDays}-day median (baseline at least ${s.minimumBaseline})`
    }
    case 'STOPPED_REPORTING':
      return `No activity for ${plural(s.quietDays, 'day')} after activity in the ${plural(s.activeDays, 'day')} before`
    case 'REVISION': {
      const checks = [
        s.ftdsRemoved && 'FTDs removed',
        s.signupsRemoved && 'signups removed',
        s.moneyChangePercent != null && `money moved more than ${s.moneyChangePercent}%`,
        s.afterMonthClose && 'any change after month close',
        s.afterHorizon && 'any change after the platform called it final',
      ].filter(Boolean)
      const list = checks.length ? checks.join(', ') : 'nothing (every check is off)'
      return `${list[0].toUpperCase()}${list.slice(1)}, in revisions of the last ${plural(s.windowDays, 'day')}`
    }
    default:
      return ''
  }
}

function targetWords(rule) {
  const parts = []
  if (rule.targetTags.length) parts.push(`Tagged ${rule.targetTags.join(', ')}`)
  if (rule.targetAccounts.length) parts.push(rule.targetAccounts.map((a) => a.label).join(', '))
  return parts.length ? parts.join('; ') : 'All accounts'
}

/** Runs one mutation and returns its result, or throws with the typed error as it came. */
async function mutate(query, input, field) {
  const result = (await gql(query, { input }))[field]
  if ('message' in result) throw result
  return result
}

function RuleRow({ rule, onChanged, setNotice, hush }) {
  const [busy, setBusy] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [error, setError] = useState('')
  // The switch moves at once; the list's answer confirms it, and a refusal puts it back.
  const [enabled, setEnabled] = useState(rule.enabled)
  useEffect(() => setEnabled(rule.enabled), [rule.enabled])
  const act = async (work) => {
    hush()
    setBusy(true)
    setError('')
    try {
      await work()
      await onChanged()
    } catch (e) {
      setError(e.message)
    } finally {
      setBusy(false)
    }
  }
  const toggle = () => {
    const wanted = !enabled
    setEnabled(wanted)
    return act(async () => {
      try {
        await mutate(UPDATE_RULE, { id: rule.id, enabled: wanted }, 'updateAlertRule')
      } catch (e) {
        setEnabled(!wanted)
        throw e
      }
      setNotice(`${rule.name} ${wanted ? 'switched on' : 'switched off'}.`)
    })
  }
  const remove = () =>
    act(async () => {
      await mutate(DELETE_RULE, { id: rule.id }, 'deleteAlertRule')
      setNotice(`Deleted rule ${rule.name}.`)
    })
  const toggleId = `rule-enabled-${rule.id}`
  return html`<li class=${`rule${rule.enabled ? '' : ' rule-off'}`} data-rule-id=${rule.id}>
    <div class="rule-head">
      <h4>${rule.name}</h4>
      <span class="badge">${KINDS[rule.kind]?.label ?? rule.kind}</span>
    </div>
    <p>${thresholdWords(rule)}</p>
    <p class="muted small">Watches: ${targetWords(rule)} · ${
      rule.openAlertCount
        ? html`<strong>${plural(rule.openAlertCount, 'open alert')}</strong>`
        : 'no open alerts'
    }</p>
    <p class="muted small">${
      rule.destinations.length
        ? `Delivers to: ${rule.destinations.map((d) => `${d.name} (${kindWords(d.kind)})`).join(', ')}`
        : 'Delivers to: this page only'
    }</p>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    <div class="actions">
      <label class="switch" for=${toggleId}>
        <input id=${toggleId} type="checkbox" checked=${enabled} disabled=${busy} onChange=${toggle} />
        <span>${enabled ? 'On' : 'Off'}</span><span class="visually-hidden"> — ${rule.name}</span>
      </label>
      ${
        confirming
          ? html`<span class="confirm" role="group" aria-label=${`Confirm deleting ${rule.name}`}>
              <span>Delete this rule and its alerts?</span>
              <button type="button" class="danger" onClick=${remove} disabled=${busy}>Yes, delete</button>
              <button type="button" class="secondary" onClick=${() => setConfirming(false)}>Cancel</button>
            </span>`
          : html`<button type="button" class="secondary" aria-label=${`Delete rule ${rule.name}`}
              onClick=${() => setConfirming(true)}>Delete</button>`
      }
    </div>
  </li>`
}

function FieldErrors({ messages, id }) {
  if (!messages?.length) return ''
  return html`<p class="field-error" id=${id} role="alert">${messages.join(' ')}</p>`
}

function SettingField({ setting, errors }) {
  const id = `rule-${setting.name}`
  const errorId = `${id}-error`
  const invalid = Boolean(errors?.length)
  if (setting.type === 'boolean') {
    return html`<div class=${`field check${invalid ? ' invalid' : ''}`}>
      <label><input type="checkbox" name=${setting.name} defaultChecked=${setting.value} aria-describedby=${invalid ? errorId : undefined} />
        ${setting.label} <span class="muted small">(default ${setting.value ? 'on' : 'off'})</span></label>
      <${FieldErrors} messages=${errors} id=${errorId} />
    </div>`
  }
  if (setting.type === 'select') {
    return html`<div class=${`field${invalid ? ' invalid' : ''}`}>
      <label for=${id}>${setting.label}</label>
      <select id=${id} name=${setting.name} defaultValue=${setting.value}>
        ${setting.options.map(([value, text]) => html`<option value=${value}>${text}${value === setting.value ? ' (default)' : ''}</option>`)}
      </select>
      <${FieldErrors} messages=${errors} id=${errorId} />
    </div>`
  }
  const hintId = `${id}-hint`
  return html`<div class=${`field${invalid ? ' invalid' : ''}`}>
    <label for=${id}>${setting.label}</label>
    <input id=${id} name=${setting.name} type="number" inputmode="decimal" step="any"
      min=${setting.min} max=${setting.max} required=${!setting.optional} defaultValue=${setting.value}
      aria-invalid=${invalid} aria-describedby=${[setting.hint ? hintId : '', invalid ? errorId : ''].filter(Boolean).join(' ') || undefined} />
    <p class="muted small" id=${setting.hint ? hintId : undefined}>${setting.hint ? `${setting.hint} ` : ''}Default ${setting.value}.</p>
    <${FieldErrors} messages=${errors} id=${errorId} />
  </div>`
}

const FORM_FIELDS = [
  'name',
  'kind',
  'targetTags',
  'targetAccountIds',
  'destinationIds',
  ...new Set(Object.values(KINDS).flatMap((k) => k.settings.map((s) => s.name))),
]

/** The settings the form holds for `kind`, typed as the API takes them; an empty optional number switches its check off. */
function settingsFrom(form, kind) {
  const settings = {}
  for (const setting of KINDS[kind].settings) {
    if (setting.type === 'boolean') settings[setting.name] = form.get(setting.name) === 'on'
    else if (setting.type === 'select') settings[setting.name] = String(form.get(setting.name))
    else {
      const raw = String(form.get(setting.name) ?? '').trim()
      settings[setting.name] = raw === '' ? null : Number(raw)
    }
  }
  return settings
}

function NewRuleForm({ accounts, destinations, onCreated, onCancel, hush }) {
  const [kind, setKind] = useState('SYNC_STALE')
  const [target, setTarget] = useState('all')
  const [errors, setErrors] = useState({ byField: {}, general: [] })
  const [busy, setBusy] = useState(false)
  const heading = useRef(null)
  // The form opens below a long list: keyboard and screen-reader users are taken to it.
  useEffect(() => heading.current?.focus(), [])

  async function submit(/** @type {SubmitEvent} */ event) {
    event.preventDefault()
    const form = new FormData(/** @type {HTMLFormElement} */ (event.currentTarget))
    const input = {
      name: String(form.get('name') ?? '').trim(),
      kind,
      settings: settingsFrom(form, kind),
      targetTags: target === 'tags' ? splitTags(String(form.get('targetTags') ?? '')) : [],
      targetAccountIds: target === 'accounts' ? form.getAll('targetAccountIds').map(String) : [],
      destinationIds: form.getAll('destinationIds').map(String),
    }
    hush()
    setBusy(true)
    setErrors({ byField: {}, general: [] })
    try {
      const { alertRule } = await mutate(CREATE_RULE, input, 'createAlertRule')
      onCreated(alertRule)
    } catch (e) {
      setErrors(errorsByField(e, FORM_FIELDS))
    } finally {
      setBusy(false)
    }
  }

  const by = errors.byField
  const chosen = KINDS[kind]
  // The API checks every limit; letting it answer puts each message beside its field, in the same words as the API's.
  return html`<form class="rule-form" onSubmit=${submit} aria-labelledby="new-rule-title" novalidate>
    <h4 id="new-rule-title" tabindex="-1" ref=${heading}>New rule</h4>
    ${errors.general.length ? html`<p class="form-error" role="alert">${errors.general.join(' ')}</p>` : ''}
    <fieldset>
      <legend>What to watch</legend>
      ${Object.entries(KINDS).map(
        ([value, k]) => html`<label class="kind-choice">
          <input type="radio" name="kind" value=${value} checked=${kind === value} onChange=${() => setKind(value)} />
          <span><strong>${k.label}</strong><br /><span class="muted small">${k.explain}</span></span>
        </label>`,
      )}
    </fieldset>
    <div class=${`field${by.name ? ' invalid' : ''}`}>
      <label for="rule-name">Name</label>
      <input id="rule-name" name="name" required maxlength="80" autocomplete="off" defaultValue=${chosen.label}
        key=${kind} aria-invalid=${Boolean(by.name)} aria-describedby=${by.name ? 'rule-name-error' : undefined} />
      <${FieldErrors} messages=${by.name} id="rule-name-error" />
    </div>
    ${
      chosen.settings.length
        ? html`<fieldset key=${kind}><legend>Thresholds</legend>
            ${chosen.settings.map((s) => html`<${SettingField} setting=${s} errors=${by[s.name]} />`)}
          </fieldset>`
        : html`<p class="muted small">This kind has no thresholds.</p>`
    }
    <fieldset>
      <legend>Which accounts</legend>
      ${[
        ['all', 'All accounts, including ones connected later'],
        ['tags', 'Accounts with these tags'],
        ['accounts', 'These accounts'],
      ].map(
        ([value, text]) => html`<label class="kind-choice">
          <input type="radio" name="target" value=${value} checked=${target === value} onChange=${() => setTarget(value)} /> ${text}
        </label>`,
      )}
      ${
        target === 'tags'
          ? html`<div class=${`field${by.targetTags ? ' invalid' : ''}`}>
              <label for="rule-tags">Tags</label>
              <input id="rule-tags" name="targetTags" required placeholder="casino, tier-1" autocomplete="off"
                aria-describedby=${by.targetTags ? 'rule-tags-error' : undefined} />
              <${FieldErrors} messages=${by.targetTags} id="rule-tags-error" />
            </div>`
          : ''
      }
      ${
        target === 'accounts'
          ? html`<div class=${`field account-choices${by.targetAccountIds ? ' invalid' : ''}`} role="group" aria-label="Accounts to watch">
              ${accounts.length === 0 ? html`<p class="muted small">No accounts connected yet.</p>` : ''}
              ${accounts.map(
                (
                  a,
                ) => html`<label class="account-choice"><input type="checkbox" name="targetAccountIds" value=${a.id} />
                  ${a.label}${a.programName && a.programName !== a.label ? html` <span class="muted small">${a.programName}</span>` : ''}</label>`,
              )}
              <${FieldErrors} messages=${by.targetAccountIds} id="rule-accounts-error" />
            </div>`
          : ''
      }
    </fieldset>
    <${DeliverTo} destinations=${destinations} errors=${by.destinationIds} />
    <div class="actions">
      <button type="submit" disabled=${busy}>${busy ? 'Creating…' : 'Create rule'}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`
}

/** Where a rule's alerts go besides this page; none chosen keeps them on the page and the Overview only. */
function DeliverTo({ destinations, errors }) {
  return html`<fieldset class=${`deliver-to${errors?.length ? ' invalid' : ''}`} data-slot="deliver-to">
    <legend>Deliver to</legend>
    ${
      destinations === null
        ? html`<p class="muted small">Loading destinations…</p>`
        : destinations.length === 0
          ? html`<p class="muted small">Alerts show on this page and on the Overview. Add a destination under
              Destinations to send them to a webhook, Slack, Discord or email as well.</p>`
          : destinations.map(
              (
                d,
              ) => html`<label class="account-choice"><input type="checkbox" name="destinationIds" value=${d.id} />
                <span>${d.name} <span class="muted small">${kindWords(d.kind)} · ${d.hint}${d.enabled ? '' : ' · off'}</span></span></label>`,
            )
    }
    ${errors?.length ? html`<p class="field-error" id="rule-destinations-error" role="alert">${errors.join(' ')}</p>` : ''}
  </fieldset>`
}

function Rules({ rules, accounts, destinations, reload, setNotice, hush }) {
  const [adding, setAdding] = useState(false)
  const opener = useRef(null)
  const wasAdding = useRef(false)
  // Closing the form hands focus back to the button that opened it.
  useEffect(() => {
    if (wasAdding.current && !adding) opener.current?.focus()
    wasAdding.current = adding
  }, [adding])
  return html`<section class="rules" aria-labelledby="rules-title">
    <div class="section-head">
      <h3 id="rules-title">Rules</h3>
      ${adding ? '' : html`<button type="button" ref=${opener} onClick=${() => setAdding(true)}>New rule</button>`}
    </div>
    ${
      adding
        ? html`<${NewRuleForm} accounts=${accounts ?? []} destinations=${destinations} hush=${hush}
            onCancel=${() => setAdding(false)}
            onCreated=${async (rule) => {
              setAdding(false)
              setNotice(`Created rule ${rule.name}; it was checked at once.`)
              await reload()
            }} />`
        : ''
    }
    ${rules === null ? html`<p class="muted">Loading rules…</p>` : ''}
    ${rules?.length === 0 && !adding ? html`<p class="muted">No rules yet.</p>` : ''}
    <ul class="rule-list">
      ${rules?.map((rule) => html`<${RuleRow} key=${rule.id} rule=${rule} onChanged=${reload} setNotice=${setNotice} hush=${hush} />`)}
    </ul>
  </section>`
}

export function Alerts() {
  const [status, setStatus] = useState('OPEN')
  const [kind, setKind] = useState('')
  const [alerts, setAlerts] = useState(null)
  const [open, setOpen] = useState(null)
  const [rules, setRules] = useState(null)
  const [accounts, setAccounts] = useState(null)
  const [destinations, setDestinations] = useState(null)
  const [error, setError] = useState('')
  const [notice, setNotice] = useState('')
  const [live, setLive] = useState('')
  const [fresh, setFresh] = useState(() => new Set())
  const [busy, setBusy] = useState(false)
  const [shown, setShown] = useState(SHOWN_AT_FIRST)
  const quietUntil = useRef(0)

  const filter = { ...(status ? { status } : {}), ...(kind ? { kinds: [kind] } : {}) }
  const reloadAlerts = () =>
    loadAlerts(filter).then(
      ({ nodes, open }) => {
        // Open ones lead whatever the filter; within each, newest first as the API gives them.
        setAlerts([...nodes.filter((a) => a.status === 'OPEN'), ...nodes.filter((a) => a.status !== 'OPEN')])
        setOpen(open)
        setError('')
      },
      (e) => setError(e.message),
    )
  const reloadRules = () => loadRules().then(setRules, (e) => setError(e.message))
  const reloadDestinations = () => loadDestinations().then(setDestinations, (e) => setError(e.message))
  const reloadAll = () => Promise.all([reloadAlerts(), reloadRules()])

  useEffect(() => {
    setShown(SHOWN_AT_FIRST)
    reloadAlerts()
  }, [status, kind])

  useEffect(() => {
    reloadRules()
    reloadDestinations()
    loadAccounts().then(setAccounts, (e) => setError(e.message))
  }, [])

  // The subscription and the poll outlive one render: they reload with the filter as it is now.
  const latest = useRef(reloadAll)
  latest.current = reloadAll
  useEffect(() => {
    const stop = subscribe(ALERT_CHANGED, {}, ({ alertChanged: a }) => {
      setLive(a.status === 'OPEN' ? `New or updated alert: ${a.title}` : `Alert resolved: ${a.title}`)
      if (a.status === 'OPEN' && Date.now() > quietUntil.current) {
        setFresh((ids) => new Set(ids).add(a.id))
        setTimeout(
          () =>
            setFresh((ids) => {
              const next = new Set(ids)
              next.delete(a.id)
              return next
            }),
          HIGHLIGHT_MS,
        )
      }
      latest.current()
    })
    // The stream is not retried when it breaks; a slow poll keeps the list honest meanwhile.
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current()
    }, POLL_MS)
    return () => {
      stop()
      clearInterval(timer)
    }
  }, [])

  async function dismiss(alert) {
    quietUntil.current = Date.now() + ECHO_MS
    setBusy(true)
    setError('')
    try {
      await mutate(DISMISS_ALERT, { id: alert.id }, 'dismissAlert')
      setNotice(`Dismissed: ${alert.title}. It is listed under Resolved.`)
      await reloadAll()
    } catch (e) {
      setError(e.message)
    } finally {
      setBusy(false)
    }
  }

  async function addRecommended() {
    quietUntil.current = Date.now() + 60_000
    setBusy(true)
    setError('')
    const made = []
    try {
      for (const rule of RECOMMENDED) {
        await mutate(CREATE_RULE, rule, 'createAlertRule')
        made.push(rule.name)
      }
      setNotice(`Added ${made.length} recommended rules: ${made.join(', ')}.`)
    } catch (e) {
      setError(`${made.length ? `Added ${made.join(', ')}; then: ` : ''}${e.message}`)
    } finally {
      setBusy(false)
      quietUntil.current = Date.now() + ECHO_MS
      await reloadAll()
    }
  }

  const noRules = rules?.length === 0
  return html`<section aria-labelledby="alerts-title" class="alerts-page">
    <h2 id="alerts-title">Alerts ${open != null ? html`<span class=${`badge${open ? ' badge-open' : ''}`} data-testid="open-count">${count(open)} open</span>` : ''}</h2>
    <p class="visually-hidden" aria-live="polite" role="status">${live}</p>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${
      noRules
        ? html`<div class="empty-alerts">
            <p><strong>Alerts watch your accounts for you.</strong> A rule checks every sync for what costs money
              unnoticed: FTDs a platform removes from past days, syncs that stopped, refused credentials, traffic that
              drops by half. What it finds shows here and on the Overview.</p>
            <button type="button" onClick=${addRecommended} disabled=${busy}>Add recommended rules</button>
            <p class="muted small">Revised figures, no sync for 24 hours, credentials refused, clicks down 50%,
              stopped reporting. You can change or delete each one below.</p>
          </div>`
        : ''
    }
    <form class="inline-form alert-filters" onSubmit=${(e) => e.preventDefault()}>
      <div class="field">
        <label for="alert-status">Status</label>
        <select id="alert-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
          <option value="OPEN">Open</option>
          <option value="RESOLVED">Resolved</option>
          <option value="">All</option>
        </select>
      </div>
      <div class="field">
        <label for="alert-kind">Kind</label>
        <select id="alert-kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
          <option value="">All kinds</option>
          ${Object.entries(KINDS).map(([value, k]) => html`<option value=${value}>${k.label}</option>`)}
        </select>
      </div>
    </form>
    ${alerts === null && !error ? html`<p class="muted">Loading alerts…</p>` : ''}
    ${
      alerts?.length === 0
        ? html`<p class="muted empty">${
            status === 'OPEN'
              ? noRules
                ? 'No alerts: no rule is watching yet.'
                : 'Nothing needs your attention: no open alerts.'
              : 'No alerts match these filters.'
          }</p>`
        : ''
    }
    <ul class="alert-list" aria-label="Alerts">
      ${alerts?.slice(0, shown).map((a) => html`<${AlertItem} key=${a.id} alert=${a} fresh=${fresh.has(a.id)} busy=${busy} onDismiss=${dismiss} />`)}
    </ul>
    ${
      alerts && alerts.length > shown
        ? html`<button type="button" class="secondary show-more" onClick=${() => setShown(alerts.length)}>
            Show ${count(alerts.length - shown)} more</button>`
        : ''
    }
    <${Rules} rules=${rules} accounts=${accounts} destinations=${destinations} reload=${reloadAll} setNotice=${setNotice}
      hush=${() => {
        quietUntil.current = Date.now() + ECHO_MS
      }} />
    <${Destinations} destinations=${destinations} setNotice=${setNotice}
      reload=${() => Promise.all([reloadDestinations(), reloadRules()])} />
  </section>`
}
