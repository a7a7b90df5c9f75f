/**
 * Benchmark: what the API rate limiter adds to a request. The same app serves, through `app.fetch`, an
 * authenticated query (the limiter only reads the address's failed-authentication row) and a limited mutation
 * (one transaction charging the token's and the address's counters), once with every limit on and once with every
 * limit off. Printed: mean milliseconds per request and the difference.
 *
 *   npm run bench -- rate-limit      (DATABASE_URL selects PostgreSQL; default: embedded PGlite in memory)
 */
import { createApp } from '../src/app.ts'
import { createAppServices } from '../src/bootstrap.ts'
import { loadConfig } from '../src/config.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../src/crypto/master-key.ts'
import { openDatabase } from '../src/db/database.ts'
import { createLogger } from '../src/logger.ts'
import { toGlobalId } from '../src/schema/global-ids.ts'
import { ensureWorkspace, issueApiToken } from '../src/workspace/workspace.service.ts'

const REQUESTS = 400
const QUERY = '{ viewer { workspace { name } } }'
const MUTATION = `mutation { syncAccount(input: { accountId: "${toGlobalId('Account', '00000000-0000-4000-8000-000000000000')}" }) { __typename } }`
const OFF = Object.fromEntries(
  ['CREDENTIAL_TEST', 'CONNECT', 'TOKEN_CREATE', 'SYNC_TRIGGER'].flatMap((c) => [
    [`AFFGRAPH_RATE_LIMIT_${c}`, 'off'],
    [`AFFGRAPH_RATE_LIMIT_${c}_PER_IP`, 'off'],
  ]),
)

export async function main(): Promise<void> {
  const base = {
    ...process.env,
    AFFGRAPH_SYNC: 'off',
    AFFGRAPH_FX_FETCH: 'false',
    AFFGRAPH_LOG_LEVEL: 'warn',
  }
  const db = await openDatabase({ url: loadConfig(base).databaseUrl, pgliteDir: 'memory://' })
  const em = db.fork()
  const { workspace } = await ensureWorkspace(em, 'bench')
  const { token } = await issueApiToken(em, workspace, 'bench')
  const variants = {
    off: loadConfig({ ...base, ...OFF, AFFGRAPH_RATE_LIMIT_AUTH_FAILURE_PER_IP: 'off' }),
    on: loadConfig({
      ...base,
      AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER: '1000000/1h',
      AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER_PER_IP: '1000000/1h',
    }),
  }
  const ms: Record<string, number> = {}
  for (const [name, config] of Object.entries(variants)) {
    const services = await createAppServices(config, {
      db,
      logger: createLogger({ level: 'warn' }),
      keyRing: parseMasterKeys(generateMasterKeyEntry('bench')),
    })
    const app = createApp(services)
    for (const [kind, query] of [
      ['query', QUERY],
      ['mutation', MUTATION],
    ] as const) {
      const send = async () => {
        const response = await app.fetch('http://affgraph.bench/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        })
        if (response.status !== 200) throw new Error(`${name} ${kind}: HTTP ${response.status}`)
        await response.text()
      }
      for (let i = 0; i < 50; i++) await send()
      const started = performance.now()
      for (let i = 0; i < REQUESTS; i++) await send()
      ms[`${kind} ${name}`] = (performance.now() - started) / REQUESTS
    }
  }
  await db.close()
  for (const kind of ['query', 'mutation']) {
    const on = ms[`${kind} on`] ?? 0
    const off = ms[`${kind} off`] ?? 0
    console.log(
      `${kind.padEnd(8)}  limits off ${off.toFixed(2)} ms  on ${on.toFixed(2)} ms  added ${(on - off).toFixed(2)} ms per request (${REQUESTS} sequential, ${db.kind})`,
    )
  }
}
