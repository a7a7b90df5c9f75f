import { describe, expect, it } from 'vitest'
import { pastedAddressSchema, pastedParameter, readAmount, readCount } from '../../src/sdk/index.ts'

describe('pastedParameter', () => {
  it.each([
    ['s15Sl4xmfA', 's15Sl4xmfA'],
    ['  "s15Sl4xmfA" ', 's15Sl4xmfA'],
    ['api_key=s15Sl4xmfA', 's15Sl4xmfA'],
    ['API_KEY: s15Sl4xmfA', 's15Sl4xmfA'],
    ['https://x.example/a.asmx/M?affiliate_id=2699&api_key=s15Sl4xmfA&date=06/01/2013', 's15Sl4xmfA'],
    ['https://x.example/a?api_key=a%2Bb%3D', 'a+b='],
  ])('given %j, when the api_key is read, then it is %j', (input, value) => {
    expect(pastedParameter(input, 'api_key')).toBe(value)
  })

  it('given a parameter name with regular-expression characters, when read, then it is matched literally', () => {
    expect(pastedParameter('?fields[]=x&fieldsX=y', 'fields[]')).toBe('x')
  })
})

describe('pastedAddressSchema', () => {
  const schema = pastedAddressSchema({ cutAt: 'api', example: 'https://boapi.smartico.ai/' })

  it.each([
    ['boapi.smartico.ai', 'https://boapi.smartico.ai'],
    ['https://boapi.smartico.ai/', 'https://boapi.smartico.ai'],
    ['https://boapi.smartico.ai/API/af2_media_report_af?date_from=2022-07-12#x', 'https://boapi.smartico.ai'],
    ['http://host.example:8080/prefix/api/x', 'http://host.example:8080/prefix'],
    ['https://host.example/prefix/login.ashx?ReturnUrl=%2f', 'https://host.example/prefix'],
    ['https://host.example/prefix', 'https://host.example/prefix'],
  ])('given %j, when parsed, then it is %j and parses to itself again', (input, address) => {
    expect(schema.parse(input)).toBe(address)
    expect(schema.parse(address)).toBe(address)
  })

  it.each([
    ['ftp://host.example/api', /http\(s\)/],
    ['https://user:pw@host.example/', /user name or password/],
    ['https://', /web address such as https:\/\/boapi\.smartico\.ai\//],
    ['', /required/],
  ])('given %j, when parsed, then it is refused saying why', (input, message) => {
    expect(schema.safeParse(input).error?.issues[0]?.message).toMatch(message)
  })
})

describe('readCount and readAmount', () => {
  it.each([
    [12, 12],
    ['12', 12],
    [' 12.0000 ', 12],
    [null, null],
    ['', null],
    [undefined, null],
    [1.5, undefined],
    ['-1', undefined],
    ['1,000', undefined],
    [{}, undefined],
  ])('given the count %j, when read, then it is %j', (value, count) => {
    expect(readCount(value)).toBe(count)
  })

  it.each([
    ['12.50000', '12.5'],
    [-120.25, '-120.25'],
    [0.1, '0.1'],
    [12345678.91, '12345678.91'],
    [null, null],
    ['', null],
    ['1,5', undefined],
    [1e21, undefined],
    [Number.NaN, undefined],
    [true, undefined],
  ])('given the amount %j, when read, then it is %j', (value, amount) => {
    expect(readAmount(value)).toBe(amount)
  })
})
