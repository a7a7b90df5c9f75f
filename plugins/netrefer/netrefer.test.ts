import {
  addDecimals,
  createGroundTruth,
  type DateWindow,
  defaultTruthAccounts,
  type FaultName,
  projectRows,
} from 'affgraph/sdk'
import { beforeAll, describe, expect, it } from 'vitest'
import { type PluginHarness, sortRows, usePluginTest } from '../../test/support/plugin-harness.ts'
import { MAPPED_BREAKDOWNS, MAPPED_METRICS } from './map.ts'
import type { NetReferSimulator, NetReferSimulatorOptions } from './simulator.ts'

const MARCH: DateWindow = { from: '2025-03-01', to: '2025-03-10' }
const tokenRequests = (sim: NetReferSimulator) =>
  sim.log.filter((e) => e.path.endsWith('/oauth2/v2.0/token')).length
const reportRequests = (sim: NetReferSimulator) => sim.log.filter((e) => e.path.startsWith('/dpm/'))

/** Every token any simulator of this file issued, for the secret sweep at the end. */
const tokensIssued = new Set<string>()
const t = usePluginTest<NetReferSimulator, NetReferSimulatorOptions>(new URL('.', import.meta.url), {
  seed: 'netrefer-test',
  beforeClose: (sim) => {
    for (const token of sim.issuedTokens) tokensIssued.add(token)
  },
})
let impatient: PluginHarness
beforeAll(async () => {
  impatient = await t.variant({ totalTimeoutMs: 400, attempts: 2 })
})
const errorsSeen: unknown[] = []

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!error) throw new Error('expected the call to fail')
  errorsSeen.push(error)
  return error as Error & { code: string; field?: string; retryAfterMs?: number }
}

describe('netrefer token handling against the simulator', () => {
  it('given a check and two fetches, when run for one account, then one token serves them all', async () => {
    const sim = await t.sim()
    const conn = t.harness.parse(sim.accounts[0]!.connection)
    expect(await t.check(conn, { accountKey: 'cache' })).toEqual({
      accountName: sim.accounts[0]!.connection.affiliateId,
    })
    await t.fetch(sim, MARCH, { accountKey: 'cache' })
    const rows = await t.fetch(sim, { from: '2025-04-01', to: '2025-04-03' }, { accountKey: 'cache' })
    expect(sortRows(rows)).toEqual(
      sortRows(sim.truth(sim.accounts[0]!.key, { from: '2025-04-01', to: '2025-04-03' })),
    )
    expect(tokenRequests(sim)).toBe(1)
    expect(reportRequests(sim)).toHaveLength(3)
  })

  it('given a token the report API calls expired, when fetched, then it is renewed once and the rows are the truth', async () => {
    const sim = await t.sim()
    sim.faults.inject('expired-token', { times: 1 })
    const rows = await t.fetch(sim, MARCH)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, MARCH)))
    expect(tokenRequests(sim)).toBe(2)
    expect(reportRequests(sim)).toHaveLength(2)
  })

  it('given every token refused, when fetched, then an AuthError follows exactly one renewal', async () => {
    const sim = await t.sim()
    sim.faults.inject('expired-token')
    const error = await failure(t.fetch(sim, MARCH))
    expect(error).toMatchObject({ code: 'PLATFORM_AUTH', field: 'username' })
    expect(tokenRequests(sim)).toBe(2)
    expect(reportRequests(sim)).toHaveLength(2)
  })

  it('given a token whose lifetime ran out, when fetched again, then a new token is asked for before any 401', async () => {
    const sim = await t.sim({ tokenLifetimeS: 1 })
    await t.fetch(sim, MARCH, { accountKey: 'short-lived' })
    await new Promise((r) => setTimeout(r, 700))
    await t.fetch(sim, MARCH, { accountKey: 'short-lived' })
    expect(tokenRequests(sim)).toBe(2)
    expect(reportRequests(sim), 'no report call was refused and repeated').toHaveLength(2)
  })

  it('given a refused password, when checked, then an AuthError names the password after one request, never retried', async () => {
    const sim = await t.sim()
    const error = await failure(
      t.check(sim.invalidConnection(), {
        accountKey: 'bad',
      }),
    )
    expect(error).toMatchObject({ code: 'PLATFORM_AUTH', field: 'password' })
    expect(error.message).toMatch(/AADSTS50126/)
    expect(sim.log).toHaveLength(1)
  })

  it('given each wrong credential, when checked, then the AuthError names that field', async () => {
    const sim = await t.sim()
    const good = sim.accounts[0]!.connection
    const other = sim.accounts[1]!.connection
    const cases: [Record<string, string>, string][] = [
      [{ clientSecret: `${good.clientSecret}x` }, 'clientSecret'],
      [{ username: 'nobody@example-netrefer-client.test' }, 'username'],
      [{ clientId: '00000000-0000-4000-8000-000000000000' }, 'clientId'],
      [{ scope: 'api://someone-else/Reports.Read' }, 'scope'],
      [
        { tokenUrl: sim.tokenUrl.replace(/\/[0-9a-f-]{36}\//, '/11111111-2222-4333-8444-555555555555/') },
        'tokenUrl',
      ],
      [{ affiliateId: other.affiliateId! }, 'affiliateId'],
    ]
    for (const [change, field] of cases) {
      const error = await failure(
        t.check(
          { ...good, ...change },
          {
            accountKey: `f-${field}`,
          },
        ),
      )
      expect(error, field).toMatchObject({ code: 'PLATFORM_AUTH', field })
    }
  })
})

