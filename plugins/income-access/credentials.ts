import { baseUrlSchema, currencySchema, defineConnection, field, z } from 'affgraph/sdk'
import { DateParamsError, findDateParams } from './wire.ts'

/** What a report is labelled in when the user leaves the currency empty; shown in the field's help. */
export const DEFAULT_CURRENCY = 'EUR'

const GENERATE_URL = 'Reports → API Reports → URL → Generate URL'

/**
 * The URL the program generated, kept whole: its host, path and parameter names are not public, so affgraph only
 * checks that it is a web address with a start and an end date it can recognise, and later replaces those dates.
 */
export function reportUrlSchema() {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .superRefine((input, ctx) => {
      const issue = (message: string) => ctx.addIssue({ code: 'custom', message })
      if (!/^https?:\/\//i.test(input)) {
        issue(
          `must be the whole URL made by ${GENERATE_URL} (starting with https://), not the key alone: the key is part of that URL`,
        )
        return
      }
      if (!URL.canParse(input)) return issue('is not a well-formed web address: copy the generated URL again')
      const url = new URL(input)
      if (url.username || url.password) return issue('must not contain a user name or password')
      if (!url.search) return issue(`has no query: copy the whole URL made by ${GENERATE_URL}`)
      try {
        findDateParams(input)
      } catch (error) {
        if (!(error instanceof DateParamsError)) throw error
        issue(error.message)
      }
    })
    .transform((input) => input.replace(/#.*$/, ''))
}

const spec = defineConnection({
  reportUrl: field.secret(
    {
      label: 'Report URL',
      help:
        "On the program's affiliate site open Reports → API Reports, add your affgraph server's public IP address to the " +
        'whitelist, switch Active on and press Update. In the URL tab choose the report "Member Report – Detailed", any ' +
        'past start and end dates, one merchant (brand) and the format CSV, press Generate URL and paste the whole URL ' +
        'here. The key is part of the URL, so affgraph keeps it secret; it replaces only the dates on each fetch. One URL ' +
        'covers one merchant: connect each brand as an account of its own. If you generate a new key, paste the new URL.',
      example:
        'https://affiliates.example-casino.com/…?…=0f3a9c1e7b2d4c6a8e0f1a2b&…=2026-01-01&…=2026-01-31&…=csv',
    },
    reportUrlSchema(),
  ),
  currency: field.text(
    {
      label: 'Report currency',
      help:
        `The currency the program reports your earnings in, as shown next to amounts in the program's own reports on its ` +
        `affiliate site (e.g. GBP or USD). The report does not name it, so affgraph labels every amount with this code. ` +
        `Leave empty for ${DEFAULT_CURRENCY}.`,
      example: DEFAULT_CURRENCY,
      optional: true,
      default: DEFAULT_CURRENCY,
      identifier: false,
    },
    currencySchema(),
  ),
  baseUrl: field.url(
    {
      label: 'Affiliate site URL',
      help:
        'Leave empty: affgraph takes it from the report URL. It is shown on the account so you can tell programs ' +
        "apart; if you fill it in, it must be the report URL's own address, e.g. https://affiliates.example-casino.com.",
      example: 'https://affiliates.example-casino.com',
      optional: true,
    },
    baseUrlSchema(),
  ),
})

const originOf = (url: string) => (URL.canParse(url) ? new URL(url).origin : undefined)

/**
 * The affiliate site is the report URL's own origin, filled in when left empty, and the currency defaults to
 * EUR in the stored connection, where the user sees it. `overwrite` keeps the schema a plain object schema (the
 * host reads its shape) and is idempotent: a parsed connection parses to itself.
 */
export const connection = {
  ...spec,
  schema: spec.schema
    .superRefine((conn, ctx) => {
      const origin = originOf(conn.reportUrl)
      if (conn.baseUrl !== undefined && origin !== undefined && originOf(conn.baseUrl) !== origin)
        ctx.addIssue({
          code: 'custom',
          path: ['baseUrl'],
          message: `must be the report URL's own address (${origin}), or be left empty`,
        })
    })
    .overwrite((conn) => ({
      ...conn,
      currency: conn.currency ?? DEFAULT_CURRENCY,
      baseUrl: conn.baseUrl ?? originOf(conn.reportUrl),
    })),
}
