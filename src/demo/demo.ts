import type { EntityManager } from '@mikro-orm/core'
import { Account } from '../account/account.entity.ts'
import { connectAccount, updateAccountConnection } from '../account/account.service.ts'
import { ensureRecommendedRules } from '../alerts/alert-defaults.ts'
import type { AppServices } from '../app-services.ts'
import { startEcbSimulator } from '../fx/ecb-simulator.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugins } from '../platform/plugin-loader.ts'
import type { DateWindow, PlatformSimulator, TruthAccountSpec } from '../sdk/index.ts'
import { addDays } from '../sdk/index.ts'
import { SyncRun } from '../sync/sync.entity.ts'
import { trailingWindow } from '../sync/sync-engine.ts'
import { ensureWorkspace, issueApiToken } from '../workspace/workspace.service.ts'
import { seedDemoDeals, startDemoLedger } from './demo-ledger.ts'

export interface DemoHandle {
  /** Outbound allowlist entries the demo needs: its simulators listen on loopback. */
  allow: string[]
  /** The local ECB simulator: the demo's reference rates, labelled as simulated. */
  fxUrl: string
  seed(services: AppServices, graphqlUrl: string): Promise<{ token: string }>
  close(): Promise<void>
}

export interface DemoOptions {
  /** Simulators prefer the ports after this one. */
  portBase?: number
  /** Seconds between two batches of revisions; the first one comes sooner, see FIRST_BATCH_DELAY_MS. */
  revisionSeconds?: number
}

export const DEMO_WORKSPACE = 'demo'
/**
 * Fixed ports keep a restarted demo's stored account URLs valid; a simulator whose port is taken takes any free
 * one, and the demo re-keys its stored account to the new URL.
 */
const DEMO_PORT_BASE = 4100
const DEMO_SEED = 'affgraph-demo'
const DEFAULT_REVISION_SECONDS = 600
/** A newcomer should meet revisions while still looking around, not after the first long interval. */
const FIRST_BATCH_DELAY_MS = 15_000
/** How long the first batch waits for the accounts' first syncs before it revises those that are ready. */
const FIRST_SYNC_WAIT_MS = 5 * 60_000
const FIRST_SYNC_POLL_MS = 1_000

/**
 * What the demo makes of an account, so that programs differ the way real ones do: a size, a trend, a currency,
 * a reporting time zone where the platform lets the user choose one, and a role in the revisions story.
 */
interface DemoProgram {
  name: string
  brands: string[]
  currencies: string[]
  volume: number
  dailyGrowth?: number
  seasonality?: number
  /** Connection fields a user would fill in besides the credentials, such as a reporting time zone. */
  connection?: Record<string, string>
  /**
   * `ftds`: recent FTDs are reversed now and then. `month-close`: the previous month's revenue is revised once.
   * `key-expires`: the platform refuses the key once the account has synced.
   */
  story?: 'ftds' | 'month-close' | 'key-expires'
}

