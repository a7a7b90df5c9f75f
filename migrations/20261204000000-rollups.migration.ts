import { Migration } from '@mikro-orm/migrations'

// Spelled out here rather than imported: a migration must keep producing the same schema whatever src/ becomes.
const COUNTS = [
  'impressions',
  'clicks',
  'signups',
  'ftds',
  'deposit_count',
  'cpa_count',
  'sales_count',
  'refund_count',
  'chargeback_count',
]
const AMOUNTS = [
  'deposits',
  'net_revenue',
  'commission',
  'sales_amount',
  'refund_amount',
  'chargeback_amount',
]
const METRICS = [...COUNTS, ...AMOUNTS]
const KEYS = ['account_id', 'kind', 'period_start', 'brand', 'campaign', 'currency', 'workspace_id']
/** Advisory-lock class of the rollup refresh (the two-key form, apart from pg-boss's single-key locks). */
const LOCK_CLASS = 0x5352

/**
 * Month and week sums of stat_day per account, brand, campaign, currency (and workspace), kept by triggers in the
 * transaction that changes the days, so that a range covering whole months or weeks reads a row per group
 * instead of one per day. Every writer of stat_day (the ingest, COPY, seeds, account deletion) keeps them exact
 * without knowing of them.
 *
 * A changed group is recomputed from stat_day rather than adjusted by the difference: `sum()` is NULL when every
 * day is NULL, which a running total cannot tell from zero. Counts are summed as bigint: a month of int counts
 * can leave int's range.
 */
export class Migration20261204000000Rollups extends Migration {
  override name = 'Migration20261204000000Rollups'

  override up(): void {
    this.addSql(
      `create table "stat_rollup" ("account_id" uuid not null, "kind" text not null, "period_start" date not null, "brand" text not null, "campaign" text not null, "currency" text not null, "workspace_id" uuid not null, ${[
        ...COUNTS.map((c) => `"${c}" bigint null`),
        ...AMOUNTS.map((c) => `"${c}" numeric null`),
      ].join(', ')}, primary key (${KEYS.map((k) => `"${k}"`).join(', ')}));`,
    )
    this.addSql(
      `create index "stat_rollup_workspace_id_kind_period_start_currency_index" on "stat_rollup" ("workspace_id", "kind", "period_start", "currency");`,
    )
    // One function for the three statement triggers: each names only the transition tables its event has, and
    // PL/pgSQL plans a branch's statement only when it runs. An update may move a row to another day or account,
    // so both its old and its new groups are recomputed. The groups travel as parallel arrays ('month' or 'week',
    // as date_trunc spells the unit). Holding a lock per account before reading stat_day makes a concurrent
    // writer of the same account wait, then recompute with the days this one committed (each statement of a
    // function takes a fresh snapshot under READ COMMITTED): without it both would rebuild a group from half the
    // days. Only trigger functions: the ORM's schema comparison leaves those to their triggers.
    const groupsOf = (
      rows: string,
    ) => `select array_agg(g.kind), array_agg(g.account_id), array_agg(g.period_start)
      into kinds, accounts, starts
      from (select distinct t.account_id, u.kind, date_trunc(u.kind, t.day::timestamp)::date as period_start
              from (${rows}) t cross join (values ('month'), ('week')) as u(kind)) g;`
    this.addSql(`create function stat_day_rollup_trigger() returns trigger
language plpgsql as $$
declare
  kinds text[];
  accounts uuid[];
  starts date[];
begin
  if tg_op = 'INSERT' then
    ${groupsOf('select account_id, day from new_rows')}
  elsif tg_op = 'UPDATE' then
    ${groupsOf('select account_id, day from old_rows union all select account_id, day from new_rows')}
  else
    ${groupsOf('select account_id, day from old_rows')}
  end if;
  if accounts is null then
    return null;
  end if;
  perform pg_advisory_xact_lock(${LOCK_CLASS}, l.h)
     from (select distinct hashtext(a::text) as h from unnest(accounts) a order by 1) l;
  delete from stat_rollup r
   using unnest(kinds, accounts, starts) as k(kind, account_id, period_start)
   where r.account_id = k.account_id and r.kind = k.kind and r.period_start = k.period_start;
  insert into stat_rollup (${[...KEYS, ...METRICS].join(', ')})
  select s.account_id, k.kind, k.period_start, s.brand, s.campaign, s.currency, s.workspace_id, ${METRICS.map((m) => `sum(s.${m})`).join(', ')}
    from unnest(kinds, accounts, starts) as k(kind, account_id, period_start)
    join stat_day s on s.account_id = k.account_id and s.day >= k.period_start
     and s.day < case k.kind when 'month' then (k.period_start + interval '1 month')::date else k.period_start + 7 end
   group by s.account_id, k.kind, k.period_start, s.brand, s.campaign, s.currency, s.workspace_id;
  return null;
end
$$;`)
    this.addSql(`create function stat_day_rollup_truncate() returns trigger
language plpgsql as $$
begin
  truncate stat_rollup;
  return null;
end
$$;`)
    // Transition tables allow one event per trigger, hence three.
    this.addSql(
      `create trigger "stat_day_rollup_insert" after insert on "stat_day" referencing new table as new_rows for each statement execute function stat_day_rollup_trigger();`,
    )
    this.addSql(
      `create trigger "stat_day_rollup_update" after update on "stat_day" referencing old table as old_rows new table as new_rows for each statement execute function stat_day_rollup_trigger();`,
    )
    this.addSql(
      `create trigger "stat_day_rollup_delete" after delete on "stat_day" referencing old table as old_rows for each statement execute function stat_day_rollup_trigger();`,
    )
    this.addSql(
      `create trigger "stat_day_rollup_truncate" after truncate on "stat_day" for each statement execute function stat_day_rollup_truncate();`,
    )
    this.addSql(
      `insert into stat_rollup (${[...KEYS, ...METRICS].join(', ')})
       select s.account_id, u.kind, date_trunc(u.kind, s.day::timestamp)::date, s.brand, s.campaign, s.currency, s.workspace_id, ${METRICS.map((m) => `sum(s.${m})`).join(', ')}
         from stat_day s cross join (values ('month'), ('week')) as u(kind)
        group by 1, 2, 3, 4, 5, 6, 7;`,
    )
  }

  override down(): void {
    for (const trigger of ['insert', 'update', 'delete', 'truncate'])
      this.addSql(`drop trigger if exists "stat_day_rollup_${trigger}" on "stat_day";`)
    this.addSql('drop function if exists stat_day_rollup_trigger();')
    this.addSql('drop function if exists stat_day_rollup_truncate();')
    this.addSql(`drop table if exists "stat_rollup" cascade;`)
  }
}
