import { parseArgs } from 'node:util'
import type { AppServices } from '../app-services.ts'
import { ApiToken, Workspace } from '../workspace/workspace.entity.ts'
import { ensureWorkspace, issueApiToken, validateWorkspaceName } from '../workspace/workspace.service.ts'

export const TOKEN_USAGE = `usage:
  npm run token -- create --workspace <name> [--name <token name>]   prints the new token alone on its last line
  npm run token -- list --workspace <name>
  npm run token -- revoke --workspace <name> --prefix <prefix>`

export interface CommandOutput {
  out(text: string): void
  err(text: string): void
}

/** Checks a token command's arguments without a database; null when they are well-formed. */
export function tokenUsageError(argv: string[]): string | null {
  try {
    const { values, positionals } = parseTokenArgs(argv)
    const command = positionals[0]
    if (
      !command ||
      !values.workspace ||
      !['create', 'list', 'revoke'].includes(command) ||
      positionals.length > 1
    )
      return TOKEN_USAGE
    return null
  } catch {
    return TOKEN_USAGE
  }
}

function parseTokenArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { workspace: { type: 'string' }, name: { type: 'string' }, prefix: { type: 'string' } },
  })
}

/**
 * `npm run token`: the same code runs in the command's own process (PostgreSQL, or a stopped embedded server) and
 * inside a running server that owns the embedded database, reached through its admin socket.
 */
export async function runTokenCommand(
  services: AppServices,
  argv: string[],
  io: CommandOutput,
): Promise<number> {
  const usage = tokenUsageError(argv)
  if (usage) {
    io.err(`${usage}\n`)
    return 2
  }
  const { values, positionals } = parseTokenArgs(argv)
  const command = positionals[0]
  const em = services.db.fork()
  let workspace: Workspace | null
  let created = false
  if (command === 'create') {
    ;({ workspace, created } = await ensureWorkspace(em, values.workspace!))
  } else {
    // Listing or revoking never creates a workspace: a typo is an error, not a new tenant.
    workspace = await em.findOne(Workspace, { name: validateWorkspaceName(values.workspace!) })
    if (!workspace) {
      io.err(`no workspace named "${values.workspace}"\n`)
      return 1
    }
  }
  em.setFilterParams('workspace', { id: workspace.id })
  if (command === 'create') {
    const { token, record } = await issueApiToken(em, workspace, values.name ?? 'cli')
    io.out(
      `${created ? `Created workspace "${workspace.name}".\n` : ''}API token "${record.name}" for workspace "${workspace.name}" (shown once; affgraph keeps only its hash):\n${token}\n`,
    )
  } else if (command === 'list') {
    for (const t of await em.find(ApiToken, {}, { orderBy: { createdAt: 'asc' } })) {
      io.out(
        `${t.prefix}\t${t.name}\tcreated ${t.createdAt.toISOString()}\t${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active'}\n`,
      )
    }
  } else {
    const token = values.prefix ? await em.findOne(ApiToken, { prefix: values.prefix }) : null
    if (!token) {
      io.err('no such token in this workspace\n')
      return 1
    }
    token.revokedAt ??= services.clock.now()
    await em.flush()
    io.out(`revoked ${token.prefix}\n`)
  }
  return 0
}
