/**
 * Ingest: first syncs written through `writeReport` (the path every platform's report takes: read what is stored,
 * diff, upsert, record changes and coverage, one transaction per account window) against `COPY` of the same rows
 * into the same table, in the same run. Then a re-sync that revises 5% of the figures, which writes only those.
 *
 *   npm run bench -- ingest      (PostgreSQL: BENCH_DATABASE_URL or DATABASE_URL, default the local server;
 *                                 BENCH_INGEST_ACCOUNTS, BENCH_INGEST_DAYS)
 */
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { type ReportRow, reportRow } from '../src/sdk/index.ts'
import { writeReport } from '../src/stats/stat-writer.ts'
import { ensureWorkspace } from '../src/workspace/workspace.service.ts'
import { openBenchDatabase } from './support/bench-database.ts'

const ACCOUNTS = Number(process.env.BENCH_INGEST_ACCOUNTS ?? 60)
const DAYS = Number(process.env.BENCH_INGEST_DAYS ?? 365)
const FROM = '2025-10-01'
const BRANDS = ['Main', 'Second']

const dayAt = (i: number) =>
  new Date(Date.parse(`${FROM}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10)

function reportOf(account: number, revision = 0): ReportRow[] {
  const rows: ReportRow[] = []
  for (let d = 0; d < DAYS; d++) {
    for (const brand of BRANDS) {
      const c = 50 + ((account * 7919 + d * 104729 + brand.length) % 500)
      // A revision changes one row in twenty.
      const clicks = revision && (account + d) % 20 === 0 ? c + revision : c
      rows.push(
        reportRow({
          date: dayAt(d),
          brand,
          currency: 'EUR',
          clicks,
          signups: Math.floor(c / 10),
          ftds: Math.floor(c / 40),
          deposits: (c * 7.31).toFixed(2),
          netRevenue: (c * 2.17 - 40).toFixed(2),
          commission: (c * 0.93).toFixed(2),
        }),
      )
    }
  }
  return rows
}

export async function main(): Promise<void> {
  const bench = await openBenchDatabase('affgraph_bench_ingest')
  try {
    const em = bench.db.fork()
    const { workspace } = await ensureWorkspace(em, 'ingest')
    const ids = (
      await bench.db.query<{ id: string }>(
        `insert into account (id, workspace_id, platform_id, label, time_zone, status, credentials, connection_state, tags, created_at, updated_at)
         select gen_random_uuid(), ?, 'softswiss', 'Account ' || i, 'UTC', 'OK', '{}', '{}', '{}', now(), now()
           from generate_series(1, ?) i returning id`,
        [workspace.id, ACCOUNTS * 2],
      )
    ).map((r) => r.id)
    const reports = Array.from({ length: ACCOUNTS }, (_, i) => reportOf(i))
    const total = reports.reduce((n, r) => n + r.length, 0)
    const window = { from: dayAt(0), to: dayAt(DAYS - 1) }

    // Baseline: COPY of the same rows (other accounts, same shape), one transaction per account. The two are
    // interleaved account by account, so that the machine's noise falls on both alike.
    const client = new pg.Client({ connectionString: bench.url })
    await client.connect()
    const now = new Date().toISOString()
    let copyMs = 0
    let writeMs = 0
    for (let a = 0; a < ACCOUNTS; a++) {
      const accountId = ids[ACCOUNTS + a]!
      const lines = reports[a]!.map(
        (r) =>
          `${accountId}\t${r.date}\t${r.brand}\t\t${r.currency}\t${workspace.id}\t${r.clicks}\t${r.signups}\t${r.ftds}\t${r.deposits}\t${r.netRevenue}\t${r.commission}\t${now}\n`,
      )
      let t = performance.now()
      await client.query('begin')
      await pipeline(
        async function* () {
          yield lines.join('')
        },
        client.query(
          copyFrom(
            'copy stat_day (account_id, day, brand, campaign, currency, workspace_id, clicks, signups, ftds, deposits, net_revenue, commission, synced_at) from stdin',
          ),
        ),
      )
      await client.query('commit')
      copyMs += performance.now() - t
      t = performance.now()
      await writeReport(bench.db.fork(), {
        workspaceId: workspace.id,
        accountId: ids[a]!,
        window,
        rows: reports[a]!,
      })
      writeMs += performance.now() - t
    }
    await client.end()

    const t = performance.now()
    let changed = 0
    for (let a = 0; a < ACCOUNTS; a++) {
      const result = await writeReport(bench.db.fork(), {
        workspaceId: workspace.id,
        accountId: ids[a]!,
        window,
        rows: reportOf(a, 3),
      })
      changed += result.rowsChanged
    }
    const resyncMs = performance.now() - t

    const rate = (ms: number) => Math.round((total / ms) * 1000)
    console.log(
      JSON.stringify(
        {
          rows: total,
          accounts: ACCOUNTS,
          rowsPerAccountWindow: total / ACCOUNTS,
          copyRowsPerSecond: rate(copyMs),
          writeReportRowsPerSecond: rate(writeMs),
          ratio: Number((copyMs / writeMs).toFixed(3)),
          resync: { rowsChanged: changed, rowsPerSecond: rate(resyncMs) },
        },
        null,
        2,
      ),
    )
    console.log(
      `ingest: writeReport ${rate(writeMs).toLocaleString('en')} rows/s vs COPY ${rate(copyMs).toLocaleString('en')} rows/s = ${(copyMs / writeMs).toFixed(2)}× (target ≥ 0.5×); re-sync of the same rows with 5% revised: ${rate(resyncMs).toLocaleString('en')} rows/s, ${changed} rows changed`,
    )
  } finally {
    await bench.drop()
  }
}

if (import.meta.filename === process.argv[1]) await main()
