import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { decryptCredentials, type SealedCredentials } from '../../src/crypto/credential-cipher.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  ACCOUNT_SELECTION,
  type AccountResult,
  type AccountView,
  accountRowsText,
  atFields,
  bearer,
  CHECK_ACCOUNT,
  CONNECT_ACCOUNT,
  connectSoftSwiss,
  DISCONNECT_ACCOUNT,
  ok,
  send,
  storedCredentials,
  UPDATE_ACCOUNT,
  UPDATE_ACCOUNT_CONNECTION,
  unknownAccountId,
} from './graphql-helpers.ts'

interface Page {
  accounts: {
    totalCount: number
    pageInfo: { hasNextPage: boolean; endCursor: string | null }
    nodes: { id: string; label: string; createdAt: string }[]
  }
}

const PAGE = `query Page($first: Int, $after: String) {
  accounts(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id label createdAt } }
}`

let t: TestApp
let sim: PlatformSimulator
let ws: { id: string; token: string }
let first: AccountView
const created: AccountView[] = []

beforeAll(async () => {
  t = await createTestApp()
  // One simulator account per stored account: each has its own key, so the per-account rate limit never waits.
  sim = await softswiss.simulator.create({ seed: 'lifecycle', accounts: 7 })
  ws = await t.workspace('lifecycle')
})

afterAll(async () => {
  await sim?.close()
  await t?.close()
})

const conn = (i: number) => sim.accounts[i]!.connection
const tokenOf = (i: number) => conn(i).token!

async function accountById(id: string): Promise<AccountView | null> {
  const data = await ok<{ account: AccountView | null }>(
    t,
    ws.token,
    `query($id: ID!) { account(id: $id) { ${ACCOUNT_SELECTION} } }`,
    {
      id,
    },
  )
  return data.account
}

async function opened(accountId: string): Promise<Record<string, string> | string> {
  const [row] = await t.db.query<{ credentials: SealedCredentials }>(
    'select credentials from account where id = ?',
    [databaseIdOf(accountId)],
  )
  return decryptCredentials(t.services.keyRing, row!.credentials, `account:${databaseIdOf(accountId)}`)
}

