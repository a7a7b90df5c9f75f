import { readFileSync } from 'node:fs'
import type { DateWindow, HttpResponse } from 'affgraph/sdk'
import { describe, expect, it } from 'vitest'
import { connection } from './credentials.ts'
import platform from './index.ts'
import { mapDailyActivity, parseMoney } from './map.ts'
import { mapInvoices, monthsOf, PAYMENTS } from './payments.ts'
import { checkReportResponse, reportUrl } from './report.ts'
import { checkTokenResponse, type NetReferConnection } from './token.ts'

const fixtureText = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const fixture = (name: string): unknown => JSON.parse(fixtureText(name))

/** A response as the host's client hands it to a `check` function. */
function response(status: number, text: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, url: 'https://example.test/', text, json: <T>() => JSON.parse(text) as T }
}

const MARCH: DateWindow = { from: '2025-03-01', to: '2025-03-10' }

describe('netrefer manifest and connection', () => {
  it('given the manifest, when read, then windows are month-aligned and at most 31 days, per program host', () => {
    expect(platform.limits).toMatchObject({ maxWindowDays: 31, monthAlignedWindows: true })
    expect(platform.capabilities.perProgramHost).toBe(true)
    expect(platform.capabilities.metrics).toEqual([
      'impressions',
      'clicks',
      'signups',
      'ftds',
      'deposits',
      'netRevenue',
      'commission',
    ])
    for (const f of Object.values(connection.fields)) expect(f.help).toMatch(/NetRefer|onboarding|ASR/)
  })

  it('given only the required fields, when parsed, then the optional settings stay empty and defaults apply', () => {
    const input = {
      baseUrl: 'https://asr.example.com/dpm/v1/DAR/104233/2026-01-01/2026-01-31',
      tokenUrl: 'https://login.microsoftonline.com/7d3f2a10-5b6c-4e8f-9a01-2b3c4d5e6f70/oauth2/v2.0/token',
      clientId: ' 3f6b9c2e-8a41-4d7e-b5f0-1c2d3e4f5a6b ',
      clientSecret: 'Qv8~fake.ClientSecret_4mT2wLx7',
      username: 'asr.partner@example.test',
      password: ' pass with spaces ',
      affiliateId: '104233',
      scope: '',
      apiVersion: 'v2',
    }
    const conn = connection.schema.parse(input) as NetReferConnection
    expect(conn).toMatchObject({ baseUrl: 'https://asr.example.com', apiVersion: '2', scope: undefined })
    expect(conn.clientId).toBe('3f6b9c2e-8a41-4d7e-b5f0-1c2d3e4f5a6b')
    expect(conn.password, 'a password is used exactly as typed').toBe(' pass with spaces ')
    expect(connection.schema.parse(conn), 'a parsed connection parses to itself').toEqual(conn)
    expect(reportUrl(conn, { from: '2026-01-01', to: '2026-01-31' })).toBe(
      'https://asr.example.com/dpm/v2/DAR/104233/2026-01-01/2026-01-31',
    )
  })

  it('given an affiliate id that would change the path or a short password, when parsed, then that field is named', () => {
    const valid = { ...connection.schema.parse({ ...fixtureConnection() }) } as Record<string, unknown>
    for (const [name, value] of [
      ['affiliateId', '104233/../admin'],
      ['password', 'short'],
      ['reportTypeCode', 'DAR?x=1'],
    ] as const) {
      const result = connection.schema.safeParse({ ...valid, [name]: value })
      expect(
        result.error?.issues.map((i) => i.path[0]),
        name,
      ).toContain(name)
    }
  })
})

function fixtureConnection(): Record<string, string> {
  return {
    baseUrl: 'https://asr.example.com',
    tokenUrl: 'https://login.microsoftonline.com/7d3f2a10-5b6c-4e8f-9a01-2b3c4d5e6f70/oauth2/v2.0/token',
    clientId: '3f6b9c2e-8a41-4d7e-b5f0-1c2d3e4f5a6b',
    clientSecret: 'Qv8~fake.ClientSecret_4mT2wLx7',
    username: 'asr.partner@example.test',
    password: 'fake-Passw0rd-for-ASR',
    affiliateId: '104233',
  }
}

