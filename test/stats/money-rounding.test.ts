import { describe, expect, it } from 'vitest'
import { isIso4217Code, minorUnitOf } from '../../src/fx/currency-codes.ts'
import { roundDecimal } from '../../src/sdk/index.ts'

/** What `Money.amount` shows for an exact amount in a currency: its minor unit, half away from zero. */
const amountIn = (exact: string, currency: string) => roundDecimal(exact, minorUnitOf(currency))

describe('money rounding', () => {
  it.each([
    ['0.125', 2, '0.13'],
    ['0.135', 2, '0.14'],
    ['2.345', 2, '2.35'],
    ['0.1249999999999999999999', 2, '0.12'],
    ['0.0050000000000000000001', 2, '0.01'],
    ['0.5', 0, '1'],
    ['1.5', 0, '2'],
    ['2.5', 0, '3'],
  ])(
    'given the half case %s, when rounded to %i places, then it goes away from zero: %s',
    (exact, digits, out) => {
      expect(roundDecimal(exact, digits)).toBe(out)
    },
  )

  it.each([
    ['-0.125', 2, '-0.13'],
    ['-2.5', 0, '-3'],
    ['-0.124', 2, '-0.12'],
    ['-0.004', 2, '0.00'],
    ['-0.0049', 2, '0.00'],
    ['-999.995', 2, '-1000.00'],
  ])(
    'given the negative amount %s, when rounded to %i places, then it mirrors the positive one: %s',
    (exact, digits, out) => {
      expect(roundDecimal(exact, digits)).toBe(out)
    },
  )

  it('given amounts with fewer places than the minor unit, when rounded, then they are written with exactly that many', () => {
    expect(roundDecimal('12', 2)).toBe('12.00')
    expect(roundDecimal('12.3', 2)).toBe('12.30')
    expect(roundDecimal('0', 3)).toBe('0.000')
    expect(roundDecimal('+7.1', 2)).toBe('7.10')
    expect(roundDecimal('007.10', 2)).toBe('7.10')
  })

  it('given JPY (no minor unit), when an amount is rounded, then it is whole yen', () => {
    expect(minorUnitOf('JPY')).toBe(0)
    expect(amountIn('1234.5', 'JPY')).toBe('1235')
    expect(amountIn('1234.4999', 'JPY')).toBe('1234')
    expect(amountIn('-1234.5', 'JPY')).toBe('-1235')
  })

  it('given KWD and BHD (fils, 3 places), when an amount is rounded, then it keeps three places', () => {
    expect(minorUnitOf('KWD')).toBe(3)
    expect(minorUnitOf('BHD')).toBe(3)
    expect(amountIn('1.2345', 'KWD')).toBe('1.235')
    expect(amountIn('-1.2344', 'BHD')).toBe('-1.234')
    expect(amountIn('10', 'KWD')).toBe('10.000')
  })

  it('given currencies whose display digits in Intl differ from ISO 4217, when their minor unit is asked, then ISO 4217 wins', () => {
    // CLDR shows HUF and IDR without decimals and IQD with none; ISO 4217 gives them 2, 2 and 3.
    expect([minorUnitOf('HUF'), minorUnitOf('IDR'), minorUnitOf('IQD')]).toEqual([2, 2, 3])
    expect([minorUnitOf('EUR'), minorUnitOf('USD'), minorUnitOf('CLF')]).toEqual([2, 2, 4])
  })

  it('given a converted total with 28 decimal places and amounts far beyond 2^53, when rounded, then every digit is kept exactly', () => {
    expect(amountIn('217527.0010111233608612223917', 'EUR')).toBe('217527.00')
    expect(amountIn('217527.0050000000000000000000', 'EUR')).toBe('217527.01')
    expect(amountIn('123456789012345678901234567890.995', 'USD')).toBe('123456789012345678901234567891.00')
    expect(amountIn('-9007199254740993.5', 'JPY')).toBe('-9007199254740994')
  })

  it('given a code ISO 4217 does not list, when an amount in it is rounded, then it falls back to 2 places', () => {
    expect(isIso4217Code('ABC')).toBe(false)
    expect(minorUnitOf('ABC')).toBe(2)
    expect(amountIn('1.005', 'ABC')).toBe('1.01')
    // Codes without a minor unit in ISO 4217 (gold, the test code) fall back the same way.
    expect(isIso4217Code('XAU')).toBe(true)
    expect(minorUnitOf('XAU')).toBe(2)
  })

  it('given ratios, when rounded to 4 places, then a fraction of a cent per click survives', () => {
    expect(roundDecimal('0.072500000000000000', 4)).toBe('0.0725')
    expect(roundDecimal('0.00005', 4)).toBe('0.0001')
    expect(roundDecimal('0.3333333333333333', 4)).toBe('0.3333')
  })

  it('given a value that is no decimal or a negative number of places, when rounded, then it is refused', () => {
    expect(() => roundDecimal('1e5', 2)).toThrow(/not a decimal/)
    expect(() => roundDecimal('1.5', -1)).toThrow(RangeError)
  })
})
