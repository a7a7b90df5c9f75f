/**
 * An Income Access program's API Reports, as far as public sources describe them.
 *
 * Reproduced from the evidence:
 * - The affiliate generates a report URL (Reports → API Reports → URL → "Member Report – Detailed", a period, one
 *   merchant, CSV → Generate URL) with the security key embedded in it; the one working integrator known keeps
 *   that URL and replaces only its dates. Sources: https://docs.casinoflux.app/docs/affiliate-platforms/income-access ,
 *   https://www.paysafeaffiliates.com/en/news/useful-tips-for-working-with-the-reports-section/ (whitelisted IP,
 *   12 predefined reports, "Generate" produces a URL).
 * - Formats offered: Excel, CSV, HTML, XML (http://blog.incomeaccess.com/11676/2012/05/01/…).
 * So this simulator serves generated URLs and honours rewritten dates; the path `/api/reports?key=…&report=…`
 * that an earlier plugin invented is not served (404).
 *
 * Assumed [INF], because nothing public shows them: the generated URL's path and parameter names (kept
 * configurable: `reportUrl`), the date layout in it (ISO, or day/month/year for every second account), the report's
 * columns (several plausible header variants, see HEADER_VARIANTS, none with a currency column by default), one
 * row per day, the refusal texts and their status (403), and one merchant and one currency per generated URL.
 */
import {
  CSV_TYPE,
  csvLine,
  csvText,
  defineSimulator,
  htmlAnswer,
  isDay,
  MAINTENANCE_PAGE,
  type Metric,
  type ReportRow,
  type SimulatorCaller,
  type SimulatorOptions,
  type SimulatorResponse,
  seededRandom,
  seededText,
  type TruthAccountSpec,
  textAnswer,
} from 'affgraph/sdk'
import { MAPPED_METRICS } from './map.ts'

/** Where a generated URL points and what its parameters are called [all assumed: the real ones are not public]. */
export interface ReportUrlLayout {
  path: string
  params: { key: string; report: string; merchant: string; from: string; to: string; format: string }
  /** The id of "Member Report – Detailed" among the program's 12 predefined reports. */
  reportId: string
}

export const DEFAULT_REPORT_URL: ReportUrlLayout = {
  path: '/affiliates/apireports/generated.aspx',
  params: {
    key: 'securitykey',
    report: 'reportid',
    merchant: 'merchantid',
    from: 'startdate',
    to: 'enddate',
    format: 'format',
  },
  reportId: '7',
}

/** How the generated URL writes its dates: `2026-01-31` or `31/01/2026`. */
export type UrlDateStyle = 'iso' | 'dmy'

/**
 * Plausible layouts of the "Member Report – Detailed" CSV [all assumed]. Each names the date column, the merchant
 * column (or none) and the metric columns it has; a metric a variant lacks is not in its report.
 */
export const HEADER_VARIANTS = {
  detailed: {
    date: 'Date',
    merchant: 'Merchant',
    columns: {
      impressions: 'Impressions',
      clicks: 'Clicks',
      signups: 'Signups',
      ftds: 'FTD',
      cpaCount: 'CPA Count',
      deposits: 'Deposits',
      netRevenue: 'Net Revenue',
      commission: 'Commission',
    },
  },
  spelled: {
    date: 'Day',
    merchant: 'Brand Name',
    columns: {
      impressions: 'Views',
      clicks: 'Hits',
      signups: 'Registrations',
      ftds: 'First Time Depositors',
      deposits: 'Total Deposits',
      netRevenue: 'Net Gaming Revenue',
      commission: 'Total Commission',
    },
  },
  snake: {
    date: 'activity_date',
    merchant: null,
    columns: {
      clicks: 'clicks',
      signups: 'sign_ups',
      ftds: 'new_depositors',
      deposits: 'deposit_amount',
      netRevenue: 'net_revenue',
      commission: 'earnings',
    },
  },
} as const satisfies Record<
  string,
  { date: string; merchant: string | null; columns: Partial<Record<Metric, string>> }
