import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
} from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  ACCOUNT_SELECTION,
  type AccountResult,
  type AccountView,
  bearer,
  CHECK_ACCOUNT,
  connectSoftSwiss,
  expectNoSecret,
  type GqlResponse,
  ok,
  send,
  storedCredentials,
  UPDATE_ACCOUNT_CONNECTION,
  type UserErrorResult,
} from './graphql-helpers.ts'
import { fullSelection, inlineArgs, introspect } from './introspection-helpers.ts'

/** A token the hostile program below echoes back in every answer. It is a valid statistic token in form. */
const HOSTILE_SECRET = 'Hx7-Secret.Value~9f2Kq81Zt0pLw3Rb'

/**
 * A program that misbehaves in the ways that leak credentials elsewhere: every answer quotes the token it was
 * sent, in a JSON error, in broken JSON, in a 500 page, in a 401 and in an HTML page served with 200.
 */
interface HostileProgram {
  url: string
  received: string[]
  close(): Promise<void>
}

async function startHostileProgram(): Promise<HostileProgram> {
  const received: string[] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const token = req.headers.authorization ?? ''
    received.push(token)
    const mode = (req.url ?? '/').split('/')[1]
    switch (mode) {
      case 'json-echo':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ message: `token ${token} may not list columns`, available_columns: null }))
        return
      case 'broken-json':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(`{"available_columns": ["visits_count"], "token": "${token}`)
        return
      case 'error-500':
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`Internal error while serving token=${token}`)
        return
      case 'unauthorized':
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ errors: [`Unknown token ${token}`] }))
        return
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end(
          `<html><body>Session for ${token} expired. <a href="/login?token=${token}">Log in</a></body></html>`,
        )
        return
      default:
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ errors: [`no route for ${token}`] }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

let t: TestApp
let sim: PlatformSimulator
let hostile: HostileProgram
let schema: GraphQLSchema
let ws: { id: string; token: string }
let accountId: string
/** Every response body this file receives, as sent on the wire. */
const responses: string[] = []
/** Every credential this file hands to affgraph. */
const secrets: string[] = []

