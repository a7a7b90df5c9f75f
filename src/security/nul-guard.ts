import { type DocumentNode, GraphQLError, visit } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import { REQUEST_ERROR_HTTP } from './request-errors.ts'

/**
 * PostgreSQL cannot store U+0000 in text: a NUL reaching a query as a tag, a label, a platform id or a filter made
 * the statement fail and the client got a masked "Unexpected error.". No field of affgraph has a use for it, so
 * every text input is checked at once, before any resolver runs, and a NUL is refused naming where it was.
 */
const NUL = '\u0000'

function nulPathInValue(value: unknown, path: (string | number)[]): (string | number)[] | null {
  if (typeof value === 'string') return value.includes(NUL) ? path : null
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulPathInValue(item, [...path, i])
      if (found) return found
    }
    return null
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(NUL)) return [...path, key]
      const found = nulPathInValue(item, [...path, key])
      if (found) return found
    }
  }
  return null
}

/** The argument path of the first string literal in the document that holds a NUL, or null. */
function nulPathInDocument(document: DocumentNode): (string | number)[] | null {
  let found: (string | number)[] | null = null
  const names: string[] = []
  visit(document, {
    Argument: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
    ObjectField: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
    StringValue(node) {
      if (!found && node.value.includes(NUL)) found = [...names]
    },
  })
  return found
}

function refusal(path: (string | number)[]): GraphQLError {
  const named = path.length > 0 ? path.join('.') : 'a text value'
  return new GraphQLError(
    `Invalid input: ${named} contains the NUL character (U+0000), which no field accepts`,
    {
      extensions: {
        code: 'BAD_USER_INPUT',
        fields: [{ path, message: 'contains the NUL character (U+0000)' }],
        http: REQUEST_ERROR_HTTP,
      },
    },
  )
}

export function useNulGuard(): Plugin {
  const check = (args: { document: DocumentNode; variableValues?: Record<string, unknown> | null }) => {
    const inVariables = nulPathInValue(args.variableValues ?? {}, [])
    if (inVariables) return refusal(inVariables.map((p, i) => (i === 0 ? `$${p}` : p)))
    const inDocument = nulPathInDocument(args.document)
    return inDocument ? refusal(inDocument) : null
  }
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args)
      if (error) setResultAndStopExecution({ errors: [error] })
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args)
      if (error) setResultAndStopExecution({ errors: [error] })
    },
  }
}
