import { useEffect, useState } from 'preact/hooks'
import { errorsByField, gql } from './api.js'
import { html } from './html.js'

const PLATFORMS = `{ platforms {
  id name description connectionInputField connectionInputType
  maturity evidence { id topic fact confidence sources { title url } }
} }`

/** What each maturity means to a user choosing a platform (the API describes the levels; this is the short form). */
const MATURITY = {
  VERIFIED: { label: 'Verified', text: "Built from the vendor's samples" },
  DOCUMENTED: { label: 'Documented', text: 'Documented, not yet confirmed on a live account' },
  ASSUMED: { label: 'Assumed', text: 'Not confirmed: please report problems with a capture' },
}
/** Facts that no public source confirms. */
const UNCONFIRMED = new Set(['ASSUMED', 'INFERRED'])

// Three levels of ofType cover every input a connect form can have (`[String!]!` is the deepest).
const INPUT_TYPE = `query ConnectForm($name: String!) {
  __type(name: $name) {
    name
    inputFields { name description type { kind name ofType { kind name ofType { kind name } } } defaultValue }
  }
}`

const TEST_CONNECTION = `mutation TestConnection($input: ConnectionInput!) {
  testConnection(input: $input) {
    __typename
    ... on TestConnectionSuccess { accountName programName currency timeZone platform { name } }
    ... on UserError { code message fields { field message } }
  }
}`

const UPDATE_CONNECTION = `mutation UpdateConnection($input: UpdateAccountConnectionInput!) {
  updateAccountConnection(input: $input) {
    __typename
    ... on UpdateAccountConnectionSuccess { account { id label status } }
    ... on UserError { code message fields { field message } }
  }
}`

const CONNECT_ACCOUNT = `mutation ConnectAccount($input: ConnectAccountInput!) {
  connectAccount(input: $input) {
    __typename
    ... on ConnectAccountSuccess { account { id label status } }
    ... on UserError { code message fields { field message } }
  }
}`

/** Scalars that deserve their own control: credentials are masked, URLs get the URL keyboard and check. */
const CONTROL_BY_SCALAR = { Secret: 'password', URL: 'url', Int: 'number', Float: 'number' }

/** Form inputs that are not connection fields; GraphQL names cannot contain "-", so these never collide. */
const LABEL_INPUT = 'account-label'
const PROGRAM_INPUT = 'account-program-name'
const TAGS_INPUT = 'account-tags'
/** The ConnectAccountInput field the program name goes to, as the API's errors name it. */
const PROGRAM_FIELD = 'programName'

