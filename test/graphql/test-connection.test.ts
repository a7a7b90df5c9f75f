import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { decryptCredentials, type SealedCredentials } from '../../src/crypto/credential-cipher.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  type AccountResult,
  accountRowsText,
  bearer,
  CONNECT_ACCOUNT,
  connectSoftSwiss,
  fieldNames,
  ok,
  send,
  TEST_CONNECTION,
  USER_ERROR,
  type UserErrorResult,
} from './graphql-helpers.ts'

let t: TestApp
let sim: PlatformSimulator
let ws: { id: string; token: string }
/** The whole account table before each failure case; every failure must leave it byte for byte as it was. */
let rowsBefore: string[]

beforeAll(async () => {
  t = await createTestApp()
  sim = await softswiss.simulator.create({ seed: 'test-connection', accounts: 3 })
  ws = await t.workspace('test-connection')
  // One stored account, so "unchanged" compares real rows and not an empty table.
  await connectSoftSwiss(t, ws.token, sim.accounts[2]!.connection, { label: 'existing' })
  rowsBefore = await accountRowsText(t)
  expect(rowsBefore).toHaveLength(1)
})

afterAll(async () => {
  await sim?.close()
  await t?.close()
})

async function testConnection(
  input: Record<string, unknown>,
): Promise<UserErrorResult & { platform?: { id: string } }> {
  const data = await ok<{ testConnection: UserErrorResult & { platform?: { id: string } } }>(
    t,
    ws.token,
    TEST_CONNECTION,
    {
      input,
    },
  )
  return data.testConnection
}

const validToken = () => sim.accounts[0]!.connection.token!

describe('testConnection', () => {
  it('given a started SoftSwiss simulator and its account, when testConnection runs, then it succeeds, calls the program and saves nothing', async () => {
    const requests = sim.log.length
    const result = await testConnection({ softSwiss: sim.accounts[0]!.connection })
    expect(result).toEqual({
      __typename: 'TestConnectionSuccess',
      platform: { id: 'softswiss' },
      accountName: null,
      currency: null,
      timeZone: null,
    })
    expect(sim.log.slice(requests).map(({ method, path }) => ({ method, path }))).toEqual([
      { method: 'GET', path: '/api/customer/v1/partner/report/attributes' },
    ])
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })

  it('given a key the program refuses, when testConnection runs, then PlatformAuthError names the token field and nothing is saved', async () => {
    const result = await testConnection({ softSwiss: sim.invalidConnection() })
    expect(result.__typename).toBe('PlatformAuthError')
    expect(result.code).toBe('PLATFORM_AUTH_FAILED')
    expect(result.fields).toEqual([
      { path: ['input', 'softSwiss', 'token'], field: 'token', message: result.message },
    ])
    expect(result.message).toContain('HTTP 401')
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })

  it('given the program is down for maintenance, when testConnection runs, then PlatformUnavailableError and nothing is saved', async () => {
    sim.faults.inject('outage')
    try {
      const result = await testConnection({ softSwiss: sim.accounts[0]!.connection })
      expect(result.__typename).toBe('PlatformUnavailableError')
      expect(result.code).toBe('PLATFORM_UNAVAILABLE')
      expect(result.message).toContain('HTTP 503')
    } finally {
      sim.faults.clear('outage')
    }
    expect(sim.faults.hits('outage')).toBeGreaterThanOrEqual(1)
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })

  it.each([
    ['a private address', 'http://10.1.2.3'],
    ['the cloud metadata address', 'http://169.254.169.254'],
    ['a private address with a path', 'https://192.168.0.10/partners'],
  ])(
    'given a program URL at %s, when testConnection runs, then OutboundBlockedError names baseUrl and nothing is saved',
    async (_name, baseUrl) => {
      const requests = sim.log.length
      const result = await testConnection({ softSwiss: { baseUrl, token: validToken() } })
      expect(result.__typename).toBe('OutboundBlockedError')
      expect(result.code).toBe('OUTBOUND_BLOCKED')
      expect(fieldNames(result)).toEqual(['baseUrl'])
      expect(result.fields?.[0]?.path).toEqual(['input', 'softSwiss', 'baseUrl'])
      expect(result.message).toContain(new URL(baseUrl).hostname)
      expect(sim.log.length).toBe(requests)
      expect(await accountRowsText(t)).toEqual(rowsBefore)
    },
  )

  it('given each failing connection, when connectAccount is tried with it, then it returns the same typed error and saves nothing', async () => {
    const cases: [Record<string, string>, string][] = [
      [sim.invalidConnection(), 'PlatformAuthError'],
      [{ baseUrl: 'http://10.1.2.3', token: validToken() }, 'OutboundBlockedError'],
      [{ baseUrl: 'http://169.254.169.254', token: validToken() }, 'OutboundBlockedError'],
    ]
    for (const [connection, typename] of cases) {
      const data = await ok<{ connectAccount: AccountResult }>(t, ws.token, CONNECT_ACCOUNT, {
        input: { connection: { softSwiss: connection }, label: 'must not be saved' },
      })
      expect(data.connectAccount.__typename).toBe(typename)
      expect(data.connectAccount.account).toBeUndefined()
    }
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })
})

