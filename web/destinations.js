import { useEffect, useRef, useState } from 'preact/hooks'
import { allNodes, errorsByField, gql } from './api.js'
import { html } from './html.js'

const DESTINATIONS = `query AlertDestinations($after: String) {
  alertDestinations(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name kind hint enabled createdAt }
  }
}`

const CREATE_DESTINATION = `mutation CreateAlertDestination($input: CreateAlertDestinationInput!) {
  createAlertDestination(input: $input) {
    __typename
    ... on CreateAlertDestinationSuccess { signingSecret destination { id name kind } }
    ... on UserError { code message fields { field path message } }
  }
}`

const UPDATE_DESTINATION = `mutation UpdateAlertDestination($input: UpdateAlertDestinationInput!) {
  updateAlertDestination(input: $input) {
    __typename
    ... on UpdateAlertDestinationSuccess { destination { id enabled } }
    ... on UserError { code message }
  }
}`

const DELETE_DESTINATION = `mutation DeleteAlertDestination($input: DeleteAlertDestinationInput!) {
  deleteAlertDestination(input: $input) {
    __typename
    ... on UserError { code message }
  }
}`

const SEND_TEST = `mutation SendTestAlert($input: SendTestAlertInput!) {
  sendTestAlert(input: $input) {
    __typename
    ... on SendTestAlertSuccess { delivery { id status lastError attemptCount } }
    ... on UserError { code message }
  }
}`

const DELIVERY = `query AlertDeliveryStatus($id: ID!) {
  node(id: $id) { ... on AlertDelivery { id status lastError attemptCount } }
}`

export const DESTINATION_KINDS = {
  WEBHOOK: { label: 'Webhook', explain: 'A signed JSON POST to a URL of yours.' },
  SLACK: { label: 'Slack', explain: 'A Slack incoming webhook.' },
  DISCORD: { label: 'Discord', explain: 'A Discord channel webhook.' },
  EMAIL: { label: 'Email', explain: 'Mail through your SMTP server.' },
}

export const kindWords = (kind) => DESTINATION_KINDS[kind]?.label ?? kind

export const loadDestinations = async () =>
  (await allNodes(DESTINATIONS, {}, (data) => data.alertDestinations)).nodes

/** Runs one mutation and returns its result, or throws with the typed error as it came. */
async function mutate(query, input, field) {
  const result = (await gql(query, { input }))[field]
  if ('message' in result) throw result
  return result
}

/** A test goes through the queue; it is read again a few times, then left as it stands. */
const TEST_POLL_MS = 1_000
const TEST_POLLS = 20

const DELIVERY_WORDS = { PENDING: 'queued', SENT: 'delivered', FAILED: 'failed' }

function deliveryWords(delivery) {
  const words = DELIVERY_WORDS[delivery.status] ?? delivery.status.toLowerCase()
  if (delivery.status === 'FAILED' && delivery.lastError) return `Test ${words}: ${delivery.lastError}`
  if (delivery.status === 'PENDING' && delivery.attemptCount > 0)
    return `Test ${words} for a retry${delivery.lastError ? ` (${delivery.lastError})` : ''}`
  return `Test ${words}`
}

