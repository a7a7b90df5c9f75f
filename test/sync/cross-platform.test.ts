import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSync } from '../../src/bootstrap.ts'
import type { LoadedPlatform } from '../../src/platform/platform-registry.ts'
import { splitWindow } from '../../src/platform/window.ts'
import {
  COUNT_METRICS,
  type DateWindow,
  eachDay,
  MONEY_METRICS,
  normalizeDecimal,
  type PlatformSimulator,
  type ReportRow,
} from '../../src/sdk/index.ts'
import type { SyncEngine } from '../../src/sync/sync-engine.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { plantCanary } from '../support/log-sink.ts'
import { sortRows } from '../support/plugin-harness.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { testWindow } from '../support/test-clock.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

const SEED = 'cross-platform'
// Sixty days ending the day before the suite's yesterday: every platform has settled figures for all of them.
const WINDOW: DateWindow = testWindow(2, 60)

interface Connected {
  platform: LoadedPlatform
  sim: PlatformSimulator
  simKey: string
  /** As stored (the tables' id). */
  accountId: string
  /** As the API names it. */
  apiId: string
}

/** Reads an account's stored days back into ReportRow form, exactly as the plugin delivered them. */
async function storedRows(t: TestApp, accountId: string): Promise<ReportRow[]> {
  const rows = await t.db.query<Record<string, unknown>>(
    `select day::text as day, brand, campaign, currency,
       impressions, clicks, signups, ftds, deposit_count, cpa_count, sales_count, refund_count, chargeback_count,
       deposits::text as deposits, net_revenue::text as net_revenue, commission::text as commission,
       sales_amount::text as sales_amount, refund_amount::text as refund_amount,
       chargeback_amount::text as chargeback_amount
     from stat_day where account_id = ?`,
    [accountId],
  )
  const column = (metric: string) => metric.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
  return rows.map((r) => {
    const row: Record<string, unknown> = {
      date: String(r.day).slice(0, 10),
      brand: r.brand || null,
      campaign: r.campaign || null,
      currency: r.currency || null,
    }
    for (const m of COUNT_METRICS) row[m] = r[column(m)] === null ? null : Number(r[column(m)])
    for (const m of MONEY_METRICS)
      row[m] = r[column(m)] === null ? null : normalizeDecimal(String(r[column(m)]))
    return row as ReportRow
  })
}

/**
 * The acceptance test of the whole pipeline, platform by platform: one account on every bundled platform,
 * connected through GraphQL, synced over sixty days by the sync engine (windows split as each plugin allows,
 * pages, retries and rate limits all real), and the stored days compared with what each simulated platform holds.
 */
