import { baseUrlSchema, defineConnection, emptyToUndefined, field, z } from 'affgraph/sdk'
import { DEFAULT_API_BASE_URL } from './wire.ts'

/** The Account SID is the user name of the API's Basic authentication and part of every path. */
export function accountSidSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(128, 'is too long')
    .regex(
      /^[A-Za-z0-9-]{8,64}$/,
      'must be the Account SID shown in impact.com (Settings → Technical → API): letters and digits',
    )
}

/**
 * The Auth Token as shown next to the Account SID. A pasted `SID:token` pair (the curl `--user` form) keeps the
 * token; a `Basic`/`Bearer` prefix is dropped.
 */
export function authTokenSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const value = input.replace(/^(?:Basic|Bearer)\s+/i, '').trim()
      const token = /^[A-Za-z0-9-]{8,64}:(\S+)$/.exec(value)?.[1] ?? value
      // The floor keeps the token long enough to be redacted from logs and errors by value.
      if (token.length < 16 || token.length > 512 || !/^[\x21-\x7e]+$/.test(token)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'does not look like an impact.com Auth Token: expected 16–512 characters without spaces, copied whole',
        })
        return z.NEVER
      }
      return token
    })
}

const WHERE = 'In impact.com (your partner account), open Settings → Technical → API'

export const connection = defineConnection({
  accountSid: field.text(
    {
      label: 'Account SID',
      help:
        `${WHERE}: the Account SID is the long code of letters and digits at the top of the page. It names your ` +
        'partner account in every API call, so connect each impact.com partner account separately.',
      example: 'IRk7Qm3Zp9XvT2bL6wN4yR8cF5dH1jS0aE',
    },
    accountSidSchema(),
  ),
  authToken: field.secret(
    {
      label: 'Auth Token',
      help:
        `${WHERE} and copy the Auth Token shown beside the Account SID (reveal it first). A token created as a ` +
        'scoped token must allow reading Actions and Company Information. If you regenerate the token, the old ' +
        'one stops working: paste the new one here.',
      example: 'Xb7Lq2Rm9Tz4Vw1Ny6Kp3Hs8Jd5Fg0Ce_Aa',
    },
    authTokenSchema(),
  ),
  apiBaseUrl: field.url(
    {
      label: 'API base URL',
      help: `Leave empty: affgraph uses ${DEFAULT_API_BASE_URL}. Only for testing against a simulator or a proxy.`,
      example: DEFAULT_API_BASE_URL,
      optional: true,
      default: DEFAULT_API_BASE_URL,
    },
    emptyToUndefined(baseUrlSchema()),
  ),
})
