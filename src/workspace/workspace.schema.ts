import type { AppBuilder } from '../schema/builder.ts'
import { invalidArgument, requirePrincipal } from '../schema/builder.ts'
import { countedConnection, entityConnection } from '../schema/connections.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { userError } from '../schema/errors.schema.ts'
import { databaseId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import { ApiToken, Member, Workspace } from './workspace.entity.ts'
import { issueApiToken } from './workspace.service.ts'

/** Tokens or members on a page when neither `first` nor `last` is given: a workspace has few of either. */
const SMALL_PAGE = 100

export function registerWorkspaceSchema(
  builder: AppBuilder,
  errorTypes: ReturnType<typeof registerErrorTypes>,
) {
  const errors = errorTypes.refs
  const WorkspaceRef = builder.objectRef<Workspace>('Workspace').implement({
    description: 'A tenant: its accounts, stats, members and tokens are seen by no other workspace.',
    fields: (t) => ({
      name: t.exposeString('name', { nullable: false, description: 'Display name.' }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the workspace was created.',
        resolve: (w) => w.createdAt,
      }),
    }),
  })

  const RoleEnum = builder.enumType('MemberRole', {
    description: 'What a member may do in the workspace.',
    values: {
      OWNER: { description: 'Created the workspace; manages members and tokens.' },
      MEMBER: { description: 'Works with the accounts and stats of the workspace.' },
    } as const,
  })
  const MemberRef = builder.objectRef<Member>('Member').implement({
    description: 'A person who belongs to the workspace.',
    fields: (t) => ({
      email: t.exposeString('email', { nullable: false, description: 'Email address, lower-cased.' }),
      role: t.field({
        type: RoleEnum,
        nullable: false,
        description: 'What the member may do.',
        resolve: (m) => m.role as 'OWNER' | 'MEMBER',
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the member was added.',
        resolve: (m) => m.createdAt,
      }),
    }),
  })

  const ApiTokenRef = builder.objectRef<ApiToken>('ApiToken').implement({
    description: 'An API token. Its value is shown once, at creation; affgraph stores only a hash.',
    fields: (t) => ({
      name: t.exposeString('name', {
        nullable: false,
        description: 'What the token is for, as given at creation.',
      }),
      prefix: t.exposeString('prefix', {
        nullable: false,
        description: 'Public part of the token, to tell tokens apart.',
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the token was created.',
        resolve: (k) => k.createdAt,
      }),
      lastUsedAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When a request last bore the token; null if never (recorded at most once a minute).',
        resolve: (k) => k.lastUsedAt,
      }),
      expiresAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When the token stops working; null if it never expires.',
        resolve: (k) => k.expiresAt,
      }),
      revokedAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When the token was revoked; null while it is not.',
        resolve: (k) => k.revokedAt,
      }),
    }),
  })

  builder.nodeRef<Workspace, string, typeof WorkspaceRef>(WorkspaceRef, {
    id: { resolve: (w) => w.id, description: 'Global id of the workspace.' },
    // Not tenant-filtered (it is the tenant): only the caller's own workspace is found.
    loadMany: (ids, ctx) => {
      const { workspaceId } = requirePrincipal(ctx)
      return loadScoped(
        ctx,
        Workspace,
        ids.map((id) => (id.toLowerCase() === workspaceId.toLowerCase() ? id : '')),
      )
    },
  })
  builder.nodeRef<Member, string, typeof MemberRef>(MemberRef, {
    id: { resolve: (m) => m.id, description: 'Global id of the member.' },
    loadMany: (ids, ctx) => loadScoped(ctx, Member, ids),
  })
  builder.nodeRef<ApiToken, string, typeof ApiTokenRef>(ApiTokenRef, {
    id: { resolve: (k) => k.id, description: 'Global id of the token (not the token itself).' },
    loadMany: (ids, ctx) => loadScoped(ctx, ApiToken, ids),
  })

  const ViewerRef = builder.objectRef<{ workspaceId: string; tokenId: string }>('Viewer').implement({
    description: 'Who is asking: the workspace and token of the current request.',
    fields: (t) => ({
      workspace: t.field({
        type: WorkspaceRef,
        nullable: false,
        description: 'The workspace the token belongs to.',
        resolve: (v, _, ctx) => ctx.em.findOneOrFail(Workspace, { id: v.workspaceId }),
      }),
      token: t.field({
        type: ApiTokenRef,
        nullable: false,
        description: 'The token the request bears.',
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
    t.connection(
      {
        type: ApiTokenRef,
        nullable: false,
        description:
          'The API tokens of the workspace, revoked and expired ones included, oldest first; ' +
          `${SMALL_PAGE} a page unless \`first\` or \`last\` says.`,
        extensions: { defaultPageSize: SMALL_PAGE },
        resolve: (_, args, ctx) => {
          requirePrincipal(ctx)
          return entityConnection(ctx, ApiToken, {}, args, {
            order: 'asc',
            defaultSize: SMALL_PAGE,
            cursorPrefix: 'token',
          })
        },
      },
      countedConnection(
        'ApiTokenConnection',
        'A page of API tokens.',
        'Tokens of the workspace, on every page.',
      ),
      { name: 'ApiTokenEdge', description: 'An API token and its cursor.' },
    ),
  )

  builder.queryField('members', (t) =>
    t.connection(
      {
        type: MemberRef,
        nullable: false,
        description: `The members of the workspace, oldest first; ${SMALL_PAGE} a page unless \`first\` or \`last\` says.`,
        extensions: { defaultPageSize: SMALL_PAGE },
        resolve: (_, args, ctx) => {
          requirePrincipal(ctx)
          return entityConnection(ctx, Member, {}, args, {
            order: 'asc',
            defaultSize: SMALL_PAGE,
            cursorPrefix: 'member',
          })
        },
      },
      countedConnection('MemberConnection', 'A page of members.', 'Members of the workspace, on every page.'),
      { name: 'MemberEdge', description: 'A member and its cursor.' },
    ),
  )

  const CreateApiTokenSuccess = builder
    .objectRef<{ token: string; apiToken: ApiToken }>('CreateApiTokenSuccess')
    .implement({
      description: 'The token was created.',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'CreateApiTokenSuccess',
      fields: (t) => ({
        token: t.exposeString('token', {
          nullable: false,
          description: 'The token itself. Shown this once: store it now, affgraph cannot show it again.',
        }),
        apiToken: t.field({
          type: ApiTokenRef,
          nullable: false,
          description: 'The stored record of the token.',
          resolve: (v) => v.apiToken,
        }),
      }),
    })
  const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
    description: 'A new API token for the workspace.',
    fields: (t) => ({
      name: t.string({
        required: true,
        description: 'What the token is for (1 to 80 characters), to tell tokens apart.',
        validate: { minLength: [1, { message: 'must not be empty' }], maxLength: 80 },
      }),
      expiresAt: t.field({
        type: 'DateTime',
        required: false,
        description:
          'When the token stops working; must be in the future. Omit for a token that never expires.',
      }),
    }),
  })

  builder.mutationField('createApiToken', (t) =>
    t.field({
      type: builder.unionType('CreateApiTokenResult', {
        description: 'The new token, or why none was created.',
        types: [CreateApiTokenSuccess, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Creates an API token for the workspace. Its value is in the answer, once.',
      args: {
        input: t.arg({
          type: CreateApiTokenInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        if (input.expiresAt && input.expiresAt.getTime() <= ctx.services.clock.now().getTime())
          throw invalidArgument(['input', 'expiresAt'], 'must be in the future')
        const workspace = ctx.em.getReference(Workspace, p.workspaceId)
        const issued = await issueApiToken(ctx.em, workspace, input.name, {
          expiresAt: input.expiresAt ?? null,
        })
        return { __typename: 'CreateApiTokenSuccess', token: issued.token, apiToken: issued.record }
      },
    }),
  )

  const RevokeApiTokenSuccess = builder.objectRef<{ apiToken: ApiToken }>('RevokeApiTokenSuccess').implement({
    description: 'The token is revoked (revoking a revoked token changes nothing).',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'RevokeApiTokenSuccess',
    fields: (t) => ({
      apiToken: t.field({
        type: ApiTokenRef,
        nullable: false,
        description: 'The revoked token, with `revokedAt` set.',
        resolve: (v) => v.apiToken,
      }),
    }),
  })
  const RevokeApiTokenInput = builder.inputType('RevokeApiTokenInput', {
    description: 'Which token to revoke.',
    fields: (t) => ({
      id: t.globalID({ required: true, for: ApiTokenRef, description: 'The token, as `ApiToken.id`.' }),
    }),
  })
  builder.mutationField('revokeApiToken', (t) =>
    t.field({
      type: builder.unionType('RevokeApiTokenResult', {
        description: 'The revoked token, or why it could not be revoked.',
        types: [RevokeApiTokenSuccess, errors.ApiTokenNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Revokes a token at once; requests bearing it fail from then on.',
      args: {
        input: t.arg({
          type: RevokeApiTokenInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        const [token] = await loadScoped(ctx, ApiToken, [databaseId(input.id)])
        if (!token)
          return userError('ApiTokenNotFoundError', 'API_TOKEN_NOT_FOUND', 'API token not found.', [
            { path: ['input', 'id'], message: 'no API token with this id in your workspace' },
          ])
        token.revokedAt ??= ctx.services.clock.now()
        await ctx.em.flush()
        return { __typename: 'RevokeApiTokenSuccess', apiToken: token }
      },
    }),
  )

  const AddMemberSuccess = builder.objectRef<{ member: Member }>('AddMemberSuccess').implement({
    description: 'The person is a member of the workspace.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'AddMemberSuccess',
    fields: (t) => ({
      member: t.field({
        type: MemberRef,
        nullable: false,
        description: 'The new member.',
        resolve: (v) => v.member,
      }),
    }),
  })
  const AddMemberInput = builder.inputType('AddMemberInput', {
    description: 'A person to add to the workspace.',
    fields: (t) => ({
      email: t.string({
        required: true,
        description: 'Their email address (compared without regard to case).',
        validate: { email: true, maxLength: 254 },
      }),
      role: t.field({
        type: RoleEnum,
        required: false,
        defaultValue: 'MEMBER',
        description: 'What they may do; MEMBER unless given.',
      }),
    }),
  })
  builder.mutationField('addMember', (t) =>
    t.field({
      type: builder.unionType('AddMemberResult', {
        description: 'The new member, or why none was added.',
        types: [AddMemberSuccess, errors.MemberDuplicateError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Adds a person to the workspace.',
      args: {
        input: t.arg({
          type: AddMemberInput,
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const email = input.email.trim().toLowerCase()
        const existing = await ctx.em.findOne(Member, { email })
        if (existing)
          return userError('MemberDuplicateError', 'MEMBER_DUPLICATE', 'This email is already a member.', [
            { path: ['input', 'email'], message: 'already a member of this workspace' },
          ])
        const member = ctx.em.create(Member, {
          id: crypto.randomUUID(),
          workspace: ctx.em.getReference(Workspace, p.workspaceId),
          email,
          role: input.role ?? 'MEMBER',
        })
        await ctx.em.flush()
        return { __typename: 'AddMemberSuccess', member }
      },
    }),
  )
}
