import { currencySchema, defineConnection, field, z } from 'affgraph/sdk'
import { API_PATH, HEADERS } from './wire.ts'

const API_KEY_MIN = 16
const API_KEY_MAX = 512

/**
 * The program's API root, `https://<host>/api`. Users paste whatever they have at hand: the bare domain, the API
 * URL with or without its trailing slash, a whole API call (`…/api/?command=mediareport&…`) or a tracking link
 * (`…/visit/?bta=…`). The query and any path that is not the API are dropped; an `/api` segment already present
 * is kept with whatever precedes it, in case a program serves the API below a prefix.
 */
export function apiRootSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(2048, 'is too long')
    .transform((input, ctx) => {
      const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`
      if (!URL.canParse(withScheme)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a web address such as https://track.example-brand.com/api/',
        })
        return z.NEVER
      }
      const url = new URL(withScheme)
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        ctx.addIssue({ code: 'custom', message: 'must be an http(s) address' })
        return z.NEVER
      }
      if (url.username || url.password) {
        ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' })
        return z.NEVER
      }
      const segments = url.pathname.split('/').filter((s) => s !== '')
      const api = segments.findIndex((s) => s.toLowerCase() === 'api')
      const path = api >= 0 ? `/${[...segments.slice(0, api), 'api'].join('/')}` : API_PATH
      return `${url.origin}${path}`
    })
}

/** A header pasted whole (`affiliateid: 36063`, `x-api-key: …`) is as common as the bare value. */
function stripHeaderName(value: string, names: readonly string[]): string {
  const pattern = new RegExp(`^(?:${names.join('|')})\\s*[:=]\\s*`, 'i')
  return value
    .replace(pattern, '')
    .replace(/^["']|["']$/g, '')
    .trim()
}

/** The numeric affiliate id; a pasted tracking link gives it as `bta=` [inferred from public links]. */
export function affiliateIdSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(2048, 'is too long')
    .transform((input, ctx) => {
      const bta = /[?&]bta=(\d+)/i.exec(input)?.[1]
      const value = bta ?? stripHeaderName(input, [HEADERS.affiliateId, 'affiliate\\s*id']).replace(/^#/, '')
      if (!/^\d{1,12}$/.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be your numeric Cellxpert affiliate id, e.g. 36063 (the number after bta= in your tracking links)',
        })
        return z.NEVER
      }
      return value
    })
}

/** The key's format is not documented; the vendor's sample is 92 hex digits. Only printable, no spaces. */
export function apiKeySchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const key = stripHeaderName(input, [HEADERS.apiKey])
      // The floor keeps the key long enough to be redacted from logs and errors by value.
      if (key.length < API_KEY_MIN || key.length > API_KEY_MAX || !/^[\x21-\x7e]+$/.test(key)) {
        ctx.addIssue({
          code: 'custom',
          message: `does not look like a Cellxpert API access key: expected ${API_KEY_MIN}–${API_KEY_MAX} characters without spaces, copied whole from the portal`,
        })
        return z.NEVER
      }
      return key
    })
}

const PORTAL = "the program's Cellxpert affiliate portal"

export const connection = defineConnection({
  baseUrl: field.url(
    {
      label: 'API URL',
      help:
        "The address of the program's Cellxpert API: its tracking domain followed by /api/, e.g. " +
        'https://track.example-brand.com/api/. It is usually the domain of your tracking links (…/visit/?bta=…); ' +
        'ask your affiliate manager for the API URL if unsure. You may paste the domain, a tracking link or a whole ' +
        'API call: affgraph keeps https://<domain>/api.',
      example: 'https://track.example-brand.com/api/',
    },
    apiRootSchema(),
  ),
  affiliateId: field.text(
    {
      label: 'Affiliate ID',
      help:
        `Your numeric affiliate id in this program, as shown in ${PORTAL} (your account details) and carried by ` +
        'your tracking links as bta=… (…/visit/?bta=36063 → 36063). You may paste a tracking link; affgraph keeps the number.',
      example: '36063',
    },
    affiliateIdSchema(),
  ),
  apiKey: field.secret(
    {
      label: 'API access key',
      help:
        `In ${PORTAL}, open the API settings and use "Generate Access Key", then copy the whole key. Cellxpert only ` +
        "answers API calls from whitelisted IP addresses: add your affgraph server's public IP address there (or ask " +
        'your affiliate manager to). A key you regenerate replaces the old one.',
      example:
        '3f9a0c1e7b2d4c6a8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b',
    },
    apiKeySchema(),
  ),
  currency: field.text(
    {
      label: 'Report currency',
      help:
        `The currency the program reports your deposits and commission in: the currency shown next to amounts in ${PORTAL}'s ` +
        "reports, e.g. USD. Cellxpert's media report does not name it, so affgraph labels every amount with this code.",
      example: 'USD',
      identifier: false,
    },
    currencySchema(),
  ),
})