async function call<T>(query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse<T>> {
  const response = await send<T>(t, query, variables, bearer(ws.token))
  responses.push(response.text)
  return response
}

function bareTokenOf(pasted: string): string {
  return /[?&]token=([^&]+)/.exec(pasted)![1]!
}

beforeAll(async () => {
  // One attempt per call: what reaches the client is the same error either way, without the retry pauses.
  t = await createTestApp({ env: { AFFGRAPH_HTTP_RETRIES: '1' } })
  sim = await softswiss.simulator.create({ seed: 'secrets', accounts: 5 })
  hostile = await startHostileProgram()
  ws = await t.workspace('secrets')
  schema = (await introspect(t)).schema
  secrets.push(
    sim.accounts[0]!.connection.token!,
    bareTokenOf(sim.accounts[1]!.connection.token!),
    sim.accounts[2]!.connection.token!,
    sim.accounts[3]!.connection.token!,
    sim.accounts[4]!.connection.token!,
    sim.invalidConnection().token!,
    HOSTILE_SECRET,
  )
  for (const secret of secrets) expect(secret.length).toBeGreaterThanOrEqual(16)
})

afterAll(async () => {
  await hostile?.close()
  await sim?.close()
  await t?.close()
})

const mutationSelection = (name: string) =>
  fullSelection(schema, getNamedType(schema.getMutationType()!.getFields()[name]!.type))

describe('secrets never leave', () => {
  it('given a known token, when connectAccount returns every field of its result, then the account is there with only a hint of the token', async () => {
    const response = await call<{
      connectAccount: { __typename: string; account: { id: string; connectionFields: unknown[] } }
    }>(
      `mutation($input: ConnectAccountInput!) { connectAccount(input: $input) ${mutationSelection('connectAccount')} }`,
      {
        input: {
          connection: { softSwiss: sim.accounts[0]!.connection },
          label: 'secret keeper',
          tags: ['s'],
        },
      },
    )
    expect(response.body.errors).toBeUndefined()
    expect(response.body.data?.connectAccount.__typename).toBe('ConnectAccountSuccess')
    accountId = response.body.data!.connectAccount.account.id
    expect(response.body.data?.connectAccount.account.connectionFields).toContainEqual({
      __typename: 'ConnectionFieldState',
      name: 'token',
      isSet: true,
      hint: `…${secrets[0]!.slice(-4)}`,
    })
  })

  it('given a pasted export link, when connectAccount returns every field, then neither the link nor its token comes back', async () => {
    const response = await call<{ connectAccount: { __typename: string } }>(
      `mutation($input: ConnectAccountInput!) { connectAccount(input: $input) ${mutationSelection('connectAccount')} }`,
      { input: { connection: { softSwiss: sim.accounts[1]!.connection } } },
    )
    expect(response.body.data?.connectAccount.__typename).toBe('ConnectAccountSuccess')
    expect(response.text).not.toContain(sim.accounts[1]!.connection.token!)
    expect(response.text).not.toContain('/api/customer/v1/partner/report?')
  })

  it('given stored accounts, when every field of every query root is asked for, then the answer is complete and holds no secret', async () => {
    const overrides: Record<string, Record<string, unknown>> = {
      account: { id: accountId },
      // Every field of a page of accounts (or revisions, each with its account), twice (edges and nodes), stays
      // under the cost limit with ten of them.
      accounts: { first: 10 },
      changes: { first: 10 },
      node: { id: accountId },
      nodes: { ids: [accountId] },
      platform: { id: 'softswiss' },
    }
    const answered: string[] = []
    for (const field of Object.values(schema.getQueryType()!.getFields())) {
      // Node's types share field names of different types (`status`): one fragment, on the type the id names.
      const type = getNamedType(field.type)
      const selection =
        type.name === 'Node'
          ? `{ __typename id ... on Account ${fullSelection(schema, schema.getType('Account')!, 1)} }`
          : fullSelection(schema, type)
      const query = `{ ${field.name}${inlineArgs(field, overrides[field.name])} ${selection} }`
      const response = await call<Record<string, unknown>>(query)
      // Sample arguments (for fields this test does not know) may be refused with a typed error; a masked
      // internal error never passes, and a field called with real arguments must answer in full.
      const invented = field.args.some(
        (a) =>
          isNonNullType(a.type) && a.defaultValue === undefined && !(a.name in (overrides[field.name] ?? {})),
      )
      const errors = response.body.errors ?? []
      expect(
        errors.filter((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'),
        response.text,
      ).toEqual([])
      if (!invented) expect(errors, `${field.name}: ${response.text}`).toEqual([])
      answered.push(field.name)
      expectNoSecret(response.text, secrets, `query ${field.name}`)
    }
    expect(answered).toEqual(
      expect.arrayContaining(['account', 'accounts', 'viewer', 'platforms', 'apiTokens']),
    )
    // Not vacuous: the account and its connection state really were in the answers.
    expect(responses.some((r) => r.includes(accountId) && r.includes(`…${secrets[0]!.slice(-4)}`))).toBe(true)
  })

  it('given an account, when updateAccount, checkAccount and a re-key return every field, then none holds a secret', async () => {
    const update = await call<{ updateAccount: { __typename: string } }>(
      `mutation($input: UpdateAccountInput!) { updateAccount(input: $input) ${mutationSelection('updateAccount')} }`,
      { input: { accountId, label: 'renamed' } },
    )
    expect(update.body.data?.updateAccount.__typename).toBe('UpdateAccountSuccess')
    const check = await call<{ checkAccount: { __typename: string } }>(
      `mutation($id: ID!) { checkAccount(input: { accountId: $id }) ${mutationSelection('checkAccount')} }`,
      { id: accountId },
    )
    expect(check.body.data?.checkAccount.__typename).toBe('CheckAccountSuccess')
    const rekey = await call<{ updateAccountConnection: { __typename: string } }>(
      `mutation($input: UpdateAccountConnectionInput!) { updateAccountConnection(input: $input) ${mutationSelection('updateAccountConnection')} }`,
      { input: { accountId, connection: { softSwiss: sim.accounts[2]!.connection } } },
    )
    expect(rekey.body.data?.updateAccountConnection.__typename).toBe('UpdateAccountConnectionSuccess')
    const test = await call<{ testConnection: { __typename: string } }>(
      `mutation($input: ConnectionInput!) { testConnection(input: $input) ${mutationSelection('testConnection')} }`,
      { input: { softSwiss: sim.accounts[2]!.connection } },
    )
    expect(test.body.data?.testConnection.__typename).toBe('TestConnectionSuccess')
    for (const response of [update, check, rekey, test])
      expectNoSecret(response.text, secrets, 'mutation answer')
  })

  it('given the schema, when every output field is inspected, then none has the Secret type and Secret is used only in inputs', () => {
    const outputsWithSecret: string[] = []
    const inputsWithSecret: string[] = []
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (getNamedType(field.type).name === 'Secret') outputsWithSecret.push(`${type.name}.${field.name}`)
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (getNamedType(field.type).name === 'Secret') inputsWithSecret.push(`${type.name}.${field.name}`)
        }
      }
    }
    expect(outputsWithSecret).toEqual([])
    // Exactly the fields the plugins declare secret, the secrets of alert destinations, and nothing else.
    expect(inputsWithSecret.sort()).toEqual(
      [
        ...t.registry.all().flatMap((p) => p.secretFields.map((f) => `${p.typeName}ConnectionInput.${f}`)),
        'AlertEmailInput.password',
        'CreateAlertDestinationInput.url',
        'UpdateAlertDestinationInput.url',
      ].sort(),
    )
    expect(inputsWithSecret).toContain('SoftSwissConnectionInput.token')
  })

  it('given a key the program refuses, when testConnection runs, then PlatformAuthError carries no trace of the key', async () => {
    const response = await call<{ testConnection: UserErrorResult }>(
      `mutation($input: ConnectionInput!) { testConnection(input: $input) ${mutationSelection('testConnection')} }`,
      { input: { softSwiss: sim.invalidConnection() } },
    )
    expect(response.body.data?.testConnection.__typename).toBe('PlatformAuthError')
    expectNoSecret(response.text, secrets, 'PlatformAuthError')
  })

  it("given the simulator's 'malformed' fault, when testConnection runs with a known token, then the typed error holds no secret", async () => {
    sim.faults.inject('malformed')
    try {
      const response = await call<{ testConnection: UserErrorResult }>(
        `mutation($input: ConnectionInput!) { testConnection(input: $input) ${mutationSelection('testConnection')} }`,
        { input: { softSwiss: sim.accounts[0]!.connection } },
      )
      expect(response.body.data?.testConnection.__typename).toBe('PlatformUnavailableError')
      expectNoSecret(response.text, secrets, "'malformed' fault answer")
    } finally {
      sim.faults.clear('malformed')
    }
  })

  it.each([
    ['json-echo', 'PlatformResponseError'],
    ['broken-json', 'PlatformResponseError'],
    ['error-500', 'PlatformUnavailableError'],
    ['unauthorized', 'PlatformAuthError'],
    ['html', 'PlatformUnavailableError'],
  ])(
    'given a program whose %s answer quotes the token, when testConnection runs, then %s comes back without it',
    async (mode, typename) => {
      const before = hostile.received.length
      const response = await call<{ testConnection: UserErrorResult }>(
        `mutation($input: ConnectionInput!) { testConnection(input: $input) ${mutationSelection('testConnection')} }`,
        { input: { softSwiss: { baseUrl: `${hostile.url}/${mode}`, token: HOSTILE_SECRET } } },
      )
      // The program really was sent the token, and really did quote it back.
      expect(hostile.received.slice(before)).toContain(HOSTILE_SECRET)
      expect(response.body.data?.testConnection.__typename).toBe(typename)
      expect(response.body.data?.testConnection.message).toBeTruthy()
      expectNoSecret(response.text, secrets, `${mode} answer`)
    },
  )

  it('given a program whose error quotes the token, when connectAccount runs, then nothing is stored and the answer holds no secret', async () => {
    const count = await t.db.query<{ n: number }>('select count(*)::int as n from account')
    const response = await call<{ connectAccount: UserErrorResult }>(
      `mutation($input: ConnectAccountInput!) { connectAccount(input: $input) ${mutationSelection('connectAccount')} }`,
      {
        input: { connection: { softSwiss: { baseUrl: `${hostile.url}/json-echo`, token: HOSTILE_SECRET } } },
      },
    )
    expect(response.body.data?.connectAccount.__typename).toBe('PlatformResponseError')
    expect(await t.db.query<{ n: number }>('select count(*)::int as n from account')).toEqual(count)
  })

  it('given a token-shaped value that fails validation, when testConnection runs, then the field error does not echo it', async () => {
    const response = await call(
      'mutation($input: ConnectionInput!) { testConnection(input: $input) { __typename ... on UserError { code message fields { path message } } } }',
      { input: { softSwiss: { baseUrl: sim.baseUrl, token: `${HOSTILE_SECRET}#${HOSTILE_SECRET}` } } },
    )
    expect((response.body.data as { testConnection?: unknown } | undefined)?.testConnection).toMatchObject({
      code: 'CREDENTIALS_INVALID',
    })
    expectNoSecret(response.text, secrets, 'validation error')
  })
})

