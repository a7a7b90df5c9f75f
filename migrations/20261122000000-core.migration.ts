import { Migration } from '@mikro-orm/migrations'

/** Workspaces, members, API tokens and connected accounts. */
export class Migration20261122000000Core extends Migration {
  override name = 'Migration20261122000000Core'

  override up(): void {
    this.addSql(
      `create table "workspace" ("id" uuid not null, "name" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(`alter table "workspace" add constraint "workspace_name_unique" unique ("name");`)
    this.addSql(
      `create table "member" ("id" uuid not null, "workspace_id" uuid not null, "email" text not null, "role" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(
      `alter table "member" add constraint "member_workspace_id_email_unique" unique ("workspace_id", "email");`,
    )
    this.addSql(
      `create table "api_token" ("id" uuid not null, "workspace_id" uuid not null, "member_id" uuid null, "name" text not null, "prefix" text not null, "token_hash" text not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "expires_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`,
    )
    this.addSql(`alter table "api_token" add constraint "api_token_prefix_unique" unique ("prefix");`)
    this.addSql(`create index "api_token_workspace_id_index" on "api_token" ("workspace_id");`)
    this.addSql(
      `create table "account" ("id" uuid not null, "workspace_id" uuid not null, "platform_id" text not null, "label" text not null, "program_name" text null, "base_url" text null, "currency" text null, "time_zone" text not null, "tags" text[] not null default '{}', "status" text not null, "last_check_at" timestamptz null, "last_sync_at" timestamptz null, "last_error_code" text null, "last_error_message" text null, "credentials" jsonb not null, "connection_state" jsonb not null, "external_account_name" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    )
    this.addSql(
      `create index "account_workspace_id_platform_id_index" on "account" ("workspace_id", "platform_id");`,
    )
    this.addSql(
      `alter table "account" add constraint "account_status_check" check ("status" in ('OK', 'AUTH_FAILED', 'RATE_LIMITED', 'UNREACHABLE', 'PENDING'));`,
    )
    this.addSql(
      `alter table "member" add constraint "member_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "api_token" add constraint "api_token_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
    this.addSql(
      `alter table "api_token" add constraint "api_token_member_id_foreign" foreign key ("member_id") references "member" ("id") on delete set null;`,
    )
    this.addSql(
      `alter table "account" add constraint "account_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
  }

  override down(): void {
    this.addSql(`drop table if exists "account" cascade`)
    this.addSql(`drop table if exists "api_token" cascade`)
    this.addSql(`drop table if exists "member" cascade`)
    this.addSql(`drop table if exists "workspace" cascade`)
  }
}
