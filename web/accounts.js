import { useEffect, useState } from 'preact/hooks'
import { allNodes, gql, subscribe } from './api.js'
import { splitTags } from './connect.js'
import { downloadText } from './csv.js'
import { day, instant, relative } from './format.js'
import { html } from './html.js'

const ACCOUNTS = `query Accounts($after: String) {
  accounts(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id label status platformId platform { name } programName externalAccountName currency tags timeZone
      lastSyncAt nextSyncAt lastError { code message } syncIntervalMinutes backfillDays lookbackDays
      syncRuns(first: 20) {
        nodes {
          id status kind window { from to } createdAt finishedAt rowsWritten rowsChanged errorCode errorMessage
        }
      }
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

const SYNC_PROGRESS = `subscription SyncProgress {
  syncProgress { accountId runId kind status rowsWritten rowsChanged requests window { from to } errorCode }
}`

const UPDATE_SYNC = `mutation UpdateSync($input: UpdateAccountSyncInput!) {
  updateAccountSync(input: $input) {
    __typename
    ... on UpdateAccountSyncSuccess { account { id } }
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

export const loadAllAccounts = async () => (await allNodes(ACCOUNTS, {}, (data) => data.accounts)).nodes

const isSyncing = (account) => account.syncRuns.nodes.some((run) => ACTIVE_RUN.has(run.status))

/** @param {string | null} iso */
function when(iso, none = 'never') {
  if (!iso) return html`<span class="muted">${none}</span>`
  return html`<time datetime=${iso} title=${relative(iso) ?? ''}>${instant(iso)}</time>`
}

/**
 * What an account's last error means and what the user can do about it, in their words; the platform's own message
 * and the code stay one click away for a bug report.
 */
const ERROR_ADVICE = {
  PLATFORM_AUTH_FAILED: {
    title: 'The program refused this account’s credentials.',
    action:
      'The key may have expired or been revoked. Create a new one in the program’s affiliate portal and use “Replace credentials” below.',
  },
  CREDENTIALS_INVALID: {
    title: 'The stored credentials are no longer valid for this platform.',
    action: 'Use “Replace credentials” below with the account’s current credentials.',
  },
  CREDENTIALS_UNREADABLE: {
    title: 'The stored credentials cannot be decrypted with this server’s key.',
    action:
      'Ask whoever runs this server whether its master key changed; otherwise connect the account again.',
  },
  PLATFORM_RATE_LIMITED: {
    title: 'The program asked affgraph to slow down.',
    action: 'Nothing to do: the next sync retries on its own.',
  },
  PLATFORM_UNAVAILABLE: {
    title: 'The program could not be reached, or answered with an error.',
    action: 'Syncs retry on their own. If it lasts more than a day, check that the program’s portal is up.',
  },
  CIRCUIT_OPEN: {
    title: 'Syncs to this platform are paused after repeated failures.',
    action: 'They resume on their own; nothing is lost, the missed days are fetched then.',
  },
  PLATFORM_RESPONSE_INVALID: {
    title: 'The program answered in a form affgraph does not understand.',
    action: 'Record a capture (below) and attach it to a bug report: it holds no credentials.',
  },
  OUTBOUND_BLOCKED: {
    title: 'This server is not allowed to call the program’s address.',
    action: 'Ask whoever runs this server to add the program’s host to its outbound allowlist.',
  },
}
const adviceFor = (code) =>
  ERROR_ADVICE[code] ?? {
    title: 'The last sync failed.',
    action: 'It is retried on the next sync. If it keeps failing, record a capture for a bug report.',
  }

/** Accounts the user has to look at: refused or failing, or not synced for three of its intervals. */
export function needsAttention(account, now = Date.now()) {
  if (['AUTH_FAILED', 'UNREACHABLE', 'RATE_LIMITED'].includes(account.status)) return true
  if (account.lastError) return true
  if (!account.lastSyncAt || account.status === 'PENDING') return false
  return now - Date.parse(account.lastSyncAt) > 3 * (account.syncIntervalMinutes ?? 60) * 60_000
}

const RUN_STATUS = {
  QUEUED: 'Queued',
  RUNNING: 'Running',
  RETRYING: 'Retrying',
  SUCCEEDED: 'Done',
  FAILED: 'Failed',
}
const RUN_KIND = {
  BACKFILL: 'First history',
  PERIODIC: 'Scheduled',
  MANUAL: 'Sync now',
  ON_DEMAND: 'Older days',
}

function RunHistory({ runs }) {
  if (!runs.length) return html`<p class="muted small">No syncs yet.</p>`
  return html`<div class="table-wrap" tabindex="0"><table class="runs-table">
    <caption class="visually-hidden">Recent syncs, newest first</caption>
    <thead><tr><th scope="col">Started</th><th scope="col">Kind</th><th scope="col">Days</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Revised</th><th scope="col">Result</th></tr></thead>
    <tbody>${runs.map(
      (run) => html`<tr data-run-status=${run.status}>
        <td>${when(run.createdAt)}</td>
        <td>${RUN_KIND[run.kind] ?? run.kind}</td>
        <td>${day(run.window.from)} – ${day(run.window.to)}</td>
        <td class="num">${run.rowsWritten.toLocaleString()}</td>
        <td class="num">${run.rowsChanged.toLocaleString()}</td>
        <td>${RUN_STATUS[run.status] ?? run.status}${run.errorCode ? html`: <span class="muted">${adviceFor(run.errorCode).title}</span>` : ''}</td>
      </tr>`,
    )}</tbody>
  </table></div>`
}

function AccountCard({ account, progress, onChanged, onRemoved, onSyncQueued, onRekey }) {
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
      onSyncQueued()
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

  const saveSync = (/** @type {SubmitEvent} */ event) => {
    event.preventDefault()
    const form = new FormData(/** @type {HTMLFormElement} */ (event.currentTarget))
    const input = { accountId: account.id }
    for (const name of ['backfillDays', 'lookbackDays', 'syncIntervalMinutes'])
      input[name] = Number(form.get(name))
    return run(UPDATE_SYNC, { input }, 'updateAccountSync', async () => {
      setMessage('Sync settings saved.')
      await onChanged()
    })
  }
  const fetchOlder = (/** @type {SubmitEvent} */ event) => {
    event.preventDefault()
    const form = new FormData(/** @type {HTMLFormElement} */ (event.currentTarget))
    const range = { from: String(form.get('from')), to: String(form.get('to')) }
    return run(SYNC, { input: { accountId: account.id, range } }, 'syncAccount', async () => {
      setMessage(
        `Fetching ${day(range.from)} – ${day(range.to)}; the days appear in the stats as they arrive.`,
      )
      await onChanged()
    })
  }

  const syncing = isSyncing(account)
  const runs = account.syncRuns.nodes
  const active = runs.find((r) => ACTIVE_RUN.has(r.status))
  const details = [
    account.platform?.name ?? account.platformId,
    account.programName && account.programName !== account.label ? account.programName : null,
    account.externalAccountName,
    account.currency,
  ]
  const advice = account.lastError ? adviceFor(account.lastError.code) : null
  // The first history comes in windows, one run each: how many are in says how far it got.
  const backfill = runs.filter((r) => r.kind === 'BACKFILL')
  const backfillDone = backfill.filter((r) => r.status === 'SUCCEEDED').length
  const backfilling = backfill.some((r) => ACTIVE_RUN.has(r.status))
  const attention = needsAttention(account)
  return html`<article class=${`account${attention ? ' needs-attention' : ''}`} data-account-id=${account.id} aria-labelledby=${`account-${account.id}`}>
    <header>
      <h3 id=${`account-${account.id}`}>${account.label}</h3>
      <span class=${`status status-${account.status.toLowerCase()}`} data-status=${account.status}>
        ${STATUS_TEXT[account.status] ?? account.status}
      </span>
    </header>
    <p class="muted">${details.filter(Boolean).join(' · ')}</p>
    <p class="muted small zone-line">Days as the platform counts them: <strong>${account.timeZone}</strong></p>
    <p class="sync-line">
      Last sync: <span class="last-sync">${when(account.lastSyncAt)}</span>
      ${
        syncing || progress?.live
          ? html` <span class="syncing" role="status">Syncing${(progress?.live ?? active) ? ` ${day((progress?.live ?? active).window.from)} – ${day((progress?.live ?? active).window.to)}` : ''}…${
              progress?.live ? ` ${progress.live.rowsWritten.toLocaleString()} rows so far` : ''
            }</span>`
          : ''
      }
    </p>
    ${
      backfilling
        ? html`<p class="backfill-line"><label for=${`backfill-progress-${account.id}`}>History</label>${' '}
            <progress id=${`backfill-progress-${account.id}`} max=${backfill.length} value=${backfillDone}></progress>${' '}
            <span class="muted small">${backfillDone} of ${backfill.length} windows, back to ${day(backfill.map((r) => r.window.from).sort()[0])}</span></p>`
        : ''
    }
    <p class="sync-line">Next sync: <span class="next-sync">${when(account.nextSyncAt, 'not scheduled')}</span>
      <span class="muted small"> · every ${account.syncIntervalMinutes} min, re-reading the last ${account.lookbackDays} days</span></p>
    ${
      advice
        ? html`<div class="account-error">
            <p><strong>${advice.title}</strong> ${advice.action}</p>
            <details><summary>Details</summary><p><code>${account.lastError.code}</code> ${account.lastError.message}</p></details>
          </div>`
        : ''
    }
    <details class="runs">
      <summary>Recent syncs</summary>
      <${RunHistory} runs=${runs} />
    </details>
    <details class="sync-settings">
      <summary>Sync settings and older history</summary>
      <form class="inline-form" onSubmit=${saveSync}>
        <div class="field"><label for=${`backfill-${account.id}`}>History to keep (days)</label>
          <input id=${`backfill-${account.id}`} name="backfillDays" type="number" min="1" required defaultValue=${account.backfillDays} /></div>
        <div class="field"><label for=${`lookback-${account.id}`}>Days re-read each sync</label>
          <input id=${`lookback-${account.id}`} name="lookbackDays" type="number" min="0" required defaultValue=${account.lookbackDays} /></div>
        <div class="field"><label for=${`interval-${account.id}`}>Minutes between syncs</label>
          <input id=${`interval-${account.id}`} name="syncIntervalMinutes" type="number" min="1" required defaultValue=${account.syncIntervalMinutes} /></div>
        <button type="submit" class="secondary" disabled=${busy}>Save sync settings</button>
      </form>
      <form class="inline-form" onSubmit=${fetchOlder}>
        <div class="field"><label for=${`older-from-${account.id}`}>Fetch from</label>
          <input id=${`older-from-${account.id}`} name="from" type="date" required /></div>
        <div class="field"><label for=${`older-to-${account.id}`}>to</label>
          <input id=${`older-to-${account.id}`} name="to" type="date" required /></div>
        <button type="submit" class="secondary" disabled=${busy}>Fetch older days</button>
      </form>
    </details>
    <form class="tags" onSubmit=${saveTags}>
      <label for=${`tags-${account.id}`}>Tags</label>
      <input id=${`tags-${account.id}`} name="tags" defaultValue=${account.tags.join(', ')} placeholder="casino, tier-1" autocomplete="off" />
      <button type="submit" class="secondary" disabled=${busy}>Save tags</button>
    </form>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    ${message && !progress?.finished ? html`<p class="notice" role="status">${message}</p>` : ''}
    ${progress?.finished ? html`<p class="notice sync-finished" role="status">${finishedText(progress.finished)}</p>` : ''}
    <div class="actions">
      <button type="button" onClick=${syncNow} disabled=${busy || syncing}>Sync now</button>
      <button type="button" class=${account.status === 'AUTH_FAILED' ? '' : 'secondary'} onClick=${onRekey}>Replace credentials</button>
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

/** Accounts in trouble lead the list; the others keep the API's order (oldest first). */
const attentionFirst = (accounts) =>
  accounts && [...accounts.filter((a) => needsAttention(a)), ...accounts.filter((a) => !needsAttention(a))]

/** The outcome of a run that ended while the page was open, in one line. */
function finishedText(run) {
  if (run.status === 'FAILED')
    return `Sync of ${day(run.window.from)} – ${day(run.window.to)} failed: ${adviceFor(run.errorCode).title}`
  const revised = run.rowsChanged ? `, ${run.rowsChanged.toLocaleString()} revised by the platform` : ''
  return `Sync finished: ${day(run.window.from)} – ${day(run.window.to)}, ${run.rowsWritten.toLocaleString()} rows${revised}.`
}

/** @param {{ connected?: string, imported?: number } | null} flash */
function flashText(flash) {
  if (flash?.connected) return `Connected ${flash.connected}.`
  if (flash?.rekeyed) return `Saved new credentials for ${flash.rekeyed}; the platform accepted them.`
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

  const [progress, setProgress] = useState({})
  useEffect(() => {
    reload()
    // Runs report as they go; one that ends refreshes the list (status, last sync, history).
    return subscribe(SYNC_PROGRESS, {}, ({ syncProgress: event }) => {
      const ended = event.status === 'SUCCEEDED' || event.status === 'FAILED'
      setProgress((all) => ({
        ...all,
        [event.accountId]: ended ? { finished: event } : { ...all[event.accountId], live: event },
      }))
      if (ended) reload()
    })
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
      ${attentionFirst(accounts)?.map(
        (account) => html`<${AccountCard}
          key=${account.id}
          account=${account}
          progress=${progress[account.id]}
          onRekey=${() => navigate('connect', { rekey: { id: account.id, label: account.label, platformId: account.platformId } })}
          onSyncQueued=${() => setProgress(({ [account.id]: _, ...others }) => others)}
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
