import { connect, createServer, type Server } from 'node:net'
import { networkInterfaces } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { testDay } from '../support/test-clock.ts'
import {
  API_TOKEN_PATTERN,
  bundledPluginIds,
  killAllProcesses,
  makeTempDir,
  startServer,
} from './support/affgraph-process.ts'

/** Whether a TCP connection to host:port is accepted (true) or refused (false); bounded. */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(3000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Addresses of this machine other than loopback: a loopback-only listener is not reachable on them. */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !(a.family === 'IPv6' && a.address.startsWith('fe80')))
    .map((a) => a.address)
}

describe('demo mode', () => {
  afterEach(killAllProcesses)
  afterAll(killAllProcesses)

  it('given --demo, when the server starts, then it prints a token alone on a line and the demo workspace has one OK account per bundled platform, served on loopback only', async () => {
    const dataDir = await makeTempDir('demo')
    try {
      const server = await startServer({
        dataDir: dataDir.path,
        args: ['--demo'],
        readyPattern: /^agk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/m,
      })
      const tokenLines = server.proc
        .stdout()
        .split('\n')
        .filter((line) => API_TOKEN_PATTERN.test(line))
      expect(tokenLines).toHaveLength(1)
      const token = tokenLines[0] ?? ''

      const result = await server.gql<{
        viewer: { workspace: { name: string } }
        accounts: {
          totalCount: number
          nodes: { platformId: string; status: string; baseUrl: string | null }[]
        }
      }>(
        '{ viewer { workspace { name } } accounts { totalCount nodes { platformId status baseUrl } } }',
        {},
        token,
      )
      expect(result.errors).toBeUndefined()
      expect(result.data?.viewer.workspace.name).toBe('demo')
      const accounts = result.data?.accounts.nodes ?? []
      expect(accounts.map((a) => a.platformId).sort()).toEqual(await bundledPluginIds())
      expect(result.data?.accounts.totalCount).toBe(accounts.length)
      for (const account of accounts) expect(account.status, account.platformId).toBe('OK')

      const simulatorPorts = new Set<number>()
      for (const account of accounts) {
        if (!account.baseUrl) continue
        const url = new URL(account.baseUrl)
        expect(['127.0.0.1', 'localhost', '[::1]'], account.platformId).toContain(url.hostname)
        simulatorPorts.add(Number(url.port))
      }
      expect(simulatorPorts.size, 'per-program platforms point at their simulators').toBeGreaterThan(0)
      const outside = externalAddresses()
      for (const port of simulatorPorts) {
        expect(await canConnect('127.0.0.1', port), `simulator on ${port} answers on loopback`).toBe(true)
        for (const address of outside) {
          expect(await canConnect(address, port), `simulator on ${port} is not reachable at ${address}`).toBe(
            false,
          )
        }
      }
      expect((await server.stop()).code).toBe(0)
    } finally {
      await killAllProcesses()
      await dataDir.remove()
    }
  }, 180_000)

  it('given the ports the demo prefers are taken, when --demo starts, then each simulator takes a free port instead and every demo account is OK', async () => {
    // Two listeners of our own on ports the system chose; the demo is told to prefer exactly those.
    const blockers: Server[] = []
    for (let i = 0; i < 2; i++) {
      const blocker = createServer()
      await new Promise<void>((resolve, reject) => {
        blocker.once('error', reject)
        blocker.listen(0, '127.0.0.1', resolve)
      })
      blockers.push(blocker)
    }
    const taken = blockers.map((b) => (b.address() as { port: number }).port)
    const dataDir = await makeTempDir('demo-busy')
    try {
      const server = await startServer({
        dataDir: dataDir.path,
        args: ['--demo'],
        // The first bundled simulator prefers base + 1.
        env: { AFFGRAPH_DEMO_PORT_BASE: String(taken[0]! - 1) },
        readyPattern: /^agk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/m,
      })
      const token =
        server.proc
          .stdout()
          .split('\n')
          .find((line) => API_TOKEN_PATTERN.test(line)) ?? ''
      const result = await server.gql<{
        accounts: { nodes: { platformId: string; status: string; baseUrl: string | null }[] }
      }>('{ accounts { nodes { platformId status baseUrl } } }', {}, token)
      const accounts = result.data?.accounts.nodes ?? []
      expect(accounts.map((a) => a.platformId).sort()).toEqual(await bundledPluginIds())
      for (const account of accounts) {
        expect(account.status, account.platformId).toBe('OK')
        if (account.baseUrl)
          expect(taken, account.platformId).not.toContain(Number(new URL(account.baseUrl).port))
      }
      expect((await server.stop()).code).toBe(0)
    } finally {
      for (const b of blockers) b.close()
      await killAllProcesses()
      await dataDir.remove()
    }
  }, 180_000)

  it('given --demo with a short revision interval, when its programs have synced, then they differ in name and size, revisions show in changes and exactly one account has its key refused', async () => {
    const dataDir = await makeTempDir('demo-story')
    try {
      const server = await startServer({
        dataDir: dataDir.path,
        args: ['--demo'],
        env: { AFFGRAPH_DEMO_REVISION_SECONDS: '3' },
        readyPattern: /^agk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/m,
      })
      const token =
        server.proc
          .stdout()
          .split('\n')
          .find((line) => API_TOKEN_PATTERN.test(line)) ?? ''
      // The server's today is the suite's: the previous month's revision lands in the month before testDay(0).
      const previousMonthEnd = testDay(-Number(testDay(0).slice(8, 10)))
      const previousMonth = { from: `${previousMonthEnd.slice(0, 8)}01`, to: previousMonthEnd }
      type Story = {
        accounts: {
          nodes: {
            platformId: string
            programName: string | null
            currency: string | null
            timeZone: string
            status: string
            lastSyncAt: string | null
            lastError: { code: string; message: string } | null
          }[]
        }
        ftds: { totalCount: number; nodes: { oldValue: string | null; newValue: string | null }[] }
        monthClose: {
          totalCount: number
          nodes: { day: string; oldValue: string | null; newValue: string | null }[]
        }
        alerts: { nodes: { kind: string; title: string; reasons: string[]; account: { status: string } }[] }
      }
      const storyQuery = `query ($month: StatChangesFilterInput!) {
        accounts(first: 100) { nodes { platformId programName currency timeZone status lastSyncAt lastError { code message } } }
        ftds: changes(first: 20, filter: { metrics: [FTDS] }) { totalCount nodes { oldValue newValue } }
        monthClose: changes(first: 20, filter: $month) { totalCount nodes { day oldValue newValue } }
        alerts(first: 100) { nodes { kind title reasons account { status } } }
      }`
      const variables = { month: { ...previousMonth, metrics: ['NET_REVENUE'] } }
      let story: Story | undefined
      const deadline = Date.now() + 120_000
      for (;;) {
        const result = await server.gql<Story>(storyQuery, variables, token)
        expect(result.errors).toBeUndefined()
        story = result.data ?? undefined
        const settled =
          story?.accounts.nodes.every((a) => a.lastSyncAt !== null) &&
          story.accounts.nodes.some((a) => a.status !== 'OK') &&
          story.ftds.totalCount > 0 &&
          story.monthClose.totalCount > 0 &&
          ['FTDS_REMOVED', 'AFTER_MONTH_CLOSE'].every((r) =>
            story?.alerts.nodes.some((a) => a.reasons.includes(r)),
          ) &&
          story.alerts.nodes.some((a) => a.kind === 'CREDENTIALS_REFUSED')
        if (settled || Date.now() > deadline) break
        await sleep(1000)
      }
      if (!story) throw new Error('no answer')

      const named = story.accounts.nodes.filter((a) => a.programName)
      expect(new Set(named.map((a) => a.programName)).size).toBe(named.length)
      expect(named.length).toBeGreaterThanOrEqual(4)
      const currencies = new Set(named.map((a) => a.currency).filter(Boolean))
      expect(currencies.size, [...currencies].join()).toBeGreaterThanOrEqual(3)
      expect(new Set(named.map((a) => a.timeZone)).size).toBeGreaterThanOrEqual(3)

      const trouble = story.accounts.nodes.filter((a) => a.status !== 'OK')
      expect(trouble.map((a) => a.status)).toEqual(['AUTH_FAILED'])
      expect(trouble[0]?.lastError?.code).toBe('PLATFORM_AUTH_FAILED')

      expect(story.ftds.totalCount).toBeGreaterThan(0)
      for (const change of story.ftds.nodes)
        expect(Number(change.newValue ?? 0)).toBeLessThan(Number(change.oldValue))
      expect(story.monthClose.totalCount).toBeGreaterThan(0)
      for (const change of story.monthClose.nodes) {
        expect(change.day >= previousMonth.from && change.day <= previousMonth.to).toBe(true)
        expect(Number(change.newValue)).toBeLessThan(Number(change.oldValue))
      }

      // The recommended rules are on: the demo's revisions and its expired key raised alerts, a month-close
      // revision as one alert per program and month, not one per day.
      const reasons = story.alerts.nodes.flatMap((a) => a.reasons)
      expect(reasons).toContain('FTDS_REMOVED')
      expect(reasons).toContain('AFTER_MONTH_CLOSE')
      const refused = story.alerts.nodes.filter((a) => a.kind === 'CREDENTIALS_REFUSED')
      expect(refused.map((a) => a.account.status)).toEqual(['AUTH_FAILED'])
      const monthAlerts = story.alerts.nodes.filter((a) => a.reasons.includes('AFTER_MONTH_CLOSE'))
      expect(monthAlerts.length).toBeLessThanOrEqual(story.accounts.nodes.length)

      // Deals and a payment ledger: the reconciliation shows paid months and exactly one program paid short.
      type Ledger = {
        deals: { totalCount: number }
        reconciliation: {
          rows: {
            account: { programName: string | null }
            month: string
            status: string
            owed: { amount: string } | null
            paid: { amount: string }
            outstanding: { amount: string } | null
          }[]
        }
      }
      const lastMonth = previousMonthEnd.slice(0, 7)
      const monthBefore = testDay(
        -Number(previousMonthEnd.slice(8, 10)) - Number(testDay(0).slice(8, 10)),
      ).slice(0, 7)
      let ledger: Ledger | undefined
      const ledgerDeadline = Date.now() + 60_000
      for (;;) {
        const result = await server.gql<Ledger>(
          `query ($from: String!, $to: String!) { deals(first: 0) { totalCount }
            reconciliation(fromMonth: $from, toMonth: $to) { rows { account { programName } month status
              owed { amount } paid { amount } outstanding { amount } } } }`,
          { from: monthBefore, to: lastMonth },
          token,
        )
        expect(result.errors).toBeUndefined()
        ledger = result.data ?? undefined
        if (ledger?.reconciliation.rows.some((r) => r.status === 'SHORT') || Date.now() > ledgerDeadline)
          break
        await sleep(1000)
      }
      expect(ledger?.deals.totalCount).toBe(3)
      const short = ledger?.reconciliation.rows.filter((r) => r.status === 'SHORT') ?? []
      expect(short.map((r) => [r.account.programName, r.month])).toEqual([['Tidewater Bingo', lastMonth]])
      const gap = Number(short[0]?.outstanding?.amount)
      const owed = Number(short[0]?.owed?.amount)
      expect(
        gap === 250 || Math.abs(gap - Math.max(1, Math.round(owed * 10) / 100)) < 0.005,
        String(gap),
      ).toBe(true)
      const paid =
        ledger?.reconciliation.rows.filter((r) => r.month === monthBefore && r.status === 'PAID') ?? []
      expect(
        paid.length,
        JSON.stringify(ledger?.reconciliation.rows.map((r) => [r.account.programName, r.month, r.status])),
      ).toBeGreaterThanOrEqual(4)

      // In the programs' own currencies (rates may still be loading): one row per account and currency.
      const totals = await server.gql<{
        stats: {
          rows: {
            nodes: { account: { programName: string | null }; commission: { amount: string } | null }[]
          }
        }
      }>(
        `query ($from: Date!, $to: Date!) {
          stats(input: { range: { from: $from, to: $to }, groupBy: [ACCOUNT] }) {
            rows { nodes { account { programName } commission { amount } } }
          }
        }`,
        { from: testDay(-60), to: testDay(-1) },
        token,
      )
      expect(totals.errors).toBeUndefined()
      const mainCommission = new Map<string, number>()
      for (const row of totals.data?.stats.rows.nodes ?? []) {
        const name = row.account.programName
        if (!name || !row.commission) continue
        mainCommission.set(name, Math.max(mainCommission.get(name) ?? 0, Number(row.commission.amount)))
      }
      const commissions = [...mainCommission.values()]
      expect(commissions.length).toBeGreaterThanOrEqual(4)
      expect(new Set(commissions).size, 'each program has its own figures').toBe(commissions.length)
      expect(Math.max(...commissions) / Math.min(...commissions), 'small and large programs').toBeGreaterThan(
        5,
      )
      expect((await server.stop()).code).toBe(0)
    } finally {
      await killAllProcesses()
      await dataDir.remove()
    }
  }, 180_000)

  it('given --demo, when SIGTERM arrives while the demo is still seeding, then the server shuts down cleanly with exit code 0', async () => {
    const dataDir = await makeTempDir('demo-early-stop')
    try {
      // Listening comes before the demo's accounts are connected and synced: stop it right there.
      const server = await startServer({ dataDir: dataDir.path, args: ['--demo'] })
      expect(server.proc.stdout()).not.toMatch(/affgraph demo is ready/)
      const exit = await server.stop()
      expect({ ...exit, out: exit.code === 0 ? '' : server.proc.stdout().slice(-3000) }).toEqual({
        code: 0,
        signal: null,
        out: '',
      })
      expect(server.proc.stdout()).toMatch(/"msg":"shutting down"/)
    } finally {
      await killAllProcesses()
      await dataDir.remove()
    }
  }, 120_000)
})
