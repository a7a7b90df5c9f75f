import type { EntityManager } from '@mikro-orm/core'
import { generateApiToken, parseApiToken, verifyApiTokenHash } from '../crypto/api-token.ts'
import { ApiToken, type Member, Workspace } from './workspace.entity.ts'

export type AuthFailure =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_INVALID'
  | 'TOKEN_REVOKED'
  | 'TOKEN_EXPIRED'

export interface Principal {
  workspaceId: string
  workspaceName: string
  tokenId: string
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure }

export const AUTH_FAILURE_MESSAGES: Record<AuthFailure, string> = {
  TOKEN_MISSING: 'An API token is required: send it as "Authorization: Bearer <token>".',
  TOKEN_MALFORMED: 'The Authorization header does not hold a well-formed affgraph API token.',
  TOKEN_INVALID: 'The API token is not valid.',
  TOKEN_REVOKED: 'The API token has been revoked; create a new one.',
  TOKEN_EXPIRED: 'The API token has expired; create a new one.',
}

/** Workspace names are how the CLI addresses a tenant; keep them printable and short. */
export function validateWorkspaceName(name: string): string {
  const trimmed = name.trim()
  if (!/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,62}$/u.test(trimmed)) {
    throw new Error('workspace name must be 1–63 letters, digits, spaces, dots, dashes or underscores')
  }
  return trimmed
}

export async function ensureWorkspace(
  em: EntityManager,
  name: string,
): Promise<{ workspace: Workspace; created: boolean }> {
  const valid = validateWorkspaceName(name)
  const existing = await em.findOne(Workspace, { name: valid })
  if (existing) return { workspace: existing, created: false }
  const workspace = em.create(Workspace, { id: crypto.randomUUID(), name: valid })
  await em.flush()
  return { workspace, created: true }
}

export interface IssuedToken {
  token: string
  record: ApiToken
}

/** The plaintext token exists only in the return value: the database keeps its SHA-256. */
export async function issueApiToken(
  em: EntityManager,
  workspace: Workspace,
  name: string,
  options: { member?: Member | null; expiresAt?: Date | null } = {},
): Promise<IssuedToken> {
  const generated = generateApiToken()
  const record = em.create(ApiToken, {
    id: crypto.randomUUID(),
    workspace,
    member: options.member ?? null,
    name: name.trim() || 'token',
    prefix: generated.prefix,
    tokenHash: generated.hash,
    expiresAt: options.expiresAt ?? null,
    lastUsedAt: null,
    revokedAt: null,
  })
  await em.flush()
  return { token: generated.token, record }
}

/** Resolves a bearer token to its workspace. Runs before any tenant is known, hence without the tenant filter. */
export async function authenticate(
  em: EntityManager,
  authorization: string | null,
  now = new Date(),
): Promise<AuthResult> {
  if (!authorization) return { ok: false, reason: 'TOKEN_MISSING' }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  const token = match?.[1]
  const parsed = token ? parseApiToken(token) : null
  if (!token || !parsed) return { ok: false, reason: 'TOKEN_MALFORMED' }
  const record = await em.findOne(
    ApiToken,
    { prefix: parsed.prefix },
    { filters: false, populate: ['workspace'] },
  )
  if (!record || !verifyApiTokenHash(token, record.tokenHash)) return { ok: false, reason: 'TOKEN_INVALID' }
  if (record.revokedAt) return { ok: false, reason: 'TOKEN_REVOKED' }
  if (record.expiresAt && record.expiresAt <= now) return { ok: false, reason: 'TOKEN_EXPIRED' }
  // Last-use tracking is advisory; a minute's precision avoids a write on every request.
  if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > 60_000) {
    await em.nativeUpdate(ApiToken, { id: record.id }, { lastUsedAt: now }, { filters: false })
  }
  return {
    ok: true,
    principal: { workspaceId: record.workspace.id, workspaceName: record.workspace.name, tokenId: record.id },
  }
}
