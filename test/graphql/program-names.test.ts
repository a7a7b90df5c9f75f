import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { insertStatRows } from '../stats/stats-seed.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  accountRowsText,
  bearer,
  CHECK_ACCOUNT,
  fieldNames,
  ok,
  send,
  UPDATE_ACCOUNT_CONNECTION,
  USER_ERROR,
  type UserErrorResult,
} from './graphql-helpers.ts'

const NAMED_PLUGINS = resolve(import.meta.dirname, 'fixtures/program-names')
const NAMED_KEY = 'nn_0123456789abcdef'

const ACCOUNT = 'id label programName externalAccountName baseUrl'
const CONNECT = `mutation Connect($input: ConnectAccountInput!) {
  connectAccount(input: $input) { __typename ... on ConnectAccountSuccess { account { ${ACCOUNT} } } ${USER_ERROR} }
}`
const UPDATE = `mutation Update($input: UpdateAccountInput!) {
  updateAccount(input: $input) { __typename ... on UpdateAccountSuccess { account { ${ACCOUNT} } } ${USER_ERROR} }
}`
const TEST = `mutation Test($input: ConnectionInput!) {
  testConnection(input: $input) { __typename ... on TestConnectionSuccess { accountName programName } ${USER_ERROR} }
}`
const BY_PROGRAM = `query ByProgram($input: StatsInput!) {
  stats(input: $input) { rows { nodes { program clicks } } }
}`

interface AccountView {
  id: string
  label: string
  programName: string | null
  externalAccountName: string | null
  baseUrl: string | null
}
type Result = { __typename: string; account?: AccountView } & Partial<UserErrorResult>

let t: TestApp
let sim: PlatformSimulator
let ws: { id: string; token: string }

beforeAll(async () => {
  t = await createTestApp({ pluginDirs: [NAMED_PLUGINS] })
  sim = await softswiss.simulator.create({ seed: 'program-names', accounts: 5 })
  ws = await t.workspace('program-names')
})

afterAll(async () => {
  await sim?.close()
  await t?.close()
})

const conn = (i: number) => sim.accounts[i]!.connection

async function connect(input: Record<string, unknown>): Promise<Result> {
  return (await ok<{ connectAccount: Result }>(t, ws.token, CONNECT, { input })).connectAccount
}

async function connected(input: Record<string, unknown>): Promise<AccountView> {
  const result = await connect(input)
  expect(result.__typename, JSON.stringify(result)).toBe('ConnectAccountSuccess')
  return result.account!
}

/** Clicks by program over one March day, each account given its own count so that groups can be told apart. */
async function programGroups(accounts: { id: string; clicks: number }[]): Promise<Record<string, number>> {
  await insertStatRows(
    t.db,
    ws.id,
    accounts.map((a) => ({ accountId: a.id, day: '2026-03-02', currency: 'EUR', clicks: a.clicks })),
  )
  const data = await ok<{ stats: { rows: { nodes: { program: string | null; clicks: number }[] } } }>(
    t,
    ws.token,
    BY_PROGRAM,
    { input: { range: { from: '2026-03-02', to: '2026-03-02' }, groupBy: ['PROGRAM'] } },
  )
  return Object.fromEntries(data.stats.rows.nodes.map((r) => [r.program ?? '(none)', r.clicks]))
}

describe('program names given by the user', () => {
  it('given a programName, when an account is connected, then the account and the stats grouped by PROGRAM show it', async () => {
    const named = await connected({
      connection: { softSwiss: conn(0) },
      label: 'Main login',
      programName: '  Lucky Star Casino  ',
    })
    expect(named).toMatchObject({ label: 'Main login', programName: 'Lucky Star Casino' })
    const unnamed = await connected({ connection: { softSwiss: conn(1) }, label: 'Bingo Partners' })
    expect(unnamed.programName).toBeNull()

    const groups = await programGroups([
      { id: named.id, clicks: 7 },
      { id: unnamed.id, clicks: 11 },
    ])
    expect(groups).toEqual({ 'Lucky Star Casino': 7, 'Bingo Partners': 11 })
    // The simulator's host is what the old grouping showed; no group is named after it any more.
    expect(Object.keys(groups).join(' ')).not.toContain(new URL(sim.baseUrl).hostname)
  })

  for (const [name, programName] of [
    ['blank after trimming', '   '],
    ['121 characters long', 'x'.repeat(121)],
  ] as const) {
    it(`given a programName ${name}, when an account is connected, then InvalidArgumentError names programName and nothing is stored`, async () => {
      const before = await accountRowsText(t)
      const result = await connect({ connection: { softSwiss: conn(2) }, programName })
      expect(result.__typename).toBe('InvalidArgumentError')
      expect(result.code).toBe('INVALID_ARGUMENT')
      expect(fieldNames(result as UserErrorResult)).toEqual(['programName'])
      expect(await accountRowsText(t)).toEqual(before)
    })
  }

  it('given programName null, when an account is connected and then updated, then it has no program name and its label stands in', async () => {
    const account = await connected({
      connection: { softSwiss: conn(4) },
      label: 'Null named',
      programName: null,
    })
    expect(account.programName).toBeNull()
    const { updateAccount } = await ok<{ updateAccount: Result }>(t, ws.token, UPDATE, {
      input: { accountId: account.id, programName: null },
    })
    expect(updateAccount.__typename).toBe('UpdateAccountSuccess')
    expect(updateAccount.account!.programName).toBeNull()
  })

  it('given a connected account, when updateAccount gets a blank or 121-character programName, then InvalidArgumentError names programName and the account is unchanged', async () => {
    const account = await connected({ connection: { softSwiss: conn(2) }, label: 'Unchanged' })
    const before = await accountRowsText(t, 'id = ?', [databaseIdOf(account.id)])
    for (const programName of ['', ' \t ', 'x'.repeat(121)]) {
      const { updateAccount } = await ok<{ updateAccount: Result }>(t, ws.token, UPDATE, {
        input: { accountId: account.id, programName },
      })
      expect(updateAccount.__typename).toBe('InvalidArgumentError')
      expect(fieldNames(updateAccount as UserErrorResult)).toEqual(['programName'])
    }
    expect(await accountRowsText(t, 'id = ?', [databaseIdOf(account.id)])).toEqual(before)
  })

  it('given a connected account, when updateAccount gets a programName of exactly 120 characters, then it is stored trimmed', async () => {
    const account = await connected({ connection: { softSwiss: conn(3) }, label: 'Renamed later' })
    const programName = 'y'.repeat(120)
    const { updateAccount } = await ok<{ updateAccount: Result }>(t, ws.token, UPDATE, {
      input: { accountId: account.id, programName: ` ${programName} ` },
    })
    expect(updateAccount.__typename).toBe('UpdateAccountSuccess')
    expect(updateAccount.account!.programName).toBe(programName)
  })
})

