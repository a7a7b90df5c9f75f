import { connectAccount } from '../../src/account/account.service.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { globalId } from '../support/global-ids.ts'
import type { TestApp } from '../support/test-app.ts'

/** Connects one simulator account through the service a user's connect goes through; the deal suites share it. */
export async function connectSimulatorAccount(
  t: TestApp,
  workspaceId: string,
  platformId: string,
  sim: PlatformSimulator,
  label: string,
  index = 0,
) {
  const platform = t.registry.get(platformId)
  if (!platform) throw new Error(`plugin ${platformId} is not loaded`)
  const connection = platform.definition.connection.schema.parse(sim.accounts[index]!.connection) as Record<
    string,
    unknown
  >
  const em = t.db.fork()
  em.setFilterParams('workspace', { id: workspaceId })
  const outcome = await connectAccount(
    t.services,
    em,
    { workspaceId, workspaceName: label, tokenId: '' },
    platform,
    connection,
    { label },
  )
  if (!outcome.ok) throw new Error(outcome.error.message)
  return { platform, connection, accountId: outcome.account.id, id: globalId('Account', outcome.account.id) }
}
