import { assumedFact, defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const ETL: EvidenceSource = {
  title: 'Vais96/Affilka-ETL, an ETL run against Affilka instances (config.py, affilka_api.py)',
  url: 'https://github.com/Vais96/Affilka-ETL/blob/639827ce02f5fa8b3234c1134c0c475d38c4ad33/affilka_api.py',
}
const STARZ: EvidenceSource = {
  title:
    'A client of an Affilka program with live debug routes (scrapers/starzpartners.js, server.js /starz-report)',
  url: 'https://github.com/HarshitTiwari111/affiliate-scraper-api/blob/d1e8d30ad3c8f93cc807fa857da32f0fbd76ce9f/scrapers/starzpartners.js',
}
const CLIENTS: EvidenceSource = {
  title:
    'code-index #62508810360 and #62563275935 (a client of portal.rainbetpartners.com, group_by[]=day); code-index #13283596740 and #13109056625 (a stats sync engine reading amount_cents)',
}
const CASINOFLUX: EvidenceSource = {
  title:
    'CasinoFlux, a working integrator: how to export the Affilka statistics as JSON and the columns it needs',
  url: 'https://docs.casinoflux.app/docs/affiliate-platforms/affilka',
}

export const evidence = defineEvidence([
  {
    id: 'report-endpoint',
    topic: 'endpoint',
    fact: 'The statistics report is GET {dashboard}/api/customer/v1/partner/report on each program’s own domain.',
    confidence: 'code-live',
    sources: [ETL, STARZ, CLIENTS],
  },
  {
    id: 'attributes-endpoint',
    topic: 'endpoint',
    fact: 'GET …/partner/report/attributes lists the columns the instance knows as {"available_columns": […]}.',
    confidence: 'code-live',
    sources: [ETL],
  },
  {
    id: 'raw-token',
    topic: 'auth',
    fact: 'The statistic token (from the JSON export link) goes raw in the Authorization header, with no scheme.',
    confidence: 'code-live',
    sources: [ETL, STARZ, CLIENTS, CASINOFLUX],
  },
  {
    id: 'query-parameters',
    topic: 'parameters',
    fact: 'from and to as YYYY-MM-DD, columns[] and group_by[] repeated (day, brand, campaign), async=false.',
    confidence: 'code-live',
    sources: [ETL, STARZ, CLIENTS],
  },
  {
    id: 'to-inclusive',
    topic: 'parameters',
    fact: 'Whether to is inclusive is not settled for /report (the traffic report’s is exclusive by one client’s reading): affgraph asks one day more and keeps the asked days.',
    confidence: 'inferred',
    sources: [STARZ],
  },
  assumedFact(
    'paging',
    'paging',
    'Paging by current_page and total_pages on /report; no client pages it, and a single page is read alike.',
  ),
  {
    id: 'cells',
    topic: 'fields',
    fact: 'rows.data is a list of rows, each a list of {name, value, type} cells keyed by column name; the day is the date cell (an ISO date-time).',
    confidence: 'code-live',
    sources: [ETL, CLIENTS],
  },
  {
    id: 'money-cents',
    topic: 'fields',
    fact: 'Money is {currency, amount_cents} with float-formatted cents ("41711.0"), one row per currency per group; some instances send {currency, amount} in units.',
    confidence: 'code-live',
    sources: [CLIENTS, ETL],
  },
  {
    id: 'column-names',
    topic: 'fields',
    fact: 'Columns visits_count, registrations_count, first_deposits_count, deposits_count, deposits_sum, ngr and partner_income; older instances say ftd_count and casino_ngr.',
    confidence: 'code-live',
    sources: [CASINOFLUX, ETL],
  },
  {
    id: 'campaign-id-cell',
    topic: 'fields',
    fact: 'Some instances name the campaign cell campaign_id instead of campaign; both are read.',
    confidence: 'code-live',
    sources: [ETL],
  },
  {
    id: 'statuses',
    topic: 'errors',
    fact: '401 or 403 for a bad token, 404 for a wrong path, 429 when limiting (one client honours Retry-After).',
    confidence: 'code-live',
    sources: [STARZ, CLIENTS],
  },
  assumedFact(
    'request-rates',
    'limits',
    'No limit is published (clients sleep 2–4 s after a 429): affgraph keeps to 5 requests a second per dashboard and 1 per account.',
  ),
  assumedFact(
    'utc-days',
    'identity',
    'The report’s days are taken to be UTC midnights; an instance may be configured otherwise.',
  ),
  assumedFact(
    'revisions',
    'revisions',
    'How long a program keeps revising past days is not public. Revenue share is taken to be final with the monthly ' +
      'statement: a day stays provisional until 15 days of the next month have passed. The host re-fetches only the last ' +
      '7 days by default; raise the account’s lookback to keep later revisions.',
  ),
])
