import { baseUrlSchema, defineConnection, field, z } from '../../src/sdk/index.ts'
import { KEY_PARAM_ALIASES, MERCHANT_PARAM_ALIASES } from './wire.ts'

/**
 * The security key's format is not documented. The charset is what a URL query carries unescaped (so a key typed
 * by hand and one copied out of a generated URL validate alike); the minimum length keeps redaction reliable.
 */
const KEY_PATTERN = /^[A-Za-z0-9._~-]+$/
const KEY_MIN = 12
const KEY_MAX = 256
const MERCHANT_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/

const GENERATE_URL_HINT = 'Reports → API Reports → URL → Generate URL'

export function looksLikeUrl(text: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.includes('?') || text.includes('&') || text.includes('=')
  )
}

/**
 * One query parameter of a pasted link, by any of `names` (case-insensitive), percent-decoded. Read by hand rather
 * than with URLSearchParams, which needs a well-formed URL and turns a `+` into a space.
 */
function queryParam(text: string, names: readonly string[]): string | undefined {
  const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text
  for (const part of query.split(/[&#]/)) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim().toLowerCase()
    if (!names.includes(name)) continue
    const raw = part.slice(eq + 1).trim()
    try {
      return decodeURIComponent(raw)
    } catch {
      return raw
    }
  }
  return undefined
}

export interface GeneratedUrlParts {
  key: string | undefined
  merchant: string | undefined
}

/** The security key and the merchant of a pasted "Generate URL" link (either may be missing). */
export function partsOfGeneratedUrl(text: string): GeneratedUrlParts {
  const merchant = queryParam(text, MERCHANT_PARAM_ALIASES)?.trim()
  return { key: queryParam(text, KEY_PARAM_ALIASES)?.trim(), merchant: merchant || undefined }
}

function keyProblem(key: string): string | undefined {
  if (key.length < KEY_MIN || key.length > KEY_MAX || !KEY_PATTERN.test(key)) {
    return `does not look like a security key: expected ${KEY_MIN}–${KEY_MAX} letters, digits or "-_.~" (the securitykey shown in Reports → API Reports, or the whole generated URL)`
  }
  return undefined
}

/**
 * The field accepts the bare security key or the whole generated URL. It only validates here; the connection
 * schema below replaces a pasted URL by its key (and fills the merchant from it), because the merchant is another
 * field and a field's own schema cannot set it.
 */
export function securityKeySchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .superRefine((input, ctx) => {
      if (!looksLikeUrl(input)) {
        const problem = keyProblem(input)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
        return
      }
      const { key, merchant } = partsOfGeneratedUrl(input)
      if (key === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `this link has no security key ("key=" part): copy the address from ${GENERATE_URL_HINT}, or paste the bare securitykey`,
        })
        return
      }
      const problem = keyProblem(key)
      if (problem) ctx.addIssue({ code: 'custom', message: `the link's key ${problem}` })
      if (merchant !== undefined && !MERCHANT_PATTERN.test(merchant))
        ctx.addIssue({ code: 'custom', message: "the link's merchant is not a merchant id" })
    })
}

export function merchantIdSchema() {
  return z
    .string()
    .trim()
    .max(64, 'is too long')
    .regex(
      /^[A-Za-z0-9._~-]*$/,
      'must be the merchant id as shown in the API Reports merchant list (letters, digits)',
    )
    .transform((v) => (v === '' ? undefined : v))
}

const spec = defineConnection({
  baseUrl: field.url(
    {
      label: 'Affiliate site URL',
      help:
        "The address of the program's affiliate site where you log in, e.g. https://affiliates.example-casino.com. " +
        'Each program on Income Access runs at its own address; copy it from your browser without any path after the domain.',
      example: 'https://affiliates.example-casino.com',
    },
    baseUrlSchema(),
  ),
  securityKey: field.secret(
    {
      label: 'Security key',
      help:
        "On the program's affiliate site open Reports → API Reports. First add your affgraph server's IP address to the " +
        'whitelist. Then press GENERATENEWKEY, tick Active and press SUBMIT: the securitykey shown is the credential. ' +
        'You may instead paste the whole link made by the URL tab\'s "Generate URL"; affgraph keeps only the key ' +
        '(and the merchant, if the link names one).',
      example: 'c3VwZXJzZWNyZXRrZXk4Mjc1',
    },
    securityKeySchema(),
  ),
  merchantId: field.text(
    {
      label: 'Merchant ID',
      help:
        'Only for programs with several merchants (brands): the merchant id chosen in Reports → API Reports → URL. ' +
        'Leave empty to report every merchant of the program; it is taken from a pasted Generate URL when that names one.',
      example: '12',
      optional: true,
      identifier: false,
    },
    merchantIdSchema(),
  ),
})

/**
 * A pasted generated URL becomes its key, and lends its merchant to an empty Merchant ID. `overwrite` keeps the
 * schema a plain object schema (the host reads its shape) and is idempotent: a parsed connection parses to itself.
 */
export const connection = {
  ...spec,
  schema: spec.schema.overwrite((conn) => {
    const raw = conn.securityKey
    if (typeof raw !== 'string' || !looksLikeUrl(raw)) return conn
    const { key, merchant } = partsOfGeneratedUrl(raw)
    if (key === undefined) return conn
    return { ...conn, securityKey: key, merchantId: conn.merchantId ?? merchant }
  }),
}
