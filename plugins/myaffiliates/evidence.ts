import { assumedFact, defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const VENDOR_SCRIPT: EvidenceSource = {
  title:
    'MyAffiliates\' example script ("Request the Detailed Activity Report with your Access Token"), copied into a README for a program\'s portal',
  url: 'https://github.com/wilburforce83/binaryrev-stat/blob/eeb376235d319044558699742519b5fe991d196e/readme.md',
}
const LIVE_CLIENT: EvidenceSource = {
  title:
    'A client built "per official OAuth How-to docs" and debugged against a live portal (scrapers/elitecasino-oauth.js, server.js /elite-raw)',
  url: 'https://github.com/HarshitTiwari111/affiliate-scraper-api/blob/d1e8d30ad3c8f93cc807fa857da32f0fbd76ce9f/scrapers/elitecasino-oauth.js',
}
const LIVE_LAYOUT: EvidenceSource = {
  title:
    'The same client at e92adbc, describing the live export: the header repeated per channel block, Total lines',
  url: 'https://github.com/HarshitTiwari111/affiliate-scraper-api/blob/e92adbc0d06bfb399e0a639a6b8e31c2ee84c06f/scrapers/elitecasino-oauth.js',
}
const TITLED_LAYOUT: EvidenceSource = {
  title: 'The same client at b77685d: a title line per channel ("Wild Casino pay period : 01/07/2026")',
  url: 'https://github.com/HarshitTiwari111/affiliate-scraper-api/blob/b77685d673b8fcb4a742ba0334ddb9db57393464/scrapers/elitecasino-oauth.js',
}
const INTEGRATORS: EvidenceSource = {
  title: 'Routy: connecting via API – MyAffiliates (OAuth2 client under Account → Authorisation)',
  url: 'https://routy.app/docs/connecting-via-api---myaffiliates',
}
const ENGINE: EvidenceSource = { title: 'code-index #13283596740: a stats sync engine (syncMyAffiliates)' }

export const evidence = defineEvidence([
  {
    id: 'token-endpoint',
    topic: 'endpoint',
    fact: 'An access token comes from POST {portal}/oauth/access_token, a form with grant_type=client_credentials, client_id, client_secret and scope=r_user_stats.',
    confidence: 'vendor-copy',
    sources: [VENDOR_SCRIPT, LIVE_CLIENT, ENGINE],
  },
  {
    id: 'statistics-endpoint',
    topic: 'endpoint',
    fact: 'Statistics come from GET {portal}/statistics.php with Authorization: Bearer <token>, as CSV.',
    confidence: 'vendor-copy',
    sources: [VENDOR_SCRIPT, LIVE_CLIENT],
  },
  {
    id: 'oauth-client',
    topic: 'auth',
    fact: 'The affiliate creates an OAuth2 client in the portal (Account → Authorisation) and gets a Client identifier and a Client secret.',
    confidence: 'code',
    sources: [INTEGRATORS],
  },
  {
    id: 'token-answer',
    topic: 'auth',
    fact: 'The token answer is JSON with access_token and expires_in; the vendor’s script reuses a token for less than an hour.',
    confidence: 'vendor-copy',
    sources: [VENDOR_SCRIPT, LIVE_CLIENT],
  },
  {
    id: 'statistics-parameters',
    topic: 'parameters',
    fact: 'Query d1 and d2 (YYYY-MM-DD), sd=1, mode=csv, sbm=1, dnl=1, in the order of the vendor’s example; sd=1 asks for one line per day.',
    confidence: 'vendor-copy',
    sources: [VENDOR_SCRIPT, LIVE_CLIENT],
  },
  {
    id: 'without-sd',
    topic: 'parameters',
    fact: 'Without sd the export has one line per pay period (month), which affgraph refuses as not daily.',
    confidence: 'code',
    sources: [ENGINE, LIVE_CLIENT],
  },
  {
    id: 'no-paging',
    topic: 'paging',
    fact: 'The export comes whole in one answer; no client pages it.',
    confidence: 'inferred',
    sources: [VENDOR_SCRIPT],
  },
  {
    id: 'repeated-headers',
    topic: 'fields',
    fact: 'The CSV header (Date, Channel, Pay period, Impressions, Clicks, Signups, FTD, FTD Amount, …, Income) is repeated before each channel block, with Total lines between blocks.',
    confidence: 'code-live',
    sources: [LIVE_LAYOUT],
  },
  {
    id: 'title-lines',
    topic: 'fields',
    fact: 'Some exports put a title line before each block ("<channel> pay period : 01/07/2026") and leave Channel out of the header; the title then names the channel.',
    confidence: 'code-live',
    sources: [TITLED_LAYOUT],
  },
  {
    id: 'column-meaning',
    topic: 'fields',
    fact: 'Income is the affiliate’s commission; the columns between FTD Amount and Income are not public, so deposits and net revenue are read only under the names affgraph guesses.',
    confidence: 'inferred',
    sources: [LIVE_LAYOUT],
  },
  {
    id: 'html-means-refused',
    topic: 'errors',
    fact: 'A web page instead of the CSV means the token was refused or lacks the statistics scope; affgraph renews the token once.',
    confidence: 'code-live',
    sources: [LIVE_CLIENT, ENGINE],
  },
  {
    id: 'oauth-errors',
    topic: 'errors',
    fact: 'The token endpoint answers errors as RFC 6749 does (invalid_client, invalid_scope …).',
    confidence: 'inferred',
    sources: [
      {
        title: 'RFC 6749 §5.2, error response',
        url: 'https://datatracker.ietf.org/doc/html/rfc6749#section-5.2',
      },
    ],
  },
  assumedFact(
    'request-rates',
    'limits',
    'No limit is published: affgraph keeps to 2 requests a second per portal and 1 per account, and windows of at most 31 days.',
  ),
  {
    id: 'currency-from-user',
    topic: 'identity',
    fact: 'The export names no currency, so the user states the currency the program reports in (EUR when left empty).',
    confidence: 'code-live',
    sources: [LIVE_LAYOUT],
  },
  assumedFact(
    'utc-days',
    'identity',
    'Days are taken as the export labels them, as UTC days; nothing public says.',
  ),
  assumedFact(
    'revisions',
    'revisions',
    'How long a program keeps revising past days is not public. Revenue share is taken to be final with the monthly ' +
      'statement: a day stays provisional until 15 days of the next month have passed. The host re-fetches only the last ' +
      '7 days by default; raise the account’s lookback to keep later revisions.',
  ),
])
