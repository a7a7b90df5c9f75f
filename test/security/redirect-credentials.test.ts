import { readdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient, RedirectRefusedError } from '../../src/http/http-client.ts'
import { createRateLimiterRegistry } from '../../src/http/rate-limiter.ts'
import { createSecretRedactor } from '../../src/http/redact.ts'
import { createSsrfGuard } from '../../src/http/ssrf-guard.ts'
import type { LoadedPlatform } from '../../src/platform/platform-registry.ts'
import { PlatformRunner } from '../../src/platform/platform-runner.ts'
import { BUNDLED_PLUGIN_DIR, loadPlugin } from '../../src/platform/plugin-loader.ts'
import { captureLogs } from '../support/log-capture.ts'
import { secretForms } from '../support/log-sink.ts'
import { suiteClock } from '../support/test-clock.ts'

/*
 * A redirect to another origin must carry no credential of any kind: not the Authorization header, not a plugin's
 * own key header, not a cookie, not a body holding a client secret or a password. Every secret connection value of
 * every bundled plugin's simulator account is sent the ways plugins send credentials, redirected with each status
 * to the same host and to another one (127.0.0.2, a host of its own), and what the other host received is searched
 * for every spelling of every secret.
 */

interface Received {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

interface Listener {
  origin: string
  received: Received[]
  close(): Promise<void>
}

async function listen(
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Listener> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      handler(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://${host}:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** How many of `secrets` (in any spelling) one request carried, anywhere: URL, headers or body. */
function deliveries(request: Received, secrets: readonly string[]): number {
  const text = `${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`
  return secrets.filter((secret) => secretForms(secret).some((form) => text.includes(form))).length
}

const STATUSES = [301, 302, 303, 307, 308] as const
const folders = readdirSync(BUNDLED_PLUGIN_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_'))
  .map((e) => join(BUNDLED_PLUGIN_DIR, e.name))

const guard = createSsrfGuard({ allow: ['127.0.0.1', '127.0.0.2'] })
let origin: Listener
let other: Listener

beforeAll(async () => {
  other = await listen('127.0.0.2', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' })
    res.end('other host')
  })
  // `/redirect/<status>/<same|other>` redirects once; anything else is the same host's final answer.
  origin = await listen('127.0.0.1', (req, res) => {
    const match = /^\/redirect\/(\d{3})\/(same|other)$/.exec(req.url ?? '')
    if (!match) {
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' })
      res.end('same host')
      return
    }
    const location = match[2] === 'same' ? '/final' : `${other.origin}/final`
    res.writeHead(Number(match[1]), { location, connection: 'close' })
    res.end()
  })
})

afterAll(async () => {
  await origin?.close()
  await other?.close()
  await guard.close()
})

describe('redirects and credentials: every plugin secret × status × same or other host', () => {
  it('given each bundled plugin simulator account secret sent in headers, a cookie and a form body, when redirected with 301/302/303/307/308, then the other host receives none of them and same-host redirects keep them', async () => {
    let cases = 0
    let otherHostDeliveries = 0
    let sameHostSuccesses = 0
    let refused = 0
    const problems: string[] = []
    for (const folder of folders) {
      const platform: LoadedPlatform = await loadPlugin(folder)
      const sim = await platform.definition.simulator.create({ accounts: 1, seed: 'redirect-corpus' })
      try {
        const connection = sim.accounts[0]?.connection ?? {}
        const secrets = platform.secretFields
          .map((name) => connection[name])
          .filter((v): v is string => typeof v === 'string' && v.length > 0)
        expect(secrets.length, `${platform.definition.id} has secret fields`).toBeGreaterThan(0)
        const client = createHttpClient({
          guard,
          retry: { attempts: 1 },
          secrets: createSecretRedactor(secrets),
        })
        for (const secret of secrets) {
          for (const status of STATUSES) {
            for (const target of ['same', 'other'] as const) {
              for (const shape of ['headers', 'form body'] as const) {
                cases++
                const before = other.received.length
                const headers: Record<string, string> = {
                  authorization: `Bearer ${secret}`,
                  'x-api-key': secret,
                  [`x-${platform.definition.id}-token`]: secret,
                  cookie: `session=${encodeURIComponent(secret)}`,
                  accept: 'application/json',
                }
                const request =
                  shape === 'headers'
                    ? client.request({ url: `${origin.origin}/redirect/${status}/${target}`, headers })
                    : client.request({
                        url: `${origin.origin}/redirect/${status}/${target}`,
                        headers,
                        body: new URLSearchParams({
                          client_id: 'corpus',
                          client_secret: secret,
                          password: secret,
                        }),
                      })
                const outcome = await request.then(
                  (response) => ({ response, error: undefined }),
                  (error: unknown) => ({ response: undefined, error }),
                )
                const arrived = other.received.slice(before)
                for (const hop of arrived) otherHostDeliveries += deliveries(hop, secrets)
                const label = `${platform.definition.id} ${status} ${target} ${shape}`
                const problem = (what: string) => problems.push(`${label}: ${what}`)
                if (target === 'same') {
                  const final = origin.received.at(-1)
                  if (outcome.response?.text !== 'same host')
                    problem(`not followed (${String(outcome.error)})`)
                  else if (!final || deliveries(final, [secret]) !== 1)
                    problem('the credential did not follow')
                  else sameHostSuccesses++
                } else if (shape === 'form body' && (status === 307 || status === 308)) {
                  if (!(outcome.error instanceof RedirectRefusedError)) problem('not refused')
                  else if (!outcome.error.message.includes('127.0.0.2')) problem('the error names no host')
                  else refused++
                } else if (outcome.response?.text !== 'other host') {
                  problem(`not followed (${String(outcome.error)})`)
                } else if (arrived.map((r) => `${r.method} ${r.body}`).join() !== 'GET ') {
                  problem('not one GET without a body')
                } else if (arrived[0]?.headers.accept !== 'application/json') {
                  problem('a harmless header was dropped')
                }
              }
            }
          }
        }
      } finally {
        await sim.close()
      }
    }
    console.log(
      `redirect credential corpus: ${folders.length} plugins, ${cases} cases, ${otherHostDeliveries} credentials delivered to the other host, ${sameHostSuccesses} same-host redirects succeeded with their credentials, ${refused} body-resending redirects to another host refused`,
    )
    expect(otherHostDeliveries).toBe(0)
    expect(problems).toEqual([])
    expect(cases).toBeGreaterThan(0)
  })
})

describe('redirects and credentials: end to end through real plugins', () => {
  const runner = new PlatformRunner({
    guard,
    rateLimiters: createRateLimiterRegistry(),
    logger: captureLogs().logger,
    http: { totalTimeoutMs: 10_000, attempts: 1 },
    now: () => suiteClock.now(),
  })

  /** A program host that redirects every request, with `status`, to the same path on the other host. */
  async function redirecting(status: number): Promise<Listener> {
    return listen('127.0.0.1', (req, res) => {
      res.writeHead(status, { location: `${other.origin}${req.url ?? '/'}`, connection: 'close' })
      res.end()
    })
  }

  for (const id of ['cellxpert', 'myaffiliates', 'netrefer']) {
    for (const status of STATUSES) {
      it(`given a ${id} program host answering ${status} to another host, when the connection is tested, then the other host receives no credential`, async () => {
        const platform = await loadPlugin(join(BUNDLED_PLUGIN_DIR, id))
        const sim = await platform.definition.simulator.create({ accounts: 1, seed: 'redirect-e2e' })
        const program = await redirecting(status)
        try {
          const input = { ...(sim.accounts[0]?.connection ?? {}) }
          const secrets = platform.secretFields
            .map((name) => input[name])
            .filter((v) => typeof v === 'string')
          for (const [name, value] of Object.entries(input)) {
            if (value.startsWith(sim.baseUrl)) input[name] = program.origin + value.slice(sim.baseUrl.length)
          }
          const connection = platform.definition.connection.schema.parse(input) as Record<string, unknown>
          const before = other.received.length
          await runner.check(platform, connection, { accountKey: `${id}-${status}` }).catch(() => undefined)
          expect(program.received.length, 'the program host was called').toBeGreaterThan(0)
          const delivered = other.received
            .slice(before)
            .reduce((sum, hop) => sum + deliveries(hop, secrets as string[]), 0)
          expect(delivered).toBe(0)
        } finally {
          await program.close()
          await sim.close()
        }
      })
    }
  }
})
