import type { EntityClass } from '@mikro-orm/core'
import { isUuid } from '../db/uuid.ts'
import { type GraphQLContext, requirePrincipal } from './builder.ts'

/**
 * Objects of the caller's workspace by database id, in the order asked, null where none is found. The request's
 * EntityManager carries the tenant filter, so an id of another workspace finds nothing, exactly like an unknown one;
 * an id that is no UUID is never sent to the database (it would fail the statement instead of finding nothing).
 */
export async function loadScoped<T extends { id: string }>(
  ctx: GraphQLContext,
  entity: EntityClass<T>,
  ids: readonly string[],
): Promise<(T | null)[]> {
  requirePrincipal(ctx)
  const valid = [...new Set(ids.filter(isUuid))]
  const found = valid.length > 0 ? await ctx.em.find(entity, { id: { $in: valid } } as never) : []
  const byId = new Map(found.map((e) => [e.id.toLowerCase(), e]))
  return ids.map((id) => byId.get(id.toLowerCase()) ?? null)
}
