import { createHmac, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import softswiss from '../../plugins/softswiss/index.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import {
  type BrowserSuite,
  gqlAt,
  HAS_CHROMIUM,
  SCREENSHOT_DIR,
  startBrowserSuite,
} from './support/browser-harness.ts'

const WAIT = { timeout: 20_000 }

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** A webhook receiver on loopback (the suite's outbound allowlist lets the server reach 127.0.0.1). */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/affgraph-hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** The check docs/alerts.md tells receivers to make, written from that page rather than from the server's code. */
function signatureValid(message: Received, secret: string): boolean {
  const timestamp = String(message.headers['x-affgraph-timestamp'] ?? '')
  const signature = String(message.headers['x-affgraph-signature'] ?? '')
  if (!/^\d+$/.test(timestamp) || !signature.startsWith('v1=')) return false
  const expected = createHmac('sha256', secret).update(`${timestamp}.${message.body}`).digest('hex')
  const given = signature.slice(3)
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
}
const AXE_SOURCE_TEXT = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'phone', width: 375, height: 800 },
] as const

describe.skipIf(!HAS_CHROMIUM && !process.env.CI)(
  'the Alerts section in Chromium against a real server',
  () => {
    let suite: BrowserSuite | undefined
    let sim: PlatformSimulator | undefined
    let accountId = ''

    async function gql<T>(query: string, variables: Record<string, unknown> = {}) {
      const answer = await gqlAt<T>(suite!.server, query, variables, suite!.token)
      if (answer.errors?.length) throw new Error(JSON.stringify(answer.errors))
      return answer.data as T
    }

    const createRule = (input: Record<string, unknown>) =>
      gql<{ createAlertRule: { __typename: string } }>(
        'mutation ($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { __typename } }',
        { input },
      )

    /** The first history is in, so no run that began before the key was refused can end after it and reset the status. */
    async function firstHistoryDone() {
      const deadline = Date.now() + 60_000
      for (;;) {
        const { account } = await gql<{ account: { syncRuns: { nodes: { status: string }[] } } }>(
          'query ($id: ID!) { account(id: $id) { syncRuns(first: 50) { nodes { status } } } }',
          { id: accountId },
        )
        const runs = account.syncRuns.nodes
        if (runs.length > 0 && runs.every((r) => ['SUCCEEDED', 'FAILED'].includes(r.status))) return
        if (Date.now() > deadline) throw new Error(`syncs unfinished: ${JSON.stringify(runs)}`)
        await new Promise((resolve) => setTimeout(resolve, 300))
      }
    }

    beforeAll(async () => {
      if (!HAS_CHROMIUM) throw new Error('CI must provide Debian Chromium at /usr/bin/chromium (see .ci/run)')
      ;[suite, sim] = await Promise.all([
        // Syncing on: alert events are published by the sync service, which the live list listens to.
        startBrowserSuite({
          label: 'web-alerts-e2e',
          workspace: 'Alerts',
          env: { AFFGRAPH_SYNC: 'on', AFFGRAPH_SYNC_POLL_SECONDS: '1' },
        }),
        softswiss.simulator.create({ seed: 'web-alerts-e2e', accounts: 1 }),
      ])
      const { connectAccount } = await gql<{
        connectAccount: { __typename: string; account: { id: string } }
      }>(
        `mutation ($c: ConnectionInput!) { connectAccount(input: { connection: $c, label: "Lucky Star" }) {
         __typename ... on ConnectAccountSuccess { account { id } } } }`,
        { c: { softSwiss: sim.accounts[0]!.connection } },
      )
      expect(connectAccount.__typename).toBe('ConnectAccountSuccess')
      accountId = connectAccount.account.id
      await firstHistoryDone()
      // The program starts refusing the key; the check records it on the account, and syncs keep failing alike.
      sim.faults.inject('expired-token')
      await gql('mutation ($id: ID!) { checkAccount(input: { accountId: $id }) { __typename } }', {
        id: accountId,
      })
      const { account } = await gql<{ account: { status: string } }>(
        'query ($id: ID!) { account(id: $id) { status } }',
        {
          id: accountId,
        },
      )
      expect(account.status).toBe('AUTH_FAILED')
      expect(
        (await createRule({ kind: 'CREDENTIALS_REFUSED', name: 'Keys refused' })).createAlertRule.__typename,
      ).toBe('CreateAlertRuleSuccess')
    }, 120_000)

    afterAll(async () => {
      await suite?.close()
      await sim?.close()
    }, 60_000)

    async function openAlerts(viewport: (typeof VIEWPORTS)[number] = VIEWPORTS[0]) {
      const context = await suite!.browser.newContext({
        viewport: { width: viewport.width, height: viewport.height },
        locale: 'en-US',
        timezoneId: 'Europe/Berlin',
      })
      const page = await context.newPage()
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`)
      })
      await suite!.signIn(page)
      await page.getByRole('link', { name: 'Alerts', exact: true }).click()
      await page.getByRole('heading', { name: /^Alerts/ }).waitFor(WAIT)
      return { page, problems }
    }

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

    const shoot = async (page: Page, name: string) => {
      await mkdir(join(SCREENSHOT_DIR, 'alerts'), { recursive: true })
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'alerts', `${name}.png`), fullPage: true })
    }

    it('given an account whose key the program refuses and a rule watching for it, when the user opens Alerts, then the alert shows with its title, and the Overview counts it', async () => {
      const { page, problems } = await openAlerts()
      const alert = page.locator('.alert-list .alert').first()
      await alert.waitFor(WAIT)
      expect(await alert.locator('.alert-title').textContent()).toBe(
        'Lucky Star: the platform refuses the stored credentials',
      )
      expect(await alert.locator('.badge').first().textContent()).toBe('Credentials refused')
      expect(await page.getByTestId('open-count').textContent()).toBe('1 open')
      expect(await alert.textContent()).toContain('rule “Keys refused”')

      // A rule made elsewhere (another tab, the API) fires while the page is open: the list follows it live.
      await createRule({ kind: 'CREDENTIALS_REFUSED', name: 'Second pair of eyes' })
      await expect.poll(() => page.locator('.alert-list .alert').count(), WAIT).toBe(2)
      await page.locator('.alert-fresh').waitFor(WAIT)
      expect(await page.getByRole('status').filter({ hasText: 'New or updated alert' }).count()).toBe(1)

      await page.getByRole('link', { name: 'Overview', exact: true }).click()
      const banner = page.locator('.open-alerts')
      await banner.waitFor(WAIT)
      expect(await banner.textContent()).toContain('2 open alerts')
      await banner.getByRole('link', { name: 'Open alerts' }).click()
      await page.getByRole('heading', { name: /^Alerts/ }).waitFor(WAIT)
      expect(problems).toEqual([])
      await page.context().close()
    }, 90_000)

    it('given the new-rule form, when the user picks a kind, sets a threshold out of range and then a good one, then the API’s error shows beside the field and the created rule is listed in words', async () => {
      const { page, problems } = await openAlerts()
      await page.getByRole('button', { name: 'New rule' }).click()
      await page.getByLabel(/^Sync stale/).check()
      const hours = page.getByLabel('Hours without a successful sync')
      expect(await hours.inputValue()).toBe('24')
      await page.getByLabel('Name').fill('Stale for two days')
      await hours.fill('5000')
      await page.getByRole('button', { name: 'Create rule' }).click()
      const fieldError = page.locator('#rule-staleHours-error')
      await fieldError.waitFor(WAIT)
      expect(await hours.getAttribute('aria-describedby')).toContain('rule-staleHours-error')
      await hours.fill('48')
      await page.getByLabel('These accounts').check()
      await page
        .getByRole('group', { name: 'Accounts to watch' })
        .getByLabel(/Lucky Star/)
        .check()
      expect(await page.getByRole('group', { name: 'Deliver to' }).count()).toBe(1)
      await page.getByRole('button', { name: 'Create rule' }).click()
      const rule = page.locator('.rule', { hasText: 'Stale for two days' })
      await rule.waitFor(WAIT)
      expect(await rule.textContent()).toContain('No successful sync for 48 hours')
      expect(await rule.textContent()).toContain('Watches: Lucky Star')

      // Switched off, then deleted after a confirmation.
      await rule.getByRole('checkbox').uncheck()
      await expect.poll(() => rule.getAttribute('class'), WAIT).toContain('rule-off')
      await rule.getByRole('button', { name: 'Delete rule Stale for two days' }).click()
      await rule.getByRole('button', { name: 'Yes, delete' }).click()
      await expect.poll(() => page.locator('.rule', { hasText: 'Stale for two days' }).count(), WAIT).toBe(0)
      expect(problems).toEqual([])
      await page.context().close()
    }, 90_000)

    it('given every view at 1366×900 and 375×800, when axe-core checks it, then it finds no serious or critical violation, and a screenshot of each is written', async () => {
      for (const viewport of VIEWPORTS) {
        const { page, problems } = await openAlerts(viewport)
        await page.locator('.alert-list .alert').first().waitFor(WAIT)
        expect(await accessibilityProblems(page), `alerts at ${viewport.name}`).toEqual([])
        await shoot(page, `alerts-${viewport.name}`)
        await page.getByRole('button', { name: 'New rule' }).click()
        await page.getByLabel(/^Traffic change/).check()
        expect(await accessibilityProblems(page), `new rule at ${viewport.name}`).toEqual([])
        await shoot(page, `new-rule-${viewport.name}`)
        expect(
          await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
          `no sideways scrolling at ${viewport.name}`,
        ).toBe(true)
        expect(problems).toEqual([])
        await page.context().close()
      }
    }, 90_000)

    it('given a webhook receiver on loopback, when the user adds it as a destination, sends a test and picks it in a rule, then the secret shows once, the receiver gets one signed POST, and the rule and its alert say where they deliver', async () => {
      const receiver = await startReceiver()
      try {
        const { page, problems } = await openAlerts()
        const panel = page.getByRole('region', { name: 'Destinations' })
        await panel.getByText('No destinations yet').waitFor(WAIT)

        // A private address is refused by the API, and its words show beside the URL field.
        await panel.getByRole('button', { name: 'Add destination' }).click()
        expect(await panel.getByRole('radio', { name: /^Webhook/ }).isChecked()).toBe(true)
        await panel.getByLabel('Name').fill('Ops hook')
        const url = panel.getByLabel('Webhook URL')
        expect(await url.getAttribute('type')).toBe('password')
        await url.fill('http://10.0.0.1/hook')
        await panel.getByRole('button', { name: 'Add destination' }).click()
        const urlError = panel.locator('#destination-url-error')
        await urlError.waitFor(WAIT)
        expect(await url.getAttribute('aria-describedby')).toContain('destination-url-error')
        expect(await urlError.textContent()).toBeTruthy()

        await url.fill(receiver.url)
        await panel.getByRole('button', { name: 'Add destination' }).click()
        const secretBox = panel.getByLabel('Signing secret')
        await secretBox.waitFor(WAIT)
        const secret = await secretBox.inputValue()
        expect(secret.length).toBeGreaterThanOrEqual(16)
        expect(await panel.textContent()).toContain('X-Affgraph-Signature')
        expect(await panel.getByRole('link').count()).toBe(0)
        const row = panel.locator('.destination', { hasText: 'Ops hook' })
        await row.waitFor(WAIT)
        expect(await row.textContent()).toContain('Webhook')
        expect(await row.textContent()).toContain('127.0.0.1')
        expect(await row.textContent()).not.toContain('affgraph-hook')
        expect(await accessibilityProblems(page), 'destinations with the secret shown').toEqual([])
        await shoot(page, 'destinations-secret-desktop')
        await panel.getByRole('button', { name: 'Done' }).click()
        expect(await panel.getByLabel('Signing secret').count()).toBe(0)

        await row.getByRole('button', { name: 'Send test to Ops hook' }).click()
        await expect.poll(() => row.locator('.test-result').textContent(), WAIT).toBe('Test delivered')
        await expect.poll(() => receiver.received.length, WAIT).toBe(1)
        const [message] = receiver.received
        expect(message!.headers['content-type']).toContain('application/json')
        expect(signatureValid(message!, secret)).toBe(true)
        expect(signatureValid(message!, `${secret}x`)).toBe(false)

        // Picked in the new-rule form, it is where the rule delivers.
        await page.getByRole('button', { name: 'New rule' }).click()
        await page.getByLabel(/^Credentials refused/).check()
        await page.getByLabel('Name', { exact: true }).first().fill('Keys refused, to ops')
        await page
          .getByRole('group', { name: 'Deliver to' })
          .getByLabel(/Ops hook/)
          .check()
        await page.getByRole('button', { name: 'Create rule' }).click()
        const rule = page.locator('.rule', { hasText: 'Keys refused, to ops' })
        await rule.waitFor(WAIT)
        expect(await rule.textContent()).toContain('Delivers to: Ops hook (Webhook)')

        // The rule fires at once on the refused key; its alert goes to the receiver and says so in the list.
        await expect.poll(() => receiver.received.length, WAIT).toBe(2)
        expect(signatureValid(receiver.received[1]!, secret)).toBe(true)
        const alert = page.locator('.alert-list .alert', { hasText: 'rule “Keys refused, to ops”' })
        await expect
          .poll(async () => {
            await page.getByRole('link', { name: 'Overview', exact: true }).click()
            await page.getByRole('link', { name: 'Alerts', exact: true }).click()
            await alert.first().waitFor(WAIT)
            return alert.first().locator('.delivery-line').textContent()
          }, WAIT)
          .toBe('Delivered to Ops hook')
        expect(problems).toEqual([])
        await page.context().close()

        for (const viewport of VIEWPORTS) {
          const view = await openAlerts(viewport)
          const destinations = view.page.getByRole('region', { name: 'Destinations' })
          await destinations.locator('.destination').first().waitFor(WAIT)
          await destinations.getByRole('button', { name: 'Add destination' }).click()
          await destinations.getByRole('radio', { name: /^Email/ }).check()
          expect(await accessibilityProblems(view.page), `destinations at ${viewport.name}`).toEqual([])
          expect(
            await view.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
            `no sideways scrolling at ${viewport.name}`,
          ).toBe(true)
          await mkdir(join(SCREENSHOT_DIR, 'alerts'), { recursive: true })
          await destinations.screenshot({
            path: join(SCREENSHOT_DIR, 'alerts', `destinations-${viewport.name}.png`),
          })
          await view.page.getByRole('button', { name: 'New rule' }).click()
          const deliverTo = view.page.getByRole('group', { name: 'Deliver to' })
          expect(await deliverTo.getByRole('checkbox').count()).toBe(1)
          expect(await deliverTo.textContent()).toContain('Ops hook')
          await shoot(view.page, `destinations-page-${viewport.name}`)
          expect(view.problems).toEqual([])
          await view.page.context().close()
        }
      } finally {
        await receiver.close()
      }
    }, 120_000)

    it('given an open alert, when the user dismisses it, then it leaves the open list and is listed under Resolved as dismissed', async () => {
      const { page, problems } = await openAlerts()
      const open = page.locator('.alert-list .alert')
      await open.first().waitFor(WAIT)
      const before = await open.count()
      const title = 'Lucky Star: the platform refuses the stored credentials'
      await open
        .first()
        .getByRole('button', { name: `Dismiss: ${title}` })
        .click()
      await page.getByText(`Dismissed: ${title}`).waitFor(WAIT)
      await expect.poll(() => open.count(), WAIT).toBe(before - 1)
      await page.getByLabel('Status').selectOption({ label: 'Resolved' })
      const resolved = page.locator('.alert-list .alert-resolved')
      await resolved.first().waitFor(WAIT)
      expect(await resolved.first().textContent()).toContain('dismissed')
      expect(await resolved.first().locator('.alert-title').textContent()).toBe(title)
      expect(
        await resolved
          .first()
          .getByRole('button', { name: /Dismiss/ })
          .count(),
      ).toBe(0)
      await shoot(page, 'resolved-desktop')
      expect(problems).toEqual([])
      await page.context().close()
    }, 90_000)
  },
)
