import SchemaBuilder, {
  BasePlugin,
  createInputValueMapper,
  type InputFieldMapping,
  mapInputFields,
  PothosValidationError,
  type SchemaTypes,
} from '@pothos/core'
import { GraphQLError, type GraphQLResolveInfo, getNamedType, isUnionType } from 'graphql'
import { type FieldIssue, type INPUT_ERROR_TYPES, isErrorCode, type UserErrorShape } from './errors.schema.ts'
import { databaseId, globalIdIssues } from './global-ids.ts'

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

const RELAY_ID_REFUSAL = /^(Invalid global ID|ID: [\s\S]* is not of type)/

/** A global id the relay plugin could not decode, or of a type the argument does not take, named by its path. */
function globalIdError(
  error: unknown,
  info: GraphQLResolveInfo,
  args: Record<string, unknown>,
): GraphQLError | null {
  // Only the relay plugin's refusals of an id: any other validation error keeps its own words.
  if (!(error instanceof PothosValidationError) || !RELAY_ID_REFUSAL.test(error.message)) return null
  const found = globalIdIssues(info, args)
  const fields =
    found.length > 0 ? found : [{ path: [], message: 'an id is not a global id of the right type' }]
  const summary = fields.map((f) => `${f.path.at(-1) ?? 'id'}: ${f.message}`).join('; ')
  return new GraphQLError(`Invalid input: ${summary}`, { extensions: { code: 'INVALID_ARGUMENT', fields } })
}

export class InputErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  private readonly mappingCache = new Map<string, Map<string, InputFieldMapping<Types, boolean>>>()

  /**
   * After the relay plugin has decoded a global id argument of a named type (`for:`), resolvers and input schemas
   * receive the database id itself: they check and look it up exactly as before, scoped to the caller's workspace.
   */
  override onOutputFieldConfig(
    fieldConfig: Parameters<BasePlugin<Types>['onOutputFieldConfig']>[0],
  ): ReturnType<BasePlugin<Types>['onOutputFieldConfig']> {
    const mappings = mapInputFields(
      fieldConfig.args,
      this.buildCache,
      (field) => ((field.extensions as { relayGlobalIDFor?: unknown })?.relayGlobalIDFor ? true : null),
      this.mappingCache as never,
    )
    if (!mappings) return fieldConfig
    const toDatabaseIds = createInputValueMapper(mappings, (value) => databaseId(value))
    return {
      ...fieldConfig,
      argMappers: [...(fieldConfig.argMappers ?? []), (args) => toDatabaseIds(args)],
    }
  }

  /** Around the arg mappers: a refused global id is an input error like any other (a union member for mutations). */
  override wrapArgMappers(
    resolver: Parameters<BasePlugin<Types>['wrapArgMappers']>[0],
    fieldConfig: Parameters<BasePlugin<Types>['wrapArgMappers']>[1],
  ): Parameters<BasePlugin<Types>['wrapArgMappers']>[0] {
    if (!fieldConfig.argMappers?.length) return resolver
    const mutation = fieldConfig.kind === 'Mutation'
    return async (parent, args, context, info) => {
      try {
        return await resolver!(parent, args, context, info)
      } catch (error) {
        const refused = globalIdError(error, info, args as Record<string, unknown>)
        if (!refused) throw error
        const member = mutation ? inputErrorMember(refused, info) : null
        if (member) return member
        throw refused
      }
    }
  }

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