/** Invented programs; the volumes span about 20× between the smallest and the largest. */
const PROGRAMS: Record<string, DemoProgram> = {
  softswiss: {
    name: 'Aurora Spins Casino',
    brands: ['Aurora Spins', 'Aurora Live'],
    currencies: ['EUR', 'USD'],
    volume: 6,
    dailyGrowth: 0.006,
    story: 'ftds',
  },
  netrefer: {
    name: 'Kingsbridge Sportsbook',
    brands: ['Kingsbridge Sports', 'Kingsbridge Casino'],
    currencies: ['GBP', 'EUR'],
    volume: 3.5,
    seasonality: 0.35,
    story: 'month-close',
  },
  impact: {
    name: 'Lumen Cycle Co.',
    brands: ['Lumen Bikes', 'Lumen Parts'],
    currencies: ['USD'],
    volume: 2.5,
    dailyGrowth: 0.003,
  },
  myaffiliates: {
    name: 'Maple Reel Casino',
    brands: ['Maple Reel', 'Maple Reel Bingo'],
    currencies: ['CAD'],
    volume: 2,
    dailyGrowth: 0.003,
  },
  cj: {
    name: 'Harbor & Pine Home',
    brands: ['Harbor & Pine', 'Pine Outlet'],
    currencies: ['USD'],
    volume: 1.8,
    dailyGrowth: 0.002,
  },
  smartico: {
    name: 'Copper Comet Slots',
    brands: ['Copper Comet', 'Comet Sports'],
    currencies: ['EUR'],
    volume: 1.5,
    dailyGrowth: 0.004,
    story: 'key-expires',
  },
  cellxpert: {
    name: 'Tidewater Bingo',
    brands: ['Tidewater Bingo', 'Tidewater Slots'],
    currencies: ['GBP'],
    volume: 1.2,
    dailyGrowth: -0.007,
    story: 'ftds',
  },
  everflow: {
    name: 'Quillmark Software',
    brands: ['Quillmark Pro', 'Quillmark Cloud'],
    currencies: ['USD'],
    volume: 1.1,
    connection: { timezone: 'America/New_York' },
  },
  awin: {
    name: 'Wildthorn Outdoor',
    brands: ['Wildthorn', 'Wildthorn Kids'],
    currencies: ['GBP'],
    volume: 1,
    dailyGrowth: 0.002,
    connection: { timeZone: 'Europe/London' },
  },
  cake: {
    name: 'Brightleaf Wellness Offers',
    brands: ['Brightleaf'],
    currencies: ['USD'],
    volume: 0.9,
  },
  'income-access': {
    name: 'Nordlys Poker',
    brands: ['Nordlys Poker'],
    currencies: ['EUR'],
    volume: 0.8,
  },
  tune: {
    name: 'Starling VPN',
    brands: ['Starling VPN', 'Starling Family'],
    currencies: ['EUR'],
    volume: 0.7,
    dailyGrowth: 0.005,
  },
  clickbank: {
    name: 'MindSprout Courses',
    brands: ['MindSprout'],
    currencies: ['USD'],
    volume: 0.5,
  },
  affise: {
    name: 'Peakline Apps',
    brands: ['Peakline Fitness', 'Peakline Notes'],
    currencies: ['USD', 'EUR'],
    volume: 0.3,
    dailyGrowth: 0.008,
    connection: { timeZone: 'Europe/Berlin' },
  },
}

/** The truth of a demo account: its own key (so its figures are its own) and its program's shape. */
function demoSpec(platformId: string, program: DemoProgram, anchor: string): TruthAccountSpec {
  return {
    key: `demo-${platformId}`,
    brands: program.brands,
    currencies: program.currencies,
    campaigns: ['main', 'promo'],
    volume: program.volume,
    dailyGrowth: program.dailyGrowth,
    // The volumes above are the programs' sizes on that day; the trends lead up to it and go on from it.
    trendAnchor: anchor,
    seasonality: program.seasonality,
  }
}

interface RunningDemoPlatform {
  sim: PlatformSimulator
  program: DemoProgram | undefined
}

/** The days of the calendar month before `today`'s. */
function previousMonth(today: string): DateWindow {
  const firstOfThisMonth = `${today.slice(0, 8)}01`
  const to = addDays(firstOfThisMonth, -1)
  return { from: `${to.slice(0, 8)}01`, to }
}

function eachDayOf(window: DateWindow): string[] {
  const days: string[] = []
  for (let day = window.from; day <= window.to; day = addDays(day, 1)) days.push(day)
  return days
}

/**
 * Programs revise days after affgraph stored them, and keys expire: the demo makes both happen while it runs, and
 * syncs the accounts concerned the way "Sync now" does, so `changes` and the account statuses show them.
 */
