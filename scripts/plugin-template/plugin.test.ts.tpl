import { describe, expect, it } from 'vitest'
import {
  AuthError,
  type HttpResponse,
  platformManifestSchema,
  RateLimitError,
  ResponseFormatError,
  UnavailableError,
} from '{{sdk}}'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapAccount, mapStatsItem, mapStatsPage } from './map.ts'
import { checkResponse } from './report.ts'

// The contract suite (`npm run plugin:test -- {{id}}`) runs the plugin against its simulator through the host;
// these tests pin what it cannot see: the mapping of each wire field and the meaning of each status.

const KEY = 'pk_3f9a0c1e7b2d4c6a8e0f1a2b3c4d5e6f'

function response(status: number, headers: Record<string, string> = {}): HttpResponse {
  const text = '{}'
  return {
    status,
    headers,
    url: 'https://partners.example-brand.com/api/v1/stats',
    text,
    json: () => JSON.parse(text),
  }
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

describe('{{id}} plugin', () => {
  it('given the manifest, when validated as the loader does, then it is accepted', () => {
    expect(platformManifestSchema.safeParse(platform).success).toBe(true)
    expect(platform.id).toBe('{{id}}')
  })

  it('given a portal URL with a path and a key with a Bearer prefix, when parsed, then both are normalised', () => {
    const parsed = connection.schema.parse({
      baseUrl: 'https://partners.example-brand.com/',
      apiKey: `  Bearer ${KEY} `,
    })
    expect(parsed).toEqual({ baseUrl: 'https://partners.example-brand.com', apiKey: KEY })
  })

  it('given a key that is too short, when parsed, then it fails on the apiKey field', () => {
    const result = connection.schema.safeParse({
      baseUrl: 'https://partners.example-brand.com',
      apiKey: 'short',
    })
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => i.path[0])).toEqual(['apiKey'])
  })

  it('given an item with every figure, when mapped, then counts are kept and amounts stay exact decimals', () => {
    const row = mapStatsItem({
      date: '2026-01-05',
      brand: 'Brand A',
      campaign: 'main',
      currency: 'EUR',
      clicks: 120,
      registrations: 7,
      first_deposits: 3,
      deposit_count: 5,
      deposits: '1234.50',
      net_revenue: '-0.10',
      commission: '0.30',
    })
    expect(row).toMatchObject({
      date: '2026-01-05',
      brand: 'Brand A',
      campaign: 'main',
      currency: 'EUR',
      clicks: 120,
      signups: 7,
      ftds: 3,
      depositCount: 5,
      deposits: '1234.5',
      netRevenue: '-0.1',
      commission: '0.3',
    })
  })

  it('given an item without some figures, when mapped, then those metrics are null, not 0', () => {
    const row = mapStatsItem({ date: '2026-01-05', brand: '', currency: 'USD', clicks: 0, commission: null })
    expect(row).toMatchObject({ brand: null, campaign: null, clicks: 0, signups: null, commission: null })
    expect(row.impressions).toBeNull()
  })

  it('given items the plugin cannot trust, when mapped, then a ResponseFormatError names the item and field', () => {
    const cases: [unknown, RegExp][] = [
      [{ date: '2026-01-05', currency: 'EUR', commission: 12.3 }, /item 0: commission/],
      [{ date: '2026-01-05', commission: '12.30' }, /item 0 has amounts but no currency/],
      [{ date: '05/01/2026', clicks: 1 }, /item 0: date/],
      [{ date: '2026-01-05', clicks: -1 }, /item 0: clicks/],
    ]
    for (const [item, message] of cases) {
      const error = thrownBy(() => mapStatsItem(item))
      expect(error).toBeInstanceOf(ResponseFormatError)
      expect((error as Error).message).toMatch(message)
    }
    expect(thrownBy(() => mapStatsPage({ status: 'maintenance' }))).toBeInstanceOf(ResponseFormatError)
  })

  it('given an empty report, when its page is mapped, then it has no rows and counts as the last page', () => {
    expect(mapStatsPage({ data: [], meta: { page: 1, total_pages: 0 } })).toEqual({
      rows: [],
      page: 1,
      totalPages: 1,
    })
  })

  it('given the account answer, when mapped, then it names the account and never more than it says', () => {
    expect(mapAccount({ affiliate_id: 1042, currency: 'EUR' })).toEqual({
      accountName: '1042',
      currency: 'EUR',
    })
  })

  it('given each status the API uses, when checked, then it becomes the SDK error the host expects', () => {
    expect(thrownBy(() => checkResponse(response(200)))).toBeUndefined()
    const cases: [number, new (...args: never[]) => Error, string | undefined][] = [
      [401, AuthError, 'apiKey'],
      [403, AuthError, 'apiKey'],
      [404, ResponseFormatError, 'baseUrl'],
      [429, RateLimitError, undefined],
      [503, UnavailableError, undefined],
      [400, ResponseFormatError, undefined],
    ]
    for (const [status, type, field] of cases) {
      const error = thrownBy(() => checkResponse(response(status, { 'retry-after': '2' })))
      expect(error, `HTTP ${status}`).toBeInstanceOf(type)
      expect((error as { field?: string }).field, `HTTP ${status} field`).toBe(field)
    }
    const limited = thrownBy(() => checkResponse(response(429, { 'retry-after': '2' })))
    expect((limited as RateLimitError).retryAfterMs).toBe(2000)
  })
})
