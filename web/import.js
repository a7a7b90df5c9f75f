import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, gql } from './api.js'
import { downloadText, toCsv } from './csv.js'
import { html } from './html.js'

const PLATFORMS = '{ platforms { id name connectionFields { name required } } }'

const IMPORT = `mutation ImportAccounts($input: ImportAccountsInput!) {
  importAccounts(input: $input) {
    __typename
    ... on ImportAccountsSuccess {
      imported failed
      rows { line platformId label account { id label status } error { code message fields { field message } } }
    }
    ... on UserError { code message }
  }
}`

/** The columns every row has, before the connection fields of its platform. */
const FIXED_COLUMNS = ['platform', 'label', 'tags']

/** @param {number} n @param {string} one @param {string} many */
const count = (n, one, many) => `${n} ${n === 1 ? one : many}`

/**
 * A file any spreadsheet opens: the header names every column of every platform this server loads, and one
 * starter row per platform carries its id, so the ids need not be looked up.
 * @param {{ id: string, connectionFields: { name: string }[] }[]} platforms
 */
export function templateCsv(platforms) {
  const columns = [
    ...new Set([...FIXED_COLUMNS, ...platforms.flatMap((p) => p.connectionFields.map((f) => f.name))]),
  ]
  const rows = platforms.map((p) => columns.map((column) => (column === 'platform' ? p.id : '')))
  return toCsv([columns, ...rows])
}

/** File-level failures: the server's message, with its code when it has one. */
function fileErrors(/** @type {unknown} */ error) {
  if (error instanceof ApiError) {
    return error.errors.map((e) => ({
      message: e.message,
      code: typeof e.extensions?.code === 'string' ? e.extensions.code : '',
    }))
  }
  return [{ message: error instanceof Error ? error.message : String(error), code: '' }]
}

