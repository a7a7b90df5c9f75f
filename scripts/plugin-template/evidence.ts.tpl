import { defineEvidence } from '{{sdk}}'

/**
 * Every wire fact the plugin relies on, with its public source and confidence. The scaffold's API is a placeholder,
 * so each fact is `assumed`: as you replace one with the platform's real wire format, name the source (a docs page,
 * a vendor collection, a working client) and its confidence, then run `npm run plugins:readme -- <this folder>` to
 * refresh the README's section. The host derives the platform's maturity from these facts.
 */
export const evidence = defineEvidence([
  {
    id: 'account-endpoint',
    topic: 'endpoint',
    fact: 'GET {base}/api/v1/account answers {affiliate_id, currency, time_zone}.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'stats-endpoint',
    topic: 'endpoint',
    fact: 'GET {base}/api/v1/stats?from&to&page with inclusive YYYY-MM-DD days answers {data: [item…], meta: {page, total_pages}}.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'api-key-header',
    topic: 'auth',
    fact: 'The API key goes in the X-Api-Key header.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'paging',
    topic: 'paging',
    fact: 'Pages are numbered from 1; meta.total_pages says how many there are.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'item-fields',
    topic: 'fields',
    fact: 'One item per day, brand, campaign and currency: date, brand, campaign, currency, clicks, registrations, first_deposits, deposit_count, deposits, net_revenue, commission; counts as numbers, money as decimal strings.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'statuses',
    topic: 'errors',
    fact: '401 for an unknown or revoked key, 403 for a key without the Reports permission, 429 with Retry-After, 5xx during outages.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'request-rates',
    topic: 'limits',
    fact: 'No limit is known: 10 requests a second per program and 5 per account, windows of at most 31 days.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'utc-days',
    topic: 'identity',
    fact: 'Days are counted in UTC.',
    confidence: 'assumed',
    sources: [],
  },
  {
    id: 'revisions',
    topic: 'revisions',
    fact: 'How long the platform keeps revising past days is not known; the host re-fetches the last 7 days.',
    confidence: 'assumed',
    sources: [],
  },
])
