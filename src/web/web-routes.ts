import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Plugin } from 'graphql-yoga'

/** The page's own files, served as they are: there is no build step. */
export const WEB_DIR = resolve(import.meta.dirname, '../../web')

export const TYPES = {
  html: 'text/html; charset=utf-8',
  ico: 'image/x-icon',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
} as const

/** HTML and the page's modules are revalidated on every load (an ETag makes that cheap), so a deploy shows at once. */
const REVALIDATE = 'no-cache'
/**
 * Vendor files change only when package.json pins another version. A day keeps repeat visits on a phone free of
 * round trips; preact and its hooks are cached together, so a stale pair still matches itself.
 */
const VENDOR_CACHE = 'public, max-age=86400'

const APP_FILES: Record<string, { file: string; type: keyof typeof TYPES }> = {
  '/': { file: 'index.html', type: 'html' },
  '/style.css': { file: 'style.css', type: 'css' },
  '/app.js': { file: 'app.js', type: 'js' },
  '/api.js': { file: 'api.js', type: 'js' },
  '/html.js': { file: 'html.js', type: 'js' },
  '/connect.js': { file: 'connect.js', type: 'js' },
  '/accounts.js': { file: 'accounts.js', type: 'js' },
  '/import.js': { file: 'import.js', type: 'js' },
  '/stats.js': { file: 'stats.js', type: 'js' },
  '/csv.js': { file: 'csv.js', type: 'js' },
  '/format.js': { file: 'format.js', type: 'js' },
  '/periods.js': { file: 'periods.js', type: 'js' },
  '/currencies.js': { file: 'currencies.js', type: 'js' },
  '/chart.js': { file: 'chart.js', type: 'js' },
  '/overview.js': { file: 'overview.js', type: 'js' },
  '/changes.js': { file: 'changes.js', type: 'js' },
  '/alerts.js': { file: 'alerts.js', type: 'js' },
  '/destinations.js': { file: 'destinations.js', type: 'js' },
  '/workspace.js': { file: 'workspace.js', type: 'js' },
  '/payments.js': { file: 'payments.js', type: 'js' },
}

/**
 * Vendor modules by the URL the import map in index.html gives them, and where each package declares its browser
 * ESM build: preact's `exports` (the `default` condition is the ESM file), htm's `browser` condition, and uPlot's
 * `module` field (it has no `exports`; its `main` is CommonJS).
 */
const VENDOR_FILES: Record<
  string,
  { pkg: string; subpath: string; type: keyof typeof TYPES; file?: string }
> = {
  '/vendor/preact.mjs': { pkg: 'preact', subpath: '.', type: 'js' },
  '/vendor/preact-hooks.mjs': { pkg: 'preact', subpath: './hooks', type: 'js' },
  '/vendor/htm.mjs': { pkg: 'htm', subpath: '.', type: 'js' },
  '/vendor/uplot.mjs': { pkg: 'uplot', subpath: '.', type: 'js' },
  '/vendor/uplot.css': { pkg: 'uplot', subpath: '.', type: 'css', file: 'dist/uPlot.min.css' },
}

interface PackageJson {
  name?: string
  module?: string
  exports?: Record<string, string | Record<string, string>>
}

const require = createRequire(import.meta.url)

/** The installed package's folder, found from its resolved main file (some packages do not export package.json). */
export function packageDir(name: string): { dir: string; pkg: PackageJson } {
  let dir = dirname(require.resolve(name))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as PackageJson
      if (pkg.name === name) return { dir, pkg }
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`web app: cannot find the folder of package ${name}`)
    dir = parent
  }
}

/** The file a browser should load for `subpath` of a package: browser condition first, then ESM ones. */
export function browserEntry(pkg: PackageJson, subpath: string): string {
  const entry = pkg.exports?.[subpath]
  if (typeof entry === 'string') return entry
  const conditional = entry?.browser ?? entry?.import ?? entry?.default
  if (conditional) return conditional
  if (subpath === '.' && pkg.module) return pkg.module
  throw new Error(`web app: package ${pkg.name} has no browser ESM entry for ${subpath}`)
}

