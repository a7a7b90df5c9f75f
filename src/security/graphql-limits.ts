import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases'
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth'
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives'
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens'
import { GraphQLError, type ValidationContext } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import type { GraphQLLimits } from '../config.ts'
import { useQueryCost } from './query-cost.ts'
import { REQUEST_ERROR_HTTP } from './request-errors.ts'

/** The stable `extensions.code` of each refusal; `extensions.limit` carries the configured maximum. */
export const LIMIT_CODES = {
  depth: 'QUERY_TOO_DEEP',
  aliases: 'TOO_MANY_ALIASES',
  directives: 'TOO_MANY_DIRECTIVES',
  tokens: 'TOO_MANY_TOKENS',
} as const

type Limit = keyof typeof LIMIT_CODES

const MESSAGES: Record<Limit, (max: number) => string> = {
  depth: (max) => `Query depth limit of ${max} exceeded: nest fields at most ${max} levels deep.`,
  aliases: (max) => `Alias limit of ${max} exceeded: use at most ${max} aliased fields per document.`,
  directives: (max) => `Directive limit of ${max} exceeded: use at most ${max} directives per document.`,
  tokens: (max) => `Token limit of ${max} exceeded: the document is too long.`,
}

function limitError(limit: Limit, max: number): GraphQLError {
  return new GraphQLError(MESSAGES[limit](max), {
    extensions: { code: LIMIT_CODES[limit], limit: max, http: REQUEST_ERROR_HTTP },
  })
}

/**
 * graphql-armor's own errors are plain "Syntax Error: …" messages; each refusal is reported instead with our
 * message and code, and validation goes on so that one response names every limit the document breaks.
 */
function reportInstead(limit: Limit, max: number) {
  return {
    n: max,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null) => context?.reportError(limitError(limit, max))],
  }
}

/**
 * Depth, alias, directive and token limits (graphql-armor) and the cost limit (ours: it prices date ranges and
 * accounts). All of them refuse an operation before any resolver runs: tokens while parsing, depth, aliases and
 * directives while validating, cost just before execution.
 */
export function useGraphQLLimits(limits: GraphQLLimits): Plugin[] {
  return [
    maxTokensPlugin({
      n: limits.maxTokens,
      exposeLimits: true,
      // The parser cannot go on past the limit: the refusal is thrown, as our own error.
      onReject: [
        () => {
          throw limitError('tokens', limits.maxTokens)
        },
      ],
    }) as Plugin,
    maxDepthPlugin({
      ...reportInstead('depth', limits.maxDepth),
      ignoreIntrospection: true,
      flattenFragments: true,
    }) as Plugin,
    maxAliasesPlugin(reportInstead('aliases', limits.maxAliases)) as Plugin,
    maxDirectivesPlugin(reportInstead('directives', limits.maxDirectives)) as Plugin,
    useQueryCost({ maxCost: limits.maxCost, accountsAssumed: limits.costAccountsAssumed }),
  ]
}
