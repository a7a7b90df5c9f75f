import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import { Account } from '../account/account.entity.ts'
import { evaluateAlerts } from '../alerts/alert-engine.ts'
import type { AppServices } from '../app-services.ts'
import { Deal, DealVersion } from '../deals/deal.entity.ts'
import { type DealTermsInput, dealTermsSchema } from '../deals/deal-terms.ts'
import { monthEnd, reconcile } from '../deals/reconciliation.ts'
import { addDays, roundDecimal } from '../sdk/index.ts'
import { SyncRun } from '../sync/sync.entity.ts'
import type { Workspace } from '../workspace/workspace.entity.ts'

/**
 * The demo's deals and payments: the terms a user would copy from each program's deal sheet, and a ledger of what
 * the programs paid, so that the Payments page shows every state a real month takes (paid, short, overdue, not due).
 */

/** Deal sheets of some demo programs, by platform: one of each kind a user meets. */
const DEMO_DEALS: Record<
  string,
  { validFrom: 'first-month' | 'last-month'; terms: DealTermsInput; note: string }[]
> = {
  softswiss: [
    {
      validFrom: 'first-month',
      note: 'Affiliate agreement, schedule B',
      terms: {
        currency: 'EUR',
        revenueShare: {
          tierBasis: 'FTDS',
          tiers: [
            { from: '0', percent: '25' },
            { from: '1000', percent: '30' },
            { from: '2500', percent: '35' },
          ],
          negativeCarryOver: true,
        },
        paymentTermsDays: 30,
      },
    },
  ],
  cellxpert: [
    {
      validFrom: 'first-month',
      note: 'Hybrid deal, email from the account manager',
      terms: {
        currency: 'GBP',
        cpa: { amount: '50', qualification: { minFirstDeposit: '20', countries: ['GB'] } },
        revenueShare: { tiers: [{ from: '0', percent: '30' }] },
        paymentTermsDays: 30,
      },
    },
  ],
  myaffiliates: [
    {
      validFrom: 'first-month',
      note: 'Signed IO',
      terms: {
        currency: 'CAD',
        revenueShare: { tiers: [{ from: '0', percent: '30' }] },
        paymentTermsDays: 15,
      },
    },
    {
      // The program raised the share from the 1st of last month: the old terms still govern the days before.
      validFrom: 'last-month',
      note: 'Renegotiated: 35 % from this month',
      terms: {
        currency: 'CAD',
        revenueShare: { tiers: [{ from: '0', percent: '35' }] },
        fixedFees: [{ label: 'Homepage listing', amount: '500', frequency: 'MONTHLY' }],
        paymentTermsDays: 15,
      },
    },
  ],
}

/** Who pays what in the demo ledger: most programs pay the month before last in full; one pays last month short. */
const SHORT_PAYER = 'cellxpert'
const LATE_PAYER = 'myaffiliates'

const monthStart = (day: string, back: number) => {
  const [y, m] = day.split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m - 1 - back, 1)).toISOString().slice(0, 10)
}

/** Records the demo deals on first seeding; a deal the user edited since is left alone. */
export async function seedDemoDeals(em: EntityManager, workspace: Workspace, now: Date): Promise<void> {
  const today = now.toISOString().slice(0, 10)
  const accounts = await em.find(Account, {
    workspace: workspace.id,
    platformId: { $in: Object.keys(DEMO_DEALS) },
  })
  for (const account of accounts) {
    if (await em.count(Deal, { account: account.id })) continue
    const deal = em.create(Deal, {
      id: randomUUID(),
      workspace,
      account,
      brand: '',
      createdAt: now,
      updatedAt: now,
    })
    for (const version of DEMO_DEALS[account.platformId] ?? []) {
      // A history long enough for the carry-over and the reconciliation months the page shows by default.
      const validFrom = version.validFrom === 'first-month' ? monthStart(today, 12) : monthStart(today, 1)
      em.create(DealVersion, {
        id: randomUUID(),
        workspace,
        deal,
        validFrom: validFrom as never,
        terms: dealTermsSchema.parse(version.terms) as unknown as Record<string, unknown>,
        note: version.note,
        createdAt: now,
      })
    }
  }
  await em.flush()
}

/**
 * Once every demo account has finished its first syncs, records what the programs "paid": the months before last
 * month in full (except the late payer's month before last), last month short by a round amount for one program. Amounts are the reconciliation's
 * own owed figures, so a paid month reads as paid to the cent. References make it idempotent across restarts.
 */
