import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { Accounts } from './accounts.js'
import { Alerts } from './alerts.js'
import { gql, session, setUnauthorizedHandler } from './api.js'
import { Changes } from './changes.js'
import { Connect } from './connect.js'
import { html } from './html.js'
import { Import } from './import.js'
import { Overview } from './overview.js'
import { Payments } from './payments.js'
import { Stats } from './stats.js'
import { Workspace } from './workspace.js'

/**
 * The sections of the page, in nav order. Each is a view component given `navigate` (and a one-off `flash` from
 * the section that navigated there); a new section is one more entry here and one more module.
 */
const SECTIONS = [
  { id: 'overview', label: 'Overview', view: Overview },
  { id: 'stats', label: 'Reports', view: Stats },
  { id: 'revisions', label: 'Revisions', view: Changes },
  { id: 'alerts', label: 'Alerts', view: Alerts },
  { id: 'payments', label: 'Payments', view: Payments },
  { id: 'accounts', label: 'Accounts', view: Accounts },
  { id: 'connect', label: 'Connect', view: Connect },
  { id: 'import', label: 'Import', view: Import },
  { id: 'workspace', label: 'Workspace', view: Workspace },
]

const VIEWER = '{ viewer { workspace { name } token { name prefix } } }'

/** Why a token was refused, in the words of someone signing in; the API's own text serves for anything else. */
const SIGN_IN_WORDS = {
  TOKEN_MALFORMED:
    'That is not an affgraph API token. A token starts with "agk_" and is 56 characters long: check that it was copied whole.',
  TOKEN_INVALID: 'This server does not know that token. Check that it was copied whole, or create a new one.',
  TOKEN_REVOKED: 'That token was revoked. Create a new one (Workspace page, or the token command).',
  TOKEN_EXPIRED: 'That token has expired. Create a new one (Workspace page, or the token command).',
}
function signInError(error) {
  const code = error?.errors?.[0]?.extensions?.code
  return SIGN_IN_WORDS[code] ?? error.message
}

const sectionFromHash = () => SECTIONS.find((s) => `#${s.id}` === location.hash)?.id ?? SECTIONS[0].id

function SignIn({ onSignedIn, reason }) {
  const [error, setError] = useState(reason)
  const [busy, setBusy] = useState(false)

  async function submit(/** @type {SubmitEvent} */ event) {
    event.preventDefault()
    const form = /** @type {HTMLFormElement} */ (event.currentTarget)
    const token = String(new FormData(form).get('token') ?? '').trim()
    setBusy(true)
    setError('')
    try {
      const { viewer } = await gql(VIEWER, {}, token)
      session.signIn(token)
      form.reset()
      onSignedIn(viewer)
    } catch (e) {
      setError(signInError(e))
    } finally {
      setBusy(false)
    }
  }

  return html`<main class="signin">
    <h1>affgraph</h1>
    <form onSubmit=${submit}>
      <div class=${`field${error ? ' invalid' : ''}`}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" required autocomplete="current-password" spellcheck=${false}
          aria-invalid=${Boolean(error)} aria-describedby="token-help" />
        ${error ? html`<p class="field-error" role="alert">${error}</p>` : ''}
        <p class="muted" id="token-help">
          Create one with <code>npm run token -- create --workspace "My team"</code>, or start the server with
          <code>npm start -- --demo</code> and use the token it prints. It is kept in this tab only.
        </p>
      </div>
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>`
}

function App() {
  const [viewer, setViewer] = useState(null)
  const [checking, setChecking] = useState(Boolean(session.token))
  const [signOutReason, setSignOutReason] = useState('')
  const [section, setSection] = useState(sectionFromHash)
  const [flash, setFlash] = useState(null)

  const signOut = (reason = '') => {
    session.signOut()
    setViewer(null)
    setSignOutReason(reason)
  }

  useEffect(() => {
    setUnauthorizedHandler(() => signOut('The API refused the token (revoked or expired?). Sign in again.'))
    const onHash = () => setSection(sectionFromHash())
    addEventListener('hashchange', onHash)
    if (session.token) {
      gql(VIEWER)
        .then(
          ({ viewer }) => setViewer(viewer),
          (e) => signOut(signInError(e)),
        )
        .finally(() => setChecking(false))
    }
    return () => removeEventListener('hashchange', onHash)
  }, [])

  useEffect(() => {
    const current = SECTIONS.find((s) => s.id === section)
    document.title = viewer && current ? `${current.label} · affgraph` : 'affgraph'
  }, [section, viewer])

  const navigate = (id, message = null) => {
    setFlash(message)
    if (location.hash !== `#${id}`) location.hash = id
    setSection(id)
  }

  if (checking) return html`<main><p class="muted">Signing in…</p></main>`
  if (!viewer) return html`<${SignIn} reason=${signOutReason} onSignedIn=${setViewer} />`

  const View = SECTIONS.find((s) => s.id === section)?.view ?? SECTIONS[0].view
  return html`<header class="top">
      <strong class="brand">affgraph</strong>
      <span class="workspace" title=${`token ${viewer.token.prefix}`}>${viewer.workspace.name}</span>
      <button type="button" class="link" onClick=${() => signOut()}>Sign out</button>
    </header>
    <nav class="tabs" aria-label="Sections">
      ${SECTIONS.map(
        (s) => html`<a href=${`#${s.id}`} aria-current=${s.id === section ? 'page' : undefined}
          onClick=${(e) => {
            e.preventDefault()
            navigate(s.id)
          }}>${s.label}</a>`,
      )}
    </nav>
    <main><${View} key=${section} navigate=${navigate} flash=${flash} viewer=${viewer} /></main>`
}

render(html`<${App} />`, document.getElementById('app'))