describe('netrefer report mapping', () => {
  it('given the report fixture, when mapped, then every row is exact, absent metrics are null and zero stays zero', () => {
    const rows = mapDailyActivity(fixture('daily-activity-report.json'), {
      from: '2026-01-05',
      to: '2026-01-06',
    })
    const empty = {
      depositCount: null,
      cpaCount: null,
      salesCount: null,
      refundCount: null,
      chargebackCount: null,
    }
    const noSales = { salesAmount: null, refundAmount: null, chargebackAmount: null }
    expect(rows).toEqual([
      {
        date: '2026-01-05',
        brand: 'Example Casino',
        campaign: 'spring-banner',
        currency: 'EUR',
        impressions: 1520,
        clicks: 183,
        signups: 12,
        ftds: 5,
        deposits: '1234567.89',
        netRevenue: '-310.5',
        commission: '0',
        ...empty,
        ...noSales,
      },
      {
        date: '2026-01-05',
        brand: 'Example Casino',
        campaign: 'spring-banner',
        currency: 'GBP',
        impressions: 40,
        clicks: 3,
        signups: 0,
        ftds: 0,
        deposits: '25',
        netRevenue: '12.75',
        commission: null,
        ...empty,
        ...noSales,
      },
      {
        date: '2026-01-06',
        brand: 'Example Sports',
        campaign: null,
        currency: 'EUR',
        impressions: 300,
        clicks: 21,
        signups: 2,
        ftds: 1,
        deposits: '50.1',
        netRevenue: '20',
        commission: '6.02',
        ...empty,
        ...noSales,
      },
    ])
  })

  it('given other spellings, string amounts, twin rows and a total line, when mapped, then twins add up exactly', () => {
    const rows = mapDailyActivity(fixture('daily-activity-report-variant.json'), {
      from: '2026-01-01',
      to: '2026-01-31',
    })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      brand: 'Example Casino',
      campaign: 'spring-banner',
      currency: 'EUR',
      impressions: 1010,
      clicks: 82,
      signups: 5,
      ftds: 3,
      deposits: '101',
      netRevenue: '0.1',
      commission: '12345678901235',
    })
  })

  it('given an empty report or a null row list, when mapped, then there are no rows', () => {
    expect(mapDailyActivity(fixture('daily-activity-report-empty.json'), MARCH)).toEqual([])
    expect(mapDailyActivity({ rows: null }, MARCH)).toEqual([])
  })

  it('given amounts as JSON numbers, when read, then up to 15 digits are exact and more are refused', () => {
    expect(parseMoney(0.1, 'x')).toBe('0.1')
    expect(parseMoney(-123456789012.345, 'x')).toBe('-123456789012.345')
    expect(parseMoney('000.500', 'x')).toBe('0.5')
    expect(() => parseMoney(Number('12345678901234567.8'), 'x')).toThrow(/more digits/)
    expect(() => parseMoney(1e-7, 'x')).toThrow(/more digits/)
  })

  it('given broken rows, when mapped, then a ResponseFormatError names the row', () => {
    const row = { date: '2025-03-05', brand: 'B', currency: 'EUR', views: 1, deposits: 1 }
    for (const [bad, message] of [
      [{ views: -1 }, /row 1, views/],
      [{ views: 1.5 }, /row 1, views/],
      [{ currency: 'euro' }, /not a currency/],
      [{ currency: undefined }, /no currency/],
      [{ date: '2026-02-30' }, /no day/],
      [{ deposits: '12,50' }, /row 1, deposits/],
    ] as const) {
      expect(() => mapDailyActivity({ rows: [{ ...row, ...bad }] }, MARCH)).toThrow(message)
    }
    expect(() => mapDailyActivity({ report: 'failed' }, MARCH)).toThrow(
      /no list of rows \(found: "report"; expected "rows"/,
    )
  })

  it('given rows whose figures have unknown names, when mapped, then the error names the fields found and those expected', () => {
    const body = { rows: [{ date: '2025-03-05', brand: 'B', hits2: 1, money: 3 }] }
    expect(() => mapDailyActivity(body, MARCH)).toThrow(
      /none of the expected figures \(found: "date", "brand", "hits2", "money"; expected any of: views, clicks, signups, firstTimeDepositingCustomers, deposits, netRevenue, commission\)/,
    )
  })

  // Before: amounts written as the portal writes them ("€1,250.50") were refused.
  it("given a body named like the portal's report columns, amounts with a currency sign and a totals line, when mapped, then the row is read", () => {
    expect(mapDailyActivity(fixture('daily-activity-report-portal-names.json'), MARCH)).toEqual([
      {
        date: '2025-03-05',
        brand: 'Example Casino',
        campaign: 'spring-push',
        currency: 'EUR',
        impressions: 400,
        clicks: 52,
        signups: 6,
        ftds: 2,
        depositCount: null,
        cpaCount: null,
        salesCount: null,
        refundCount: null,
        chargebackCount: null,
        deposits: '1250.5',
        netRevenue: '-310.25',
        commission: '77.56',
        salesAmount: null,
        refundAmount: null,
        chargebackAmount: null,
      },
    ])
  })
})

