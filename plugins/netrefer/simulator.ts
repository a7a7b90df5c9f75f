/**
 * NetRefer's Affiliate Statistics Reports (ASR v1.0) behind an Azure AD tenant.
 *
 * Reproduced from the evidence (the vendor's quick start, https://developer.netrefer.com/Affiliate-api/ASR):
 * - OAuth2 password grant against `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token` with
 *   `client_id`, `client_secret`, `username`, `password` and `scope=api://<client-id>/Reports.Read`, then
 *   `Authorization: Bearer <JWT>`;
 * - `GET https://{host}/dpm/v{version}/{report_type_code}/{affiliate_id}/{fromdate}/{todate}`, from and to within
 *   one month.
 *
 * Assumed [INF] — the whole response side, since nothing public shows it: the report type code (`DAR`), the version
 * spelling, the body (`rows` of the legacy portal's columns per day, brand and marketing source, money as JSON
 * numbers), the errors (ASP.NET problem details, empty 404s, Azure API Management's 429), Azure AD's error bodies
 * (modelled on its public AADSTS codes) and that an affiliate, rather than the operator, holds ASR credentials.
 *
 * The Period Invoice Report reproduces the plugin's assumption, not evidence: the vendor names the report and
 * nothing else, so its code (`PIR`), its month-per-call request and its body (`invoices`, one per brand and currency
 * of a closed month, amounts as JSON numbers, paid on the 15th of the next month) are all affgraph's guess.
 */
import {
  addDecimals,
  bearerToken,
  type DateWindow,
  defineSimulator,
  htmlAnswer,
  isDay,
  jsonAnswer,
  type MatchedRequest,
  type PlatformSimulator,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  type TruthRow,
} from 'affgraph/sdk'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import { createSimulatedDirectory, type SimulatedClient } from './simulator-directory.ts'
import {
  DEFAULT_API_VERSION,
  DEFAULT_INVOICE_REPORT_TYPE_CODE,
  DEFAULT_REPORT_TYPE_CODE,
  INVOICE_FIELDS,
  INVOICES_FIELD,
  REPORT_PREFIX,
  REPORTS_PERMISSION,
  ROW_FIELDS,
  ROWS_FIELD,
  reportPath,
  SAME_MONTH_RULE,
} from './wire.ts'

export interface NetReferSimulatorOptions extends SimulatorOptions {
  /** `expires_in` of issued tokens in seconds (default 3600); tokens really expire on the simulator's clock. */
  tokenLifetimeS?: number
  /** The report type code the API serves (default the plugin's); any other code answers 404. */
  reportTypeCode?: string
  /** The API version the API serves (default the plugin's); any other version answers 404. */
  apiVersion?: string
  /** The Period Invoice Report's code (default the plugin's assumed one). */
  invoiceReportTypeCode?: string
  /** Leaves this field out of every invoice, to see the plugin refuse a body it cannot read. */
  omitInvoiceField?: keyof typeof INVOICE_FIELDS
}

export interface NetReferSimulatorExtra {
  /** The simulated tenant's token endpoint, as a connection's Access token URL. */
  readonly tokenUrl: string
  /** Every access token issued so far, so tests can sweep logs and errors for them. */
  readonly issuedTokens: readonly string[]
}
export type NetReferSimulator = PlatformSimulator & NetReferSimulatorExtra

const PROBLEM = { 'content-type': 'application/problem+json; charset=utf-8' }
const OUTAGE_PAGE =
  '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1>' +
  '<p>The service is temporarily unavailable. Please try again later.</p></body></html>'
/** What a web front end shows when a request misses the API: a page, with 200. */
const LANDING_PAGE =
  '<!DOCTYPE html><html><head><title>NetRefer</title></head><body><h1>Welcome</h1>' +
  '<p>Please sign in to continue.</p></body></html>'

const REPORT_ROUTE = new RegExp(`^${REPORT_PREFIX}/v([^/]+)/([^/]+)/([^/]+)/([^/]+)/([^/]+)$`)

function problem(status: number, title: string, errors?: Record<string, string[]>): SimulatorResponse {
  return {
    status,
    headers: PROBLEM,
    body: { type: `https://httpstatuses.io/${status}`, title, status, ...(errors ? { errors } : {}) },
  }
}

function unauthorized(description?: string): SimulatorResponse {
  const challenge = description
    ? `Bearer error="invalid_token", error_description="${description}"`
    : 'Bearer'
  return { status: 401, headers: { 'www-authenticate': challenge }, body: '' }
}

