import { currencySchema, defineConnection, field, z } from 'affgraph/sdk'

/**
 * The network's API URL, `https://api-<network>.affise.com` for most networks. Users paste what they have: the host
 * alone, the API documentation page it leads to (`…/docs3.1/`) or a whole API call; only the origin is kept.
 */
export function apiUrlSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(2048, 'is too long')
    .transform((input, ctx) => {
      const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`
      const url = URL.canParse(withScheme) ? new URL(withScheme) : undefined
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname.includes('.')) {
        ctx.addIssue({
          code: 'custom',
          message: "must be the network's Affise API address, such as https://api-network.affise.com",
        })
        return z.NEVER
      }
      if (url.username || url.password) {
        ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' })
        return z.NEVER
      }
      return url.origin
    })
}

/** The key as the panel shows it (hex digits); a pasted `API-Key: …` header or parameter is reduced to the key. */
export function apiKeySchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const key = input
        .replace(/^api[-_ ]?key\s*[:=]\s*/i, '')
        .replace(/^["']|["']$/g, '')
        .trim()
      if (!/^[A-Za-z0-9]{16,128}$/.test(key)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'does not look like an Affise API key: copy the whole key (16 to 128 letters and digits, e.g. 1ca97dd8c1b19bf8ae554c063112a489) from the affiliate panel',
        })
        return z.NEVER
      }
      return key
    })
}

/** Optional IANA zone; empty means UTC. */
export function timeZoneSchema() {
  return z
    .string()
    .trim()
    .max(64, 'is too long')
    .transform((input, ctx) => {
      if (input === '') return undefined
      try {
        return new Intl.DateTimeFormat('en', { timeZone: input }).resolvedOptions().timeZone
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a time zone name such as Europe/Berlin or UTC' })
        return z.NEVER
      }
    })
}

const PANEL = "the network's Affise affiliate panel"

export const connection = defineConnection({
  baseUrl: field.url(
    {
      label: 'API URL',
      help:
        "The address of the network's Affise API, usually https://api-<network>.affise.com (the host that also " +
        'serves the API documentation, …/docs3.1/). It is not the address of the affiliate panel you log in to: ' +
        'ask your affiliate manager for the API URL if the panel does not show it. You may paste the documentation ' +
        'page or an API call; affgraph keeps the address.',
      example: 'https://api-example-network.affise.com',
    },
    apiUrlSchema(),
  ),
  apiKey: field.secret(
    {
      label: 'API key',
      help:
        `In ${PANEL}, open the menu under your name at the top right and choose Profile → Security (older panels: ` +
        'Profile → API-key) and copy your API key, a string of letters and digits. If no key is shown, generate ' +
        'one there or ask your affiliate manager to enable API access. A key you regenerate replaces the old one.',
      example: '1ca97dd8c1b19bf8ae554c063112a489',
    },
    apiKeySchema(),
  ),
  currency: field.text(
    {
      // A setting, not who the user is: a capture keeps it as it is.
      identifier: false,
      label: 'Payout currency',
      help:
        `The currency your payouts are shown in, in ${PANEL}'s statistics (e.g. USD). affgraph asks Affise for the ` +
        'statistics of this currency only; if the network pays you in several currencies, connect it once per currency.',
      example: 'USD',
    },
    currencySchema(),
  ),
  timeZone: field.text(
    {
      // A setting, not who the user is: a capture keeps it as it is.
      identifier: false,
      label: 'Time zone',
      help:
        `The time zone your statistics are counted in: the one set in ${PANEL} under Profile → Locale settings, ` +
        'e.g. Europe/Berlin. Leave empty for UTC. affgraph asks Affise for days in this zone.',
      example: 'Europe/Berlin',
      optional: true,
      default: 'UTC',
    },
    timeZoneSchema(),
  ),
})