describe('input validation before any resolver', () => {
  const cases: [string, () => Record<string, string>, string][] = [
    ['a token that is too short', () => ({ baseUrl: sim.baseUrl, token: 'short' }), 'token'],
    [
      'a token with characters no token has',
      () => ({ baseUrl: sim.baseUrl, token: `${validToken()}!?` }),
      'token',
    ],
    [
      'an export link without a token',
      () => ({ baseUrl: sim.baseUrl, token: `${sim.baseUrl}/partner/stats?page=1` }),
      'token',
    ],
    ['an ftp base URL', () => ({ baseUrl: 'ftp://x', token: validToken() }), 'baseUrl'],
    ['a base URL that is not a URL', () => ({ baseUrl: 'not a url', token: validToken() }), 'baseUrl'],
    [
      'a base URL with a user name',
      () => ({ baseUrl: 'https://user:pw@partners.example.com', token: validToken() }),
      'baseUrl',
    ],
    ['a base URL with a query', () => ({ baseUrl: `${sim.baseUrl}?x=1`, token: validToken() }), 'baseUrl'],
  ]

  it.each(cases)(
    'given %s, when testConnection runs, then CREDENTIALS_INVALID names the field and the program is never called',
    async (_name, connection, field) => {
      const requests = sim.log.length
      const response = await send(
        t,
        TEST_CONNECTION,
        { input: { softSwiss: connection() } },
        bearer(ws.token),
      )
      expect(response.body.errors).toBeUndefined()
      const error = (response.body.data as { testConnection: UserErrorResult }).testConnection
      expect(error.__typename).toBe('CredentialsInvalidError')
      expect(error.code).toBe('CREDENTIALS_INVALID')
      const fields = error.fields!
      expect(fields.map((f) => f.path)).toEqual([['input', 'softSwiss', field]])
      expect(fields[0]!.field).toBe(field)
      expect(fields[0]!.message.length).toBeGreaterThan(0)
      expect(error.message).toContain(`${field}: `)
      expect(sim.log.length).toBe(requests)
      expect(await accountRowsText(t)).toEqual(rowsBefore)
    },
  )

  it.each(cases)(
    'given %s, when connectAccount runs, then CREDENTIALS_INVALID names the nested field and nothing is stored',
    async (_name, connection, field) => {
      const requests = sim.log.length
      const response = await send(
        t,
        CONNECT_ACCOUNT,
        { input: { connection: { softSwiss: connection() }, label: 'never stored' } },
        bearer(ws.token),
      )
      expect(response.body.errors).toBeUndefined()
      const error = (response.body.data as { connectAccount: UserErrorResult }).connectAccount
      expect(error.__typename).toBe('CredentialsInvalidError')
      expect(error.code).toBe('CREDENTIALS_INVALID')
      const fields = error.fields!
      expect(fieldNames(error)).toEqual([field])
      expect(fields[0]!.path).toEqual(['input', 'connection', 'softSwiss', field])
      expect(sim.log.length).toBe(requests)
      expect(await accountRowsText(t)).toEqual(rowsBefore)
    },
  )

  it('given both fields wrong at once, when testConnection runs, then both fields are named in one error', async () => {
    const response = await send(
      t,
      TEST_CONNECTION,
      { input: { softSwiss: { baseUrl: 'ftp://x', token: 'short' } } },
      bearer(ws.token),
    )
    const error = (response.body.data as { testConnection: UserErrorResult }).testConnection
    expect(error.__typename).toBe('CredentialsInvalidError')
    expect(fieldNames(error).sort()).toEqual(['baseUrl', 'token'])
  })

  it('given a malformed value written inline in the document, when testConnection runs, then the same field-level error comes back', async () => {
    const requests = sim.log.length
    const response = await send(
      t,
      `mutation { testConnection(input: { softSwiss: { baseUrl: "not a url", token: "${validToken()}" } }) { __typename ${USER_ERROR} } }`,
      {},
      bearer(ws.token),
    )
    const error = (response.body.data as { testConnection: UserErrorResult }).testConnection
    expect(error.code).toBe('CREDENTIALS_INVALID')
    expect(error.fields?.map((f) => f.path)).toEqual([['input', 'softSwiss', 'baseUrl']])
    expect(sim.log.length).toBe(requests)
  })

  it('given the whole export link pasted as the token, when testConnection runs, then the token is extracted and the program accepts it', async () => {
    const pasted = sim.accounts[1]!.connection
    expect(pasted.token).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/.*[?&]token=[A-Za-z0-9]+&page=1$/)
    const requests = sim.log.length
    const result = await testConnection({ softSwiss: pasted })
    expect(result.__typename).toBe('TestConnectionSuccess')
    expect(sim.log.length).toBe(requests + 1)
  })

  it('given the whole export link pasted as the token, when connectAccount runs, then only the bare token is stored', async () => {
    const pasted = sim.accounts[1]!.connection
    const bare = /[?&]token=([^&]+)/.exec(pasted.token!)![1]!
    const account = await connectSoftSwiss(t, ws.token, pasted, { label: 'pasted link' })
    expect(account.connectionFields.find((f) => f.name === 'token')).toEqual({
      name: 'token',
      isSet: true,
      hint: `…${bare.slice(-4)}`,
    })
    const [row] = await t.db.query<{ credentials: SealedCredentials }>(
      'select credentials from account where id = ?',
      [databaseIdOf(account.id)],
    )
    const opened = decryptCredentials(
      t.services.keyRing,
      row!.credentials,
      `account:${databaseIdOf(account.id)}`,
    )
    expect(opened).toEqual({ baseUrl: sim.baseUrl, token: bare })
    await ok(
      t,
      ws.token,
      'mutation($id: ID!) { disconnectAccount(input: { accountId: $id }) { __typename } }',
      {
        id: account.id,
      },
    )
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })
})