function DestinationRow({ destination, onChanged, setNotice }) {
  const [busy, setBusy] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [error, setError] = useState('')
  const [test, setTest] = useState(null)
  const [enabled, setEnabled] = useState(destination.enabled)
  useEffect(() => setEnabled(destination.enabled), [destination.enabled])
  const alive = useRef(true)
  useEffect(() => () => (alive.current = false), [])

  const act = async (work) => {
    setBusy(true)
    setError('')
    try {
      await work()
    } catch (e) {
      setError(e.message)
    } finally {
      if (alive.current) setBusy(false)
    }
  }
  const toggle = () => {
    const wanted = !enabled
    setEnabled(wanted)
    return act(async () => {
      try {
        await mutate(
          UPDATE_DESTINATION,
          { destinationId: destination.id, enabled: wanted },
          'updateAlertDestination',
        )
      } catch (e) {
        setEnabled(!wanted)
        throw e
      }
      setNotice(`${destination.name} ${wanted ? 'switched on' : 'switched off'}.`)
      await onChanged()
    })
  }
  const remove = () =>
    act(async () => {
      await mutate(DELETE_DESTINATION, { destinationId: destination.id }, 'deleteAlertDestination')
      setNotice(`Deleted destination ${destination.name}; rules that named it no longer send there.`)
      await onChanged()
    })
  const sendTest = () =>
    act(async () => {
      let { delivery } = await mutate(SEND_TEST, { destinationId: destination.id }, 'sendTestAlert')
      setTest(delivery)
      for (let i = 0; i < TEST_POLLS && delivery.status === 'PENDING' && alive.current; i++) {
        await new Promise((resolve) => setTimeout(resolve, TEST_POLL_MS))
        delivery = (await gql(DELIVERY, { id: delivery.id })).node ?? delivery
        if (alive.current) setTest(delivery)
      }
    })

  const toggleId = `destination-enabled-${destination.id}`
  return html`<li class=${`rule destination${enabled ? '' : ' rule-off'}`} data-destination-id=${destination.id}>
    <div class="rule-head">
      <h4>${destination.name}</h4>
      <span class="badge">${kindWords(destination.kind)}</span>
    </div>
    <p class="muted small destination-hint">${destination.hint}</p>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    <p class=${`small test-result${test ? ` test-${test.status.toLowerCase()}` : ''}`} role="status">${test ? deliveryWords(test) : ''}</p>
    <div class="actions">
      <label class="switch" for=${toggleId}>
        <input id=${toggleId} type="checkbox" checked=${enabled} disabled=${busy} onChange=${toggle} />
        <span>${enabled ? 'On' : 'Off'}</span><span class="visually-hidden"> — ${destination.name}</span>
      </label>
      <button type="button" class="secondary" disabled=${busy} aria-label=${`Send test to ${destination.name}`}
        onClick=${sendTest}>Send test</button>
      ${
        confirming
          ? html`<span class="confirm" role="group" aria-label=${`Confirm deleting ${destination.name}`}>
              <span>Delete this destination and its delivery history?</span>
              <button type="button" class="danger" onClick=${remove} disabled=${busy}>Yes, delete</button>
              <button type="button" class="secondary" onClick=${() => setConfirming(false)}>Cancel</button>
            </span>`
          : html`<button type="button" class="secondary" aria-label=${`Delete destination ${destination.name}`}
              onClick=${() => setConfirming(true)}>Delete</button>`
      }
    </div>
  </li>`
}

const FORM_FIELDS = ['name', 'kind', 'url', 'host', 'port', 'secure', 'user', 'password', 'from', 'to']

function Field({ id, name, label, errors, hint, ...input }) {
  const invalid = Boolean(errors?.length)
  const errorId = `${id}-error`
  const hintId = `${id}-hint`
  return html`<div class=${`field${invalid ? ' invalid' : ''}`}>
    <label for=${id}>${label}</label>
    <input id=${id} name=${name} autocomplete="off" ...${input} aria-invalid=${invalid}
      aria-describedby=${[hint ? hintId : '', invalid ? errorId : ''].filter(Boolean).join(' ') || undefined} />
    ${hint ? html`<p class="muted small" id=${hintId}>${hint}</p>` : ''}
    ${invalid ? html`<p class="field-error" id=${errorId} role="alert">${errors.join(' ')}</p>` : ''}
  </div>`
}

const URL_HINTS = {
  WEBHOOK: 'Where affgraph POSTs each alert as JSON. It must be a public address.',
  SLACK: 'The incoming-webhook URL Slack gives you (https://hooks.slack.com/…).',
  DISCORD: 'The channel webhook URL from Discord’s channel settings → Integrations.',
}