/** The report's JSON: the legacy portal's columns per day, brand and marketing source, money as JSON numbers. */
export function toWireRows(rows: TruthRow[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const depositing = Math.min(r.depositCount!, r.ftds! + Math.floor((r.depositCount! - r.ftds!) / 2))
    const newDepositing = Math.floor(r.ftds! * 0.8)
    return {
      [ROW_FIELDS.date]: `${r.date}T00:00:00`,
      [ROW_FIELDS.brand]: r.brand,
      [ROW_FIELDS.marketingSource]: r.campaign,
      [ROW_FIELDS.currency]: r.currency,
      [ROW_FIELDS.views]: r.impressions,
      [ROW_FIELDS.uniqueViews]: Math.floor(r.impressions! * 0.82),
      [ROW_FIELDS.clicks]: r.clicks,
      [ROW_FIELDS.uniqueClicks]: Math.floor(r.clicks! * 0.9),
      [ROW_FIELDS.signups]: r.signups,
      [ROW_FIELDS.depositingCustomers]: depositing,
      [ROW_FIELDS.activeCustomers]: depositing + Math.floor(r.signups! / 4),
      [ROW_FIELDS.newDepositingCustomers]: newDepositing,
      [ROW_FIELDS.newActiveCustomers]: newDepositing + Math.floor(r.signups! / 5),
      [ROW_FIELDS.firstTimeDepositingCustomers]: r.ftds,
      [ROW_FIELDS.firstTimeActiveCustomers]: r.ftds! + Math.floor(r.signups! / 6),
      // An ASP.NET decimal is a JSON number; the truth's amounts have few enough digits to travel exactly.
      [ROW_FIELDS.deposits]: Number(r.deposits),
      [ROW_FIELDS.netRevenue]: Number(r.netRevenue),
      [ROW_FIELDS.commission]: Number(r.commission),
    }
  })
}

/** The day an invoice of `month` (YYYY-MM) is assumed to be paid: the 15th of the next month. */
export function invoicePaidOn(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number]
  return m === 12 ? `${year + 1}-01-15` : `${year}-${String(m + 1).padStart(2, '0')}-15`
}

/**
 * The assumed invoices of one closed month: one per brand and currency, the month's commission summed exactly,
 * paid on the 15th of the next month once that day has come.
 */
export function toWireInvoices(
  rows: TruthRow[],
  month: DateWindow,
  affiliateId: string,
  today: string,
): Record<string, unknown>[] {
  const groups = new Map<string, { brand: string | null; currency: string; amounts: string[] }>()
  for (const r of rows) {
    if (r.commission === null || r.currency === null) continue
    const key = `${r.brand ?? ''}\u0000${r.currency}`
    const group = groups.get(key) ?? { brand: r.brand, currency: r.currency, amounts: [] }
    group.amounts.push(r.commission)
    groups.set(key, group)
  }
  const paidOn = invoicePaidOn(month.from.slice(0, 7))
  return [...groups.values()]
    .sort((a, b) => `${a.brand}${a.currency}`.localeCompare(`${b.brand}${b.currency}`))
    .map((g, i) => ({
      [INVOICE_FIELDS.reference]: `INV-${affiliateId}-${month.from.slice(0, 7).replace('-', '')}-${i + 1}`,
      [INVOICE_FIELDS.periodFrom]: `${month.from}T00:00:00`,
      [INVOICE_FIELDS.periodTo]: `${month.to}T00:00:00`,
      [INVOICE_FIELDS.paidDate]: paidOn <= today ? `${paidOn}T00:00:00` : null,
      [INVOICE_FIELDS.amount]: Number(addDecimals(...g.amounts)),
      [INVOICE_FIELDS.currency]: g.currency,
      [INVOICE_FIELDS.brand]: g.brand,
      [INVOICE_FIELDS.status]: paidOn <= today ? 'Paid' : 'Pending',
    }))
}

interface Caller extends SimulatorCaller {
  client: SimulatedClient
  token: string
}

