import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { HAS_CHROMIUM, launchChromium, screenshotRecorder } from './support/browser-harness.ts'

const WAIT = { timeout: 30_000 }

/** The first query of the README, exactly as a newcomer pastes it. */
const README_QUERY = `{
  viewer { workspace { name } }
  accounts { totalCount nodes { label status platform { name } lastCheckAt connectionFields { name isSet hint } } }
}`

/**
 * GraphiQL on a machine with no internet: the browser may reach this server and nothing else. Every request to
 * another origin is refused and recorded; the page must render and run the README's query all the same, with no
 * script error and no CSP violation.
 */
describe.skipIf(!HAS_CHROMIUM && !process.env.CI)('GraphiQL in Chromium with no network', () => {
  let t: TestApp
  let server: Server
  let origin = ''
  let browser: Browser | undefined
  let token = ''

  beforeAll(async () => {
    if (!HAS_CHROMIUM) throw new Error('CI must provide Debian Chromium at /usr/bin/chromium (see .ci/run)')
    t = await createTestApp()
    token = (await t.workspace('Offline team')).token
    server = createServer(t.app)
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
    }
    await t?.close()
  })

  /** Replaces the whole text of a GraphiQL editor by pasting it, as a user would (typing would auto-close brackets). */
  async function fill(page: Page, editor: string, text: string) {
    await page.evaluate((value) => navigator.clipboard.writeText(value), text)
    await page.locator(editor).first().click()
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.press('ControlOrMeta+V')
  }

  it('given no route to the internet, when a browser opens /graphql, then GraphiQL renders from this server alone and runs the README query with a token', async () => {
    const context = await browser!.newContext({ viewport: { width: 1366, height: 900 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
    const elsewhere: string[] = []
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:'))
        return route.continue()
      elsewhere.push(url)
      return route.abort('internetdisconnected')
    })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    // Before the token is pasted, GraphiQL's own introspection is refused (AFFGRAPH_INTROSPECTION=authenticated):
    // those answers are the only failures allowed, and each must say why.
    const refusals: Promise<string>[] = []
    page.on('response', (response) => {
      if (response.status() >= 400) refusals.push(response.text())
    })
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 401/.test(message.text()))
        problems.push(`console: ${message.text()}`)
    })
    const shots = await screenshotRecorder(page, 'graphiql-offline')

    await shots.step('rendered', async () => {
      const response = await page.goto(`${origin}/graphql`)
      expect(response?.status()).toBe(200)
      await page.locator('.graphiql-container').first().waitFor(WAIT)
      await page.getByRole('button', { name: /execute query/i }).waitFor(WAIT)
    })

    await shots.step('query-run', async () => {
      await page.getByText('Headers', { exact: true }).click()
      await fill(
        page,
        '.graphiql-editor-tool .graphiql-editor:not(.hidden)',
        JSON.stringify({ Authorization: `Bearer ${token}` }),
      )
      await fill(page, '.graphiql-query-editor .graphiql-editor', README_QUERY)
      await page.getByRole('button', { name: /execute query/i }).click()
      const result = page.locator('.graphiql-response')
      // The editor lays text out with non-breaking spaces.
      const shown = async () => ((await result.textContent()) ?? '').replace(/\u00a0/g, ' ')
      await expect.poll(shown, WAIT).toContain('"Offline team"')
      const text = await shown()
      expect(text).toContain('"totalCount"')
      expect(text).not.toContain('"errors"')
      // The screenshot taken after this step must not hold the token: the header goes once it has served.
      await fill(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', '{}')
      await expect.poll(async () => (await page.content()).includes(token.slice(-12))).toBe(false)
    })

    expect(elsewhere, 'requests to other hosts').toEqual([])
    expect(problems).toEqual([])
    for (const body of await Promise.all(refusals)) expect(body).toContain('INTROSPECTION_DISABLED')
    await context.close()
  }, 120_000)
})
