import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ECB_FILE_PATHS, parseEcbXml, parseEcbZip, SIMULATED_SENDER_NAME } from '../../src/fx/ecb-format.ts'
import {
  addDays,
  type EcbSimulator,
  easterSunday,
  isTargetWorkingDay,
  SIMULATED_CURRENCIES,
  SIMULATED_CURRENCY_CODES,
  simulatedRate,
  startEcbSimulator,
} from '../../src/fx/ecb-simulator.ts'

describe('simulated rates', () => {
  it('given a seed, a day and a currency, when asked twice, then the same 4-decimal rate comes back', () => {
    const first = simulatedRate('alpha', '2024-03-08', 'USD')
    expect(first).toMatch(/^\d+\.\d{4}$/)
    expect(simulatedRate('alpha', '2024-03-08', 'USD')).toBe(first)
    expect(simulatedRate('beta', '2024-03-08', 'USD')).not.toBe(first)
  })

  it('given years of days, when every currency is sampled, then rates stay near realistic levels and move only a little per day', () => {
    for (const currency of SIMULATED_CURRENCY_CODES) {
      const level = SIMULATED_CURRENCIES[currency]!.level
      let previous: number | undefined
      for (let day = '2021-01-01'; day <= '2024-12-31'; day = addDays(day, 7)) {
        const rate = Number(simulatedRate('levels', day, currency))
        expect(rate / level, `${currency} on ${day}`).toBeGreaterThan(0.8)
        expect(rate / level, `${currency} on ${day}`).toBeLessThan(1.25)
        if (previous !== undefined) expect(Math.abs(rate / previous - 1), currency).toBeLessThan(0.08)
        previous = rate
      }
    }
    expect(simulatedRate('levels', '2024-03-08', 'BGN')).toBe('1.9558')
  })

  it('given a currency the ECB does not quote or a day before the euro, when asked, then a RangeError says so', () => {
    expect(() => simulatedRate('x', '2024-03-08', 'XYZ')).toThrow(RangeError)
    expect(() => simulatedRate('x', '1998-12-31', 'USD')).toThrow(/before 1999-01-01/)
  })

  it('given the TARGET calendar, when days are checked, then weekends and the closing days have no publication', () => {
    expect(easterSunday(2024)).toBe('2024-03-31')
    expect(easterSunday(2025)).toBe('2025-04-20')
    expect(easterSunday(2000)).toBe('2000-04-23')
    const closed = ['2024-01-01', '2024-03-29', '2024-04-01', '2024-05-01', '2024-12-25', '2024-12-26']
    const weekend = ['2024-03-09', '2024-03-10']
    const open = ['2024-03-08', '2024-03-28', '2024-04-02', '2024-12-24', '2024-12-27', '2024-01-02']
    for (const day of [...closed, ...weekend]) expect(isTargetWorkingDay(day), day).toBe(false)
    for (const day of open) expect(isTargetWorkingDay(day), day).toBe(true)
  })
})

describe('ECB simulator server', () => {
  let simulator: EcbSimulator
  const get = async (path: string) => {
    const response = await fetch(`${simulator.url}${path}`)
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      bytes: await response.bytes(),
    }
  }

  beforeAll(async () => {
    simulator = await startEcbSimulator({ seed: 'server', from: '2024-01-01', to: '2024-04-01' })
  })
  afterAll(async () => {
    await simulator?.close()
  })

  it('given "today" is Easter Monday, when the daily file is read, then it holds the Thursday before Good Friday', async () => {
    const { status, type, bytes } = await get(ECB_FILE_PATHS.daily)
    expect(status).toBe(200)
    expect(type).toBe('text/xml')
    const xml = new TextDecoder().decode(bytes)
    expect(xml).toContain(`<gesmes:name>${SIMULATED_SENDER_NAME}</gesmes:name>`)
    expect(xml).toContain("<Cube time='2024-03-28'>")
    const parsed = parseEcbXml(xml)
    expect(parsed.source).toBe('ECB-SIMULATED')
    expect(new Set(parsed.rates.map((r) => r.day))).toEqual(new Set(['2024-03-28']))
    expect(parsed.rates).toHaveLength(SIMULATED_CURRENCY_CODES.length)
    for (const row of parsed.rates) expect(row.rate).toBe(simulatedRate('server', row.day, row.currency))
  })

  it('given the history files, when read, then they hold every working day of their window, newest first, and nothing else', async () => {
    const hist = parseEcbXml(new TextDecoder().decode((await get(ECB_FILE_PATHS.hist)).bytes))
    const days = [...new Set(hist.rates.map((r) => r.day))]
    const expected: string[] = []
    for (let day = '2024-01-01'; day <= '2024-04-01'; day = addDays(day, 1)) {
      if (isTargetWorkingDay(day)) expected.push(day)
    }
    expect(days).toEqual(expected)
    expect(days).not.toContain('2024-01-01')
    expect(days).not.toContain('2024-03-29')
    const xml = new TextDecoder().decode((await get(ECB_FILE_PATHS.hist)).bytes)
    expect(xml.indexOf("time='2024-03-28'")).toBeLessThan(xml.indexOf("time='2024-01-02'"))

    const recent = parseEcbXml(new TextDecoder().decode((await get(ECB_FILE_PATHS['hist-90d'])).bytes))
    const recentDays = [...new Set(recent.rates.map((r) => r.day))]
    expect(recentDays).toEqual(expected.filter((d) => d > '2024-01-02'))
  })

  it('given the hist zip, when read, then its CSV holds exactly the rates of the hist XML and is labelled simulated', async () => {
    const { status, type, bytes } = await get(ECB_FILE_PATHS.histZip)
    expect(status).toBe(200)
    expect(type).toBe('application/zip')
    const fromZip = parseEcbZip(bytes)
    expect(fromZip.source).toBe('ECB-SIMULATED')
    const fromXml = parseEcbXml(new TextDecoder().decode((await get(ECB_FILE_PATHS.hist)).bytes))
    expect(fromZip.rates).toEqual(fromXml.rates)
  })

  it('given an unknown path, when requested, then the simulator answers 404 and logs the request', async () => {
    expect((await get('/stats/eurofxref/eurofxref.zip')).status).toBe(404)
    expect(simulator.log.at(-1)).toMatchObject({ method: 'GET', path: '/stats/eurofxref/eurofxref.zip' })
  })
})
