import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createSecretRedactor, MIN_SECRET_LENGTH, REDACTED } from '../../src/http/redact.ts'
import { OutboundBlockedError } from '../../src/http/ssrf-guard.ts'
import { AuthError, RateLimitError, UnavailableError } from '../../src/sdk/errors.ts'

const SECRET = 'p@ss/w0rd+key="x"'

describe('secret redaction', () => {
  it('given a registered secret, when text holds it raw, URL-encoded, form-encoded, JSON-escaped or base64, then every form is replaced', () => {
    const redactor = createSecretRedactor([SECRET])
    const forms = [
      SECRET,
      encodeURIComponent(SECRET),
      encodeURIComponent(SECRET).toLowerCase(),
      new URLSearchParams({ k: SECRET }).toString().slice(2),
      JSON.stringify(SECRET).slice(1, -1),
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('base64url'),
    ]
    for (const form of forms) {
      const out = redactor.redact(`before ${form} after`)
      expect(out, form).toBe(`before ${REDACTED} after`)
    }
  })

  it(`given a secret shorter than ${MIN_SECRET_LENGTH} characters, when registered, then it is not redacted by value (it would mangle ordinary text)`, () => {
    const redactor = createSecretRedactor(['1234', ''])
    expect(redactor.redact('order 1234 on 2024-01-01')).toBe('order 1234 on 2024-01-01')
  })

  it('given a secret added after creation, when text holds it, then it is replaced', () => {
    const redactor = createSecretRedactor()
    redactor.add('access-token-abcdef')
    expect(redactor.redact('got access-token-abcdef')).toBe(`got ${REDACTED}`)
  })

  it('given a secret that contains another, when both are registered, then the longer one is replaced whole', () => {
    const redactor = createSecretRedactor(['abcdefgh', 'abcdefgh-and-more'])
    expect(redactor.redact('x abcdefgh-and-more y')).toBe(`x ${REDACTED} y`)
  })

  it('given Authorization headers and bearer tokens in text, when redacted, then their values are hidden but prose is kept', () => {
    const redactor = createSecretRedactor()
    expect(redactor.redact('Authorization: Bearer eyJhbGciOi.J9x')).toBe(`Authorization: Bearer ${REDACTED}`)
    expect(redactor.redact('{"authorization":"Basic dXNlcjpwYXNz"}')).toBe(
      `{"authorization":"Basic ${REDACTED}"}`,
    )
    expect(redactor.redact('sent Bearer AbC123xyz987')).toBe(`sent Bearer ${REDACTED}`)
    expect(redactor.redact('Basic authentication failed')).toBe('Basic authentication failed')
  })

  it('given an SDK error whose message and cause chain hold the secret and a URL query, when redacted, then the copy keeps its class and code and leaks nothing', () => {
    const redactor = createSecretRedactor(['tok_live_1234567890'])
    const root = new Error('GET https://api.example/report?token=tok_live_1234567890&from=2024-01-01 failed')
    const middle = new UnavailableError('upstream said tok_live_1234567890 is busy', { cause: root })
    const error = new AuthError('refused key tok_live_1234567890', { field: 'apiKey', cause: middle })
    const copy = redactor.redactError(error)
    expect(copy).toBeInstanceOf(AuthError)
    expect(copy).not.toBe(error)
    expect(copy.code).toBe('PLATFORM_AUTH')
    expect(copy.field).toBe('apiKey')
    expect(copy.name).toBe('AuthError')
    expect(copy.message).toBe(`refused key ${REDACTED}`)
    expect(copy.cause).toBeInstanceOf(UnavailableError)
    const rendered = inspect(copy, { depth: 10 })
    expect(rendered).not.toContain('tok_live_1234567890')
    expect(rendered).not.toContain('2024-01-01')
    expect(rendered).toContain(`https://api.example/report?token=${REDACTED}&from=${REDACTED}`)
    expect(copy.stack).toContain('AuthError')
    expect(copy.stack).not.toContain('tok_live_1234567890')
    // The original is left as it was.
    expect(error.message).toContain('tok_live_1234567890')
  })

  it('given a RateLimitError and an OutboundBlockedError, when redacted, then their own fields survive', () => {
    const redactor = createSecretRedactor()
    const limited = redactor.redactError(new RateLimitError('slow down', { retryAfterMs: 1500 }))
    expect(limited).toBeInstanceOf(RateLimitError)
    expect(limited.retryAfterMs).toBe(1500)
    expect(limited.transient).toBe(true)
    const blocked = redactor.redactError(
      new OutboundBlockedError('10.0.0.1', '10.0.0.1 is a private address'),
    )
    expect(blocked).toBeInstanceOf(OutboundBlockedError)
    expect(blocked.code).toBe('OUTBOUND_BLOCKED')
    expect(blocked.host).toBe('10.0.0.1')
  })

  it('given extra secrets for one error, when redacted, then they are hidden in that error only', () => {
    const redactor = createSecretRedactor()
    const copy = redactor.redactError(new Error('header was Token sk-extra-secret-9'), ['sk-extra-secret-9'])
    expect(copy.message).toBe(`header was Token ${REDACTED}`)
    expect(redactor.redact('sk-extra-secret-9')).toBe('sk-extra-secret-9')
  })

  it('given an error with URL credentials, a header object and a cyclic cause, when redacted, then it terminates and hides them', () => {
    const redactor = createSecretRedactor()
    const error = new Error('could not fetch https://user:pa55word@api.example/x') as Error & {
      headers?: unknown
    }
    error.headers = { authorization: 'short', accept: 'application/json' }
    error.cause = error
    const copy = redactor.redactError(error) as Error & { headers: Record<string, string> }
    expect(copy.message).toBe(`could not fetch https://${REDACTED}@api.example/x`)
    expect(copy.headers).toEqual({ authorization: REDACTED, accept: 'application/json' })
    expect(copy.cause).toBe(copy)
  })

  it('given an abort reason DOMException, when redacted, then it is still a usable DOMException', () => {
    const redactor = createSecretRedactor()
    const reason = new DOMException('This operation was aborted', 'AbortError')
    const copy = redactor.redactError(reason)
    expect(copy).toBeInstanceOf(DOMException)
    expect(copy.name).toBe('AbortError')
  })
})

