import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.entity.ts'
import { connectAccount } from '../../src/account/account.service.ts'
import { Alert } from '../../src/alerts/alert.entity.ts'
import { evaluateAlerts } from '../../src/alerts/alert-engine.ts'
import { startSync } from '../../src/bootstrap.ts'
import type { Clock } from '../../src/clock.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { addDays } from '../../src/sdk/index.ts'
import { SyncRun } from '../../src/sync/sync.entity.ts'
import type { SyncEngine } from '../../src/sync/sync-engine.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

/** A clock that runs at the real pace from a chosen instant and can be moved forward by whole hours or days. */
function movableClock(start: string): Clock & { advance(hours: number): void; today(): string } {
  let offset = Date.parse(start) - Date.now()
  const now = () => new Date(Date.now() + offset)
  return {
    now,
    advance(hours) {
      offset += hours * 3_600_000
    },
    // The chosen instant plus what the test advanced: the same day whatever the calendar says.
    today: () => now().toISOString().slice(0, 10),
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 100))
  }
}

const CREATE_RULE = /* GraphQL */ `
  mutation ($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) {
      __typename
      ... on CreateAlertRuleSuccess { alertRule { id kind settings { staleHours changePercent } } }
      ... on UserError { code message fields { path message } }
    }
  }
`
const ALERTS = /* GraphQL */ `
  query ($filter: AlertFilter) {
    alerts(filter: $filter, first: 50) {
      totalCount
      nodes { id kind status resolution title reasons day metric before after currency firedAt resolvedAt
        account { id } }
    }
  }
`

interface AlertView {
  id: string
  kind: string
  status: string
  resolution: string | null
  title: string
  reasons: string[]
  day: string | null
  metric: string | null
  before: string | null
  after: string | null
}

const CREATE_DESTINATION = /* GraphQL */ `
  mutation ($input: CreateAlertDestinationInput!) {
    createAlertDestination(input: $input) {
      __typename
      ... on CreateAlertDestinationSuccess { signingSecret destination { id } }
      ... on UserError { code message }
    }
  }
`

interface Hook {
  key: string
  event: string
  timestamp: string
  signature: string
  body: string
}

