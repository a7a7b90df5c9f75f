import { currencySchema, defineConnection, field, z } from '../../src/sdk/index.ts'
import { AUTH_HEADER } from './wire.ts'

const KEY_MIN = 16
const KEY_MAX = 512

/**
 * The operator's API root, `https://<api host>`. Users paste the host, the URL from Account Settings (with or
 * without a trailing slash) or a whole API call (`…/api/af2_media_report_af?…`): the query and the `/api/…` part
 * are dropped, and whatever precedes `/api` is kept, in case a setup serves the API below a prefix.
 */
export function apiUrlSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(2048, 'is too long')
    .transform((input, ctx) => {
      const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`
      if (!URL.canParse(withScheme)) {
        ctx.addIssue({ code: 'custom', message: 'must be a web address such as https://boapi.smartico.ai/' })
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
      const prefix = api >= 0 ? segments.slice(0, api) : segments
      return `${url.origin}${prefix.length ? `/${prefix.join('/')}` : ''}`
    })
}

/**
 * The key exactly as the portal shows it. A copied header (`authorization: …`) or a `Bearer ` prefix is dropped:
 * the API takes the bare key in the `authorization` header.
 */
export function apiKeySchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const key = input
        .replace(new RegExp(`^${AUTH_HEADER}\\s*:\\s*`, 'i'), '')
        .replace(/^Bearer\s+/i, '')
        .replace(/^["']|["']$/g, '')
        .trim()
      // The floor keeps the key long enough to be redacted from logs and errors by value.
      if (key.length < KEY_MIN || key.length > KEY_MAX || !/^[\x21-\x7e]+$/.test(key)) {
        ctx.addIssue({
          code: 'custom',
          message: `does not look like a Smartico API key: expected ${KEY_MIN}–${KEY_MAX} characters without spaces, copied whole from Account Settings`,
        })
        return z.NEVER
      }
      return key
    })
}

const PORTAL = "the program's affiliate portal (TheAffiliatePlatform by Smartico)"

export const connection = defineConnection({
  baseUrl: field.url(
    {
      label: 'API URL',
      help:
        `The address of the reporting API for this program. In ${PORTAL} open your profile → Account Settings: the ` +
        'API URL is shown next to your API key. The default is https://boapi.smartico.ai/, but operators run their own ' +
        'setups (e.g. https://boapi3.smartico.ai/); use the one your Account Settings show. You may paste a whole API ' +
        'call: affgraph keeps the address up to /api.',
      example: 'https://boapi.smartico.ai/',
    },
    apiUrlSchema(),
  ),
  apiKey: field.secret(
    {
      label: 'API key',
      help:
        `In ${PORTAL} open your profile → Account Settings → API and create the API key ("Save & Create API key"), ` +
        'then copy it whole. It is sent as it is in the authorization header (no "Bearer"). Which figures the key can ' +
        'read depends on the permissions the operator granted your account; a key you create again replaces the old one.',
      example: '7c1e9a40-5b2d-11f0-9a3e-0a1b2c3d4e5f-204817',
    },
    apiKeySchema(),
  ),
  currency: field.text(
    {
      label: 'Report currency',
      help:
        `The currency the program reports your deposits and commission in, as shown next to amounts in ${PORTAL}'s ` +
        'reports, e.g. EUR. The reporting API does not name it, so affgraph labels every amount with this code.',
      example: 'EUR',
    },
    currencySchema(),
  ),
})
