import { defineConnection, field, z } from '{{sdk}}'

/**
 * API keys are long random strings. The floor keeps them long enough to be redacted reliably from logs and errors
 * (a short value would also match ordinary words); the charset is what an HTTP header carries unescaped.
 */
export const API_KEY_PATTERN = /^[A-Za-z0-9_-]{24,128}$/

/** The key as the portal shows it. A `Bearer ` prefix copied from other APIs' docs is dropped, not refused. */
export function apiKeySchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((value) => value.replace(/^Bearer\s+/i, ''))
    .pipe(
      z.string().regex(API_KEY_PATTERN, 'must be the 24–128 character key shown under Settings → API access'),
    )
}

export const connection = defineConnection({
  baseUrl: field.url({
    label: 'Partner portal URL',
    help:
      "The address of the program's {{name}} partner portal where you log in, e.g. https://partners.example-brand.com. " +
      'Each program runs at its own address; copy it from your browser without any path after the domain.',
    example: 'https://partners.example-brand.com',
  }),
  apiKey: field.secret(
    {
      label: 'API key',
      help:
        'In the partner portal open Settings → API access and click "Create key" with the Reports permission. ' +
        'Copy the key shown once; if you create a new key later, the old one stops working and you must paste the new one here.',
      example: 'pk_3f9a0c1e7b2d4c6a8e0f1a2b3c4d5e6f',
    },
    apiKeySchema(),
  ),
})
