import {
  baseUrlSchema,
  currencySchema,
  defineConnection,
  field,
  pastedParameter,
  pastedValueSchema,
  z,
} from 'affgraph/sdk'
import { apiHostOf, PARAMS } from './wire.ts'

/**
 * The network id, the first label of the network's TUNE address (`https://<network id>.hasoffers.com`). A pasted
 * login address, API address or API call is read for it.
 */
export function networkIdSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(2048, 'is too long')
    .transform((input, ctx) => {
      const host =
        /^[a-z][a-z0-9+.-]*:\/\//i.test(input) && URL.canParse(input) ? new URL(input).hostname : input
      const fromHost = /^([a-z0-9][a-z0-9-]{0,62})(?:\.api)?\.hasoffers\.com$/i.exec(host)?.[1]
      const fromQuery = new RegExp(`[?&]${PARAMS.networkId}=`, 'i').test(input)
        ? pastedParameter(input, PARAMS.networkId)
        : undefined
      const id = (fromQuery ?? fromHost ?? input).toLowerCase()
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be the network id: the first part of the network’s TUNE address, e.g. "examplenet" for https://examplenet.hasoffers.com',
        })
        return z.NEVER
      }
      return id
    })
}

/**
 * The affiliate API key; a pasted API call is read for its `api_key` parameter. The floor keeps the key long enough
 * to be redacted from logs and errors by value.
 */
export function apiKeySchema() {
  return pastedValueSchema({
    parameter: PARAMS.apiKey,
    pattern: /^[A-Za-z0-9]{16,128}$/,
    message: 'does not look like a TUNE affiliate API key: expected 16–128 letters and digits, copied whole',
  })
}

/** Optional; empty means the network's TUNE API host. */
export function apiBaseUrlSchema() {
  return z
    .string()
    .trim()
    .pipe(z.union([z.literal('').transform(() => undefined), baseUrlSchema()]))
}

/** Optional; empty means the answer must name the currency itself. */
export function optionalCurrencySchema() {
  return z
    .string()
    .trim()
    .pipe(z.union([z.literal('').transform(() => undefined), currencySchema()]))
}

const PORTAL = "the network's partner (affiliate) interface"

export const connection = defineConnection({
  networkId: field.text(
    {
      label: 'Network ID',
      help:
        'The first part of the network’s TUNE address, where you log in as a partner: for ' +
        'https://examplenet.hasoffers.com it is examplenet. You may paste that address; affgraph keeps the id.',
      example: 'examplenet',
    },
    networkIdSchema(),
  ),
  apiKey: field.secret(
    {
      label: 'API key',
      help:
        `Your affiliate API key for this network, from the API page of ${PORTAL}. The network decides whether ` +
        'partners get API keys (automatically, on request, or not at all): if you see no key, ask your partner ' +
        'manager to enable the Partner API for you. A key is a long string of letters and digits; you may paste a ' +
        'whole API call, affgraph keeps the api_key value.',
      example: '3f9a0c1e7b2d4c6a8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d',
    },
    apiKeySchema(),
  ),
  currency: field.text(
    {
      // A setting, not who the user is: a capture keeps it as it is.
      identifier: false,
      label: 'Network currency',
      help:
        'Leave empty unless affgraph asks for it: TUNE names each row’s currency. Fill in the currency the network ' +
        `pays you in (shown next to payouts in ${PORTAL}, usually USD) for networks whose answers name none.`,
      example: 'USD',
      optional: true,
    },
    optionalCurrencySchema(),
  ),
  apiBaseUrl: field.url(
    {
      label: 'API base URL',
      help: `Leave empty: affgraph uses ${apiHostOf('<network id>')}. Only for testing against a simulator or for routing through a proxy.`,
      example: 'https://examplenet.api.hasoffers.com',
      optional: true,
    },
    apiBaseUrlSchema(),
  ),
})
