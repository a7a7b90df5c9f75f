import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

/** The app answers for this origin: `app.fetch` is given URLs on it, as a browser on the web page would. */
const SELF = 'http://affgraph.test'
const EVIL = 'http://evil.example'
const LISTED = ['https://a.example', 'https://b.example']

let defaults: TestApp
let configured: TestApp
let defaultsToken: string
let configuredToken: string

beforeAll(async () => {
  defaults = await createTestApp({ env: { AFFGRAPH_SYNC: 'off' } })
  configured = await createTestApp({ env: { AFFGRAPH_SYNC: 'off', AFFGRAPH_CORS_ORIGINS: LISTED.join(',') } })
  defaultsToken = (await defaults.workspace('cors-default')).token
  configuredToken = (await configured.workspace('cors-configured')).token
})

afterAll(async () => {
  await defaults?.close()
  await configured?.close()
})

const preflight = (t: TestApp, origin: string) =>
  t.app.fetch(`${SELF}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  })

const post = (t: TestApp, origin: string, token: string) =>
  t.app.fetch(`${SELF}/graphql`, {
    method: 'POST',
    headers: {
      origin,
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: '{ viewer { workspace { name } } }' }),
  })

function expectNoCors(response: Response): void {
  for (const name of [
    'access-control-allow-origin',
    'access-control-allow-credentials',
    'access-control-allow-headers',
    'access-control-allow-methods',
    'access-control-expose-headers',
  ])
    expect(response.headers.get(name), name).toBeNull()
}

describe('CORS off by default', () => {
  it('given no AFFGRAPH_CORS_ORIGINS, when another origin sends a preflight, then no CORS header allows it', async () => {
    expectNoCors(await preflight(defaults, EVIL))
  })

  it('given no AFFGRAPH_CORS_ORIGINS, when another origin posts with a token, then the answer carries no CORS header', async () => {
    const response = await post(defaults, EVIL, defaultsToken)
    expectNoCors(response)
  })

  it('given no AFFGRAPH_CORS_ORIGINS, when the web page of the server itself calls the API, then it gets its data', async () => {
    const page = await defaults.app.fetch(`${SELF}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    const response = await post(defaults, SELF, defaultsToken)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ data: { viewer: { workspace: { name: 'cors-default' } } } })
  })
})

describe('CORS with an origin list', () => {
  it.each(LISTED)(
    'given %s is listed, when it sends a preflight, then it alone is allowed, without credentials',
    async (origin) => {
      const response = await preflight(configured, origin)
      expect(response.status).toBeLessThan(300)
      expect(response.headers.get('access-control-allow-origin')).toBe(origin)
      expect(response.headers.get('access-control-allow-credentials')).toBeNull()
      expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST')
      expect(response.headers.get('access-control-allow-headers')?.split(', ')).toEqual(
        expect.arrayContaining(['authorization', 'content-type']),
      )
      expect(response.headers.get('vary')).toMatch(/\bOrigin\b/)
    },
  )

  it('given a listed origin, when it posts with a token, then the answer is readable by that origin and says where it varies', async () => {
    const response = await post(configured, LISTED[0]!, configuredToken)
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe(LISTED[0])
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
    expect(response.headers.get('access-control-expose-headers')).toMatch(/retry-after/)
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/)
  })

  it('given an unlisted origin, when it sends a preflight or posts, then no CORS header allows it', async () => {
    for (const origin of [EVIL, 'https://a.example.evil.example', 'http://a.example', 'null']) {
      expectNoCors(await preflight(configured, origin))
      const response = await post(configured, origin, configuredToken)
      expectNoCors(response)
      expect(response.headers.get('vary')).toMatch(/\bOrigin\b/)
    }
  })

  it('given an origin list, when the web page of the server itself calls the API, then it gets its data', async () => {
    const response = await post(configured, SELF, configuredToken)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ data: { viewer: { workspace: { name: 'cors-configured' } } } })
  })
})

describe('AFFGRAPH_CORS_ORIGINS parsing', () => {
  const load = (value: string) => loadConfig({ NODE_ENV: 'test', AFFGRAPH_CORS_ORIGINS: value })

  it('given nothing set, when the configuration loads, then no origin is allowed', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).corsOrigins).toEqual([])
  })

  it('given origins separated by commas and spaces, when the configuration loads, then each is kept as a browser sends it', () => {
    expect(load('https://A.Example:443, http://b.example:8080/ https://a.example').corsOrigins).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ])
  })

  it.each([
    ['a wildcard', '*'],
    ['a wildcard host', 'https://*.example'],
    ['a path', 'https://a.example/app'],
    ['a query', 'https://a.example?x=1'],
    ['credentials', 'https://user:secret-part@a.example'],
    ['another scheme', 'ftp://a.example'],
    ['no scheme', 'a.example'],
  ])(
    'given %s, when the configuration loads, then it is refused naming the variable and the entry, not the value',
    (_what, bad) => {
      let error: unknown
      try {
        load(`https://ok.example,${bad}`)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ConfigError)
      const message = (error as ConfigError).message
      expect(message).toMatch(/^ {2}AFFGRAPH_CORS_ORIGINS: entry 2 is not an origin/m)
      expect(message).not.toContain(bad)
    },
  )
})
