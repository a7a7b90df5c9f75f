import { defineEntity, p } from '@mikro-orm/core'

/**
 * The tenant filter every workspace-owned entity carries. It is on by default and needs the workspace id: a query
 * made without one fails instead of reading every tenant's rows.
 */
export const tenantFilters = {
  workspace: { name: 'workspace', cond: (args: { id: string }) => ({ workspace: args.id }), default: true },
}

export const WorkspaceSchema = defineEntity({
  name: 'Workspace',
  tableName: 'workspace',
  properties: {
    id: p.uuid().primary(),
    name: p.text().unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
})
export class Workspace extends WorkspaceSchema.class {}
WorkspaceSchema.setClass(Workspace)

export const MemberSchema = defineEntity({
  name: 'Member',
  tableName: 'member',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    email: p.text(),
    role: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [{ properties: ['workspace', 'email'] }],
  filters: tenantFilters,
})
export class Member extends MemberSchema.class {}
MemberSchema.setClass(Member)

export const ApiTokenSchema = defineEntity({
  name: 'ApiToken',
  tableName: 'api_token',
  properties: {
    id: p.uuid().primary(),
    workspace: () => p.manyToOne(Workspace).deleteRule('cascade'),
    member: () => p.manyToOne(Member).nullable().deleteRule('set null'),
    name: p.text(),
    prefix: p.text().unique(),
    tokenHash: p.text().unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    expiresAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['workspace'] }],
  filters: tenantFilters,
})
export class ApiToken extends ApiTokenSchema.class {}
ApiTokenSchema.setClass(ApiToken)