describe('secret redaction: pieces of a secret cut at an edge', () => {
  const KEY = 'Kq7vRt2mWz9pLx4nBc8s'

  it('given a secret cut at the end of a message, before an ellipsis or before closing quotes, when redacted, then the piece is hidden', () => {
    const redactor = createSecretRedactor([KEY])
    for (const length of [6, 10, KEY.length - 1]) {
      const piece = KEY.slice(0, length)
      expect(redactor.redact(`the program said: ${piece}`), piece).toBe(`the program said: ${REDACTED}`)
      expect(redactor.redact(`said "${piece}…" (HTTP 200)`), piece).toBe(`said "${REDACTED}…" (HTTP 200)`)
      expect(redactor.redact(`said ${piece}... then`), piece).toBe(`said ${REDACTED}... then`)
      expect(redactor.redact(`count ("${piece}")`), piece).toBe(`count ("${REDACTED}")`)
    }
  })

  it('given the end of a secret after an ellipsis or at the start of a message, when redacted, then the piece is hidden', () => {
    const redactor = createSecretRedactor([KEY])
    const piece = KEY.slice(5)
    expect(redactor.redact(`said "…${piece} is wrong"`)).toBe(`said "…${REDACTED} is wrong"`)
    expect(redactor.redact(`${piece} is wrong`)).toBe(`${REDACTED} is wrong`)
  })

  it('given a JSON-escaped secret cut before an ellipsis, when redacted, then the piece is hidden', () => {
    const secret = 'ab"cd\\ef/gh12'
    const escaped = JSON.stringify(secret).slice(1, -1)
    const redactor = createSecretRedactor([secret])
    expect(redactor.redact(`{"key":"${escaped.slice(0, 9)}…`)).toBe(`{"key":"${REDACTED}…`)
  })

  it('given pieces shorter than six characters, or a piece inside running text, when redacted, then the text is left as it is', () => {
    const redactor = createSecretRedactor([KEY])
    expect(redactor.redact(`ends with ${KEY.slice(0, 5)}`)).toBe(`ends with ${KEY.slice(0, 5)}`)
    expect(redactor.redact(`${KEY.slice(0, 8)} in the middle of text`)).toBe(
      `${KEY.slice(0, 8)} in the middle of text`,
    )
  })

  it('given a password that begins with an ordinary word, when a message uses that word in running text, then the word is kept', () => {
    const redactor = createSecretRedactor(['password2024!'])
    const text = 'the password grant was refused: check the password and the client id'
    expect(redactor.redact(text)).toBe(text)
  })

  it('given a short secret, when half of it is left at an edge, then that half is hidden', () => {
    const redactor = createSecretRedactor(['Zx81Qw7k'])
    expect(redactor.redact('answered "Zx81…"')).toBe(`answered "${REDACTED}…"`)
    expect(redactor.redact('answered "Zx8…"')).toBe('answered "Zx8…"')
  })

  it('given a thrown error whose message ends in a cut secret, when redacted, then message and stack hide the piece', () => {
    const redactor = createSecretRedactor([KEY])
    const error = redactor.redactError(new AuthError(`refused: "${KEY.slice(0, 12)}…"`))
    expect(error.message).toBe(`refused: "${REDACTED}…"`)
    expect(error.stack).not.toContain(KEY.slice(0, 12))
  })

  it('given a body quoting a secret across the cut, when excerpted, then the secret is redacted before the cut', () => {
    const redactor = createSecretRedactor([KEY])
    const body = `${'e'.repeat(50)}${KEY}\n  tail`
    const out = redactor.excerpt(body, 60)
    expect(out).toBe(`${'e'.repeat(50)}${REDACTED}…`)
    expect(redactor.excerpt('short  answer', 60)).toBe('short answer')
  })
})