describe('platform selection', () => {
  it('given an unknown platform field in ConnectionInput, when testConnection runs with variables, then it is a validation error, with HTTP 400 and nothing run', async () => {
    const requests = sim.log.length
    const response = await send(
      t,
      TEST_CONNECTION,
      { input: { fooBar: { baseUrl: sim.baseUrl, token: validToken() } } },
      bearer(ws.token),
    )
    expect(response.status).toBe(400)
    expect(response.body).not.toHaveProperty('data')
    expect(response.body.errors?.map((e) => e.message).join('\n')).toContain(
      'Field "fooBar" is not defined by type "ConnectionInput"',
    )
    expect(sim.log.length).toBe(requests)
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })

  it('given an unknown platform field written inline, when connectAccount runs, then the document fails validation and nothing is stored', async () => {
    const response = await send(
      t,
      `mutation { connectAccount(input: { connection: { fooBar: { baseUrl: "${sim.baseUrl}", token: "${validToken()}" } } }) { __typename } }`,
      {},
      bearer(ws.token),
    )
    // A document that fails validation is never executed: no `data` key at all (Yoga answers such documents with
    // 200 to `accept: application/json`, as the GraphQL-over-HTTP spec allows for that media type).
    expect(response.body).not.toHaveProperty('data')
    expect(response.body.errors?.[0]?.message).toContain(
      'Field "fooBar" is not defined by type "ConnectionInput"',
    )
    expect(await accountRowsText(t)).toEqual(rowsBefore)
  })

  it('given no platform at all, when testConnection runs, then the oneOf rule rejects it and nothing is run', async () => {
    const requests = sim.log.length
    const response = await send(t, TEST_CONNECTION, { input: {} }, bearer(ws.token))
    expect(response.status).toBe(400)
    expect(response.body.errors?.[0]?.message).toContain(
      'Exactly one key must be specified for OneOf type "ConnectionInput"',
    )
    expect(sim.log.length).toBe(requests)
  })

  it('given softSwiss set to null, when testConnection runs, then the oneOf rule rejects it', async () => {
    const response = await send(t, TEST_CONNECTION, { input: { softSwiss: null } }, bearer(ws.token))
    expect(response.status).toBe(400)
    expect(response.body.errors?.[0]?.message).toContain('must be non-null')
  })
})
