export const REDACTED = '[REDACTED]'

/**
 * Secrets shorter than this are not redacted by value: replacing every "1234" or "abc" in logs and errors would
 * mangle ordinary text (dates, ids, amounts) while protecting nothing a brute force would not find anyway.
 * Header and URL-query redaction still cover short values sent in those places.
 */
export const MIN_SECRET_LENGTH = 8

/**
 * A piece of a secret cut at a message's edge or at an ellipsis (a plugin quoting the first 60 characters of a body
 * that echoed the key) is hidden from this length on, or from half the secret's length when that is shorter.
 * Shorter pieces, and pieces inside running text, are left alone: they would mask ordinary words.
 */
export const MIN_FRAGMENT_LENGTH = 6

export interface SecretRedactor {
  /** Registers one more value to hide (e.g. an access token obtained at run time). */
  add(value: string): void
  /** Replaces every registered secret (raw, URL-encoded, form-encoded, JSON-escaped, base64) and credential headers. */
  redact(text: string): string
  /**
   * At most `maxLength` characters of `text` (then an ellipsis), secrets redacted before the cut, so that no
   * piece of one is left at the edge for later redaction to miss.
   */
  excerpt(text: string, maxLength: number): string
  /**
   * A copy of the error with the same prototype (so `instanceof` and `code` survive) whose message, stack, own
   * string properties and cause chain are redacted; URL queries and userinfo in its text are hidden too.
   * `extraSecrets` are hidden in this error only (e.g. the Authorization value of the request that failed).
   */
  redactError<E>(error: E, extraSecrets?: readonly string[]): E
}

const SENSITIVE_KEYS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'])

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The spellings a secret takes on its way through URLs, forms, JSON and Basic/base64 encodings. */
function encodedForms(secret: string): string[] {
  const forms = new Set<string>([secret])
  const uri = encodeURIComponent(secret)
  forms.add(uri)
  forms.add(uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()))
  forms.add(new URLSearchParams({ s: secret }).toString().slice(2))
  forms.add(JSON.stringify(secret).slice(1, -1))
  const base64 = Buffer.from(secret, 'utf8').toString('base64')
  forms.add(base64)
  forms.add(base64.replace(/=+$/, ''))
  forms.add(Buffer.from(secret, 'utf8').toString('base64url'))
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH)
}

function buildPattern(secrets: Iterable<string>): RegExp | undefined {
  const forms = new Set<string>()
  for (const secret of secrets) for (const form of encodedForms(secret)) forms.add(form)
  if (forms.size === 0) return undefined
  // Longest first, so a secret that contains another is replaced whole.
  const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp)
  return new RegExp(alternatives.join('|'), 'g')
}

/** The spellings in which a secret is echoed as text (base64 is left out: a cut of it is not a cut of it). */
function textForms(secret: string): string[] {
  const uri = encodeURIComponent(secret)
  const forms = new Set<string>([
    secret,
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
  ])
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH)
}

const ELLIPSIS = '(?:…|\\.{3})'
// Quotes and brackets may sit between a cut piece and the edge: `("abc…")`, `"…xyz"`.
const CLOSERS = '["\'`)\\]}>]*'
const OPENERS = '["\'`(\\[{<]*'

/** Prefixes of a secret that end a line or meet an ellipsis, and suffixes that start one or follow an ellipsis. */
function buildFragmentPattern(secrets: Iterable<string>): RegExp | undefined {
  const prefixes = new Set<string>()
  const suffixes = new Set<string>()
  for (const secret of secrets) {
    for (const form of textForms(secret)) {
      const shortest = Math.min(MIN_FRAGMENT_LENGTH, Math.ceil(form.length / 2))
      for (let length = form.length - 1; length >= shortest; length--) {
        prefixes.add(form.slice(0, length))
        suffixes.add(form.slice(form.length - length))
      }
    }
  }
  if (prefixes.size === 0) return undefined
  const alternatives = (set: Set<string>) =>
    [...set]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|')
  return new RegExp(
    `(?:${alternatives(prefixes)})(?=${CLOSERS}\\s*(?:${ELLIPSIS}|$))|(?<=(?:^|${ELLIPSIS})\\s*${OPENERS})(?:${alternatives(suffixes)})`,
    'gm',
  )
}