describe('program names reported by the platform', () => {
  const named = (reportedProgram?: string) => ({
    namedNet: { apiKey: NAMED_KEY, ...(reportedProgram ? { reportedProgram } : {}) },
  })

  it('given a platform that names the program, when the connection is tested, then testConnection shows the name', async () => {
    const { testConnection } = await ok<{ testConnection: Record<string, unknown> }>(t, ws.token, TEST, {
      input: named('Golden Reels'),
    })
    expect(testConnection).toEqual({
      __typename: 'TestConnectionSuccess',
      accountName: 'named login',
      programName: 'Golden Reels',
    })
  })

  it('given no programName from the user, when the platform names the program, then the account takes the platform’s name and later checks follow it', async () => {
    const account = await connected({ connection: named('Golden Reels') })
    expect(account.programName).toBe('Golden Reels')
    expect(account.label).toBe('Named Net — Golden Reels — named login')

    const { updateAccountConnection } = await ok<{ updateAccountConnection: Result }>(
      t,
      ws.token,
      UPDATE_ACCOUNT_CONNECTION,
      { input: { accountId: account.id, connection: named('Golden Reels Casino') } },
    )
    expect(updateAccountConnection.__typename).toBe('UpdateAccountConnectionSuccess')
    expect(await storedProgramName(account.id)).toEqual({
      program_name: 'Golden Reels Casino',
      program_name_from_user: false,
    })
  })

  it('given a programName from the user, when the platform names the program differently on connect, re-key and check, then the user’s name is kept', async () => {
    const account = await connected({ connection: named('Golden Reels'), programName: 'My Reels' })
    expect(account.programName).toBe('My Reels')

    const rekey = await send<{ updateAccountConnection: Result }>(
      t,
      UPDATE_ACCOUNT_CONNECTION,
      { input: { accountId: account.id, connection: named('Golden Reels Casino') } },
      bearer(ws.token),
    )
    expect(rekey.body.data?.updateAccountConnection.__typename, rekey.text).toBe(
      'UpdateAccountConnectionSuccess',
    )
    const check = await ok<{ checkAccount: Result }>(t, ws.token, CHECK_ACCOUNT, { accountId: account.id })
    expect(check.checkAccount.__typename).toBe('CheckAccountSuccess')
    expect(await storedProgramName(account.id)).toEqual({
      program_name: 'My Reels',
      program_name_from_user: true,
    })
  })

  it('given a platform-given name, when the user renames the program, then later checks keep the user’s name', async () => {
    const account = await connected({ connection: named('Golden Reels') })
    const { updateAccount } = await ok<{ updateAccount: Result }>(t, ws.token, UPDATE, {
      input: { accountId: account.id, programName: 'Reels (EU)' },
    })
    expect(updateAccount.account!.programName).toBe('Reels (EU)')
    await ok(t, ws.token, CHECK_ACCOUNT, { accountId: account.id })
    expect(await storedProgramName(account.id)).toEqual({
      program_name: 'Reels (EU)',
      program_name_from_user: true,
    })
  })
})

async function storedProgramName(accountId: string) {
  const [row] = await t.db.query<{ program_name: string | null; program_name_from_user: boolean }>(
    'select program_name, program_name_from_user from account where id = ?',
    [databaseIdOf(accountId)],
  )
  return row
}
