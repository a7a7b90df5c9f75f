import type { MigrationObject } from '@mikro-orm/core'
import { Migration20261122000000Core } from './20261122000000-core.migration.ts'
import { Migration20261122010000Sync } from './20261122010000-sync.migration.ts'
import { Migration20261203000000Serving } from './20261203000000-serving.migration.ts'
import { Migration20261203010000Circuits } from './20261203010000-circuits.migration.ts'
import { Migration20261204000000Rollups } from './20261204000000-rollups.migration.ts'
import { Migration20261204010000ProgramNames } from './20261204010000-program-names.migration.ts'
import { Migration20261205000000Alerts } from './20261205000000-alerts.migration.ts'
import { Migration20261205010000AlertDelivery } from './20261205010000-alert-delivery.migration.ts'
import { Migration20261206000000Deals } from './20261206000000-deals.migration.ts'

/**
 * Every migration, in order. An explicit list rather than folder discovery: discovery needs `fs.globSync`,
 * which Node 20 lacks, and a list is what a bundled build can carry.
 */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261122000000Core', class: Migration20261122000000Core },
  { name: 'Migration20261122010000Sync', class: Migration20261122010000Sync },
  { name: 'Migration20261203000000Serving', class: Migration20261203000000Serving },
  { name: 'Migration20261203010000Circuits', class: Migration20261203010000Circuits },
  { name: 'Migration20261204000000Rollups', class: Migration20261204000000Rollups },
  { name: 'Migration20261204010000ProgramNames', class: Migration20261204010000ProgramNames },
  { name: 'Migration20261205000000Alerts', class: Migration20261205000000Alerts },
  { name: 'Migration20261205010000AlertDelivery', class: Migration20261205010000AlertDelivery },
  { name: 'Migration20261206000000Deals', class: Migration20261206000000Deals },
]
