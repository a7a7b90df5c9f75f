import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSync } from '../../src/bootstrap.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { expectNoSecret, fieldNames, secretForms, type UserErrorResult } from '../graphql/graphql-helpers.ts'
import { plantCanary } from '../support/log-sink.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

const LEAKY_PLUGINS = resolve(import.meta.dirname, 'fixtures/leaky')

/**
 * A canary API key is given to a plugin that leaks it every way it can (see the fixture): echoed in the
 * platform's error body, thrown inside a resolver, written by a log call, and stored in a failed sync run. Every
 * answer and every log line of this file is searched here; the suite-wide sweep (log-sweep.reporter.ts) then
 * searches every log line of the whole run for the same canary.
 */
describe(`a canary secret on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let sim: PlatformSimulator
  let token: string
  const canary = plantCanary(`affgraph-canary-${randomBytes(12).toString('hex')}`)
  const answers: string[] = []

  const gql = async (query: string, variables: Record<string, unknown>) => {
    const result = await t.gql(query, variables, token)
    answers.push(JSON.stringify(result.body))
    return result
  }
  const connection = (mode: string) => ({
    leakyPartners: { baseUrl: `${sim.baseUrl}/${mode}`, apiKey: canary },
  })
  const TEST = `mutation ($c: ConnectionInput!) { testConnection(input: $c) {
    __typename ... on UserError { code message fields { path field message } } } }`
  const CONNECT = `mutation ($c: ConnectionInput!) { connectAccount(input: { connection: $c }) {
    __typename ... on ConnectAccountSuccess { account { id connectionFields { name isSet hint } } }
    ... on UserError { code message fields { path field message } } } }`

  beforeAll(async () => {
    t = await createTestApp({
      pluginDirs: [LEAKY_PLUGINS],
      env: { AFFGRAPH_SYNC_RETRY_LIMIT: '0', AFFGRAPH_SYNC_POLL_SECONDS: '1' },
    })
    sim = await t.registry.get('leaky-partners')!.definition.simulator.create()
    await startSync(t.services, { schedule: false })
    token = (await t.workspace('canary')).token
  }, 120_000)

  afterAll(async () => {
    await t?.services.sync?.stop(5_000)
    await sim?.close()
    await t?.close()
  })

  it('given a platform error sent with HTTP 200 that quotes the key, when the connection is tested and connected, then the typed error names the field and holds no key', async () => {
    for (const query of [TEST, CONNECT]) {
      const { body } = await gql(query, { c: connection('echo-200') })
      const result = Object.values(body.data ?? {})[0] as UserErrorResult & { message: string }
      expect(result.__typename).toBe('PlatformAuthError')
      expect(fieldNames(result)).toEqual(['apiKey'])
      // The platform's words survive around the hole where the key was.
      expect(result.message).toContain('is not valid')
    }
  })

  it('given HTTP 500 with the key in the body, when the connection is tested, then the error is typed and holds no key', async () => {
    const { body } = await gql(TEST, { c: connection('echo-500') })
    const result = (body.data as { testConnection: { __typename: string } }).testConnection
    expect(result.__typename).toBe('PlatformUnavailableError')
  })

  it('given plugin code that throws with the key in its message, when the connection is tested, then the answer is an error without the key', async () => {
    const { status, body } = await gql(TEST, { c: connection('throw') })
    expect(status).toBe(200)
    const result = (body.data as { testConnection: { __typename: string; code: string } } | undefined)
      ?.testConnection
    // A bug in plugin code reaches the user as the host's typed "the platform's answer was not understood".
    expect(result?.__typename).toBe('PlatformResponseError')
    expect(result?.code).toBe('PLATFORM_RESPONSE_INVALID')
  })

  it('given a plugin that logs the key as text and as data, when an account connects and syncs, then the log lines are written with the key removed', async () => {
    const { body } = await gql(CONNECT, { c: connection('log') })
    const account = (body.data as { connectAccount: { account: { id: string } } }).connectAccount.account
    expect(account.id).toBeTruthy()
    const synced = await gql(
      `mutation ($id: ID!) { syncAccount(input: { accountId: $id, range: { from: "2026-01-01", to: "2026-01-02" } }) { __typename } }`,
      { id: account.id },
    )
    expect((synced.body.data as { syncAccount: { __typename: string } }).syncAccount.__typename).toBe(
      'SyncStarted',
    )
    await t.services.sync!.idle()
    await waitFor(async () => (await runStatuses()).every((s) => s === 'SUCCEEDED' || s === 'FAILED'))
    const warnings = t.logs.lines.filter((line) => line.includes('called with key'))
    // One warning from the connect check and one from the sync: the lines exist, so the search below means something.
    expect(warnings.length).toBeGreaterThanOrEqual(2)
  })

  it('given a stored account whose plugin starts throwing with the key, when its sync fails, then the stored and returned run error holds no key', async () => {
    const { body } = await gql(CONNECT, { c: connection('log') })
    const id = (body.data as { connectAccount: { account: { id: string } } }).connectAccount.account.id
    // The platform starts answering in a way the plugin chokes on, quoting the key in the error it throws.
    sim.faults.inject('malformed', { times: 10 })
    await gql(
      `mutation ($id: ID!) { syncAccount(input: { accountId: $id, range: { from: "2026-01-03", to: "2026-01-03" } }) { __typename } }`,
      { id },
    )
    await waitFor(async () => (await runStatuses()).every((s) => s === 'SUCCEEDED' || s === 'FAILED'))
    const runs = await gql(
      `query ($id: ID!) { account(id: $id) { status lastError { code message } syncRuns { nodes { status errorCode errorMessage } } } }`,
      { id },
    )
    const view = (
      runs.body.data as { account: { syncRuns: { nodes: { status: string }[] }; lastError: unknown } }
    ).account
    expect(view.syncRuns.nodes.map((r) => r.status)).toContain('FAILED')
    expect(view.lastError).not.toBeNull()
    const stored = await t.db.query<{ text: string }>(
      `select coalesce(error_message, '') || ' ' || coalesce(error_code, '') as text from sync_run`,
    )
    expectNoSecret(stored.map((r) => r.text).join('\n'), [canary], 'stored sync runs')
  })

  it('given everything above, when every answer and every log line of this file are searched, then the canary is in none of them', () => {
    expect(answers.length).toBeGreaterThanOrEqual(8)
    expect(secretForms(canary).length).toBeGreaterThanOrEqual(2)
    expectNoSecret(answers.join('\n'), [canary], 'GraphQL answers')
    expectNoSecret(t.logs.text(), [canary], 'server log')
  })

  async function runStatuses(): Promise<string[]> {
    const rows = await t.db.query<{ status: string }>('select status from sync_run')
    return rows.map((r) => r.status)
  }
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 100))
  }
}