describe('credentials at rest, tampered with through the database', () => {
  type Envelope = Record<'v' | 'kid' | 'wrappedKey' | 'iv' | 'tag' | 'ciphertext', string | number>
  let x: AccountView
  let y: AccountView
  let xCredentials: string
  let yCredentials: string

  beforeAll(async () => {
    x = await connectSoftSwiss(t, ws.token, sim.accounts[3]!.connection, { label: 'X' })
    y = await connectSoftSwiss(t, ws.token, sim.accounts[4]!.connection, { label: 'Y' })
    xCredentials = await storedCredentials(t, x.id)
    yCredentials = await storedCredentials(t, y.id)
  })

  async function setCredentials(accountId: string, json: string): Promise<void> {
    await t.db.query('update account set credentials = ?::jsonb where id = ?', [
      json,
      databaseIdOf(accountId),
    ])
    expect(JSON.parse(await storedCredentials(t, accountId))).toEqual(JSON.parse(json))
  }

  /** The envelope with one byte of one base64 field flipped. */
  function flipByte(json: string, field: 'ciphertext' | 'tag' | 'iv' | 'wrappedKey', index = 5): string {
    const envelope = JSON.parse(json) as Envelope
    const bytes = Buffer.from(String(envelope[field]), 'base64')
    bytes[index % bytes.length]! ^= 0x01
    const flipped = { ...envelope, [field]: bytes.toString('base64') }
    expect(flipped[field]).not.toBe(envelope[field])
    return JSON.stringify(flipped)
  }

  const check = (accountId: string) => call<{ checkAccount: AccountResult }>(CHECK_ACCOUNT, { accountId })

  async function accountById(id: string): Promise<AccountView> {
    const response = await call<{ account: AccountView }>(
      `query($id: ID!) { account(id: $id) { ${ACCOUNT_SELECTION} } }`,
      {
        id,
      },
    )
    return response.body.data!.account
  }

  /**
   * Fail closed: the check does not succeed, the program is never called with whatever came out of the damaged
   * envelope, the answer is a typed error that says what to do (and nothing about keys or plaintext), the
   * account shows the failure, and the server goes on answering.
   */
  async function expectFailsClosed(accountId: string): Promise<void> {
    const requests = sim.log.length
    const response = await check(accountId)
    expect(response.status).toBe(200)
    expect(response.body.errors, response.text).toBeUndefined()
    const result = response.body.data!.checkAccount
    expect(result.__typename).toBe('CredentialsUnreadableError')
    expect(result.code).toBe('CREDENTIALS_UNREADABLE')
    expect(result.message).toContain('updateAccountConnection')
    expect(result.account).toBeUndefined()
    expect(response.text).not.toMatch(/ciphertext|wrappedKey|integrity|aes|gcm/i)
    expect(sim.log.length).toBe(requests)

    const account = await accountById(accountId)
    expect(account.status).not.toBe('OK')
    expect(account.lastError?.code).toBe('CREDENTIALS_UNREADABLE')

    const next = await send<{ platforms: { id: string }[] }>(t, '{ platforms { id } }')
    expect(next.body.data?.platforms).toContainEqual({ id: 'softswiss' })
  }

  async function expectChecksOk(accountId: string): Promise<void> {
    const response = await check(accountId)
    expect(response.body.errors, response.text).toBeUndefined()
    expect(response.body.data?.checkAccount.__typename).toBe('CheckAccountSuccess')
    expect(response.body.data?.checkAccount.account?.status).toBe('OK')
  }

  it('given intact credentials, when both accounts are checked, then both succeed', async () => {
    await expectChecksOk(x.id)
    await expectChecksOk(y.id)
  })

  it.each(['ciphertext', 'tag', 'iv', 'wrappedKey'] as const)(
    'given one byte of %s flipped in the stored row, when checkAccount runs, then it fails closed with a typed error',
    async (field) => {
      await setCredentials(x.id, flipByte(xCredentials, field))
      await expectFailsClosed(x.id)
      await setCredentials(x.id, xCredentials)
    },
  )

  it('given the untouched envelope written back, when checkAccount runs, then X works again (the flipped byte was the only cause)', async () => {
    await expectChecksOk(x.id)
  })

  it("given account X's credentials copied onto account Y, when Y is checked, then Y fails closed and X still works", async () => {
    await setCredentials(y.id, xCredentials)
    await expectFailsClosed(y.id)
    await expectChecksOk(x.id)
  })

  it('given credentials sealed under a master key id the server does not have, when checkAccount runs, then it fails closed', async () => {
    const foreign = { ...(JSON.parse(xCredentials) as Envelope), kid: 'retired-key' }
    await setCredentials(x.id, JSON.stringify(foreign))
    await expectFailsClosed(x.id)
    await setCredentials(x.id, xCredentials)
  })

  it('given a credentials value that is not an envelope at all, when checkAccount runs, then it fails closed', async () => {
    await setCredentials(x.id, JSON.stringify({ token: 'plain text where an envelope belongs' }))
    await expectFailsClosed(x.id)
    await setCredentials(x.id, xCredentials)
  })

  it('given an account whose credentials cannot be opened, when it is re-keyed, then it works again with fresh credentials', async () => {
    await setCredentials(y.id, flipByte(yCredentials, 'ciphertext'))
    await expectFailsClosed(y.id)
    const data = await ok<{ updateAccountConnection: AccountResult }>(
      t,
      ws.token,
      UPDATE_ACCOUNT_CONNECTION,
      {
        input: { accountId: y.id, connection: { softSwiss: sim.accounts[4]!.connection } },
      },
    )
    expect(data.updateAccountConnection.__typename).toBe('UpdateAccountConnectionSuccess')
    expect(data.updateAccountConnection.account).toMatchObject({ status: 'OK', lastError: null })
    expect(await storedCredentials(t, y.id)).not.toBe(yCredentials)
    await expectChecksOk(y.id)
  })
})

