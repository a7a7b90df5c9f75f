import { describe, expect, it } from 'vitest'
import {
  addDecimals,
  baseUrlSchema,
  emptyToUndefined,
  errorExcerpt,
  type HttpResponse,
  isTimeZone,
  splitDecimal,
  timeZoneSchema,
} from '../../src/sdk/index.ts'

const answer = (text: string): HttpResponse => ({
  status: 400,
  headers: {},
  url: 'https://api.example.com/report',
  text,
  json: () => JSON.parse(text),
})

describe('SDK helpers for plugins and simulators', () => {
  it.each([
    ['100.01', 3, ['33.34', '33.34', '33.33']],
    ['0.05', 7, ['0.01', '0.01', '0.01', '0.01', '0.01', '0', '0']],
    ['12.3456', 2, ['6.1756', '6.17']],
    ['-10.00', 3, ['-3.34', '-3.33', '-3.33']],
    ['7', 1, ['7']],
  ])(
    'given %s split into %i, when split, then the parts are whole cents and add up to it exactly',
    (amount, parts, expected) => {
      const split = splitDecimal(amount, parts)
      expect(split).toEqual(expected)
      expect(addDecimals(...split)).toBe(addDecimals(amount))
    },
  )

  it('given an optional field, when empty, blank or set, then empty is undefined and a value must pass the inner schema', () => {
    const schema = emptyToUndefined(baseUrlSchema())
    expect(schema.parse('')).toBeUndefined()
    expect(schema.parse('   ')).toBeUndefined()
    expect(schema.parse(' https://api-eu.example.com/ ')).toBe('https://api-eu.example.com')
    expect(schema.safeParse('ftp://api.example.com').success).toBe(false)
  })

  it('given time zone names, when checked, then IANA names pass and others are refused with a message naming an example', () => {
    expect(isTimeZone('Europe/London')).toBe(true)
    expect(isTimeZone('Mars/Olympus')).toBe(false)
    expect(timeZoneSchema().parse(' UTC ')).toBe('UTC')
    expect(timeZoneSchema().safeParse('GMT+25').error?.issues[0]?.message).toMatch(/such as Europe\/London/)
  })

  it('given error bodies, when excerpted, then the named member is quoted, other text flattened and cut, never the whole body', () => {
    expect(errorExcerpt(answer('{"Status":"ERROR","Message":"Too wide"}'), ['Message'])).toBe('Too wide')
    expect(errorExcerpt(answer('{"error":{"nested":1}}'), ['error'])).toBe('{"error":{"nested":1}}')
    expect(errorExcerpt(answer(`<html>\n  ${'x'.repeat(200)}</html>`), ['Message'])).toMatch(/^<html> x+…$/)
    expect(errorExcerpt(answer(`<html>${'x'.repeat(200)}</html>`)).length).toBe(81)
  })
})