/** @param {string} name */
function humanize(name) {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** A GraphQL default value literal ("\"https://…\"", 3, true) as the text of an input. */
function defaultText(/** @type {string | null} */ literal) {
  if (literal == null) return ''
  try {
    const value = JSON.parse(literal)
    return typeof value === 'object' ? '' : String(value)
  } catch {
    return literal
  }
}

/**
 * What a connect form needs to know of one input field, read from introspection alone: the description's first
 * line is the label and the rest the help (an "Example: …" line becomes the placeholder), NON_NULL means required,
 * and the named scalar picks the control.
 * @param {{ name: string, description: string | null, defaultValue: string | null,
 *   type: { kind: string, name: string | null, ofType?: any } }} field
 */
export function describeField(field) {
  let type = field.type
  const required = type.kind === 'NON_NULL'
  if (required) type = type.ofType
  const scalar = type.kind === 'SCALAR' ? type.name : null
  const [first = '', ...rest] = (field.description ?? '').trim().split('\n')
  const helpText = rest.join('\n').trim()
  const example = /(?:^|\n)Example: ([^\n]+)\s*$/.exec(helpText)?.[1]?.trim() ?? ''
  const control = CONTROL_BY_SCALAR[scalar] ?? 'text'
  return {
    name: field.name,
    label: first.trim() || humanize(field.name),
    help: example ? helpText.replace(/\n*Example: [^\n]+\s*$/, '').trim() : helpText,
    example,
    required,
    control,
    secret: scalar === 'Secret',
    defaultValue: defaultText(field.defaultValue),
  }
}

/** @param {{ field: ReturnType<typeof describeField>, errors: string[] }} props */
function Field({ field, errors }) {
  const id = `field-${field.name}`
  const described = [field.help || field.example ? `${id}-help` : '', errors.length ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ')
  // A placeholder on a masked input reads like a filled-in value; secrets show their example in the help.
  const showExampleInHelp = field.example && field.secret
  return html`<div class=${`field${errors.length ? ' invalid' : ''}`} data-field=${field.name}>
    <label for=${id}>${field.label}${field.required ? html`<span class="req" aria-hidden="true"> *</span>` : ''}</label>
    <input
      id=${id}
      name=${field.name}
      type=${field.control}
      required=${field.required}
      placeholder=${field.secret ? undefined : field.example || undefined}
      defaultValue=${field.defaultValue}
      autocomplete=${field.secret ? 'new-password' : 'off'}
      spellcheck=${false}
      autocapitalize="off"
      aria-invalid=${errors.length > 0}
      aria-describedby=${described || undefined}
    />
    ${errors.length ? html`<p class="field-error" id=${`${id}-error`} role="alert">${errors.join(' ')}</p>` : ''}
    ${
      field.help || field.example
        ? html`<details class="help" id=${`${id}-help`}>
          <summary>Where do I find this?</summary>
          ${field.help.split(/\n\s*\n/).map((p) => html`<p>${p}</p>`)}
          ${showExampleInHelp ? html`<p>Example: <code>${field.example}</code></p>` : ''}
        </details>`
        : ''
    }
  </div>`
}

/**
 * The program's own name, which stats grouped by program show; optional, as some platforms report it and the
 * label stands in otherwise.
 * @param {{ errors: string[] }} props
 */
function ProgramNameField({ errors }) {
  const described = ['account-program-name-hint', errors.length ? 'account-program-name-error' : '']
    .filter(Boolean)
    .join(' ')
  return html`<div class=${`field${errors.length ? ' invalid' : ''}`} data-field=${PROGRAM_FIELD}>
    <label for="account-program-name">Program name</label>
    <input
      id="account-program-name"
      name=${PROGRAM_INPUT}
      autocomplete="off"
      maxlength="120"
      aria-invalid=${errors.length > 0}
      aria-describedby=${described}
    />
    <p class="muted" id="account-program-name-hint">As the program calls itself, e.g. the casino or merchant name.</p>
    ${errors.length ? html`<p class="field-error" id="account-program-name-error" role="alert">${errors.join(' ')}</p>` : ''}
  </div>`
}

const NO_ERRORS = { byField: {}, general: [] }

/** The connect form of one platform, generated from its connection input type. */
function ConnectForm({ platform, fields, onConnected, rekey }) {
  const [errors, setErrors] = useState(NO_ERRORS)
  const [busy, setBusy] = useState('')
  const [notice, setNotice] = useState('')
  const names = fields.map((f) => f.name)
  const connectNames = [...names, PROGRAM_FIELD]

  async function submit(/** @type {SubmitEvent} */ event) {
    event.preventDefault()
    const form = /** @type {HTMLFormElement} */ (event.currentTarget)
    const action =
      /** @type {HTMLButtonElement | null} */ (event.submitter)?.value === 'test' ? 'test' : 'connect'
    const data = new FormData(form)
    /** @type {Record<string, unknown>} */
    const values = {}
    for (const field of fields) {
      const raw = data.get(field.name)
      const text = typeof raw === 'string' ? raw : ''
      // An optional field left empty is left out, so the plugin's own default applies.
      if (text === '' && !field.required) continue
      values[field.name] = field.control === 'number' ? Number(text) : text
    }
    const connection = { [platform.connectionInputField]: values }
    setBusy(action)
    setErrors(NO_ERRORS)
    setNotice('')
    try {
      if (action === 'test') {
        const { testConnection: result } = await gql(TEST_CONNECTION, { input: connection })
        if (result.__typename === 'TestConnectionSuccess') {
          const details = [result.programName, result.accountName, result.currency, result.timeZone]
            .filter(Boolean)
            .join(' · ')
          setNotice(`${result.platform.name} accepted these credentials${details ? ` (${details})` : ''}.`)
        } else setErrors(errorsByField(result, names))
      } else if (rekey) {
        const input = { accountId: rekey.id, connection }
        const { updateAccountConnection: result } = await gql(UPDATE_CONNECTION, { input })
        if (result.__typename === 'UpdateAccountConnectionSuccess') {
          form.reset()
          onConnected(result.account)
        } else setErrors(errorsByField(result, names))
      } else {
        const label = String(data.get(LABEL_INPUT) ?? '').trim()
        const programName = String(data.get(PROGRAM_INPUT) ?? '').trim()
        const tags = splitTags(String(data.get(TAGS_INPUT) ?? ''))
        const input = {
          connection,
          ...(label ? { label } : {}),
          ...(programName ? { programName } : {}),
          ...(tags.length ? { tags } : {}),
        }
        const { connectAccount: result } = await gql(CONNECT_ACCOUNT, { input })
        if (result.__typename === 'ConnectAccountSuccess') {
          // Credentials leave the page with the request: nothing of them stays in the form.
          form.reset()
          onConnected(result.account)
        } else setErrors(errorsByField(result, connectNames))
      }
    } catch (error) {
      setErrors(errorsByField(error, action === 'connect' ? connectNames : names))
    } finally {
      setBusy('')
    }
  }

  /** An edited field's old error no longer applies. */
  function clearFieldError(/** @type {Event} */ event) {
    const input = /** @type {HTMLInputElement} */ (event.target).name
    const name = input === PROGRAM_INPUT ? PROGRAM_FIELD : input
    if (!errors.byField[name]) return
    const byField = { ...errors.byField }
    delete byField[name]
    setErrors({ ...errors, byField })
  }

  return html`<form class="connect-form" onSubmit=${submit} onInput=${clearFieldError}>
    <fieldset disabled=${busy !== ''}>
      <legend>${platform.name} credentials</legend>
      ${fields.map((field) => html`<${Field} key=${field.name} field=${field} errors=${errors.byField[field.name] ?? []} />`)}
    </fieldset>
    ${
      rekey
        ? ''
        : html`<fieldset disabled=${busy !== ''}>
      <legend>In affgraph</legend>
      <div class="field">
        <label for="account-label">Label</label>
        <input id="account-label" name=${LABEL_INPUT} autocomplete="off" placeholder=${`${platform.name} — main`} />
      </div>
      <${ProgramNameField} errors=${errors.byField[PROGRAM_FIELD] ?? []} />
      <div class="field">
        <label for="account-tags">Tags</label>
        <input id="account-tags" name=${TAGS_INPUT} autocomplete="off" placeholder="casino, tier-1" />
      </div>
    </fieldset>`
    }
    ${errors.general.length ? html`<p class="form-error" role="alert">${errors.general.join(' ')}</p>` : ''}
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    <div class="actions">
      <button type="submit" value="test" class="secondary" disabled=${busy !== ''}>
        ${busy === 'test' ? 'Testing…' : 'Test connection'}
      </button>
      <button type="submit" value="connect" disabled=${busy !== ''}>${
        busy === 'connect' ? (rekey ? 'Saving…' : 'Connecting…') : rekey ? 'Save new credentials' : 'Connect'
      }</button>
    </div>
  </form>`
}

/** @param {string} text "casino, tier-1" */
export function splitTags(text) {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ]
}

/** @param {string} value "VENDOR_COPY" → "vendor copy" */
const words = (value) => value.toLowerCase().replaceAll('_', ' ')

/**
 * How far the chosen connector is known to work, as a badge, with the facts it rests on a click away: the
 * unconfirmed ones when there are any, otherwise every fact with its sources.
 */
function Maturity({ platform }) {
  const level = MATURITY[platform.maturity] ?? MATURITY.ASSUMED
  const evidence = platform.evidence ?? []
  const unconfirmed = evidence.filter((f) => UNCONFIRMED.has(f.confidence))
  const listed = unconfirmed.length > 0 ? unconfirmed : evidence
  const summary =
    unconfirmed.length > 0
      ? `What this connector assumes (${unconfirmed.length})`
      : `What this connector rests on (${evidence.length} ${evidence.length === 1 ? 'fact' : 'facts'})`
  return html`<div class=${`maturity maturity-${platform.maturity.toLowerCase()}`} data-maturity=${platform.maturity}>
    <p><span class="badge">${level.label}</span> <span class="maturity-text">${level.text}</span></p>
    ${
      evidence.length === 0
        ? html`<p class="muted">The plugin declares no public source for its platform's wire format.</p>`
        : html`<details class="evidence">
          <summary>${summary}</summary>
          <ul>
            ${listed.map(
              (f) => html`<li key=${f.id} data-fact=${f.id}>
                <span class="fact-topic">${words(f.topic)}</span> ${f.fact}
                <span class="muted"> (${words(f.confidence)}${f.sources.length ? '; ' : ''}${f.sources.map(
                  (source, i) =>
                    html`${i > 0 ? ', ' : ''}${
                      source.url
                        ? html`<a href=${source.url} rel="noopener noreferrer" target="_blank">${source.title}</a>`
                        : source.title
                    }`,
                )})</span>
              </li>`,
            )}
          </ul>
        </details>`
    }
  </div>`
}

/** Lists the server's platforms and renders the chosen one's form; knows nothing of any platform in particular. */
export function Connect({ navigate, flash }) {
  // Replacing an account's credentials: its platform is fixed and nothing but the credentials changes.
  const rekey = flash?.rekey ?? null
  const [platforms, setPlatforms] = useState(null)
  const [chosen, setChosen] = useState(rekey?.platformId ?? '')
  const [form, setForm] = useState(null)
  const [error, setError] = useState('')

  useEffect(() => {
    gql(PLATFORMS).then(
      (data) => setPlatforms(data.platforms),
      (e) => setError(e.message),
    )
  }, [])

  useEffect(() => {
    setForm(null)
    const platform = platforms?.find((p) => p.id === chosen)
    if (!platform) return
    let current = true
    gql(INPUT_TYPE, { name: platform.connectionInputType }).then(
      (data) => {
        if (!current) return
        if (!data.__type?.inputFields)
          setError(`The server does not describe ${platform.connectionInputType}.`)
        else setForm({ platform, fields: data.__type.inputFields.map(describeField) })
      },
      (e) => current && setError(e.message),
    )
    return () => {
      current = false
    }
  }, [platforms, chosen])

  const platform = platforms?.find((p) => p.id === chosen)
  return html`<section aria-labelledby="connect-title">
    <h2 id="connect-title">${rekey ? `New credentials for ${rekey.label}` : 'Connect an account'}</h2>
    ${
      rekey
        ? html`<p class="muted">Paste the account's new key from the program's portal. It is checked with the platform
            before it replaces the stored one; the account's history, label and settings stay.</p>`
        : ''
    }
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${
      platforms
        ? html`<div class="field">
          <label for="platform">Platform</label>
          <select id="platform" value=${chosen} disabled=${Boolean(rekey)} onChange=${(e) => setChosen(e.currentTarget.value)}>
            <option value="">Choose a platform…</option>
            ${platforms.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
          </select>
          ${platform ? html`<p class="muted">${platform.description}</p><${Maturity} platform=${platform} />` : ''}
        </div>`
        : !error && html`<p class="muted">Loading platforms…</p>`
    }
    ${
      form &&
      html`<${ConnectForm}
        key=${form.platform.id}
        platform=${form.platform}
        fields=${form.fields}
        rekey=${rekey}
        onConnected=${(account) => navigate('accounts', rekey ? { rekeyed: account.label } : { connected: account.label })}
      />`
    }
  </section>`
}
