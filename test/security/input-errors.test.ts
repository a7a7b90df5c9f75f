import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withoutInputValue } from '../../src/security/input-errors.ts'
import { expectNoSecret } from '../graphql/graphql-helpers.ts'
import { plantCanary } from '../support/log-sink.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

/**
 * graphql-js quotes a variable it cannot coerce in full; for a connection input that is the user's key. These
 * answers must name the variable and the reason, with the code BAD_USER_INPUT, and never the value.
 */
describe('variables that cannot be coerced', () => {
  let t: TestApp
  let token: string
  const secret = plantCanary(`affgraph-canary-${randomBytes(10).toString('hex')}`)
  const TEST = `mutation ($c: ConnectionInput!) { testConnection(input: $c) { __typename } }`

  beforeAll(async () => {
    t = await createTestApp()
    token = (await t.workspace('input-errors')).token
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'an unknown field beside the key',
      { softSwiss: { baseUrl: 'https://p.example.com', token: secret, extra: 1 } },
      /Field "extra" is not defined/,
    ],
    [
      'a key sent as a number in an object',
      { softSwiss: { baseUrl: 'https://p.example.com', token: { secret } } },
      /./,
    ],
    ['a missing URL next to the key', { softSwiss: { token: secret } }, /baseUrl/],
    [
      'two platforms in a oneOf input',
      { softSwiss: { baseUrl: 'https://p.example.com', token: secret }, clickBank: { apiKey: secret } },
      /./,
    ],
  ]
  for (const [name, connection, reason] of cases) {
    it(`given ${name}, when testConnection is called, then the answer names the variable and the reason and holds no key`, async () => {
      const { status, body } = await t.gql(TEST, { c: connection }, token)
      expect(status).toBeGreaterThanOrEqual(200)
      const error = body.errors?.[0]
      expect(error?.message).toMatch(/^Variable "\$c" got an invalid value/)
      expect(error?.message).toMatch(reason)
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT')
      expect(body.data).toBeUndefined()
      expectNoSecret(JSON.stringify(body), [secret], 'the answer')
    })
  }

  it('given the messages graphql-js writes, when rewritten, then the value and any scalar quote of it are gone', () => {
    expect(
      withoutInputValue(
        'Variable "$n" got invalid value "12; x"; Int cannot represent non-integer value: "12; x"',
        'Int cannot represent non-integer value: "12; x"',
      ),
    ).toBe('Variable "$n" got an invalid value: Int cannot represent non-integer value.')
    expect(
      withoutInputValue(
        'Variable "$c" got invalid value { a: "k" } at "c.a"; Field "a" is not defined by type "X".',
      ),
    ).toBe('Variable "$c" got an invalid value: Field "a" is not defined by type "X".')
    expect(withoutInputValue('Cannot query field "x" on type "Query".')).toBeUndefined()
  })

  it('given everything this file sent, when the server log is read, then the key is in no line', () => {
    expectNoSecret(t.logs.text(), [secret], 'server log')
  })
})
