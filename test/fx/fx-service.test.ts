import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { strToU8, zipSync } from 'fflate'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FxFormatError, type FxRateRow } from '../../src/fx/ecb-format.ts'
import {
  type EcbSimulator,
  SIMULATED_CURRENCY_CODES,
  simulatedRate,
  startEcbSimulator,
} from '../../src/fx/ecb-simulator.ts'
import { fetchAndStoreEcbRates, fetchEcbRates, importRatesFile, storeRates } from '../../src/fx/fx.service.ts'
import { createHttpClient } from '../../src/http/http-client.ts'
import { createSsrfGuard, OutboundBlockedError, type SsrfGuard } from '../../src/http/ssrf-guard.ts'
import { openTestDatabase, type TestDatabase } from '../support/test-database.ts'

const FIXTURES = join(import.meta.dirname, 'fixtures')

interface StoredRow {
  source: string
  day: string
  currency: string
  rate: string
  imported_at: string
}

async function storedRows(db: TestDatabase): Promise<StoredRow[]> {
  return db.query<StoredRow>(
    `select source, day::text as day, currency, rate::text as rate, imported_at::text as imported_at
     from fx_rate order by source, day, currency`,
  )
}

const FRIDAY: FxRateRow[] = [
  { day: '2024-03-08', currency: 'USD', rate: '1.0900' },
  { day: '2024-03-08', currency: 'GBP', rate: '0.85123' },
  { day: '2024-03-08', currency: 'JPY', rate: '160.12' },
]

