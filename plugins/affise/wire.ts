/**
 * Affise's affiliate API 3.0 as its documentation shows it (API 3.1 docs, mirrored in the api-evangelist/affise
 * OpenAPI transcription; sources in `evidence.ts`), shared by the plugin and its simulator so that names cannot
 * drift apart.
 */

/** `GET {API URL}/3.0/stats/custom`: statistics sliced by the dimensions asked for. */
export const STATS_PATH = '/3.0/stats/custom'

/** The key goes in the `API-Key` header (or the `API-Key` query parameter). */
export const API_KEY_HEADER = 'api-key'

/**
 * Slices affgraph asks for: the day (as year, month and day, as in the vendor's example), the offer (the brand) and
 * sub1 (the affiliate's own sub id, the campaign).
 */
export const SLICES = ['year', 'month', 'day', 'offer', 'sub1'] as const

/** Conversion statuses the stats split actions into (`conversionTypes[]`). */
export const CONVERSION_TYPES = ['total', 'confirmed', 'pending', 'declined', 'hold'] as const
/** The statuses that still pay: declined conversions are not the affiliate's money. */
export const PAYING_TYPES = ['confirmed', 'pending', 'hold'] as const

/** `limit` is at most 500 stat entities a page (default 100). */
export const MAX_LIMIT = 500

/** No window limit is published; a month a call keeps each answer to a few pages. */
export const MAX_WINDOW_DAYS = 31

/** `{"status": 1, …}` is an answer, `{"status": 2, "message" | "error": …}` a refusal (also with HTTP 200). */
export const STATUS_OK = 1
export const STATUS_ERROR = 2