function startRevisions(
  services: AppServices,
  workspaceId: string,
  running: Map<string, RunningDemoPlatform>,
  intervalMs: number,
): { stop(): Promise<void> } {
  const log = services.logger.child({ component: 'demo' })
  const sync = services.sync
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let current: Promise<void> = Promise.resolve()
  let batch = 0
  const startedAt = Date.now()
  // One-time events, kept until their account has synced once.
  const pending = new Set<string>()
  for (const [platformId, { program }] of running)
    if (program?.story === 'month-close' || program?.story === 'key-expires') pending.add(platformId)

  const later = (ms: number, step: () => Promise<void>) => {
    if (stopped) return
    timer = setTimeout(() => {
      current = step().catch((error: Error) => {
        if (!stopped) log.warn({ err: { message: error.message } }, 'demo revisions failed')
      })
    }, ms)
    timer.unref()
  }

  const storyAccounts = async (em: EntityManager) => {
    const ids = [...running].filter(([, r]) => r.program?.story).map(([id]) => id)
    const accounts = await em.find(
      Account,
      { workspace: workspaceId, platformId: { $in: ids } },
      { filters: false, populate: ['workspace'] },
    )
    // A revision is only seen as one once the days it touches are stored: after the account's whole backfill,
    // whose windows finish one by one.
    const busy = await em.find(
      SyncRun,
      { account: { $in: accounts.map((a) => a.id) }, status: { $in: ['QUEUED', 'RUNNING', 'RETRYING'] } },
      { filters: false, fields: ['account'] },
    )
    const unsettled = new Set(busy.map((run) => run.account.id))
    return accounts.map((account) => ({
      account,
      settled: account.lastSyncAt !== null && !unsettled.has(account.id),
      ...running.get(account.platformId)!,
    }))
  }

  const enqueue = async (em: EntityManager, account: Account, window?: DateWindow) => {
    if (!sync) return
    const now = services.clock.now()
    await sync.enqueue(
      em,
      account,
      window ?? trailingWindow(account.lookbackDays, account.timeZone, now),
      'MANUAL',
    )
  }

  const waitForFirstSyncs = async () => {
    const accounts = await storyAccounts(services.db.fork())
    const ready = accounts.every(({ settled }) => settled)
    if (ready || Date.now() - startedAt > FIRST_SYNC_WAIT_MS)
      later(Math.min(FIRST_BATCH_DELAY_MS, intervalMs), revise)
    else later(FIRST_SYNC_POLL_MS, waitForFirstSyncs)
  }

  const revise = async () => {
    const em = services.db.fork()
    const today = services.clock.now().toISOString().slice(0, 10)
    for (const { account, settled, sim, program } of await storyAccounts(em)) {
      if (!settled) continue
      const key = `demo-${account.platformId}`
      if (program?.story === 'ftds') {
        // Two recent days inside the lookback window, moving back and forth so a day is revised more than once.
        const first = 2 + (batch % 3)
        for (const day of [addDays(today, -first), addDays(today, -first - 1)])
          sim.revise(key, day, 'ftds-reversed')
        await enqueue(em, account)
      } else if (program?.story === 'month-close' && pending.delete(account.platformId)) {
        const month = previousMonth(today)
        for (const day of eachDayOf(month)) sim.revise(key, day, 'revenue-adjusted')
        await enqueue(em, account, month)
      } else if (program?.story === 'key-expires' && pending.delete(account.platformId)) {
        // The platform now refuses the stored key, exactly as on a real expiry: the next sync says so.
        sim.faults.inject('expired-token')
        await enqueue(em, account)
      }
    }
    log.info({ batch }, 'demo programs revised past days')
    batch += 1
    later(intervalMs, revise)
  }

  if (sync) later(0, waitForFirstSyncs)
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await current
    },
  }
}

