import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  ACCOUNT_SELECTION,
  type AccountResult,
  type AccountView,
  accountRowsText,
  atFields,
  CHECK_ACCOUNT,
  connectSoftSwiss,
  DISCONNECT_ACCOUNT,
  ok,
  UPDATE_ACCOUNT,
  UPDATE_ACCOUNT_CONNECTION,
} from './graphql-helpers.ts'

let t: TestApp
let sim: PlatformSimulator
let a: { id: string; token: string }
let b: { id: string; token: string }
let aAccounts: AccountView[]
let aTokenIds: string[]
let bOwnAccount: AccountView
/** Workspace A's rows before B does anything: accounts, tokens and members, each row as text. */
let aRowsBefore: { accounts: string[]; tokens: string[]; members: string[] }

async function rowsOfA(): Promise<{ accounts: string[]; tokens: string[]; members: string[] }> {
  const text = async (table: string) =>
    (
      await t.db.query<{ row: string }>(
        `select x::text as row from ${table} x where workspace_id = ? order by id`,
        [a.id],
      )
    ).map((r) => r.row)
  return {
    accounts: await accountRowsText(t, 'a.workspace_id = ?', [a.id]),
    tokens: await text('api_token'),
    members: await text('member'),
  }
}

beforeAll(async () => {
  t = await createTestApp()
  sim = await softswiss.simulator.create({ seed: 'tenancy', accounts: 4 })
  a = await t.workspace('tenant-a')
  b = await t.workspace('tenant-b')
  aAccounts = [
    await connectSoftSwiss(t, a.token, sim.accounts[0]!.connection, { label: 'A one', tags: ['shared-tag'] }),
    await connectSoftSwiss(t, a.token, sim.accounts[1]!.connection, { label: 'A two' }),
  ]
  await ok(
    t,
    a.token,
    'mutation { createApiToken(input: { name: "A second token" }) { ... on CreateApiTokenSuccess { apiToken { id } } } }',
  )
  await ok(
    t,
    a.token,
    'mutation { addMember(input: { email: "owner@a.example", role: OWNER }) { ... on AddMemberSuccess { member { id } } } }',
  )
  const tokens = await ok<{ apiTokens: { nodes: { id: string }[] } }>(
    t,
    a.token,
    '{ apiTokens { nodes { id } } }',
  )
  aTokenIds = tokens.apiTokens.nodes.map((k) => k.id)
  expect(aTokenIds).toHaveLength(2)
  bOwnAccount = await connectSoftSwiss(t, b.token, sim.accounts[2]!.connection, { label: 'B one' })
  aRowsBefore = await rowsOfA()
  expect(aRowsBefore.accounts).toHaveLength(2)
})

afterAll(async () => {
  await sim?.close()
  await t?.close()
})

