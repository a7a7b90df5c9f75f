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

// The last one: graphql-js prints the refused value before it, and a key of that value could spell ` at "x"; `.
const AT = / at "([A-Za-z_][A-Za-z0-9_.[\]]*)"; /g
const NAMED_FIELD = /; Field "([A-Za-z_][A-Za-z0-9_]*)" (?:of required type|is not defined)/
const LITERAL_FIELD = /^Field "[A-Za-z_][A-Za-z0-9_]*\.([A-Za-z_][A-Za-z0-9_]*)" of required type /

/**
 * Where in the input a refused value sits, in the shape of a UserError's `fields` (`{ path, message }`), so a
 * client places a value the schema itself refuses (a required field left out, a day that is no date) next to its
 * field like every other input error. graphql-js states the place only in its message: `at "input.softSwiss"`
 * plus the field it names, or, for a value written in the document, the field alone.
 */
export function inputPathOf(originalMessage: string, reason: string): { path: string[]; message: string }[] {
  const variable = COERCION.exec(originalMessage)
  if (variable) {
    const at = [...originalMessage.matchAll(AT)].at(-1)?.[1] ?? variable[1]!.slice(1)
    const path = at.split(/[.[\]]+/).filter(Boolean)
    const field = NAMED_FIELD.exec(originalMessage)?.[1]
    return [{ path: field ? [...path, field] : path, message: reason }]
  }
  const literal = LITERAL_FIELD.exec(originalMessage)?.[1]
  return literal ? [{ path: [literal], message: reason }] : []
}

function rewrite(error: GraphQLError): GraphQLError {
  const message = withoutInputValue(error.message, error.originalError?.message)
  if (message === undefined) {
    if (NOT_PROVIDED.test(error.message) && !error.extensions?.code)
      return new GraphQLError(error.message, {
        nodes: error.nodes,
        extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
      })
    if (LITERAL_FIELD.test(error.message) && !error.extensions?.fields)
      return new GraphQLError(error.message, {
        nodes: error.nodes,
        extensions: { ...error.extensions, fields: inputPathOf(error.message, 'is required') },
      })
    return error
  }
  const reason = message.replace(/^Variable "\$[A-Za-z0-9_]+" got an invalid value:? ?/, '') || 'is invalid'
  return new GraphQLError(message, {
    nodes: error.nodes,
    extensions: {
      ...error.extensions,
      code: 'BAD_USER_INPUT',
      fields: inputPathOf(
        error.message,
        reason.replace(/^Field "[^"]+" of required type "[^"]+" was not provided\.$/, 'is required'),
      ),
    },
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
