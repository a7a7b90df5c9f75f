import { useEffect, useState } from 'preact/hooks'
import { gql } from './api.js'
import { splitTags } from './connect.js'
import { downloadText } from './csv.js'
import { html } from './html.js'

const ACCOUNTS = `query Accounts($after: String) {
  accounts(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id label status platformId platform { name } programName externalAccountName currency tags
      lastSyncAt lastError { code message }
      syncRuns(first: 10) { nodes { status } }
    }
  }
}`

const UPDATE_TAGS = `mutation UpdateTags($input: UpdateAccountInput!) {
  updateAccount(input: $input) {
    __typename
    ... on UpdateAccountSuccess { account { id tags } }
    ... on UserError { message }
  }
}`

const SYNC = `mutation SyncNow($input: SyncAccountInput!) {
  syncAccount(input: $input) {
    __typename
    ... on SyncStarted { runs { id } }
    ... on UserError { message }
  }
}`

const DISCONNECT = `mutation Disconnect($input: DisconnectAccountInput!) {
  disconnectAccount(input: $input) {
    __typename
    ... on UserError { message }
  }
}`

const RECORD_CAPTURE = `mutation RecordCapture($input: RecordCaptureInput!) {
  recordCapture(input: $input) {
    __typename
    ... on RecordCaptureSuccess { capture { fileName content exchanges rows failure { code message } } }
    ... on UserError { message }
  }
}`

const STATUS_TEXT = {
  OK: 'OK',
  PENDING: 'Not checked yet',
  AUTH_FAILED: 'Credentials refused',
  RATE_LIMITED: 'Rate limited',
  UNREACHABLE: 'Unreachable',
}
const ACTIVE_RUN = new Set(['QUEUED', 'RUNNING', 'RETRYING'])
const POLL_MS = 2000

export async function loadAllAccounts() {
  const all = []
  let after = null
  do {
    const { accounts } = await gql(ACCOUNTS, { after })
    all.push(...accounts.nodes)
    after = accounts.pageInfo.hasNextPage ? accounts.pageInfo.endCursor : null
  } while (after)
  return all
}

const isSyncing = (account) => account.syncRuns.nodes.some((run) => ACTIVE_RUN.has(run.status))

/** @param {string | null} iso */
function when(iso) {
  if (!iso) return html`<span class="muted">never</span>`
  return html`<time datetime=${iso}>${new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</time>`
}

