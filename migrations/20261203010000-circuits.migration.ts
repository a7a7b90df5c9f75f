import { Migration } from '@mikro-orm/migrations'

/**
 * Circuits belong to one workspace and the host its account actually calls: one tenant's failing host (a custom
 * API address, say) must never pause another tenant's syncs. Open circuits are short-lived state; they restart
 * closed.
 */
export class Migration20261203010000Circuits extends Migration {
  override name = 'Migration20261203010000Circuits'

  override up(): void {
    this.addSql(`delete from "host_circuit";`)
    this.addSql(`alter table "host_circuit" drop constraint "host_circuit_pkey";`)
    this.addSql(`alter table "host_circuit" add column "workspace_id" uuid not null;`)
    this.addSql(`alter table "host_circuit" add primary key ("workspace_id", "host");`)
    this.addSql(
      `alter table "host_circuit" add constraint "host_circuit_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade;`,
    )
  }

  override down(): void {
    this.addSql(`delete from "host_circuit";`)
    this.addSql(`alter table "host_circuit" drop constraint "host_circuit_workspace_id_foreign";`)
    this.addSql(`alter table "host_circuit" drop constraint "host_circuit_pkey";`)
    this.addSql(`alter table "host_circuit" drop column "workspace_id";`)
    this.addSql(`alter table "host_circuit" add primary key ("host");`)
  }
}