describe('netrefer windows and reports against the simulator', () => {
  it('given a window over three months, when the host runs it, then the simulator only ever sees one month per request', async () => {
    const sim = await t.sim()
    const window = { from: '2025-01-20', to: '2025-03-10' }
    const rows = await t.fetch(sim, window)
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, window)))
    const asked = reportRequests(sim).map((e) => e.path.split('/').slice(-2))
    expect(asked).toEqual([
      ['2025-01-20', '2025-01-31'],
      ['2025-02-01', '2025-02-28'],
      ['2025-03-01', '2025-03-10'],
    ])
  })

  it('given a month-crossing window handed to the plugin directly, when fetched, then the simulator refuses it', async () => {
    const sim = await t.sim()
    const conn = t.harness.parse(sim.accounts[0]!.connection)
    const error = await failure(
      t.harness.platform.definition.fetchReport(t.harness.context(conn), conn, {
        from: '2025-01-31',
        to: '2025-02-01',
      }),
    )
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT' })
    expect(error.message).toMatch(/same month and year/)
  })

  it('given a window before any activity, when fetched, then the report is asked for and is empty', async () => {
    const sim = await t.sim()
    expect(await t.fetch(sim, { from: '2019-01-01', to: '2019-01-20' })).toEqual([])
    expect(reportRequests(sim)).toHaveLength(1)
  })

  it('given the fetched rows, when compared with the truth, then unmapped metrics are null, never zero', async () => {
    const sim = await t.sim()
    const rows = await t.fetch(sim, MARCH)
    expect(rows.length).toBeGreaterThan(10)
    for (const row of rows) {
      expect(row.depositCount).toBeNull()
      expect(row.cpaCount).toBeNull()
      expect(row.salesAmount).toBeNull()
      expect(row.commission).toMatch(/^-?\d+(\.\d+)?$/)
      expect(row.currency).toMatch(/^[A-Z]{3}$/)
    }
    expect(sortRows(rows)).toEqual(sortRows(sim.truth(sim.accounts[0]!.key, MARCH)))
  })

  it('given the second account (pasted report URL, explicit settings), when checked and fetched, then it works', async () => {
    const sim = await t.sim()
    const conn = t.harness.parse(sim.accounts[1]!.connection)
    expect(conn.baseUrl).toBe(sim.baseUrl)
    expect(await t.check(conn, { accountKey: 'second' })).toEqual({
      accountName: conn.affiliateId,
    })
    expect(sortRows(await t.fetch(sim, MARCH, { accountKey: 'second', index: 1 }))).toEqual(
      sortRows(sim.truth(sim.accounts[1]!.key, MARCH)),
    )
  })

  it('given a report type code the API does not serve, when fetched, then a format error points at the URL settings', async () => {
    const sim = await t.sim({ reportTypeCode: 'DAILY' })
    const conn = { ...sim.accounts[0]!.connection, reportTypeCode: 'DAR' }
    const error = await failure(t.fetch(t.harness.parse(conn), MARCH, { accountKey: 'code' }))
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT', field: 'baseUrl' })
    expect(await t.fetch(sim, MARCH)).toEqual(sim.truth(sim.accounts[0]!.key, MARCH))
  })

  it('given a revised day, when fetched again, then the rows follow the revision and equal the truth', async () => {
    const sim = await t.sim()
    const key = sim.accounts[0]!.key
    const before = sim.truth(key, MARCH)
    sim.revise(key, '2025-03-04')
    const after = sim.truth(key, MARCH)
    expect(after).not.toEqual(before)
    expect(sortRows(await t.fetch(sim, MARCH))).toEqual(sortRows(after))
  })

  it('given the same seed, when the truth is asked for, then it is the shared ground truth projected', async () => {
    const sim = await t.sim()
    const spec = defaultTruthAccounts(2, 'netrefer-test')[0]!
    const shared = projectRows(createGroundTruth('netrefer-test').rows(spec, MARCH), {
      metrics: MAPPED_METRICS,
      breakdowns: MAPPED_BREAKDOWNS,
    })
    expect(sim.truth(spec.key, MARCH)).toEqual(shared)
  })
})

