import type { HttpExchange } from '../http/http-client.ts'
import { createSecretRedactor } from '../http/redact.ts'
import { type CaptureExchange, type CapturePlaceholder, REDACTED } from './capture-file.ts'

/**
 * Redaction of a capture, done by the host before the file is written. Known values get placeholders that keep a
 * replay consistent: the account's secret fields `REDACTED-SECRET-<field>`, run-time secrets (tokens the plugin
 * registered, or found in token answers, cookies and credential headers) `REDACTED-TOKEN-<n>` and
 * `REDACTED-COOKIE-<n>`, the account's identifiers `ID-<field>`. Each is replaced wherever it appears, in every
 * spelling a URL, form, JSON document or base64 header gives it. Credential-shaped places whose value is not
 * known (an Authorization header, a `password` form field, a `key` query parameter) become `REDACTED`.
 */

export interface CaptureRedactionInput {
  /** The account's secret connection fields: name → value. */
  secretFields: Record<string, string>
  /** The account's identifiers: placeholder suffix (a field name, or `account-name`) → value. */
  identifiers: Record<string, string>
  /** Values the plugin registered with `ctx.registerSecret` during the fetch. */
  registered: readonly string[]
}

/** Values this short are only hidden where they stand: replaced everywhere, they would eat digits of the data. */
const MIN_GLOBAL_LENGTH = 3
/** Secrets at least this long are replaced even inside longer words (the host redactor's threshold). */
const UNBOUNDED_LENGTH = 8

