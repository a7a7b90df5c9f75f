import { baseUrlSchema, defineConnection, field, z } from 'affgraph/sdk'
import { DEFAULT_API_BASE_URL } from './wire.ts'

/**
 * A personal access token exactly as CJ shows it once. A `Bearer ` prefix copied from CJ's own curl samples and
 * surrounding whitespace are dropped; the token itself has no spaces. Its length is not published: the floor keeps
 * it long enough to be redacted from logs by value.
 */
export function tokenSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const token = input
        .replace(/^authorization\s*:\s*/i, '')
        .replace(/^Bearer\s+/i, '')
        .trim()
      if (!/^[A-Za-z0-9._~+/=-]{16,4000}$/.test(token)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'does not look like a CJ personal access token: copy the whole token from developers.cj.com → Authentication → Personal Access Tokens (letters, digits and . _ - only, no spaces)',
        })
        return z.NEVER
      }
      return token
    })
}

/**
 * The publisher's company id (CID). Users copy it from the CJ header, where it stands in parentheses after their
 * name, or as "CID 1234567": the number is kept.
 */
export function companyIdSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64, 'is too long')
    .transform((input, ctx) => {
      const value = input.replace(/^(?:cid|company\s*id)\s*[:#]?\s*/i, '').replace(/^\((\d+)\)$/, '$1')
      if (!/^\d{4,12}$/.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be your CJ company id (CID): the number shown in parentheses next to your name at the top right of the CJ Account Manager, e.g. 1234567',
        })
        return z.NEVER
      }
      return value
    })
}

/** Optional; an empty value means CJ's own host. */
export function apiBaseUrlSchema() {
  return z
    .string()
    .trim()
    .pipe(z.union([z.literal('').transform(() => undefined), baseUrlSchema()]))
}

export const connection = defineConnection({
  personalAccessToken: field.secret(
    {
      label: 'Personal access token',
      help:
        'Sign in at developers.cj.com with your CJ login, open Authentication → Personal Access Tokens and ' +
        'register a new token (name it "affgraph"). Copy the token text shown; CJ shows it only once. The token ' +
        'acts as your CJ user: it reads the commissions of every company (CID) you are a member of. If you delete ' +
        'the token in CJ, affgraph can no longer read your commissions and you must paste a new one.',
      example: 'x4Kq9vN2pT7wZ1bC8mR5yH3jL6dF0sGaQeUoIiPzXcVbNm',
    },
    tokenSchema(),
  ),
  companyId: field.text(
    {
      label: 'Company ID (CID)',
      help:
        'Your publisher account number in CJ: sign in to your CJ account and read the ' +
        'number in parentheses next to your name at the top right, usually 7 digits. Not a PID (Account → ' +
        'Promotional Properties, one per website) and not an advertiser CID.',
      example: '1234567',
    },
    companyIdSchema(),
  ),
  apiBaseUrl: field.url(
    {
      label: 'API base URL',
      help: `Leave empty: affgraph uses ${DEFAULT_API_BASE_URL}. Only for testing against a simulator or routing through a proxy.`,
      example: DEFAULT_API_BASE_URL,
      optional: true,
      default: DEFAULT_API_BASE_URL,
    },
    apiBaseUrlSchema(),
  ),
})
