import { assumedFact, defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const KB_PERFORMANCE: EvidenceSource = {
  title:
    'CAKE knowledge base: [Reports] PerformanceSummary (V2) - Affiliate, with a sample GET call and XML answer',
  url: 'https://getcake.freshdesk.com/support/solutions/articles/5000546487--reports-performancesummary-v2-affiliate',
}
const KB_AFFILIATE_SUMMARY: EvidenceSource = {
  title:
    'CAKE knowledge base: Reports AffiliateSummary API Version 2 (end date exclusive, one month a pull, every parameter sent)',
  url: 'https://getcake.freshdesk.com/support/solutions/articles/5000545939-reports-affiliatesummary-api-version-2',
}
const KB_SUBID_SUMMARY: EvidenceSource = {
  title:
    'CAKE knowledge base: Reports SubIDSummary API Version 1 (max 31 days; "Invalid API Key": the key does not exist or is expired)',
  url: 'https://getcake.freshdesk.com/support/solutions/articles/5000688590-reports-subidsummary-api-version-1',
}
const KB_REPORTING: EvidenceSource = {
  title: 'CAKE knowledge base: CAKE API — Reporting (conversion status approved, pending, rejected)',
  url: 'https://support.getcake.com/support/solutions/articles/13000118717-cake-api-reporting',
}
const PYTHON_CLIENT: EvidenceSource = {
  title:
    'code-index #6922921874: a complete affiliate API client library (AffiliateAPI: /affiliates/api/3/reports.asmx/DailySummary with api_key, affiliate_id, start_date, end_date, site_offer_id=0; GET or POSTed form)',
}
const SYNC_CLIENT: EvidenceSource = {
  title:
    'code-index #45545621999: a revenue sync reading DailySummary: success, days/day with date, clicks, conversions and revenue; end_date sent as the day after the last',
}
const OTHER_CLIENTS: EvidenceSource = {
  title:
    'code-index #19720165866, #30588220068, #2653843252: affiliate clients on /affiliates/api/…/reports.asmx (DailySummary with end_date + 1 day; CampaignSummary) on the networks’ own domains',
}

export const evidence = defineEvidence([
  {
    id: 'affiliate-api-path',
    topic: 'endpoint',
    fact: 'The affiliate API answers on the network’s own CAKE domain at /affiliates/api/<version>/reports.asmx/<Method> (GET; SOAP and POST also allowed).',
    confidence: 'vendor',
    sources: [KB_PERFORMANCE, PYTHON_CLIENT, OTHER_CLIENTS],
  },
  {
    id: 'daily-summary-method',
    topic: 'endpoint',
    fact: 'Days come from reports.asmx/DailySummary, version 3, with start_date, end_date and site_offer_id (0 for every offer).',
    confidence: 'code',
    sources: [PYTHON_CLIENT, SYNC_CLIENT, OTHER_CLIENTS],
  },
  {
    id: 'key-and-affiliate-id',
    topic: 'auth',
    fact: 'Every affiliate call carries api_key and affiliate_id as parameters.',
    confidence: 'vendor',
    sources: [KB_PERFORMANCE, PYTHON_CLIENT],
  },
  {
    id: 'every-parameter-sent',
    topic: 'parameters',
    fact: 'Every parameter a method takes must be sent, empty or not.',
    confidence: 'vendor',
    sources: [KB_AFFILIATE_SUMMARY, KB_SUBID_SUMMARY],
  },
  {
    id: 'end-date-exclusive',
    topic: 'parameters',
    fact: 'end_date is exclusive ("data on end date will not be included"; 00:00:00 assumed without a time): affgraph sends the day after the window’s last, as affiliate clients do.',
    confidence: 'vendor',
    sources: [KB_AFFILIATE_SUMMARY, KB_SUBID_SUMMARY, SYNC_CLIENT, OTHER_CLIENTS],
  },
  {
    id: 'date-formats',
    topic: 'parameters',
    fact: 'Dates are accepted as YYYY-mm-dd or dd-mm-YYYY (PerformanceSummary’s example uses MM/DD/YYYY).',
    confidence: 'vendor',
    sources: [KB_AFFILIATE_SUMMARY, KB_PERFORMANCE],
  },
  {
    id: 'xml-success',
    topic: 'fields',
    fact: 'Answers are XML <…_response> elements opening with <success>true</success> and <row_count>, amounts with four decimals (210.0000).',
    confidence: 'vendor',
    sources: [KB_PERFORMANCE, KB_SUBID_SUMMARY],
  },
  {
    id: 'daily-summary-days',
    topic: 'fields',
    fact: 'A DailySummary answer lists <days><day> with date, clicks, conversions and revenue (the affiliate’s earnings).',
    confidence: 'code',
    sources: [SYNC_CLIENT, PYTHON_CLIENT],
  },
  {
    id: 'currency-symbol',
    topic: 'fields',
    fact: 'PerformanceSummary names the currency only by its symbol (<currency_symbol>£</currency_symbol>); DailySummary names none.',
    confidence: 'vendor',
    sources: [KB_PERFORMANCE, SYNC_CLIENT],
  },
  {
    id: 'no-paging',
    topic: 'paging',
    fact: 'A DailySummary of at most a month comes whole in one answer; no client pages it.',
    confidence: 'inferred',
    sources: [PYTHON_CLIENT, SYNC_CLIENT],
  },
  {
    id: 'invalid-api-key',
    topic: 'errors',
    fact: '"Invalid API Key" means the key does not exist or has expired.',
    confidence: 'vendor',
    sources: [KB_SUBID_SUMMARY],
  },
  {
    id: 'refusal-shape',
    topic: 'errors',
    fact: 'Refusals come with HTTP 200 as <success>false</success> with a <message>; a missing parameter gets an HTTP 500 text, as ASP.NET web services answer.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'rate-limit-signal',
    topic: 'errors',
    fact: 'How CAKE signals a rate limit is not public; a 429 or words of a limit are read as one.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'one-month-a-pull',
    topic: 'limits',
    fact: 'At most one month a pull (31 days in the SubIDSummary reference).',
    confidence: 'vendor',
    sources: [KB_AFFILIATE_SUMMARY, KB_SUBID_SUMMARY],
  },
  {
    id: 'request-rates',
    topic: 'limits',
    fact: 'No request rate is published: affgraph keeps to 2 requests a second per network domain and 1 per account.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'currency-from-user',
    topic: 'identity',
    fact: 'The user states the currency the network pays in; the connection test compares it with PerformanceSummary’s symbol (£ is GBP, € EUR, $ any dollar).',
    confidence: 'inferred',
    sources: [KB_PERFORMANCE],
  },
  {
    id: 'network-days',
    topic: 'identity',
    fact: 'Days are the network’s; no zone is named in the answer and UTC is assumed.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'revisions',
    topic: 'revisions',
    fact: 'Conversions are approved, pending or rejected and payouts follow the approved ones, so a day’s revenue can change after it; how long is the network’s. Set the account’s lookbackDays to the network’s approval period (30 days is a safe start).',
    confidence: 'vendor',
    sources: [KB_REPORTING],
  },
  assumedFact(
    'approval-period',
    'revisions',
    'How long a network takes to approve or reject conversions is its own and not published: a day is taken as settled 30 days after it, as long as the default lookback; a network with a longer approval period settles later.',
  ),
])