const AUTH_HEADER =
  /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(Bearer|Basic|Digest|Token|ApiKey)\s+)?[^\s"',;}\]]+/gi
// A credential has a digit, a capital or a symbol; this spares prose such as "Basic authentication failed".
const AUTH_SCHEME = /\b(Bearer|Basic)\s+(?=[a-z]*[A-Z0-9._~+/-])[A-Za-z0-9._~+/-]{8,}=*/g
const URL_WITH_QUERY = /\b(https?:\/\/[^\s?#"'<>`]*)\?([^\s#"'<>`]*)/gi
const URL_USERINFO = /\b(https?:\/\/)[^\s/?#@"'<>`]+@/gi

function redactCredentialPatterns(text: string): string {
  return text
    .replace(AUTH_HEADER, (_m, prefix: string, scheme: string | undefined) =>
      scheme ? `${prefix}${scheme} ${REDACTED}` : `${prefix}${REDACTED}`,
    )
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`)
}

/** Keeps parameter names (useful when debugging) and hides every value. */
function redactUrlQueries(text: string): string {
  return text
    .replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(URL_WITH_QUERY, (_m, base: string, query: string) => {
      const params = query
        .split('&')
        .filter(Boolean)
        .map((pair) => {
          const eq = pair.indexOf('=')
          return eq === -1 ? pair : `${pair.slice(0, eq)}=${REDACTED}`
        })
      return `${base}?${params.join('&')}`
    })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const MAX_DEPTH = 6

/** Error properties that hold identifiers of the plugin's own making, left as they are. */
const IDENTIFIER_KEYS = new Set(['code', 'field', 'name'])

export function createSecretRedactor(initial: readonly string[] = []): SecretRedactor {
  const secrets = new Set<string>()
  let pattern: RegExp | undefined
  let fragments: RegExp | undefined

  const add = (value: string): void => {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return
    secrets.add(value)
    pattern = undefined
    fragments = undefined
  }
  for (const value of initial) add(value)

  interface Extra {
    whole: RegExp | undefined
    fragments: RegExp | undefined
  }

  const redactWith = (text: string, extra: Extra | undefined): string => {
    pattern ??= buildPattern(secrets)
    fragments ??= buildFragmentPattern(secrets)
    let out = text
    if (extra?.whole) out = out.replace(extra.whole, REDACTED)
    if (pattern) out = out.replace(pattern, REDACTED)
    // Whole secrets first, so that only what is left of a cut one is taken for a piece.
    if (extra?.fragments) out = out.replace(extra.fragments, REDACTED)
    if (fragments) out = out.replace(fragments, REDACTED)
    return redactCredentialPatterns(out)
  }

  const redact = (text: string): string => redactWith(text, undefined)

  const excerpt = (text: string, maxLength: number): string => {
    const flat = redact(String(text)).replace(/\s+/g, ' ').trim()
    return flat.length > maxLength ? `${flat.slice(0, Math.max(0, maxLength))}…` : flat
  }

  const redactError = <E>(error: E, extraSecrets: readonly string[] = []): E => {
    const given = extraSecrets.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH)
    const extra: Extra = { whole: buildPattern(given), fragments: buildFragmentPattern(given) }
    const text = (value: string) => redactUrlQueries(redactWith(value, extra))
    const seen = new Map<object, unknown>()

    const value = (input: unknown, depth: number): unknown => {
      if (typeof input === 'string') return text(input)
      if (input === null || typeof input !== 'object' || depth > MAX_DEPTH) return input
      const known = seen.get(input)
      if (known !== undefined) return known
      if (input instanceof DOMException) {
        // Its fields live in internal slots: a prototype copy would throw on access, so rebuild it.
        const message = text(input.message)
        const copy = message === input.message ? input : new DOMException(message, input.name)
        seen.set(input, copy)
        return copy
      }
      if (input instanceof Error) return cloneError(input, depth)
      if (Array.isArray(input)) {
        const copy: unknown[] = []
        seen.set(input, copy)
        for (const item of input) copy.push(value(item, depth + 1))
        return copy
      }
      if (isPlainObject(input)) {
        const copy: Record<string, unknown> = {}
        seen.set(input, copy)
        for (const [key, item] of Object.entries(input)) {
          copy[key] =
            SENSITIVE_KEYS.has(key.toLowerCase()) && item != null ? REDACTED : value(item, depth + 1)
        }
        return copy
      }
      return input
    }

    const cloneError = (error: Error, depth: number): Error => {
      const copy = Object.create(Object.getPrototypeOf(error)) as Error
      seen.set(error, copy)
      for (const key of Reflect.ownKeys(error)) {
        if (key === 'stack') continue
        const descriptor = Object.getOwnPropertyDescriptor(error, key)
        if (!descriptor) continue
        if ('value' in descriptor) {
          // An error's code and the connection field it names are the plugin's own identifiers, never data: a field
          // name that happens to end a secret (in a replay, the placeholder REDACTED-SECRET-apiKey) stays readable.
          if (!(typeof key === 'string' && IDENTIFIER_KEYS.has(key) && typeof descriptor.value === 'string'))
            descriptor.value = value(descriptor.value, depth + 1)
        } else {
          let current: unknown
          try {
            current = descriptor.get?.call(error)
          } catch {
            continue
          }
          Object.defineProperty(copy, key, {
            value: value(current, depth + 1),
            writable: true,
            enumerable: descriptor.enumerable ?? false,
            configurable: true,
          })
          continue
        }
        Object.defineProperty(copy, key, descriptor)
      }
      const stack = error.stack
      if (typeof stack === 'string') {
        Object.defineProperty(copy, 'stack', {
          value: text(stack),
          writable: true,
          enumerable: false,
          configurable: true,
        })
      }
      return copy
    }

    return value(error, 0) as E
  }

  return { add, redact, excerpt, redactError }
}
