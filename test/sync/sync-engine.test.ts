import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Account } from '../../src/account/account.entity.ts'
import { connectAccount } from '../../src/account/account.service.ts'
import { startSync } from '../../src/bootstrap.ts'
import type { PlatformSimulator, ReportRow } from '../../src/sdk/index.ts'
import { SyncRun } from '../../src/sync/sync.entity.ts'
import type { SyncEngine } from '../../src/sync/sync-engine.ts'
import { trailingWindow } from '../../src/sync/sync-engine.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe(`sync engine on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let sim: PlatformSimulator
  let engine: SyncEngine
  let workspaceId: string
  let account: Account

  beforeAll(async () => {
    t = await createTestApp({
      env: { AFFGRAPH_SYNC_RETRY_DELAY_SECONDS: '1', AFFGRAPH_SYNC_POLL_SECONDS: '1' },
    })
    const platform = t.registry.get('softswiss')!
    sim = await platform.definition.simulator.create({ seed: 'sync', accounts: 1, pageSize: 200 })
    engine = await startSync(t.services, {
      schedule: false,
      retryLimit: 3,
      retryDelaySeconds: 1,
      circuitThreshold: 3,
      circuitOpenSeconds: 60,
    })
    workspaceId = (await t.workspace('sync')).id
    const em = t.db.fork()
    em.setFilterParams('workspace', { id: workspaceId })
    const connection = platform.definition.connection.schema.parse(sim.accounts[0]!.connection) as Record<
      string,
      unknown
    >
    const outcome = await connectAccount(
      t.services,
      em,
      { workspaceId, workspaceName: 'sync', tokenId: '' },
      platform,
      connection,
      {},
    )
    if (!outcome.ok) throw new Error(outcome.error.message)
    account = outcome.account
  }, 120_000)

  afterAll(async () => {
    await engine?.stop(5_000)
    await sim?.close()
    await t?.close()
  })

  it('given a newly connected account, when its backfill runs, then the stored days equal the platform truth', async () => {
    await until(async () => {
      const done = await t.db.fork().find(SyncRun, { account: account.id }, { filters: false })
      return done.length > 0 && done.every((r) => r.status === 'SUCCEEDED')
    })
    const runs = await t.db.fork().find(SyncRun, { account: account.id }, { filters: false })
    // The default 90-day backfill, in windows no longer than the plugin's 31 days.
    expect(runs.map((r) => r.kind)).toEqual(['BACKFILL', 'BACKFILL', 'BACKFILL'])
    const window = trailingWindow(90, 'UTC', t.services.clock.now())
    const truth = sim.truth(sim.accounts[0]!.key, window)
    const stored = await t.db.query<{ n: unknown; clicks: unknown; commission: unknown }>(
      'select count(*) as n, sum(clicks) as clicks, sum(commission)::text as commission from stat_day where account_id = ?',
      [account.id],
    )
    const sum = (rows: ReportRow[], f: (r: ReportRow) => number) => rows.reduce((a, r) => a + f(r), 0)
    expect(Number(stored[0]!.n)).toBe(truth.length)
    expect(Number(stored[0]!.clicks)).toBe(sum(truth, (r) => r.clicks ?? 0))
    const runRows = await t.db.fork().find(SyncRun, { account: account.id }, { filters: false })
    expect(runRows.every((r) => r.requests > 0)).toBe(true)
  })

  const runsOf = (accountId: string) =>
    t.db.fork().find(SyncRun, { account: accountId }, { filters: false, orderBy: { createdAt: 'asc' } })
  const settle = (accountId: string, count: number) =>
    until(async () => {
      const runs = await runsOf(accountId)
      return runs.length >= count && runs.every((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED')
    })
  const syncWindow = async (accountId: string, window: { from: string; to: string }) => {
    const em = t.db.fork()
    const fresh = await em.findOneOrFail(
      Account,
      { id: accountId },
      { filters: false, populate: ['workspace'] },
    )
    const runs = await engine.enqueue(em, fresh, window, 'MANUAL')
    await until(async () => {
      const all = await t.db.fork().find(SyncRun, { id: { $in: runs.map((r) => r.id) } }, { filters: false })
      return all.every((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED')
    })
    return t.db.fork().find(SyncRun, { id: { $in: runs.map((r) => r.id) } }, { filters: false })
  }

  it('given the same window synced again, when nothing changed upstream, then no row is written and no change recorded', async () => {
    await settle(account.id, 3)
    const changesBefore = await t.db.query<{ n: unknown }>('select count(*) as n from stat_change')
    const [run] = await syncWindow(account.id, trailingWindow(10, 'UTC', t.services.clock.now()))
    expect(run!.status).toBe('SUCCEEDED')
    expect(run!.rowsWritten).toBe(0)
    expect(run!.rowsChanged).toBe(0)
    const changesAfter = await t.db.query<{ n: unknown }>('select count(*) as n from stat_change')
    expect(Number(changesAfter[0]!.n)).toBe(Number(changesBefore[0]!.n))
  })

  it('given the platform revised a past day, when the lookback sync runs, then the stored day follows and each change is recorded', async () => {
    const window = trailingWindow(7, 'UTC', t.services.clock.now())
    const day = window.from
    const key = sim.accounts[0]!.key
    const before = sim.truth(key, { from: day, to: day })
    sim.revise(key, day)
    const after = sim.truth(key, { from: day, to: day })
    expect(after).not.toEqual(before)
    const [run] = await syncWindow(account.id, window)
    expect(run!.rowsChanged).toBeGreaterThan(0)
    const stored = await t.db.query<{ clicks: unknown }>(
      'select sum(clicks) as clicks from stat_day where account_id = ? and day = ?',
      [account.id, day],
    )
    expect(Number(stored[0]!.clicks)).toBe(after.reduce((a, r) => a + (r.clicks ?? 0), 0))
    const changes = await t.db.query<{ metric: string; day: string; sync_run_id: string }>(
      'select metric, day::text as day, sync_run_id from stat_change where account_id = ?',
      [account.id],
    )
    expect(changes.length).toBeGreaterThan(0)
    expect(changes.every((c) => c.day === day && c.sync_run_id === run!.id)).toBe(true)
    expect(changes.map((c) => c.metric)).toContain('clicks')
  })

  it('given the platform now refuses the credentials, when a sync runs, then it fails once, is not retried and the account says why', async () => {
    const requestsBefore = sim.log.length
    sim.faults.inject('expired-token')
    try {
      const [run] = await syncWindow(account.id, trailingWindow(3, 'UTC', t.services.clock.now()))
      expect(run!.status).toBe('FAILED')
      expect(run!.attempts).toBe(1)
      expect(run!.errorCode).toBe('PLATFORM_AUTH_FAILED')
      // One report request, perhaps preceded by the plugin's column lookup: never a retry storm.
      expect(sim.log.length - requestsBefore).toBeLessThanOrEqual(2)
      const fresh = await t.db.fork().findOneOrFail(Account, { id: account.id }, { filters: false })
      expect(fresh.status).toBe('AUTH_FAILED')
      expect(fresh.lastErrorCode).toBe('PLATFORM_AUTH_FAILED')
      expect(fresh.lastErrorMessage).toMatch(/token/i)
    } finally {
      sim.faults.clear()
    }
  })

  it('given one host in a lasting outage, when accounts sync, then its circuit opens and an account on another host still syncs', async () => {
    const platform = t.registry.get('softswiss')!
    const other = await platform.definition.simulator.create({
      seed: 'sync-other',
      accounts: 1,
      pageSize: 200,
    })
    try {
      const em = t.db.fork()
      em.setFilterParams('workspace', { id: workspaceId })
      const connection = platform.definition.connection.schema.parse(other.accounts[0]!.connection) as Record<
        string,
        unknown
      >
      const outcome = await connectAccount(
        t.services,
        em,
        { workspaceId, workspaceName: 'sync', tokenId: '' },
        platform,
        connection,
        {},
      )
      if (!outcome.ok) throw new Error(outcome.error.message)
      sim.faults.inject('outage')
      const em2 = t.db.fork()
      const down = await em2.findOneOrFail(
        Account,
        { id: account.id },
        { filters: false, populate: ['workspace'] },
      )
      const [failing] = await engine.enqueue(
        em2,
        down,
        trailingWindow(2, 'UTC', t.services.clock.now()),
        'MANUAL',
      )
      const [healthy] = await syncWindow(outcome.account.id, trailingWindow(5, 'UTC', t.services.clock.now()))
      expect(healthy!.status).toBe('SUCCEEDED')
      const host = new URL(sim.baseUrl).host
      // The attempt that opens the circuit records the failure before it marks its run: wait for both.
      await until(async () => {
        const rows = await t.db.query<{ opened: unknown; status: string }>(
          `select c.opened_until > now() as opened, r.status from host_circuit c, sync_run r
            where c.host = ? and r.id = ?`,
          [host, failing!.id],
        )
        return rows[0]?.opened === true && rows[0]?.status !== 'RUNNING'
      }, 60_000)
      const run = await t.db.fork().findOneOrFail(SyncRun, { id: failing!.id }, { filters: false })
      expect(['RETRYING', 'FAILED']).toContain(run.status)
      const otherHost = await t.db.query<{ opened: unknown }>(
        'select opened_until > now() as opened from host_circuit where host = ?',
        [new URL(other.baseUrl).host],
      )
      expect(otherHost[0]?.opened ?? false).toBe(false)
    } finally {
      sim.faults.clear()
      await other.close()
    }
  }, 90_000)

  it("given two workspaces' ClickBank accounts (no program URL, API addresses of their own), when one workspace's API host keeps failing, then only that workspace's circuit for that host opens and the other workspace still syncs", async () => {
    const platform = t.registry.get('clickbank')!
    const [failing, healthy] = await Promise.all(
      ['circuit-a', 'circuit-b'].map((seed) => platform.definition.simulator.create({ seed, accounts: 1 })),
    )
    try {
      const connect = async (name: string, sim: PlatformSimulator) => {
        const ws = await t.workspace(name)
        const em = t.db.fork()
        em.setFilterParams('workspace', { id: ws.id })
        const connection = platform.definition.connection.schema.parse(sim.accounts[0]!.connection) as Record<
          string,
          unknown
        >
        const outcome = await connectAccount(
          t.services,
          em,
          { workspaceId: ws.id, workspaceName: name, tokenId: '' },
          platform,
          connection,
          {},
        )
        if (!outcome.ok) throw new Error(outcome.error.message)
        return { workspaceId: ws.id, account: outcome.account }
      }
      const a = await connect('circuit-a', failing!)
      const b = await connect('circuit-b', healthy!)
      failing!.faults.inject('outage')
      const em = t.db.fork()
      const down = await em.findOneOrFail(
        Account,
        { id: a.account.id },
        { filters: false, populate: ['workspace'] },
      )
      await engine.enqueue(em, down, trailingWindow(2, 'UTC', t.services.clock.now()), 'MANUAL')
      const circuits = () =>
        t.db.query<{ workspace_id: string; host: string; opened: unknown }>(
          'select workspace_id, host, opened_until > now() as opened from host_circuit where workspace_id in (?, ?)',
          [a.workspaceId, b.workspaceId],
        )
      await until(async () => (await circuits()).some((c) => c.opened === true), 60_000)
      const [run] = await syncWindow(b.account.id, trailingWindow(3, 'UTC', t.services.clock.now()))
      expect(run!.status, `${run!.errorCode}: ${run!.errorMessage}`).toBe('SUCCEEDED')
      const open = (await circuits()).filter((c) => c.opened === true)
      expect(open).toEqual([
        { workspace_id: a.workspaceId, host: new URL(failing!.baseUrl).host, opened: true },
      ])
    } finally {
      failing!.faults.clear()
      await Promise.all([failing?.close(), healthy?.close()])
    }
  }, 120_000)

  it('given an account saved by a process that died before queueing its backfill, when the scheduler ticks twice, then the account gets its full backfill once', async () => {
    const platform = t.registry.get('softswiss')!
    const ws = await t.workspace('lost-backfill')
    const em = t.db.fork()
    em.setFilterParams('workspace', { id: ws.id })
    const connection = platform.definition.connection.schema.parse(sim.accounts[0]!.connection) as Record<
      string,
      unknown
    >
    // Without a sync engine the account is saved and nothing is queued: the state a crash in between leaves.
    const saved = await connectAccount(
      { ...t.services, sync: null },
      em,
      { workspaceId: ws.id, workspaceName: 'lost-backfill', tokenId: '' },
      platform,
      connection,
      {},
    )
    if (!saved.ok) throw new Error(saved.error.message)
    expect(await runsOf(saved.account.id)).toEqual([])
    await engine.enqueueDue()
    await engine.enqueueDue()
    const runs = await runsOf(saved.account.id)
    expect(runs.map((r) => r.kind)).toEqual(['BACKFILL', 'BACKFILL', 'BACKFILL'])
    // Three windows of at most 31 days: the 90-day backfill, not the shorter periodic lookback.
    expect(await engine.repairBackfills()).toBe(0)
    await settle(saved.account.id, 3)
  }, 120_000)

  it('given on-demand runs left RUNNING by a process that died, when the scheduler ticks, then those older than an hour are closed as INTERRUPTED and recent ones are left alone', async () => {
    const now = t.services.clock.now()
    const em = t.db.fork()
    const runAt = (minutesAgo: number) =>
      em.create(SyncRun, {
        id: crypto.randomUUID(),
        workspace: account.workspace,
        account,
        kind: 'ON_DEMAND',
        windowFrom: '2026-01-01',
        windowTo: '2026-01-02',
        status: 'RUNNING',
        attempts: 1,
        createdAt: new Date(now.getTime() - minutesAgo * 60_000),
        startedAt: new Date(now.getTime() - minutesAgo * 60_000),
      })
    const [old, recent] = [runAt(61), runAt(5)]
    await em.flush()

    await engine.enqueueDue(now)

    const after = await t.db.fork().find(SyncRun, { id: { $in: [old.id, recent.id] } }, { filters: false })
    const byId = new Map(after.map((r) => [r.id, r]))
    expect(byId.get(old.id)).toMatchObject({ status: 'FAILED', errorCode: 'INTERRUPTED', finishedAt: now })
    expect(byId.get(recent.id)).toMatchObject({ status: 'RUNNING', errorCode: null, finishedAt: null })
  })
})
