import { connect, createServer, type Server } from 'node:net'
import { networkInterfaces } from 'node:os'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  API_TOKEN_PATTERN,
  bundledPluginIds,
  killAllProcesses,
  makeTempDir,
  startServer,
} from './support/affgraph-process.ts'

/** Whether a TCP connection to host:port is accepted (true) or refused (false); bounded. */
function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(3000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Addresses of this machine other than loopback: a loopback-only listener is not reachable on them. */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !(a.family === 'IPv6' && a.address.startsWith('fe80')))
    .map((a) => a.address)
}

describe('demo mode', () => {
  afterEach(killAllProcesses)
  afterAll(killAllProcesses)

  it('given --demo, when the server starts, then it prints a token alone on a line and the demo workspace has one OK account per bundled platform, served on loopback only', async () => {
    const dataDir = await makeTempDir('demo')
    try {
      const server = await startServer({
        dataDir: dataDir.path,
        args: ['--demo'],
        readyPattern: /^agk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/m,
      })
      const tokenLines = server.proc
        .stdout()
        .split('\n')
        .filter((line) => API_TOKEN_PATTERN.test(line))
      expect(tokenLines).toHaveLength(1)
      const token = tokenLines[0] ?? ''

      const result = await server.gql<{
        viewer: { workspace: { name: string } }
        accounts: {
          totalCount: number
          nodes: { platformId: string; status: string; baseUrl: string | null }[]
        }
      }>(
        '{ viewer { workspace { name } } accounts { totalCount nodes { platformId status baseUrl } } }',
        {},
        token,
      )
      expect(result.errors).toBeUndefined()
      expect(result.data?.viewer.workspace.name).toBe('demo')
      const accounts = result.data?.accounts.nodes ?? []
      expect(accounts.map((a) => a.platformId).sort()).toEqual(await bundledPluginIds())
      expect(result.data?.accounts.totalCount).toBe(accounts.length)
      for (const account of accounts) expect(account.status, account.platformId).toBe('OK')

      const simulatorPorts = new Set<number>()
      for (const account of accounts) {
        if (!account.baseUrl) continue
        const url = new URL(account.baseUrl)
        expect(['127.0.0.1', 'localhost', '[::1]'], account.platformId).toContain(url.hostname)
        simulatorPorts.add(Number(url.port))
      }
      expect(simulatorPorts.size, 'per-program platforms point at their simulators').toBeGreaterThan(0)
      const outside = externalAddresses()
      for (const port of simulatorPorts) {
        expect(await canConnect('127.0.0.1', port), `simulator on ${port} answers on loopback`).toBe(true)
        for (const address of outside) {
          expect(await canConnect(address, port), `simulator on ${port} is not reachable at ${address}`).toBe(
            false,
          )
        }
      }
      expect((await server.stop()).code).toBe(0)
    } finally {
      await killAllProcesses()
      await dataDir.remove()
    }
  }, 180_000)

  it('given the ports the demo prefers are taken, when --demo starts, then each simulator takes a free port instead and every demo account is OK', async () => {
    // Two listeners of our own on ports the system chose; the demo is told to prefer exactly those.
    const blockers: Server[] = []
    for (let i = 0; i < 2; i++) {
      const blocker = createServer()
      await new Promise<void>((resolve, reject) => {
        blocker.once('error', reject)
        blocker.listen(0, '127.0.0.1', resolve)
      })
      blockers.push(blocker)
    }
    const taken = blockers.map((b) => (b.address() as { port: number }).port)
    const dataDir = await makeTempDir('demo-busy')
    try {
      const server = await startServer({
        dataDir: dataDir.path,
        args: ['--demo'],
        // The first bundled simulator prefers base + 1.
        env: { AFFGRAPH_DEMO_PORT_BASE: String(taken[0]! - 1) },
        readyPattern: /^agk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/m,
      })
      const token =
        server.proc
          .stdout()
          .split('\n')
          .find((line) => API_TOKEN_PATTERN.test(line)) ?? ''
      const result = await server.gql<{
        accounts: { nodes: { platformId: string; status: string; baseUrl: string | null }[] }
      }>('{ accounts { nodes { platformId status baseUrl } } }', {}, token)
      const accounts = result.data?.accounts.nodes ?? []
      expect(accounts.map((a) => a.platformId).sort()).toEqual(await bundledPluginIds())
      for (const account of accounts) {
        expect(account.status, account.platformId).toBe('OK')
        if (account.baseUrl)
          expect(taken, account.platformId).not.toContain(Number(new URL(account.baseUrl).port))
      }
      expect((await server.stop()).code).toBe(0)
    } finally {
      for (const b of blockers) b.close()
      await killAllProcesses()
      await dataDir.remove()
    }
  }, 180_000)
})
