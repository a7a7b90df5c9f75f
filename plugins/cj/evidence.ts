import { defineEvidence, type EvidenceSource } from 'affgraph/sdk'

const DOCS: EvidenceSource = {
  title:
    'CJ developer docs: "Commission Detail API" (endpoint, Bearer token, publisher sample request and response)',
  url: 'https://docs.cj.com/docs/graphql-api',
}
const ADVERTISER_REFERENCE: EvidenceSource = {
  title:
    'CJ developer docs: "Commission Detail API: Advertiser Reference" (arguments shared with publisherCommissions)',
  url: 'https://docs.cj.com/docs/commissiondetail-api-advertiser',
}
const PAYMENT_CYCLE: EvidenceSource = {
  title:
    "CJ Junction: Understanding CJ's Publisher Payment Cycle (2022): new, extended and locked statuses, locking cycles",
  url: 'https://junction.cj.com/article/cookie-dough-understanding-publisher-payment-cycle',
}
const SCHEMA: EvidenceSource = {
  title:
    "CJ's Commission Detail GraphQL schema, rendered from the live endpoint's introspection on 2026-08-13 (api-evangelist/cj-affiliate)",
  url: 'https://github.com/api-evangelist/cj-affiliate/blob/22b871bd69cb5792e869319f9f31e934a822222b/graphql/cj-affiliate-commissions-schema.graphql',
}
const CONVENTIONS: EvidenceSource = {
  title:
    "CJ conventions transcribed from CJ's documentation corpus (api-evangelist/cj-affiliate conventions/cj-affiliate-conventions.yml): restatements, GraphQL errors, 25 calls a minute",
  url: 'https://github.com/api-evangelist/cj-affiliate/blob/22b871bd69cb5792e869319f9f31e934a822222b/conventions/cj-affiliate-conventions.yml',
}
const ACCOUNT_NUMBERS: EvidenceSource = {
  title:
    'CJ Junction blog: "CJ\'s Account Numbers, Explained" (CID at the top right next to the user name; PIDs)',
  url: 'https://junction.cj.com/article/identification-its-everywhere',
}
const AIRBYTE: EvidenceSource = {
  title:
    'Airbyte source-commission-junction manifest (tested against the live API in Connector Builder): Bearer token, maxCommissionId/payloadComplete paging, 30-day steps, amounts as strings',
  url: 'https://github.com/airbytehq/airbyte/blob/742b9cc4fd34ef29d94ef624e8308c7efc340b27/airbyte-integrations/connectors/source-commission-junction/manifest.yaml',
}
const ADSPILOT: EvidenceSource = {
  title:
    'code-index #68996542462: an integration guide for CJ commission imports (31-day windows, corrections are deltas with their own ids)',
}
const CLIENTS: EvidenceSource = {
  title:
    'code-index #71508260935 and #58662951981: TypeScript and Python clients of publisherCommissions (variables, errors list, USD amounts)',
}
const PORTAL_DRAFT: EvidenceSource = {
  title:
    'code-index #34549836937: a CJ developer-portal page draft (sinceCommissionId semantics, default 24-hour range)',
}
const AFFILIMATE: EvidenceSource = {
  title:
    'Affilimate docs: connecting CJ (Publisher ID in parentheses next to the name; Personal Access Tokens)',
  url: 'https://affilimate.com/docs/cj-affiliate-integration/',
}