describe('connectAccount', () => {
  it('given a valid SoftSwiss connection with a label and tags, when connectAccount runs, then the account is stored with status OK and no secret shown', async () => {
    const startedAt = t.services.clock.now().getTime()
    const data = await ok<{ connectAccount: AccountResult }>(t, ws.token, CONNECT_ACCOUNT, {
      input: {
        connection: { softSwiss: conn(0) },
        label: '  Acme Partners  ',
        tags: ['eu', 'casino', 'eu', ' '],
      },
    })
    expect(data.connectAccount.__typename).toBe('ConnectAccountSuccess')
    first = data.connectAccount.account!
    created.push(first)
    expect(databaseIdOf(first.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(first).toMatchObject({
      label: 'Acme Partners',
      status: 'OK',
      platformId: 'softswiss',
      platform: { id: 'softswiss' },
      baseUrl: sim.baseUrl,
      tags: ['casino', 'eu'],
      timeZone: 'UTC',
      lastError: null,
      connectionFields: [
        { name: 'baseUrl', isSet: true, hint: sim.baseUrl },
        { name: 'token', isSet: true, hint: `…${tokenOf(0).slice(-4)}` },
      ],
    })
    const checkedAt = Date.parse(first.lastCheckAt!)
    expect(checkedAt).toBeGreaterThanOrEqual(startedAt - 1000)
    expect(checkedAt).toBeLessThanOrEqual(t.services.clock.now().getTime())

    const rows = await t.db.query<{ workspace_id: string; status: string; platform_id: string }>(
      'select workspace_id, status, platform_id from account where id = ?',
      [databaseIdOf(first.id)],
    )
    expect(rows).toEqual([{ workspace_id: ws.id, status: 'OK', platform_id: 'softswiss' }])
    expect(await opened(first.id)).toEqual({ baseUrl: sim.baseUrl, token: tokenOf(0) })
  })

  it('given no label, when connectAccount runs, then a label is made from the platform and the program host', async () => {
    const account = await connectSoftSwiss(t, ws.token, conn(1))
    created.push(account)
    expect(account.label).toBe('SoftSwiss (Affilka) — 127.0.0.1')
    expect(account.tags).toEqual([])
  })

  it('given a base URL pasted with the partner UI path, when connectAccount runs, then only the dashboard origin is kept', async () => {
    const account = await connectSoftSwiss(t, ws.token, {
      ...conn(2),
      baseUrl: `${sim.baseUrl}/partner/dashboard/`,
    })
    created.push(account)
    expect(account.baseUrl).toBe(sim.baseUrl)
  })

  it('given two more connections, when connected, then the workspace holds five accounts', async () => {
    for (const i of [3, 4])
      created.push(await connectSoftSwiss(t, ws.token, conn(i), { label: `account ${i}` }))
    const rows = await t.db.query<{ n: number }>(
      'select count(*)::int as n from account where workspace_id = ?',
      [ws.id],
    )
    expect(Number(rows[0]!.n)).toBe(5)
  })
})

describe('accounts and account', () => {
  it('given five accounts, when accounts are paged two at a time, then every id is seen once, oldest first, and the last page says so', async () => {
    const seen: string[] = []
    const createdAts: number[] = []
    const pages: { count: number; hasNextPage: boolean; totalCount: number }[] = []
    let after: string | null = null
    for (let guard = 0; guard < 10; guard++) {
      const data: Page = await ok<Page>(t, ws.token, PAGE, { first: 2, after })
      pages.push({
        count: data.accounts.nodes.length,
        hasNextPage: data.accounts.pageInfo.hasNextPage,
        totalCount: data.accounts.totalCount,
      })
      for (const node of data.accounts.nodes) {
        seen.push(node.id)
        createdAts.push(Date.parse(node.createdAt))
      }
      if (!data.accounts.pageInfo.hasNextPage) break
      after = data.accounts.pageInfo.endCursor
      expect(after).toBeTruthy()
    }
    expect(pages).toEqual([
      { count: 2, hasNextPage: true, totalCount: 5 },
      { count: 2, hasNextPage: true, totalCount: 5 },
      { count: 1, hasNextPage: false, totalCount: 5 },
    ])
    expect(new Set(seen).size).toBe(5)
    expect([...seen].sort()).toEqual(created.map((a) => a.id).sort())
    expect(createdAts).toEqual([...createdAts].sort((a, b) => a - b))
  })

  it('given the end cursor of the last page, when accounts are asked for after it, then the page is empty', async () => {
    const all = await ok<Page>(t, ws.token, PAGE, { first: 5 })
    expect(all.accounts.pageInfo.hasNextPage).toBe(false)
    const after = await ok<Page>(t, ws.token, PAGE, { first: 2, after: all.accounts.pageInfo.endCursor })
    expect(after.accounts.nodes).toEqual([])
    expect(after.accounts.pageInfo).toEqual({ hasNextPage: false, endCursor: null })
    expect(after.accounts.totalCount).toBe(5)
  })

  it('given a tag, when accounts are filtered by it, then only the tagged account comes back', async () => {
    const data = await ok<Page>(
      t,
      ws.token,
      'query { accounts(tag: "casino") { totalCount nodes { id label createdAt } } }',
    )
    expect(data.accounts.totalCount).toBe(1)
    expect(data.accounts.nodes.map((n) => n.id)).toEqual([first.id])
  })

  it('given an account id, when account(id) is queried, then it returns that account as connectAccount did', async () => {
    const account = await accountById(first.id)
    expect(account).toEqual(first)
  })

  it('given an id no account has, when account(id) is queried, then it is null', async () => {
    expect(await accountById(unknownAccountId())).toBeNull()
  })

  it('given a string that is no global id, when account(id) is queried, then INVALID_ARGUMENT names the argument', async () => {
    const response = await send(
      t,
      'query($id: ID!) { account(id: $id) { id } }',
      { id: 'not-an-id' },
      bearer(ws.token),
    )
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_ARGUMENT',
      fields: [{ path: ['id'], message: expect.stringContaining('not a global id') }],
    })
  })
})