describe(`alert rules through a simulated platform on ${TEST_DATABASE_KIND}`, () => {
  const hooks: Hook[] = []
  const mails: string[] = []
  let receiver: Server
  let smtp: SMTPServer
  let signingSecret: string
  let destinationIds: string[]
  // Mid-month, so that a revision of last week is not yet one after month close.
  const clock = movableClock('2026-07-20T12:00:00Z')
  let t: TestApp
  let sim: PlatformSimulator
  let engine: SyncEngine
  let token: string
  let workspaceId: string
  let accountId: string
  let simKey: string

  const alerts = async (filter: Record<string, unknown> = {}) => {
    const res = await t.gql<{ alerts: { totalCount: number; nodes: AlertView[] } }>(ALERTS, { filter }, token)
    expect(res.body.errors).toBeUndefined()
    return res.body.data!.alerts
  }
  const syncWindow = async (from: string, to: string) => {
    const em = t.db.fork()
    const account = await em.findOneOrFail(
      Account,
      { id: accountId },
      { filters: false, populate: ['workspace'] },
    )
    const runs = await engine.enqueue(em, account, { from, to }, 'MANUAL')
    await until(async () => {
      const all = await t.db.fork().find(SyncRun, { id: { $in: runs.map((r) => r.id) } }, { filters: false })
      return all.every((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED')
    })
    return t.db.fork().find(SyncRun, { id: { $in: runs.map((r) => r.id) } }, { filters: false })
  }
  const createRule = async (input: Record<string, unknown>) => {
    const res = await t.gql<{ createAlertRule: { __typename: string } }>(
      CREATE_RULE,
      { input: { destinationIds, ...input } },
      token,
    )
    expect(res.body.errors).toBeUndefined()
    expect(res.body.data!.createAlertRule.__typename).toBe('CreateAlertRuleSuccess')
    return res.body.data!.createAlertRule
  }

  beforeAll(async () => {
    t = await createTestApp({ overrides: { clock } })
    const platform = t.registry.get('softswiss')!
    sim = await platform.definition.simulator.create({ seed: 'alerts', accounts: 1, pageSize: 500 })
    simKey = sim.accounts[0]!.key
    engine = await startSync(t.services, { schedule: false, retryLimit: 0, retryDelaySeconds: 1 })
    const ws = await t.workspace('alerts')
    token = ws.token
    workspaceId = ws.id

    // The receivers a user would point affgraph at: a webhook endpoint and a mail server, on loopback.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        hooks.push({
          key: String(req.headers['x-affgraph-delivery']),
          event: String(req.headers['x-affgraph-event']),
          timestamp: String(req.headers['x-affgraph-timestamp']),
          signature: String(req.headers['x-affgraph-signature']),
          body: Buffer.concat(chunks).toString('utf8'),
        })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          mails.push(
            Buffer.concat(chunks)
              .toString('utf8')
              .replace(/\r\n[ \t]+/g, ' '),
          )
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
    const hook = await t.gql<{
      createAlertDestination: { signingSecret: string; destination: { id: string } }
    }>(
      CREATE_DESTINATION,
      {
        input: {
          name: 'ops webhook',
          kind: 'WEBHOOK',
          url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/affgraph`,
        },
      },
      token,
    )
    signingSecret = hook.body.data!.createAlertDestination.signingSecret
    const mail = await t.gql<{ createAlertDestination: { destination: { id: string } } }>(
      CREATE_DESTINATION,
      {
        input: {
          name: 'ops mail',
          kind: 'EMAIL',
          email: {
            host: '127.0.0.1',
            port: (smtp.server.address() as AddressInfo).port,
            secure: false,
            from: 'affgraph@example.com',
            to: ['ops@example.com'],
          },
        },
      },
      token,
    )
    destinationIds = [
      hook.body.data!.createAlertDestination.destination.id,
      mail.body.data!.createAlertDestination.destination.id,
    ]
    const em = t.db.fork()
    em.setFilterParams('workspace', { id: workspaceId })
    const connection = platform.definition.connection.schema.parse(sim.accounts[0]!.connection) as Record<
      string,
      unknown
    >
    const outcome = await connectAccount(
      t.services,
      em,
      { workspaceId, workspaceName: 'alerts', tokenId: '' },
      platform,
      connection,
      {},
    )
    if (!outcome.ok) throw new Error(outcome.error.message)
    accountId = outcome.account.id
    await until(async () => {
      const runs = await t.db.fork().find(SyncRun, { account: accountId }, { filters: false })
      return runs.length > 0 && runs.every((r) => r.status === 'SUCCEEDED')
    })
  }, 180_000)

  afterAll(async () => {
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()))
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()))
    await engine?.stop(5_000)
    await sim?.close()
    await t?.close()
  })

  it('given rules of every kind on a healthy account, when they are created, then they are evaluated at once and nothing fires', async () => {
    await createRule({ name: 'Revisions', kind: 'REVISION' })
    await createRule({ name: 'Stale', kind: 'SYNC_STALE', settings: { staleHours: 24 } })
    await createRule({ name: 'Refused key', kind: 'CREDENTIALS_REFUSED' })
    await createRule({
      name: 'Clicks drop',
      kind: 'TRAFFIC_CHANGE',
      settings: { metric: 'CLICKS', direction: 'DROP', changePercent: 70 },
    })
    expect((await alerts()).totalCount).toBe(0)
  })

  it('given bad settings, when a rule is created, then a typed error names the field and nothing is stored', async () => {
    const wrongKind = await t.gql<{ createAlertRule: { __typename: string; fields: { path: string[] }[] } }>(
      CREATE_RULE,
      { input: { name: 'x', kind: 'SYNC_STALE', settings: { changePercent: 10 } } },
      token,
    )
    expect(wrongKind.body.data!.createAlertRule.__typename).toBe('InvalidArgumentError')
    expect(wrongKind.body.data!.createAlertRule.fields[0]!.path).toEqual([
      'input',
      'settings',
      'changePercent',
    ])
    const outOfRange = await t.gql<{ createAlertRule: { __typename: string; fields: { path: string[] }[] } }>(
      CREATE_RULE,
      { input: { name: 'x', kind: 'SYNC_STALE', settings: { staleHours: 0 } } },
      token,
    )
    expect(outOfRange.body.data!.createAlertRule.__typename).toBe('InvalidArgumentError')
    expect(outOfRange.body.data!.createAlertRule.fields[0]!.path).toEqual(['input', 'settings', 'staleHours'])
    const rules = await t.db.query<{ n: unknown }>(
      'select count(*) as n from alert_rule where workspace_id = ?',
      [workspaceId],
    )
    expect(Number(rules[0]!.n)).toBe(4)
  })

  it('given FTDs that vanish from a stored day, when the lookback sync runs, then one revision alert fires and it resolves when they come back', async () => {
    const day = addDays(clock.today(), -5)
    const before = sim.truth(simKey, { from: day, to: day }).reduce((a, r) => a + (r.ftds ?? 0), 0)
    sim.revise(simKey, day, 'ftds-reversed')
    const after = sim.truth(simKey, { from: day, to: day }).reduce((a, r) => a + (r.ftds ?? 0), 0)
    expect(after).toBeLessThan(before)
    await syncWindow(addDays(clock.today(), -7), addDays(clock.today(), -1))
    const open = await alerts({ status: 'OPEN' })
    expect(open.nodes).toHaveLength(1)
    const [alert] = open.nodes
    expect(alert).toMatchObject({
      kind: 'REVISION',
      day,
      metric: 'ftds',
      before: String(before),
      after: String(after),
    })
    expect(alert!.reasons).toContain('FTDS_REMOVED')
    expect(alert!.reasons).not.toContain('AFTER_MONTH_CLOSE')
    expect(alert!.title).toMatch(new RegExp(`${before - after} FTDs? removed from ${day}`))

    // The same condition seen again is the same alert.
    await evaluateAlerts(t.services, { workspaceId })
    expect((await alerts()).totalCount).toBe(1)

    sim.revise(simKey, day, 'restored')
    await syncWindow(addDays(clock.today(), -7), addDays(clock.today(), -1))
    const all = await alerts()
    expect(all.nodes).toHaveLength(1)
    expect(all.nodes[0]).toMatchObject({ id: alert!.id, status: 'RESOLVED', resolution: 'CLEARED' })
  })

  it('given a day of last month revised after the month closed, when it syncs, then one alert says so and it resolves when the figure is restored', async () => {
    clock.advance(14 * 24) // 3 August
    const day = '2026-07-10'
    sim.revise(simKey, day, 'revenue-adjusted')
    await syncWindow('2026-07-08', '2026-07-12')
    const open = await alerts({ status: 'OPEN' })
    expect(open.nodes).toHaveLength(1)
    const [alert] = open.nodes
    expect(alert).toMatchObject({ kind: 'REVISION', day })
    expect(alert!.reasons).toEqual(expect.arrayContaining(['AFTER_MONTH_CLOSE']))
    expect(alert!.title).toMatch(/after its month closed/)
    sim.revise(simKey, day, 'restored')
    await syncWindow('2026-07-08', '2026-07-12')
    expect((await alerts({ status: 'OPEN' })).nodes).toEqual([])
    expect((await alerts({ status: 'RESOLVED' })).totalCount).toBe(2)
  })

  it('given no successful sync for longer than the rule allows, when the clock evaluates, then one stale alert fires and the next sync resolves it', async () => {
    clock.advance(25)
    await evaluateAlerts(t.services, {})
    await evaluateAlerts(t.services, {})
    const open = await alerts({ status: 'OPEN' })
    expect(open.nodes).toHaveLength(1)
    expect(open.nodes[0]).toMatchObject({ kind: 'SYNC_STALE' })
    expect(Number(open.nodes[0]!.after)).toBeGreaterThanOrEqual(25)
    await syncWindow(addDays(clock.today(), -2), addDays(clock.today(), -1))
    expect((await alerts({ status: 'OPEN' })).totalCount).toBe(0)
    expect((await alerts({ kinds: ['SYNC_STALE'] })).nodes[0]).toMatchObject({ status: 'RESOLVED' })
  })

  it('given the platform refuses the key, when a sync fails, then one credentials alert fires and a successful sync resolves it', async () => {
    sim.faults.inject('expired-token')
    try {
      const [run] = await syncWindow(addDays(clock.today(), -2), addDays(clock.today(), -1))
      expect(run!.errorCode).toBe('PLATFORM_AUTH_FAILED')
      await evaluateAlerts(t.services, {})
      const open = await alerts({ status: 'OPEN' })
      expect(open.nodes).toHaveLength(1)
      expect(open.nodes[0]).toMatchObject({ kind: 'CREDENTIALS_REFUSED' })
    } finally {
      sim.faults.clear()
    }
    await syncWindow(addDays(clock.today(), -2), addDays(clock.today(), -1))
    expect((await alerts({ status: 'OPEN' })).totalCount).toBe(0)
    expect((await alerts({ kinds: ['CREDENTIALS_REFUSED'] })).nodes[0]).toMatchObject({ status: 'RESOLVED' })
  })

  it('given the last complete day lost most of its clicks, when it syncs, then one drop alert fires against the median and the next normal day resolves it', async () => {
    // A day never stored before (a stored day losing its clicks would be a revision alert as well).
    clock.advance(24)
    const yesterday = addDays(clock.today(), -1)
    sim.revise(simKey, yesterday, 'traffic-lost')
    await syncWindow(addDays(yesterday, -15), yesterday)
    const open = await alerts({ status: 'OPEN' })
    expect(open.nodes).toHaveLength(1)
    const [alert] = open.nodes
    expect(alert).toMatchObject({
      kind: 'TRAFFIC_CHANGE',
      day: yesterday,
      metric: 'clicks',
      reasons: ['DROP'],
    })
    expect(Number(alert!.after)).toBeLessThan(Number(alert!.before) * 0.3)

    // The next morning, before the new day is synced, the alert stands (an unsynced day is not a day of no traffic).
    clock.advance(13)
    await evaluateAlerts(t.services, {})
    expect((await alerts({ status: 'OPEN' })).nodes.map((a) => a.kind)).toEqual(['TRAFFIC_CHANGE'])
    await syncWindow(addDays(clock.today(), -1), addDays(clock.today(), -1))
    expect((await alerts({ status: 'OPEN' })).totalCount).toBe(0)
    expect((await alerts({ kinds: ['TRAFFIC_CHANGE'] })).nodes[0]).toMatchObject({
      id: alert!.id,
      status: 'RESOLVED',
    })
  })

  it('given alerts of one workspace, when another workspace lists alerts, then it sees none of them', async () => {
    const other = await t.workspace('alerts-other')
    const res = await t.gql<{ alerts: { totalCount: number } }>(ALERTS, {}, other.token)
    expect(res.body.data!.alerts.totalCount).toBe(0)
    const stored = await t.db.fork().count(Alert, { workspace: workspaceId }, { filters: false })
    expect(stored).toBeGreaterThanOrEqual(5)
  })

  it('given every alert above fired and resolved, when deliveries settle, then each event reached the webhook once, signed, and the mail server once', async () => {
    const events = await t.db.query<{ id: string; resolved: unknown }>(
      'select id, resolved_at as resolved from alert where workspace_id = ?',
      [workspaceId],
    )
    // Five conditions, each fired and resolved: ten events, each to two destinations.
    expect(events).toHaveLength(5)
    expect(events.every((e) => e.resolved)).toBe(true)
    await until(async () => hooks.length >= 10 && mails.length >= 10)
    // Time for a stray second copy, which must not come.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(hooks).toHaveLength(10)
    expect(new Set(hooks.map((h) => h.key)).size).toBe(10)
    for (const h of hooks) {
      const expected = createHmac('sha256', signingSecret).update(`${h.timestamp}.${h.body}`).digest('hex')
      expect(h.signature).toBe(`v1=${expected}`)
      expect(JSON.parse(h.body).deliveryId).toBe(h.key)
    }
    expect(hooks.filter((h) => h.event === 'FIRED')).toHaveLength(5)
    expect(hooks.filter((h) => h.event === 'RESOLVED')).toHaveLength(5)
    expect(mails).toHaveLength(10)
    const mailKeys = mails.map((m) => /X-Affgraph-Delivery: (\S+)/.exec(m)?.[1])
    expect(new Set(mailKeys).size).toBe(10)
  })
})
