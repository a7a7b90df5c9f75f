import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEB_DIR, webAppPaths } from '../../src/web/web-routes.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

const REPO_ROOT = resolve(import.meta.dirname, '../..')
const ORIGIN = 'http://affgraph.test'

let t: TestApp
let server: Server
let port: number

beforeAll(async () => {
  t = await createTestApp()
  server = createServer(t.app)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  if (server) {
    server.closeAllConnections()
    await new Promise<void>((done) => server.close(() => done()))
  }
  await t?.close()
})

const get = (path: string, headers: Record<string, string> = {}) =>
  t.app.fetch(`${ORIGIN}${path}`, { headers: { accept: '*/*', ...headers } })

/** A request whose path goes on the wire byte for byte, as a hostile client would send it (no URL normalisation). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => done({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', fail)
    req.end()
  })
}

function importMap(html: string): { text: string; imports: Record<string, string> } {
  const text = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? ''
  return { text, imports: (JSON.parse(text) as { imports: Record<string, string> }).imports }
}

/** Specifiers of every static and dynamic import of a module's source, minified or not. */
function importsOf(source: string): string[] {
  const statements = /(?:^|[;\s}])(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?['"]([^'"]+)['"]/g
  const dynamic = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g
  return [...source.matchAll(statements), ...source.matchAll(dynamic)].map((m) => m[1] ?? '')
}

/** The web app's own files; GraphiQL's page and boot script are served at /graphql and /graphiql/. */
const webFiles = () =>
  readdirSync(WEB_DIR)
    .filter((f) => !f.startsWith('graphiql'))
    .sort()