describe("workspace B cannot see or touch workspace A's data", () => {
  it("given A's account ids, when B queries account(id), then each is null", async () => {
    for (const account of aAccounts) {
      const data = await ok<{ account: AccountView | null }>(
        t,
        b.token,
        `query($id: ID!) { account(id: $id) { ${ACCOUNT_SELECTION} } }`,
        {
          id: account.id,
        },
      )
      expect(data.account).toBeNull()
    }
  })

  it("given A's account id, when B calls updateAccount, then AccountNotFoundError", async () => {
    const data = await ok<{ updateAccount: AccountResult }>(t, b.token, UPDATE_ACCOUNT, {
      input: { accountId: aAccounts[0]!.id, label: 'taken over', tags: ['b'] },
    })
    expect(data.updateAccount).toMatchObject({
      __typename: 'AccountNotFoundError',
      code: 'ACCOUNT_NOT_FOUND',
      fields: atFields('accountId'),
    })
  })

  it("given A's account id and B's own valid connection, when B calls updateAccountConnection, then AccountNotFoundError and the program is not called", async () => {
    const requests = sim.log.length
    const data = await ok<{ updateAccountConnection: AccountResult }>(t, b.token, UPDATE_ACCOUNT_CONNECTION, {
      input: { accountId: aAccounts[0]!.id, connection: { softSwiss: sim.accounts[3]!.connection } },
    })
    expect(data.updateAccountConnection).toMatchObject({
      __typename: 'AccountNotFoundError',
      code: 'ACCOUNT_NOT_FOUND',
    })
    expect(sim.log.length).toBe(requests)
  })

  it("given A's account id, when B calls checkAccount, then AccountNotFoundError and A's credentials are never used", async () => {
    const requests = sim.log.length
    const data = await ok<{ checkAccount: AccountResult }>(t, b.token, CHECK_ACCOUNT, {
      accountId: aAccounts[1]!.id,
    })
    expect(data.checkAccount).toMatchObject({ __typename: 'AccountNotFoundError', code: 'ACCOUNT_NOT_FOUND' })
    expect(sim.log.length).toBe(requests)
  })

  it("given A's account ids, when B calls disconnectAccount, then AccountNotFoundError for each", async () => {
    for (const account of aAccounts) {
      const data = await ok<{ disconnectAccount: AccountResult }>(t, b.token, DISCONNECT_ACCOUNT, {
        accountId: account.id,
      })
      expect(data.disconnectAccount).toMatchObject({
        __typename: 'AccountNotFoundError',
        code: 'ACCOUNT_NOT_FOUND',
      })
    }
  })

  it("given A has accounts, when B lists accounts, then B sees only its own, also when filtering by A's tag or platform", async () => {
    const all = await ok<{ accounts: { totalCount: number; nodes: { id: string }[] } }>(
      t,
      b.token,
      '{ accounts(first: 100) { totalCount nodes { id } } }',
    )
    expect(all.accounts).toEqual({ totalCount: 1, nodes: [{ id: bOwnAccount.id }] })
    const tagged = await ok<{ accounts: { totalCount: number; nodes: { id: string }[] } }>(
      t,
      b.token,
      '{ accounts(tag: "shared-tag") { totalCount nodes { id } } }',
    )
    expect(tagged.accounts).toEqual({ totalCount: 0, nodes: [] })
    const byPlatform = await ok<{ accounts: { totalCount: number } }>(
      t,
      b.token,
      '{ accounts(platformId: "softswiss") { totalCount } }',
    )
    expect(byPlatform.accounts.totalCount).toBe(1)
  })

  it('given a workspace with no accounts, when it lists accounts, then totalCount is 0', async () => {
    const empty = await t.workspace('tenant-c')
    const data = await ok<{
      accounts: { totalCount: number; nodes: unknown[]; pageInfo: { hasNextPage: boolean } }
    }>(t, empty.token, '{ accounts { totalCount nodes { id } pageInfo { hasNextPage } } }')
    expect(data.accounts).toEqual({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false } })
  })

  it("given A's token ids, when B calls revokeApiToken, then ApiTokenNotFoundError and A's tokens still work", async () => {
    for (const id of aTokenIds) {
      const data = await ok<{ revokeApiToken: AccountResult }>(
        t,
        b.token,
        'mutation($id: ID!) { revokeApiToken(input: { id: $id }) { __typename ... on UserError { code fields { path field message } } } }',
        { id },
      )
      expect(data.revokeApiToken).toEqual({
        __typename: 'ApiTokenNotFoundError',
        code: 'API_TOKEN_NOT_FOUND',
        fields: atFields('id'),
      })
    }
  })

  it("given both workspaces have tokens and members, when B lists apiTokens and members, then only B's appear", async () => {
    const expected = await t.db.query<{ id: string }>(
      'select id from api_token where workspace_id = ? order by created_at, id',
      [b.id],
    )
    const data = await ok<{
      apiTokens: { nodes: { id: string }[] }
      members: { nodes: { email: string }[] }
      viewer: { workspace: { id: string } }
    }>(t, b.token, '{ apiTokens { nodes { id } } members { nodes { email } } viewer { workspace { id } } }')
    expect(data.apiTokens.nodes.map((k) => k.id)).toEqual(expected.map((r) => globalId('ApiToken', r.id)))
    for (const id of aTokenIds) expect(data.apiTokens.nodes.map((k) => k.id)).not.toContain(id)
    expect(data.members.nodes).toEqual([])
    expect(data.viewer.workspace.id).toBe(globalId('Workspace', b.id))
  })

  it("given everything B tried, when A's rows are read again, then accounts, tokens and members are byte for byte unchanged", async () => {
    expect(await rowsOfA()).toEqual(aRowsBefore)
  })

  it("given B tried to take over A's accounts, when A lists its accounts, then A still sees both with their labels", async () => {
    const data = await ok<{ accounts: { totalCount: number; nodes: { id: string; label: string }[] } }>(
      t,
      a.token,
      '{ accounts { totalCount nodes { id label } } }',
    )
    expect(data.accounts.totalCount).toBe(2)
    expect(data.accounts.nodes).toEqual(aAccounts.map((x) => ({ id: x.id, label: x.label })))
  })
})
