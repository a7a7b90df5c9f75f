import { Migration } from '@mikro-orm/migrations'

/**
 * Deals with dated versions of their terms, and the payments programs made. A version is never updated: a change
 * of terms is a new row from its day, so the terms in force on any past day stay provable.
 */
export class Migration20261206000000Deals extends Migration {
  override name = 'Migration20261206000000Deals'

  override up(): void {
    this.addSql(
      `create table "deal" ("id" uuid not null, "workspace_id" uuid not null, "account_id" uuid not null, "brand" text not null default '', "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(`create index "deal_workspace_id_created_at_index" on "deal" ("workspace_id", "created_at");`)
    this.addSql(
      `alter table "deal" add constraint "deal_account_id_brand_unique" unique ("account_id", "brand");`,
    )
    this.addSql(
      `create table "deal_version" ("id" uuid not null, "workspace_id" uuid not null, "deal_id" uuid not null, "valid_from" date not null, "terms" jsonb not null, "note" text null, "created_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(
      `alter table "deal_version" add constraint "deal_version_deal_id_valid_from_unique" unique ("deal_id", "valid_from");`,
    )
    this.addSql(
      `create table "payment" ("id" uuid not null, "workspace_id" uuid not null, "account_id" uuid not null, "brand" text not null default '', "period_month" date not null, "amount" numeric not null, "currency" text not null, "paid_on" date null, "source" text not null, "reference" text null, "note" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(
      `create index "payment_workspace_id_period_month_index" on "payment" ("workspace_id", "period_month");`,
    )
    this.addSql(
      `create unique index "payment_account_reference_unique" on "payment" ("account_id", "reference") where "reference" is not null;`,
    )
    for (const [table, column, target] of [
      ['deal', 'workspace_id', 'workspace'],
      ['deal', 'account_id', 'account'],
      ['deal_version', 'workspace_id', 'workspace'],
      ['deal_version', 'deal_id', 'deal'],
      ['payment', 'workspace_id', 'workspace'],
      ['payment', 'account_id', 'account'],
    ] as const) {
      this.addSql(
        `alter table "${table}" add constraint "${table}_${column}_foreign" foreign key ("${column}") references "${target}" ("id") on delete cascade;`,
      )
    }
  }

  override down(): void {
    this.addSql(`drop table if exists "payment" cascade;`)
    this.addSql(`drop table if exists "deal_version" cascade;`)
    this.addSql(`drop table if exists "deal" cascade;`)
  }
}
