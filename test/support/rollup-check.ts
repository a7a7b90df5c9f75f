import { METRIC_COLUMNS } from '../../src/stats/stat-writer.ts'

const KEYS = ['account_id', 'kind', 'period_start', 'brand', 'campaign', 'currency', 'workspace_id']
const METRICS = Object.values(METRIC_COLUMNS)

/**
 * Rows of stat_rollup that differ from the month and week sums of stat_day recomputed from scratch (in either
 * direction: stale, missing or left over). Amounts are compared as text, so that a different scale counts too.
 */
export async function rollupDifferences(db: {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>
}): Promise<number> {
  const columns = [...KEYS, ...METRICS.map((m) => `${m}::text`)].join(', ')
  const rows = await db.query<{ n: unknown }>(
    `with stored as (select ${columns} from stat_rollup),
     fresh as (
       select ${columns} from (
         select s.account_id, u.kind, date_trunc(u.kind, s.day::timestamp)::date as period_start, s.brand, s.campaign,
           s.currency, s.workspace_id, ${METRICS.map((m) => `sum(s.${m}) as ${m}`).join(', ')}
         from stat_day s cross join (values ('month'), ('week')) as u(kind)
         group by 1, 2, 3, 4, 5, 6, 7
       ) f
     )
     select count(*) as n from ((select * from stored except all select * from fresh)
       union all (select * from fresh except all select * from stored)) d`,
  )
  return Number(rows[0]!.n)
}
