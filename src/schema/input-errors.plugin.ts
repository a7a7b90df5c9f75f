import SchemaBuilder, { BasePlugin, type SchemaTypes } from '@pothos/core'
import { GraphQLError, type GraphQLResolveInfo, getNamedType, isUnionType } from 'graphql'
import { type FieldIssue, type INPUT_ERROR_TYPES, isErrorCode, type UserErrorShape } from './errors.schema.ts'

const TYPE_OF_CODE: Record<string, (typeof INPUT_ERROR_TYPES)[number]> = {
  CREDENTIALS_INVALID: 'CredentialsInvalidError',
  INVALID_ARGUMENT: 'InvalidArgumentError',
}

/**
 * A refused input of a mutation (plugin-zod's validation, or a resolver's own `invalidArgument`) becomes the
 * CredentialsInvalidError or InvalidArgumentError member of the mutation's result union, so a client reads every
 * expected failure from one place in one shape. Pothos' errors plugin was the first choice, but it recognises
 * only thrown instances of registered classes and types anything else as the success member, while our
 * services return their failures as values; this plugin converts just the one kind of thrown error.
 */
export function inputErrorMember(error: unknown, info: GraphQLResolveInfo): UserErrorShape | null {
  if (!(error instanceof GraphQLError)) return null
  const code = error.extensions?.code
  const typeName = typeof code === 'string' ? TYPE_OF_CODE[code] : undefined
  if (!typeName || !isErrorCode(code)) return null
  const union = getNamedType(info.returnType)
  if (!isUnionType(union) || !union.getTypes().some((t) => t.name === typeName)) return null
  const raw = error.extensions?.fields
  const fields: FieldIssue[] = Array.isArray(raw)
    ? raw.map((f: { path?: unknown[]; message?: unknown }) => ({
        path: (f.path ?? []).map(String),
        message: String(f.message ?? error.message),
      }))
    : []
  return { __typename: typeName, code, message: error.message, fields }
}

export class InputErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: Parameters<BasePlugin<Types>['wrapResolve']>[0],
    fieldConfig: Parameters<BasePlugin<Types>['wrapResolve']>[1],
  ): Parameters<BasePlugin<Types>['wrapResolve']>[0] {
    if (fieldConfig.kind !== 'Mutation') return resolver
    return async (parent, args, context, info) => {
      try {
        return await resolver(parent, args, context, info)
      } catch (error) {
        const member = inputErrorMember(error, info)
        if (member) return member
        throw error
      }
    }
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      affgraphInputErrors: InputErrorsPlugin<Types>
    }
  }
}

SchemaBuilder.registerPlugin('affgraphInputErrors', InputErrorsPlugin)
