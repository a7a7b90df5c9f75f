const TOKEN_KEY = 'affgraph.token'

/** The API token lives for the browser tab only: closing the tab signs out. */
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY)
  },
  /** @param {string} token */
  signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token)
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY)
  },
}

/** @typedef {{ message: string, path?: (string|number)[], extensions?: Record<string, unknown> }} GraphQLErrorBody */

export class ApiError extends Error {
  /**
   * @param {GraphQLErrorBody[]} errors
   * @param {number} status
   */
  constructor(errors, status) {
    super(errors.map((e) => e.message).join(' '))
    this.errors = errors
    this.status = status
  }
}

/** Called when the API refuses the token (revoked or expired while the page is open). */
let onUnauthorized = () => {}
/** @param {() => void} handler */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler
}

/**
 * One GraphQL operation. Resolves with `data`; any error in `errors` rejects, because every operation of the page
 * asks for fields it needs as a whole.
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @param {string | null} [token]
 */
export async function gql(query, variables = {}, token = session.token) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  }
  if (token) headers.authorization = `Bearer ${token}`
  let response
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    })
  } catch {
    throw new ApiError(
      [{ message: 'The affgraph server cannot be reached. Check your connection and try again.' }],
      0,
    )
  }
  let body
  try {
    body = await response.json()
  } catch {
    throw new ApiError(
      [{ message: `The affgraph server answered HTTP ${response.status} without a GraphQL result.` }],
      response.status,
    )
  }
  if (body.errors?.length) {
    // Only the signed-in token going bad signs the tab out; a refused sign-in attempt just shows its error.
    if (response.status === 401 && token && token === session.token) onUnauthorized()
    throw new ApiError(body.errors, response.status)
  }
  return body.data
}

/**
 * Every node of a paged connection, following `pageInfo.endCursor` (the document takes `$after`) until the last
 * page or until at least `limit` nodes are in. Resolves with the nodes and the last page's whole answer, for the
 * fields beside the connection (totals, counts).
 * @param {string} query
 * @param {Record<string, unknown>} variables
 * @param {(data: any) => { nodes: any[], pageInfo: { hasNextPage: boolean, endCursor: string | null } }} connectionOf
 */
export async function allNodes(query, variables, connectionOf, limit = Number.POSITIVE_INFINITY) {
  const nodes = []
  let after = null
  for (;;) {
    const answer = await gql(query, { ...variables, after })
    const connection = connectionOf(answer)
    nodes.push(...connection.nodes)
    if (!connection.pageInfo.hasNextPage || nodes.length >= limit) return { nodes, answer }
    after = connection.pageInfo.endCursor
  }
}

/**
 * Splits an API failure into messages per input field and messages for the whole form. Every expected failure is a
 * UserError result whose `fields` hold `{ field, message }` (the field is the last element of its input path); a
 * top-level error (an ApiError) carries the same issues in `extensions.fields` when it concerns input.
 * @param {unknown} error an ApiError, or a UserError result `{ message, fields }`
 * @param {string[]} fieldNames the inputs on the form
 * @returns {{ byField: Record<string, string[]>, general: string[] }}
 */
export function errorsByField(error, fieldNames) {
  const known = new Set(fieldNames)
  /** @type {Record<string, string[]>} */
  const byField = {}
  /** @type {string[]} */
  const general = []
  const add = (/** @type {string} */ field, /** @type {string} */ message) => {
    if (!byField[field]) byField[field] = []
    if (!byField[field].includes(message)) byField[field].push(message)
  }
  /** @param {unknown[]} issues @param {string} whole the message when no issue names a field on the form */
  const place = (issues, whole) => {
    let placed = false
    for (const issue of issues) {
      const i = /** @type {{ field?: string, path?: string[], message?: string }} */ (issue ?? {})
      const field = String(i.field ?? i.path?.at?.(-1) ?? '')
      if (!known.has(field)) continue
      add(field, String(i.message ?? whole))
      placed = true
    }
    if (!placed) general.push(whole)
  }
  if (error instanceof ApiError) {
    for (const e of error.errors)
      place(Array.isArray(e.extensions?.fields) ? e.extensions.fields : [], e.message)
  } else if (error && typeof error === 'object' && 'message' in error) {
    place(Array.isArray(error.fields) ? error.fields : [], String(error.message))
  } else {
    general.push(String(error))
  }
  return { byField, general }
}

/**
 * A GraphQL subscription over server-sent events (one POST, one stream). `onNext` gets each event's `data`; the
 * returned function ends it. A stream that breaks is not retried here: the views that use one also poll.
 * @param {string} query
 * @param {Record<string, unknown>} variables
 * @param {(data: any) => void} onNext
 */
export function subscribe(query, variables, onNext) {
  const controller = new AbortController()
  const headers = { 'content-type': 'application/json', accept: 'text/event-stream' }
  if (session.token) headers.authorization = `Bearer ${session.token}`
  ;(async () => {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    })
    if (!response.ok || !response.body) return
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n')
        if (!data) continue
        const message = JSON.parse(data)
        if (message?.data) onNext(message.data)
      }
    }
  })().catch(() => {
    // Ended by the view, or the stream broke: the view's polling carries on.
  })
  return () => controller.abort()
}
