import { Account } from '../account/account.entity.ts'
import { connectAccount, updateAccountConnection } from '../account/account.service.ts'
import type { AppServices } from '../app-services.ts'
import { startEcbSimulator } from '../fx/ecb-simulator.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugins } from '../platform/plugin-loader.ts'
import type { PlatformSimulator } from '../sdk/index.ts'
import { ensureWorkspace, issueApiToken } from '../workspace/workspace.service.ts'

export interface DemoHandle {
  /** Outbound allowlist entries the demo needs: its simulators listen on loopback. */
  allow: string[]
  /** The local ECB simulator: the demo's reference rates, labelled as simulated. */
  fxUrl: string
  seed(services: AppServices, graphqlUrl: string): Promise<{ token: string }>
  close(): Promise<void>
}

export const DEMO_WORKSPACE = 'demo'
/**
 * Fixed ports keep a restarted demo's stored account URLs valid; a simulator whose port is taken takes any free
 * one, and the demo re-keys its stored account to the new URL.
 */
const DEMO_PORT_BASE = 4100

async function simulators(portBase = DEMO_PORT_BASE): Promise<DemoHandle> {
  const registry = await loadPlugins([BUNDLED_PLUGIN_DIR])
  const running = new Map<string, PlatformSimulator>()
  let index = 0
  for (const platform of registry.all()) {
    index += 1
    const options = { seed: 'affgraph-demo', accounts: 2 }
    const sim: PlatformSimulator = await platform.definition.simulator.create({
      ...options,
      port: portBase + index,
    })
    running.set(platform.definition.id, sim)
  }
  const ecb = await startEcbSimulator({ seed: 'affgraph-demo' })
  return {
    allow: ['127.0.0.1', 'localhost'],
    fxUrl: ecb.url,
    async seed(services, graphqlUrl) {
      const em = services.db.fork()
      const { workspace } = await ensureWorkspace(em, DEMO_WORKSPACE)
      em.setFilterParams('workspace', { id: workspace.id })
      const principal = { workspaceId: workspace.id, workspaceName: workspace.name, tokenId: '' }
      for (const [platformId, sim] of running) {
        const platform = services.registry.get(platformId)
        const account = sim.accounts[0]
        if (!platform || !account) continue
        const connection = platform.definition.connection.schema.parse(account.connection) as Record<
          string,
          unknown
        >
        const existing = await em.findOne(Account, { platformId })
        const outcome = existing
          ? await updateAccountConnection(services, em, existing.id, platform, connection)
          : await connectAccount(services, em, principal, platform, connection, {
              label: `${platform.definition.name} demo program`,
              tags: ['demo'],
            })
        if (!outcome.ok)
          services.logger.warn(
            { platform: platformId, code: outcome.error.code },
            'demo account not connected',
          )
      }
      const { token } = await issueApiToken(em, workspace, 'demo')
      const lines = [
        '',
        'affgraph demo is ready.',
        `  GraphQL (GraphiQL in a browser): ${graphqlUrl}`,
        `  Workspace: ${DEMO_WORKSPACE}, with one account per bundled platform, served by local simulators.`,
        '  Send this API token as "Authorization: Bearer <token>":',
        '',
        token,
        '',
      ]
      process.stdout.write(`${lines.join('\n')}\n`)
      return { token }
    },
    async close() {
      await Promise.all([...running.values()].map((s) => s.close()))
      await ecb.close()
    },
  }
}

export const startDemo = { simulators }
