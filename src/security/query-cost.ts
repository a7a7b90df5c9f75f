import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql'
import type { Plugin } from 'graphql-yoga'
import { REQUEST_ERROR_HTTP } from './request-errors.ts'

export interface CostOptions {
  maxCost: number
  /** Accounts a field with a date range is priced for when it names none (the workspace is not known yet). */
  accountsAssumed: number
}

/** Range fields already refuse longer ranges (and reversed ones) in their argument validation. */
const LONGEST_RANGE_DAYS = 3660
const DAY_MS = 86_400_000
/** Page-size arguments: a list field with one multiplies the cost of its selection by it. */
const PAGE_ARGUMENTS = ['first', 'last', 'limit']

type Args = Record<string, unknown>

const isRecord = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v)

function rangeDays(range: unknown): number | null {
  if (!isRecord(range) || typeof range.from !== 'string' || typeof range.to !== 'string') return null
  const days = (Date.parse(range.to) - Date.parse(range.from)) / DAY_MS + 1
  // A range its own field will refuse costs nothing here, so that the caller gets that field's precise error.
  if (!Number.isFinite(days) || days < 1 || days > LONGEST_RANGE_DAYS + 1) return 1
  return Math.round(days)
}

/** The date range of a field's arguments: `range`, or `input.range`, each `{ from, to }`. */
function daysOf(args: Args): number | null {
  return rangeDays(args.range) ?? (isRecord(args.input) ? rangeDays(args.input.range) : null)
}

function accountIdsOf(args: Args): unknown[] | null {
  for (const holder of [args, args.filter, isRecord(args.input) ? args.input.filter : undefined]) {
    if (isRecord(holder) && Array.isArray(holder.accountIds) && holder.accountIds.length > 0)
      return holder.accountIds
  }
  return null
}

function pageSizeOf(args: Args): number | null {
  for (const name of PAGE_ARGUMENTS) {
    const value = args[name]
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  }
  return null
}

/**
 * Estimates what an operation costs before it runs, from its arguments (variables included, defaults applied):
 * - every field costs 1;
 * - a field with a date range (`range` or `input.range`) costs days × accounts: 1 account for a field of an
 *   `Account` or one with an `accountId` argument, the number of `accountIds` it names (also under `filter` or
 *   `input.filter`), else `accountsAssumed`; the selection below it is multiplied by the same account count;
 * - a field with a page size (`first`, `last`, `limit`) multiplies the cost of its selection by the page size; a
 *   connection without one by its default page size, and `nodes(ids:)` by the number of ids; the rows of a stats
 *   answer (`aggregateRows`) excepted, computed by the statement already priced by its range;
 * - introspection (`__schema`, `__type`, `__typename`) is free.
 * Each multiplier compounds with those of the fields above it, so nesting a range field under a page of 100
 * accounts costs 100 times as much.
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
  options: Pick<CostOptions, 'accountsAssumed'>,
): number {
  const operation = getOperationAST(document, operationName)
  if (!operation) return 0
  const rootType =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType()
  if (!rootType) return 0
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {})
  // Variables that do not coerce fail the operation before any resolver; there is nothing to price.
  if (coerced.errors) return 0
  const variables = coerced.coerced
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d)

  const fieldCost = (
    parent: GraphQLCompositeType,
    field: GraphQLField<unknown, unknown>,
    node: FieldNode,
  ): number => {
    let args: Args = {}
    try {
      args = getArgumentValues(field, node, variables)
    } catch {
      // An argument that does not coerce fails this field before its resolver: price the field alone.
      return 1
    }
    let own = 1
    // A connection asked for without `first` or `last` serves its default page.
    const defaultPage = (field.extensions as { defaultPageSize?: number } | undefined)?.defaultPageSize
    // The rows of a stats answer come from one statement, priced by the range of the field that runs it.
    const aggregateRows =
      (field.extensions as { aggregateRows?: boolean } | undefined)?.aggregateRows === true
    let multiplier = aggregateRows
      ? 1
      : (pageSizeOf(args) ?? defaultPage ?? (Array.isArray(args.ids) ? args.ids.length : 1))
    const days = daysOf(args)
    if (days !== null) {
      const single = parent.name === 'Account' || 'accountId' in args
      const accounts = single ? 1 : (accountIdsOf(args)?.length ?? options.accountsAssumed)
      own = days * accounts
      multiplier *= accounts
    }
    const below = node.selectionSet ? selectionCost(getNamedType(field.type), node.selectionSet) : 0
    return own + multiplier * below
  }

  const selectionCost = (type: unknown, set: SelectionSetNode, seen = new Set<string>()): number => {
    if (!isCompositeType(type)) return 0
    let cost = 0
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue
        // Fields of a union are only reachable through fragments; interfaces and objects list theirs.
        const field =
          isObjectType(type) || isInterfaceType(type) ? type.getFields()[selection.name.value] : undefined
        if (field) cost += fieldCost(type, field, selection)
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type
        cost += selectionCost(on, selection.selectionSet, seen)
      } else if (!seen.has(selection.name.value)) {
        const fragment = fragments.get(selection.name.value)
        if (fragment) {
          const on = schema.getType(fragment.typeCondition.name.value)
          cost += selectionCost(on, fragment.selectionSet, new Set([...seen, selection.name.value]))
        }
      }
    }
    return cost
  }

  return selectionCost(rootType, operation.selectionSet)
}

export const QUERY_TOO_COSTLY = 'QUERY_TOO_COSTLY'

/**
 * Refuses an operation whose estimated cost is over the limit, before any of its resolvers runs. It runs at
 * execution rather than validation because the price depends on the variables, and Yoga caches validation by
 * document alone.
 */
export function useQueryCost(options: CostOptions): Plugin {
  const check = (args: {
    schema: GraphQLSchema
    document: DocumentNode
    operationName?: string | null
    variableValues?: Record<string, unknown> | null
  }) => {
    const cost = priceOf(args)
    if (cost <= options.maxCost) return null
    return {
      errors: [
        new GraphQLError(
          `Query cost limit of ${options.maxCost} exceeded, estimated ${cost}: ask for a shorter range, fewer accounts or smaller pages.`,
          { extensions: { code: QUERY_TOO_COSTLY, limit: options.maxCost, cost, http: REQUEST_ERROR_HTTP } },
        ),
      ],
    }
  }
  // One price per document (Yoga's parser cache hands out the same object for the same text) and variables.
  const priced = new WeakMap<DocumentNode, Map<string, number>>()
  const priceOf = (args: Parameters<typeof check>[0]) => {
    let byVariables = priced.get(args.document)
    if (!byVariables) {
      byVariables = new Map()
      priced.set(args.document, byVariables)
    }
    const key = `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}`
    let cost = byVariables.get(key)
    if (cost === undefined) {
      cost = estimateCost(args.schema, args.document, args.operationName, args.variableValues, options)
      if (byVariables.size >= 256) byVariables.clear()
      byVariables.set(key, cost)
    }
    return cost
  }
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check(args as never)
      if (refused) setResultAndStopExecution(refused)
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check(args as never)
      if (refused) setResultAndStopExecution(refused)
    },
  }
}
