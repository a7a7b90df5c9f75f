import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { generateMasterKeyEntry } from '../../src/crypto/master-key.ts'
import { eachDay, type PlatformSimulator } from '../../src/sdk/index.ts'
import acmePartners from '../fixtures/plugins/valid/acme-partners/index.ts'
import {
  FIXTURE_PLUGINS,
  freePort,
  killAllProcesses,
  lastLine,
  makeTempDir,
  runToCompletion,
} from '../server/support/affgraph-process.ts'
import { suiteClock, testDay } from '../support/test-clock.ts'
import {
  gqlAt,
  HAS_CHROMIUM,
  launchChromium,
  SCREENSHOT_DIR,
  screenshotRecorder,
  startWebServer,
  sumDecimals,
  type WebServer,
} from './support/browser-harness.ts'

const WAIT = { timeout: 20_000 }
const day = (offset: number) => testDay(offset)
/** The calendar months (YYYY-MM) a range of days touches: 40 days can touch three. */
const monthsTouched = (from: string, to: string) => [
  ...new Set(eachDay({ from, to }).map((d) => d.slice(0, 7))),
]

/** One program with one brand, campaign and currency: the report's totals are plain sums of its days. */
const PROGRAM = { key: 'casino-1', brands: ['Brand A'], currencies: ['EUR'], campaigns: ['main'] }