describe(`every bundled platform synced end to end on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let engine: SyncEngine
  let token: string
  const connected: Connected[] = []

  beforeAll(async () => {
    t = await createTestApp({ env: { AFFGRAPH_SYNC_POLL_SECONDS: '1' } })
    token = (await t.workspace('everyone')).token
    for (const platform of t.registry.all()) {
      const sim = await platform.definition.simulator.create({ seed: SEED, accounts: 1, pageSize: 25 })
      const account = sim.accounts[0]!
      for (const [name, field] of Object.entries(platform.definition.connection.fields)) {
        const value = account.connection[name]
        if ((field as { secret?: boolean }).secret && value) plantCanary(value)
      }
      const res = await t.gql<{
        connectAccount: { __typename: string; account?: { id: string }; message?: string }
      }>(
        `mutation ($input: ConnectAccountInput!) {
          connectAccount(input: $input) {
            __typename
            ... on ConnectAccountSuccess { account { id } }
            ... on UserError { message }
          }
        }`,
        {
          input: {
            connection: { [platform.fieldName]: account.connection },
            label: platform.definition.name,
          },
        },
        token,
      )
      const result = res.body.data?.connectAccount
      if (!result?.account) {
        await sim.close()
        throw new Error(`${platform.definition.id}: ${result?.message ?? JSON.stringify(res.body)}`)
      }
      connected.push({
        platform,
        sim,
        simKey: account.key,
        accountId: databaseIdOf(result.account.id),
        apiId: result.account.id,
      })
    }
    // Connected while no engine ran, so nothing was queued; the scheduler stays off and the test queues the window.
    engine = await startSync(t.services, {
      schedule: false,
      retryLimit: 2,
      retryDelaySeconds: 1,
      // Every simulator shares 127.0.0.1; the circuit breaker is tested elsewhere and must not hold runs back here.
      circuitThreshold: 1_000,
    })
  }, 120_000)

  afterAll(async () => {
    await engine?.stop(5_000)
    await Promise.all(connected.map((c) => c.sim.close()))
    await t?.close()
  })

  /** Queues the window for every account through GraphQL and waits until every run has finished. */
  async function syncEveryone(window: DateWindow) {
    const runIds: string[] = []
    for (const c of connected) {
      const res = await t.gql<{ syncAccount: { __typename: string; runs?: { id: string }[] } }>(
        `mutation ($id: ID!, $range: DateRangeInput) {
          syncAccount(input: { accountId: $id, range: $range }) { __typename ... on SyncStarted { runs { id } } }
        }`,
        { id: c.apiId, range: window },
        token,
      )
      expect(res.body.data?.syncAccount.__typename, c.platform.definition.id).toBe('SyncStarted')
      runIds.push(...res.body.data!.syncAccount.runs!.map((r) => databaseIdOf(r.id)))
    }
    const deadline = Date.now() + 120_000
    let runs: {
      id: string
      status: string
      account_id: string
      error_code: string | null
      window_from: string
      window_to: string
    }[] = []
    while (Date.now() < deadline) {
      runs = await t.db.query(
        `select id, status, account_id, error_code, window_from::text as window_from, window_to::text as window_to
         from sync_run where id in (${runIds.map(() => '?').join(', ')})`,
        runIds,
      )
      if (runs.every((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED')) break
      await new Promise((r) => setTimeout(r, 250))
    }
    return runs
  }

  /** Row-by-row differences between what each account stores and what its platform holds. */
  async function differences(window: DateWindow): Promise<string[]> {
    const found: string[] = []
    const fields = ['date', 'brand', 'campaign', 'currency', ...COUNT_METRICS, ...MONEY_METRICS] as const
    const show = (r: ReportRow | undefined) => (r ? JSON.stringify(fields.map((f) => r[f])) : 'nothing')
    for (const c of connected) {
      const truth = sortRows(c.sim.truth(c.simKey, window))
      const stored = sortRows(await storedRows(t, c.accountId))
      // A platform may report one brand only (an Income Access report URL covers one merchant): a day each at least.
      expect(truth.length, `${c.platform.definition.id} has data in the window`).toBeGreaterThan(50)
      for (let i = 0; i < Math.max(truth.length, stored.length); i++) {
        if (show(truth[i]) !== show(stored[i]))
          found.push(`${c.platform.definition.id}: truth ${show(truth[i])} stored ${show(stored[i])}`)
      }
    }
    return found
  }

  it('given one account on every bundled platform, when a sixty-day window syncs through the engine, then the stored days equal each platform truth with zero differences', async () => {
    expect(connected.map((c) => c.platform.definition.id).sort()).toEqual(
      t.registry
        .all()
        .map((p) => p.definition.id)
        .sort(),
    )
    const runs = await syncEveryone(WINDOW)
    expect(runs.filter((r) => r.status !== 'SUCCEEDED')).toEqual([])
    expect(new Set(runs.map((r) => r.account_id)).size).toBe(connected.length)
    expect((await differences(WINDOW)).slice(0, 5)).toEqual([])
  }, 180_000)

  it('given every platform revised its days and then breaks its answers midway, when the window syncs, then each window is stored whole or left as it was, never in part', async () => {
    const before = new Map<string, ReportRow[]>()
    for (const c of connected) {
      before.set(c.accountId, sortRows(await storedRows(t, c.accountId)))
      // Every day changes, so a window written from half a report would show old and new figures side by side.
      for (const day of eachDay(WINDOW)) c.sim.revise(c.simKey, day)
      // The first answer is whole, every later one is cut short.
      c.sim.faults.inject('truncated', { after: 1 })
    }
    const broken = await syncEveryone(WINDOW)
    for (const c of connected) c.sim.faults.clear()
    expect(broken.some((r) => r.status === 'FAILED')).toBe(true)
    for (const c of connected) {
      const id = c.platform.definition.id
      const mine = broken.filter((r) => r.account_id === c.accountId)
      expect(
        mine.some((r) => r.status === 'FAILED'),
        `${id}: a report cut short fails its run`,
      ).toBe(true)
      const stored = await storedRows(t, c.accountId)
      for (const run of mine) {
        const window = { from: run.window_from, to: run.window_to }
        const inWindow = (rows: ReportRow[]) =>
          sortRows(rows.filter((r) => r.date >= window.from && r.date <= window.to))
        expect(['SUCCEEDED', 'FAILED'], id).toContain(run.status)
        if (run.status === 'FAILED') {
          expect(['PLATFORM_RESPONSE_FORMAT', 'PLATFORM_UNAVAILABLE'], id).toContain(run.error_code)
          expect(inWindow(stored), `${id} ${window.from}…${window.to} kept as it was`).toEqual(
            inWindow(before.get(c.accountId)!),
          )
        } else {
          expect(inWindow(stored), `${id} ${window.from}…${window.to} stored whole`).toEqual(
            inWindow(c.sim.truth(c.simKey, window)),
          )
        }
      }
    }
    const clean = await syncEveryone(WINDOW)
    expect(clean.filter((r) => r.status !== 'SUCCEEDED')).toEqual([])
    expect((await differences(WINDOW)).slice(0, 5)).toEqual([])
  }, 240_000)

  it('given credentials every platform stops honouring (a regenerated key, a revoked client), when a sync runs, then each account says AUTH_FAILED in its platform words and keeps its days', async () => {
    const week: DateWindow = testWindow(2, 7)
    const before = new Map<string, ReportRow[]>()
    for (const c of connected) {
      before.set(c.accountId, sortRows(await storedRows(t, c.accountId)))
      c.sim.faults.inject('expired-token')
    }
    const runs = await syncEveryone(week)
    for (const c of connected) c.sim.faults.clear()
    const res = await t.gql<{
      accounts: {
        nodes: {
          id: string
          platformId: string
          status: string
          lastError: { code: string; message: string } | null
        }[]
      }
    }>('{ accounts(first: 50) { nodes { id platformId status lastError { code message } } } }', {}, token)
    for (const c of connected) {
      const id = c.platform.definition.id
      // One run per request window the platform allows (a week may cross a month, which NetRefer splits at).
      const windows = splitWindow(week, c.platform.definition.limits)
      expect(
        runs.filter((r) => r.account_id === c.accountId).map((r) => [r.status, r.error_code]),
        id,
      ).toEqual(windows.map(() => ['FAILED', 'PLATFORM_AUTH_FAILED']))
      const account = res.body.data?.accounts.nodes.find((a) => a.id === c.apiId)
      expect(account?.status, id).toBe('AUTH_FAILED')
      expect(account?.lastError?.code, id).toBe('PLATFORM_AUTH_FAILED')
      // Words a user acts on: which credential, or where to get a new one.
      expect(account?.lastError?.message, id).toMatch(
        /key|token|client|secret|password|credential|permission/i,
      )
      expect(sortRows(await storedRows(t, c.accountId)), `${id} kept its stored days`).toEqual(
        before.get(c.accountId),
      )
    }
    const clickbank = connected.find((c) => c.platform.definition.id === 'clickbank')
    if (clickbank) {
      const message = res.body.data?.accounts.nodes.find((a) => a.id === clickbank.apiId)?.lastError?.message
      expect(message).toMatch(/regenerated/)
    }
  }, 180_000)

  it('given the same seed, when the platforms are asked for their truth, then every one projects one shared ground truth', () => {
    // Count metrics do not depend on how money is reported, so wherever two platforms report an account in the same
    // currencies (ClickBank, say, knows only US dollars) and brands, and both deliver a metric, its daily totals
    // agree: the simulators differ in wire format, not in the activity they describe.
    const daily = (c: Connected, metric: (typeof COUNT_METRICS)[number]) => {
      const byDay = new Map<string, number>()
      for (const row of c.sim.truth(c.simKey, WINDOW)) {
        const v = row[metric]
        if (v !== null) byDay.set(row.date, (byDay.get(row.date) ?? 0) + v)
      }
      return Object.fromEntries(byDay)
    }
    const currencies = (c: Connected) =>
      [...new Set(c.sim.truth(c.simKey, WINDOW).map((r) => r.currency))].sort().join(',')
    // Likewise for brands: an Income Access report URL covers one merchant of the account, while a platform
    // without a brand breakdown sums them all.
    const brands = (c: Connected) =>
      [...new Set(c.sim.truth(c.simKey, WINDOW).map((r) => r.brand ?? '(all)'))].sort().join(',')
    const everyBrand = connected
      .map(brands)
      .reduce((a, b) => (b.split(',').length > a.split(',').length ? b : a))
    const covers = (c: Connected) => brands(c) === '(all)' || brands(c) === everyBrand
    // And for campaigns: a simulator may describe other tracking ids (ClickBank adds the hops without one and types
    // ids in capitals), which is other activity; two platforms that both break campaigns down must name the same.
    const campaigns = (c: Connected) =>
      [...new Set(c.sim.truth(c.simKey, WINDOW).map((r) => r.campaign ?? '(none)'))].sort().join(',')
    const reportsCampaigns = (c: Connected) =>
      c.platform.definition.capabilities.breakdowns.includes('campaign')
    let compared = 0
    for (const metric of COUNT_METRICS) {
      const reporting = connected.filter((c) => c.platform.definition.capabilities.metrics.includes(metric))
      for (const [i, a] of reporting.entries()) {
        for (const b of reporting.slice(i + 1)) {
          if (currencies(a) !== currencies(b)) continue
          if (brands(a) !== brands(b) && !(covers(a) && covers(b))) continue
          if (reportsCampaigns(a) && reportsCampaigns(b) && campaigns(a) !== campaigns(b)) continue
          const label = `${metric}: ${a.platform.definition.id} vs ${b.platform.definition.id}`
          expect(daily(a, metric), label).toEqual(daily(b, metric))
          compared++
        }
      }
    }
    expect(compared).toBeGreaterThan(5)
  })
})