describe('netrefer answers mapped to typed errors', () => {
  it('given Azure AD refusals, when checked, then each is an AuthError naming the credential to fix', () => {
    const refusal = (status: number, body: unknown) => {
      try {
        checkTokenResponse(response(status, JSON.stringify(body)))
      } catch (error) {
        return error as { code: string; field?: string; message: string }
      }
      throw new Error('no error')
    }
    expect(refusal(400, fixture('token-error-invalid-grant.json'))).toMatchObject({
      code: 'PLATFORM_AUTH',
      field: 'password',
      message: expect.stringMatching(/AADSTS50126.*Username or Password/),
    })
    expect(refusal(401, fixture('token-error-invalid-client.json'))).toMatchObject({ field: 'clientSecret' })
    const aad = (error: string, code: number) => ({ error, error_description: `AADSTS${code}: something.` })
    expect(refusal(400, aad('invalid_grant', 50034)).field).toBe('username')
    expect(refusal(400, aad('invalid_grant', 50055)).field).toBe('password')
    expect(refusal(400, aad('invalid_grant', 50076)).field).toBe('username')
    expect(refusal(400, aad('unauthorized_client', 700016)).field).toBe('clientId')
    expect(refusal(400, aad('invalid_scope', 70011)).field).toBe('scope')
    expect(refusal(400, aad('invalid_request', 90002)).field).toBe('tokenUrl')
    expect(refusal(400, { error: 'invalid_request' }).code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(refusal(404, {})).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT', field: 'tokenUrl' })
    expect(refusal(503, {}).code).toBe('PLATFORM_UNAVAILABLE')
    expect(() => checkTokenResponse(response(200, fixtureText('token-response.json')))).not.toThrow()
  })

  it('given report API answers, when checked, then 401 is left to renewal and the rest are typed', () => {
    expect(() => checkReportResponse(response(401, ''))).not.toThrow()
    expect(() => checkReportResponse(response(204, ''))).not.toThrow()
    expect(() => checkReportResponse(response(400, fixtureText('report-error-month.json')))).toThrow(
      /HTTP 400\): The from and to dates need to be within the same month/,
    )
    expect(() => checkReportResponse(response(429, '', { 'retry-after': '3' }))).toThrow(
      expect.objectContaining({ code: 'PLATFORM_RATE_LIMITED', retryAfterMs: 3000 }),
    )
    expect(() =>
      checkReportResponse(response(403, '', { 'www-authenticate': 'Bearer error="insufficient_scope"' })),
    ).toThrow(expect.objectContaining({ field: 'scope' }))
    expect(() => checkReportResponse(response(403, '{"title":"no"}'))).toThrow(
      expect.objectContaining({ field: 'affiliateId' }),
    )
  })
})

