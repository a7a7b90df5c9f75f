import { Migration } from '@mikro-orm/migrations'

/**
 * Alert rules and the alerts they raise. The partial unique index is what deduplicates: two evaluations racing to
 * open the same alert find one of them refused, and a resolved alert no longer blocks the next occurrence.
 */
export class Migration20261205000000Alerts extends Migration {
  override name = 'Migration20261205000000Alerts'

  override up(): void {
    this.addSql(
      `create table "alert_rule" ("id" uuid not null, "workspace_id" uuid not null, "name" text not null, "kind" text not null, "settings" jsonb not null, "target_tags" text[] not null default '{}', "target_account_ids" text[] not null default '{}', "destination_ids" text[] not null default '{}', "enabled" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(
      `create index "alert_rule_workspace_id_created_at_index" on "alert_rule" ("workspace_id", "created_at");`,
    )
    this.addSql(
      `create table "alert" ("id" uuid not null, "workspace_id" uuid not null, "rule_id" uuid not null, "account_id" uuid null, "kind" text not null, "subject_key" text not null, "day" date null, "metric" text null, "currency" text null, "before_value" numeric null, "after_value" numeric null, "title" text not null, "details" jsonb not null, "fired_at" timestamptz not null, "last_seen_at" timestamptz not null, "resolved_at" timestamptz null, "resolution" text null, primary key ("id"));`,
    )
    this.addSql(`create index "alert_workspace_id_fired_at_index" on "alert" ("workspace_id", "fired_at");`)
    this.addSql(
      `create unique index "alert_open_subject_unique" on "alert" ("rule_id", "subject_key") where "resolved_at" is null;`,
    )
    this.addSql(
      `alter table "alert_rule" add constraint "alert_rule_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "alert" add constraint "alert_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "alert" add constraint "alert_rule_id_foreign" foreign key ("rule_id") references "alert_rule" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "alert" add constraint "alert_account_id_foreign" foreign key ("account_id") references "account" ("id") on delete cascade;`,
    )
  }

  override down(): void {
    this.addSql(`drop table if exists "alert" cascade;`)
    this.addSql(`drop table if exists "alert_rule" cascade;`)
  }
}
