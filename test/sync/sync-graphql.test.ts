import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSync } from '../../src/bootstrap.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { collectEvents } from '../support/sse-events.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

/** Reads server-sent events until `enough` says stop; fails when the time runs out first. */
async function readEvents(
  response: Response,
  enough: (events: unknown[]) => boolean,
  timeoutMs = 30_000,
): Promise<unknown[]> {
  const events = await collectEvents(response, enough, timeoutMs)
  if (!enough(events)) throw new Error(`only ${events.length} events before the deadline`)
  return events
}

describe(`sync over GraphQL on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let sim: PlatformSimulator
  let token: string
  let accountId: string

  beforeAll(async () => {
    t = await createTestApp({
      env: { AFFGRAPH_SYNC_RETRY_DELAY_SECONDS: '1', AFFGRAPH_SYNC_POLL_SECONDS: '1' },
    })
    sim = await t.registry
      .get('softswiss')!
      .definition.simulator.create({ seed: 'sync-gql', accounts: 1, pageSize: 500 })
    await startSync(t.services, { schedule: false })
    token = (await t.workspace('sync-gql')).token
    const connected = await t.gql<{ connectAccount: { account: { id: string } } }>(
      `mutation ($c: ConnectionInput!) { connectAccount(input: { connection: $c, label: "Sync me" }) {
         ... on ConnectAccountSuccess { account { id } } ... on UserError { code message } } }`,
      { c: { softSwiss: sim.accounts[0]!.connection } },
      token,
    )
    accountId = connected.body.data!.connectAccount.account.id
  }, 120_000)

  afterAll(async () => {
    await t?.services.sync?.stop(5_000)
    await sim?.close()
    await t?.close()
  })

  it('given a subscriber, when a manual sync is triggered, then progress arrives over server-sent events until the run succeeds', async () => {
    const subscription = await t.app.fetch('http://affgraph.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        query: `subscription ($id: ID) { syncProgress(accountId: $id) { accountId runId kind status rowsWritten requests window { from to } } }`,
        variables: { id: accountId },
      }),
    })
    expect(subscription.status).toBe(200)
    expect(subscription.headers.get('content-type')).toContain('text/event-stream')
    const started = await t.gql<{ syncAccount: { runs: { id: string; status: string }[] } }>(
      `mutation ($id: ID!) { syncAccount(input: { accountId: $id, range: { from: "2026-01-01", to: "2026-01-10" } }) {
         __typename ... on SyncStarted { runs { id status window { from to } } } } }`,
      { id: accountId },
      token,
    )
    const runId = started.body.data!.syncAccount.runs[0]!.id
    const events = (await readEvents(subscription, (list) =>
      list.some((e) => {
        const p = (e as { data?: { syncProgress?: { runId: string; status: string } } }).data?.syncProgress
        return p?.runId === runId && (p.status === 'SUCCEEDED' || p.status === 'FAILED')
      }),
    )) as {
      data: { syncProgress: { runId: string; status: string; rowsWritten: number; requests: number } }
    }[]
    const mine = events.map((e) => e.data.syncProgress).filter((p) => p.runId === runId)
    expect(mine.map((p) => p.status)).toContain('RUNNING')
    const last = mine.at(-1)!
    expect(last.status).toBe('SUCCEEDED')
    expect(last.rowsWritten).toBeGreaterThan(0)
    expect(last.requests).toBeGreaterThan(0)
  })

  it('given the account, when its sync runs are queried, then they show windows, requests and rows', async () => {
    const result = await t.gql<{
      account: {
        syncRuns: {
          nodes: {
            kind: string
            status: string
            requests: number
            rowsWritten: number
            window: { from: string; to: string }
          }[]
        }
        lastSyncAt: string | null
        status: string
      }
    }>(
      `query ($id: ID!) { account(id: $id) { status lastSyncAt lookbackDays backfillDays syncRuns(first: 50) { nodes { kind status requests rowsWritten window { from to } } } } }`,
      { id: accountId },
      token,
    )
    const account = result.body.data!.account
    expect(account.status).toBe('OK')
    expect(account.lastSyncAt).not.toBeNull()
    expect(account.syncRuns.nodes.some((r) => r.kind === 'MANUAL' && r.status === 'SUCCEEDED')).toBe(true)
    expect(account.syncRuns.nodes.some((r) => r.kind === 'BACKFILL')).toBe(true)
    for (const run of account.syncRuns.nodes) {
      expect(run.window.from, 'a window is told in days').toMatch(/^\d{4}-\d{2}-\d{2}$/)
      expect(run.window.to).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      expect(run.window.from <= run.window.to).toBe(true)
    }
  })

  it('given another workspace, when it subscribes or triggers syncs on this account, then it sees nothing and changes nothing', async () => {
    const other = (await t.workspace('sync-gql-other')).token
    const result = await t.gql<{ syncAccount: { __typename: string } }>(
      'mutation ($id: ID!) { syncAccount(input: { accountId: $id }) { __typename } }',
      { id: accountId },
      other,
    )
    expect(result.body.data!.syncAccount.__typename).toBe('AccountNotFoundError')
  })
})

describe('sync progress on a server whose syncing is off', () => {
  let t: TestApp

  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('given no sync engine, when a client subscribes to syncProgress, then the stream answers 200 with one SYNC_UNAVAILABLE error and ends', async () => {
    expect(t.services.sync).toBeFalsy()
    const { token } = await t.workspace('sync-off')
    const subscription = await t.app.fetch('http://affgraph.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: 'subscription { syncProgress { runId } }' }),
    })
    expect(subscription.status).toBe(200)
    const text = await subscription.text()
    const events = text
      .split('\n\n')
      .map((chunk) => chunk.split('\n').find((line) => line.startsWith('data:')))
      .filter((line): line is string => Boolean(line?.slice(5).trim()))
      .map(
        (line) =>
          JSON.parse(line.slice(5)) as { data?: unknown; errors?: { extensions?: { code?: string } }[] },
      )
      .filter((event) => event.errors || event.data)
    // text() resolved: the stream ended on its own, after the one answer that will ever come.
    expect(events.map((e) => e.errors?.map((x) => x.extensions?.code))).toEqual([['SYNC_UNAVAILABLE']])
  })
})