async function simulators(options: DemoOptions = {}): Promise<DemoHandle> {
  const { portBase = DEMO_PORT_BASE, revisionSeconds = DEFAULT_REVISION_SECONDS } = options
  const registry = await loadPlugins([BUNDLED_PLUGIN_DIR])
  const running = new Map<string, RunningDemoPlatform>()
  const ecb = await startEcbSimulator({ seed: DEMO_SEED })
  let revisions: { stop(): Promise<void> } | null = null
  let ledger: ReturnType<typeof startDemoLedger> | null = null
  return {
    allow: ['127.0.0.1', 'localhost'],
    fxUrl: ecb.url,
    async seed(services, graphqlUrl) {
      const em = services.db.fork()
      const { workspace } = await ensureWorkspace(em, DEMO_WORKSPACE)
      em.setFilterParams('workspace', { id: workspace.id })
      // Trends are anchored on the day this demo was first seeded, not on each start's today: a restart on
      // another day must serve the same history, or every stored day would read as revised.
      const oldest = await em.findOne(Account, {}, { orderBy: { createdAt: 'asc' } })
      const firstDay = (oldest?.createdAt ?? services.clock.now()).toISOString().slice(0, 10)
      let index = 0
      for (const platform of registry.all()) {
        index += 1
        const program = PROGRAMS[platform.definition.id]
        const sim: PlatformSimulator = await platform.definition.simulator.create({
          seed: DEMO_SEED,
          accounts: program ? [demoSpec(platform.definition.id, program, firstDay)] : 2,
          port: portBase + index,
          // The server's calendar, which a test may move: the platforms' today must be the server's.
          clock: services.clock,
        })
        running.set(platform.definition.id, { sim, program })
      }
      const principal = { workspaceId: workspace.id, workspaceName: workspace.name, tokenId: '' }
      for (const [platformId, { sim, program }] of running) {
        const platform = services.registry.get(platformId)
        const account = sim.accounts[0]
        if (!platform || !account) continue
        const connection = platform.definition.connection.schema.parse({
          ...account.connection,
          ...program?.connection,
        }) as Record<string, unknown>
        const existing = await em.findOne(Account, { platformId })
        const outcome = existing
          ? await updateAccountConnection(services, em, existing.id, platform, connection)
          : await connectAccount(services, em, principal, platform, connection, {
              label: `${platform.definition.name} demo program`,
              tags: ['demo'],
            })
        if (!outcome.ok) {
          services.logger.warn(
            { platform: platformId, code: outcome.error.code },
            'demo account not connected',
          )
          continue
        }
        if (program) {
          outcome.account.programName = program.name
          await em.flush()
        }
      }
      // The recommended alert rules, so that the demo's revisions and its expiring key raise alerts.
      await ensureRecommendedRules(em, workspace, services.clock.now())
      // Deal terms now; the payments once the first syncs have stored what the programs owe.
      await seedDemoDeals(em, workspace, services.clock.now())
      ledger = startDemoLedger(services, workspace.id)
      revisions = startRevisions(services, workspace.id, running, revisionSeconds * 1000)
      const { token } = await issueApiToken(em, workspace, 'demo')
      const lines = [
        '',
        'affgraph demo is ready.',
        `  GraphQL (GraphiQL in a browser): ${graphqlUrl}`,
        `  Workspace: ${DEMO_WORKSPACE}, with one account per bundled platform, served by local simulators.`,
        '  The programs revise past days now and then (see `changes`), and one of them lets its key expire;',
        '  the recommended alert rules are on, so both raise alerts (see `alerts`).',
        '  Four programs have deal terms and a payment ledger, one payment short (see `reconciliation`).',
        '  Send this API token as "Authorization: Bearer <token>":',
        '',
        token,
        '',
      ]
      process.stdout.write(`${lines.join('\n')}\n`)
      return { token }
    },
    async close() {
      await revisions?.stop()
      await ledger?.stop()
      await Promise.all([...running.values()].map(({ sim }) => sim.close()))
      await ecb.close()
    },
  }
}

export const startDemo = { simulators }