describe('updateAccount', () => {
  it('given a new label and tags, when updateAccount runs, then both change and the credentials do not', async () => {
    const credentials = await storedCredentials(t, first.id)
    const data = await ok<{ updateAccount: AccountResult }>(t, ws.token, UPDATE_ACCOUNT, {
      input: { accountId: first.id, label: 'Acme (EU)', tags: ['vip', 'eu'] },
    })
    expect(data.updateAccount.__typename).toBe('UpdateAccountSuccess')
    expect(data.updateAccount.account).toMatchObject({
      id: first.id,
      label: 'Acme (EU)',
      tags: ['eu', 'vip'],
    })
    const [row] = await t.db.query<{ label: string; tags: string[] }>(
      'select label, tags from account where id = ?',
      [databaseIdOf(first.id)],
    )
    expect(row).toEqual({ label: 'Acme (EU)', tags: ['eu', 'vip'] })
    expect(await storedCredentials(t, first.id)).toBe(credentials)
  })

  it('given only tags, when updateAccount runs, then the label is kept', async () => {
    const data = await ok<{ updateAccount: AccountResult }>(t, ws.token, UPDATE_ACCOUNT, {
      input: { accountId: first.id, tags: [] },
    })
    expect(data.updateAccount.account).toMatchObject({ label: 'Acme (EU)', tags: [] })
  })

  it('given an unknown account id, when updateAccount runs, then AccountNotFoundError', async () => {
    const data = await ok<{ updateAccount: AccountResult }>(t, ws.token, UPDATE_ACCOUNT, {
      input: { accountId: unknownAccountId(), label: 'nobody' },
    })
    expect(data.updateAccount).toMatchObject({
      __typename: 'AccountNotFoundError',
      code: 'ACCOUNT_NOT_FOUND',
      fields: atFields('accountId'),
    })
  })
})

describe('updateAccountConnection', () => {
  it('given a key the program refuses, when the account is re-keyed, then PlatformAuthError and the stored row is byte for byte unchanged', async () => {
    const before = await accountRowsText(t, 'a.id = ?', [databaseIdOf(first.id)])
    const data = await ok<{ updateAccountConnection: AccountResult }>(
      t,
      ws.token,
      UPDATE_ACCOUNT_CONNECTION,
      {
        input: { accountId: first.id, connection: { softSwiss: sim.invalidConnection() } },
      },
    )
    expect(data.updateAccountConnection).toMatchObject({
      __typename: 'PlatformAuthError',
      code: 'PLATFORM_AUTH_FAILED',
      fields: atFields('token'),
    })
    expect(await accountRowsText(t, 'a.id = ?', [databaseIdOf(first.id)])).toEqual(before)
    expect(await opened(first.id)).toEqual({ baseUrl: sim.baseUrl, token: tokenOf(0) })
  })

  it('given a key the program accepts, when the account is re-keyed, then the stored credentials are replaced and the account still checks OK', async () => {
    const credentialsBefore = await storedCredentials(t, first.id)
    const data = await ok<{ updateAccountConnection: AccountResult }>(
      t,
      ws.token,
      UPDATE_ACCOUNT_CONNECTION,
      {
        input: { accountId: first.id, connection: { softSwiss: conn(5) } },
      },
    )
    expect(data.updateAccountConnection.__typename).toBe('UpdateAccountConnectionSuccess')
    expect(data.updateAccountConnection.account).toMatchObject({
      id: first.id,
      label: 'Acme (EU)',
      status: 'OK',
      connectionFields: [
        { name: 'baseUrl', isSet: true, hint: sim.baseUrl },
        { name: 'token', isSet: true, hint: `…${tokenOf(5).slice(-4)}` },
      ],
    })
    const credentialsAfter = await storedCredentials(t, first.id)
    expect(credentialsAfter).not.toBe(credentialsBefore)
    expect(await opened(first.id)).toEqual({ baseUrl: sim.baseUrl, token: tokenOf(5) })

    const check = await ok<{ checkAccount: AccountResult }>(t, ws.token, CHECK_ACCOUNT, {
      accountId: first.id,
    })
    expect(check.checkAccount.__typename).toBe('CheckAccountSuccess')
    expect(check.checkAccount.account?.status).toBe('OK')
  })

  it('given an unknown account id, when re-keying, then AccountNotFoundError and the program is not called', async () => {
    const requests = sim.log.length
    const data = await ok<{ updateAccountConnection: AccountResult }>(
      t,
      ws.token,
      UPDATE_ACCOUNT_CONNECTION,
      {
        input: { accountId: unknownAccountId(), connection: { softSwiss: conn(6) } },
      },
    )
    expect(data.updateAccountConnection).toMatchObject({
      __typename: 'AccountNotFoundError',
      code: 'ACCOUNT_NOT_FOUND',
    })
    expect(sim.log.length).toBe(requests)
  })
})

