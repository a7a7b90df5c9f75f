import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import type { Plugin } from 'graphql-yoga'
import { type Asset, asset, assetResponse, packageDir, pageHeaders, WEB_DIR } from './web-routes.ts'

const gzip = promisify(gzipCallback)

/**
 * GraphiQL at /graphql, served from the installed `@graphql-yoga/render-graphiql` package instead of a CDN, so it
 * works on a machine with no internet and under a CSP as strict as the web app's: every script is a file of this
 * server (Yoga's own page inlines 9 MB of script, which such a CSP forbids). Yoga still decides when a request gets
 * the page; this module supplies the page and its files.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // The editor (Monaco) writes its themes and measurements into <style> elements at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** The bundle's exports, by the file each becomes. */
const BUNDLE_FILES = {
  '/graphiql/graphiql.js': { key: 'js', type: 'js' },
  '/graphiql/graphiql.css': { key: 'css', type: 'css' },
  '/graphiql/editor.worker.js': { key: 'editorWorkerService', type: 'js' },
  '/graphiql/json.worker.js': { key: 'jsonWorker', type: 'js' },
  '/graphiql/graphql.worker.js': { key: 'graphqlWorker', type: 'js' },
} as const
const BOOT_PATH = '/graphiql/boot.js'
const FAVICON_PATH = '/graphiql/favicon.ico'

/** Vendor files change only with the pinned package version; a day's cache spares repeat visits 9 MB. */
const CACHE = { 'cache-control': 'public, max-age=86400' }

type Bundle = Record<(typeof BUNDLE_FILES)[keyof typeof BUNDLE_FILES]['key'] | 'favicon', string>

let assets: Promise<Map<string, Asset>> | null = null

/** Built on the first visit, not at start: most servers never show GraphiQL, and the bundle is large. */
function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= (async () => {
    const { dir } = packageDir('@graphql-yoga/render-graphiql')
    const bundle = (await import(pathToFileURL(join(dir, 'esm/graphiql.js')).href)) as Bundle
    const map = new Map<string, Asset>()
    const add = async (path: string, body: Uint8Array, type: 'js' | 'css' | 'ico') => {
      // Compressed off the event loop: 5 MB at level 9 would hold every other request for a second.
      map.set(path, asset(body, type, CACHE, await gzip(body, { level: 9 })))
    }
    await Promise.all([
      ...Object.entries(BUNDLE_FILES).map(([path, { key, type }]) =>
        add(path, Buffer.from(bundle[key], 'utf8'), type),
      ),
      add(BOOT_PATH, readFileSync(join(WEB_DIR, 'graphiql-boot.js')), 'js'),
      add(FAVICON_PATH, Buffer.from(bundle.favicon.replace(/^data:[^,]*;base64,/, ''), 'base64'), 'ico'),
    ])
    return map
  })()
  assets.catch(() => {
    assets = null
  })
  return assets
}

/** GraphiQL's first tab. Everything but the platform list needs a token: it says where it goes before an error does. */
export const GRAPHIQL_DEFAULT_QUERY =
  '# Add your API token under Headers below:\n' +
  '# {"Authorization": "Bearer agk_…"}\n' +
  '{ platforms { id name } }\n'

const PAGE = readFileSync(join(WEB_DIR, 'graphiql.html'), 'utf8')

/**
 * Yoga's `renderGraphiQL`: our page, with Yoga's options as a JSON data block (data, not script: the CSP allows
 * it). `<` is escaped so no option value can close the block.
 */
export function renderGraphiQLPage(options: unknown): string {
  const json = JSON.stringify(options ?? {}).replace(/</g, '\\u003c')
  return PAGE.replace(
    '<script type="application/json" id="graphiql-options">{}</script>',
    () => `<script type="application/json" id="graphiql-options">${json}</script>`,
  )
}

const isAssetPath = (path: string) => path in BUNDLE_FILES || path === BOOT_PATH || path === FAVICON_PATH

/** Serves GraphiQL's files and gives the GraphiQL page the same protective headers as the web app's. */
export function useGraphiQLAssets(graphqlEndpoint: string): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if ((request.method !== 'GET' && request.method !== 'HEAD') || !isAssetPath(url.pathname)) return
      const found = (await loadAssets()).get(url.pathname)
      if (found) endResponse(assetResponse(request, found, fetchAPI))
    },
    onResponse({ request, response }) {
      if (new URL(request.url).pathname !== graphqlEndpoint) return
      if (!response.headers.get('content-type')?.startsWith('text/html')) return
      for (const [name, value] of Object.entries(pageHeaders(GRAPHIQL_CSP))) response.headers.set(name, value)
      response.headers.set('cache-control', 'no-cache')
    },
  }
}
