import { GraphQLError } from 'graphql'
import type { Plugin } from 'graphql-yoga'

/**
 * graphql-js words a variable it cannot coerce as `Variable "$c" got invalid value { …the whole value… }; <why>`,
 * and a scalar's refusal often ends in `…value: <the value>`. For a connection input that value holds the
 * user's API key, which would go back in the answer and into any log of the error. These errors are rewritten
 * to name the variable and the reason only, and get the stable code BAD_USER_INPUT like every other refusal of
 * malformed input (graphql-js gives them none).
 */
const COERCION = /^Variable "(\$[A-Za-z_][A-Za-z0-9_]*)" got invalid value /
const NOT_PROVIDED = /^Variable "\$[A-Za-z_][A-Za-z0-9_]*" of (non-null|required) type /

export function withoutInputValue(message: string, scalarMessage?: string): string | undefined {
  const match = COERCION.exec(message)
  if (!match) return undefined
  // A scalar's refusal is its own error's message; a structural one (unknown or missing field, oneOf) is the text
  // after the last "; ", which names fields and types only.
  const cut = message.lastIndexOf('; ')
  let reason = scalarMessage ?? (cut >= 0 ? message.slice(cut + 2) : '')
  // Scalars end their message with the offending value (`Int cannot represent non-integer value: "x"`).
  reason = reason.replace(/ value: [\s\S]*$/, ' value.').replace(/, found [\s\S]*$/, '.')
  return `Variable "${match[1]}" got an invalid value${reason ? `: ${reason}` : '.'}`
}

function rewrite(error: GraphQLError): GraphQLError {
  const message = withoutInputValue(error.message, error.originalError?.message)
  if (message === undefined) {
    if (NOT_PROVIDED.test(error.message) && !error.extensions?.code)
      return new GraphQLError(error.message, {
        nodes: error.nodes,
        extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
      })
    return error
  }
  return new GraphQLError(message, {
    nodes: error.nodes,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  })
}

export function useInputErrorHygiene(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors?.length || result.data !== undefined) return
          setResult({ ...result, errors: result.errors.map((e) => rewrite(e as GraphQLError)) })
        },
      }
    },
  }
}
