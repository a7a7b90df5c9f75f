import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordCapture } from '../../src/capture/capture.service.ts'
import { parseCaptureFile } from '../../src/capture/capture-file.ts'
import { fixedClock } from '../../src/clock.ts'
import type { LoadedPlatform } from '../../src/platform/platform-registry.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { atFields, expectNoSecret, ok, send } from '../graphql/graphql-helpers.ts'
import { bundledPluginIds } from '../server/support/affgraph-process.ts'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { plantCanary, secretForms } from '../support/log-sink.ts'
import { recordRequests, sortRows } from '../support/plugin-harness.ts'
import { expectReplayToMeet, readExpectation, replayCapture } from '../support/replay.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

const LEAKY_PLUGINS = resolve(import.meta.dirname, '../security/fixtures/leaky')
const WINDOW = { from: '2025-10-01', to: '2025-10-20' }

const CONNECT = `mutation ($input: ConnectAccountInput!) { connectAccount(input: $input) {
  __typename ... on ConnectAccountSuccess { account { id externalAccountName } } ... on UserError { code message } } }`
const RECORD = `mutation ($input: RecordCaptureInput!) { recordCapture(input: $input) {
  __typename
  ... on RecordCaptureSuccess { capture { fileName content exchanges rows window { from to } failure { code message field } } }
  ... on UserError { code message fields { path field message } } } }`

interface CaptureView {
  fileName: string
  content: string
  exchanges: number
  rows: number | null
  window: { from: string; to: string }
  failure: { code: string; message: string; field: string | null } | null
}
type RecordResult = {
  recordCapture: {
    __typename: string
    capture?: CaptureView
    code?: string
    fields?: { path: string[]; field: string; message: string }[]
  }
}