describe('netrefer Period Invoice Report (body assumed)', () => {
  const MONTH: DateWindow = { from: '2025-03-01', to: '2025-03-31' }

  it('given the assumed body, when mapped, then each invoice is a payment row with its own number, period and paid day', () => {
    expect(mapInvoices(fixture('period-invoice-report.json'), MONTH, '104233')).toEqual([
      {
        reference: 'INV-104233-202503-1',
        periodFrom: '2025-03-01',
        periodTo: '2025-03-31',
        paidOn: '2025-04-15',
        amount: '1250.5',
        currency: 'EUR',
        brand: 'Example Casino',
        description: 'Paid',
      },
      {
        reference: 'INV-104233-202503-2',
        periodFrom: '2025-03-01',
        periodTo: '2025-03-31',
        paidOn: null,
        amount: '-12.75',
        currency: 'USD',
        brand: null,
        description: 'Pending',
      },
    ])
  })

  it('given other spellings, a bare list or one unnamed array, when mapped, then they are read alike', () => {
    const invoice = {
      'Invoice Id': 77,
      'Total Amount': '€1,000.00',
      currency_code: 'EUR',
      'Payment Date': '2025-04-20',
    }
    const expected = [
      {
        reference: '77',
        periodFrom: '2025-03-01',
        periodTo: '2025-03-31',
        paidOn: '2025-04-20',
        amount: '1000',
        currency: 'EUR',
        brand: null,
        description: null,
      },
    ]
    expect(mapInvoices([invoice], MONTH, '1')).toEqual(expected)
    expect(mapInvoices({ statement: [invoice], year: 2025 }, MONTH, '1')).toEqual(expected)
    const { 'Invoice Id': _id, ...unnumbered } = invoice
    expect(mapInvoices([unnumbered], MONTH, '104233')[0]?.reference, 'stable without a number').toBe(
      '104233:2025-03::EUR',
    )
    expect(mapInvoices({ invoices: null }, MONTH, '1')).toEqual([])
  })

  it('given a body it cannot read, when mapped, then the error says what is missing and that the format is not published', () => {
    const unpublished = /does not publish the format of the Period Invoice Report/
    for (const [body, what] of [
      [[{ amount: 5 }], /has no currency/],
      [[{ currency: 'EUR', status: 'Paid' }], /has no amount/],
      [{ a: [], b: [] }, /no list of invoices \(found: "a", "b"\)/],
      ['<html>', /not a JSON object or list/],
    ] as const) {
      const error = thrownBy(() => mapInvoices(body, MONTH, '1'))
      expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT' })
      expect(error.message).toMatch(what)
      expect(error.message).toMatch(unpublished)
    }
  })

  it('given a window, when cut for the invoice report, then each month it touches is asked for whole', () => {
    expect(monthsOf({ from: '2024-12-20', to: '2025-02-03' })).toEqual([
      { from: '2024-12-01', to: '2024-12-31' },
      { from: '2025-01-01', to: '2025-01-31' },
      { from: '2025-02-01', to: '2025-02-28' },
    ])
    expect(monthsOf({ from: '2024-02-29', to: '2024-02-29' })).toEqual([
      { from: '2024-02-01', to: '2024-02-29' },
    ])
  })

  it('given the prepared capability, when checked against the evidence, then it names an assumed payments fact', () => {
    const fact = platform.evidence.find((f) => f.id === PAYMENTS.evidence)
    expect(fact).toMatchObject({ topic: 'payments', confidence: 'assumed' })
    expect(typeof platform.fetchPayments).toBe('function')
  })
})

function thrownBy(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected a throw')
}