function AccountCard({ account, onChanged, onRemoved }) {
  const [message, setMessage] = useState('')
  const [error, setError] = useState('')
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)

  /** Runs one mutation; a typed error result is shown on the card like a transport error. */
  async function run(query, variables, field, done) {
    setBusy(true)
    setError('')
    setMessage('')
    try {
      const result = (await gql(query, variables))[field]
      if ('message' in result) setError(result.message)
      else await done(result)
    } catch (e) {
      setError(e.message)
    } finally {
      setBusy(false)
    }
  }

  const saveTags = (/** @type {SubmitEvent} */ event) => {
    event.preventDefault()
    const tags = splitTags(
      String(new FormData(/** @type {HTMLFormElement} */ (event.currentTarget)).get('tags')),
    )
    return run(UPDATE_TAGS, { input: { accountId: account.id, tags } }, 'updateAccount', async () => {
      setMessage('Tags saved.')
      await onChanged()
    })
  }
  const syncNow = () =>
    run(SYNC, { input: { accountId: account.id } }, 'syncAccount', async () => {
      setMessage('Sync queued.')
      await onChanged()
    })
  // The file leaves through the browser's download: the page keeps nothing of it.
  const recordCapture = () =>
    run(RECORD_CAPTURE, { input: { accountId: account.id } }, 'recordCapture', async ({ capture }) => {
      downloadText(capture.fileName, capture.content, 'application/json')
      const requests = `${capture.exchanges} request${capture.exchanges === 1 ? '' : 's'}`
      setMessage(
        capture.failure
          ? `Capture saved as ${capture.fileName} (${requests}; the fetch failed: ${capture.failure.message}). Attach it to your bug report.`
          : `Capture saved as ${capture.fileName} (${requests}, ${capture.rows} rows). Attach it to your bug report.`,
      )
    })
  const disconnect = () =>
    run(DISCONNECT, { input: { accountId: account.id } }, 'disconnectAccount', async () => {
      setConfirming(false)
      onRemoved(account)
    })

  const syncing = isSyncing(account)
  const details = [
    account.platform?.name ?? account.platformId,
    account.programName ?? account.externalAccountName,
    account.currency,
  ]
  return html`<article class="account" data-account-id=${account.id} aria-labelledby=${`account-${account.id}`}>
    <header>
      <h3 id=${`account-${account.id}`}>${account.label}</h3>
      <span class=${`status status-${account.status.toLowerCase()}`} data-status=${account.status}>
        ${STATUS_TEXT[account.status] ?? account.status}
      </span>
    </header>
    <p class="muted">${details.filter(Boolean).join(' · ')}</p>
    <p class="sync-line">
      Last sync: <span class="last-sync">${when(account.lastSyncAt)}</span>
      ${syncing ? html` <span class="syncing" role="status">Syncing…</span>` : ''}
    </p>
    ${
      account.lastError
        ? html`<p class="account-error"><strong>${account.lastError.message}</strong> <code>${account.lastError.code}</code></p>`
        : ''
    }
    <form class="tags" onSubmit=${saveTags}>
      <label for=${`tags-${account.id}`}>Tags</label>
      <input id=${`tags-${account.id}`} name="tags" defaultValue=${account.tags.join(', ')} placeholder="casino, tier-1" autocomplete="off" />
      <button type="submit" class="secondary" disabled=${busy}>Save tags</button>
    </form>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${message ? html`<p class="notice" role="status">${message}</p>` : ''}
    <div class="actions">
      <button type="button" onClick=${syncNow} disabled=${busy || syncing}>Sync now</button>
      <button
        type="button"
        class="secondary"
        onClick=${recordCapture}
        disabled=${busy}
        title="Fetch this account's report once and save every request and response, credentials removed, for a bug report"
      >
        Record a capture
      </button>
      ${
        confirming
          ? html`<span class="confirm" role="group" aria-label="Confirm disconnect">
            <span>Delete this account, its credentials and its stored stats?</span>
            <button type="button" class="danger" onClick=${disconnect} disabled=${busy}>Yes, disconnect</button>
            <button type="button" class="secondary" onClick=${() => setConfirming(false)}>Cancel</button>
          </span>`
          : html`<button type="button" class="secondary" onClick=${() => setConfirming(true)}>Disconnect</button>`
      }
    </div>
  </article>`
}

/** @param {{ connected?: string, imported?: number } | null} flash */
function flashText(flash) {
  if (flash?.connected) return `Connected ${flash.connected}.`
  if (flash?.imported) return `Imported ${flash.imported} account${flash.imported === 1 ? '' : 's'}.`
  return ''
}

export function Accounts({ navigate, flash }) {
  const [accounts, setAccounts] = useState(null)
  const [error, setError] = useState('')
  const [notice, setNotice] = useState(flashText(flash))

  const reload = () =>
    loadAllAccounts().then(
      (list) => {
        setAccounts(list)
        setError('')
      },
      (e) => setError(e.message),
    )

  useEffect(() => {
    reload()
  }, [])

  // While a sync is queued or running, the list follows it; a hidden tab does not poll.
  useEffect(() => {
    if (!accounts?.some((a) => isSyncing(a) || a.status === 'PENDING')) return
    const timer = setTimeout(() => {
      if (document.visibilityState === 'visible') reload()
      else setAccounts([...accounts])
    }, POLL_MS)
    return () => clearTimeout(timer)
  }, [accounts])

  return html`<section aria-labelledby="accounts-title">
    <h2 id="accounts-title">Accounts</h2>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${accounts === null && !error ? html`<p class="muted">Loading accounts…</p>` : ''}
    ${
      accounts?.length === 0
        ? html`<p>No accounts yet. <a href="#connect" onClick=${(e) => {
            e.preventDefault()
            navigate('connect')
          }}>Connect one</a>, or <a href="#import" onClick=${(e) => {
            e.preventDefault()
            navigate('import')
          }}>import many from a CSV file</a>.</p>`
        : ''
    }
    <div class="cards">
      ${accounts?.map(
        (account) => html`<${AccountCard}
          key=${account.id}
          account=${account}
          onChanged=${reload}
          onRemoved=${(removed) => {
            setNotice(`Disconnected ${removed.label}.`)
            reload()
          }}
        />`,
      )}
    </div>
  </section>`
}
