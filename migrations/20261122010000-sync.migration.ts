import { Migration } from '@mikro-orm/migrations'

/** Daily stats and their revisions, sync runs and coverage, shared rate-limit and circuit state, FX rates. */
export class Migration20261122010000Sync extends Migration {
  override name = 'Migration20261122010000Sync'

  override up(): void {
    this.addSql(
      `create table "fx_rate" ("source" text not null, "day" date not null, "currency" text not null, "rate" numeric not null, "imported_at" timestamptz not null, primary key ("source", "day", "currency"));`,
    )
    this.addSql(`create index "fx_rate_currency_day_index" on "fx_rate" ("currency", "day");`)
    this.addSql(
      `create table "host_circuit" ("host" text not null, "failures" int not null default 0, "opened_until" timestamptz null, "updated_at" timestamptz not null, primary key ("host"));`,
    )
    this.addSql(
      `create table "rate_limit_state" ("key" text not null, "tat" timestamptz not null, primary key ("key"));`,
    )
    this.addSql(
      `create table "sync_run" ("id" uuid not null, "workspace_id" uuid not null, "account_id" uuid not null, "kind" text not null, "window_from" date not null, "window_to" date not null, "status" text not null, "attempts" int not null default 0, "requests" int not null default 0, "rows_written" int not null default 0, "rows_changed" int not null default 0, "error_code" text null, "error_message" text null, "created_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"));`,
    )
    this.addSql(
      `create index "sync_run_account_id_created_at_index" on "sync_run" ("account_id", "created_at");`,
    )
    this.addSql(
      `create index "sync_run_workspace_id_created_at_index" on "sync_run" ("workspace_id", "created_at");`,
    )
    this.addSql(
      `create table "sync_coverage" ("id" bigserial primary key, "account_id" uuid not null, "from_day" date not null, "to_day" date not null, "synced_at" timestamptz not null);`,
    )
    this.addSql(
      `create index "sync_coverage_account_id_from_day_index" on "sync_coverage" ("account_id", "from_day");`,
    )
    this.addSql(
      `create table "stat_day" ("account_id" uuid not null, "day" date not null, "brand" text not null, "campaign" text not null, "currency" text not null, "workspace_id" uuid not null, "impressions" int null, "clicks" int null, "signups" int null, "ftds" int null, "deposit_count" int null, "cpa_count" int null, "sales_count" int null, "refund_count" int null, "chargeback_count" int null, "deposits" numeric null, "net_revenue" numeric null, "commission" numeric null, "sales_amount" numeric null, "refund_amount" numeric null, "chargeback_amount" numeric null, "synced_at" timestamptz not null, primary key ("account_id", "day", "brand", "campaign", "currency"));`,
    )
    this.addSql(`create index "stat_day_workspace_id_day_index" on "stat_day" ("workspace_id", "day");`)
    this.addSql(
      `create table "stat_change" ("id" bigserial primary key, "workspace_id" uuid not null, "account_id" uuid not null, "day" date not null, "brand" text not null, "campaign" text not null, "currency" text not null, "metric" text not null, "old_value" numeric null, "new_value" numeric null, "sync_run_id" uuid null, "detected_at" timestamptz not null);`,
    )
    this.addSql(
      `create index "stat_change_workspace_id_detected_at_index" on "stat_change" ("workspace_id", "detected_at");`,
    )
    this.addSql(`create index "stat_change_account_id_day_index" on "stat_change" ("account_id", "day");`)
    this.addSql(
      `alter table "account" add "backfill_days" int not null default 90, add "lookback_days" int not null default 7, add "sync_interval_minutes" int not null default 360, add "next_sync_at" timestamptz null;`,
    )
    this.addSql(
      `alter table "sync_run" add constraint "sync_run_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "sync_run" add constraint "sync_run_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "sync_coverage" add constraint "sync_coverage_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "stat_day" add constraint "stat_day_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "stat_day" add constraint "stat_day_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "stat_change" add constraint "stat_change_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "stat_change" add constraint "stat_change_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`,
    )
  }

  override down(): void {
    for (const table of [
      'stat_change',
      'stat_day',
      'sync_coverage',
      'sync_run',
      'rate_limit_state',
      'host_circuit',
      'fx_rate',
    ]) {
      this.addSql(`drop table if exists "${table}" cascade`)
    }
    this.addSql(
      'alter table "account" drop column "backfill_days", drop column "lookback_days", drop column "sync_interval_minutes", drop column "next_sync_at"',
    )
  }
}