describe('checkAccount', () => {
  it('given a healthy account, when checkAccount runs, then it calls the program and moves lastCheckAt forward', async () => {
    const before = (await accountById(created[1]!.id))!
    const requests = sim.log.length
    const data = await ok<{ checkAccount: AccountResult }>(t, ws.token, CHECK_ACCOUNT, {
      accountId: created[1]!.id,
    })
    expect(data.checkAccount.__typename).toBe('CheckAccountSuccess')
    expect(data.checkAccount.account?.status).toBe('OK')
    expect(Date.parse(data.checkAccount.account!.lastCheckAt!)).toBeGreaterThan(
      Date.parse(before.lastCheckAt!),
    )
    expect(sim.log.length).toBe(requests + 1)
  })

  it('given the program starts refusing the key, when checkAccount runs, then PlatformAuthError and the account is AUTH_FAILED until a check passes again', async () => {
    const id = created[1]!.id
    sim.faults.inject('expired-token', { times: 1 })
    const failed = await ok<{ checkAccount: AccountResult }>(t, ws.token, CHECK_ACCOUNT, { accountId: id })
    expect(failed.checkAccount).toMatchObject({
      __typename: 'PlatformAuthError',
      code: 'PLATFORM_AUTH_FAILED',
      fields: atFields('token'),
    })
    const broken = (await accountById(id))!
    expect(broken.status).toBe('AUTH_FAILED')
    expect(broken.lastError?.code).toBe('PLATFORM_AUTH_FAILED')

    const healed = await ok<{ checkAccount: AccountResult }>(t, ws.token, CHECK_ACCOUNT, { accountId: id })
    expect(healed.checkAccount.__typename).toBe('CheckAccountSuccess')
    expect(healed.checkAccount.account).toMatchObject({ status: 'OK', lastError: null })
  })

  it('given an unknown account id, when checkAccount runs, then AccountNotFoundError', async () => {
    const data = await ok<{ checkAccount: AccountResult }>(t, ws.token, CHECK_ACCOUNT, {
      accountId: unknownAccountId(),
    })
    expect(data.checkAccount).toMatchObject({ __typename: 'AccountNotFoundError', code: 'ACCOUNT_NOT_FOUND' })
  })
})

describe('disconnectAccount', () => {
  it('given an account, when it is disconnected, then its row is gone, it is no longer listed, and a second disconnect finds nothing', async () => {
    const id = created[4]!.id
    const data = await ok<{ disconnectAccount: UserErrorResultWithId }>(t, ws.token, DISCONNECT_ACCOUNT, {
      accountId: id,
    })
    expect(data.disconnectAccount).toEqual({ __typename: 'DisconnectAccountSuccess', accountId: id })
    expect(await t.db.query('select id from account where id = ?', [databaseIdOf(id)])).toEqual([])
    expect(await accountById(id)).toBeNull()
    const page = await ok<Page>(t, ws.token, PAGE, { first: 10 })
    expect(page.accounts.totalCount).toBe(4)
    expect(page.accounts.nodes.map((n) => n.id)).not.toContain(id)

    const again = await ok<{ disconnectAccount: UserErrorResultWithId }>(t, ws.token, DISCONNECT_ACCOUNT, {
      accountId: id,
    })
    expect(again.disconnectAccount).toMatchObject({
      __typename: 'AccountNotFoundError',
      code: 'ACCOUNT_NOT_FOUND',
      fields: atFields('accountId'),
    })
  })
})

type UserErrorResultWithId = AccountResult & { accountId?: string }
