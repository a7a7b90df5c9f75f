import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { generateMasterKeyEntry } from '../../../src/crypto/master-key.ts'
import {
  type AffgraphProcess,
  freePort,
  killAllProcesses,
  lastLine,
  makeTempDir,
  postGraphQL,
  runToCompletion,
  spawnAffgraph,
  stopProcess,
  waitForStdout,
} from '../../server/support/affgraph-process.ts'

/** Debian's Chromium: CI installs it (.ci/run); a developer machine without it skips the browser tests. */
export const CHROMIUM = '/usr/bin/chromium'
export const HAS_CHROMIUM = existsSync(CHROMIUM)
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../../test-output/e2e')

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * Numbered screenshots of one test, taken after every step and on the failing step, so a red run can be looked
 * at: `test-output/e2e/<test>/<nn>-<step>.png`.
 */
export async function screenshotRecorder(page: Page, test: string) {
  const dir = join(SCREENSHOT_DIR, test)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  let count = 0
  const shoot = async (name: string) => {
    count += 1
    const file = join(dir, `${String(count).padStart(2, '0')}-${name}.png`)
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined)
    return file
  }
  return {
    dir,
    async step<T>(name: string, action: () => Promise<T>): Promise<T> {
      try {
        const result = await action()
        await shoot(name)
        return result
      } catch (error) {
        const file = await shoot(`${name}-FAILED`)
        if (error instanceof Error) error.message += `\n(screenshot: ${file})`
        throw error
      }
    },
  }
}

export interface WebServer {
  proc: AffgraphProcess
  origin: string
  stop(): Promise<unknown>
}

/**
 * `src/main.ts` on a given port: a restart keeps the origin, as a real deployment does, so the browser's tab
 * state (the token in sessionStorage) survives it.
 */
export async function startWebServer(port: number, env: Record<string, string>): Promise<WebServer> {
  const proc = spawnAffgraph('src/main.ts', [], { ...env, PORT: String(port) })
  await waitForStdout(proc, /"msg":"affgraph is listening"/)
  return { proc, origin: `http://127.0.0.1:${port}`, stop: () => stopProcess(proc) }
}

export function gqlAt<T>(
  server: WebServer,
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
) {
  return postGraphQL<T>(`${server.origin}/graphql`, query, variables, token)
}

/** Exact sum of decimal strings ("12.5", "-0.25"), as a decimal string with the given number of places. */
export function sumDecimals(values: (string | null | undefined)[], places = 2): string {
  const scale = 10n ** BigInt(places)
  let total = 0n
  for (const value of values) {
    if (value == null) continue
    const negative = value.startsWith('-')
    const [units = '0', fraction = ''] = value.replace(/^[+-]/, '').split('.')
    if (fraction.length > places) throw new Error(`${value} has more than ${places} decimal places`)
    const scaled = BigInt(units) * scale + BigInt(fraction.padEnd(places, '0') || '0')
    total += negative ? -scaled : scaled
  }
  const sign = total < 0n ? '-' : ''
  const abs = total < 0n ? -total : total
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(places, '0')}`
}

export interface BrowserSuite {
  env: Record<string, string>
  /** An API token of the suite's workspace, made by the token CLI. */
  token: string
  browser: Browser
  server: WebServer
  /** A fresh tab (downloads allowed) that collects every script error and CSP violation in `problems`. */
  openPage(): Promise<{ page: Page; problems: string[] }>
  /** Signs the tab in with the suite's token. */
  signIn(page: Page): Promise<void>
  close(): Promise<void>
}

/**
 * What a browser test starts from: a data directory of its own, a workspace and its token from the token CLI,
 * Chromium, and the server on a free port with the given environment on top of the usual one.
 */
export async function startBrowserSuite(options: {
  label: string
  workspace: string
  env?: Record<string, string>
}): Promise<BrowserSuite> {
  const dataDir = await makeTempDir(options.label)
  const env = {
    AFFGRAPH_DATA_DIR: join(dataDir.path, 'data'),
    AFFGRAPH_MASTER_KEY: generateMasterKeyEntry('e2e'),
    AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
    AFFGRAPH_FX_FETCH: 'false',
    ...options.env,
  }
  const [cli, browser, port] = await Promise.all([
    runToCompletion('src/cli/token.cli.ts', ['create', '--workspace', options.workspace], env),
    launchChromium(),
    freePort(),
  ])
  if (cli.code !== 0) throw new Error(`token CLI failed: ${cli.stderr}`)
  const token = lastLine(cli.stdout)
  const server = await startWebServer(port, env)
  return {
    env,
    token,
    browser,
    server,
    async openPage() {
      const context = await browser.newContext({
        viewport: { width: 1100, height: 900 },
        acceptDownloads: true,
      })
      const page = await context.newPage()
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`)
      })
      return { page, problems }
    },
    async signIn(page) {
      await page.goto(`${server.origin}/`)
      await page.getByLabel('API token', { exact: true }).fill(token)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('navigation', { name: 'Sections' }).waitFor({ timeout: 20_000 })
    },
    async close() {
      await browser.close()
      await server.stop().catch(() => undefined)
      await killAllProcesses()
      await dataDir.remove()
    },
  }
}