export const simulator = defineSimulator<NetReferSimulatorOptions, Caller, NetReferSimulatorExtra>({
  platform: 'NetRefer',
  reports: { metrics: MAPPED_METRICS, breakdowns: MAPPED_BREAKDOWNS },
  answers: {
    outage: () => htmlAnswer(503, OUTAGE_PAGE),
    // Azure API Management's throttling answer.
    rateLimit: (seconds) => ({
      status: 429,
      headers: { 'retry-after': String(Math.max(1, seconds)) },
      body: {
        statusCode: 429,
        message: `Rate limit is exceeded. Try again in ${Math.max(1, seconds)} seconds.`,
      },
    }),
    notFound: () => ({ status: 404, body: '' }),
    missingPermission: () => ({
      ...problem(403, `The user is not granted the ${REPORTS_PERMISSION} permission.`),
      headers: { ...PROBLEM, 'www-authenticate': 'Bearer error="insufficient_scope"' },
    }),
    malformed: () => htmlAnswer(200, LANDING_PAGE),
  },
  setup(kit, options) {
    const reportTypeCode = options.reportTypeCode ?? DEFAULT_REPORT_TYPE_CODE
    const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION
    const invoiceCode = options.invoiceReportTypeCode ?? DEFAULT_INVOICE_REPORT_TYPE_CODE
    const directory = createSimulatedDirectory(kit.seed, kit.specs, options.tokenLifetimeS ?? 3600, kit.now)
    const tokenUrl = () => kit.url + directory.tokenPath

    function report(request: MatchedRequest, caller: Caller): SimulatorResponse {
      const [, version, code, affiliateId, from = '', to = ''] = request.match!.map((p) =>
        decodeURIComponent(p),
      )
      // An unknown route is an empty 404, as ASP.NET routing answers.
      if (version !== apiVersion || (code !== reportTypeCode && code !== invoiceCode))
        return { status: 404, body: '' }
      const { client } = caller
      if (affiliateId !== client.affiliateId)
        return problem(403, `The user is not permitted to view reports of affiliate ${affiliateId}.`)
      if (!isDay(from))
        return problem(400, 'One or more validation errors occurred.', { fromdate: ['Invalid date.'] })
      if (!isDay(to))
        return problem(400, 'One or more validation errors occurred.', { todate: ['Invalid date.'] })
      if (from > to)
        return problem(400, 'One or more validation errors occurred.', {
          todate: ['The to date must not be before the from date.'],
        })
      if (from.slice(0, 7) !== to.slice(0, 7))
        return problem(400, 'One or more validation errors occurred.', { todate: [SAME_MONTH_RULE] })
      if (code === invoiceCode) return invoices(client, from)
      return jsonAnswer(200, {
        affiliateId: Number(client.affiliateId),
        reportTypeCode,
        fromDate: `${from}T00:00:00`,
        toDate: `${to}T00:00:00`,
        [ROWS_FIELD]: toWireRows(kit.groundTruth.rows(client.spec, { from, to })),
      })
    }

    /** Invoices of the month `from` falls in, once that month has ended; a month still running has none. */
    function invoices(client: SimulatedClient, from: string): SimulatorResponse {
      const first = `${from.slice(0, 8)}01`
      const [year, m] = first.split('-').map(Number) as [number, number]
      const month = { from: first, to: new Date(Date.UTC(year, m, 0)).toISOString().slice(0, 10) }
      const today = kit.now().toISOString().slice(0, 10)
      const list =
        month.to < today
          ? toWireInvoices(kit.groundTruth.rows(client.spec, month), month, client.affiliateId, today)
          : []
      const omitted = options.omitInvoiceField && INVOICE_FIELDS[options.omitInvoiceField]
      return jsonAnswer(200, {
        affiliateId: Number(client.affiliateId),
        reportTypeCode: invoiceCode,
        year,
        month: m,
        [INVOICES_FIELD]: omitted ? list.map(({ [omitted]: _dropped, ...rest }) => rest) : list,
      })
    }

    const connectionOf = (client: SimulatedClient, index: number): Record<string, string> => {
      const base: Record<string, string> = {
        baseUrl: kit.url,
        tokenUrl: tokenUrl(),
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        username: client.username,
        password: client.password,
        affiliateId: client.affiliateId,
      }
      if (reportTypeCode !== DEFAULT_REPORT_TYPE_CODE) base.reportTypeCode = reportTypeCode
      if (apiVersion !== DEFAULT_API_VERSION) base.apiVersion = apiVersion
      if (invoiceCode !== DEFAULT_INVOICE_REPORT_TYPE_CODE) base.invoiceReportTypeCode = invoiceCode
      if (index !== 1) return base
      // The second account pastes a whole report address and spells out the optional settings.
      const pasted = reportPath({
        apiVersion,
        reportTypeCode,
        affiliateId: client.affiliateId,
        from: '2026-01-01',
        to: '2026-01-31',
      })
      return {
        ...base,
        baseUrl: kit.url + pasted,
        scope: client.scope,
        reportTypeCode,
        apiVersion: `v${apiVersion}`,
      }
    }

    return {
      answers: {
        expiredToken: (_request, caller) => expired(caller),
      },
      routes: [
        {
          method: 'POST',
          path: /\/oauth2\/v2\.0\/token$/,
          handle: (request) => directory.token(request.path.replace(/\/+$/, ''), request.body),
        },
        { method: 'GET', path: /\/oauth2\/v2\.0\/token$/, handle: () => ({ status: 405, body: '' }) },
        {
          method: 'GET',
          path: REPORT_ROUTE,
          auth(request) {
            const bearer = bearerToken(request)
            if (!bearer) return unauthorized()
            const grant = directory.grant(bearer)
            if (!grant) return unauthorized('The signature is invalid')
            const caller = { spec: grant.subject.spec, client: grant.subject, token: bearer }
            return grant.expired ? expired(caller) : caller
          },
          handle: report,
        },
      ],
      connection: (_spec, index) => connectionOf(directory.clients[index]!, index),
      invalidConnection: () => {
        const first = directory.clients[0]
        if (!first) throw new Error('the NetRefer simulator has no account')
        return { ...connectionOf(first, 0), password: `${first.password}-not-it` }
      },
      extra: {
        get tokenUrl() {
          return tokenUrl()
        },
        get issuedTokens() {
          return directory.issued
        },
      },
    }

    function expired(caller: Caller): SimulatorResponse {
      const grant = directory.grant(caller.token)
      directory.revoke(caller.token)
      return unauthorized(
        `The token expired at '${new Date(grant?.expiresAt ?? kit.now().getTime()).toISOString()}'`,
      )
    }
  },
})
