import type { EntityManager } from '@mikro-orm/core'
import { generateApiToken, hashApiToken, parseApiToken, verifyApiTokenHash } from '../crypto/api-token.ts'
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

/** A token record as authentication needs it. */
export interface TokenRecord {
  id: string
  workspaceId: string
  workspaceName: string
  tokenHash: string
  expiresAt: Date | null
  revokedAt: Date | null
}

/**
 * The one lookup statement: by the SHA-256 of the whole token (unique index), never by its prefix, so that every
 * well-formed token costs the same work — one hash, one index probe, one constant-time comparison — whether or
 * not some stored token shares its prefix.
 */
export const TOKEN_LOOKUP_SQL = `select t.id::text as id, t.workspace_id::text as workspace_id, w.name as workspace_name,
    t.token_hash, t.expires_at, t.revoked_at
  from api_token t join workspace w on w.id = t.workspace_id
  where t.token_hash = $1`

/** Parses the Authorization header: the token, or why there is none. */
export function bearerToken(
  authorization: string | null,
): { ok: true; token: string } | { ok: false; reason: AuthFailure } {
  if (!authorization) return { ok: false, reason: 'TOKEN_MISSING' }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  const token = match?.[1]
  if (!token || !parseApiToken(token)) return { ok: false, reason: 'TOKEN_MALFORMED' }
  return { ok: true, token }
}

/** Reads the record whose hash is `hash`, or null. Runs before any tenant is known, hence without the filter. */
export async function findTokenByHash(
  db: { prepared<T>(sql: string, params: readonly unknown[]): Promise<T[]> },
  hash: string,
): Promise<TokenRecord | null> {
  const rows = await db.prepared<{
    id: string
    workspace_id: string
    workspace_name: string
    token_hash: string
    expires_at: Date | string | null
    revoked_at: Date | string | null
  }>(TOKEN_LOOKUP_SQL, [hash])
  const row = rows[0]
  if (!row) return null
  const date = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v : new Date(v))
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    tokenHash: row.token_hash,
    expiresAt: date(row.expires_at),
    revokedAt: date(row.revoked_at),
  }
}

/**
 * The verdict on a presented token and the record found for its hash (null when none). The comparison runs in
 * constant time against the stored hash, or against a fixed one when nothing was found, so both paths do the same.
 */
export function judgeToken(token: string, record: TokenRecord | null, now: Date): AuthResult {
  const matches = verifyApiTokenHash(token, record?.tokenHash ?? NO_TOKEN_HASH)
  if (!record || !matches) return { ok: false, reason: 'TOKEN_INVALID' }
  if (record.revokedAt) return { ok: false, reason: 'TOKEN_REVOKED' }
  if (record.expiresAt && record.expiresAt <= now) return { ok: false, reason: 'TOKEN_EXPIRED' }
  return {
    ok: true,
    principal: { workspaceId: record.workspaceId, workspaceName: record.workspaceName, tokenId: record.id },
  }
}

/** Compared against when no record matched, so that a miss does the comparison a hit does. */
const NO_TOKEN_HASH = '0'.repeat(64)

/**
 * Resolves a bearer token to its workspace, without any cache (the request path caches in request-auth.ts).
 * Last use is recorded by the caller, in the background.
 */
export async function authenticate(
  db: { prepared<T>(sql: string, params: readonly unknown[]): Promise<T[]> },
  authorization: string | null,
  now = new Date(),
): Promise<AuthResult> {
  const bearer = bearerToken(authorization)
  if (!bearer.ok) return bearer
  return judgeToken(bearer.token, await findTokenByHash(db, hashApiToken(bearer.token)), now)
}
