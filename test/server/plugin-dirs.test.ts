import { existsSync } from 'node:fs'
import { cp, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import acmePartners from '../fixtures/plugins/valid/acme-partners/index.ts'
import { atFields } from '../graphql/graphql-helpers.ts'
import {
  bundledPluginIds,
  FIXTURE_PLUGINS,
  killAllProcesses,
  lastLine,
  makeTempDir,
  REPO_ROOT,
  type RunningServer,
  runToCompletion,
  spawnAffgraph,
  startServer,
  waitForExit,
} from './support/affgraph-process.ts'

/** Each malformed plugin sits alone in its own parent directory, so one run shows exactly one problem. */
const MALFORMED: { dir: string; folder: string; problem: RegExp }[] = [
  {
    dir: 'no-default-export',
    folder: 'acme-named-only',
    problem: /has no default export \(expected `export default definePlatform\(\{\.\.\.\}\)`\)/,
  },
  {
    dir: 'id-mismatch',
    folder: 'acme-copy',
    problem: /manifest id "acme-partners" must equal the folder name "acme-copy"/,
  },
  { dir: 'missing-check', folder: 'acme-no-check', problem: /invalid manifest: check must be a function/ },
  {
    dir: 'field-mismatch',
    folder: 'acme-fields',
    problem: /connection fields \(baseUrl, apiKey\) do not match the zod schema \(baseUrl, token\)/,
  },
  {
    dir: 'import-throws',
    folder: 'acme-broken',
    problem: /failed to import: acme-broken cannot start: the reporting client is not configured/,
  },
  {
    dir: 'duplicate-id',
    folder: 'softswiss',
    problem: new RegExp(
      `duplicate plugin id "softswiss" \\(also in ${join(REPO_ROOT, 'plugins', 'softswiss')}\\)`,
    ),
  },
]

type InputField = {
  name: string
  type: { kind: string; name: string | null; ofType: { name: string | null } | null }
}
type IntrospectedInput = { name: string; kind: string; isOneOf: boolean; inputFields: InputField[] } | null

describe('plugins loaded from AFFGRAPH_PLUGIN_DIRS', () => {
  let dataDir: { path: string; remove: () => Promise<void> }
  /** tsx would also resolve `affgraph/sdk` through tsconfig `paths`; this config switches that off. */
  let tsconfigWithoutPaths = ''

  beforeAll(async () => {
    dataDir = await makeTempDir('plugin-dirs')
    tsconfigWithoutPaths = join(dataDir.path, 'tsconfig.no-paths.json')
    await writeFile(
      tsconfigWithoutPaths,
      JSON.stringify({ extends: join(REPO_ROOT, 'tsconfig.json'), compilerOptions: { paths: {} } }),
    )
  })
  afterAll(async () => {
    await killAllProcesses()
    await dataDir?.remove()
  })

  describe('refusing to start', () => {
    afterEach(killAllProcesses)

    for (const { dir, folder, problem } of MALFORMED) {
      it(`given ${dir}/${folder}, when the server starts, then it exits 1 naming that folder and the problem`, async () => {
        const proc = spawnAffgraph('src/main.ts', [], {
          AFFGRAPH_DATA_DIR: join(dataDir.path, `failed-${dir}`),
          AFFGRAPH_PLUGIN_DIRS: join(FIXTURE_PLUGINS, dir),
        })
        const { code } = await waitForExit(proc)
        expect(code, proc.stderr()).toBe(1)
        const message = proc.stderr().trim()
        expect(message).toContain(`affgraph: plugin folder ${join(FIXTURE_PLUGINS, dir, folder)}: `)
        expect(message).toMatch(problem)
        expect(message, 'a known start-up problem is reported without a stack trace').not.toMatch(/\n\s+at /)
        expect(proc.stdout()).not.toContain('affgraph is listening')
        expect(existsSync(join(dataDir.path, `failed-${dir}`, 'pglite')), 'no database was opened').toBe(
          false,
        )
      }, 120_000)
    }

    it('given a plugin directory that does not exist, when the server starts, then it exits 1 naming the directory', async () => {
      const missing = join(dataDir.path, 'no-such-plugins')
      const proc = spawnAffgraph('src/main.ts', [], {
        AFFGRAPH_DATA_DIR: dataDir.path,
        AFFGRAPH_PLUGIN_DIRS: missing,
      })
      const { code } = await waitForExit(proc)
      expect(code).toBe(1)
      expect(proc.stderr().trim()).toBe(`affgraph: plugin folder ${missing}: directory does not exist`)
    }, 120_000)
  })

  describe('given the valid external plugin acme-partners', () => {
    let server: RunningServer
    let sim: PlatformSimulator
    let token = ''

    /**
     * A third party's plugin lives outside affgraph's package, where the package's own `exports` (which let files
     * inside it import `affgraph/sdk` by name) do not reach: the folder and the probe are copied out of the repo.
     */
    let outside = ''
    beforeAll(async () => {
      outside = join(dataDir.path, 'third-party')
      await cp(join(FIXTURE_PLUGINS, 'valid'), join(outside, 'plugins'), { recursive: true })
      await cp(
        join(REPO_ROOT, 'test/server/support/import-sdk-by-name.ts'),
        join(outside, 'import-sdk-by-name.mts'),
      )
      const validDataDir = join(dataDir.path, 'valid')
      const cli = await runToCompletion('src/cli/token.cli.ts', ['create', '--workspace', 'Plugins'], {
        AFFGRAPH_DATA_DIR: validDataDir,
      })
      if (cli.code !== 0) throw new Error(`token CLI failed: ${cli.stderr}`)
      token = lastLine(cli.stdout)
      sim = await acmePartners.simulator.create({ seed: 'plugin-dirs', accounts: 1 })
      server = await startServer({
        dataDir: validDataDir,
        env: {
          AFFGRAPH_PLUGIN_DIRS: join(outside, 'plugins'),
          AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
          TSX_TSCONFIG_PATH: tsconfigWithoutPaths,
        },
      })
    }, 240_000)
    afterAll(async () => {
      await server?.stop()
      await sim?.close()
    })

    it('when tsconfig paths are switched off as for this server, then affgraph/sdk does not resolve outside the plugin loader, so the server resolved it through the loader hook alone', async () => {
      const run = await runToCompletion(join(outside, 'import-sdk-by-name.mts'), [], {
        TSX_TSCONFIG_PATH: tsconfigWithoutPaths,
      })
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/Cannot find package 'affgraph'/)
    }, 120_000)

    it('when the server starts, then it lists acme-partners beside the bundled plugins with its connection fields', async () => {
      expect(server.logs().find((l) => l.msg === 'affgraph is listening')?.platforms).toContain(
        'acme-partners',
      )
      const result = await server.gql<{
        platforms: {
          id: string
          name: string
          connectionInputType: string
          connectionInputField: string
          capabilities: { perProgramHost: boolean; breakdowns: string[] }
          connectionFields: {
            name: string
            label: string
            secret: boolean
            required: boolean
            inputType: string
          }[]
        }[]
      }>(`{
        platforms {
          id name connectionInputType connectionInputField
          capabilities { perProgramHost breakdowns }
          connectionFields { name label secret required inputType }
        }
      }`)
      expect(result.errors).toBeUndefined()
      const ids = result.data?.platforms.map((p) => p.id) ?? []
      expect(ids.sort()).toEqual([...(await bundledPluginIds()), 'acme-partners'].sort())
      expect(result.data?.platforms.find((p) => p.id === 'acme-partners')).toEqual({
        id: 'acme-partners',
        name: 'Acme Partners',
        connectionInputType: 'AcmePartnersConnectionInput',
        connectionInputField: 'acmePartners',
        capabilities: { perProgramHost: true, breakdowns: ['BRAND'] },
        connectionFields: [
          { name: 'baseUrl', label: 'Partner portal URL', secret: false, required: true, inputType: 'URL' },
          { name: 'apiKey', label: 'API key', secret: true, required: true, inputType: 'SECRET' },
        ],
      })
    })

    it('when the schema is introspected, then AcmePartnersConnectionInput has baseUrl: URL! and apiKey: Secret!, selectable from ConnectionInput.acmePartners', async () => {
      const fragment = 'name kind isOneOf inputFields { name type { kind name ofType { name } } }'
      const result = await server.gql<{ acme: IntrospectedInput; choice: IntrospectedInput }>(
        `{
        acme: __type(name: "AcmePartnersConnectionInput") { ${fragment} }
        choice: __type(name: "ConnectionInput") { ${fragment} }
      }`,
        {},
        token,
      )
      expect(result.errors).toBeUndefined()
      const acme = result.data?.acme
      expect(acme?.kind).toBe('INPUT_OBJECT')
      const typeOf = (fields: InputField[] | undefined, name: string) => {
        const f = fields?.find((x) => x.name === name)
        return f ? (f.type.kind === 'NON_NULL' ? `${f.type.ofType?.name}!` : `${f.type.name}`) : undefined
      }
      expect(acme?.inputFields.map((f) => f.name).sort()).toEqual(['apiKey', 'baseUrl'])
      expect(typeOf(acme?.inputFields, 'baseUrl')).toBe('URL!')
      expect(typeOf(acme?.inputFields, 'apiKey')).toBe('Secret!')
      expect(result.data?.choice?.isOneOf).toBe(true)
      expect(typeOf(result.data?.choice?.inputFields, 'acmePartners')).toBe('AcmePartnersConnectionInput')
      expect(typeOf(result.data?.choice?.inputFields, 'softSwiss')).toBe('SoftSwissConnectionInput')
    })

    it('when an account is connected through ConnectionInput.acmePartners, then the plugin checks it against its platform and the account is OK', async () => {
      const refused = await server.gql<{
        testConnection: { __typename: string; code?: string; fields?: string[] }
      }>(
        `mutation ($c: ConnectionInput!) {
          testConnection(input: $c) { __typename ... on UserError { code } ... on PlatformAuthError { fields { path field message } } }
        }`,
        { c: { acmePartners: sim.invalidConnection() } },
        token,
      )
      expect(refused.errors).toBeUndefined()
      expect(refused.data?.testConnection).toMatchObject({
        __typename: 'PlatformAuthError',
        fields: atFields('apiKey'),
      })

      const connection = sim.accounts[0]?.connection ?? {}
      const connected = await server.gql<{
        connectAccount: {
          __typename: string
          account?: { platformId: string; status: string; externalAccountName: string }
        }
      }>(
        `mutation ($c: ConnectionInput!) {
          connectAccount(input: { connection: $c, label: "Acme" }) {
            __typename ... on ConnectAccountSuccess { account { platformId status externalAccountName } }
          }
        }`,
        { c: { acmePartners: connection } },
        token,
      )
      expect(connected.errors).toBeUndefined()
      expect(connected.data?.connectAccount).toEqual({
        __typename: 'ConnectAccountSuccess',
        account: {
          platformId: 'acme-partners',
          status: 'OK',
          externalAccountName: `A-${sim.accounts[0]?.key}`,
        },
      })
      expect(sim.log.filter((r) => r.path === '/api/v2/account')).toHaveLength(2)
      const apiKey = connection.apiKey ?? ''
      expect(server.proc.stdout() + server.proc.stderr(), 'the API key is never logged').not.toContain(apiKey)
    })
  })
})