describe('secrets at rest and in logs', () => {
  it('given the stored accounts, when the raw rows are read, then no credential is anywhere in them in any encoding', async () => {
    const rows = await t.db.query<Record<string, unknown>>('select * from account')
    // The known token, the pasted export link, and X and Y of the tampering tests.
    expect(rows.length).toBe(4)
    const asText = await t.db.query<{ row: string }>('select a::text as row from account a')
    expectNoSecret(JSON.stringify(rows), secrets, 'account rows (JSON)')
    expectNoSecret(asText.map((r) => r.row).join('\n'), secrets, 'account rows (text)')
    for (const row of rows) {
      const credentials = row.credentials as Record<string, unknown>
      expect(Object.keys(credentials).sort()).toEqual(['ciphertext', 'iv', 'kid', 'tag', 'v', 'wrappedKey'])
      expect(credentials.kid).toBe('test')
    }
  })

  it('given issued API tokens, when the api_token table is read, then it holds no token, only hashes', async () => {
    const rows = await t.db.query<{ row: string }>('select x::text as row from api_token x')
    expect(rows.length).toBeGreaterThan(0)
    expectNoSecret(rows.map((r) => r.row).join('\n'), [ws.token], 'api_token rows')
  })

  it('given everything this file did, when the whole server log is read, then it shows the platform calls and no credential', () => {
    const log = t.logs.text()
    expect(log).toContain('"plugin":"softswiss"')
    expect(log.length).toBeGreaterThan(1000)
    expectNoSecret(log, secrets, 'server log')
  })

  it('given every response body of this file, when searched, then no credential appears in any encoding', () => {
    expect(responses.length).toBeGreaterThan(15)
    expectNoSecret(responses.join('\n'), secrets, 'responses')
  })
})
