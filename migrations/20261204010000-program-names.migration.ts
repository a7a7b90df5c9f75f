import { Migration } from '@mikro-orm/migrations'

/**
 * A program name can come from the user or from the platform's credential check. The user's must survive later
 * checks, so the account remembers which one it holds.
 */
export class Migration20261204010000ProgramNames extends Migration {
  override name = 'Migration20261204010000ProgramNames'

  override up(): void {
    this.addSql(`alter table "account" add column "program_name_from_user" boolean not null default false;`)
  }

  override down(): void {
    this.addSql(`alter table "account" drop column "program_name_from_user";`)
  }
}
