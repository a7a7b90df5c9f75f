import { baseUrlSchema, defineConnection, field, z } from 'affgraph/sdk'

/**
 * Affilka statistic tokens are long random strings. The charset is what a URL query can carry unescaped, so a
 * token copied out of an export link and one typed by hand validate alike; the minimum length keeps redaction
 * reliable (a short "token" would also match ordinary words in logs).
 */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]+$/
const TOKEN_MIN = 16
const TOKEN_MAX = 512

/**
 * The raw text after `token=` up to the next `&` or `#`, percent-decoded. Taken by hand rather than with
 * URLSearchParams, which needs a well-formed URL and would turn a `+` into a space and a confusing error.
 */
function tokenFromExportUrl(text: string): string | undefined {
  const match = /[?&#]token=([^&#\s]*)/.exec(text) ?? /^token=([^&#\s]*)/.exec(text)
  if (!match) return undefined
  try {
    return decodeURIComponent(match[1] ?? '')
  } catch {
    return match[1] ?? ''
  }
}

function looksLikeUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.includes('?') || /(^|&)token=/.test(text)
}

/**
 * Accepts the bare statistic token or the whole export link the dashboard opens (the token sits between
 * `token=` and `&page=`), and normalises both to the bare token.
 */
export function statisticTokenSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      let token = input
      if (looksLikeUrl(input)) {
        const extracted = tokenFromExportUrl(input)
        if (extracted === undefined) {
          ctx.addIssue({
            code: 'custom',
            message:
              'this link has no "token=" part: open Reports → Statistics → Export report → JSON and copy the address that opens',
          })
          return z.NEVER
        }
        token = extracted.trim()
      }
      if (token.length < TOKEN_MIN || token.length > TOKEN_MAX || !TOKEN_PATTERN.test(token)) {
        ctx.addIssue({
          code: 'custom',
          message: `does not look like a statistic token: expected ${TOKEN_MIN}–${TOKEN_MAX} letters, digits or "-_.~", copied from the export link between "token=" and "&page="`,
        })
        return z.NEVER
      }
      return token
    })
}

/**
 * The program's base URL. Users often paste the address of the page they are on; the partner UI lives under
 * `/partner/…` and the API under `/api/…` on the same origin, so anything from those segments on is dropped.
 */
export function dashboardUrlSchema() {
  return baseUrlSchema().transform((value) => {
    const url = new URL(value)
    return url.origin + url.pathname.replace(/\/(?:partner|api)(?:\/.*)?$/i, '').replace(/\/+$/, '')
  })
}

export const connection = defineConnection({
  baseUrl: field.url(
    {
      label: 'Partner dashboard URL',
      help:
        "The address of the affiliate program's partner dashboard where you log in, e.g. https://partners.example-casino.com. " +
        'Each program on SoftSwiss (Affilka) runs at its own address; copy it from your browser without any path after the domain.',
      example: 'https://partners.example-casino.com',
    },
    dashboardUrlSchema(),
  ),
  token: field.secret(
    {
      label: 'Statistic token',
      help:
        'In the partner dashboard open Reports → Statistics, click Export report and choose JSON. ' +
        'A link opens in a new tab: the token is the value between "token=" and "&page=". ' +
        'You can paste just the token or the whole link; affgraph keeps only the token.',
      example: 'fk3Hq9ZrT2wLx7VbN4pYc8MdJ6sAe1Gu',
    },
    statisticTokenSchema(),
  ),
})
