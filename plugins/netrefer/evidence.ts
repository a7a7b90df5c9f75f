import { assumedFact, defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const QUICK_START: EvidenceSource = {
  title: 'NetRefer developer portal: ASR (Affiliate Standard Reporting) v1.0, "Limited Launch"',
  url: 'https://developer.netrefer.com/Affiliate-api/ASR',
}
const GOALS: EvidenceSource = {
  title: 'NetRefer: the goals of ASR ("HTTPS, JSON, Token-auth, and Webhooks")',
  url: 'https://netreferaffiliates.com/asr/the-goals/',
}
const PORTAL_EXPORT: EvidenceSource = {
  title:
    'code-index #48456576588: a client reading the NetRefer portal’s CSV export (Marketing Source Name, First Time Depositing Customers, Net Revenue, CPA Triggered)',
}
const PORTAL_TABLE: EvidenceSource = {
  title:
    'code-index #13283596740 (syncNetrefer): the legacy affiliate portal’s table (Views, Clicks, Signups, Depositing Customers, … Net Revenue)',
}

export const evidence = defineEvidence([
  {
    id: 'report-path',
    topic: 'endpoint',
    fact: 'Reports are GET https://{host}/dpm/v{version_number}/{report_type_code}/{affiliate_id}/{fromdate}/{todate}.',
    confidence: 'vendor',
    sources: [QUICK_START],
  },
  {
    id: 'password-grant',
    topic: 'auth',
    fact: 'An OAuth2 password grant at https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token with client_id, client_secret, username, password and scope api://<client-id>/Reports.Read, all issued at ASR onboarding; then Authorization: Bearer <JWT>.',
    confidence: 'vendor',
    sources: [QUICK_START],
  },
  {
    id: 'one-month',
    topic: 'parameters',
    fact: 'fromdate and todate as YYYY-MM-DD within one calendar month.',
    confidence: 'vendor',
    sources: [QUICK_START],
  },
  assumedFact(
    'report-code-and-version',
    'parameters',
    'The Daily Activity Report’s type code (DAR) and the version number (1) are not published; both can be set on the connection.',
  ),
  assumedFact('no-paging', 'paging', 'A report comes whole in one answer.'),
  {
    id: 'json-body',
    topic: 'fields',
    fact: 'The report is JSON; its body is not public: a list of rows (the body or a "rows"-like member) with a day, brand, marketing source, currency and figures is assumed, read by field name among several spellings.',
    confidence: 'assumed',
    sources: [GOALS],
  },
  {
    id: 'portal-names',
    topic: 'fields',
    fact: 'Figures are also read under the names NetRefer’s portal gives its report columns (Views, Signups, First Time Depositing Customers, Net Revenue, Marketing Source Name), amounts with a currency sign and thousands separators.',
    confidence: 'code',
    sources: [PORTAL_EXPORT, PORTAL_TABLE],
  },
  {
    id: 'token-errors',
    topic: 'errors',
    fact: 'The token endpoint answers as Azure AD does (invalid_client, invalid_grant …).',
    confidence: 'inferred',
    sources: [QUICK_START],
  },
  assumedFact(
    'report-errors',
    'errors',
    'Report errors (401 renew once, 403 with insufficient_scope or a foreign affiliate, 404, 400 for a window across months) and their bodies are assumed.',
  ),
  assumedFact(
    'request-rates',
    'limits',
    'No limit is published: affgraph keeps to 5 requests a second per host and 2 per account.',
  ),
  {
    id: 'who-gets-credentials',
    topic: 'identity',
    fact: 'ASR lets NetRefer’s clients (the operators) view an affiliate’s reports; whether an individual affiliate can obtain credentials is not public.',
    confidence: 'vendor',
    sources: [QUICK_START],
  },
  assumedFact('utc-days', 'identity', 'Days are taken to be UTC days; nothing public says.'),
  {
    id: 'period-invoice-report',
    topic: 'payments',
    fact: 'ASR v1.0 offers a Period Invoice Report, by year and month, beside the Daily Activity Report.',
    confidence: 'vendor',
    sources: [QUICK_START],
  },
  {
    id: 'invoice-report-month',
    topic: 'parameters',
    fact: 'The Period Invoice Report is asked for on the same URL pattern with fromdate and todate the first and last day of one month, one call per month: the vendor gives the pattern and a year+month period, not an invoice request.',
    confidence: 'inferred',
    sources: [QUICK_START],
  },
  assumedFact(
    'invoice-report-code',
    'parameters',
    'The Period Invoice Report’s type code is not published: PIR is assumed and can be set on the connection.',
  ),
  {
    id: 'invoice-body',
    topic: 'payments',
    fact: 'The Period Invoice Report’s body is not public: a JSON list of invoices (the body, an "invoices"-like member or its one array) with a number, period, paid date, amount, currency, brand and status is assumed, read by field name among several spellings; an invoice without amount or currency is refused.',
    confidence: 'assumed',
    sources: [QUICK_START],
  },
  assumedFact(
    'revisions',
    'revisions',
    'How long a program keeps revising past days is not public. Revenue share is taken to be final with the monthly ' +
      'statement: a day stays provisional until 15 days of the next month have passed. The host re-fetches only the last ' +
      '7 days by default; raise the account’s lookback to keep later revisions.',
  ),
])
