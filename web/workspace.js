import { useEffect, useState } from 'preact/hooks'
import { gql } from './api.js'
import { instant } from './format.js'
import { html } from './html.js'

const WORKSPACE = `query Workspace {
  apiTokens(first: 100) { nodes { id name prefix createdAt lastUsedAt expiresAt revokedAt } }
  members(first: 100) { nodes { id email role createdAt } }
}`

const CREATE_TOKEN = `mutation CreateToken($input: CreateApiTokenInput!) {
  createApiToken(input: $input) {
    __typename
    ... on CreateApiTokenSuccess { token apiToken { id name prefix } }
    ... on UserError { message fields { field message } }
  }
}`

const REVOKE_TOKEN = `mutation RevokeToken($input: RevokeApiTokenInput!) {
  revokeApiToken(input: $input) {
    __typename
    ... on RevokeApiTokenSuccess { apiToken { id revokedAt } }
    ... on UserError { message }
  }
}`

const ADD_MEMBER = `mutation AddMember($input: AddMemberInput!) {
  addMember(input: $input) {
    __typename
    ... on AddMemberSuccess { member { id email } }
    ... on UserError { message fields { field message } }
  }
}`

function tokenState(token, now = Date.now()) {
  if (token.revokedAt) return 'Revoked'
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return 'Expired'
  return 'Active'
}

export function Workspace({ viewer }) {
  const [data, setData] = useState(null)
  const [error, setError] = useState('')
  const [notice, setNotice] = useState('')
  const [created, setCreated] = useState(null)
  const [confirming, setConfirming] = useState(null)
  const [busy, setBusy] = useState(false)

  const reload = () => gql(WORKSPACE).then(setData, (e) => setError(e.message))
  useEffect(() => {
    reload()
  }, [])

  async function mutate(query, variables, field, done) {
    setBusy(true)
    setError('')
    setNotice('')
    try {
      const result = (await gql(query, variables))[field]
      if ('message' in result) setError(result.message)
      else {
        await done(result)
        await reload()
      }
    } catch (e) {
      setError(e.message)
    } finally {
      setBusy(false)
    }
  }

  const createToken = (event) => {
    event.preventDefault()
    const form = event.currentTarget
    const values = new FormData(form)
    const expires = String(values.get('expires') ?? '')
    const input = {
      name: String(values.get('name') ?? '').trim(),
      ...(expires ? { expiresAt: new Date(`${expires}T23:59:59Z`).toISOString() } : {}),
    }
    return mutate(CREATE_TOKEN, { input }, 'createApiToken', (result) => {
      setCreated(result)
      form.reset()
    })
  }
  const revoke = (token) =>
    mutate(REVOKE_TOKEN, { input: { id: token.id } }, 'revokeApiToken', () => {
      setConfirming(null)
      setNotice(`Revoked ${token.name}. Requests bearing it are refused from now on.`)
    })
  const addMember = (event) => {
    event.preventDefault()
    const form = event.currentTarget
    const values = new FormData(form)
    const input = { email: String(values.get('email') ?? '').trim(), role: String(values.get('role')) }
    return mutate(ADD_MEMBER, { input }, 'addMember', (result) => {
      setNotice(`Added ${result.member.email}.`)
      form.reset()
    })
  }
  const copy = () =>
    navigator.clipboard?.writeText(created.token).then(
      () => setNotice('Token copied.'),
      () => setNotice('Select the token and copy it.'),
    )

  return html`<section aria-labelledby="workspace-title">
    <h2 id="workspace-title">Workspace: ${viewer.workspace.name}</h2>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : ''}
    <h3>API tokens</h3>
    <p class="muted">Each script, dashboard or person gets its own token, so one can be revoked without the others.</p>
    ${
      created
        ? html`<div class="created-token" role="status">
            <p><strong>${created.apiToken.name}</strong>: copy this token now. It is shown once; affgraph keeps only its hash.</p>
            <p><code class="token-value">${created.token}</code>
              <button type="button" class="secondary" onClick=${copy}>Copy</button>
              <button type="button" class="link" onClick=${() => setCreated(null)}>Done</button></p>
          </div>`
        : ''
    }
    <form class="inline-form" onSubmit=${createToken}>
      <div class="field"><label for="token-name">Name</label><input id="token-name" name="name" required maxlength="100" placeholder="Looker Studio" autocomplete="off" /></div>
      <div class="field"><label for="token-expires">Expires (optional)</label><input id="token-expires" name="expires" type="date" /></div>
      <button type="submit" disabled=${busy}>Create token</button>
    </form>
    ${
      data &&
      html`<div class="table-wrap" tabindex="0"><table class="tokens-table">
        <caption class="visually-hidden">API tokens of the workspace</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Starts with</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${data.apiTokens.nodes.map((token) => {
          const state = tokenState(token)
          const current = token.prefix === viewer.token.prefix
          return html`<tr data-token-state=${state}>
            <td>${token.name}${current ? html` <span class="muted small">(this browser)</span>` : ''}</td>
            <td><code>${token.prefix}</code></td>
            <td>${instant(token.createdAt)}</td>
            <td>${instant(token.lastUsedAt) ?? html`<span class="muted">never</span>`}</td>
            <td>${state}${token.expiresAt && state === 'Active' ? html`<span class="muted small"> until ${instant(token.expiresAt)}</span>` : ''}</td>
            <td>${
              state !== 'Active'
                ? ''
                : confirming === token.id
                  ? html`<span role="group" aria-label=${`Confirm revoking ${token.name}`}>
                      <button type="button" class="danger" onClick=${() => revoke(token)} disabled=${busy}>Yes, revoke</button>
                      <button type="button" class="secondary" onClick=${() => setConfirming(null)}>Cancel</button></span>`
                  : html`<button type="button" class="secondary" onClick=${() => setConfirming(token.id)} aria-label=${`Revoke ${token.name}`}>Revoke</button>`
            }</td>
          </tr>`
        })}</tbody>
      </table></div>`
    }
    <h3>Members</h3>
    ${
      data &&
      html`<ul class="members">${data.members.nodes.map(
        (m) =>
          html`<li><span>${m.email}</span> <span class="muted small">${m.role === 'OWNER' ? 'Owner' : 'Member'} since ${instant(m.createdAt)}</span></li>`,
      )}${data.members.nodes.length === 0 ? html`<li class="muted">No members yet: the workspace is used through API tokens.</li>` : ''}</ul>`
    }
    <form class="inline-form" onSubmit=${addMember}>
      <div class="field"><label for="member-email">Email</label><input id="member-email" name="email" type="email" required autocomplete="off" /></div>
      <div class="field"><label for="member-role">Role</label><select id="member-role" name="role"><option value="MEMBER">Member</option><option value="OWNER">Owner</option></select></div>
      <button type="submit" class="secondary" disabled=${busy}>Add member</button>
    </form>
  </section>`
}
