import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
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
import { suiteClock, testDay } from '../support/test-clock.ts'
import {
  gqlAt,
  HAS_CHROMIUM,
  launchChromium,
  SCREENSHOT_DIR,
  startWebServer,
  sumDecimals,
  type WebServer,
} from './support/browser-harness.ts'

const WAIT = { timeout: 20_000 }
const AXE_SOURCE_TEXT = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
/** The sizes every page is looked at in: a laptop and a small phone. */
const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'phone', width: 375, height: 800 },
] as const

/** Two programs of different sizes; one currency each, so converted totals are exact sums of the truth. */
const PROGRAMS = [
  { key: 'big-casino', brands: ['Brand A'], currencies: ['EUR'], campaigns: ['main'] },
  { key: 'small-casino', brands: ['Brand B'], currencies: ['EUR'], campaigns: ['main'] },
]

const sum = (rows: { [k: string]: unknown }[], key: string) =>
  rows.reduce((total, row) => total + Number(row[key] ?? 0), 0)
/** The page's delta text for a change from `before` to `now`, in en-US. */
function deltaText(now: number, before: number) {
  const rounded = Math.round(((now - before) / Math.abs(before)) * 1000) / 1000
  if (rounded === 0) return 'no change'
  return new Intl.NumberFormat('en-US', {
    style: 'percent',
    maximumFractionDigits: 1,
    signDisplay: 'always',
  }).format(rounded)
}
const eur = (amount: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(amount as unknown as number)

describe.skipIf(!HAS_CHROMIUM && !process.env.CI)(
  'the dashboard pages in Chromium against a real server',
  () => {
    let dataDir: { path: string; remove: () => Promise<void> }
    let server: WebServer | undefined
    let browser: Browser | undefined
    let sim: PlatformSimulator | undefined
    let token = ''
    const accountIds: Record<string, string> = {}

    async function gql<T>(query: string, variables: Record<string, unknown> = {}) {
      const answer = await gqlAt<T>(server!, query, variables, token)
      if (answer.errors?.length) throw new Error(JSON.stringify(answer.errors))
      return answer.data as T
    }

    /** Waits until every account has runs and none is queued or running (also from beforeAll, where poll is not allowed). */
    async function syncedAll() {
      const deadline = Date.now() + 60_000
      for (;;) {
        const { accounts } = await gql<{
          accounts: { nodes: { syncRuns: { nodes: { status: string }[] } }[] }
        }>('{ accounts { nodes { syncRuns(first: 20) { nodes { status } } } } }')
        const done = accounts.nodes.every(
          (a) =>
            a.syncRuns.nodes.length > 0 &&
            a.syncRuns.nodes.every((r) => ['SUCCEEDED', 'FAILED'].includes(r.status)),
        )
        if (done) return
        if (Date.now() > deadline) throw new Error(`syncs unfinished: ${JSON.stringify(accounts.nodes)}`)
        await new Promise((resolve) => setTimeout(resolve, 300))
      }
    }

    beforeAll(async () => {
      if (!HAS_CHROMIUM) throw new Error('CI must provide Debian Chromium at /usr/bin/chromium (see .ci/run)')
      dataDir = await makeTempDir('dashboard-e2e')
      const env = {
        AFFGRAPH_DATA_DIR: join(dataDir.path, 'data'),
        AFFGRAPH_MASTER_KEY: generateMasterKeyEntry('e2e'),
        AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
        AFFGRAPH_FX_FETCH: 'false',
        AFFGRAPH_SYNC: 'on',
        AFFGRAPH_SYNC_POLL_SECONDS: '1',
      }
      const [cli, simulator, chromium, port] = await Promise.all([
        runToCompletion('src/cli/token.cli.ts', ['create', '--workspace', 'Dashboard'], env),
        softswiss.simulator.create({ seed: 'dashboard-e2e', accounts: PROGRAMS }),
        launchChromium(),
        freePort(),
      ])
      sim = simulator
      browser = chromium
      if (cli.code !== 0) throw new Error(`token CLI failed: ${cli.stderr}`)
      token = lastLine(cli.stdout)
      server = await startWebServer(port, env)
      for (const [i, account] of sim.accounts.entries()) {
        const label = i === 0 ? 'Big Casino' : 'Small Casino'
        const { connectAccount } = await gql<{
          connectAccount: { __typename: string; account: { id: string } }
        }>(
          `mutation ($c: ConnectionInput!, $label: String!) { connectAccount(input: { connection: $c, label: $label }) {
           __typename ... on ConnectAccountSuccess { account { id } } } }`,
          { c: { softSwiss: account.connection }, label },
        )
        expect(connectAccount.__typename).toBe('ConnectAccountSuccess')
        accountIds[account.key] = connectAccount.account.id
      }
      await syncedAll()
    }, 150_000)

    afterAll(async () => {
      await browser?.close()
      await server?.stop().catch(() => undefined)
      await killAllProcesses()
      await sim?.close()
      await dataDir?.remove()
    }, 60_000)

    async function openPage(viewport: (typeof VIEWPORTS)[number] = VIEWPORTS[0]) {
      const context = await browser!.newContext({
        viewport: { width: viewport.width, height: viewport.height },
        locale: 'en-US',
        timezoneId: 'Europe/Berlin',
      })
      // The page's "today" (presets) is the suite's, like the server's.
      await context.clock.install({ time: suiteClock.now() })
      const page = await context.newPage()
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`)
      })
      await page.goto(`${server!.origin}/`)
      await page.getByLabel('API token', { exact: true }).fill(token)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('navigation', { name: 'Sections' }).waitFor(WAIT)
      return { page, problems }
    }

    /** axe-core's serious and critical findings on the page as it is now. */
    async function accessibilityProblems(page: Page) {
      // Evaluated through the debugging protocol: the page's CSP (no inline scripts) stays on while it is checked.
      if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE_TEXT)
      const found = await page.evaluate(async () => {
        const axe = (
          globalThis as unknown as {
            axe: {
              run: (
                o: unknown,
              ) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>
            }
          }
        ).axe
        const result = await axe.run({ resultTypes: ['violations'] })
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          where: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
        }))
      })
      return found.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    }

    async function shoot(page: Page, name: string) {
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'dashboard', `${name}.png`), fullPage: true })
    }

    it('given two synced programs, when the overview shows the last 7 days, then every KPI, its change against the 7 days before and each program’s row match the simulator’s ground truth', async () => {
      const { page, problems } = await openPage()
      const current = { from: testDay(-6), to: testDay(0) }
      const previous = { from: testDay(-13), to: testDay(-7) }
      const truthOf = (range: { from: string; to: string }) =>
        sim!.accounts.flatMap((a) => sim!.truth(a.key, range)) as unknown as Record<string, unknown>[]
      const now = truthOf(current)
      const before = truthOf(previous)

      await page.locator('.kpi[data-kpi="clicks"] .kpi-value').waitFor(WAIT)
      expect(await page.locator('.current-range').getAttribute('data-from')).toBe(current.from)
      expect(await page.locator('.previous-range').getAttribute('data-from')).toBe(previous.from)
      const card = (kpi: string) => page.locator(`.kpi[data-kpi="${kpi}"]`)
      for (const metric of ['clicks', 'signups', 'ftds']) {
        expect(await card(metric).locator('.kpi-value').textContent()).toBe(
          sum(now, metric).toLocaleString('en-US'),
        )
        expect(await card(metric).locator('.delta').textContent()).toContain(
          deltaText(sum(now, metric), sum(before, metric)),
        )
      }
      const commissionNow = sumDecimals(now.map((r) => r.commission as string))
      const commissionBefore = sumDecimals(before.map((r) => r.commission as string))
      expect(await card('commission').locator('.kpi-value').textContent()).toBe(eur(commissionNow))
      expect(await card('commission').locator('.delta').textContent()).toContain(
        deltaText(Number(commissionNow), Number(commissionBefore)),
      )
      expect(await card('commission').locator('.kpi-change').textContent()).toContain(eur(commissionBefore))

      // One row per program, the larger commission first, each with its own figures and change.
      const rows = page.locator('table.programs-table tbody tr')
      await expect.poll(() => rows.count(), WAIT).toBe(2)
      const perProgram = sim!.accounts.map((a) => ({
        key: a.key,
        now: sumDecimals(sim!.truth(a.key, current).map((r) => r.commission as string)),
        before: sumDecimals(sim!.truth(a.key, previous).map((r) => r.commission as string)),
      }))
      perProgram.sort((a, b) => Number(b.now) - Number(a.now))
      for (const [i, program] of perProgram.entries()) {
        const row = rows.nth(i)
        expect(await row.getAttribute('data-account-id')).toBe(accountIds[program.key])
        expect(await row.locator('td').nth(5).textContent()).toBe(eur(program.now))
        expect(await row.locator('td').nth(6).textContent()).toContain(
          deltaText(Number(program.now), Number(program.before)),
        )
        expect(await row.locator('svg.sparkline').count()).toBe(1)
      }
      // Sorting by name puts the programs in alphabetical order.
      await page.getByRole('button', { name: 'Program', exact: true }).click()
      expect(await rows.locator('.program-name').allTextContents()).toEqual(['Big Casino', 'Small Casino'])

      await page.getByLabel('Period', { exact: true }).selectOption('lastMonth')
      await expect
        .poll(() => page.locator('.current-range').getAttribute('data-to'), WAIT)
        .toBe(
          new Date(Date.UTC(Number(testDay(0).slice(0, 4)), Number(testDay(0).slice(5, 7)) - 1, 0))
            .toISOString()
            .slice(0, 10),
        )
      expect(problems).toEqual([])
      await page.context().close()
    }, 90_000)

    it('given a platform that revised a stored day, when the next sync ran, then the revisions page lists each revised figure with its old and new value and marks removed FTDs', async () => {
      const program = sim!.accounts[1]!
      const revisedDay = testDay(-3)
      const oldTruth = sim!.truth(program.key, { from: revisedDay, to: revisedDay })
      sim!.revise(program.key, revisedDay)
      const newTruth = sim!.truth(program.key, { from: revisedDay, to: revisedDay })
      const { syncAccount } = await gql<{ syncAccount: { __typename: string } }>(
        `mutation ($id: ID!) { syncAccount(input: { accountId: $id }) { __typename } }`,
        { id: accountIds[program.key] },
      )
      expect(syncAccount.__typename).toBe('SyncStarted')
      await syncedAll()
      const { changes } = await gql<{
        changes: {
          totalCount: number
          nodes: {
            metric: string
            day: string
            currency: string | null
            oldValue: string
            newValue: string
          }[]
        }
      }>('{ changes(first: 100) { totalCount nodes { metric day currency oldValue newValue } } }')
      expect(changes.totalCount).toBeGreaterThan(0)
      const ftds = changes.nodes.find((c) => c.metric === 'FTDS')
      expect(ftds?.oldValue).toBe(String(sum(oldTruth as never, 'ftds')))
      expect(ftds?.newValue).toBe(String(sum(newTruth as never, 'ftds')))

      const { page, problems } = await openPage()
      await page.getByRole('link', { name: 'Revisions' }).click()
      const rows = page.locator('table.changes-table tbody tr')
      // One line per day, program, figure and currency: the platform's rows of it summed.
      const lines = new Set(changes.nodes.map((c) => [c.day, c.metric, c.currency].join('|')))
      await expect.poll(() => rows.count(), WAIT).toBe(lines.size)
      const ftdRow = page.locator('table.changes-table tbody tr[data-metric="FTDS"]')
      const cells = await ftdRow.locator('td').allTextContents()
      expect(cells[3]).toBe(Number(ftds!.oldValue).toLocaleString('en-US'))
      expect(cells[4]).toBe(Number(ftds!.newValue).toLocaleString('en-US'))
      if (Number(ftds!.newValue) < Number(ftds!.oldValue)) expect(cells[2]).toContain('FTDs removed')
      else expect(cells[2]).not.toContain('FTDs removed')
      // Filtering by the other program leaves nothing.
      await page.getByLabel('Program', { exact: true }).selectOption({ label: 'Big Casino' })
      await page.getByText('No revisions of these days.').waitFor(WAIT)
      expect(problems).toEqual([])
      await page.context().close()
    }, 90_000)

    it('given a program that refuses its key, when it syncs, then its card says so in plain words with what to do and the overview lists it as needing attention', async () => {
      sim!.faults.inject('expired-token')
      const id = accountIds[sim!.accounts[1]!.key]
      await gql(`mutation ($id: ID!) { syncAccount(input: { accountId: $id }) { __typename } }`, { id })
      const { page, problems } = await openPage()
      await page.getByRole('link', { name: 'Accounts', exact: true }).click()
      const card = page.locator(`article.account[data-account-id="${id}"]`)
      // The list follows a running sync on its own; after that, a reload shows the outcome.
      await expect
        .poll(
          async () => {
            const state = {
              status: await card.locator('.status').getAttribute('data-status'),
              advice: await card
                .locator('.account-error strong')
                .textContent({ timeout: 500 })
                .catch(() => null),
            }
            if (state.status !== 'AUTH_FAILED') await page.reload()
            return state
          },
          { timeout: 30_000, interval: 500 },
        )
        .toEqual({ status: 'AUTH_FAILED', advice: 'The program refused this account’s credentials.' })
      expect(await card.locator('.zone-line').textContent()).toContain('UTC')
      await card.locator('summary', { hasText: 'Recent syncs' }).click()
      expect(await card.locator('.runs-table tbody tr').count()).toBeGreaterThan(0)
      await page.getByRole('link', { name: 'Overview' }).click()
      await expect
        .poll(() => page.locator('.attention').textContent({ timeout: 5_000 }), WAIT)
        .toContain('Small Casino')
      expect(await page.locator('.attention').textContent()).not.toContain('Big Casino')
      sim!.faults.clear('expired-token')

      // The user pastes the key again through "Replace credentials": the account is OK with its history kept.
      await page.getByRole('link', { name: 'Accounts', exact: true }).click()
      await card.getByRole('button', { name: 'Replace credentials' }).click()
      await page.getByRole('heading', { name: 'New credentials for Small Casino' }).waitFor(WAIT)
      expect(await page.getByLabel('Platform', { exact: true }).isDisabled()).toBe(true)
      const small = sim!.accounts[1]!.connection
      await page.getByLabel('Partner dashboard URL').fill(small.baseUrl ?? '')
      await page.getByLabel('Statistic token').fill(small.token ?? '')
      await page.getByRole('button', { name: 'Save new credentials' }).click()
      await page.getByText('Saved new credentials for Small Casino').waitFor(WAIT)
      await expect.poll(() => card.locator('.status').getAttribute('data-status'), WAIT).toBe('OK')
      expect(await page.content(), 'the secret is never shown back').not.toContain(small.token)

      // "Sync now" on the other program: the card follows the run over the subscription to its outcome.
      await page.getByRole('link', { name: 'Accounts', exact: true }).click()
      const big = page.locator(`article.account[data-account-id="${accountIds[sim!.accounts[0]!.key]}"]`)
      await big.getByRole('button', { name: 'Sync now' }).click()
      const finished = big.locator('.sync-finished')
      await finished.waitFor({ timeout: 30_000 })
      const { account } = await gql<{
        account: { syncRuns: { nodes: { kind: string; rowsWritten: number }[] } }
      }>('query ($id: ID!) { account(id: $id) { syncRuns(first: 1) { nodes { kind rowsWritten } } } }', {
        id: accountIds[sim!.accounts[0]!.key],
      })
      expect(account.syncRuns.nodes[0]?.kind).toBe('MANUAL')
      expect(await finished.textContent()).toContain(
        `${account.syncRuns.nodes[0]!.rowsWritten.toLocaleString('en-US')} rows`,
      )
      expect(problems).toEqual([])
      await page.context().close()
    }, 90_000)

    it('given the workspace page, when a token is created and then revoked, then its value is shown once and the API refuses it afterwards', async () => {
      const { page, problems } = await openPage()
      await page.getByRole('link', { name: 'Workspace' }).click()
      await page.getByLabel('Name', { exact: true }).fill('Spreadsheet')
      await page.getByRole('button', { name: 'Create token' }).click()
      const value = (await page.locator('.token-value').textContent({ timeout: 20_000 })) ?? ''
      expect(value).toMatch(/^agk_/)
      expect((await gqlAt(server!, '{ viewer { workspace { name } } }', {}, value)).errors).toBeUndefined()
      await page.getByRole('button', { name: 'Done' }).click()
      expect(await page.content()).not.toContain(value)
      await page.getByRole('button', { name: 'Revoke Spreadsheet' }).click()
      await page.getByRole('button', { name: 'Yes, revoke' }).click()
      await page.getByText('Revoked Spreadsheet.').waitFor(WAIT)
      expect(
        (await gqlAt(server!, '{ viewer { workspace { name } } }', {}, value)).errors?.length,
      ).toBeGreaterThan(0)
      expect(problems).toEqual([])
      await page.context().close()
    }, 60_000)

    it('given every page at 1366×900 and 375×800, when axe-core checks it, then it finds no serious or critical violation, and a screenshot of each is written', async () => {
      const found: Record<string, unknown> = {}
      for (const viewport of VIEWPORTS) {
        const { page, problems } = await openPage(viewport)
        for (const section of [
          'overview',
          'stats',
          'revisions',
          'accounts',
          'connect',
          'import',
          'workspace',
        ]) {
          await page.evaluate((s) => {
            location.hash = s
          }, section)
          await page.locator(`[aria-current="page"][href="#${section}"]`).waitFor(WAIT)
          await page.waitForLoadState('networkidle')
          if (section === 'overview') await page.locator('.kpi').first().waitFor(WAIT)
          if (section === 'stats') await page.locator('table.stats-table').waitFor(WAIT)
          const violations = await accessibilityProblems(page)
          if (violations.length) found[`${section}@${viewport.name}`] = violations
          await shoot(page, `${section}-${viewport.width}x${viewport.height}`)
        }
        expect(problems).toEqual([])
        await page.context().close()
      }
      expect(found).toEqual({})
    }, 120_000)
  },
)