describe('storing rates', () => {
  let db: TestDatabase

  beforeAll(async () => {
    db = await openTestDatabase()
  })
  afterAll(async () => {
    await db?.close()
  })
  beforeEach(async () => {
    await db.query('delete from fx_rate')
  })

  it('given new rates, when stored twice, then the second run inserts and updates nothing and leaves every row as it was', async () => {
    expect(await storeRates(db, 'ECB', FRIDAY)).toEqual({ inserted: 3, updated: 0, unchanged: 0 })
    const before = await storedRows(db)
    expect(before.map((r) => [r.source, r.day, r.currency, r.rate])).toEqual([
      ['ECB', '2024-03-08', 'GBP', '0.85123'],
      ['ECB', '2024-03-08', 'JPY', '160.12'],
      ['ECB', '2024-03-08', 'USD', '1.0900'],
    ])
    expect(await storeRates(db, 'ECB', FRIDAY)).toEqual({ inserted: 0, updated: 0, unchanged: 3 })
    expect(await storedRows(db)).toEqual(before)
  })

  it('given a revised rate and a new day in small batches, when stored, then the counts tell inserted, updated and unchanged apart', async () => {
    await storeRates(db, 'ECB', FRIDAY)
    const next: FxRateRow[] = [
      { day: '2024-03-08', currency: 'USD', rate: '1.0901' },
      { day: '2024-03-08', currency: 'GBP', rate: '0.851230' },
      { day: '2024-03-08', currency: 'JPY', rate: '160.12' },
      { day: '2024-03-11', currency: 'USD', rate: '1.0925' },
      { day: '2024-03-11', currency: 'GBP', rate: '0.8520' },
    ]
    expect(await storeRates(db, 'ECB', next, { batchSize: 2 })).toEqual({
      inserted: 2,
      updated: 1,
      unchanged: 2,
    })
    const rows = await storedRows(db)
    expect(rows.find((r) => r.day === '2024-03-08' && r.currency === 'USD')?.rate).toBe('1.0901')
    // Numerically equal: the stored text is kept, so a re-import never churns rows.
    expect(rows.find((r) => r.day === '2024-03-08' && r.currency === 'GBP')?.rate).toBe('0.85123')
  })

  it('given the same day from the simulator and the ECB, when both are stored, then they live side by side under their sources', async () => {
    await storeRates(db, 'ECB', FRIDAY)
    expect(
      await storeRates(db, 'ECB-SIMULATED', [{ day: '2024-03-08', currency: 'USD', rate: '1.1111' }]),
    ).toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 0,
    })
    const usd = (await storedRows(db)).filter((r) => r.currency === 'USD').map((r) => [r.source, r.rate])
    expect(usd).toEqual([
      ['ECB', '1.0900'],
      ['ECB-SIMULATED', '1.1111'],
    ])
  })

  it('given invalid or duplicated rows, when stored, then an FxFormatError is thrown and nothing is written', async () => {
    await expect(
      storeRates(db, 'ECB', [...FRIDAY, { day: '2024-03-08', currency: 'USD', rate: '1.2' }]),
    ).rejects.toThrow(/USD is given twice for 2024-03-08/)
    await expect(
      storeRates(db, 'ECB', [...FRIDAY, { day: '2024-13-01', currency: 'CAD', rate: '1.4' }]),
    ).rejects.toThrow(FxFormatError)
    await expect(
      storeRates(db, 'ECB', [{ day: '2024-03-08', currency: 'CAD', rate: "1'; drop table fx_rate; --" }]),
    ).rejects.toThrow(/invalid rate/)
    // A number has already been through a binary float: only decimal text is stored.
    const float = { day: '2024-03-08', currency: 'CAD', rate: 1.47 as unknown as string }
    await expect(storeRates(db, 'ECB', [float])).rejects.toThrow(/invalid rate "1.47"/)
    expect(await storedRows(db)).toEqual([])
  })

  it('given downloaded XML, CSV and ZIP files, when imported, then their rates are stored and a second import changes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'affgraph-fx-'))
    try {
      const zipPath = join(dir, 'eurofxref-hist.zip')
      const csv = await readFile(join(FIXTURES, 'eurofxref-hist.csv'))
      await writeFile(zipPath, zipSync({ 'eurofxref-hist.csv': new Uint8Array(csv) }))
      const fromZip = await importRatesFile(db, zipPath)
      expect(fromZip).toEqual({
        source: 'ECB',
        days: 3,
        rates: 12,
        firstDay: '2022-12-30',
        lastDay: '2024-03-08',
        inserted: 12,
        updated: 0,
        unchanged: 0,
      })
      const fromXml = await importRatesFile(db, join(FIXTURES, 'eurofxref-daily.xml'))
      // USD, JPY and GBP of 2024-03-08 came with the zip already; CAD and IDR are new.
      expect(fromXml).toMatchObject({
        source: 'ECB',
        days: 1,
        rates: 5,
        inserted: 2,
        updated: 0,
        unchanged: 3,
      })
      const again = await importRatesFile(db, join(FIXTURES, 'eurofxref-hist.csv'))
      expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 12 })
      const simulatedCsv = join(dir, 'eurofxref-hist-simulated.csv')
      await writeFile(simulatedCsv, csv)
      expect(await importRatesFile(db, simulatedCsv)).toMatchObject({ source: 'ECB-SIMULATED', inserted: 12 })
      const broken = join(dir, 'broken.xml')
      await writeFile(broken, strToU8('<gesmes:Envelope>'))
      await expect(importRatesFile(db, broken)).rejects.toMatchObject({ code: 'FX_FORMAT_INVALID' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('fetching rates from the ECB simulator through the host HTTP client', () => {
  let db: TestDatabase
  let simulator: EcbSimulator
  let guard: SsrfGuard

  beforeAll(async () => {
    db = await openTestDatabase()
    simulator = await startEcbSimulator({ seed: 'fetch', from: '2024-01-01', to: '2024-03-13' })
    guard = createSsrfGuard({ allow: ['127.0.0.1'] })
  })
  afterAll(async () => {
    await guard?.close()
    await simulator?.close()
    await db?.close()
  })
  beforeEach(async () => {
    await db.query('delete from fx_rate')
  })

  const http = () => createHttpClient({ guard, retry: { attempts: 2, baseDelayMs: 10 } })

  it('given the daily file, when fetched and stored, then every row is labelled ECB-SIMULATED with the simulated rate', async () => {
    const result = await fetchAndStoreEcbRates(db, { http: http(), baseUrl: simulator.url, file: 'daily' })
    expect(result).toMatchObject({
      url: `${simulator.url}/stats/eurofxref/eurofxref-daily.xml`,
      source: 'ECB-SIMULATED',
      days: 1,
      firstDay: '2024-03-13',
      inserted: SIMULATED_CURRENCY_CODES.length,
    })
    const rows = await storedRows(db)
    expect(rows).toHaveLength(SIMULATED_CURRENCY_CODES.length)
    for (const row of rows) {
      expect(row.source).toBe('ECB-SIMULATED')
      expect(row.rate).toBe(simulatedRate('fetch', row.day, row.currency))
    }
  })

  it('given the 90-day file, when fetched twice, then the second store changes nothing', async () => {
    const first = await fetchAndStoreEcbRates(db, {
      http: http(),
      baseUrl: `${simulator.url}/`,
      file: 'hist-90d',
    })
    expect(first.days).toBe(52)
    expect(first.inserted).toBe(52 * SIMULATED_CURRENCY_CODES.length)
    const second = await fetchAndStoreEcbRates(db, { http: http(), baseUrl: simulator.url, file: 'hist-90d' })
    expect(second).toMatchObject({ inserted: 0, updated: 0, unchanged: first.inserted })
  })

  it('given a guard without the loopback allowance, when fetching, then the request is refused before it leaves', async () => {
    const strict = createSsrfGuard()
    try {
      const client = createHttpClient({ guard: strict })
      await expect(fetchEcbRates({ http: client, baseUrl: simulator.url })).rejects.toBeInstanceOf(
        OutboundBlockedError,
      )
    } finally {
      await strict.close()
    }
  })

  it('given a URL that answers something other than the rates file, when fetched, then a typed error says what went wrong', async () => {
    await expect(
      fetchEcbRates({ http: http(), baseUrl: `${simulator.url}/elsewhere` }),
    ).rejects.toMatchObject({
      code: 'PLATFORM_RESPONSE_FORMAT',
    })
  })
})
