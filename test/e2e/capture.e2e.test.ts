import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import cellxpert from '../../plugins/cellxpert/index.ts'
import { parseCaptureFile } from '../../src/capture/capture-file.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { expectNoSecret } from '../graphql/graphql-helpers.ts'
import { FIXTURE_PLUGINS } from '../server/support/affgraph-process.ts'
import { plantCanary } from '../support/log-sink.ts'
import {
  type BrowserSuite,
  gqlAt,
  HAS_CHROMIUM,
  SCREENSHOT_DIR,
  screenshotRecorder,
  startBrowserSuite,
} from './support/browser-harness.ts'

const WAIT = { timeout: 20_000 }
const EVIDENCE_PLUGINS = resolve(import.meta.dirname, '../fixtures/plugins/evidence')

interface PlatformsData {
  platforms: { id: string; name: string; maturity: string }[]
}

describe.skipIf(!HAS_CHROMIUM && !process.env.CI)(
  'maturity badges and captures in Chromium against a real server',
  () => {
    let suite: BrowserSuite | undefined
    let sim: PlatformSimulator | undefined

    beforeAll(async () => {
      if (!HAS_CHROMIUM) throw new Error('CI must provide Debian Chromium at /usr/bin/chromium (see .ci/run)')
      ;[suite, sim] = await Promise.all([
        startBrowserSuite({
          label: 'web-capture-e2e',
          workspace: 'Captures',
          // No syncing: the capture is the one fetch under test.
          env: {
            AFFGRAPH_SYNC: 'off',
            AFFGRAPH_PLUGIN_DIRS: [EVIDENCE_PLUGINS, join(FIXTURE_PLUGINS, 'valid')].join(','),
          },
        }),
        cellxpert.simulator.create({ seed: 'web-capture-e2e', accounts: 1 }),
      ])
    }, 120_000)

    afterAll(async () => {
      await suite?.close()
      await sim?.close()
    }, 60_000)

    async function signedInPage() {
      const opened = await suite!.openPage()
      await suite!.signIn(opened.page)
      return opened
    }

    it('given platforms whose evidence makes them verified, documented or assumed, when each is chosen on the connect page, then its badge says so in plain words and its facts open on demand', async () => {
      const { page, problems } = await signedInPage()
      const shots = await screenshotRecorder(page, 'maturity')
      const { data } = await gqlAt<PlatformsData>(suite!.server, '{ platforms { id name maturity } }')
      const platforms = data!.platforms
      await page.getByRole('link', { name: 'Connect', exact: true }).click()
      const select = page.getByLabel('Platform', { exact: true })
      const badge = page.locator('.maturity')

      await shots.step('verified', async () => {
        await select.selectOption({ label: 'Acme Verified' })
        await badge.waitFor(WAIT)
        expect(await badge.getAttribute('data-maturity')).toBe('VERIFIED')
        expect(await badge.locator('p').first().textContent()).toBe(
          "Verified Built from the vendor's samples",
        )
        const facts = badge.locator('details.evidence')
        expect(await facts.locator('summary').textContent()).toBe('What this connector assumes (1)')
        expect(await facts.getByText('Twenty requests a second per host are accepted.').isVisible()).toBe(
          false,
        )
        await facts.locator('summary').click()
        await facts.getByText('Twenty requests a second per host are accepted.').waitFor(WAIT)
        expect(await facts.locator('li').count()).toBe(1)
      })

      await shots.step('documented', async () => {
        await select.selectOption({ label: 'Acme Documented' })
        await expect.poll(() => badge.getAttribute('data-maturity'), WAIT).toBe('DOCUMENTED')
        expect(await badge.locator('.maturity-text').textContent()).toBe(
          'Documented, not yet confirmed on a live account',
        )
        const facts = badge.locator('details.evidence')
        expect(await facts.locator('summary').textContent()).toBe('What this connector rests on (3 facts)')
        await facts.locator('summary').click()
        expect(await facts.locator('li').allTextContents()).toEqual([
          expect.stringMatching(
            /^endpoint Daily statistics are read with GET \/api\/stats .*\(code; An open-source/,
          ),
          expect.stringMatching(/^auth The API key travels in the X-Api-Key header\. \(code live; /),
          expect.stringMatching(/^fields Each row has the day/),
        ])
      })

      await shots.step('assumed', async () => {
        await select.selectOption({ label: 'Acme Partners' })
        await expect.poll(() => badge.getAttribute('data-maturity'), WAIT).toBe('ASSUMED')
        expect(await badge.locator('.maturity-text').textContent()).toBe(
          'Not confirmed: please report problems with a capture',
        )
        // Every plugin declares its evidence now; an assumed one lists its assumptions, closed until asked for.
        const facts = badge.locator('details.evidence')
        expect(await facts.locator('summary').textContent()).toBe('What this connector assumes (1)')
        await facts.locator('summary').click()
        expect(await facts.locator('li').allTextContents()).toEqual([
          expect.stringMatching(/^endpoint A made-up API for tests\. \(assumed/),
        ])
      })

      await shots.step('every-platform', async () => {
        // The page shows what the API says for every platform, bundled ones included, with no code of its own for any.
        for (const platform of platforms) {
          await select.selectOption({ label: platform.name })
          await expect.poll(() => badge.getAttribute('data-maturity'), WAIT).toBe(platform.maturity)
        }
      })
      expect(problems).toEqual([])
      await page.context().close()
    }, 90_000)

    it('given a connected account, when the user records a capture on its card, then the browser saves a capture file that holds the fetch without the account’s key', async () => {
      const connection = sim!.accounts[0]!.connection
      const apiKey = plantCanary(connection.apiKey!)
      const connected = await gqlAt<{ connectAccount: { __typename: string } }>(
        suite!.server,
        `mutation ($input: ConnectAccountInput!) { connectAccount(input: $input) { __typename } }`,
        { input: { connection: { cellxpert: connection }, label: 'Cellxpert main' } },
        suite!.token,
      )
      expect(connected.data?.connectAccount.__typename).toBe('ConnectAccountSuccess')
      const { page, problems } = await signedInPage()
      const shots = await screenshotRecorder(page, 'capture')
      await page.getByRole('link', { name: 'Accounts', exact: true }).click()
      const card = page.locator('article.account', { hasText: 'Cellxpert main' })

      await shots.step('recorded', async () => {
        await card.waitFor(WAIT)
        const [download] = await Promise.all([
          page.waitForEvent('download', WAIT),
          card.getByRole('button', { name: 'Record a capture' }).click(),
        ])
        expect(download.suggestedFilename()).toMatch(
          /^affgraph-capture-cellxpert-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.json$/,
        )
        const file = join(SCREENSHOT_DIR, 'capture', download.suggestedFilename())
        await download.saveAs(file)
        const text = await readFile(file, 'utf8')
        expectNoSecret(text, [apiKey, suite!.token], 'downloaded capture')
        const capture = parseCaptureFile(text)
        expect(capture.platform.id).toBe('cellxpert')
        expect(capture.exchanges.length).toBeGreaterThan(0)
        expect(capture.exchanges[0]!.request.headers['x-api-key']).toBe('REDACTED-SECRET-apiKey')
        const notice = card.getByRole('status')
        await notice.waitFor(WAIT)
        expect(await notice.textContent()).toMatch(
          new RegExp(
            `^Capture saved as ${download.suggestedFilename().replaceAll('.', '\\.')} \\(\\d+ requests?, \\d+ rows\\)\\. Attach it to your bug report\\.$`,
          ),
        )
        expectNoSecret(await page.content(), [apiKey], 'the page')
      })
      expect(problems).toEqual([])
      await page.context().close()
    }, 90_000)
  },
)
