/**
 * impact.com's partner (media partner) REST API as far as public material shows it, shared by the plugin and its
 * simulator. "Spec" is impact.com's partner OpenAPI (v16) as published on integrations.impact.com and copied by
 * API Evangelist; "conventions" their summary of impact.com's request, paging, error and rate-limit pages.
 */

export const DEFAULT_API_BASE_URL = 'https://api.impact.com'

/** Every partner path sits below the account: `/Mediapartners/{AccountSID}/…` (spec). */
export const accountPath = (sid: string) => `/Mediapartners/${encodeURIComponent(sid)}`
export const COMPANY_INFORMATION = 'CompanyInformation'
export const ACTIONS = 'Actions'

/** `ActionDateStart`/`ActionDateEnd` may be at most 45 days apart (spec, List Actions). */
export const MAX_ACTION_RANGE_DAYS = 45

/** Objects per page asked for; pages are numbered from 1 (conventions; two working clients ask 100). */
export const PAGE_SIZE = 100

/** Action states (spec): PENDING until the locking date, APPROVED (pays out, final), REVERSED (will not pay). */
export const ACTION_STATES = ['PENDING', 'APPROVED', 'REVERSED'] as const
export const REVERSED = 'REVERSED'

/** 1,000 requests an hour per account for every endpoint group but catalogs and exports (conventions). */
export const REQUESTS_PER_HOUR = 1000