export async function seedDemoPayments(services: AppServices, workspaceId: string): Promise<number> {
  const today = services.clock.now().toISOString().slice(0, 10)
  const twoBack = monthStart(today, 2).slice(0, 7)
  const oneBack = monthStart(today, 1).slice(0, 7)
  // Every month older than last month is settled (the backfill's first month too), but the late payer's.
  const rows = await reconcile(services, {
    workspaceId,
    fromMonth: monthStart(today, 4).slice(0, 7),
    toMonth: oneBack,
  })
  const accounts = await services.db.query<{ id: string; platform_id: string }>(
    'select id, platform_id from account where workspace_id = ?',
    [workspaceId],
  )
  const platformOf = new Map(accounts.map((a) => [a.id, a.platform_id]))
  // Platforms that report payments (NetRefer's invoices, Everflow's) have theirs read by every sync.
  const readsPayments = (platformId: string) =>
    services.registry.get(platformId)?.definition.capabilities.payments !== undefined
  let recorded = 0
  for (const row of rows) {
    const platformId = platformOf.get(row.accountId)
    if (!platformId || readsPayments(platformId) || row.owed === null || Number(row.owed) <= 0) continue
    const owed = roundDecimal(row.owed, 2)
    let amount: string | null = null
    if (row.month < oneBack && !(row.month === twoBack && platformId === LATE_PAYER)) amount = owed
    if (row.month === oneBack && platformId === SHORT_PAYER) {
      // Short by 250, or by a tenth on a small month, so that the gap is plain to see.
      const gap = Number(owed) > 2500 ? 250 : Math.max(1, Math.round(Number(owed) * 10) / 100)
      amount = (Number(owed) - gap).toFixed(2)
    }
    if (amount === null) continue
    const inserted = await services.db.query<{ id: string }>(
      `insert into payment (id, workspace_id, account_id, brand, period_month, amount, currency, paid_on, source,
         reference, note, created_at, updated_at)
       values (?, ?, ?, ?, ?::date, ?::numeric, ?, ?::date, 'MANUAL', ?, ?, ?, ?)
       on conflict (account_id, reference) where reference is not null do nothing returning id`,
      [
        randomUUID(),
        workspaceId,
        row.accountId,
        row.brand,
        `${row.month}-01`,
        amount,
        row.currency,
        [addDays(monthEnd(row.month), 18), addDays(today, -1)].sort()[0],
        `DEMO-${row.month}`,
        'Bank transfer (demo)',
        services.clock.now(),
        services.clock.now(),
      ],
    )
    recorded += inserted.length
  }
  if (recorded > 0) await evaluateAlerts(services, { workspaceId, kinds: ['PAYMENT_OVERDUE'] })
  return recorded
}

/** Polls until no first sync of the workspace is pending, then records the ledger once. */
export function startDemoLedger(
  services: AppServices,
  workspaceId: string,
  options: { pollMs?: number; giveUpMs?: number } = {},
): { stop(): Promise<void>; done: Promise<number> } {
  const pollMs = options.pollMs ?? 1_000
  const giveUpAt = Date.now() + (options.giveUpMs ?? 5 * 60_000)
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let settle: (n: number) => void = () => {}
  const done = new Promise<number>((resolve) => {
    settle = resolve
  })
  const step = async () => {
    if (stopped) return settle(0)
    const em = services.db.fork()
    const accounts = await em.find(Account, { workspace: workspaceId }, { filters: false })
    const busy = await em.count(
      SyncRun,
      { workspace: workspaceId, status: { $in: ['QUEUED', 'RUNNING', 'RETRYING'] } },
      { filters: false },
    )
    const synced = accounts.filter((a) => a.lastSyncAt !== null || a.status === 'AUTH_FAILED').length
    // Owed amounts of programs reporting in several currencies need last month's closing rates.
    const [rates] = await services.db.query<{ last: string | null }>(
      'select max(day)::text as last from fx_rate',
    )
    const closing = monthEnd(monthStart(services.clock.now().toISOString().slice(0, 10), 1).slice(0, 7))
    const ratesIn = rates?.last != null && addDays(rates.last, 7) >= closing
    if ((busy > 0 || synced < accounts.length || !ratesIn) && Date.now() < giveUpAt) {
      timer = setTimeout(() => void step().catch(() => settle(0)), pollMs)
      timer.unref()
      return
    }
    settle(await seedDemoPayments(services, workspaceId))
  }
  timer = setTimeout(() => void step().catch(() => settle(0)), pollMs)
  timer.unref()
  return {
    done,
    async stop() {
      stopped = true
      clearTimeout(timer)
      settle(0)
    },
  }
}
