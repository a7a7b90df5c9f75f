/**
 * The plugin SDK: the only module a platform plugin may import. Everything else (HTTP, retries, rate limits,
 * encryption, storage, GraphQL) belongs to the host.
 */

// Wire formats are the host's choice of well-kept parsers, so plugins share one and import nothing but the SDK.
export { CsvError, parse as parseCsvRecords } from 'csv-parse/sync'
export { XMLParser, XMLValidator } from 'fast-xml-parser'
// GraphQL platforms' simulators execute what a plugin sends against the platform's published schema.
export { buildSchema, GraphQLError, graphql } from 'graphql'
export { z } from 'zod'
export * from './connection.ts'
export * from './decimal.ts'
export * from './errors.ts'
export * from './evidence.ts'
export * from './http.ts'
export * from './pasted.ts'
export * from './payment-row.ts'
export * from './platform.ts'
export * from './report-row.ts'
export * from './simulator.ts'
export * from './simulator-kit.ts'
export * from './wire-values.ts'
