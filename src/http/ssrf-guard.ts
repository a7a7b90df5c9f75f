import dns from 'node:dns'
import net, { type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'
import { Agent, buildConnector, type Dispatcher } from 'undici'

/**
 * An outbound request the SSRF guard refused: a scheme other than http(s), credentials in the URL, or a target
 * that is (or resolves to) a loopback, private, link-local or otherwise non-public address. Never retried.
 */
export class OutboundBlockedError extends Error {
  readonly code = 'OUTBOUND_BLOCKED' as const
  readonly transient = false
  override readonly name = 'OutboundBlockedError'
  /** Host (and port, when not the default) of the refused target; never the path or query. */
  readonly host: string
  readonly reason: string
  constructor(host: string, reason: string, options: { cause?: unknown } = {}) {
    super(
      `outbound request to ${host || '(no host)'} refused: ${reason}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    this.host = host
    this.reason = reason
  }
}

export interface SsrfGuardOptions {
  /**
   * Targets allowed despite being non-public, for local simulators in tests and the demo. Each entry is an exact
   * hostname (`localhost`), an IP (`127.0.0.1`, `::1`, `[::1]`), a CIDR (`127.0.0.0/8`, `fd00::/8`), optionally
   * with a port for hostnames and IPs (`localhost:4000`, `127.0.0.1:4000`, `[::1]:4000`).
   * An allowlisted hostname is trusted whatever it resolves to: naming it is the operator's explicit decision.
   */
  allow?: readonly string[]
  /**
   * Replaces the system resolver (`dns.lookup`, all addresses) for every decision this guard makes. For tests that
   * need a name resolving to a chosen address, or answering differently from one lookup to the next (DNS
   * rebinding), without touching /etc/hosts. Production leaves it unset.
   */
  resolve?: HostResolver
}

/** Every address a hostname resolves to, as `dns.lookup(hostname, { all: true })` gives them. */
export type HostResolver = (hostname: string) => Promise<readonly dns.LookupAddress[]>

export interface GuardedAgentTimeouts {
  connectMs: number
  headersMs: number
  bodyMs: number
}

type AllowEntry =
  | { kind: 'host'; host: string; port: number | undefined }
  | { kind: 'cidr'; range: [ipaddr.IPv4 | ipaddr.IPv6, number]; port: number | undefined }

/** Only the globally routed unicast block of IPv6; everything else there is special-purpose or unallocated. */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3')

function normaliseHostname(hostname: string): string {
  let host = hostname.toLowerCase()
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (host.endsWith('.')) host = host.slice(0, -1)
  return host
}

function parsePort(text: string, entry: string): number {
  const port = Number(text)
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65535)
    throw new TypeError(`invalid port in allowlist entry "${entry}"`)
  return port
}

function parseAllowEntry(raw: string): AllowEntry {
  const entry = raw.trim()
  if (!entry) throw new TypeError('empty allowlist entry')
  if (entry.includes('/')) {
    if (!ipaddr.isValidCIDR(entry)) throw new TypeError(`invalid CIDR in allowlist entry "${entry}"`)
    return { kind: 'cidr', range: ipaddr.parseCIDR(entry), port: undefined }
  }
  let host = entry
  let port: number | undefined
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
  if (bracketed) {
    host = bracketed[1] ?? ''
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], entry)
  } else if (!net.isIPv6(entry)) {
    const withPort = /^(.+):(\d+)$/.exec(entry)
    if (withPort) {
      host = withPort[1] ?? ''
      port = parsePort(withPort[2] ?? '', entry)
    }
  }
  if (net.isIP(host)) {
    const address = ipaddr.parse(host)
    return { kind: 'cidr', range: [address, address.kind() === 'ipv4' ? 32 : 128], port }
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(host)) {
    throw new TypeError(`invalid hostname in allowlist entry "${entry}"`)
  }
  return { kind: 'host', host: normaliseHostname(host), port }
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80
}

/**
 * Names that never lead to a public host, whatever a resolver says: `localhost` and `*.localhost` mean loopback
 * (RFC 6761) even where the system resolver does not know them, and `.internal` is reserved for private networks
 * (it holds cloud metadata endpoints such as metadata.google.internal).
 */
function reservedName(host: string): 'loopback' | 'internal' | undefined {
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback'
  if (host === 'internal' || host.endsWith('.internal')) return 'internal'
  return undefined
}

/** Why an address is not a public unicast target, or undefined when it is one. */
export function nonPublicRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address'
  const parsed = ipaddr.parse(address)
  const range = parsed.range()
  if (range !== 'unicast') return range
  if (parsed.kind() === 'ipv6' && !parsed.match(IPV6_GLOBAL_UNICAST)) return 'non-global IPv6'
  return undefined
}

/**
 * Decides whether an outbound target may be contacted. The decision is made twice: on the URL before anything
 * is sent (scheme, credentials, IP-literal hosts) and on every address DNS returns at connection time, so a
 * hostname that resolves to an internal address (or is re-pointed there between check and use) is refused.
 */
export class SsrfGuard {
  readonly #allow: AllowEntry[]
  readonly #agents = new Map<string, Agent>()
  readonly #resolve: HostResolver | undefined

  constructor(options: SsrfGuardOptions = {}) {
    this.#allow = (options.allow ?? []).map(parseAllowEntry)
    this.#resolve = options.resolve
  }

  /** Throws OutboundBlockedError when the URL may not be requested. */
  checkUrl(url: URL): void {
    const host = url.host
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OutboundBlockedError(
        host,
        `the scheme "${url.protocol.replace(/:$/, '')}" is not allowed (only http and https)`,
      )
    }
    const port = url.port ? Number(url.port) : defaultPort(url.protocol)
    this.checkHost(url.hostname, port, host)
    if (url.username || url.password) {
      throw new OutboundBlockedError(host, 'credentials in the URL are not allowed; send them in a header')
    }
  }

  /**
   * Checks a hostname before connecting. An IP literal is decided here because the socket layer never asks DNS
   * about it; a name is decided when it resolves (see `lookupFor`).
   */
  checkHost(hostname: string, port: number, displayHost = hostname): void {
    const host = normaliseHostname(hostname)
    if (!host) throw new OutboundBlockedError(displayHost, 'the URL has no host')
    if (net.isIP(host)) {
      this.checkAddress(host, host, port, displayHost)
      return
    }
    if (this.#hostAllowed(host, port)) return
    const reserved = reservedName(host)
    // A loopback name passes where loopback itself is allowed (the demo allowlists 127.0.0.1 and uses localhost).
    if (reserved === 'loopback' && !this.#addressAllowed('127.0.0.1', port)) {
      throw new OutboundBlockedError(
        displayHost,
        `"${host}" is a loopback name: it resolves to a loopback address by definition`,
      )
    }
    if (reserved === 'internal') {
      throw new OutboundBlockedError(displayHost, `"${host}" is a private-network name`)
    }
  }

  /**
   * Decides a URL the user entered before anything is sent to it, resolving its hostname as the connection would,
   * so that a refusal can name the form field instead of surfacing from the middle of a plugin call. A name that
   * does not resolve passes: the request then fails on its own as unreachable. The connection-time check still
   * runs on every request, since a name may resolve elsewhere later.
   */
  async checkTarget(url: URL): Promise<void> {
    this.checkUrl(url)
    const host = normaliseHostname(url.hostname)
    const port = url.port ? Number(url.port) : defaultPort(url.protocol)
    if (net.isIP(host) || this.#hostAllowed(host, port)) return
    let addresses: readonly dns.LookupAddress[]
    try {
      addresses = await this.#lookupAll(host, {})
    } catch {
      return
    }
    for (const { address } of addresses) this.checkAddress(address, host, port, url.host)
  }

  #lookupAll(hostname: string, options: dns.LookupOptions): Promise<readonly dns.LookupAddress[]> {
    if (this.#resolve) return this.#resolve(hostname)
    return new Promise((resolve, reject) => {
      dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) reject(error)
        else resolve(addresses)
      })
    })
  }

  /** Throws OutboundBlockedError when `address` (what `hostname` resolved to) may not be contacted on `port`. */
  checkAddress(address: string, hostname: string, port: number, displayHost = hostname): void {
    if (this.#hostAllowed(normaliseHostname(hostname), port)) return
    const range = nonPublicRange(address)
    if (range === undefined) return
    if (this.#addressAllowed(address, port)) return
    const literal = normaliseHostname(hostname) === normaliseHostname(address)
    throw new OutboundBlockedError(
      displayHost,
      literal ? `${address} is a ${range} address` : `it resolves to ${address}, a ${range} address`,
    )
  }

  /** A DNS lookup for connections to `port` that fails when any resolved address is refused. */
  lookupFor(port: number): LookupFunction {
    return (hostname, options, callback) => {
      this.#lookupAll(hostname, options).then(
        (addresses) => {
          try {
            // Every address must pass, not just the first: the socket may fall back to any of them.
            for (const { address } of addresses)
              this.checkAddress(address, hostname, port, `${hostname}:${port}`)
          } catch (blocked) {
            callback(blocked as NodeJS.ErrnoException, '')
            return
          }
          const first = addresses[0]
          if (!first) {
            const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
            notFound.code = 'ENOTFOUND'
            callback(notFound, '')
            return
          }
          if (options.all) callback(null, [...addresses])
          else callback(null, first.address, first.family)
        },
        (error: NodeJS.ErrnoException) => callback(error, ''),
      )
    }
  }

  /**
   * An undici dispatcher whose every new connection passes the guard. Agents are cached per timeout set so that
   * all clients built on this guard share connection pools.
   */
  dispatcher(timeouts: GuardedAgentTimeouts): Dispatcher {
    const cacheKey = `${timeouts.connectMs}/${timeouts.headersMs}/${timeouts.bodyMs}`
    const cached = this.#agents.get(cacheKey)
    if (cached) return cached
    // The lookup must know the port (allowlist entries may name one), and undici fixes a connector's socket
    // options when it is built, so there is one connector per destination port.
    const connectors = new Map<number, buildConnector.connector>()
    const connect: buildConnector.connector = (options, callback) => {
      const port = options.port ? Number(options.port) : defaultPort(options.protocol)
      try {
        this.checkHost(
          options.hostname,
          port,
          options.port ? `${options.hostname}:${options.port}` : options.hostname,
        )
      } catch (blocked) {
        callback(blocked as Error, null)
        return
      }
      let connector = connectors.get(port)
      if (!connector) {
        connector = buildConnector({ timeout: timeouts.connectMs, lookup: this.lookupFor(port) })
        connectors.set(port, connector)
      }
      connector(options, callback)
    }
    const agent = new Agent({ connect, headersTimeout: timeouts.headersMs, bodyTimeout: timeouts.bodyMs })
    this.#agents.set(cacheKey, agent)
    return agent
  }

  /** Closes the pooled connections of every dispatcher this guard handed out. */
  async close(): Promise<void> {
    const agents = [...this.#agents.values()]
    this.#agents.clear()
    await Promise.all(agents.map((agent) => agent.close()))
  }

  #hostAllowed(hostname: string, port: number): boolean {
    return this.#allow.some(
      (e) => e.kind === 'host' && e.host === hostname && (e.port === undefined || e.port === port),
    )
  }

  #addressAllowed(address: string, port: number): boolean {
    const parsed = ipaddr.parse(address)
    return this.#allow.some(
      (e) =>
        e.kind === 'cidr' &&
        (e.port === undefined || e.port === port) &&
        e.range[0].kind() === parsed.kind() &&
        parsed.match(e.range),
    )
  }
}

export function createSsrfGuard(options: SsrfGuardOptions = {}): SsrfGuard {
  return new SsrfGuard(options)
}