/** A name (header, query parameter, form or JSON field) whose value is a credential. */
const SENSITIVE_NAME =
  /(?:token|key|secret|password|passwd|pwd|signature|session|sessionid|sid|cookie|credentials?|auth|authorization)$/i
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`]+/g
/** Identifiers and short secrets are replaced as whole words; a percent escape (`%2F123`) also ends a word. */
const WORD_START = '(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{2}))'
const WORD_END = '(?![A-Za-z0-9])'

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name.replace(/[^A-Za-z]/g, ''))
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The spellings a value takes in URLs, forms and JSON, and for secrets in base64 (Basic credentials). */
function spellings(value: string, withBase64: boolean): string[] {
  const uri = encodeURIComponent(value)
  const forms = [
    value,
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    new URLSearchParams({ s: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
  ]
  if (withBase64) {
    const base64 = Buffer.from(value, 'utf8').toString('base64')
    forms.push(base64, base64.replace(/=+$/, ''), Buffer.from(value, 'utf8').toString('base64url'))
  }
  return forms
}

interface Known {
  placeholder: string
  kind: CapturePlaceholder['kind']
  field?: string
  /** Replaced inside longer words too. */
  unbounded: boolean
}

export interface CaptureRedactor {
  /** Looks through raw exchanges for credentials nobody registered (token answers, cookies, headers, JWTs). */
  discover(exchanges: readonly HttpExchange[]): void
  exchange(raw: HttpExchange, startedAt: number): CaptureExchange
  /** Free text (an error message): known values, credential patterns and URL queries. */
  text(text: string): string
  url(url: string): string
  /**
   * The connection a replay runs with. `secretUrlFields` are secret fields holding a whole URL (Income Access's
   * generated report link): a replay needs their structure (the dates in them), so each query value is redacted on
   * its own — the secrets the plugin registered from it, and parameters named like credentials — and the rest kept.
   */
  connection(
    connection: Record<string, string>,
    urlFields: ReadonlySet<string>,
    secretUrlFields?: ReadonlySet<string>,
  ): Record<string, string>
  placeholders(): CapturePlaceholder[]
}

export function createCaptureRedactor(input: CaptureRedactionInput): CaptureRedactor {
  const known = new Map<string, Known>()
  let tokens = 0
  let cookies = 0
  let pattern: RegExp | undefined
  let lookup = new Map<string, string>()
  // The host's own credential patterns (Authorization: …, Bearer …), for free text.
  const hostPatterns = createSecretRedactor()

  const remember = (value: string, entry: Omit<Known, 'unbounded'>) => {
    if (value.length < MIN_GLOBAL_LENGTH || known.has(value)) return
    const unbounded = entry.kind !== 'identifier' && value.length >= UNBOUNDED_LENGTH
    known.set(value, { ...entry, unbounded })
    pattern = undefined
  }
  const rememberToken = (value: string, kind: 'token' | 'cookie' = 'token') => {
    const trimmed = value.trim()
    if (trimmed.length < UNBOUNDED_LENGTH || known.has(trimmed) || trimmed === REDACTED) return
    const n = kind === 'token' ? ++tokens : ++cookies
    remember(trimmed, { placeholder: `REDACTED-${kind.toUpperCase()}-${n}`, kind })
  }

  for (const [field, value] of Object.entries(input.secretFields))
    remember(value, { placeholder: `REDACTED-SECRET-${field}`, kind: 'secret', field })
  for (const value of input.registered) rememberToken(value)
  for (const [name, value] of Object.entries(input.identifiers))
    remember(value, { placeholder: `ID-${name}`, kind: 'identifier', field: name })

  const compile = () => {
    lookup = new Map()
    const alternatives: { form: string; source: string }[] = []
    for (const [value, entry] of known) {
      for (const form of new Set(spellings(value, entry.kind !== 'identifier'))) {
        if (lookup.has(form)) continue
        lookup.set(form, entry.placeholder)
        const escaped = escapeRegExp(form)
        alternatives.push({ form, source: entry.unbounded ? escaped : `${WORD_START}${escaped}${WORD_END}` })
      }
    }
    // Longest first, so that a value holding another is replaced whole.
    alternatives.sort((a, b) => b.form.length - a.form.length)
    pattern = alternatives.length ? new RegExp(alternatives.map((a) => a.source).join('|'), 'g') : undefined
  }

  /** Every known value replaced by its placeholder, in one pass (a placeholder is never replaced again). */
  const values = (text: string): string => {
    if (!pattern) compile()
    return pattern ? text.replace(pattern, (match) => lookup.get(match) ?? REDACTED) : text
  }

  const isPlaceholder = (value: string) => value === REDACTED || /^(?:REDACTED|ID)-[A-Za-z0-9-]+$/.test(value)

  // ---- discovery: credentials that no one registered -------------------------------------------------------

  const credentialOfHeader = (name: string, value: string) => {
    if (name === 'cookie') {
      for (const pair of value.split(';')) rememberToken(pair.slice(pair.indexOf('=') + 1), 'cookie')
    } else if (name === 'set-cookie') {
      for (const line of value.split(/,(?=\s*[^;,=\s]+=)/)) {
        const first = line.split(';')[0] ?? ''
        rememberToken(first.slice(first.indexOf('=') + 1), 'cookie')
      }
    } else {
      // "Bearer x", "Basic x", or a bare key.
      rememberToken(value.replace(/^[A-Za-z-]+\s+(?=\S)/, ''))
    }
  }

  const discoverParams = (params: URLSearchParams) => {
    for (const [name, value] of params) if (isSensitiveName(name)) rememberToken(value)
  }

  const discoverJson = (value: unknown, depth = 0): void => {
    if (depth > 20 || value === null || typeof value !== 'object') return
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string' && isSensitiveName(key)) rememberToken(item)
      else discoverJson(item, depth + 1)
    }
  }

  const discoverBody = (body: string | undefined, contentType: string | undefined) => {
    if (!body) return
    for (const jwt of body.match(JWT) ?? []) rememberToken(jwt)
    const type = (contentType ?? '').toLowerCase()
    if (type.includes('x-www-form-urlencoded')) discoverParams(new URLSearchParams(body))
    else if (type.includes('json') || /^\s*[{[]/.test(body)) {
      try {
        discoverJson(JSON.parse(body))
      } catch {
        // Not JSON after all: known values and JWTs are still replaced.
      }
    }
  }

  const discoverUrl = (text: string) => {
    if (!URL.canParse(text)) return
    const url = new URL(text)
    rememberToken(decodeURIComponent(url.password))
    discoverParams(url.searchParams)
  }

  // ---- structural redaction of what discovery left --------------------------------------------------------

  const scrubParams = (params: URLSearchParams): URLSearchParams => {
    const out = new URLSearchParams()
    for (const [name, value] of params)
      out.append(name, isSensitiveName(name) && !isPlaceholder(value) ? REDACTED : value)
    return out
  }

  const url = (text: string): string => {
    const replaced = values(text)
    if (!URL.canParse(replaced)) return replaced
    const parsed = new URL(replaced)
    const scrubbed = scrubParams(parsed.searchParams).toString()
    const queryChanged = scrubbed !== parsed.searchParams.toString()
    // Rebuilt only when something must go, so that a URL keeps the plugin's own spelling (and no slash is added).
    if (!parsed.username && !parsed.password && !queryChanged) return replaced
    if (parsed.username) parsed.username = REDACTED
    if (parsed.password) parsed.password = REDACTED
    if (queryChanged) parsed.search = scrubbed
    return parsed.toString()
  }

  const secretUrl = (text: string): string => {
    if (!URL.canParse(text)) return values(text)
    const parsed = new URL(text)
    const params = new URLSearchParams()
    for (const [name, value] of parsed.searchParams) params.append(name, values(value))
    parsed.search = scrubParams(params).toString()
    if (parsed.username) parsed.username = REDACTED
    if (parsed.password) parsed.password = REDACTED
    parsed.hash = ''
    return values(parsed.toString())
  }

  const scrubJson = (value: unknown, depth = 0): unknown => {
    if (depth > 20 || value === null || typeof value !== 'object') return value
    if (Array.isArray(value)) return value.map((item) => scrubJson(item, depth + 1))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        typeof item === 'string' && isSensitiveName(key) && !isPlaceholder(item)
          ? REDACTED
          : scrubJson(item, depth + 1),
      ]),
    )
  }

  const body = (text: string | undefined, contentType: string | undefined): string | null => {
    if (text === undefined) return null
    const replaced = values(text)
    const type = (contentType ?? '').toLowerCase()
    if (type.includes('x-www-form-urlencoded')) {
      const params = new URLSearchParams(replaced)
      const scrubbed = scrubParams(params).toString()
      return scrubbed === params.toString() ? replaced : scrubbed
    }
    if (type.includes('json') || /^\s*[{[]/.test(text)) {
      let parsed: unknown
      let out = replaced
      try {
        parsed = JSON.parse(replaced)
      } catch {
        // A bare number that was an identifier became a placeholder: redo the document value by value.
        try {
          parsed = jsonValues(JSON.parse(text))
          out = JSON.stringify(parsed)
        } catch {
          return replaced
        }
      }
      const scrubbed = scrubJson(parsed)
      return JSON.stringify(scrubbed) === JSON.stringify(parsed) ? out : JSON.stringify(scrubbed)
    }
    return replaced
  }

  /** Known values replaced inside a JSON document's strings and keys; a number that is one becomes a string. */
  const jsonValues = (value: unknown, depth = 0): unknown => {
    if (typeof value === 'string') return values(value)
    if (typeof value === 'number') {
      const placeholder = values(String(value))
      return placeholder === String(value) ? value : placeholder
    }
    if (depth > 20 || value === null || typeof value !== 'object') return value
    if (Array.isArray(value)) return value.map((item) => jsonValues(item, depth + 1))
    return Object.fromEntries(
      Object.entries(value).map(([k, item]) => [values(k), jsonValues(item, depth + 1)]),
    )
  }

  const headers = (raw: Readonly<Record<string, string>>): Record<string, string> => {
    const out: Record<string, string> = {}
    for (const [name, value] of Object.entries(raw)) {
      const lower = name.toLowerCase()
      const replaced = values(value)
      if (!isSensitiveName(lower)) {
        out[lower] = replaced
        continue
      }
      // Keep the scheme and cookie names, which say what kind of credential it was.
      if (lower === 'cookie' || lower === 'set-cookie') {
        // A cookie header is `a=1; b=2`; set-cookie lines are joined by ", " and only their first pair is the value.
        const pairs = lower === 'cookie' ? /(^|;\s*)([^=;\s]+)=([^;]*)/g : /(^|,\s*)([^=;,\s]+)=([^;]*)/g
        out[lower] = replaced.replace(pairs, (m, lead: string, key: string, v: string) =>
          isPlaceholder(v.trim()) ? m : `${lead}${key}=${REDACTED}`,
        )
      } else {
        const scheme = /^([A-Za-z-]+)\s+\S/.exec(replaced)?.[1]
        const rest = scheme ? replaced.slice(scheme.length).trim() : replaced.trim()
        out[lower] = isPlaceholder(rest) ? replaced : scheme ? `${scheme} ${REDACTED}` : REDACTED
      }
    }
    return out
  }

  /** URLs get `url`, the rest `values`: each part is replaced once, so no placeholder is ever rewritten. */
  const text = (input: string): string => {
    let out = ''
    let last = 0
    for (const match of input.matchAll(URL_IN_TEXT)) {
      out += values(input.slice(last, match.index)) + url(match[0])
      last = match.index + match[0].length
    }
    return hostPatterns.redact(out + values(input.slice(last)))
  }

  const errorOf = (error: unknown): { code: string; message: string } | null => {
    if (error === undefined || error === null) return null
    const code = (error as { code?: unknown }).code
    return {
      code: typeof code === 'string' ? code : error instanceof Error ? error.name : 'UNKNOWN',
      message: text(error instanceof Error ? error.message : String(error)),
    }
  }

  return {
    discover(exchanges) {
      for (const { request, response } of exchanges) {
        discoverUrl(request.url.toString())
        for (const [name, value] of Object.entries(request.headers))
          if (isSensitiveName(name)) credentialOfHeader(name.toLowerCase(), value)
        discoverBody(request.body, request.headers['content-type'])
        if (!response) continue
        discoverUrl(response.url)
        for (const [name, value] of Object.entries(response.headers))
          if (isSensitiveName(name)) credentialOfHeader(name.toLowerCase(), value)
        discoverBody(response.text, response.headers['content-type'])
      }
    },
    exchange(raw, startedAt) {
      const { request, response } = raw
      return {
        at: Math.max(0, Math.round(raw.startedAt - startedAt)),
        durationMs: Math.round(raw.durationMs),
        attempt: raw.attempt,
        request: {
          method: request.method.toUpperCase(),
          url: url(request.url.toString()),
          headers: headers(request.headers),
          body: body(request.body, request.headers['content-type']),
        },
        response: response
          ? {
              status: response.status,
              url: url(response.url),
              headers: headers(response.headers),
              body: body(response.text, response.headers['content-type']) ?? '',
            }
          : null,
        failure: errorOf(raw.error),
      }
    },
    text,
    url,
    connection(connection, urlFields, secretUrlFields = new Set()) {
      return Object.fromEntries(
        Object.entries(connection).map(([name, value]) => [
          name,
          secretUrlFields.has(name) ? secretUrl(value) : urlFields.has(name) ? url(value) : values(value),
        ]),
      )
    },
    placeholders() {
      return [...known.values()]
        .map(({ placeholder, kind, field }) => ({ placeholder, kind, ...(field ? { field } : {}) }))
        .sort((a, b) => a.placeholder.localeCompare(b.placeholder))
    },
  }
}
