import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSync } from '../../src/bootstrap.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { SyncRun } from '../../src/sync/sync.entity.ts'
import { expectNoSecret } from '../graphql/graphql-helpers.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

/** Samples keyed `name{label="value",…}` with labels sorted, from a strictly checked text exposition. */
type Samples = Map<string, number>

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`)
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

/** Parses the Prometheus text format (0.0.4), failing on any line it does not define. */
function parseExposition(text: string): Samples {
  expect(text.endsWith('\n'), 'the exposition ends with a line break').toBe(true)
  const types = new Map<string, string>()
  const samples: Samples = new Map()
  for (const line of text.slice(0, -1).split('\n')) {
    // The format ignores empty lines; prom-client separates metric families with one.
    if (line === '') continue
    if (line.startsWith('# HELP ')) {
      expect(line, 'HELP line').toMatch(new RegExp(`^# HELP ${NAME} .*$`))
      continue
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ')
      expect(TYPES.has(type ?? ''), `TYPE of ${name}`).toBe(true)
      expect(types.has(name!), `one TYPE line for ${name}`).toBe(false)
      types.set(name!, type!)
      continue
    }
    const match = SAMPLE.exec(line)
    expect(match, `sample line: ${line}`).not.toBeNull()
    const [, name, labelText = '', valueText] = match!
    const family = [...types.keys()].find(
      (f) =>
        name === f || (types.get(f) === 'histogram' && /^_(bucket|sum|count)$/.test(name!.slice(f.length))),
    )
    expect(family, `a TYPE line precedes ${name}`).toBeDefined()
    const labels: string[] = []
    let rest = labelText
    while (rest.length > 0) {
      const label = LABEL.exec(rest)
      expect(label, `labels of ${line}`).not.toBeNull()
      labels.push(`${label![1]}="${label![2]}"`)
      rest = rest.slice(label![0].length)
    }
    // Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes "Nan").
    const special = /^([+-]?)(inf|nan)$/i.exec(valueText!)
    const value = special
      ? special[2]!.toLowerCase() === 'nan'
        ? Number.NaN
        : (special[1] === '-' ? -1 : 1) * Number.POSITIVE_INFINITY
      : Number(valueText)
    expect(
      special !== null || /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(valueText!),
      `value of ${line}`,
    ).toBe(true)
    samples.set(`${name}{${labels.sort().join(',')}}`, value)
  }
  return samples
}

const sample = (samples: Samples, name: string, labels: Record<string, string> = {}) =>
  samples.get(
    `${name}{${Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .sort()
      .join(',')}}`,
  ) ?? 0

let t: TestApp
let sim: PlatformSimulator
let ws: { id: string; token: string }

