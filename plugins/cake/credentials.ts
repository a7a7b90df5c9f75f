import { currencySchema, defineConnection, field, z } from '../../src/sdk/index.ts'
import { AFFILIATES_PATH } from './wire.ts'

/**
 * The network's CAKE domain, `https://<domain>`: the address of its affiliate portal. A pasted API call is cut
 * before `/affiliates`, a pasted page (`…/login.ashx`) loses its file name, and the query is dropped.
 */
export function domainSchema() {
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
          message: 'must be a web address such as https://affiliates.example-network.com',
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
      // A network may serve CAKE below a prefix: whatever precedes /affiliates is kept, and a page (login.ashx)
      // pasted in place of the portal's address is dropped.
      const cut = url.pathname.toLowerCase().indexOf(AFFILIATES_PATH)
      const path = cut >= 0 ? url.pathname.slice(0, cut) : url.pathname.replace(/\/[^/]*\.[^/]*$/, '')
      return `${url.origin}${path}`.replace(/\/+$/, '')
    })
}

/** The numeric affiliate id; a pasted API call is read for `affiliate_id`. */
export function affiliateIdSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(2048, 'is too long')
    .transform((input, ctx) => {
      const id = (
        /[?&]affiliate_id=(\d+)/i.exec(input)?.[1] ?? input.replace(/^affiliate[_\s]*id\s*[:=#]?\s*/i, '')
      ).trim()
      if (!/^\d{1,12}$/.test(id)) {
        ctx.addIssue({ code: 'custom', message: 'must be your numeric CAKE affiliate id, e.g. 2699' })
        return z.NEVER
      }
      return id
    })
}

/** The affiliate API key; a pasted API call is read for `api_key`. CAKE's own examples are 10–14 characters. */
export function apiKeySchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const key = (
        /[?&]api_key=([^&\s]+)/i.exec(input)?.[1] ?? input.replace(/^api_key\s*[:=]\s*/i, '')
      ).trim()
      // Eight characters is the floor below which a value cannot be redacted from logs by value.
      if (!/^[A-Za-z0-9]{8,50}$/.test(key)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'does not look like a CAKE API key: expected 8–50 letters and digits (e.g. s15Sl4xmfA), copied whole',
        })
        return z.NEVER
      }
      return key
    })
}

const PORTAL = "the network's CAKE affiliate portal"

export const connection = defineConnection({
  baseUrl: field.url(
    {
      label: 'Affiliate portal address',
      help:
        `The address of ${PORTAL}, where you log in, e.g. https://affiliates.example-network.com. Each network runs ` +
        'CAKE on its own domain; the affiliate API answers there under /affiliates/api/. You may paste any page of ' +
        'the portal or an API call: affgraph keeps the address before /affiliates.',
      example: 'https://affiliates.example-network.com',
    },
    domainSchema(),
  ),
  affiliateId: field.text(
    {
      label: 'Affiliate ID',
      help:
        `Your numeric affiliate id in this network, as shown in ${PORTAL} (your account details) and in API calls ` +
        'as affiliate_id. You may paste an API call; affgraph keeps the number.',
      example: '2699',
    },
    affiliateIdSchema(),
  ),
  apiKey: field.secret(
    {
      label: 'API key',
      help:
        `Your affiliate API key for this network. Look for the API section of ${PORTAL}; networks issue keys on ` +
        'request, so if you see none, ask your affiliate manager for an API key. It is a short string of letters ' +
        'and digits, e.g. s15Sl4xmfA; a key that expires or is replaced stops working.',
      example: 's15Sl4xmfA',
    },
    apiKeySchema(),
  ),
  currency: field.text(
    {
      label: 'Report currency',
      help:
        `The currency the network pays you in, as shown next to amounts in ${PORTAL}, e.g. USD. The daily report ` +
        'names none, so affgraph labels every amount with this code; the connection test compares it with the ' +
        'currency symbol CAKE shows.',
      example: 'USD',
    },
    currencySchema(),
  ),
})
