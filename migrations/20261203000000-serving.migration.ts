import { Migration } from '@mikro-orm/migrations'

/** API tokens are found by the hash of the whole token: the lookup does the same work whatever the prefix. */
export class Migration20261203000000Serving extends Migration {
  override name = 'Migration20261203000000Serving'

  override up(): void {
    this.addSql(`alter table "api_token" add constraint "api_token_token_hash_unique" unique ("token_hash");`)
  }

  override down(): void {
    this.addSql(`alter table "api_token" drop constraint if exists "api_token_token_hash_unique";`)
  }
}