async function scrape(): Promise<{ text: string; samples: Samples; response: Response }> {
  const response = await t.app.fetch('http://affgraph.test/metrics')
  const text = await response.text()
  return { text, samples: parseExposition(text), response }
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe(`/metrics on ${TEST_DATABASE_KIND}`, () => {
  beforeAll(async () => {
    t = await createTestApp({
      env: { AFFGRAPH_SYNC_RETRY_DELAY_SECONDS: '1', AFFGRAPH_SYNC_POLL_SECONDS: '1' },
    })
    sim = await t.registry.get('softswiss')!.definition.simulator.create({ seed: 'metrics', accounts: 1 })
    ws = await t.workspace('tenant-metrics-ws')
  }, 120_000)

  afterAll(async () => {
    await t?.services.sync?.stop(5_000)
    await sim?.close()
    await t?.close()
  })

  it('given no token, when /metrics is scraped, then it answers the text format with process metrics and the affgraph families', async () => {
    const { response, text, samples } = await scrape()
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(samples.size).toBeGreaterThan(20)
    expect(sample(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0)
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge')
    for (const family of [
      'affgraph_graphql_requests_total',
      'affgraph_graphql_errors_total',
      'affgraph_sync_runs_total',
      'affgraph_upstream_requests_total',
      'affgraph_sync_queue_depth',
    ]) {
      expect(text).toContain(`# TYPE ${family} `)
    }
    const post = await t.app.fetch('http://affgraph.test/metrics', { method: 'POST' })
    expect(post.status).toBe(405)
  })

  it('given GraphQL requests that succeed and fail, when scraped after, then operations and errors moved by exactly those requests', async () => {
    const before = (await scrape()).samples
    expect((await t.gql('{ platforms { id } }')).status).toBe(200)
    expect((await t.gql('{ platforms { id } }')).status).toBe(200)
    expect((await t.gql('{ accounts { totalCount } }')).status).toBe(401)
    await t.gql('{ platforms { id ')
    await t.gql('mutation { updateAccount(input: { accountId: "x" }) { __typename } }', {}, ws.token)
    const after = (await scrape()).samples

    const delta = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels)
    const ops = 'affgraph_graphql_requests_total'
    expect(delta(ops, { operation_type: 'query', outcome: 'success' })).toBe(2)
    expect(delta(ops, { operation_type: 'query', outcome: 'error' })).toBe(1)
    expect(delta(ops, { operation_type: 'unknown', outcome: 'error' })).toBe(1)
    expect(delta(ops, { operation_type: 'mutation', outcome: 'success' })).toBe(1)
    expect(delta('affgraph_graphql_errors_total', { code: 'TOKEN_MISSING' })).toBe(1)
    expect(delta('affgraph_graphql_errors_total', { code: 'GRAPHQL_PARSE_FAILED' })).toBe(1)
    expect(delta('affgraph_graphql_request_duration_seconds_count', { operation_type: 'query' })).toBe(3)
  })

  it('given a connected simulator account, when its backfill is queued and then synced, then the queue depth, the sync runs and the upstream requests moved by the right amounts', async () => {
    const before = (await scrape()).samples
    const upstreamBefore = sim.log.length

    // A queue no process works on: the backfill's windows wait there, visible to the scrape.
    const idle = await startSync(t.services, { schedule: false, work: false })
    const connected = await t.gql<{ connectAccount: { __typename: string; account: { id: string } } }>(
      `mutation ($c: ConnectionInput!) { connectAccount(input: { connection: $c, label: "Metrics account" }) {
         __typename ... on ConnectAccountSuccess { account { id } } } }`,
      { c: { softSwiss: sim.accounts[0]!.connection } },
      ws.token,
    )
    expect(connected.body.data?.connectAccount.__typename).toBe('ConnectAccountSuccess')
    const accountId = databaseIdOf(connected.body.data!.connectAccount.account.id)
    const runs = () => t.db.fork().find(SyncRun, { account: accountId }, { filters: false })
    const queued = (await runs()).length
    expect(queued).toBeGreaterThan(1)
    const waiting = (await scrape()).samples
    expect(sample(waiting, 'affgraph_sync_queue_depth', { state: 'waiting' })).toBe(queued)
    expect(sample(waiting, 'affgraph_sync_queue_depth', { state: 'active' })).toBe(0)
    const checkRequests = sim.log.length - upstreamBefore
    expect(checkRequests).toBeGreaterThan(0)

    await idle.stop(5_000)
    await startSync(t.services, { schedule: false })
    await until(async () => (await runs()).every((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED'))
    const finished = await runs()
    expect(finished.every((r) => r.status === 'SUCCEEDED')).toBe(true)
    const after = await scrape()

    const delta = (name: string, labels: Record<string, string>) =>
      sample(after.samples, name, labels) - sample(before, name, labels)
    expect(delta('affgraph_sync_runs_total', { platform: 'softswiss', status: 'SUCCEEDED' })).toBe(queued)
    expect(delta('affgraph_sync_runs_total', { platform: 'softswiss', status: 'FAILED' })).toBe(0)
    // Every request the simulator answered — the connect check and every sync window — was counted once.
    const syncRequests = finished.reduce((sum, r) => sum + r.requests, 0)
    expect(sim.log.length - upstreamBefore).toBe(checkRequests + syncRequests)
    expect(delta('affgraph_upstream_requests_total', { platform: 'softswiss', status: '200' })).toBe(
      checkRequests + syncRequests,
    )
    expect(delta('affgraph_upstream_request_duration_seconds_count', { platform: 'softswiss' })).toBe(
      checkRequests + syncRequests,
    )
    expect(sample(after.samples, 'affgraph_sync_queue_depth', { state: 'waiting' })).toBe(0)

    // Nothing of the tenant: no workspace or account id, label, program URL, credential or API token.
    const account = (
      await t.db.query<{ label: string; base_url: string }>(
        'select label, base_url from account where id = ?',
        [accountId],
      )
    )[0]!
    for (const value of [
      ws.id,
      accountId,
      account.label,
      account.base_url,
      new URL(sim.baseUrl).host,
      'tenant-metrics-ws',
    ]) {
      expect(after.text).not.toContain(value)
    }
    expectNoSecret(after.text, [sim.accounts[0]!.connection.token!, ws.token], '/metrics')
  }, 120_000)
})
