import { readFile, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import cellxpert from '../../plugins/cellxpert/index.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { suiteClock, testDay } from '../support/test-clock.ts'
import {
  type BrowserSuite,
  gqlAt,
  HAS_CHROMIUM,
  SCREENSHOT_DIR,
  startBrowserSuite,
} from './support/browser-harness.ts'

const WAIT = { timeout: 20_000 }
const AXE_SOURCE_TEXT = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'phone', width: 375, height: 800 },
] as const

/** The month `back` months before the suite's today, YYYY-MM. */
function monthBack(back: number): string {
  const [y, m] = testDay(0).split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m - 1 - back, 1)).toISOString().slice(0, 7)
}
const addDaysTo = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
const lastDay = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10)
}
const eur = (amount: number) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR', signDisplay: 'auto' }).format(amount)

describe.skipIf(!HAS_CHROMIUM && !process.env.CI)(
  'the Payments section in Chromium against a real server',
  () => {
    let suite: BrowserSuite | undefined
    let sim: PlatformSimulator | undefined
    const paidMonth = monthBack(2)

    async function gql<T>(query: string, variables: Record<string, unknown> = {}) {
      const answer = await gqlAt<T>(suite!.server, query, variables, suite!.token)
      if (answer.errors?.length) throw new Error(JSON.stringify(answer.errors))
      return answer.data as T
    }

    beforeAll(async () => {
      if (!HAS_CHROMIUM) throw new Error('CI must provide Debian Chromium at /usr/bin/chromium (see .ci/run)')
      ;[suite, sim] = await Promise.all([
        startBrowserSuite({
          label: 'web-payments-e2e',
          workspace: 'Payments',
          env: { AFFGRAPH_SYNC: 'on', AFFGRAPH_SYNC_POLL_SECONDS: '1' },
        }),
        // Scripted days: 30 FTDs of which the program counted 24 as qualified, and 2300 EUR of commission.
        cellxpert.simulator.create({
          seed: 'web-payments-e2e',
          clock: suiteClock,
          accounts: [
            {
              key: 'tidewater',
              brands: ['Tidewater'],
              currencies: ['EUR'],
              scripted: {
                [`${paidMonth}-03`]: { ftds: 12, cpaCount: 10, commission: '1000' },
                [`${paidMonth}-17`]: { ftds: 18, cpaCount: 14, commission: '1300' },
              },
            },
          ],
        }),
      ])
      const { connectAccount } = await gql<{ connectAccount: { __typename: string } }>(
        `mutation ($c: ConnectionInput!) { connectAccount(input: { connection: $c, label: "Tidewater" }) {
         __typename } }`,
        { c: { cellxpert: sim.accounts[0]!.connection } },
      )
      expect(connectAccount.__typename).toBe('ConnectAccountSuccess')
      const deadline = Date.now() + 90_000
      for (;;) {
        const { accounts } = await gql<{
          accounts: { nodes: { syncRuns: { nodes: { status: string }[] } }[] }
        }>('{ accounts { nodes { syncRuns(first: 20) { nodes { status } } } } }')
        const runs = accounts.nodes.flatMap((a) => a.syncRuns.nodes)
        if (runs.length > 0 && runs.every((r) => ['SUCCEEDED', 'FAILED'].includes(r.status))) break
        if (Date.now() > deadline) throw new Error(`syncs unfinished: ${JSON.stringify(runs)}`)
        await new Promise((resolve) => setTimeout(resolve, 300))
      }
    }, 150_000)

    afterAll(async () => {
      await suite?.close()
      await sim?.close()
    }, 60_000)

    async function openPayments(viewport: (typeof VIEWPORTS)[number] = VIEWPORTS[0]) {
      const context = await suite!.browser.newContext({
        viewport: { width: viewport.width, height: viewport.height },
        locale: 'en-US',
        timezoneId: 'Europe/Berlin',
        acceptDownloads: true,
      })
      await context.clock.install({ time: suiteClock.now() })
      const page = await context.newPage()
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`)
      })
      await suite!.signIn(page)
      await page.getByRole('link', { name: 'Payments', exact: true }).click()
      await page.getByRole('heading', { name: 'Payments', exact: true }).waitFor(WAIT)
      return { page, problems }
    }

    async function accessibilityProblems(page: Page) {
      if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE_TEXT)
      const found = await page.evaluate(async () => {
        const axe = (
          globalThis as unknown as {
            axe: {
              run: () => Promise<{
                violations: { id: string; impact: string; nodes: { target: string[] }[] }[]
              }>
            }
          }
        ).axe
        const result = await axe.run()
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          where: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
        }))
      })
      return found.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    }

    const shoot = async (page: Page, name: string) => {
      await mkdir(join(SCREENSHOT_DIR, 'payments'), { recursive: true })
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'payments', `${name}.png`), fullPage: true })
    }

    const rowOf = (page: Page) => page.locator('.pay-table tbody tr.pay-row').filter({ hasText: 'Tidewater' })

    it('given a synced program, when the user records its deal and a short payment in the page, then the table shows owed, expected, the difference and what is still outstanding, and the CSV says the same', async () => {
      const { page, problems } = await openPayments()
      const row = rowOf(page).first()
      await row.waitFor(WAIT)
      // Owed = reported 1000 + 1300 = 2300; nothing paid; due the month's last day + 30 days.
      const due = addDaysTo(lastDay(paidMonth), 30)
      const overdue = testDay(0) > due
      expect(await row.locator('td').nth(2).textContent()).toContain(eur(2300))
      expect(await row.locator('.badge').textContent()).toMatch(overdue ? /^Overdue/ : /^Not due yet/)
      await shoot(page, 'desktop-before-deal')

      // The deal: CPA 100 per qualified FTD (first deposit at least 20), from the month's 1st.
      await page.getByLabel('In force from').fill(`${paidMonth}-01`)
      await page.getByLabel('CPA per qualified FTD').fill('100')
      await page.getByLabel('Minimum first deposit').fill('20')
      await page.getByLabel('Source of the terms').fill('IO signed by both sides')
      await page.getByRole('button', { name: 'Save terms' }).click()
      await page.locator('.deal-versions li').first().waitFor(WAIT)
      expect(await page.locator('.deal-versions li').first().textContent()).toContain(
        `CPA ${eur(100)} (first deposit ≥ ${eur(20)})`,
      )
      // Expected 24 qualified × 100 = 2400; reported − expected = −100.
      await expect.poll(() => row.locator('td').nth(3).textContent(), WAIT).toContain(eur(2400))
      expect(await row.locator('td').nth(4).textContent()).toBe(eur(-100))

      // A payment 150 short of the 2300 owed.
      await page.getByLabel('For month').fill(paidMonth)
      await page.getByLabel('Amount', { exact: true }).fill('2150')
      await page.getByLabel('Paid on').fill(addDaysTo(lastDay(paidMonth), 20))
      await page.getByLabel('Reference').fill('BANK-7781')
      await page.getByRole('button', { name: 'Record payment' }).click()
      await expect.poll(() => row.locator('.badge').textContent(), WAIT).toMatch(/^Paid short/)
      expect(await row.locator('td').nth(5).textContent()).toContain(eur(2150))
      expect(await row.locator('td').nth(6).textContent()).toContain(eur(150))

      // The row opens on its reasons and payments.
      await row.getByRole('button', { name: /Tidewater/ }).click()
      const details = page.locator('.pay-details')
      await details.waitFor(WAIT)
      expect(await details.textContent()).toContain('BANK-7781')
      expect(await details.textContent()).toMatch(/6 FTDs/)
      await shoot(page, 'desktop-short-payment')

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ])
      const text = await promisify(readFile)((await download.path()) as string, 'utf8')
      const [header, ...lines] = text
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n')
      const columns = header!.split(',')
      const line = lines
        .map((l) => l.split(','))
        .find((cells) => cells[columns.indexOf('month')] === paidMonth)!
      expect(
        ['status', 'owed', 'expected', 'difference', 'paid', 'outstanding'].map(
          (c) => line[columns.indexOf(c)],
        ),
      ).toEqual(['SHORT', '2300.00', '2400.00', '-100.00', '2150.00', '150.00'])

      expect(await accessibilityProblems(page)).toEqual([])
      expect(problems).toEqual([])
      await page.context().close()
    }, 120_000)

    it('given the recorded deal and payment, when the page is read on a phone, then it fits and stays accessible', async () => {
      const { page, problems } = await openPayments(VIEWPORTS[1])
      await rowOf(page).first().waitFor(WAIT)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow).toBeLessThanOrEqual(1)
      await shoot(page, 'phone')
      expect(await accessibilityProblems(page)).toEqual([])
      expect(problems).toEqual([])
      // The API agrees with what the page showed.
      const { reconciliation } = await gql<{ reconciliation: { rows: { month: string; status: string }[] } }>(
        'query ($m: String!) { reconciliation(fromMonth: $m, toMonth: $m) { rows { month status } } }',
        { m: paidMonth },
      )
      expect(reconciliation.rows).toEqual([{ month: paidMonth, status: 'SHORT' }])
      await page.context().close()
    }, 90_000)
  },
)
