/**
 * The plugin SDK: the only module a platform plugin may import. Everything else (HTTP, retries, rate limits,
 * encryption, storage, GraphQL) belongs to the host.
 */
export { z } from 'zod'
export * from './connection.ts'
export * from './decimal.ts'
export * from './errors.ts'
export * from './http.ts'
export * from './platform.ts'
export * from './report-row.ts'
export * from './simulator.ts'
