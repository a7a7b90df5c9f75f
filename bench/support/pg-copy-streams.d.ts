/** The part of pg-copy-streams the ingest benchmark uses (the package ships no types). */
declare module 'pg-copy-streams' {
  import type { Writable } from 'node:stream'
  import type { Submittable } from 'pg'
  export function from(sql: string): Submittable & Writable
}
