import { baseUrlSchema, defineConnection, field, z } from 'affgraph/sdk'
import {
  DEFAULT_API_VERSION,
  DEFAULT_INVOICE_REPORT_TYPE_CODE,
  DEFAULT_REPORT_TYPE_CODE,
  REPORT_PREFIX,
} from './wire.ts'

const ONBOARDING = 'NetRefer issues it when the program onboards you to ASR (Affiliate Standard Reporting)'
const ASK =
  'ask your NetRefer account manager (or the affiliate manager of the program) if you do not have it'

/** Printable ASCII without spaces: identifiers copied from an onboarding e-mail, where a stray space is a typo. */
function token(name: string, max = 256) {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(max, 'is too long')
    .regex(/^[\x21-\x7e]+$/, `must be the ${name} exactly as issued, without spaces`)
}

/** A value that ends up as one segment of the report path, so it must not be able to change the path. */
function pathSegment(name: string, example: string) {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64, 'is too long')
    .regex(
      /^[A-Za-z0-9._~-]+$/,
      `must be the ${name} as issued (letters, digits, "-", "_", "."), e.g. ${example}`,
    )
}

/** An optional setting: empty means the default, so a form that sends "" for an untouched field still works. */
function optional<S extends z.ZodType<unknown, string>>(schema: S) {
  return z
    .string()
    .trim()
    .pipe(z.union([z.literal('').transform(() => undefined), schema]))
}

/** A pasted report address (`https://host/dpm/v1/…`) is cut back to the part before `/dpm/`. */
export function apiBaseUrlSchema() {
  return baseUrlSchema().transform((value) => {
    const url = new URL(value)
    const at = url.pathname.toLowerCase().indexOf(`${REPORT_PREFIX}/`)
    const path = at >= 0 ? url.pathname.slice(0, at) : url.pathname.replace(/\/dpm$/i, '')
    return url.origin + path.replace(/\/+$/, '')
  })
}

/** "v1", "V1" and "1" all mean `/dpm/v1/`. */
export function apiVersionSchema() {
  return pathSegment('API version', DEFAULT_API_VERSION).transform((v) => v.replace(/^v/i, ''))
}

/**
 * Secrets are used exactly as typed: an Azure AD password may legitimately contain spaces. The floor of eight
 * characters is Azure AD's own minimum and keeps redaction from logs reliable.
 */
function secret(name: string) {
  return z
    .string()
    .min(1, 'is required')
    .min(8, `is too short to be the ${name} NetRefer issued: copy the whole value`)
    .max(512, 'is too long')
    .refine((v) => v.trim().length > 0, 'is required')
}

export const connection = defineConnection({
  baseUrl: field.url(
    {
      label: 'ASR API base URL',
      help:
        `The address of the ASR report API, the "{host}" of the report URL https://{host}/dpm/v1/…; ${ONBOARDING}. ` +
        `Paste only the address up to (not including) /dpm; a whole report address is cut back. ${ASK}.`,
      example: 'https://asr.example-casino-partners.com',
    },
    apiBaseUrlSchema(),
  ),
  tokenUrl: field.url(
    {
      label: 'Access token URL',
      help:
        `The "Access Token URL" from your ASR onboarding details, where the password grant is sent: NetRefer's ` +
        'Microsoft sign-in address, https://login.microsoftonline.com/<tenant id>/oauth2/v2.0/token. ' +
        `${ONBOARDING}; ${ASK}.`,
      example: 'https://login.microsoftonline.com/7d3f2a10-5b6c-4e8f-9a01-2b3c4d5e6f70/oauth2/v2.0/token',
    },
    baseUrlSchema(),
  ),
  clientId: field.text(
    {
      label: 'Client ID',
      help: `The "Client Id" from your ASR onboarding details, usually a GUID; ${ONBOARDING}.`,
      example: '3f6b9c2e-8a41-4d7e-b5f0-1c2d3e4f5a6b',
    },
    token('Client ID'),
  ),
  clientSecret: field.secret(
    {
      label: 'Client secret',
      help:
        `The "Client Secret" from your ASR onboarding details; ${ONBOARDING}. Client secrets expire: when NetRefer ` +
        'sends you a new one, paste it here.',
      example: 'Qv8~fake.ClientSecret_4mT2wLx7VbN9pYc3Md',
    },
    secret('Client secret'),
  ),
  username: field.text(
    {
      label: 'Username',
      help: `The ASR "Username" from your onboarding details (often an e-mail-like sign-in name); ${ONBOARDING}. It is not your affiliate portal login.`,
      example: 'asr.partner104233@example-netrefer-client.com',
    },
    token('Username'),
  ),
  password: field.secret(
    {
      label: 'Password',
      help: `The ASR "Password" issued with the username; ${ONBOARDING}. Type it exactly, spaces included.`,
      example: 'fake-Passw0rd-for-ASR',
    },
    secret('Password'),
  ),
  affiliateId: field.text(
    {
      label: 'Affiliate ID',
      help:
        'Your affiliate id at the program, the "{affiliate_id}" of the report URL: shown in the affiliate portal ' +
        `(account details) and in your ASR onboarding details. The ASR user must be allowed to report on it; ${ASK}.`,
      example: '104233',
    },
    pathSegment('affiliate id', '104233'),
  ),
  scope: field.text(
    {
      label: 'Scope',
      help:
        'Leave empty to use api://<Client ID>/Reports.Read, the scope shown in the ASR quick start. Fill it in only ' +
        `when your onboarding details give a different "Scope"; ${ONBOARDING}.`,
      example: 'api://3f6b9c2e-8a41-4d7e-b5f0-1c2d3e4f5a6b/Reports.Read',
      optional: true,
      identifier: false,
    },
    optional(token('Scope', 512)),
  ),
  reportTypeCode: field.text(
    {
      label: 'Report type code',
      help:
        `Leave empty to use ${DEFAULT_REPORT_TYPE_CODE}. The "{report_type_code}" of the Daily Activity Report URL, ` +
        `if your onboarding details name another one; ${ASK}.`,
      example: DEFAULT_REPORT_TYPE_CODE,
      optional: true,
      default: DEFAULT_REPORT_TYPE_CODE,
      identifier: false,
    },
    optional(pathSegment('report type code', DEFAULT_REPORT_TYPE_CODE)),
  ),
  invoiceReportTypeCode: field.text(
    {
      label: 'Invoice report type code',
      help:
        `Leave empty to use ${DEFAULT_INVOICE_REPORT_TYPE_CODE}, an assumption: NetRefer does not publish the ` +
        '"{report_type_code}" of the Period Invoice Report, which affgraph reads for your payments. Fill it in if ' +
        `your onboarding details name it; ${ASK}.`,
      example: DEFAULT_INVOICE_REPORT_TYPE_CODE,
      optional: true,
      default: DEFAULT_INVOICE_REPORT_TYPE_CODE,
      identifier: false,
    },
    optional(pathSegment('invoice report type code', DEFAULT_INVOICE_REPORT_TYPE_CODE)),
  ),
  apiVersion: field.text(
    {
      label: 'API version',
      help:
        `Leave empty to use ${DEFAULT_API_VERSION} (ASR Version 1.0, URL /dpm/v${DEFAULT_API_VERSION}/…). Change it only ` +
        'when NetRefer tells you to use a newer ASR version.',
      example: DEFAULT_API_VERSION,
      optional: true,
      default: DEFAULT_API_VERSION,
      identifier: false,
    },
    optional(apiVersionSchema()),
  ),
})