/** Every spelling of an identifier a file could carry, as a whole word (a digit of an amount is not a match). */
function expectNoIdentifier(text: string, values: readonly string[], where: string): void {
  for (const value of values) {
    const uri = encodeURIComponent(value)
    for (const form of new Set([value, uri, new URLSearchParams({ s: value }).toString().slice(2)])) {
      const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      const at = new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`).exec(text)?.index
      if (at !== undefined)
        throw new Error(
          `${where} holds the identifier "${value}": …${text.slice(Math.max(0, at - 80), at + 40)}…`,
        )
    }
  }
}

/** The credential part of every credential-looking header the plugin sent: OAuth tokens included. */
function wireCredentials(requests: { headers: Record<string, string> }[]): string[] {
  const values = new Set<string>()
  for (const { headers } of requests) {
    for (const [name, value] of Object.entries(headers)) {
      if (/authorization|api-key|token|cookie/i.test(name))
        values.add(value.replace(/^(Bearer|Basic)\s+/i, ''))
    }
  }
  return [...values].filter((v) => v.length >= 8)
}

describe(`capture and replay on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let token: string
  let dir: string
  const seed = `capture-${randomBytes(6).toString('hex')}`
  const sims = new Map<string, PlatformSimulator>()
  const answers: string[] = []
  const canaries: string[] = []

  beforeAll(async () => {
    t = await createTestApp({ pluginDirs: [LEAKY_PLUGINS] })
    token = (await t.workspace('capture')).token
    dir = await mkdtemp(join(tmpdir(), 'affgraph-capture-'))
  }, 120_000)

  afterAll(async () => {
    for (const sim of sims.values()) await sim.close()
    await t?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const bundled = () => t.registry.all().filter((p) => p.definition.id !== 'leaky-partners')

  async function connect(platform: LoadedPlatform, connection: Record<string, string>) {
    const data = await ok<{
      connectAccount: { account?: { id: string; externalAccountName: string | null } }
    }>(t, token, CONNECT, {
      input: {
        connection: { [platform.fieldName]: connection },
        label: `${platform.definition.name} capture`,
      },
    })
    const account = data.connectAccount.account
    expect(account, JSON.stringify(data)).toBeDefined()
    return account!
  }

  /** A new simulator of the platform, closed after the file. */
  async function startSimulator(id: string) {
    const platform = t.registry.get(id)!
    const sim = await platform.definition.simulator.create({ seed })
    sims.set(`${id}-${sims.size}`, sim)
    return { platform, sim }
  }

  /** A new simulator and its `index`-th account, connected through the API. */
  async function simulatedAccount(id: string, index: number) {
    const { platform, sim } = await startSimulator(id)
    return { platform, sim, account: await connect(platform, sim.accounts[index]!.connection) }
  }

  async function record(accountId: string, range: { from: string; to: string } | null = WINDOW) {
    const response = await send<RecordResult>(
      t,
      RECORD,
      { input: { accountId, range } },
      { authorization: `Bearer ${token}` },
    )
    answers.push(response.text)
    return response
  }

  it('given one account on every bundled platform’s simulator, when each records a capture through the API, then each replays offline to the simulator’s rows and holds none of its secrets, tokens or identifiers', async () => {
    const platforms = bundled()
    expect(platforms.map((p) => p.definition.id).sort()).toEqual(await bundledPluginIds())
    for (const platform of platforms) {
      const id = platform.definition.id
      const { sim } = await startSimulator(id)
      const simAccount = sim.accounts[0]!
      const secrets = platform.secretFields
        .map((name) => simAccount.connection[name])
        .filter((v): v is string => !!v)
      for (const secret of secrets) canaries.push(plantCanary(secret))
      const account = await connect(platform, simAccount.connection)
      const identifiers = platform.fieldNames
        .filter((name) => platform.definition.connection.fields[name]?.identifier)
        .map((name) => simAccount.connection[name])
        .filter((v): v is string => !!v)
      if (account.externalAccountName) identifiers.push(account.externalAccountName)

      // A check under the account's own key leaves an OAuth token in its cache: the capture must not start from it.
      const checked = await ok<{ checkAccount: { __typename: string } }>(
        t,
        token,
        'mutation ($id: ID!) { checkAccount(input: { accountId: $id }) { __typename } }',
        { id: account.id },
      )
      expect(checked.checkAccount.__typename).toBe('CheckAccountSuccess')
      const { result, requests } = await recordRequests(sim.baseUrl, () => record(account.id))
      const recorded = result.body.data?.recordCapture
      expect(recorded?.__typename, `${id}: ${result.text.slice(0, 400)}`).toBe('RecordCaptureSuccess')
      const capture = recorded!.capture!
      const tokens = wireCredentials(requests).filter((v) => !secrets.includes(v))
      for (const value of tokens) canaries.push(plantCanary(value))
      if (id === 'myaffiliates' || id === 'netrefer') {
        expect(tokens.length, `${id}: its OAuth token`).toBeGreaterThan(0)
        expect(requests[0]?.method, `${id}: the capture starts with the token request`).toBe('POST')
      }

      // The whole answer, the file inside it included, holds no secret, token or identifier in any spelling.
      expectNoSecret(result.text, [...secrets, ...tokens], `${id} recordCapture answer`)
      expectNoIdentifier(capture.content, identifiers, `${id} capture`)
      expect(capture.failure, id).toBeNull()
      expect(capture.window).toEqual(WINDOW)
      expect(capture.fileName).toBe(`affgraph-capture-${id}-${WINDOW.from}-${WINDOW.to}.json`)

      const file = parseCaptureFile(capture.content)
      expect(file.exchanges.length).toBe(capture.exchanges)
      expect(file.exchanges.length).toBe(requests.length)
      expect(file.origin.kind).toBe('capture')
      expectNoSecret(capture.content, [...secrets, ...tokens], `${id} capture`)
      const secretPlaceholders = file.placeholders.filter((p) => p.kind === 'secret').map((p) => p.field)
      expect(secretPlaceholders.sort()).toEqual(
        platform.secretFields.filter((f) => simAccount.connection[f]).sort(),
      )

      // Offline: the simulator is gone, the file answers, and the rows are the platform's.
      const truth = sortRows(sim.truth(simAccount.key, WINDOW))
      expect(truth.length).toBeGreaterThan(10)
      expect(capture.rows).toBe(truth.length)
      await sim.close()
      const path = join(dir, `${id}.capture.json`)
      await writeFile(path, capture.content)
      await writeFile(join(dir, `${id}.expected.json`), JSON.stringify({ rows: truth }))
      const outcome = await replayCapture(path)
      expectReplayToMeet(outcome, readExpectation(path))
      expect(outcome.rows).toEqual(truth)
    }
  }, 240_000)

  it('given a platform failing with an outage, when a capture is recorded, then it holds every attempt, says how the fetch failed, and replays to the same error', async () => {
    const { sim, account } = await simulatedAccount('softswiss', 1)
    sim.faults.inject('outage')
    const response = await record(account.id)
    const capture = response.body.data!.recordCapture.capture!
    expect(capture.failure?.code).toBe('PLATFORM_UNAVAILABLE')
    expect(capture.rows).toBeNull()
    expect(capture.exchanges).toBeGreaterThanOrEqual(2)
    const file = parseCaptureFile(capture.content)
    expect(file.outcome).toEqual({ error: expect.objectContaining({ code: 'PLATFORM_UNAVAILABLE' }) })
    expect(file.exchanges.every((e) => e.response?.status === 503 || e.failure !== null)).toBe(true)
    const outcome = await replayCapture(file)
    expectReplayToMeet(outcome, { error: { code: 'PLATFORM_UNAVAILABLE' } })
  }, 60_000)

  it('given a plugin that echoes, throws and logs its key, when captures are recorded, then the canary key is in no file, answer or log line', async () => {
    const { platform: leaky, sim } = await startSimulator('leaky-partners')
    const canary = plantCanary(`affgraph-canary-${randomBytes(12).toString('hex')}`)
    canaries.push(canary)
    const files: string[] = []
    for (const mode of ['echo-200', 'echo-500', 'throw', 'log']) {
      const capture = await recordCapture(t.services, {
        platform: leaky,
        connection: { baseUrl: `${sim.baseUrl}/${mode}`, apiKey: canary },
        window: WINDOW,
        accountKey: `leaky-${mode}`,
      })
      files.push(capture.content)
      expect(capture.file.exchanges.length, mode).toBeGreaterThan(0)
      if (mode === 'log') expect(capture.rows).toBe(1)
      else expect(capture.error?.code, mode).toBeDefined()
    }
    // The key travelled in a header, in the query and back in the bodies: each place now holds its placeholder.
    expect(files.join('\n')).toContain('key=REDACTED-SECRET-apiKey')
    expect(files.join('\n')).toContain('API key REDACTED-SECRET-apiKey is not valid')
    // Stored through the API, the account's plugin starts choking on its answers and quoting the key.
    const account = await connect(leaky, { baseUrl: `${sim.baseUrl}/log`, apiKey: canary })
    sim.faults.inject('malformed')
    const failed = (await record(account.id)).body.data!.recordCapture.capture!
    expect(failed.failure?.code).toBe('PLATFORM_RESPONSE_INVALID')
    expect(failed.failure?.message).toMatch(/^the plugin failed: cannot read the answer given to key \S+$/)
    files.push(failed.content)
    expectNoSecret(files.join('\n'), [canary], 'leaky captures')
  }, 60_000)

  it('given an unknown account, another workspace’s account or too long a range, when a capture is asked for, then the answer is a typed error naming the field', async () => {
    const { sim, account } = await simulatedAccount('cellxpert', 0)
    const unknown = await record(globalId('Account', '00000000-0000-4000-8000-000000000000'))
    expect(unknown.body.data?.recordCapture).toMatchObject({
      __typename: 'AccountNotFoundError',
      code: 'ACCOUNT_NOT_FOUND',
      fields: atFields('accountId'),
    })
    const other = (await t.workspace('capture-other')).token
    const foreign = await send<RecordResult>(
      t,
      RECORD,
      { input: { accountId: account.id } },
      { authorization: `Bearer ${other}` },
    )
    expect(foreign.body.data?.recordCapture.__typename).toBe('AccountNotFoundError')
    const long = await record(account.id, { from: '2025-01-01', to: '2025-06-30' })
    expect(long.body.data?.recordCapture).toMatchObject({
      __typename: 'InvalidArgumentError',
      code: 'INVALID_ARGUMENT',
      fields: [{ path: ['input', 'range'], message: expect.stringMatching(/at most 92 days/) }],
    })
    expect(sim.log.length, 'no capture reached the platform beyond the check').toBe(1)
  }, 60_000)

  it('given stored credentials that no longer decrypt, when a capture is asked for, then it fails closed with CredentialsUnreadableError and calls nobody', async () => {
    const { sim, account } = await simulatedAccount('cellxpert', 1)
    const [other] = await t.db.query<{ credentials: string }>(
      'select credentials::text as credentials from account where id <> ? limit 1',
      [databaseIdOf(account.id)],
    )
    // Another account's envelope: sealed for another id, so it must not open here.
    await t.db.query('update account set credentials = ?::jsonb where id = ?', [
      other!.credentials,
      databaseIdOf(account.id),
    ])
    const requests = sim.log.length
    const result = (await record(account.id)).body.data?.recordCapture
    expect(result).toMatchObject({ __typename: 'CredentialsUnreadableError', code: 'CREDENTIALS_UNREADABLE' })
    expect(sim.log.length).toBe(requests)
  }, 60_000)

  it('given no range, when a capture is recorded, then it covers the account’s lookback window ending on the platform’s today', async () => {
    const { account } = await simulatedAccount('cellxpert', 1)
    const clock = t.services.clock
    t.services.clock = fixedClock('2026-03-10T23:30:00Z')
    try {
      const capture = (await record(account.id, null)).body.data!.recordCapture.capture!
      // Cellxpert counts days in UTC; the default lookback is 7 days.
      expect(capture.window).toEqual({ from: '2026-03-04', to: '2026-03-10' })
      expect(parseCaptureFile(capture.content).recordedAt).toBe('2026-03-10T23:30:00.000Z')
    } finally {
      t.services.clock = clock
    }
  }, 60_000)

  it('given everything above, when every answer and log line of this file is searched, then no canary is in any', () => {
    expect(canaries.length).toBeGreaterThanOrEqual(8)
    expect(secretForms(canaries[0]!).length).toBeGreaterThanOrEqual(2)
    expectNoSecret(answers.join('\n'), canaries, 'GraphQL answers')
    expectNoSecret(t.logs.text(), canaries, 'server log')
  })
})