function inputFrom(form, kind) {
  const text = (name) => String(form.get(name) ?? '').trim()
  const input = { name: text('name'), kind }
  if (kind !== 'EMAIL') {
    input.url = text('url')
    return input
  }
  const port = text('port')
  input.email = {
    host: text('host'),
    port: port === '' ? 0 : Number(port),
    secure: form.get('secure') === 'on',
    from: text('from'),
    to: text('to')
      .split(/[,;\s]+/)
      .filter(Boolean),
    ...(text('user') ? { user: text('user') } : {}),
    // The password is kept exactly as typed: spaces may be part of it.
    ...(String(form.get('password') ?? '') ? { password: String(form.get('password')) } : {}),
  }
  return input
}

/** A refused recipient is named by its place in the list (`to`, `2`); the form has one field for the whole list. */
function withoutIndexes(error) {
  if (!Array.isArray(error?.fields)) return error
  const fields = error.fields.map((f) =>
    Array.isArray(f.path) ? { ...f, field: undefined, path: f.path.filter((p) => !/^\d+$/.test(p)) } : f,
  )
  return { ...error, fields }
}

function NewDestinationForm({ onCreated, onCancel }) {
  const [kind, setKind] = useState('WEBHOOK')
  const [errors, setErrors] = useState({ byField: {}, general: [] })
  const [busy, setBusy] = useState(false)
  const heading = useRef(null)
  useEffect(() => heading.current?.focus(), [])

  async function submit(/** @type {SubmitEvent} */ event) {
    event.preventDefault()
    const input = inputFrom(new FormData(/** @type {HTMLFormElement} */ (event.currentTarget)), kind)
    setBusy(true)
    setErrors({ byField: {}, general: [] })
    try {
      const created = await mutate(CREATE_DESTINATION, input, 'createAlertDestination')
      onCreated(created)
    } catch (e) {
      setErrors(errorsByField(withoutIndexes(e), FORM_FIELDS))
    } finally {
      setBusy(false)
    }
  }

  const by = errors.byField
  return html`<form class="rule-form destination-form" onSubmit=${submit} aria-labelledby="new-destination-title" novalidate>
    <h4 id="new-destination-title" tabindex="-1" ref=${heading}>New destination</h4>
    ${errors.general.length ? html`<p class="form-error" role="alert">${errors.general.join(' ')}</p>` : ''}
    <fieldset>
      <legend>Send alerts by</legend>
      ${Object.entries(DESTINATION_KINDS).map(
        ([value, k]) => html`<label class="kind-choice">
          <input type="radio" name="kind" value=${value} checked=${kind === value} onChange=${() => setKind(value)} />
          <span><strong>${k.label}</strong> <span class="muted small">${k.explain}</span></span>
        </label>`,
      )}
    </fieldset>
    <${Field} id="destination-name" name="name" label="Name" errors=${by.name} required maxlength="80"
      placeholder=${kind === 'EMAIL' ? 'Ops mailbox' : `Ops ${kindWords(kind)}`} />
    ${
      kind === 'EMAIL'
        ? html`<fieldset key="email"><legend>SMTP server</legend>
            <${Field} id="destination-host" name="host" label="Host" errors=${by.host} required placeholder="smtp.example.com" />
            <${Field} id="destination-port" name="port" label="Port" errors=${by.port} type="number" inputmode="numeric"
              min="1" max="65535" required defaultValue="587" hint="587 for STARTTLS, 465 for TLS." />
            <div class="field check"><label><input type="checkbox" name="secure" /> TLS from the start (port 465)</label></div>
            <${Field} id="destination-user" name="user" label="Login (optional)" errors=${by.user} />
            <${Field} id="destination-password" name="password" label="Password (optional)" errors=${by.password}
              type="password" autocomplete="new-password" hint="Stored encrypted; never shown again." />
            <${Field} id="destination-from" name="from" label="From" errors=${by.from} type="email" required placeholder="affgraph@example.com" />
            <${Field} id="destination-to" name="to" label="To" errors=${by.to} required placeholder="ops@example.com, me@example.com"
              hint="One or more addresses, separated by commas." />
          </fieldset>`
        : html`<${Field} key=${kind} id="destination-url" name="url" label=${`${kindWords(kind)} URL`} errors=${by.url}
            type="password" autocomplete="off" spellcheck="false" required placeholder="https://"
            hint=${`${URL_HINTS[kind]} Stored encrypted; never shown again.`} />`
    }
    <div class="actions">
      <button type="submit" disabled=${busy}>${busy ? 'Adding…' : 'Add destination'}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`
}

