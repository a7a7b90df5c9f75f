import { baseUrlSchema, defineConnection, field, z } from 'affgraph/sdk'

export const DEFAULT_API_BASE_URL = 'https://api.clickbank.com'

/** Current keys (since 2023): `API-…`. Legacy: developer key + clerk key, `DEV-…:API-…`. Both are sent verbatim. */
const CURRENT_KEY = /^API-[A-Za-z0-9]{8,200}$/
const LEGACY_KEY = /^DEV-?[A-Za-z0-9]{8,200}:API-?[A-Za-z0-9]{8,200}$/

export function isApiKey(value: string): boolean {
  return CURRENT_KEY.test(value) || LEGACY_KEY.test(value)
}

/**
 * The API key exactly as ClickBank shows it. A `Bearer ` prefix some users copy from other APIs' docs is dropped:
 * ClickBank answers 401 to `Bearer …`, and the key itself never contains a space.
 */
export function apiKeySchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const key = input.replace(/^Bearer\s+/i, '').trim()
      if (!isApiKey(key)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'does not look like a ClickBank API key: expected "API-…" (Settings → API Management) or the legacy "DEV-…:API-…" form',
        })
        return z.NEVER
      }
      return key
    })
}

/** ClickBank account nicknames are short runs of letters and digits. */
export function nicknameSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64, 'is too long')
    .regex(/^[A-Za-z0-9]+$/, 'must be the account nickname: letters and digits only, e.g. "mynick1"')
}

/** Optional; an empty value means the public API host. */
export function apiBaseUrlSchema() {
  return z
    .string()
    .trim()
    .pipe(z.union([z.literal('').transform(() => undefined), baseUrlSchema()]))
}

export const connection = defineConnection({
  apiKey: field.secret(
    {
      label: 'API key',
      help:
        'In your ClickBank primary account open Settings → API Management → Create New API Key. Set its status to ' +
        'Active and enable the Analytics API permission for the account nickname you connect below. Paste the key ' +
        'as shown ("API-…"); a legacy "DEV-…:API-…" key pair also works. If you regenerate the key in ClickBank, ' +
        'the old one stops working and you must paste the new one here.',
      example: 'API-KX7Q2M9ZP4RT8WNC6VHB3YJD5LFG1SAE',
    },
    apiKeySchema(),
  ),
  nickname: field.text(
    {
      label: 'Account nickname',
      help:
        'The ClickBank account nickname whose affiliate statistics you want (shown at the top right of ClickBank ' +
        'and in Settings → API Management next to each permission). The API key must have the Analytics ' +
        'permission enabled for this nickname.',
      example: 'mynick1',
    },
    nicknameSchema(),
  ),
  apiBaseUrl: field.url(
    {
      label: 'API base URL',
      help:
        'Leave empty: affgraph uses https://api.clickbank.com. Only for testing against a simulator or for routing ' +
        'through a proxy.',
      example: DEFAULT_API_BASE_URL,
      optional: true,
      default: DEFAULT_API_BASE_URL,
    },
    apiBaseUrlSchema(),
  ),
})
