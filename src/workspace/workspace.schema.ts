import type { AppBuilder } from '../schema/builder.ts'
import { invalidArgument, requirePrincipal } from '../schema/builder.ts'
import type { ErrorRefs } from '../schema/errors.schema.ts'
import { userError } from '../schema/errors.schema.ts'
import { ApiToken, Member, Workspace } from './workspace.entity.ts'
import { issueApiToken } from './workspace.service.ts'

export function registerWorkspaceSchema(builder: AppBuilder, errors: ErrorRefs) {
  const WorkspaceRef = builder.objectRef<Workspace>('Workspace').implement({
    fields: (t) => ({
      id: t.exposeID('id', { nullable: false }),
      name: t.exposeString('name', { nullable: false }),
      createdAt: t.field({ type: 'DateTime', nullable: false, resolve: (w) => w.createdAt }),
    }),
  })

  const RoleEnum = builder.enumType('MemberRole', { values: ['OWNER', 'MEMBER'] as const })
  const MemberRef = builder.objectRef<Member>('Member').implement({
    fields: (t) => ({
      id: t.exposeID('id', { nullable: false }),
      email: t.exposeString('email', { nullable: false }),
      role: t.field({ type: RoleEnum, nullable: false, resolve: (m) => m.role as 'OWNER' | 'MEMBER' }),
      createdAt: t.field({ type: 'DateTime', nullable: false, resolve: (m) => m.createdAt }),
    }),
  })

  const ApiTokenRef = builder.objectRef<ApiToken>('ApiToken').implement({
    description: 'An API token. Its value is shown once, at creation; affgraph stores only a hash.',
    fields: (t) => ({
      id: t.exposeID('id', { nullable: false }),
      name: t.exposeString('name', { nullable: false }),
      prefix: t.exposeString('prefix', {
        nullable: false,
        description: 'Public part of the token, to tell tokens apart.',
      }),
      createdAt: t.field({ type: 'DateTime', nullable: false, resolve: (k) => k.createdAt }),
      lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.lastUsedAt }),
      expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.expiresAt }),
      revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revokedAt }),
    }),
  })

  const ViewerRef = builder.objectRef<{ workspaceId: string; tokenId: string }>('Viewer').implement({
    fields: (t) => ({
      workspace: t.field({
        type: WorkspaceRef,
        nullable: false,
        resolve: (v, _, ctx) => ctx.em.findOneOrFail(Workspace, { id: v.workspaceId }),
      }),
      token: t.field({
        type: ApiTokenRef,
        nullable: false,
        resolve: (v, _, ctx) => ctx.em.findOneOrFail(ApiToken, { id: v.tokenId }),
      }),
    }),
  })

  builder.queryField('viewer', (t) =>
    t.field({
      type: ViewerRef,
      nullable: false,
      description: 'The workspace and token of the current request.',
      resolve: (_, __, ctx) => {
        const p = requirePrincipal(ctx)
        return { workspaceId: p.workspaceId, tokenId: p.tokenId }
      },
    }),
  )

  builder.queryField('apiTokens', (t) =>
    t.field({
      type: [ApiTokenRef],
      nullable: false,
      resolve: (_, __, ctx) => {
        requirePrincipal(ctx)
        return ctx.em.find(ApiToken, {}, { orderBy: { createdAt: 'asc', id: 'asc' } })
      },
    }),
  )

  builder.queryField('members', (t) =>
    t.field({
      type: [MemberRef],
      nullable: false,
      resolve: (_, __, ctx) => {
        requirePrincipal(ctx)
        return ctx.em.find(Member, {}, { orderBy: { createdAt: 'asc', id: 'asc' } })
      },
    }),
  )

  const CreateApiTokenSuccess = builder
    .objectRef<{ token: string; apiToken: ApiToken }>('CreateApiTokenSuccess')
    .implement({
      fields: (t) => ({
        token: t.exposeString('token', {
          nullable: false,
          description: 'The token itself. Shown this once: store it now, affgraph cannot show it again.',
        }),
        apiToken: t.field({ type: ApiTokenRef, nullable: false, resolve: (v) => v.apiToken }),
      }),
    })

  builder.mutationField('createApiToken', (t) =>
    t.field({
      type: CreateApiTokenSuccess,
      nullable: false,
      args: {
        name: t.arg.string({ required: true, validate: { minLength: 1, maxLength: 80 } }),
        expiresAt: t.arg({ type: 'DateTime', required: false }),
      },
      resolve: async (_, args, ctx) => {
        const p = requirePrincipal(ctx)
        if (args.expiresAt && args.expiresAt.getTime() <= ctx.services.clock.now().getTime())
          throw invalidArgument(['expiresAt'], 'must be in the future')
        const workspace = ctx.em.getReference(Workspace, p.workspaceId)
        const issued = await issueApiToken(ctx.em, workspace, args.name, {
          expiresAt: args.expiresAt ?? null,
        })
        return { token: issued.token, apiToken: issued.record }
      },
    }),
  )

  const RevokeApiTokenSuccess = builder.objectRef<{ apiToken: ApiToken }>('RevokeApiTokenSuccess').implement({
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'RevokeApiTokenSuccess',
    fields: (t) => ({
      apiToken: t.field({ type: ApiTokenRef, nullable: false, resolve: (v) => v.apiToken }),
    }),
  })
  const RevokeApiTokenResult = builder.unionType('RevokeApiTokenResult', {
    types: [RevokeApiTokenSuccess, errors.ApiTokenNotFoundError],
  })
  builder.mutationField('revokeApiToken', (t) =>
    t.field({
      type: RevokeApiTokenResult,
      nullable: false,
      description: 'Revokes a token at once; requests bearing it fail from then on.',
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const id = String(args.id)
        const token = /^[0-9a-f-]{36}$/i.test(id) ? await ctx.em.findOne(ApiToken, { id }) : null
        if (!token)
          return userError('ApiTokenNotFoundError', 'API_TOKEN_NOT_FOUND', 'API token not found.', ['id'])
        token.revokedAt ??= ctx.services.clock.now()
        await ctx.em.flush()
        return { __typename: 'RevokeApiTokenSuccess', apiToken: token }
      },
    }),
  )

  builder.mutationField('addMember', (t) =>
    t.field({
      type: MemberRef,
      nullable: false,
      args: {
        email: t.arg.string({ required: true, validate: { email: true, maxLength: 254 } }),
        role: t.arg({ type: RoleEnum, required: false, defaultValue: 'MEMBER' }),
      },
      resolve: async (_, args, ctx) => {
        const p = requirePrincipal(ctx)
        const email = args.email.trim().toLowerCase()
        const existing = await ctx.em.findOne(Member, { email })
        if (existing) return existing
        const member = ctx.em.create(Member, {
          id: crypto.randomUUID(),
          workspace: ctx.em.getReference(Workspace, p.workspaceId),
          email,
          role: args.role ?? 'MEMBER',
        })
        await ctx.em.flush()
        return member
      },
    }),
  )
}