/** The webhook's signing secret, the one time the API gives it. */
function SigningSecret({ created, onDone, setNotice }) {
  const value = useRef(null)
  const copy = () =>
    navigator.clipboard?.writeText(created.signingSecret).then(
      () => setNotice('Signing secret copied.'),
      () => {
        value.current?.select()
        setNotice('Select the secret and copy it.')
      },
    ) ?? value.current?.select()
  return html`<div class="created-token signing-secret" role="status">
    <p><strong>${created.destination.name}</strong>: copy this signing secret now. It is shown once; affgraph keeps it
      encrypted and never returns it.</p>
    <p class="secret-line">
      <label class="visually-hidden" for="signing-secret">Signing secret</label>
      <input id="signing-secret" class="token-value" readonly value=${created.signingSecret} ref=${value}
        onFocus=${(e) => e.currentTarget.select()} />
      <button type="button" class="secondary" onClick=${copy}>Copy</button>
      <button type="button" class="link" onClick=${onDone}>Done</button>
    </p>
    <p class="muted small">Your receiver verifies each POST: <code>X-Affgraph-Signature</code> is
      <code>v1=</code> followed by the hex HMAC-SHA256, keyed with this secret, of <code>X-Affgraph-Timestamp</code>, a dot and the raw body.
      Reject stale timestamps and deduplicate on <code>X-Affgraph-Delivery</code> (docs/alerts.md).</p>
  </div>`
}

export function Destinations({ destinations, reload, setNotice }) {
  const [adding, setAdding] = useState(false)
  const [created, setCreated] = useState(null)
  const opener = useRef(null)
  const wasAdding = useRef(false)
  useEffect(() => {
    if (wasAdding.current && !adding) opener.current?.focus()
    wasAdding.current = adding
  }, [adding])
  return html`<section class="rules destinations" aria-labelledby="destinations-title">
    <div class="section-head">
      <h3 id="destinations-title">Destinations</h3>
      ${adding ? '' : html`<button type="button" ref=${opener} onClick=${() => setAdding(true)}>Add destination</button>`}
    </div>
    <p class="muted small">Where rules send their alerts besides this page: a webhook, Slack, Discord or email.</p>
    ${created?.signingSecret ? html`<${SigningSecret} created=${created} setNotice=${setNotice} onDone=${() => setCreated(null)} />` : ''}
    ${
      adding
        ? html`<${NewDestinationForm}
            onCancel=${() => setAdding(false)}
            onCreated=${async (result) => {
              setAdding(false)
              setCreated(result)
              setNotice(
                `Added destination ${result.destination.name}. Choose it under “Deliver to” in a rule.`,
              )
              await reload()
            }} />`
        : ''
    }
    ${destinations === null ? html`<p class="muted">Loading destinations…</p>` : ''}
    ${destinations?.length === 0 && !adding ? html`<p class="muted">No destinations yet: alerts show only here and on the Overview.</p>` : ''}
    <ul class="rule-list destination-list" aria-label="Destinations">
      ${destinations?.map((d) => html`<${DestinationRow} key=${d.id} destination=${d} onChanged=${reload} setNotice=${setNotice} />`)}
    </ul>
  </section>`
}