export const evidence = defineEvidence([
  {
    id: 'commissions-endpoint',
    topic: 'endpoint',
    fact: 'Commission records come from POST https://commissions.api.cj.com/query with a GraphQL query on publisherCommissions.',
    confidence: 'vendor',
    sources: [DOCS, SCHEMA],
  },
  {
    id: 'bearer-token',
    topic: 'auth',
    fact: 'The personal access token goes in Authorization: Bearer <token>; tokens are created at developers.cj.com under Personal Access Tokens and act for every company their user belongs to.',
    confidence: 'vendor',
    sources: [DOCS, CONVENTIONS, AFFILIMATE],
  },
  {
    id: 'company-id',
    topic: 'identity',
    fact: 'forPublishers takes the publisher company ids (CIDs); a CID is the account number shown at the top right of CJ next to the user name.',
    confidence: 'vendor',
    sources: [SCHEMA, ACCOUNT_NUMBERS],
  },
  {
    id: 'event-date-window',
    topic: 'parameters',
    fact: 'sinceEventDate is inclusive and beforeEventDate exclusive, both ISO 8601 instants in UTC; eventDate is "in UTC time zone", so days are UTC days.',
    confidence: 'vendor',
    sources: [ADVERTISER_REFERENCE, SCHEMA],
  },
  {
    id: 'variables',
    topic: 'parameters',
    fact: 'The query may use GraphQL variables for forPublishers, the dates and sinceCommissionId.',
    confidence: 'code',
    sources: [CLIENTS],
  },
  {
    id: 'watermark-paging',
    topic: 'paging',
    fact: 'An answer holds at most limit records; when payloadComplete is false, the next call passes maxCommissionId as sinceCommissionId.',
    confidence: 'vendor-copy',
    sources: [SCHEMA, ADVERTISER_REFERENCE, AIRBYTE],
  },
  {
    id: 'record-fields',
    topic: 'fields',
    fact: 'Records carry commissionId, actionType, actionStatus, original, correctionReason, advertiserId, advertiserName, shopperId, eventDate, postingDate, saleAmountUsd and pubCommissionAmountUsd.',
    confidence: 'vendor-copy',
    sources: [SCHEMA],
  },
  {
    id: 'decimal-strings',
    topic: 'fields',
    fact: 'Amounts are DecimalNumber values rendered in JSON as strings ("7.781", three decimals happen); saleAmountUsd may be null.',
    confidence: 'vendor',
    sources: [DOCS, SCHEMA, AIRBYTE],
  },
  {
    id: 'action-types',
    topic: 'fields',
    fact: 'actionType is one of sim_sale, item_sale, sim_lead, item_lead, bonus, perf_inc, click or imp.',
    confidence: 'vendor-copy',
    sources: [SCHEMA],
  },
  {
    id: 'corrections-are-records',
    topic: 'fields',
    fact: 'Corrections are records of their own (original false, a correctionReason, negative amounts); a restatement is a full reversal followed by the new state, so the sum of all records is the current figure.',
    confidence: 'vendor-copy',
    sources: [CONVENTIONS, SCHEMA, ADSPILOT],
  },
  {
    id: 'correction-event-date',
    topic: 'revisions',
    fact: 'A correction lands on the day of its own eventDate, assumed to be the event date of the action it corrects, so that it revises that day.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'no-clicks',
    topic: 'fields',
    fact: 'The API has no clicks or impressions of the publisher: only commissionable actions.',
    confidence: 'vendor-copy',
    sources: [SCHEMA],
  },
  {
    id: 'graphql-errors',
    topic: 'errors',
    fact: 'Errors come as a GraphQL errors list; CJ checks authentication first, then the query, then authorization.',
    confidence: 'vendor-copy',
    sources: [CONVENTIONS],
  },
  {
    id: 'refusal-statuses',
    topic: 'errors',
    fact: 'An unknown token is assumed to be answered 401 and a CID the token may not read with a GraphQL error mentioning authorization; the wording is not public.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'request-pace',
    topic: 'limits',
    fact: 'CJ documents 25 calls a minute for its REST APIs and publishes no figure for GraphQL; affgraph keeps to 25 a minute per token.',
    confidence: 'inferred',
    sources: [CONVENTIONS],
  },
  {
    id: 'window-cap',
    topic: 'limits',
    fact: 'One query covers at most 31 days (integrations cut windows at 30 or 31 days); longer ranges are split.',
    confidence: 'code',
    sources: [ADSPILOT, AIRBYTE],
  },
  {
    id: 'default-range',
    topic: 'parameters',
    fact: 'A query without dates covers the last 24 hours of postings; affgraph always names both event-date bounds.',
    confidence: 'code',
    sources: [PORTAL_DRAFT],
  },
  {
    id: 'locking-revisions',
    topic: 'revisions',
    fact: 'Actions stay new (correctable) until they lock on the 10th of the month after their event, extended actions one cycle later (the 10th of the second month, at most 41 days after the month ends); advertisers with a custom or open-ended locking cycle lock later. Figures change for two to three months, so a 90-day lookback is advised.',
    confidence: 'vendor',
    sources: [PAYMENT_CYCLE, SCHEMA],
  },
])