function ColumnsHelp({ platforms }) {
  return html`<details class="help import-columns">
    <summary>Columns of each platform</summary>
    <div class="table-wrap" tabindex="0">
      <table>
        <thead><tr><th>Platform</th><th><code>platform</code> cell</th><th>Connection columns</th></tr></thead>
        <tbody>
          ${platforms.map(
            (p) => html`<tr key=${p.id}>
              <td>${p.name}</td>
              <td><code>${p.id}</code></td>
              <td class="import-fields">
                ${p.connectionFields.map(
                  (f) =>
                    html`<code key=${f.name}>${f.name}${f.required ? html`<span class="req" title="required"> *</span>` : ''}</code> `,
                )}
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <p class="muted"><span class="req">*</span> required for that platform.</p>
  </details>`
}

/** @param {{ field: string }[]} issues the CSV columns an error names */
function columnsAtFault(issues) {
  const fields = [...new Set(issues.map((i) => i.field))]
  if (!fields.length) return ''
  const names = fields.map((f, i) => html`${i ? ', ' : ''}<code>${f}</code>`)
  return html`<span class="import-columns-at-fault">${fields.length > 1 ? 'Columns' : 'Column'}: ${names}</span>${' · '}`
}

function Results({ result, dryRun, stale, platformName }) {
  const summary = dryRun
    ? `Check: ${count(result.imported, 'row', 'rows')} would be imported, ${result.failed} failed. Nothing was stored.`
    : `Imported ${count(result.imported, 'account', 'accounts')}; ${count(result.failed, 'row', 'rows')} failed.`
  return html`<div class=${`import-results${stale ? ' stale' : ''}`}>
    <p class=${result.failed ? 'import-summary has-failures' : 'import-summary'} role="status">${summary}</p>
    ${stale ? html`<p class="muted">The CSV changed since; check it again.</p>` : ''}
    ${
      result.rows.length
        ? html`<div class="table-wrap" tabindex="0">
          <table class="import-table">
            <thead><tr><th class="num">Line</th><th>Platform</th><th>Label</th><th>Result</th></tr></thead>
            <tbody>
              ${result.rows.map(
                (row) => html`<tr key=${row.line} data-line=${row.line}>
                  <td class="num">${row.line}</td>
                  <td>${row.platformId ? platformName(row.platformId) : html`<span class="muted">—</span>`}</td>
                  <td>${row.label ?? html`<span class="muted">—</span>`}</td>
                  <td class="import-outcome">
                    ${
                      row.error
                        ? html`<span class="import-error">${row.error.message}</span>
                          <span class="import-meta">${columnsAtFault(row.error.fields)}<code>${row.error.code}</code></span>`
                        : html`<span class="import-ok">✓ ${dryRun ? 'Would be imported' : 'Imported'}</span>`
                    }
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
        : html`<p class="muted">The CSV has a header but no rows.</p>`
    }
  </div>`
}

/**
 * Connects many accounts from one CSV file or pasted text. The columns come from the platforms the server
 * loads, so a plugin added later is importable here without any change to the page.
 */
export function Import({ navigate }) {
  const [platforms, setPlatforms] = useState(null)
  const [platformsError, setPlatformsError] = useState('')
  const [text, setText] = useState('')
  const [file, setFile] = useState(/** @type {File | null} */ (null))
  const [busy, setBusy] = useState('')
  const [errors, setErrors] = useState([])
  const [outcome, setOutcome] = useState(null)
  const [stale, setStale] = useState(false)
  const fileInput = useRef(/** @type {HTMLInputElement | null} */ (null))

  useEffect(() => {
    gql(PLATFORMS).then(
      (data) => setPlatforms(data.platforms),
      (e) => setPlatformsError(e.message),
    )
  }, [])

  const changed = () => {
    if (outcome) setStale(true)
    setErrors([])
  }

  const clearFile = () => {
    setFile(null)
    if (fileInput.current) fileInput.current.value = ''
  }

  async function submit(/** @type {SubmitEvent} */ event) {
    event.preventDefault()
    const dryRun = /** @type {HTMLButtonElement | null} */ (event.submitter)?.value !== 'import'
    setBusy(dryRun ? 'check' : 'import')
    setErrors([])
    try {
      const csv = file ? await file.text() : text
      if (csv.trim() === '') {
        setErrors([{ message: 'Choose a CSV file or paste CSV text first.', code: '' }])
        return
      }
      const { importAccounts: result } = await gql(IMPORT, { input: { csv, dryRun } })
      if (result.__typename !== 'ImportAccountsSuccess') {
        setErrors([{ message: result.message, code: result.code }])
        return
      }
      setOutcome({ result, dryRun })
      setStale(false)
      // What was stored no longer needs its credentials on the page; text with no row stored stays to be fixed.
      if (!dryRun && result.imported > 0) {
        setText('')
        clearFile()
      }
    } catch (error) {
      setErrors(fileErrors(error))
    } finally {
      setBusy('')
    }
  }

  const platformName = (/** @type {string} */ id) => platforms?.find((p) => p.id === id)?.name ?? id
  const storedSome = outcome && !outcome.dryRun && outcome.result.imported > 0

  return html`<section aria-labelledby="import-title">
    <h2 id="import-title">Import accounts</h2>
    <p>
      Connect many accounts at once from a CSV file. Its first line names the columns: <code>platform</code> (the
      platform's id), <code>label</code>, <code>tags</code> (separated by <code>;</code> or <code>|</code>), then
      the connection fields of the platforms used, by name. A column a row's platform does not use stays empty on
      that row. Each row is checked with its platform like a connection is; a failing row stores nothing and does
      not stop the others.
    </p>
    ${platformsError ? html`<p class="form-error" role="alert">${platformsError}</p>` : ''}
    ${
      platforms
        ? html`<div class="actions import-template">
            <button type="button" class="secondary" onClick=${() => downloadText('affgraph-accounts-template.csv', templateCsv(platforms))}>
              Download template
            </button>
            <span class="muted">Every column, and a starter row per platform: fill in yours, delete the rest.</span>
          </div>
          <${ColumnsHelp} platforms=${platforms} />`
        : !platformsError && html`<p class="muted">Loading platforms…</p>`
    }
    <form class="import-form" onSubmit=${submit}>
      <fieldset disabled=${busy !== ''}>
        <legend>CSV</legend>
        <div class="field">
          <label for="import-file">CSV file</label>
          <input id="import-file" ref=${fileInput} type="file" accept=".csv,text/csv"
            onChange=${(e) => {
              setFile(/** @type {HTMLInputElement} */ (e.currentTarget).files?.[0] ?? null)
              changed()
            }} />
          ${
            file
              ? html`<p class="muted">
                  Importing <strong>${file.name}</strong>; the text below is not used.
                  <button type="button" class="link" onClick=${() => {
                    clearFile()
                    changed()
                  }}>Remove file</button>
                </p>`
              : ''
          }
        </div>
        <div class="field">
          <label for="import-text">CSV text</label>
          <textarea id="import-text" rows="8" value=${text} disabled=${file !== null}
            placeholder="platform,label,tags,…"
            spellcheck=${false} autocomplete="off" autocapitalize="off" wrap="off"
            aria-describedby="import-text-help"
            onInput=${(e) => {
              setText(/** @type {HTMLTextAreaElement} */ (e.currentTarget).value)
              changed()
            }}></textarea>
          <p class="muted" id="import-text-help">
            Or paste the rows here, header first. Credentials are sent to this server only and never shown back.
          </p>
        </div>
      </fieldset>
      ${
        errors.length
          ? html`<div class="form-error" role="alert">
              ${errors.map((e) => html`<p>${e.message}${e.code ? html` <code>${e.code}</code>` : ''}</p>`)}
            </div>`
          : ''
      }
      <div class="actions">
        <button type="submit" value="check" class="secondary" disabled=${busy !== ''}>
          ${busy === 'check' ? 'Checking…' : 'Check'}
        </button>
        <button type="submit" value="import" disabled=${busy !== ''}>${busy === 'import' ? 'Importing…' : 'Import'}</button>
        <span class="muted">Check tries every row with its platform and stores nothing.</span>
      </div>
    </form>
    ${
      outcome
        ? html`<${Results} result=${outcome.result} dryRun=${outcome.dryRun} stale=${stale} platformName=${platformName} />`
        : ''
    }
    ${
      storedSome
        ? html`<p><a href="#accounts" onClick=${(e) => {
            e.preventDefault()
            navigate('accounts', { imported: outcome.result.imported })
          }}>See the imported accounts</a></p>`
        : ''
    }
  </section>`
}
