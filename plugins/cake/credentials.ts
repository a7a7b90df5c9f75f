import { currencySchema, defineConnection, field, pastedAddressSchema, pastedValueSchema } from 'affgraph/sdk'
import { AFFILIATES_PATH, PARAMS } from './wire.ts'

/** The numeric affiliate id; a pasted API call is read for `affiliate_id`. */
export function affiliateIdSchema() {
  return pastedValueSchema({
    parameter: PARAMS.affiliateId,
    pattern: /^\d{1,12}$/,
    message: 'must be your numeric CAKE affiliate id, e.g. 2699',
  })
}

/**
 * The affiliate API key; a pasted API call is read for `api_key`. CAKE's own examples are 10–14 characters; eight
 * is the floor below which a value cannot be redacted from logs by value.
 */
export function apiKeySchema() {
  return pastedValueSchema({
    parameter: PARAMS.apiKey,
    pattern: /^[A-Za-z0-9]{8,50}$/,
    message:
      'does not look like a CAKE API key: expected 8–50 letters and digits (e.g. s15Sl4xmfA), copied whole',
  })
}

const PORTAL = "the network's CAKE affiliate portal"

export const connection = defineConnection({
  baseUrl: field.url(
    {
      label: 'Affiliate portal address',
      help:
        `The address of ${PORTAL}, where you log in, e.g. https://affiliates.example-network.com. Each network runs ` +
        'CAKE on its own domain; the affiliate API answers there under /affiliates/api/. You may paste any page of ' +
        'the portal or an API call: affgraph keeps the address before /affiliates.',
      example: 'https://affiliates.example-network.com',
    },
    // The affiliate API answers under /affiliates/api/…; a pasted call keeps its host (and any prefix).
    pastedAddressSchema({
      cutAt: AFFILIATES_PATH.slice(1),
      example: 'https://affiliates.example-network.com',
    }),
  ),
  affiliateId: field.text(
    {
      label: 'Affiliate ID',
      help:
        `Your numeric affiliate id in this network, as shown in ${PORTAL} (your account details) and in API calls ` +
        'as affiliate_id. You may paste an API call; affgraph keeps the number.',
      example: '2699',
    },
    affiliateIdSchema(),
  ),
  apiKey: field.secret(
    {
      label: 'API key',
      help:
        `Your affiliate API key for this network. Look for the API section of ${PORTAL}; networks issue keys on ` +
        'request, so if you see none, ask your affiliate manager for an API key. It is a short string of letters ' +
        'and digits, e.g. s15Sl4xmfA; a key that expires or is replaced stops working.',
      example: 's15Sl4xmfA',
    },
    apiKeySchema(),
  ),
  currency: field.text(
    {
      // A setting, not who the user is: a capture keeps it as it is.
      identifier: false,
      label: 'Report currency',
      help:
        `The currency the network pays you in, as shown next to amounts in ${PORTAL}, e.g. USD. The daily report ` +
        'names none, so affgraph labels every amount with this code; the connection test compares it with the ' +
        'currency symbol CAKE shows.',
      example: 'USD',
    },
    currencySchema(),
  ),
})
