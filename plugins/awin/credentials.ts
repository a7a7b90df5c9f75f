import { baseUrlSchema, defineConnection, emptyToUndefined, field, timeZoneSchema, z } from 'affgraph/sdk'
import { DEFAULT_API_BASE_URL } from './wire.ts'

export function publisherIdSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64, 'is too long')
    .transform((input, ctx) => {
      const value = input.replace(/^#/, '')
      if (!/^\d{1,12}$/.test(value)) {
        ctx.addIssue({ code: 'custom', message: 'must be your numeric Awin publisher ID, e.g. 45628' })
        return z.NEVER
      }
      return String(Number(value))
    })
}

/** The token as Awin shows it; a copied `Bearer ` prefix or `accessToken=` query part is dropped. */
export function apiTokenSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const token = (
        /[?&]?accessToken=([^&\s]+)/i.exec(input)?.[1] ?? input.replace(/^Bearer\s+/i, '')
      ).trim()
      // The floor keeps the token long enough to be redacted from logs and errors by value.
      if (token.length < 16 || token.length > 512 || !/^[\x21-\x7e]+$/.test(token)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'does not look like an Awin API token (e.g. d910c415-…): expected 16–512 characters without spaces',
        })
        return z.NEVER
      }
      return token
    })
}

export const connection = defineConnection({
  publisherId: field.text(
    {
      label: 'Publisher ID',
      help:
        'Your Awin publisher account ID, a number such as 45628, shown with your account name in Awin. If it is ' +
        'wrong, the connection test names the publisher IDs your token can reach. A user with several publisher ' +
        'accounts connects each one separately, with the same token.',
      example: '45628',
    },
    publisherIdSchema(),
  ),
  apiToken: field.secret(
    {
      label: 'API token',
      help:
        'Log in to Awin and open ui.awin.com/awin-api ("API credentials"): create your OAuth2 API token there, or ' +
        'show it after entering your password, and copy it whole (it looks like d910c415-9306-444f-…). The token ' +
        'belongs to your user, reaches every account you can see, and is all the API needs: keep it secret. A new ' +
        'token replaces the old one: paste it here.',
      example: 'c3a1f7e2-5b9d-4e8a-b6f0-2d4c8e1a9b7f',
    },
    apiTokenSchema(),
  ),
  timeZone: field.text(
    {
      // A setting, not who the user is: a capture keeps it as it is.
      identifier: false,
      label: 'Reporting time zone',
      help:
        'The time zone your Awin reports count days in, e.g. Europe/London or Europe/Berlin; use the one your Awin ' +
        'reports show. Leave empty for UTC, which is what the API uses by default.',
      example: 'Europe/London',
      optional: true,
      default: 'UTC',
    },
    emptyToUndefined(timeZoneSchema()),
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