describe.skipIf(!HAS_CHROMIUM && !process.env.CI)('the web app in Chromium against a real server', () => {
  let dataDir: { path: string; remove: () => Promise<void> }
  let env: Record<string, string>
  let port: number
  let server: WebServer | undefined
  let browser: Browser | undefined
  let sim: PlatformSimulator | undefined
  let acmeSim: PlatformSimulator | undefined
  let token = ''

  beforeAll(async () => {
    if (!HAS_CHROMIUM) throw new Error('CI must provide Debian Chromium at /usr/bin/chromium (see .ci/run)')
    dataDir = await makeTempDir('web-e2e')
    env = {
      AFFGRAPH_DATA_DIR: join(dataDir.path, 'data'),
      AFFGRAPH_MASTER_KEY: generateMasterKeyEntry('e2e'),
      AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
      AFFGRAPH_FX_FETCH: 'false',
      AFFGRAPH_SYNC: 'on',
      AFFGRAPH_SYNC_POLL_SECONDS: '1',
    }
    const [cli, simulator, chromium, freeBrowserPort] = await Promise.all([
      runToCompletion('src/cli/token.cli.ts', ['create', '--workspace', 'Web app'], env),
      softswiss.simulator.create({ seed: 'web-e2e', accounts: [PROGRAM] }),
      launchChromium(),
      freePort(),
    ])
    sim = simulator
    browser = chromium
    port = freeBrowserPort
    if (cli.code !== 0) throw new Error(`token CLI failed: ${cli.stderr}`)
    token = lastLine(cli.stdout)
    server = await startWebServer(port, env)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop().catch(() => undefined)
    await killAllProcesses()
    await sim?.close()
    await acmeSim?.close()
    await dataDir?.remove()
  }, 60_000)

  async function openPage(): Promise<Page> {
    const context = await browser!.newContext({
      viewport: { width: 1100, height: 900 },
      acceptDownloads: true,
      // Amounts are formatted for the reader's locale: one fixed locale keeps the expected text the same anywhere.
      locale: 'en-US',
    })
    // The page's "today" (default ranges, relative times) is the suite's, like the server's.
    await context.clock.install({ time: suiteClock.now() })
    const page = await context.newPage()
    // Any script error or CSP violation is a failure of the page, whatever the test looks at.
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[01]/.test(message.text())) {
        problems.push(`console: ${message.text()}`)
      }
    })
    ;(page as Page & { problems: string[] }).problems = problems
    return page
  }
  const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems

  async function signIn(page: Page) {
    await page.goto(`${server!.origin}/`)
    await page.getByLabel('API token', { exact: true }).fill(token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Sections' }).waitFor(WAIT)
  }

  it('given a token, when the user connects a SoftSwiss program through the generated form, then its sync fills the stats table, chart and CSV with the program’s numbers', async () => {
    const page = await openPage()
    const shots = await screenshotRecorder(page, 'connect-softswiss')
    const account = sim!.accounts[0]!
    const validToken = account.connection.token ?? ''

    await shots.step('bad-token', async () => {
      await page.goto(`${server!.origin}/`)
      const refused = await gqlAt(server!, '{ viewer { workspace { name } } }', {}, 'agk_not-a-token')
      await page.getByLabel('API token', { exact: true }).fill('agk_not-a-token')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('alert').waitFor(WAIT)
      // The API's code, in the words of someone signing in rather than of a developer reading headers.
      expect(refused.errors?.[0]?.extensions?.code).toBe('TOKEN_MALFORMED')
      expect(await page.getByRole('alert').textContent()).toMatch(/^That is not an affgraph API token\./)
    })

    await shots.step('signed-in', async () => {
      await page.getByLabel('API token', { exact: true }).fill(token)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByText('No accounts yet.').waitFor(WAIT)
      expect(await page.locator('.workspace').textContent()).toBe('Web app')
    })

    await shots.step('softswiss-form', async () => {
      await page.getByRole('link', { name: 'Connect', exact: true }).click()
      await page.getByLabel('Platform', { exact: true }).selectOption({ label: 'SoftSwiss (Affilka)' })
      await page.getByLabel('Statistic token').waitFor(WAIT)
      expect(await page.getByLabel('Statistic token').getAttribute('type')).toBe('password')
      expect(await page.getByLabel('Partner dashboard URL').getAttribute('type')).toBe('url')
      expect(await page.getByLabel('Partner dashboard URL').getAttribute('required')).not.toBeNull()
    })

    await shots.step('malformed-token', async () => {
      await page.getByLabel('Partner dashboard URL').fill(sim!.baseUrl)
      await page.getByLabel('Statistic token').fill('too-short')
      await page.getByRole('button', { name: 'Test connection' }).click()
      const tokenError = page.locator('[data-field="token"] .field-error')
      await tokenError.waitFor(WAIT)
      expect(await tokenError.textContent()).toMatch(/does not look like a statistic token/)
      expect(await page.getByLabel('Statistic token').getAttribute('aria-invalid')).toBe('true')
      expect(await page.locator('[data-field="baseUrl"] .field-error').count()).toBe(0)
      expect(await page.locator('.form-error').count(), 'the error is placed at its field').toBe(0)
    })

    await shots.step('connection-tested', async () => {
      await page.getByLabel('Statistic token').fill(validToken)
      expect(await page.locator('[data-field="token"] .field-error').count(), 'editing clears it').toBe(0)
      await page.getByRole('button', { name: 'Test connection' }).click()
      await page.getByText('SoftSwiss (Affilka) accepted these credentials').waitFor(WAIT)
    })

    await shots.step('connected', async () => {
      await page.getByLabel('Label', { exact: true }).fill('Casino One')
      await page.getByLabel('Program name', { exact: true }).fill('Lucky Star Casino')
      await page.getByLabel('Tags', { exact: true }).fill('casino, tier-1')
      await page.getByRole('button', { name: 'Connect', exact: true }).click()
      await page.getByRole('heading', { name: 'Casino One' }).waitFor(WAIT)
      expect(await page.content(), 'the secret is never shown back').not.toContain(validToken)
    })

    const card = page.locator('article.account', { hasText: 'Casino One' })
    await shots.step('synced', async () => {
      await expect
        .poll(
          async () => ({
            status: await card.locator('.status').getAttribute('data-status'),
            syncing: await card.locator('.syncing').count(),
            lastSync: await card.locator('.last-sync time').count(),
          }),
          { timeout: 40_000, interval: 250 },
        )
        .toEqual({ status: 'OK', syncing: 0, lastSync: 1 })
      expect(await card.locator('.account-error').count()).toBe(0)
      expect(await card.getByLabel('Tags', { exact: true }).inputValue()).toBe('casino, tier-1')
    })

    const from = day(-40)
    const to = day(-2)
    const truth = sim!.truth(account.key, { from, to })
    const expectedClicks = String(truth.reduce((sum, row) => sum + (row.clicks ?? 0), 0))
    const expectedCommission = sumDecimals(truth.map((row) => row.commission))

    await shots.step('stats', async () => {
      await page.getByRole('link', { name: 'Reports' }).click()
      await page.getByLabel('From', { exact: true }).fill(from)
      await page.getByLabel('To', { exact: true }).fill(to)
      await page.getByLabel('Per', { exact: true }).selectOption('MONTH')
      await page.getByLabel('Grouped by', { exact: true }).selectOption('PROGRAM')
      await page.getByLabel('Currency', { exact: true }).selectOption('EUR')
      const months = monthsTouched(from, to)
      const footer = page.locator('table.stats-table tfoot tr').first()
      await expect
        .poll(
          async () => ({
            rows: await page.locator('table.stats-table tbody tr').count(),
            currency: await footer.locator('td').nth(1).textContent(),
          }),
          WAIT,
        )
        .toEqual({ rows: months.length, currency: 'EUR' })
      const header = await page.locator('table.stats-table thead th').allTextContents()
      const totals = await footer.locator('th, td').allTextContents()
      const cell = (name: string) => totals[header.indexOf(name)]
      expect(header.slice(0, 3)).toEqual(['Period', 'Program', 'Currency'])
      // Formatted for people: separators, and the currency's symbol with the amount rounded to cents.
      expect(cell('Clicks')).toBe(Number(expectedClicks).toLocaleString('en-US'))
      expect(cell('Commission')).toBe(
        // Intl formats a decimal string as the exact number it is (ECMA-402 NumberFormat v3); its types lag.
        new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(
          expectedCommission as unknown as number,
        ),
      )
      const periods = await page.locator('table.stats-table tbody tr td:first-child').allTextContents()
      expect(periods.map((p) => p.replace(/ †$/, ''))).toEqual(months)
      // Two days ago is inside SoftSwiss's revision horizon (15 days after its month closes): marked as provisional.
      expect(periods.at(-1)).toMatch(/ †$/)
      expect(await page.locator('.provisional-note').textContent()).toContain('may still change')
      const programs = await page.locator('table.stats-table tbody tr td:nth-child(2)').allTextContents()
      expect(new Set(programs), 'the name given on the form, not the host').toEqual(
        new Set(['Lucky Star Casino']),
      )
    })

    await shots.step('chart', async () => {
      await page.locator('.chart .uplot canvas').waitFor(WAIT)
      const program = await page.locator('table.stats-table tbody tr td:nth-child(2)').first().textContent()
      expect(await page.locator('.chart .u-legend').textContent()).toContain(program)
      await page.getByLabel('Chart', { exact: true }).selectOption('clicks')
      const clicks = await page
        .locator('table.stats-table tbody tr')
        .last()
        .locator('td')
        .nth(3)
        .textContent()
      // Hovering the right edge of the plot makes uPlot's legend show the last period's value: the chart holds
      // the table's numbers. The chart is rebuilt for the new metric, so the hover is retried until it lands.
      const over = page.locator('.chart .u-over')
      await expect
        .poll(async () => {
          const box = await over.boundingBox({ timeout: 2000 }).catch(() => null)
          if (!box) return null
          await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2)
          const legend = page.locator('.chart .u-legend .u-series').nth(1).locator('.u-value')
          const value = await legend.textContent({ timeout: 2000 }).catch(() => null)
          return value?.replaceAll(',', '')
        }, WAIT)
        .toBe(clicks?.replaceAll(',', ''))
    })

    await shots.step('csv', async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download', WAIT),
        page.getByRole('button', { name: 'Download CSV' }).click(),
      ])
      const file = join(SCREENSHOT_DIR, 'connect-softswiss', 'stats.csv')
      await download.saveAs(file)
      const text = await readFile(file, 'utf8')
      expect(download.suggestedFilename()).toMatch(/^affgraph-stats-.*\.csv$/)
      expect(text.startsWith('\uFEFF')).toBe(true)
      const table = await page
        .locator('table.stats-table tr')
        .evaluateAll((rows) =>
          rows.map((row) => [...(row as HTMLTableRowElement).cells].map((c) => c.textContent)),
        )
      // The CSV has the table's cells, but figures as plain numbers: the rounded amount without symbol or
      // separators, and an empty cell where the page shows "—"; periods without the provisional mark.
      const figureColumns = new Set(['Clicks', 'Signups', 'FTDs', 'Deposits', 'Net revenue', 'Commission'])
      const header = table[0]!
      const plain = table.map((row, r) =>
        row.map((cell, i) =>
          r === 0 || !figureColumns.has(header[i]!)
            ? i === 0 && r > 0
              ? cell!.replace(/ †$/, '')
              : cell
            : cell === '—'
              ? ''
              : cell!.replace(/[^\d.-]/g, ''),
        ),
      )
      const csvRows = parse(text.slice(1), { relaxColumnCount: false }) as string[][]
      expect(csvRows).toEqual(plain)
      expect(text).not.toContain('—')
      expect(csvRows.at(-1)![header.indexOf('Commission')]).toBe(expectedCommission)
    })

    await shots.step('tags-saved', async () => {
      await page.getByRole('link', { name: 'Accounts' }).click()
      await card.getByLabel('Tags', { exact: true }).fill('casino, vip')
      await card.getByRole('button', { name: 'Save tags' }).click()
      await card.getByText('Tags saved.').waitFor(WAIT)
      const saved = await gqlAt<{ accounts: { nodes: { tags: string[] }[] } }>(
        server!,
        '{ accounts { nodes { tags } } }',
        {},
        token,
      )
      expect(saved.data?.accounts.nodes[0]?.tags).toEqual(['casino', 'vip'])
    })

    await shots.step('sync-refused', async () => {
      // The program now refuses the token: a sync records the platform's words for the user to act on.
      sim!.faults.inject('expired-token')
      await card.getByRole('button', { name: 'Sync now' }).click()
      await expect
        .poll(() => card.locator('.status').getAttribute('data-status'), { timeout: 30_000, interval: 250 })
        .toBe('AUTH_FAILED')
      expect(await card.locator('.account-error').textContent()).toMatch(/PLATFORM_AUTH_FAILED/)
      sim!.faults.clear('expired-token')
    })

    await shots.step('sync-ok-again', async () => {
      await card.getByRole('button', { name: 'Sync now' }).click()
      await expect
        .poll(
          async () => ({
            status: await card.locator('.status').getAttribute('data-status'),
            error: await card.locator('.account-error').count(),
          }),
          { timeout: 30_000, interval: 250 },
        )
        .toEqual({ status: 'OK', error: 0 })
    })

    await shots.step('disconnected', async () => {
      await card.getByRole('button', { name: 'Disconnect' }).click()
      await card.getByRole('button', { name: 'Yes, disconnect' }).click()
      await page.getByText('Disconnected Casino One.').waitFor(WAIT)
      await page.getByText('No accounts yet.').waitFor(WAIT)
    })

    expect(problemsOf(page)).toEqual([])
    await page.context().close()
  }, 60_000)

  it('given a plugin folder added to AFFGRAPH_PLUGIN_DIRS, when the server restarts, then the unchanged page renders that platform’s form and places its typed error at the field it names', async () => {
    const pluginDir = join(dataDir.path, 'plugins')
    await cp(join(FIXTURE_PLUGINS, 'valid', 'acme-partners'), join(pluginDir, 'acme-partners'), {
      recursive: true,
    })
    // As a plugin package would declare: without it, tsx imports the folder as CommonJS, the plugin gets a second
    // copy of the SDK, and its AuthError no longer reaches the API as a PlatformAuthError naming the field.
    await writeFile(join(pluginDir, 'package.json'), JSON.stringify({ type: 'module' }))
    await server?.stop()
    server = await startWebServer(port, { ...env, AFFGRAPH_PLUGIN_DIRS: pluginDir })
    acmeSim = await acmePartners.simulator.create({ seed: 'web-e2e', accounts: 1 })

    const page = await openPage()
    const shots = await screenshotRecorder(page, 'plugin-form')

    await shots.step('acme-form', async () => {
      await signIn(page)
      await page.getByRole('link', { name: 'Connect', exact: true }).click()
      await page.getByLabel('Platform', { exact: true }).selectOption({ label: 'Acme Partners' })
      await page.getByLabel('API key').waitFor(WAIT)
      const fields = await page
        .locator('.connect-form fieldset')
        .first()
        .locator('.field')
        .evaluateAll((nodes) =>
          nodes.map((node) => {
            const input = node.querySelector('input')!
            return {
              field: node.getAttribute('data-field'),
              label: node.querySelector('label')?.firstChild?.textContent,
              type: input.type,
              required: input.required,
            }
          }),
        )
      expect(fields).toEqual([
        { field: 'baseUrl', label: 'Partner portal URL', type: 'url', required: true },
        { field: 'apiKey', label: 'API key', type: 'password', required: true },
      ])
      await page.locator('[data-field="apiKey"] summary').click()
      expect(await page.locator('[data-field="apiKey"] .help').textContent()).toContain(
        'Settings → API access',
      )
    })

    await shots.step('refused-key', async () => {
      const refused = acmeSim!.invalidConnection()
      await page.getByLabel('Partner portal URL').fill(refused.baseUrl ?? acmeSim!.baseUrl)
      await page.getByLabel('API key').fill(refused.apiKey ?? '')
      await page.getByRole('button', { name: 'Test connection' }).click()
      const keyError = page.locator('[data-field="apiKey"] .field-error')
      await keyError.waitFor(WAIT)
      expect(await keyError.textContent()).toMatch(/refused the API key/)
      expect(await page.locator('[data-field="baseUrl"] .field-error').count()).toBe(0)
    })

    expect(problemsOf(page)).toEqual([])
    await page.context().close()
  }, 60_000)
})
