import { Migration } from '@mikro-orm/migrations'

/**
 * Where alerts go and what became of each message. The unique idempotency key is what keeps a re-enqueued alert
 * from owing a destination a second message.
 */
export class Migration20261205010000AlertDelivery extends Migration {
  override name = 'Migration20261205010000AlertDelivery'

  override up(): void {
    this.addSql(
      `create table "alert_destination" ("id" uuid not null, "workspace_id" uuid not null, "name" text not null, "kind" text not null, "enabled" boolean not null default true, "hint" text not null, "settings" jsonb not null, "credentials" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(
      `create index "alert_destination_workspace_id_created_at_index" on "alert_destination" ("workspace_id", "created_at");`,
    )
    this.addSql(
      `create table "alert_delivery" ("id" uuid not null, "workspace_id" uuid not null, "alert_id" uuid null, "destination_id" uuid not null, "event" text not null, "idempotency_key" text not null, "status" text not null, "attempts" int not null default 0, "last_error" text null, "sent_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(
      `alter table "alert_delivery" add constraint "alert_delivery_idempotency_key_unique" unique ("idempotency_key");`,
    )
    this.addSql(`create index "alert_delivery_alert_id_index" on "alert_delivery" ("alert_id");`)
    this.addSql(
      `create index "alert_delivery_destination_id_created_at_index" on "alert_delivery" ("destination_id", "created_at");`,
    )
    this.addSql(
      `create table "alert_delivery_attempt" ("id" uuid not null, "workspace_id" uuid not null, "delivery_id" uuid not null, "attempt" int not null, "started_at" timestamptz not null, "duration_ms" int not null, "response_code" int null, "error_code" text null, "error_message" text null, "outcome" text not null, primary key ("id"));`,
    )
    this.addSql(
      `create index "alert_delivery_attempt_delivery_id_attempt_index" on "alert_delivery_attempt" ("delivery_id", "attempt");`,
    )
    this.addSql(
      `alter table "alert_destination" add constraint "alert_destination_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "alert_delivery" add constraint "alert_delivery_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "alert_delivery" add constraint "alert_delivery_alert_id_foreign" foreign key ("alert_id") references "alert" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "alert_delivery" add constraint "alert_delivery_destination_id_foreign" foreign key ("destination_id") references "alert_destination" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "alert_delivery_attempt" add constraint "alert_delivery_attempt_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "alert_delivery_attempt" add constraint "alert_delivery_attempt_delivery_id_foreign" foreign key ("delivery_id") references "alert_delivery" ("id") on delete cascade;`,
    )
  }

  override down(): void {
    this.addSql(`drop table if exists "alert_delivery_attempt" cascade;`)
    this.addSql(`drop table if exists "alert_delivery" cascade;`)
    this.addSql(`drop table if exists "alert_destination" cascade;`)
  }
}