>
export type HeaderVariant = keyof typeof HEADER_VARIANTS
const VARIANT_NAMES = Object.keys(HEADER_VARIANTS) as HeaderVariant[]

export interface IncomeAccessSimulatorOptions extends SimulatorOptions {
  /** Path and parameter names of generated URLs (default DEFAULT_REPORT_URL). */
  reportUrl?: Partial<ReportUrlLayout>
  /** One CSV layout for every account; default the accounts take the variants in turn. */
  headerVariant?: HeaderVariant
  /** One date style for every generated URL; default ISO, day/month/year for every second account. */
  urlDates?: UrlDateStyle
  /** Add a `Currency` column, as some program might. Default false: nothing public shows one. */
  currencyColumn?: boolean
  /** HTTP status of refusals (unknown key, inactive key, IP not whitelisted); default 403 [assumed]. */
  refusalStatus?: number
}

/** Refusal bodies [assumed: the real texts are not public]. */
export const REFUSAL_BODIES = {
  unknownKey: 'Invalid security key.',
  inactiveKey: 'Security key is not active.',
  ipNotWhitelisted: (ip: string) => `Access denied: IP address ${ip} is not whitelisted.`,
} as const

/** A fake securitykey, stable for a seed and account key. */
export function simulatorKey(seed: string, key: string): string {
  return seededText(`${seed}|income-access-key|${key}`, 32)
}

/** The merchant id of an account's (one) merchant. */
export function merchantIdOf(seed: string, spec: TruthAccountSpec): string {
  return String(100 + Math.floor(seededRandom(`${seed}|income-access-merchant|${spec.key}`)() * 900))
}

export function formatUrlDay(day: string, style: UrlDateStyle): string {
  return style === 'iso' ? day : `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`
}

/** A date parameter in either style, as `YYYY-MM-DD`; undefined when it is neither. */
function urlDay(value: string | null): string | undefined {
  const dmy = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value ?? '')
  const day = dmy ? `${dmy[3]}-${dmy[2]}-${dmy[1]}` : (value ?? '')
  return isDay(day) ? day : undefined
}

/**
 * What "Generate URL" produces for a key and a merchant: the report, the merchant, a sample period and CSV. The
 * sample period's days are past the 12th so that day and month cannot be mistaken for each other.
 */
export function generatedUrl(
  baseUrl: string,
  key: string,
  merchant: string,
  options: { layout?: ReportUrlLayout; dates?: UrlDateStyle } = {},
): string {
  const { path, params: p, reportId } = options.layout ?? DEFAULT_REPORT_URL
  const day = (d: string) => encodeURIComponent(formatUrlDay(d, options.dates ?? 'iso'))
  return `${baseUrl}${path}?${p.key}=${key}&${p.report}=${reportId}&${p.merchant}=${merchant}&${p.from}=${day('2026-01-13')}&${p.to}=${day('2026-01-31')}&${p.format}=csv`
}

/** The report as CSV in one header variant: one line per day (and merchant). */
export function toCsv(
  rows: readonly ReportRow[],
  variant: HeaderVariant = 'detailed',
  currencyColumn = false,
): string {
  const layout = HEADER_VARIANTS[variant]
  const metrics = Object.entries(layout.columns) as [Metric, string][]
  const header = [
    layout.date,
    ...(layout.merchant ? [layout.merchant] : []),
    ...(currencyColumn ? ['Currency'] : []),
  ]
  header.push(...metrics.map(([, name]) => name))
  const lines = rows.map((row) =>
    csvLine([
      row.date,
      ...(layout.merchant ? [row.brand ?? ''] : []),
      ...(currencyColumn ? [row.currency ?? ''] : []),
      ...metrics.map(([metric]) => String(row[metric] ?? 0)),
    ]),
  )
  return csvText([csvLine(header), ...lines])
}