/** The one inline script of the page: an import map cannot be loaded from a file, so the CSP allows it by hash. */
export function importMapHash(html: string): string {
  const match = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)
  if (!match) throw new Error('web app: index.html has no import map')
  return `'sha256-${createHash('sha256')
    .update(match[1] ?? '')
    .digest('base64')}'`
}

export function contentSecurityPolicy(html: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' ${importMapHash(html)}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

export interface Asset {
  body: Uint8Array
  gzip: Uint8Array | null
  etag: string
  headers: Record<string, string>
}

export function asset(
  body: Uint8Array,
  type: keyof typeof TYPES,
  extra: Record<string, string>,
  // Below a kilobyte gzip saves less than its own header costs in CPU and bytes.
  gzip: Uint8Array | null = body.byteLength > 1024 ? gzipSync(body, { level: 9 }) : null,
): Asset {
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 22)
  return {
    body,
    gzip,
    etag: `"${digest}"`,
    headers: { 'content-type': TYPES[type], 'x-content-type-options': 'nosniff', ...extra },
  }
}

/** The headers every HTML page of ours carries: its CSP, and no framing, sniffing, referrer or opener. */
export function pageHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
  }
}

/**
 * Reads every allowlisted file once, at start: a missing file stops the server at boot rather than at the first
 * visitor, and no request path ever reaches the file system.
 */
export function loadWebAssets(webDir = WEB_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  for (const [path, { file, type }] of Object.entries(APP_FILES)) {
    const body = readFileSync(join(webDir, file))
    const extra: Record<string, string> = { 'cache-control': REVALIDATE }
    if (type === 'html') Object.assign(extra, pageHeaders(contentSecurityPolicy(body.toString('utf8'))))
    assets.set(path, asset(body, type, extra))
  }
  const packages = new Map<string, ReturnType<typeof packageDir>>()
  for (const [path, { pkg: name, subpath, type, file }] of Object.entries(VENDOR_FILES)) {
    let found = packages.get(name)
    if (!found) {
      found = packageDir(name)
      packages.set(name, found)
    }
    const body = readFileSync(join(found.dir, file ?? browserEntry(found.pkg, subpath)))
    assets.set(path, asset(body, type, { 'cache-control': VENDOR_CACHE }))
  }
  return assets
}

/** Paths the web app answers; anything else falls through to Yoga (GraphQL, GraphiQL, or 404). */
export function webAppPaths(): string[] {
  return [...Object.keys(APP_FILES), ...Object.keys(VENDOR_FILES)]
}

function acceptsGzip(request: Request): boolean {
  return /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')
}

/** Serves the web app at `/` from an explicit allowlist of files. */
export function useWebApp(options: { webDir?: string } = {}): Plugin {
  const assets = loadWebAssets(options.webDir)
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return
      const found = assets.get(url.pathname)
      if (found) endResponse(assetResponse(request, found, fetchAPI))
    },
  }
}

/** 200 with the body (gzip when the client takes it), or 304 when the client's copy is current. */
export function assetResponse(
  request: Request,
  found: Asset,
  fetchAPI: { Response: typeof Response },
): Response {
  const gzip = found.gzip && acceptsGzip(request) ? found.gzip : null
  // The two encodings are different representations, so they carry different validators.
  const etag = gzip ? `${found.etag.slice(0, -1)}-gz"` : found.etag
  const headers: Record<string, string> = { ...found.headers, etag, vary: 'accept-encoding' }
  const matches = (request.headers.get('if-none-match') ?? '')
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .includes(etag)
  if (matches) return new fetchAPI.Response(null, { status: 304, headers })
  const body = gzip ?? found.body
  if (gzip) headers['content-encoding'] = 'gzip'
  headers['content-length'] = String(body.byteLength)
  return new fetchAPI.Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), {
    status: 200,
    headers,
  })
}
