import { currencySchema, defineConnection, field, pastedAddressSchema, pastedValueSchema } from 'affgraph/sdk'
import { AUTH_HEADER } from './wire.ts'

/**
 * The key exactly as the portal shows it. A copied header (`authorization: …`) or a `Bearer ` prefix is dropped:
 * the API takes the bare key in the `authorization` header. The floor keeps the key long enough to be redacted
 * from logs and errors by value.
 */
export function apiKeySchema() {
  return pastedValueSchema({
    parameter: AUTH_HEADER,
    clean: (value) => value.replace(/^Bearer\s+/i, ''),
    pattern: /^[\x21-\x7e]{16,512}$/,
    message:
      'does not look like a Smartico API key: expected 16–512 characters without spaces, copied whole from Account Settings',
  })
}

const PORTAL = "the program's affiliate portal (TheAffiliatePlatform by Smartico)"

export const connection = defineConnection({
  baseUrl: field.url(
    {
      label: 'API URL',
      help:
        `The address of the reporting API for this program. In ${PORTAL} open your profile → Account Settings: the ` +
        'API URL is shown next to your API key. The default is https://boapi.smartico.ai/, but operators run their own ' +
        'setups (e.g. https://boapi3.smartico.ai/); use the one your Account Settings show. You may paste a whole API ' +
        'call: affgraph keeps the address up to /api.',
      example: 'https://boapi.smartico.ai/',
    },
    // The API answers under /api/…; a pasted call keeps its host (and any prefix before /api).
    pastedAddressSchema({ cutAt: 'api', example: 'https://boapi.smartico.ai/' }),
  ),
  apiKey: field.secret(
    {
      label: 'API key',
      help:
        `In ${PORTAL} open your profile → Account Settings → API and create the API key ("Save & Create API key"), ` +
        'then copy it whole. It is sent as it is in the authorization header (no "Bearer"). Which figures the key can ' +
        'read depends on the permissions the operator granted your account; a key you create again replaces the old one.',
      example: '7c1e9a40-5b2d-11f0-9a3e-0a1b2c3d4e5f-204817',
    },
    apiKeySchema(),
  ),
  currency: field.text(
    {
      // A setting, not who the user is: a capture keeps it as it is.
      identifier: false,
      label: 'Report currency',
      help:
        `The currency the program reports your deposits and commission in, as shown next to amounts in ${PORTAL}'s ` +
        'reports, e.g. EUR. The reporting API does not name it, so affgraph labels every amount with this code.',
      example: 'EUR',
    },
    currencySchema(),
  ),
})