/** What a report in this variant lets a correct plugin deliver. */
function reported(variant: HeaderVariant) {
  const layout = HEADER_VARIANTS[variant]
  return {
    metrics: MAPPED_METRICS.filter((m) => m in layout.columns),
    breakdowns: layout.merchant ? (['brand'] as const) : ([] as const),
  }
}

interface Caller extends SimulatorCaller {
  index: number
}

export const simulator = defineSimulator<IncomeAccessSimulatorOptions, Caller>({
  platform: 'Income Access',
  reports: reported('detailed'),
  // A generated URL covers one merchant, and its report names no currency: one of each per account.
  account: (spec) => ({ ...spec, brands: spec.brands.slice(0, 1), currencies: spec.currencies.slice(0, 1) }),
  answers: {
    malformed: () => textAnswer(200, 'Report generation failed'),
  },
  setup(kit, options) {
    const layout: ReportUrlLayout = { ...DEFAULT_REPORT_URL, ...options.reportUrl }
    const p = layout.params
    const refusalStatus = options.refusalStatus ?? 403
    const refuse = (body: string) => textAnswer(refusalStatus, body)
    const byKey = new Map(kit.specs.map((spec, index) => [simulatorKey(kit.seed, spec.key), index]))
    const variantOf = (index: number): HeaderVariant =>
      options.headerVariant ?? VARIANT_NAMES[index % VARIANT_NAMES.length]!
    const datesOf = (index: number): UrlDateStyle => options.urlDates ?? (index % 2 === 1 ? 'dmy' : 'iso')
    const merchantOf = (spec: TruthAccountSpec) => merchantIdOf(kit.seed, spec)

    function report(request: { query: URLSearchParams }, caller: Caller): SimulatorResponse {
      const { query } = request
      if (query.get(p.report) !== layout.reportId) return textAnswer(400, 'Unknown report.')
      const format = query.get(p.format)?.toLowerCase()
      if (format === 'html') return htmlAnswer(200, MAINTENANCE_PAGE)
      if (format !== 'csv') return textAnswer(400, 'Unsupported format.')
      if (query.get(p.merchant) !== merchantOf(caller.spec)) return textAnswer(400, 'Unknown merchant.')
      const from = urlDay(query.get(p.from))
      const to = urlDay(query.get(p.to))
      if (!from || !to || from > to) return textAnswer(400, 'Invalid period.')
      const variant = variantOf(caller.index)
      const rows = kit.rows(caller.spec, { from, to }, reported(variant))
      return { status: 200, headers: CSV_TYPE, body: toCsv(rows, variant, options.currencyColumn) }
    }

    return {
      answers: {
        // The program checks the caller's IP (missing-permission) and whether the key is still active.
        missingPermission: () => refuse(REFUSAL_BODIES.ipNotWhitelisted('127.0.0.1')),
        expiredToken: () => refuse(REFUSAL_BODIES.inactiveKey),
      },
      routes: [
        {
          method: 'GET',
          path: layout.path,
          auth(request) {
            const index = byKey.get(request.query.get(p.key) ?? '')
            if (index === undefined) return refuse(REFUSAL_BODIES.unknownKey)
            return { spec: kit.specs[index]!, index }
          },
          handle: report,
        },
      ],
      // The first account also types the affiliate site's address; the others leave it to the URL.
      connection: (spec, index) => ({
        reportUrl: generatedUrl(kit.url, simulatorKey(kit.seed, spec.key), merchantOf(spec), {
          layout,
          dates: datesOf(index),
        }),
        currency: spec.currencies[0] ?? 'EUR',
        ...(index === 0 ? { baseUrl: kit.url } : {}),
      }),
      invalidConnection: () => ({
        reportUrl: generatedUrl(kit.url, simulatorKey(kit.seed, '\u0000unknown-account'), '100', { layout }),
        currency: 'EUR',
      }),
      truth: (spec, window) => kit.rows(spec, window, reported(variantOf(kit.specs.indexOf(spec)))),
    }
  },
})
