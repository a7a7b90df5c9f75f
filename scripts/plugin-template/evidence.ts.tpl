import { assumedFact, defineEvidence } from '{{sdk}}'

/**
 * Every wire fact the plugin relies on, with its public source and confidence. The scaffold's API is a placeholder,
 * so each fact is `assumed`: as you replace one with the platform's real wire format, name the source (a docs page,
 * a vendor collection, a working client) and its confidence, then run `npm run plugins:readme -- <this folder>` to
 * refresh the README's section. The host derives the platform's maturity from these facts.
 */
export const evidence = defineEvidence([
  assumedFact('account-endpoint', 'endpoint', 'GET {base}/api/v1/account answers {affiliate_id, currency, time_zone}.'),
  assumedFact('stats-endpoint', 'endpoint', 'GET {base}/api/v1/stats?from&to&page with inclusive YYYY-MM-DD days answers {data: [item…], meta: {page, total_pages}}.'),
  assumedFact('api-key-header', 'auth', 'The API key goes in the X-Api-Key header.'),
  assumedFact('paging', 'paging', 'Pages are numbered from 1; meta.total_pages says how many there are.'),
  assumedFact('item-fields', 'fields', 'One item per day, brand, campaign and currency: date, brand, campaign, currency, clicks, registrations, first_deposits, deposit_count, deposits, net_revenue, commission; counts as numbers, money as decimal strings.'),
  assumedFact('statuses', 'errors', '401 for an unknown or revoked key, 403 for a key without the Reports permission, 429 with Retry-After, 5xx during outages.'),
  assumedFact('request-rates', 'limits', 'No limit is known: 10 requests a second per program and 5 per account, windows of at most 31 days.'),
  assumedFact('utc-days', 'identity', 'Days are counted in UTC.'),
  assumedFact('revisions', 'revisions', 'How long the platform keeps revising past days is not known; the host re-fetches the last 7 days.'),
])
