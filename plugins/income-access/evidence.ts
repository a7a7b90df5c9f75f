import { assumedFact, defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const CASINOFLUX: EvidenceSource = {
  title:
    'CasinoFlux, a working integrator: generate the URL (Member Report – Detailed, one merchant, CSV), paste it; the dates are replaced on each fetch',
  url: 'https://docs.casinoflux.app/docs/affiliate-platforms/income-access',
}
const PAYSAFE: EvidenceSource = {
  title: 'Paysafe Affiliates (a program on Income Access): useful tips for the Reports section, API Reports',
  url: 'https://www.paysafeaffiliates.com/en/news/useful-tips-for-working-with-the-reports-section/',
}
const FORMATS: EvidenceSource = {
  title: 'Income Access blog (2012): reports exported as Excel, CSV, HTML or XML',
  url: 'http://blog.incomeaccess.com/11676/2012/05/01/how-to-get-the-most-out-of-income-access-reporting-a-comprehensive-breakdown-part-3/',
}
const STATSDRONE: EvidenceSource = {
  title:
    'StatsDrone help on Income Access: the securitykey from Reports → API Reports (GENERATENEWKEY, Active, SUBMIT)',
}

export const evidence = defineEvidence([
  {
    id: 'generated-url',
    topic: 'endpoint',
    fact: 'The affiliate generates a report URL in Reports → API Reports → URL (a report, a period, one merchant, a format, then Generate URL); affgraph calls that URL as pasted.',
    confidence: 'code',
    sources: [CASINOFLUX, PAYSAFE],
  },
  assumedFact(
    'url-layout-unknown',
    'endpoint',
    'The generated URL’s host, path and parameter names are not public; affgraph never builds a URL of its own.',
  ),
  {
    id: 'key-in-url',
    topic: 'auth',
    fact: 'The key is embedded in the generated URL, which is therefore kept as a secret; the program must whitelist the caller’s IP address and have the API switched Active.',
    confidence: 'code',
    sources: [CASINOFLUX, PAYSAFE, STATSDRONE],
  },
  {
    id: 'dates-replaced',
    topic: 'parameters',
    fact: 'Only the dates of the generated URL change from one fetch to the next, as the working integrator does.',
    confidence: 'code',
    sources: [CASINOFLUX],
  },
  assumedFact(
    'date-parameters-discovered',
    'parameters',
    'Which query parameters hold the dates is not public: the two whose values are days are taken for the start and the end, written back in the same layout.',
  ),
  {
    id: 'member-report-csv',
    topic: 'parameters',
    fact: 'The URL must be generated for the "Member Report – Detailed" (one of 12 predefined reports), one merchant and the CSV format (reports are offered as Excel, CSV, HTML or XML).',
    confidence: 'code',
    sources: [CASINOFLUX, PAYSAFE, FORMATS],
  },
  assumedFact('no-paging', 'paging', 'A report comes whole in one answer.'),
  assumedFact(
    'csv-columns',
    'fields',
    'No header of the Member Report – Detailed is public: columns are found by name among common spellings, a metric without a column stays empty, and a report without any is refused naming what it has.',
  ),
  assumedFact(
    'date-column',
    'fields',
    'Whether the report has a date column is not public: without one, each day is asked on its own.',
  ),
  assumedFact(
    'refusals',
    'errors',
    'Refusal answers are not public: texts naming the IP whitelist, an inactive key or an unknown key are told apart; any other 401 or 403 names the report URL.',
  ),
  assumedFact(
    'request-rates',
    'limits',
    'No limit is published: affgraph keeps to 2 requests a second per program and 1 per account, and windows of at most 31 days.',
  ),
  assumedFact(
    'currency-from-user',
    'identity',
    'Nothing public shows a currency column, so the user states the currency the program reports in (EUR when left empty); a Currency column, if a report has one, wins.',
  ),
  {
    id: 'one-merchant',
    topic: 'identity',
    fact: 'One generated URL covers one merchant (brand): each brand is connected as an account of its own.',
    confidence: 'code',
    sources: [CASINOFLUX],
  },
  assumedFact('utc-days', 'identity', 'Days are taken to be UTC days; nothing public says.'),
  assumedFact(
    'revisions',
    'revisions',
    'How long a program keeps revising past days is not public. Revenue share is taken to be final with the monthly ' +
      'statement: a day stays provisional until 15 days of the next month have passed. The host re-fetches only the last ' +
      '7 days by default; raise the account’s lookback to keep later revisions.',
  ),
])
