import {
  baseUrlSchema,
  currencySchema,
  defineConnection,
  emptyToUndefined,
  field,
  isTimeZone,
  z,
} from 'affgraph/sdk'
import { DEFAULT_CURRENCY } from './report.ts'
import { DEFAULT_API_BASE_URL, EU_API_BASE_URL } from './wire.ts'

const KEY_MIN = 16
const KEY_MAX = 512

/** A whole header pasted from a curl example (`X-Eflow-API-Key: …`) is as common as the bare key. */
export function apiKeySchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const key = input
        .replace(/^x-eflow-api-key\s*[:=]\s*/i, '')
        .replace(/^["']|["']$/g, '')
        .trim()
      // The floor keeps the key long enough to be redacted from logs and errors by value.
      if (key.length < KEY_MIN || key.length > KEY_MAX || !/^[\x21-\x7e]+$/.test(key)) {
        ctx.addIssue({
          code: 'custom',
          message: `does not look like an Everflow API key: expected ${KEY_MIN}–${KEY_MAX} characters without spaces, copied whole`,
        })
        return z.NEVER
      }
      return key
    })
}

/**
 * Everflow's reporting time zone, as the user knows it: an IANA name (America/New_York) or Everflow's own numeric
 * `timezone_id` (80). Empty means UTC. Either is resolved against Everflow's time zone list when the plugin runs.
 */
export function timezoneSchema() {
  return z
    .string()
    .trim()
    .max(64, 'is too long')
    .transform((input, ctx) => {
      if (input === '') return undefined
      if (/^\d{1,3}$/.test(input)) return String(Number(input))
      if (!isTimeZone(input)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be a time zone name such as America/New_York or UTC, or an Everflow timezone_id such as 80',
        })
        return z.NEVER
      }
      return input
    })
}

export const connection = defineConnection({
  apiKey: field.secret(
    {
      label: 'Affiliate API key',
      help:
        'In the partner (affiliate) portal of the network that runs on Everflow, open My Account → API and copy ' +
        'the API key. If there is none, ask your affiliate manager: the network creates affiliate keys under ' +
        'Manage Affiliate → API, and a key is shown only once. It must be an Affiliate API key — a network or ' +
        'advertiser key is refused as "Out of realm". A key that is revoked stops working: paste the new one here.',
      example: 'Kq3vT8xZp2LmN7wR4yB6cD',
    },
    apiKeySchema(),
  ),
  timezone: field.text(
    {
      // A setting, not who the user is: a capture keeps it as it is.
      identifier: false,
      label: 'Reporting time zone',
      help:
        'The time zone your Everflow reports count days in: a name such as America/New_York, or the numeric ' +
        'timezone_id Everflow uses (67 is UTC, 80 is America/New_York). Use the time zone shown in the partner ' +
        "portal's reports so the days match. Leave empty for UTC.",
      example: 'America/New_York',
      optional: true,
    },
    timezoneSchema(),
  ),
  currency: field.text(
    {
      // A setting, not who the user is: a capture keeps it as it is.
      identifier: false,
      label: 'Report currency',
      help:
        'The currency Everflow should report your payouts in (its currency_id), e.g. USD or EUR: Everflow converts ' +
        'every amount into it. Use the currency of your payouts in the partner portal. Leave empty for USD.',
      example: 'USD',
      optional: true,
      default: DEFAULT_CURRENCY,
    },
    emptyToUndefined(currencySchema()),
  ),
  apiBaseUrl: field.url(
    {
      label: 'API base URL',
      help:
        `Leave empty: affgraph uses ${DEFAULT_API_BASE_URL}. Only for accounts hosted on Everflow's EU servers ` +
        `(enter ${EU_API_BASE_URL}; your affiliate manager can tell), or for testing against a simulator.`,
      example: DEFAULT_API_BASE_URL,
      optional: true,
      default: DEFAULT_API_BASE_URL,
    },
    emptyToUndefined(baseUrlSchema()),
  ),
})