describe('netrefer faults', () => {
  const truthOf = (sim: NetReferSimulator) => sortRows(sim.truth(sim.accounts[0]!.key, MARCH))

  for (const fault of ['outage', 'rate-limit', 'slow', 'truncated', 'connection-reset'] as const) {
    it(`given one ${fault}, when fetched, then the host retries and the rows are the truth`, async () => {
      const sim = await t.sim()
      sim.faults.inject(fault, { times: 1, delayMs: fault === 'slow' ? 200 : 100 })
      expect(sortRows(await t.fetch(sim, MARCH))).toEqual(truthOf(sim))
      expect(sim.faults.hits(fault)).toBe(1)
    })
  }

  const lasting: [FaultName, string, { field?: string }][] = [
    ['outage', 'PLATFORM_UNAVAILABLE', {}],
    ['rate-limit', 'PLATFORM_RATE_LIMITED', {}],
    ['truncated', 'PLATFORM_UNAVAILABLE', {}],
    ['connection-reset', 'PLATFORM_UNAVAILABLE', {}],
    ['malformed', 'PLATFORM_RESPONSE_FORMAT', { field: 'baseUrl' }],
    ['missing-permission', 'PLATFORM_AUTH', { field: 'scope' }],
  ]
  for (const [fault, code, extra] of lasting) {
    it(`given a lasting ${fault}, when fetched, then the error is ${code}`, async () => {
      const sim = await t.sim()
      sim.faults.inject(fault, { delayMs: 100 })
      const error = await failure(t.fetch(sim, MARCH))
      expect(error).toMatchObject({ code, ...extra })
      if (fault === 'rate-limit') expect(error.retryAfterMs).toBe(1000)
      if (fault === 'missing-permission') expect(error.message).toMatch(/Reports\.Read/)
    })
  }

  it('given a platform that stops answering, when fetched with a short deadline, then it is unavailable', async () => {
    const sim = await t.sim()
    sim.faults.inject('slow', { delayMs: 3_000 })
    const error = await failure(
      impatient.runner.fetchReport(impatient.platform, impatient.parse(sim.accounts[0]!.connection), MARCH, {
        accountKey: 'slow',
      }),
    )
    expect(error.code).toBe('PLATFORM_UNAVAILABLE')
  })
})