describe('the web app at /', () => {
  it('given a browser, when it asks for /, then it gets the page as HTML with a strict Content-Security-Policy', async () => {
    const response = await get('/', { accept: 'text/html' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await response.text()
    expect(html).toBe(readFileSync(join(WEB_DIR, 'index.html'), 'utf8'))

    const csp = Object.fromEntries(
      (response.headers.get('content-security-policy') ?? '').split(';').map((directive) => {
        const [name = '', ...values] = directive.trim().split(/\s+/)
        return [name, values]
      }),
    )
    expect(csp['default-src']).toEqual(["'none'"])
    expect(csp['connect-src']).toEqual(["'self'"])
    expect(csp['style-src']).toEqual(["'self'"])
    expect(csp['frame-ancestors']).toEqual(["'none'"])
    expect(csp['base-uri']).toEqual(["'none'"])
    // The import map is the only inline script, allowed by its hash alone.
    const mapHash = `'sha256-${createHash('sha256').update(importMap(html).text).digest('base64')}'`
    expect(csp['script-src']).toEqual(["'self'", mapHash])
    expect(JSON.stringify(csp)).not.toMatch(/unsafe-(inline|eval)/)
  })

  it('given the page, when its markup is read, then every script but the import map is a file it links to, and nothing is inline', async () => {
    const html = await (await get('/')).text()
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    const inline = scripts.filter(([, attributes, body]) => !/\bsrc=/.test(attributes ?? '') && body?.trim())
    expect(inline.map(([, attributes]) => attributes?.trim())).toEqual(['type="importmap"'])
    const references = [...html.matchAll(/\s(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1] ?? '')
    expect(references.length).toBeGreaterThan(3)
    for (const path of references) expect((await get(path)).status, path).toBe(200)
    expect(html).not.toMatch(/\son[a-z]+\s*=/i)
    expect(html).not.toMatch(/\sstyle\s*=/i)
    expect(html).not.toMatch(/<style\b/i)
  })

  it('given the import map, when each vendor module is fetched, then it is the browser ESM file its package declares, as JavaScript', async () => {
    const { imports } = importMap(await (await get('/')).text())
    expect(Object.keys(imports).sort()).toEqual(['htm', 'preact', 'preact/hooks', 'uplot'])
    const expected: Record<string, string> = {
      preact: 'node_modules/preact/dist/preact.mjs',
      'preact/hooks': 'node_modules/preact/hooks/dist/hooks.mjs',
      htm: 'node_modules/htm/dist/htm.module.js',
      uplot: 'node_modules/uplot/dist/uPlot.esm.js',
    }
    for (const [specifier, url] of Object.entries(imports)) {
      const response = await get(url)
      expect(response.status, url).toBe(200)
      expect(response.headers.get('content-type'), url).toBe('text/javascript; charset=utf-8')
      expect(response.headers.get('cache-control'), url).toMatch(/^public, max-age=\d+$/)
      const body = await response.text()
      expect(body, url).toBe(readFileSync(join(REPO_ROOT, expected[specifier] ?? ''), 'utf8'))
      expect(body, url).toMatch(/\bexport\s*(\{|default\b)/)
      // A vendor module may import only what the import map maps.
      for (const dependency of importsOf(body)) expect(Object.keys(imports), url).toContain(dependency)
    }
    const css = await get('/vendor/uplot.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  it('given the page modules, when their imports are followed, then each one is served and each bare specifier is in the import map', async () => {
    const { imports } = importMap(await (await get('/')).text())
    const seen = new Set<string>()
    const queue = ['/app.js']
    while (queue.length) {
      const path = queue.shift() ?? ''
      if (seen.has(path)) continue
      seen.add(path)
      const response = await get(path)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toBe('text/javascript; charset=utf-8')
      for (const specifier of importsOf(await response.text())) {
        if (specifier.startsWith('./')) queue.push(`/${specifier.slice(2)}`)
        else expect(Object.keys(imports), `${path} imports ${specifier}`).toContain(specifier)
      }
    }
    const modules = webFiles().filter((f) => f.endsWith('.js'))
    expect([...seen].sort(), 'every module in web/ is reachable from app.js').toEqual(
      modules.map((f) => `/${f}`).sort(),
    )
  })

  it('given the allowlist, when it is compared with web/, then every file there is served as itself and nothing else is', async () => {
    const served = webAppPaths().filter((p) => !p.startsWith('/vendor/'))
    expect(served.map((p) => (p === '/' ? 'index.html' : p.slice(1))).sort()).toEqual(webFiles())
    for (const path of served) {
      const file = path === '/' ? 'index.html' : path.slice(1)
      const response = await get(path)
      expect(response.status, path).toBe(200)
      expect(await response.text(), path).toBe(readFileSync(join(WEB_DIR, file), 'utf8'))
    }
  })

  it('given the Import section, when the page loads, then its module is served with the others, revalidated and linked from the page', async () => {
    expect(webAppPaths()).toContain('/import.js')
    const response = await get('/import.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(await response.text()).toBe(readFileSync(join(WEB_DIR, 'import.js'), 'utf8'))
    expect(importsOf(await (await get('/app.js')).text())).toContain('./import.js')
    expect(await (await get('/')).text()).toContain('<link rel="modulepreload" href="/import.js">')
  })

  it('given unknown paths and files outside the allowlist, when they are asked for, then each answers 404 without the file', async () => {
    const packageJson = readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')
    const paths = [
      '/index.html',
      '/web/app.js',
      '/package.json',
      '/README.md',
      '/src/app.ts',
      '/src/web/web-routes.ts',
      '/.env',
      '/.data/master.key',
      '/vendor/',
      '/vendor/preact.js',
      '/node_modules/preact/package.json',
      '/node_modules/preact/dist/preact.mjs',
      '/app.js/',
      '/APP.JS',
      '/import',
      '/import.js/',
      '/IMPORT.JS',
      '/web/import.js',
      '/import.mjs',
      '/favicon.ico',
    ]
    for (const path of paths) {
      const response = await get(path)
      expect(response.status, path).toBe(404)
      expect(await response.text(), path).not.toContain('"name": "affgraph"')
    }
    const traversals = [
      '/../package.json',
      '/../../etc/passwd',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/..%2fpackage.json',
      '/vendor/../../package.json',
      '/vendor/%2e%2e/%2e%2e/package.json',
      '/vendor/..%2f..%2fpackage.json',
      '/app.js/../../package.json',
      '/import.js/../../package.json',
      '/app.js%00.png',
      '/.%2e/src/app.ts',
      '//etc/passwd',
      '/\\..\\package.json',
    ]
    for (const path of traversals) {
      const response = await rawGet(path)
      expect(response.status, path).toBe(404)
      expect(response.body, path).not.toContain(packageJson.slice(0, 40))
      expect(response.body, path).not.toMatch(/root:.*:0:0:/)
    }
  })

  it('given a served file, when it is asked for with HEAD, again with its ETag, and with gzip, then the answers follow HTTP', async () => {
    const head = await t.app.fetch(`${ORIGIN}/app.js`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    const etag = head.headers.get('etag') ?? ''
    expect(etag).toMatch(/^".+"$/)
    const again = await get('/app.js', { 'if-none-match': etag })
    expect(again.status).toBe(304)

    const gzip = await get('/vendor/uplot.mjs', { 'accept-encoding': 'gzip, deflate, br' })
    expect(gzip.headers.get('content-encoding')).toBe('gzip')
    expect(gzip.headers.get('vary')).toBe('accept-encoding')
    const unzipped = gunzipSync(new Uint8Array(await gzip.arrayBuffer())).toString('utf8')
    expect(unzipped).toBe(readFileSync(join(REPO_ROOT, 'node_modules/uplot/dist/uPlot.esm.js'), 'utf8'))

    const post = await t.app.fetch(`${ORIGIN}/`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(404)
  })

  it('given the web app, when a browser asks for /graphql, then GraphiQL answers there from local files under the same protections as the page, and GraphQL still works', async () => {
    const graphiql = await get('/graphql', { accept: 'text/html' })
    expect(graphiql.status).toBe(200)
    const html = await graphiql.text()
    expect(html).toMatch(/graphiql/i)
    // Nothing comes from elsewhere: every script, style and icon is a path of this server.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(html).not.toMatch(/<script>|<script(?![^>]*(src=|type="application\/json"))/)
    const csp = graphiql.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toMatch(/script-src[^;]*(unsafe|https?:)/)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(graphiql.headers.get('x-frame-options')).toBe('DENY')
    expect(graphiql.headers.get('x-content-type-options')).toBe('nosniff')
    expect(graphiql.headers.get('referrer-policy')).toBe('no-referrer')
    const referenced = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!)
    expect(referenced.length).toBeGreaterThanOrEqual(4)
    for (const path of [
      ...referenced,
      '/graphiql/editor.worker.js',
      '/graphiql/json.worker.js',
      '/graphiql/graphql.worker.js',
    ]) {
      const file = await get(path, { 'accept-encoding': 'gzip' })
      expect(file.status, path).toBe(200)
      expect(file.headers.get('x-content-type-options'), path).toBe('nosniff')
      expect((await file.arrayBuffer()).byteLength, path).toBeGreaterThan(100)
    }
    // The options reach the page as data that cannot close its block.
    expect(html).toContain('"defaultQuery"')
    const { status, body } = await t.gql('{ platforms { id } }')
    expect(status).toBe(200)
    expect(body.data).toBeDefined()
  })

  it('given the platforms this server loads, when the page source is searched for them, then no platform is named: forms come from introspection', () => {
    const source = webFiles()
      .map((f) => readFileSync(join(WEB_DIR, f), 'utf8'))
      .join('\n')
    for (const { definition } of t.registry.all()) {
      for (const word of [definition.id, definition.name]) {
        expect(source.toLowerCase(), word).not.toContain(word.toLowerCase())
      }
    }
    expect(source).not.toMatch(/ConnectionInput\b(?!!)/)
  })
})
