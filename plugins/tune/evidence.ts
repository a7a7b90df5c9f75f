import { defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const DOCS: EvidenceSource = {
  title:
    'HasOffers affiliate API reference (developers.hasoffers.com method descriptions, Affiliate_Report::getStats), copied in a public repository',
  url: 'https://github.com/wyiemay/developers.hasoffers.com/blob/2590a1183f1bb98e32571e55d804057a6d4f3673/app/resource/Affiliate_doc.json',
}
const PARTNER_INTERFACE: EvidenceSource = {
  title:
    'TUNE support: What Administrators Should Know About the Partner Interface (partners log in at https://networkid.hasoffers.com/)',
  url: 'https://support.tune.com/hc/en-us/articles/1500007741162-What-Administrators-Should-Know-About-the-Partner-Interface',
}
const NETWORK_ID: EvidenceSource = {
  title: 'TUNE help: Launching Your Network (the network id is the first part of the TUNE URL)',
  url: 'https://help.tune.com/hasoffers/launching-your-network/all/',
}
const PARTNER_API_ACCESS: EvidenceSource = {
  title: 'TUNE support: Partner API: Managing Partner Access at the Network Level',
  url: 'https://support.tune.com/hc/en-us/articles/1500008589661-Partner-API-Managing-Partner-Access-at-the-Network-Level',
}
const STATUS_CLIENT: EvidenceSource = {
  title:
    'code-index #69360077133: a client noting that HasOffers answers HTTP 200 on errors, reading response.status (1 / -1), errors[].publicMessage and errorMessage from <id>.api.hasoffers.com with NetworkId and api_key',
}
const PAGING_CLIENT: EvidenceSource = {
  title:
    'code-index #12376736729: a Python client paging getStats by page / pageCount with limit and totals=0, reading currency_columns and @-suffixed amounts, retrying on "API usage exceeded rate limit"',
}
const RUBY_CLIENT: EvidenceSource = {
  title:
    'code-index #24810399584 and #27373655429: a Ruby client (success = HTTP 200 and status 1; page, current, count, pageCount; errors err_msg)',
}
const QUERY_CLIENTS: EvidenceSource = {
  title:
    'code-index #3445136620, #5726437237, #15076211744: clients calling Target=Affiliate_Report&Method=getStats with fields[] (Stat.date, Stat.clicks, Stat.conversions, Stat.payout, Stat.currency, Offer.name), groups[] and the Stat.date BETWEEN filter or data_start / data_end',
}

export const evidence = defineEvidence([
  {
    id: 'getstats-method',
    topic: 'endpoint',
    fact: 'An affiliate’s statistics come from Affiliate_Report::getStats, "Get Stats with totals by filters, currency, data_start, data_end and hour_offset".',
    confidence: 'vendor-copy',
    sources: [DOCS],
  },
  {
    id: 'network-api-host',
    topic: 'endpoint',
    fact: 'Calls are GET https://<network id>.api.hasoffers.com/Apiv3/json?Target=Affiliate_Report&Method=getStats (older: api.hasoffers.com with NetworkId).',
    confidence: 'code',
    sources: [STATUS_CLIENT, QUERY_CLIENTS, PAGING_CLIENT],
  },
  {
    id: 'api-key-query',
    topic: 'auth',
    fact: 'The affiliate’s API key goes in the api_key query parameter, with NetworkId naming the network.',
    confidence: 'code',
    sources: [STATUS_CLIENT, QUERY_CLIENTS],
  },
  {
    id: 'partner-api-per-network',
    topic: 'identity',
    fact: 'Each network decides whether its partners may have API keys (automatically, on approval, or disabled).',
    confidence: 'vendor',
    sources: [PARTNER_API_ACCESS, PARTNER_INTERFACE],
  },
  {
    id: 'network-id',
    topic: 'identity',
    fact: 'The network id is the first part of the network’s TUNE address (https://<network id>.hasoffers.com), where partners log in.',
    confidence: 'vendor',
    sources: [NETWORK_ID, PARTNER_INTERFACE],
  },
  {
    id: 'getstats-parameters',
    topic: 'parameters',
    fact: 'getStats takes fields (required), groups, filters, sort, limit, page and totals; data_start and data_end (YYYY-MM-DD) must equal the Stat.date filter and both be given.',
    confidence: 'vendor-copy',
    sources: [DOCS],
  },
  {
    id: 'fields-and-groups',
    topic: 'parameters',
    fact: 'fields[] and groups[] name Model.field columns (Stat.date, Stat.offer_id, Offer.name, Stat.affiliate_info1, Stat.currency, Stat.impressions, Stat.clicks, Stat.conversions, Stat.payout, Stat.sale_amount); the window is filters[Stat.date][conditional]=BETWEEN with two values.',
    confidence: 'code',
    sources: [QUERY_CLIENTS, PAGING_CLIENT],
  },
  {
    id: 'envelope',
    topic: 'fields',
    fact: 'The answer is { "response": { "status", "httpStatus", "data": { "page", "current", "count", "pageCount", "data": [ { "Stat": {…}, "Offer": {…} } ] }, "errors", "errorMessage" } } with figures as strings.',
    confidence: 'code',
    sources: [RUBY_CLIENT, PAGING_CLIENT, STATUS_CLIENT],
  },
  {
    id: 'currency-columns',
    topic: 'fields',
    fact: 'With currencies in play, amounts may be keyed by currency (payout@EUR) and listed in data.currency_columns; Stat.currency names a row’s currency.',
    confidence: 'code',
    sources: [PAGING_CLIENT, QUERY_CLIENTS],
  },
  {
    id: 'paging',
    topic: 'paging',
    fact: 'Pages are asked with limit and page; the answer’s page and pageCount tell whether more follow.',
    confidence: 'code',
    sources: [PAGING_CLIENT, RUBY_CLIENT, DOCS],
  },
  {
    id: 'errors-http-200',
    topic: 'errors',
    fact: 'Errors come with HTTP 200 and response.status -1, their words in errors[].publicMessage (err_msg in older answers) and errorMessage.',
    confidence: 'code',
    sources: [STATUS_CLIENT, RUBY_CLIENT],
  },
  {
    id: 'rate-limit-text',
    topic: 'errors',
    fact: 'A call over the rate limit is refused with "API usage exceeded rate limit", not as JSON.',
    confidence: 'code',
    sources: [PAGING_CLIENT],
  },
  {
    id: 'error-wording',
    topic: 'errors',
    fact: 'Which words name a bad key, an unknown network or a missing permission is not public; affgraph reads key/access words as a key problem and network words as a network id problem.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'request-rates',
    topic: 'limits',
    fact: 'No rate is published for the affiliate API: affgraph keeps to 20 calls per 10 seconds per network host and 10 per account.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'window-length',
    topic: 'limits',
    fact: 'No longest window is published; affgraph asks at most 31 days a call and pages through them.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'network-days',
    topic: 'identity',
    fact: 'Stats days are the network’s days (getStats takes an hour_offset to shift them); the zone is not named in the answer and UTC is assumed.',
    confidence: 'assumed',
    sources: [DOCS],
  },
  {
    id: 'revisions',
    topic: 'revisions',
    fact: 'Networks approve or reject conversions after the day they happened (getConversions takes status updates of past conversions); getStats is taken to count approved conversions and their payout, so a past day grows when its conversions are approved. Nothing public says for how long: set the account’s lookbackDays to the network’s approval period (45 days is a safe start).',
    confidence: 'inferred',
    sources: [DOCS],
  },
])