describe('netrefer payments (Period Invoice Report, format assumed)', () => {
  const payments = (sim: NetReferSimulator, window: DateWindow, conn = t.conn(sim)) =>
    t.harness.platform.definition.fetchPayments!(t.harness.context(conn, t.key()), conn, window)
  const invoiceRequests = (sim: NetReferSimulator) =>
    reportRequests(sim).filter((e) => e.path.split('/')[3] === 'PIR')

  /** What the month's invoices must be, from the truth alone: commission per brand and currency. */
  function expectedMonth(sim: NetReferSimulator, from: string, to: string, paidOn: string) {
    const sums = new Map<string, { brand: string | null; currency: string; amounts: string[] }>()
    for (const r of sim.truth(sim.accounts[0]!.key, { from, to })) {
      if (r.commission === null || r.currency === null) continue
      const key = `${r.brand}|${r.currency}`
      const sum = sums.get(key) ?? { brand: r.brand, currency: r.currency, amounts: [] }
      sum.amounts.push(r.commission)
      sums.set(key, sum)
    }
    return [...sums.values()].map((s) => ({
      periodFrom: from,
      periodTo: to,
      paidOn,
      amount: addDecimals(...s.amounts),
      currency: s.currency,
      brand: s.brand,
      description: 'Paid',
    }))
  }
  const withoutReference = (rows: object[]) =>
    rows
      .map((row) => ({ ...row, reference: undefined }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

  it('given the simulator, when payments are fetched for a two-month window, then one call per whole month gives exactly the invoices of the truth', async () => {
    const sim = await t.sim()
    const rows = await payments(sim, { from: '2025-03-05', to: '2025-04-20' })
    const expected = [
      ...expectedMonth(sim, '2025-03-01', '2025-03-31', '2025-04-15'),
      ...expectedMonth(sim, '2025-04-01', '2025-04-30', '2025-05-15'),
    ]
    expect(expected.length).toBeGreaterThan(1)
    expect(withoutReference(rows)).toEqual(withoutReference(expected))
    const affiliate = sim.accounts[0]!.connection.affiliateId
    for (const row of rows) expect(row.reference).toMatch(new RegExp(`^INV-${affiliate}-20250[34]-\\d+$`))
    expect(new Set(rows.map((r) => r.reference)).size).toBe(rows.length)
    expect(invoiceRequests(sim).map((e) => e.path.split('/').slice(-2))).toEqual([
      ['2025-03-01', '2025-03-31'],
      ['2025-04-01', '2025-04-30'],
    ])
    expect(
      await payments(sim, { from: '2025-04-30', to: '2025-04-30' }),
      'a re-read keeps the references',
    ).toEqual(rows.filter((r) => r.periodFrom === '2025-04-01'))
  })

  it('given a month still running, when payments are fetched, then there is no invoice for it yet', async () => {
    const sim = await t.sim()
    const today = t.harness.context().now().toISOString().slice(0, 10)
    expect(await payments(sim, { from: today, to: today })).toEqual([])
  })

  it('given invoices without a currency, when fetched, then a format error names what is missing, says the format is unpublished and leaks no secret', async () => {
    const sim = await t.sim({ omitInvoiceField: 'currency' })
    const error = await failure(payments(sim, { from: '2025-03-01', to: '2025-03-31' }))
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT' })
    expect(error.message).toMatch(/has no currency/)
    expect(error.message).toMatch(/does not publish the format/)
    const c = sim.accounts[0]!.connection
    for (const secret of [c.clientSecret!, c.password!, ...sim.issuedTokens])
      expect(`${error.message}\n${JSON.stringify(error)}`.includes(secret)).toBe(false)
  })

  it('given invoices without an amount, when fetched, then the error says the amount is missing', async () => {
    const sim = await t.sim({ omitInvoiceField: 'amount' })
    const error = await failure(payments(sim, { from: '2025-03-01', to: '2025-03-31' }))
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT' })
    expect(error.message).toMatch(/has no amount/)
  })

  it('given a web page instead of the report, when payments are fetched, then a format error points at the base URL', async () => {
    const sim = await t.sim()
    sim.faults.inject('malformed')
    const error = await failure(payments(sim, { from: '2025-03-01', to: '2025-03-31' }))
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT', field: 'baseUrl' })
  })

  it('given an invoice report code the API does not serve, when fetched, then the error names the assumed code and the field to set', async () => {
    const sim = await t.sim({ invoiceReportTypeCode: 'INV' })
    const conn = t.harness.parse({ ...sim.accounts[0]!.connection, invoiceReportTypeCode: '' })
    const error = await failure(payments(sim, { from: '2025-03-01', to: '2025-03-31' }, conn))
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_FORMAT', field: 'invoiceReportTypeCode' })
    expect(error.message).toMatch(/"PIR"/)
    expect((await payments(sim, { from: '2025-03-01', to: '2025-03-31' })).length).toBeGreaterThan(0)
  })
})

describe('netrefer secrets', () => {
  it('given every call of this file, when logs and errors are swept, then no credential or token appears', async () => {
    const sim = await t.sim()
    sim.faults.inject('expired-token')
    await failure(t.fetch(sim, MARCH))
    sim.faults.clear()
    await failure(
      t.check(sim.invalidConnection(), {
        accountKey: 's',
      }),
    )
    const secrets = [
      ...sim.accounts.flatMap((a) => [a.connection.clientSecret!, a.connection.password!]),
      sim.invalidConnection().password!,
      ...sim.issuedTokens,
      ...tokensIssued,
    ]
    expect(tokensIssued.size).toBeGreaterThan(10)
    expect(errorsSeen.length).toBeGreaterThan(10)
    const haystacks = [
      t.harness.logs.text(),
      impatient.logs.text(),
      ...errorsSeen.map((e) => {
        const err = e as Error & { cause?: unknown }
        return `${err.message}\n${err.stack}\n${JSON.stringify(err)}\n${String(err.cause)}`
      }),
    ]
    for (const secret of secrets)
      for (const hay of haystacks) expect(hay.includes(secret), 'a secret leaked').toBe(false)
  })
})
