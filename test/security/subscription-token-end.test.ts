import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSync } from '../../src/bootstrap.ts'
import { SUBSCRIPTION_RECHECK_MS } from '../../src/security/subscription-auth.ts'
import { ensureWorkspace, issueApiToken } from '../../src/workspace/workspace.service.ts'
import { globalId } from '../support/global-ids.ts'
import { plantCanary } from '../support/log-sink.ts'
import { readEvents } from '../support/sse-events.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

interface StreamEvent {
  data?: unknown
  errors?: { message: string; extensions?: { code?: string } }[]
}

/** Reads a server-sent event stream to its end (or the deadline); notes when the server closed it. */
const readToEnd = (response: Response, timeoutMs: number) =>
  readEvents<StreamEvent>(response, () => false, timeoutMs)

describe(`open subscriptions end with their token on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let server: Server
  let endpoint: string
  let workspace: Awaited<ReturnType<typeof ensureWorkspace>>['workspace']

  beforeAll(async () => {
    t = await createTestApp()
    await startSync(t.services, { schedule: false })
    workspace = (await ensureWorkspace(t.db.fork(), 'subscription-token-end')).workspace
    server = createServer(t.app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
  }, 120_000)

  afterAll(async () => {
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    await t?.services.sync?.stop(5_000)
    await t?.close()
  })

  const issue = async (expiresAt: Date | null = null) => {
    const issued = await issueApiToken(t.db.fork(), workspace, 'subscriber', { expiresAt })
    plantCanary(issued.token)
    return { id: issued.record.id, token: issued.token }
  }

  const subscribe = async (token: string) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: 'subscription { syncProgress { runId status } }' }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    return response
  }

  const endedWith = (events: StreamEvent[]) => events.at(-1)?.errors?.[0]?.extensions?.code

  it('given an open subscription, when its token is revoked through the API, then the stream ends at once with TOKEN_REVOKED', async () => {
    const subscriber = await issue()
    const admin = await issue()
    const stream = await subscribe(subscriber.token)
    const reading = readToEnd(stream, 15_000)
    const revoked = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({
        query: 'mutation ($id: ID!) { revokeApiToken(input: { id: $id }) { __typename } }',
        variables: { id: globalId('ApiToken', subscriber.id) },
      }),
    })
    expect(((await revoked.json()) as { data: unknown }).data).toEqual({
      revokeApiToken: { __typename: 'RevokeApiTokenSuccess' },
    })
    const revokedAt = performance.now()
    const { events, closedAt } = await reading
    expect(endedWith(events)).toBe('TOKEN_REVOKED')
    expect(closedAt).not.toBeNull()
    expect(closedAt! - revokedAt).toBeLessThan(1_000)
  }, 30_000)

  it(
    'given an open subscription, when its token is revoked behind the change feed, then the periodic re-check ends the stream within its period',
    async () => {
      const subscriber = await issue()
      const stream = await subscribe(subscriber.token)
      const reading = readToEnd(stream, SUBSCRIPTION_RECHECK_MS + 10_000)
      // A write the feed never hears of stands for a lost notification.
      await t.db.prepared('update api_token set revoked_at = $1 where id = $2', [
        t.services.clock.now().toISOString(),
        subscriber.id,
      ])
      const revokedAt = performance.now()
      const { events, closedAt } = await reading
      expect(endedWith(events)).toBe('TOKEN_REVOKED')
      expect(closedAt).not.toBeNull()
      expect(closedAt! - revokedAt).toBeLessThan(SUBSCRIPTION_RECHECK_MS + 3_000)
    },
    SUBSCRIPTION_RECHECK_MS + 20_000,
  )

  it('given a token expiring two seconds ahead, when a subscription stays open, then the stream ends at the expiry with TOKEN_EXPIRED', async () => {
    const expiresAt = new Date(t.services.clock.now().getTime() + 2_000)
    const subscriber = await issue(expiresAt)
    const stream = await subscribe(subscriber.token)
    const { events, closedAt } = await readToEnd(stream, 15_000)
    expect(endedWith(events)).toBe('TOKEN_EXPIRED')
    expect(closedAt).not.toBeNull()
    const lateMs = t.services.clock.now().getTime() - expiresAt.getTime()
    expect(lateMs).toBeGreaterThanOrEqual(0)
    expect(lateMs).toBeLessThan(1_000)
  }, 30_000)
})
