import { defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const DOCS_TRANSACTIONS: EvidenceSource = {
  title: 'Awin API docs: Get List of Transactions (publisher)',
  url: 'https://help.awin.com/apidocs/returns-a-list-of-transactions-for-a-given-publisher',
}
const DOCS_OVERVIEW: EvidenceSource = {
  title: "Awin help: Awin's APIs overview (HTTPS only, OAuth2 token, 20 API calls per minute per user)",
  url: 'https://help.awin.com/docs/awins-apis-overview',
}
const DOCS_INTRO: EvidenceSource = {
  title: 'Awin API docs: Introduction (base URL https://api.awin.com)',
  url: 'https://help.awin.com/apidocs/introduction-1',
}
const AUTO_VALIDATION: EvidenceSource = {
  title:
    'Awin help for advertisers: Auto-validation (pending transactions are approved after the auto-validation period, up to 67 days on Awin Access, by contract otherwise)',
  url: 'https://help.awin.com/advertisers/docs/auto-validation',
}
const WIKI_COPY: EvidenceSource = {
  title:
    "code-index #32374734411: Awin's publisher API wiki page (2017) copied into a client: token from ui.awin.com/awin-api, Authorization: Bearer, a transaction response sample",
}
const RECONSTRUCTION: EvidenceSource = {
  title:
    "API Evangelist's OpenAPI reconstruction of the Awin API from help.awin.com (accounts, transactions, Money)",
  url: 'https://github.com/api-evangelist/awin-affiliate/blob/bfc7e124cf2a326e6417061886f35a04dadb8930/openapi/_original/awin-affiliate-openapi.yml',
}
const ACCOUNTS_CLIENT: EvidenceSource = {
  title:
    'code-index #12444013974: a C# publisher client reading Accounts().accounts[].accountId, timezone America/Sao_Paulo',
}
const SALES_CLIENT: EvidenceSource = {
  title:
    'code-index #32440296858: a sales importer mapping commissionStatus approved/declined/pending and noting that transactions carry only an advertiser id',
}
const TIMEZONE_CLIENT: EvidenceSource = {
  title: 'code-index #33499105251: a publisher report script sending timezone=Europe/Berlin',
}

export const evidence = defineEvidence([
  {
    id: 'transactions-endpoint',
    topic: 'endpoint',
    fact: "A publisher's individual transactions come from GET https://api.awin.com/publishers/{publisherId}/transactions/.",
    confidence: 'vendor',
    sources: [DOCS_TRANSACTIONS, DOCS_INTRO],
  },
  {
    id: 'accounts-endpoint',
    topic: 'endpoint',
    fact: "GET /accounts lists the accounts the token's user reaches: {accounts: [{accountId, accountName, accountType (publisher or advertiser), userRole}]}.",
    confidence: 'code',
    sources: [RECONSTRUCTION, ACCOUNTS_CLIENT, WIKI_COPY],
  },
  {
    id: 'oauth2-token',
    topic: 'auth',
    fact: 'A user-level OAuth2 token created at ui.awin.com/awin-api is all the API needs; it goes in Authorization: Bearer <token> (or the accessToken query parameter), over HTTPS only.',
    confidence: 'vendor-copy',
    sources: [WIKI_COPY, DOCS_OVERVIEW, DOCS_TRANSACTIONS],
  },
  {
    id: 'transaction-parameters',
    topic: 'parameters',
    fact: 'startDate and endDate as yyyy-MM-ddThh:mm:ss (required), timezone (default UTC), dateType transaction, validation or amendment (default transaction), status and advertiserId optional.',
    confidence: 'vendor',
    sources: [DOCS_TRANSACTIONS],
  },
  {
    id: 'iana-time-zones',
    topic: 'parameters',
    fact: 'timezone takes IANA names such as Europe/Berlin or America/Sao_Paulo besides UTC.',
    confidence: 'code',
    sources: [TIMEZONE_CLIENT, ACCOUNTS_CLIENT, DOCS_TRANSACTIONS],
  },
  {
    id: 'no-paging',
    topic: 'paging',
    fact: 'The transaction list has no paging parameters: one request returns every transaction of its date range.',
    confidence: 'vendor',
    sources: [DOCS_TRANSACTIONS, RECONSTRUCTION],
  },
  {
    id: 'transaction-fields',
    topic: 'fields',
    fact: 'A transaction has id, advertiserId, publisherId, commissionStatus, commissionAmount and saleAmount as {amount, currency} with JSON-number amounts, clickRefs {clickRef, clickRef2…}, clickDate, transactionDate (local, no offset), validationDate, type, declineReason, amended and orderRef.',
    confidence: 'vendor-copy',
    sources: [WIKI_COPY, RECONSTRUCTION],
  },
  {
    id: 'list-answer',
    topic: 'fields',
    fact: 'The answer is a JSON list of transactions; a transaction names its advertiser by id only, no name.',
    confidence: 'code',
    sources: [SALES_CLIENT, RECONSTRUCTION],
  },
  {
    id: 'commission-statuses',
    topic: 'fields',
    fact: 'commissionStatus is pending, approved, declined or deleted.',
    confidence: 'vendor',
    sources: [DOCS_TRANSACTIONS, SALES_CLIENT],
  },
  {
    id: 'error-statuses',
    topic: 'errors',
    fact: 'Only the throttle is published (429 past 20 calls a minute, no Retry-After documented); 401 for a refused token, 403 for a publisher the user may not read and the JSON error bodies are assumed.',
    confidence: 'assumed',
    sources: [DOCS_OVERVIEW],
  },
  {
    id: 'range-limit',
    topic: 'limits',
    fact: 'startDate and endDate may be at most 31 days apart.',
    confidence: 'vendor',
    sources: [DOCS_TRANSACTIONS],
  },
  {
    id: 'throttle',
    topic: 'limits',
    fact: '20 API calls a minute per user: the token is the user, so every account it reaches shares them.',
    confidence: 'vendor',
    sources: [DOCS_OVERVIEW],
  },
  {
    id: 'publisher-identity',
    topic: 'identity',
    fact: "A user's token reaches every publisher (and advertiser) account of the user; the publisher ID in the path selects one.",
    confidence: 'vendor-copy',
    sources: [WIKI_COPY, DOCS_TRANSACTIONS],
  },
  {
    id: 'validation-horizon',
    topic: 'revisions',
    fact: 'Transactions stay pending until the advertiser approves, declines or amends them (validationDate, amended, dateType=validation/amendment), at the latest when its auto-validation period ends: up to 67 days on Awin Access, set by contract on other plans. A day is taken as settled after 67 days; re-fetch at least 60 days.',
    confidence: 'inferred',
    sources: [AUTO_VALIDATION, DOCS_TRANSACTIONS, WIKI_COPY],
  },
])
