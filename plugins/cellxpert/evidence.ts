import { assumedFact, defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const COLLECTION: EvidenceSource = {
  title:
    'Cellxpert\'s Postman collection "Affiliate API Documentation- API Key version" (responses of 12 May 2024), copied in a public repository',
  url: 'https://github.com/elonreevemuskllc/pwebapp/blob/a1375434784e5ace17701575e844ee6451a71fad/cellxpert-affiliate-api-settings.json',
}
const GUIDE: EvidenceSource = {
  title:
    'An integration guide written against a live Cellxpert program (18 Oct 2025), with a live media report row',
  url: 'https://github.com/elonreevemuskllc/pwebapp/blob/a1375434784e5ace17701575e844ee6451a71fad/CELLXPERT.md',
}
const CLIENTS: EvidenceSource = {
  title:
    'Working clients: server/services/ftdCronService.ts in the same repository; code-index #62203955114 (Brand=1&Day=1&TrackingCode=1&Name=1); code-index #13283596740 (syncCellxpertAPI)',
}

export const evidence = defineEvidence([
  {
    id: 'media-report-endpoint',
    topic: 'endpoint',
    fact: 'The media report is GET https://<tracking domain>/api/?command=mediareport; the API accepts GET and POST.',
    confidence: 'vendor-copy',
    sources: [COLLECTION],
  },
  {
    id: 'key-headers',
    topic: 'auth',
    fact: 'Headers affiliateid: <affiliate id> and x-api-key: <access key>; the calling IP address must be whitelisted by the program.',
    confidence: 'vendor-copy',
    sources: [COLLECTION],
  },
  {
    id: 'window-and-breakdowns',
    topic: 'parameters',
    fact: 'fromdate and todate as YYYY-MM-DD; breakdown switches Day, Brand and TrackingCode set to 1 give one row per day, brand and tracking code.',
    confidence: 'vendor-copy',
    sources: [COLLECTION, CLIENTS],
  },
  {
    id: 'no-paging',
    topic: 'paging',
    fact: 'A media report comes whole in one answer; no sample or client pages it.',
    confidence: 'inferred',
    sources: [COLLECTION, CLIENTS],
  },
  {
    id: 'xml-rows',
    topic: 'fields',
    fact: 'XML <ResultSet><row> with Day (YYYY/MM/DD), Brand, Impressions, Visitors, Leads, Unique_Leads, a second Leads, FTD, QFTD, Deposits, PL and Commission, served as text/html.',
    confidence: 'vendor-copy',
    sources: [COLLECTION],
  },
  {
    id: 'tracking-code-and-registrations',
    topic: 'fields',
    fact: 'With TrackingCode=1 a row carries Tracking_Code, and Registrations stands where the sample repeats Leads; amounts have up to 4 decimals (18371.6054).',
    confidence: 'code-live',
    sources: [GUIDE, CLIENTS],
  },
  {
    id: 'text-errors',
    topic: 'errors',
    fact: 'Refusals are plain text with HTTP 200: "Bad Authentication Key" for credentials, "Bad Command" for a request the API does not accept.',
    confidence: 'vendor-copy',
    sources: [COLLECTION],
  },
  assumedFact(
    'ip-refusal',
    'errors',
    'A call from an IP address that is not whitelisted gets the same "Bad Authentication Key".',
  ),
  assumedFact(
    'rate-limit-signal',
    'errors',
    'How Cellxpert signals a rate limit is not public; a 429 is read as one.',
  ),
  {
    id: 'window-limit',
    topic: 'limits',
    fact: 'At most 31 days per call and no future dates, "otherwise it may result in a failed API request".',
    confidence: 'vendor-copy',
    sources: [COLLECTION, GUIDE],
  },
  assumedFact(
    'request-rates',
    'limits',
    'No request rate is published: affgraph keeps to 2 requests a second per program and 1 per account.',
  ),
  {
    id: 'currency-from-user',
    topic: 'identity',
    fact: 'The media report names no currency, so the user states the currency the program reports in.',
    confidence: 'vendor-copy',
    sources: [COLLECTION, GUIDE],
  },
  assumedFact('utc-days', 'identity', 'Days are taken to be UTC days; nothing public states the zone.'),
  assumedFact(
    'revisions',
    'revisions',
    'How long a program keeps revising past days is not public. Revenue share is taken to be final with the monthly ' +
      'statement: a day stays provisional until 15 days of the next month have passed. The host re-fetches only the last ' +
      '7 days by default; raise the account’s lookback to keep later revisions.',
  ),
])
