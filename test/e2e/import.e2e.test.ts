import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import { generateMasterKeyEntry } from '../../src/crypto/master-key.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import {
  freePort,
  killAllProcesses,
  lastLine,
  makeTempDir,
  runToCompletion,
} from '../server/support/affgraph-process.ts'
import {
  gqlAt,
  HAS_CHROMIUM,
  launchChromium,
  SCREENSHOT_DIR,
  screenshotRecorder,
  startWebServer,
  type WebServer,
} from './support/browser-harness.ts'

const WAIT = { timeout: 20_000 }

interface AccountsData {
  accounts: { nodes: { label: string; platformId: string; tags: string[] }[] }
}
interface PlatformsData {
  platforms: { id: string; connectionFields: { name: string }[] }[]
}

describe.skipIf(!HAS_CHROMIUM && !process.env.CI)(
  'the Import section in Chromium against a real server',
  () => {
    let dataDir: { path: string; remove: () => Promise<void> }
    let server: WebServer | undefined
    let browser: Browser | undefined
    let sim: PlatformSimulator | undefined
    let token = ''

    beforeAll(async () => {
      if (!HAS_CHROMIUM) throw new Error('CI must provide Debian Chromium at /usr/bin/chromium (see .ci/run)')
      dataDir = await makeTempDir('web-import-e2e')
      // Syncing is off: what is under test is the import itself, and a backfill would only compete for the CPU.
      const env = {
        AFFGRAPH_DATA_DIR: join(dataDir.path, 'data'),
        AFFGRAPH_MASTER_KEY: generateMasterKeyEntry('e2e'),
        AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
        AFFGRAPH_FX_FETCH: 'false',
        AFFGRAPH_SYNC: 'off',
      }
      const [cli, simulator, chromium, port] = await Promise.all([
        runToCompletion('src/cli/token.cli.ts', ['create', '--workspace', 'Import'], env),
        softswiss.simulator.create({ seed: 'web-import-e2e', accounts: 1 }),
        launchChromium(),
        freePort(),
      ])
      sim = simulator
      browser = chromium
      if (cli.code !== 0) throw new Error(`token CLI failed: ${cli.stderr}`)
      token = lastLine(cli.stdout)
      server = await startWebServer(port, env)
    }, 120_000)

    afterAll(async () => {
      await browser?.close()
      await server?.stop().catch(() => undefined)
      await killAllProcesses()
      await sim?.close()
      await dataDir?.remove()
    }, 60_000)

    const accounts = async () =>
      (await gqlAt<AccountsData>(server!, '{ accounts { nodes { label platformId tags } } }', {}, token)).data
        ?.accounts.nodes

    it('given a CSV with a valid SoftSwiss row and a malformed token, when it is checked then imported, then the check stores nothing, the import stores the valid row, and Accounts lists it', async () => {
      const context = await browser!.newContext({
        viewport: { width: 1100, height: 900 },
        acceptDownloads: true,
      })
      const page = await context.newPage()
      // Any script error or CSP violation is a failure of the page, whatever the test looks at.
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`)
      })
      const shots = await screenshotRecorder(page, 'import-accounts')
      const validToken = sim!.accounts[0]!.connection.token ?? ''
      const badToken = 'too-short'
      const csv = [
        'platform,label,tags,baseUrl,token',
        `softswiss,Imported Casino,casino;imported,${sim!.baseUrl},${validToken}`,
        `softswiss,Broken Casino,,${sim!.baseUrl},${badToken}`,
      ].join('\n')
      const summary = page.locator('.import-summary')
      const row = (line: number) => page.locator(`table.import-table tr[data-line="${line}"]`)
      const results = page.locator('.import-results')

      await shots.step('import-section', async () => {
        await page.goto(`${server!.origin}/`)
        await page.getByLabel('API token', { exact: true }).fill(token)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.getByText('No accounts yet.').waitFor(WAIT)
        await page.getByRole('link', { name: 'Import', exact: true }).click()
        await page.getByRole('heading', { name: 'Import accounts' }).waitFor(WAIT)
        expect(await page.getByLabel('CSV file', { exact: true }).getAttribute('accept')).toBe(
          '.csv,text/csv',
        )
      })

      const template = join(SCREENSHOT_DIR, 'import-accounts', 'template.csv')
      await shots.step('template', async () => {
        const [download] = await Promise.all([
          page.waitForEvent('download', WAIT),
          page.getByRole('button', { name: 'Download template' }).click(),
        ])
        await download.saveAs(template)
        const [header, ...rows] = parse(
          (await readFile(template, 'utf8')).replace(/^\uFEFF/, ''),
        ) as string[][]
        const { platforms } = (
          await gqlAt<PlatformsData>(server!, '{ platforms { id connectionFields { name } } }', {}, token)
        ).data!
        const fields = new Set(platforms.flatMap((p) => p.connectionFields.map((f) => f.name)))
        expect(header).toEqual(['platform', 'label', 'tags', ...fields])
        expect(rows.map((r) => r[0])).toEqual(platforms.map((p) => p.id))
      })

      await shots.step('template-file-checked', async () => {
        // The untouched template, chosen as a file: every starter row lacks its credentials, and says which.
        await page.getByLabel('CSV file', { exact: true }).setInputFiles(template)
        expect(await page.getByLabel('CSV text', { exact: true }).isDisabled()).toBe(true)
        await page.getByRole('button', { name: 'Check', exact: true }).click()
        await summary.getByText(/^Check: 0 rows would be imported/).waitFor(WAIT)
        const faults = await page.locator('table.import-table tbody tr .import-columns-at-fault').count()
        expect(faults).toBe(await page.locator('table.import-table tbody tr').count())
        expect(faults).toBeGreaterThan(1)
        await page.getByRole('button', { name: 'Remove file' }).click()
        expect(await page.getByLabel('CSV file', { exact: true }).inputValue()).toBe('')
        expect(await results.getAttribute('class')).toContain('stale')
      })

      await shots.step('file-error', async () => {
        await page.getByLabel('CSV text', { exact: true }).fill('platform,label\n"never closed')
        await page.getByRole('button', { name: 'Check', exact: true }).click()
        const alert = page.locator('.import-form [role="alert"]')
        await alert.waitFor(WAIT)
        expect(await alert.textContent()).toMatch(/quoted cell that is never closed.*IMPORT_CSV_INVALID/)
      })

      await shots.step('checked', async () => {
        await page.getByLabel('CSV text', { exact: true }).fill(csv)
        expect(await page.locator('.import-form [role="alert"]').count(), 'editing clears it').toBe(0)
        await page.getByRole('button', { name: 'Check', exact: true }).click()
        await summary.getByText('Check: 1 row would be imported, 1 failed. Nothing was stored.').waitFor(WAIT)
        expect(await results.getAttribute('class')).not.toContain('stale')
        expect(await row(2).locator('td').allTextContents()).toEqual([
          '2',
          'SoftSwiss (Affilka)',
          'Imported Casino',
          expect.stringContaining('✓ Would be imported'),
        ])
        expect(await row(3).locator('.import-error').textContent()).toMatch(
          /does not look like a statistic token/,
        )
        expect(await row(3).locator('.import-columns-at-fault').textContent()).toBe('Column: token')
        expect(await accounts(), 'a check stores nothing').toEqual([])
        expect(await results.textContent()).not.toContain(validToken)
        expect(await results.textContent()).not.toContain(badToken)
      })

      await shots.step('imported', async () => {
        await page.getByRole('button', { name: 'Import', exact: true }).click()
        await summary.getByText('Imported 1 account; 1 row failed.').waitFor(WAIT)
        expect(await row(2).locator('.import-ok').textContent()).toBe('✓ Imported')
        expect(await row(3).locator('.import-columns-at-fault').textContent()).toBe('Column: token')
        expect(await accounts()).toEqual([
          { label: 'Imported Casino', platformId: 'softswiss', tags: ['casino', 'imported'] },
        ])
        expect(
          await page.getByLabel('CSV text', { exact: true }).inputValue(),
          'credentials leave the page',
        ).toBe('')
        expect(await page.content()).not.toContain(validToken)
      })

      await shots.step('accounts', async () => {
        await page.getByRole('link', { name: 'Accounts', exact: true }).click()
        const card = page.locator('article.account', { hasText: 'Imported Casino' })
        await card.waitFor(WAIT)
        expect(await card.getByLabel('Tags', { exact: true }).inputValue()).toBe('casino, imported')
        expect(await page.locator('article.account').count()).toBe(1)
      })

      expect(problems).toEqual([])
      await context.close()
    }, 40_000)
  },
)
