import { baseUrlSchema, currencySchema, defineConnection, field, z } from 'affgraph/sdk'

/**
 * The affiliate portal's root. Users often paste the address of the page they are on (`…/affiliates/index.php`,
 * `…/oauth/access_token`): a trailing `*.php` page and anything from `/oauth/` on are dropped.
 */
export function portalUrlSchema() {
  return baseUrlSchema().transform((value) => {
    const url = new URL(value)
    const path = url.pathname
      .replace(/\/oauth(?:\/.*)?$/i, '')
      .replace(/\/[^/]+\.php$/i, '')
      .replace(/\/+$/, '')
    return url.origin + path
  })
}

/** Client identifiers are opaque; we only insist on printable characters without spaces. */
export function clientIdSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(256, 'is too long')
    .regex(/^[\x21-\x7e]+$/, 'must be the Client identifier exactly as shown, without spaces')
}

/** Client secrets are long random strings; the length floor keeps redaction from logs reliable. */
export function clientSecretSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .min(8, 'is too short to be a Client secret: copy the whole value')
    .max(512, 'is too long')
    .regex(/^[\x21-\x7e]+$/, 'must be the Client secret exactly as shown, without spaces')
}

const WHERE =
  'In the affiliate portal of the program go to Account → Authorisation (OAuth2 Clients), type a client name ' +
  '(e.g. "affgraph") and press "Create new client".'

/** What the statistics are labelled in when the user leaves the currency empty; shown in the field's help. */
export const DEFAULT_CURRENCY = 'EUR'

const spec = defineConnection({
  baseUrl: field.url(
    {
      label: 'Affiliate portal URL',
      help:
        "The address of the program's MyAffiliates affiliate portal where you log in, e.g. https://affiliates.example-casino.com. " +
        'Every program on MyAffiliates runs its own portal; copy the address from your browser without any page after the domain.',
      example: 'https://affiliates.example-casino.com',
    },
    portalUrlSchema(),
  ),
  clientId: field.text(
    {
      label: 'Client identifier',
      help: `${WHERE} Copy the "Client identifier" shown for the new client (StatsDrone calls it "API ID").`,
      example: 'affgraph-7f3c91d2',
    },
    clientIdSchema(),
  ),
  clientSecret: field.secret(
    {
      label: 'Client secret',
      help: `${WHERE} Copy the "Client secret" shown for the new client (StatsDrone calls it "API Key").`,
      example: 'Zq8vR2kLm4Tn7Wc1Yp5Hs9Jd3Fb6Gx0A',
    },
    clientSecretSchema(),
  ),
  currency: field.text(
    {
      label: 'Report currency',
      help:
        "The currency the program reports your earnings in, as shown next to amounts on the affiliate portal's statistics " +
        `page (e.g. GBP or USD). MyAffiliates' statistics export does not name it, so affgraph labels every amount with ` +
        `this code. Leave empty for ${DEFAULT_CURRENCY}.`,
      example: DEFAULT_CURRENCY,
      optional: true,
      default: DEFAULT_CURRENCY,
      identifier: false,
    },
    currencySchema(),
  ),
})

/**
 * The currency defaults to EUR in the stored connection, where the user sees it. `overwrite` keeps the schema a
 * plain object schema (the host reads its shape) and is idempotent: a parsed connection parses to itself.
 */
export const connection = {
  ...spec,
  schema: spec.schema.overwrite((conn) => ({ ...conn, currency: conn.currency ?? DEFAULT_CURRENCY })),
}
