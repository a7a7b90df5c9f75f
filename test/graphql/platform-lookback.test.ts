import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_LOOKBACK_DAYS, type PlatformSimulator } from '../../src/sdk/index.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import { bearer, CONNECT_ACCOUNT, ok, send } from './graphql-helpers.ts'

/**
 * Networks approve and reverse conversions for weeks (impact.com until each brand's locking date, CJ until the
 * 10th of the next month or later): a platform declares how far back its periodic syncs should look, and a new
 * account starts with that lookback.
 */
describe(`lookback per platform on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let token: string
  const sims: PlatformSimulator[] = []

  beforeAll(async () => {
    t = await createTestApp()
    token = (await t.workspace('lookback')).token
  })

  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()))
    await t?.close()
  })

  it('given the bundled platforms, when their lookback is asked, then platforms that revise for months say so and the others keep the default', async () => {
    const data = await ok<{ platforms: { id: string; capabilities: { lookbackDays: number } }[] }>(
      t,
      token,
      '{ platforms { id capabilities { lookbackDays } } }',
    )
    const days = Object.fromEntries(data.platforms.map((p) => [p.id, p.capabilities.lookbackDays]))
    expect(days).toMatchObject({ impact: 90, cj: 90, affise: 60, awin: 60, tune: 45, everflow: 30, cake: 30 })
    expect(days.softswiss).toBe(DEFAULT_LOOKBACK_DAYS)
    for (const platform of t.registry.all())
      expect(days[platform.definition.id], platform.definition.id).toBe(
        platform.definition.capabilities.lookbackDays ?? DEFAULT_LOOKBACK_DAYS,
      )
  })

  it.each([
    ['impact', 90],
    ['softswiss', DEFAULT_LOOKBACK_DAYS],
  ])(
    'given a %s account, when it is connected, then its lookback is its platform’s (%i days)',
    async (id, expected) => {
      const platform = t.registry.get(id)!
      const sim = await platform.definition.simulator.create({ seed: `lookback-${id}`, accounts: 1 })
      sims.push(sim)
      const response = await send<{ connectAccount: { account?: { id: string } } }>(
        t,
        CONNECT_ACCOUNT,
        { input: { connection: { [platform.fieldName]: sim.accounts[0]!.connection } } },
        bearer(token),
      )
      const accountId = response.body.data?.connectAccount.account?.id
      expect(accountId, response.text).toBeDefined()
      const read = await ok<{ account: { lookbackDays: number } }>(
        t,
        token,
        'query ($id: ID!) { account(id: $id) { lookbackDays } }',
        { id: accountId },
      )
      expect(read.account.lookbackDays).toBe(expected)
    },
  )
})
