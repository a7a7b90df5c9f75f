import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient } from '../../src/http/http-client.ts'
import {
  createSsrfGuard,
  nonPublicRange,
  OutboundBlockedError,
  type SsrfGuard,
} from '../../src/http/ssrf-guard.ts'

interface TestServer {
  url: string
  port: number
  hits: number
  lastHeaders: IncomingMessage['headers'] | undefined
  close(): Promise<void>
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const state: TestServer = {
    url: '',
    port: 0,
    hits: 0,
    lastHeaders: undefined,
    close: async () => {},
  }
  const server = createServer((req, res) => {
    state.hits++
    state.lastHeaders = req.headers
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.port = (server.address() as AddressInfo).port
  state.url = `http://127.0.0.1:${state.port}`
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return state
}

const ok = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('ok')
}

async function blockedError(guard: SsrfGuard, url: string): Promise<OutboundBlockedError> {
  const client = createHttpClient({ guard, retry: { attempts: 1 } })
  const error = await client.request({ url }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(OutboundBlockedError)
  return error as OutboundBlockedError
}

describe('SSRF guard', () => {
  let target: TestServer
  let other: TestServer
  const guards: SsrfGuard[] = []
  const guard = (allow: string[] = []) => {
    const g = createSsrfGuard({ allow })
    guards.push(g)
    return g
  }

  beforeAll(async () => {
    target = await serve(ok)
    other = await serve(ok)
  })

  afterAll(async () => {
    await Promise.all(guards.map((g) => g.close()))
    await target.close()
    await other.close()
  })

  const literalCorpus = [
    ['http://127.0.0.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://[fd00:ec2::254]/', 'uniqueLocal'],
    ['http://10.0.0.1/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'carrierGradeNat'],
    ['http://[fc00::1]/', 'uniqueLocal'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://[::ffff:127.0.0.1]/', 'ipv4Mapped'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://240.0.0.1/', 'reserved'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://017700000001/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://a@127.0.0.1/', 'loopback'],
  ] as const

  for (const [url, range] of literalCorpus) {
    it(`given no allowlist, when ${url} is requested, then it is refused as ${range} before any connection`, async () => {
      const error = await blockedError(guard(), url)
      expect(error.code).toBe('OUTBOUND_BLOCKED')
      expect(error.message).toContain(range)
      expect(error.message).toContain(new URL(url).hostname)
    })
  }

  it('given decimal, hex and octal IPv4 spellings, when parsed as URLs, then they are already normalised to 127.0.0.1', () => {
    for (const url of [
      'http://2130706433/',
      'http://0x7f000001/',
      'http://017700000001/',
      'http://0177.0.0.1/',
    ]) {
      expect(new URL(url).hostname).toBe('127.0.0.1')
    }
  })

  it('given a listening loopback server, when its IP-literal URL is requested without an allowlist, then nothing reaches it', async () => {
    const before = target.hits
    await blockedError(guard(), `${target.url}/x?token=abc`)
    expect(target.hits).toBe(before)
  })

  for (const url of [
    'file:///etc/passwd',
    'gopher://127.0.0.1:70/_GET',
    'ftp://example.com/file',
    'data:text/plain,hi',
  ]) {
    it(`given the scheme of ${url}, when requested, then it is refused as a scheme other than http(s)`, async () => {
      const error = await blockedError(guard(['127.0.0.1']), url)
      expect(error.message).toMatch(/scheme/)
    })
  }

  it('given a hostname that resolves to loopback (localhost) and no allowlist, when requested, then the resolved address is refused at connection time', async () => {
    const before = target.hits
    const error = await blockedError(guard(), `http://localhost:${target.port}/`)
    expect(error.message).toMatch(/resolves to .*loopback/)
    expect(error.message).toContain('localhost')
    expect(target.hits).toBe(before)
  })

  it('given 127.0.0.1 allowlisted, when localhost is requested, then the resolved loopback address is accepted', async () => {
    const client = createHttpClient({ guard: guard(['127.0.0.1', '::1']), retry: { attempts: 1 } })
    const response = await client.request({ url: `http://localhost:${target.port}/` })
    expect(response.text).toBe('ok')
  })

  it('given 127.0.0.1 allowlisted, when the IP literal is requested, then it is accepted', async () => {
    const client = createHttpClient({ guard: guard(['127.0.0.1']), retry: { attempts: 1 } })
    expect((await client.request({ url: target.url })).status).toBe(200)
  })

  it('given a CIDR allowlist entry, when an address inside it is requested, then it is accepted', async () => {
    const client = createHttpClient({ guard: guard(['127.0.0.0/8']), retry: { attempts: 1 } })
    expect((await client.request({ url: target.url })).status).toBe(200)
  })

  it('given only one loopback port allowlisted, when that server 302-redirects to another loopback port, then the redirect is refused and the second server is never reached', async () => {
    const redirector = await serve((_req, res) => {
      res.writeHead(302, { location: `${other.url}/internal` })
      res.end()
    })
    try {
      const before = other.hits
      const client = createHttpClient({
        guard: guard([`127.0.0.1:${redirector.port}`]),
        retry: { attempts: 1 },
      })
      const error = await client.request({ url: redirector.url }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(OutboundBlockedError)
      expect((error as OutboundBlockedError).host).toBe(`127.0.0.1:${other.port}`)
      expect(redirector.hits).toBe(1)
      expect(other.hits).toBe(before)
    } finally {
      await redirector.close()
    }
  })

  it('given localhost allowlisted but not 127.0.0.1, when a localhost server redirects to 127.0.0.1, then the redirect is refused', async () => {
    const redirector = await serve((_req, res) => {
      res.writeHead(301, { location: `http://127.0.0.1:${other.port}/` })
      res.end()
    })
    try {
      const before = other.hits
      const client = createHttpClient({ guard: guard(['localhost']), retry: { attempts: 1 } })
      await expect(client.request({ url: `http://localhost:${redirector.port}/` })).rejects.toBeInstanceOf(
        OutboundBlockedError,
      )
      expect(other.hits).toBe(before)
    } finally {
      await redirector.close()
    }
  })

  it('given a port-specific allowlist entry, when another port on the same address is requested, then it is refused', async () => {
    await blockedError(guard([`127.0.0.1:${target.port}`]), other.url)
    const client = createHttpClient({ guard: guard([`127.0.0.1:${target.port}`]), retry: { attempts: 1 } })
    expect((await client.request({ url: target.url })).status).toBe(200)
  })

  it('given the guard alone, when public and non-public addresses are classified, then only global unicast passes', () => {
    expect(nonPublicRange('93.184.216.34')).toBeUndefined()
    expect(nonPublicRange('2606:4700:4700::1111')).toBeUndefined()
    expect(nonPublicRange('::2')).toBe('non-global IPv6')
    expect(nonPublicRange('64:ff9b::7f00:1')).toBe('rfc6052')
    expect(nonPublicRange('0.1.2.3')).toBe('unspecified')
    const g = guard()
    expect(() => g.checkUrl(new URL('https://affiliates.acme.example/api?x=1'))).not.toThrow()
    expect(() => g.checkAddress('127.0.0.1', 'rebound.example', 443)).toThrow(OutboundBlockedError)
  })

  it('given credentials in the URL of an allowed host, when requested, then it is refused without echoing them', async () => {
    const error = await blockedError(
      guard(['127.0.0.1']),
      `http://user:hunter2secret@127.0.0.1:${target.port}/?token=zzz`,
    )
    expect(error.message).toMatch(/credentials/)
    expect(error.message).not.toContain('hunter2secret')
    expect(error.message).not.toContain('token')
  })

  it('given a malformed allowlist entry, when the guard is built, then it refuses to start', () => {
    expect(() => createSsrfGuard({ allow: ['127.0.0.1:99999'] })).toThrow(TypeError)
    expect(() => createSsrfGuard({ allow: ['not a host'] })).toThrow(TypeError)
    expect(() => createSsrfGuard({ allow: ['10.0.0.0/99'] })).toThrow(TypeError)
  })
})
