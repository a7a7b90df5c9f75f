import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { Alert, AlertRule } from '../../src/alerts/alert.entity.ts'
import { enqueueAlertDeliveries } from '../../src/alerts/alert-delivery.ts'
import { AlertDelivery, AlertDeliveryAttempt } from '../../src/alerts/alert-destination.entity.ts'
import { createDestination } from '../../src/alerts/alert-destination.service.ts'
import type { AppServices } from '../../src/app-services.ts'
import { createAppServices } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config.ts'
import { generateMasterKeyEntry } from '../../src/crypto/master-key.ts'
import { ensureWorkspace } from '../../src/workspace/workspace.service.ts'
import {
  killAllProcesses,
  makeTempDir,
  spawnAffgraph,
  stopProcess,
  waitForExit,
} from '../server/support/affgraph-process.ts'
import { captureLogs } from '../support/log-capture.ts'
import { createScratchPostgresDatabase, TEST_DATABASE_KIND } from '../support/test-database.ts'

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * A worker process SIGKILLed between the receiver's 200 and the record of it: the delivery is still PENDING, its job
 * still active. Once pg-boss presumes the job lost, a fresh worker sends again. The receiver sees the message at least
 * once, every copy under the same idempotency key, and the delivery ends SENT.
 */
describe(`alert delivery across a killed worker on ${TEST_DATABASE_KIND}`, () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    await killAllProcesses()
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  })

  it('given a worker killed after sending but before recording, when a worker starts again, then the message arrives at least once with one key and nothing is lost', async () => {
    const received: { key: string; body: string }[] = []
    const receiver = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = []
      request.on('data', (c: Buffer) => chunks.push(c))
      request.on('end', () => {
        received.push({
          key: String(request.headers['x-affgraph-delivery']),
          body: Buffer.concat(chunks).toString('utf8'),
        })
        response.end('ok')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => receiver.close(resolve)))
    const port = (receiver.address() as AddressInfo).port

    const dir = await makeTempDir('alert-kill')
    cleanups.push(dir.remove)
    const scratch = await createScratchPostgresDatabase()
    if (scratch) cleanups.push(scratch.drop)
    const env: Record<string, string> = {
      AFFGRAPH_DATA_DIR: dir.path,
      AFFGRAPH_MASTER_KEY: generateMasterKeyEntry('kill'),
      AFFGRAPH_OUTBOUND_ALLOWLIST: '127.0.0.1',
      AFFGRAPH_SYNC: 'on',
      AFFGRAPH_FX_FETCH: 'false',
      // The job of the killed worker is presumed lost after this long and handed out again.
      AFFGRAPH_SYNC_JOB_TIMEOUT_SECONDS: '5',
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    }
    const open = () =>
      createAppServices(loadConfig({ NODE_ENV: 'test', ...env }), {
        logger: captureLogs().logger,
        role: 'test',
      })

    // Seeded with no queue in this process: the delivery stays PENDING until a worker starts and queues it.
    let services: AppServices = await open()
    const em = services.db.fork()
    const { workspace } = await ensureWorkspace(em, 'kill-test')
    const created = await createDestination(services, em, workspace.id, {
      name: 'receiver',
      kind: 'WEBHOOK',
      url: `http://127.0.0.1:${port}/hook`,
    })
    if (!created.ok) throw new Error(created.error.message)
    const now = services.clock.now()
    const rule = em.create(AlertRule, {
      id: crypto.randomUUID(),
      workspace,
      name: 'stale',
      kind: 'SYNC_STALE',
      settings: {},
      targetTags: [],
      targetAccountIds: [],
      destinationIds: [created.destination.id],
      // A fixture for its alert only: an enabled rule would be evaluated by the worker and resolve the alert.
      enabled: false,
      createdAt: now,
      updatedAt: now,
    })
    const alert = em.create(Alert, {
      id: crypto.randomUUID(),
      workspace,
      rule,
      account: null,
      kind: 'SYNC_STALE',
      subjectKey: 'workspace',
      title: 'No sync for 2 days',
      details: {},
      firedAt: now,
      lastSeenAt: now,
    } as never)
    await em.flush()
    expect(await enqueueAlertDeliveries(services, alert, 'FIRED')).toBe(1)
    await services.db.close()

    const doomed = spawnAffgraph('src/worker.ts', [], { ...env, AFFGRAPH_CRASH_POINTS: 'alert-after-send:1' })
    const killed = await waitForExit(doomed, 90_000)
    expect(killed.signal).toBe('SIGKILL')
    expect(doomed.stderr()).toContain('affgraph crash point: alert-after-send')
    expect(received).toHaveLength(1)

    const survivor = spawnAffgraph('src/worker.ts', [], env)
    await until('the resend', () => received.length >= 2, 90_000)
    // Time for a third copy, which must not come.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const stopped = await stopProcess(survivor)
    expect(stopped.code, survivor.stderr()).toBe(0)

    expect(received).toHaveLength(2)
    const key = `alert:${alert.id}:FIRED:${created.destination.id}`
    expect(received.map((r) => r.key)).toEqual([key, key])
    expect(received.map((r) => JSON.parse(r.body).deliveryId)).toEqual([key, key])

    services = await open()
    cleanups.push(() => services.db.close())
    const check = services.db.fork()
    const [delivery] = await check.find(AlertDelivery, { alert: alert.id }, { filters: false })
    expect(delivery).toMatchObject({ status: 'SENT', attempts: 1, idempotencyKey: key })
    const attempts = await check.find(AlertDeliveryAttempt, { delivery: delivery!.id }, { filters: false })
    expect(attempts.map((a) => a.outcome)).toEqual(['SENT'])
  }, 240_000)
})
