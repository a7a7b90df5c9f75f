import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type PgBoss from 'pg-boss'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Alert, AlertRule } from '../../src/alerts/alert.entity.ts'
import {
  deliveriesOfAlert,
  enqueueAlertDeliveries,
  startAlertDelivery,
  stopAlertDelivery,
} from '../../src/alerts/alert-delivery.ts'
import { AlertDelivery } from '../../src/alerts/alert-destination.entity.ts'
import { createJobQueue } from '../../src/sync/job-queue.ts'
import { Workspace } from '../../src/workspace/workspace.entity.ts'
import { insertAccounts } from '../stats/stats-seed.ts'
import { plantCanary } from '../support/log-sink.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'

interface Received {
  headers: IncomingMessage['headers']
  body: string
  path: string
}

/** A webhook receiver on loopback: records every request and answers from a script (200 once it runs out). */
async function startReceiver() {
  const received: Received[] = []
  const script: number[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', () => {
      received.push({
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        path: request.url ?? '',
      })
      response.statusCode = script.shift() ?? 200
      response.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    received,
    script,
    /** A URL whose path is as secret as a Slack or Discord hook's. */
    url: (secretPath: string) => `http://127.0.0.1:${port}/hooks/${secretPath}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const CREATE = `mutation($input: CreateAlertDestinationInput!) { createAlertDestination(input: $input) {
  __typename
  ... on CreateAlertDestinationSuccess { signingSecret destination { id name kind hint enabled createdAt } }
  ... on UserError { code message fields { path message } }
} }`

describe('alert delivery', () => {
  let t: TestApp
  let boss: PgBoss
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let ws: { id: string; token: string }
  let accountId: string
  /** Every secret handed to the API: none may come back in a response, a log line or an error. */
  const secrets: string[] = []

  beforeAll(async () => {
    t = await createTestApp()
    receiver = await startReceiver()
    ws = await t.workspace('delivery-alpha')
    accountId = (await insertAccounts(t.db, ws.id, [{ label: 'Casino Partners EUR' }]))[0]!
    boss = createJobQueue(t.db, { schedule: false })
    await boss.start()
    await startAlertDelivery(t.services, boss, {
      retryDelaySeconds: 1,
      pollingIntervalSeconds: 0.5,
      retryLimit: 4,
    })
  })

  afterAll(async () => {
    await stopAlertDelivery(t.services)
    await boss?.stop({ graceful: true, timeout: 5_000, close: true })
    await receiver?.close()
    await t?.close()
  })

  /** A destination made through the API; its URL's path is a fresh secret. */
  async function destination(kind: 'WEBHOOK' | 'SLACK' | 'DISCORD') {
    const secretPath = `T0SECRET${crypto.randomUUID().replace(/-/g, '')}`
    secrets.push(secretPath)
    plantCanary(secretPath)
    const url = receiver.url(secretPath)
    const { body } = await t.gql(CREATE, { input: { name: `${kind} hook`, kind, url } }, ws.token)
    const result = body.data?.createAlertDestination as {
      __typename: string
      signingSecret: string | null
      destination: { id: string; hint: string }
    }
    expect(result.__typename).toBe('CreateAlertDestinationSuccess')
    if (result.signingSecret) {
      secrets.push(result.signingSecret)
      plantCanary(result.signingSecret)
    }
    expect(result.destination.hint).toBe(new URL(url).origin)
    const id = Buffer.from(result.destination.id, 'base64').toString('utf8').split(':')[1]!
    return { id, globalId: result.destination.id, signingSecret: result.signingSecret, secretPath }
  }

  /** A rule naming the destinations and one alert of it, stored as the alert engine would. */
  async function alertFor(destinationIds: string[], title = 'FTDs fell 60% on Casino Partners EUR') {
    const em = t.db.fork()
    const now = t.services.clock.now()
    const rule = em.create(AlertRule, {
      id: crypto.randomUUID(),
      workspace: em.getReference(Workspace, ws.id),
      name: 'traffic watch',
      kind: 'TRAFFIC_CHANGE',
      settings: {},
      targetTags: [],
      targetAccountIds: [],
      destinationIds,
      enabled: true,
      createdAt: now,
      updatedAt: now,
    })
    const alert = em.create(Alert, {
      id: crypto.randomUUID(),
      workspace: em.getReference(Workspace, ws.id),
      rule,
      account: accountId,
      kind: 'TRAFFIC_CHANGE',
      subjectKey: `day:${accountId}:2026-11-03:ftds:${crypto.randomUUID()}`,
      day: '2026-11-03',
      metric: 'ftds',
      currency: null,
      beforeValue: '10',
      afterValue: '4',
      title,
      details: { dropPercent: 60 },
      firedAt: now,
      lastSeenAt: now,
      resolvedAt: null,
      resolution: null,
    } as never)
    await em.flush()
    return alert
  }

  const requestsTo = (secretPath: string) => receiver.received.filter((r) => r.path.endsWith(secretPath))

  async function deliveryOf(alertId: string) {
    const em = t.db.fork()
    em.setFilterParams('workspace', { id: ws.id })
    const [delivery] = await deliveriesOfAlert(em, alertId)
    return delivery!
  }

  it('given a generic webhook, when an alert fires, then the receiver gets one signed POST carrying the idempotency key', async () => {
    const hook = await destination('WEBHOOK')
    const alert = await alertFor([hook.id])

    expect(await enqueueAlertDeliveries(t.services, alert, 'FIRED')).toBe(1)

    const [request] = await until(
      'the POST',
      async () => requestsTo(hook.secretPath).length > 0 && requestsTo(hook.secretPath),
    )
    await sleep(1500)
    expect(requestsTo(hook.secretPath)).toHaveLength(1)
    const timestamp = String(request!.headers['x-affgraph-timestamp'])
    const expected = `v1=${createHmac('sha256', hook.signingSecret!).update(`${timestamp}.${request!.body}`).digest('hex')}`
    const given = String(request!.headers['x-affgraph-signature'])
    expect(timingSafeEqual(Buffer.from(given), Buffer.from(expected))).toBe(true)
    expect(request!.headers['x-affgraph-event']).toBe('FIRED')
    expect(request!.headers['x-affgraph-delivery']).toBe(`alert:${alert.id}:FIRED:${hook.id}`)
    const body = JSON.parse(request!.body)
    expect(body).toMatchObject({
      event: 'FIRED',
      deliveryId: `alert:${alert.id}:FIRED:${hook.id}`,
      alert: {
        id: alert.id,
        kind: 'TRAFFIC_CHANGE',
        metric: 'ftds',
        day: '2026-11-03',
        before: '10',
        after: '4',
      },
      account: { id: accountId, label: 'Casino Partners EUR' },
    })
    expect(body.summary).toContain('FTDs fell 60%')
    expect(body.summary).not.toMatch(/https?:/)
    const delivery = await until('SENT', async () => {
      const d = await deliveryOf(alert.id)
      return d.status === 'SENT' && d
    })
    expect(delivery.attempts).toBe(1)
  })

  it('given a receiver answering 500 twice then 200, when the alert is delivered, then three attempts are logged and the last one sent it', async () => {
    const hook = await destination('WEBHOOK')
    const alert = await alertFor([hook.id])
    receiver.script.push(500, 500)

    await enqueueAlertDeliveries(t.services, alert, 'FIRED')

    await until('SENT after retries', async () => (await deliveryOf(alert.id)).status === 'SENT', 30_000)
    const requests = requestsTo(hook.secretPath)
    expect(requests).toHaveLength(3)
    expect(new Set(requests.map((r) => r.headers['x-affgraph-delivery'])).size).toBe(1)
    const delivery = await deliveryOf(alert.id)
    const { body } = await t.gql(
      `query($id: ID!) { node(id: $id) { ... on AlertDelivery { status attemptCount
        attempts { attempt responseStatus errorCode outcome } } } }`,
      { id: Buffer.from(`AlertDelivery:${delivery.id}`).toString('base64') },
      ws.token,
    )
    expect(body.data?.node).toMatchObject({
      status: 'SENT',
      attemptCount: 3,
      attempts: [
        { attempt: 1, responseStatus: 500, errorCode: 'HTTP_RETRYABLE', outcome: 'RETRY' },
        { attempt: 2, responseStatus: 500, errorCode: 'HTTP_RETRYABLE', outcome: 'RETRY' },
        { attempt: 3, responseStatus: 200, errorCode: null, outcome: 'SENT' },
      ],
    })
  })

  it('given a receiver answering 404, when the alert is delivered, then it fails for good after one attempt', async () => {
    const hook = await destination('WEBHOOK')
    const alert = await alertFor([hook.id])
    receiver.script.push(404)

    await enqueueAlertDeliveries(t.services, alert, 'FIRED')

    const delivery = await until('FAILED', async () => {
      const d = await deliveryOf(alert.id)
      return d.status === 'FAILED' && d
    })
    await sleep(2500)
    expect(requestsTo(hook.secretPath)).toHaveLength(1)
    expect(delivery.attempts).toBe(1)
    expect(delivery.lastError).toContain('HTTP_REFUSED')
  })

  it('given Slack and Discord destinations, when an alert resolves, then each gets its own incoming-webhook format', async () => {
    const slack = await destination('SLACK')
    const discord = await destination('DISCORD')
    const alert = await alertFor([slack.id, discord.id], 'Clicks <b>dropped</b> & stayed down')

    expect(await enqueueAlertDeliveries(t.services, alert, 'RESOLVED')).toBe(2)

    const [toSlack] = await until(
      'Slack POST',
      async () => requestsTo(slack.secretPath).length > 0 && requestsTo(slack.secretPath),
    )
    const [toDiscord] = await until(
      'Discord POST',
      async () => requestsTo(discord.secretPath).length > 0 && requestsTo(discord.secretPath),
    )
    const slackBody = JSON.parse(toSlack!.body)
    expect(typeof slackBody.text).toBe('string')
    expect(slackBody.text).toContain('Clicks &lt;b&gt;dropped&lt;/b&gt; &amp; stayed down')
    expect(slackBody.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } })
    expect(toSlack!.headers['x-affgraph-signature']).toBeUndefined()
    const discordBody = JSON.parse(toDiscord!.body)
    expect(discordBody.content).toContain('Resolved: Clicks <b>dropped</b>')
    expect(discordBody.content.length).toBeLessThanOrEqual(2000)
    expect(discordBody.allowed_mentions).toEqual({ parse: [] })
    expect(discordBody.embeds[0]).toMatchObject({
      title: 'Clicks <b>dropped</b> & stayed down',
      fields: expect.arrayContaining([{ name: 'Before', value: '10', inline: true }]),
    })
  })

  it('given the same alert and event enqueued twice, when delivered, then there is one delivery and one POST', async () => {
    const hook = await destination('WEBHOOK')
    const alert = await alertFor([hook.id])

    const first = await enqueueAlertDeliveries(t.services, alert, 'FIRED')
    const second = await enqueueAlertDeliveries(t.services, alert, 'FIRED')

    expect([first, second]).toEqual([1, 0])
    await until('SENT', async () => (await deliveryOf(alert.id)).status === 'SENT')
    await sleep(1500)
    expect(await t.db.fork().count(AlertDelivery, { alert: alert.id }, { filters: false })).toBe(1)
    expect(requestsTo(hook.secretPath)).toHaveLength(1)
  })

  it('given an email destination, when an alert fires, then the SMTP server receives one message with the login', async () => {
    const password = `smtp-${crypto.randomUUID()}`
    secrets.push(password)
    plantCanary(password)
    const messages: { from: string; to: string[]; data: string; user: string }[] = []
    const smtp = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts' && auth.password === password) callback(null, { user: auth.username })
        else callback(new Error('bad login'))
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            // Long header lines arrive folded; unfolded they read as sent.
            data: Buffer.concat(chunks)
              .toString('utf8')
              .replace(/\r\n[ \t]+/g, ' '),
            user: String(session.user),
          })
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
    const port = (smtp.server.address() as AddressInfo).port
    try {
      const { body } = await t.gql(
        CREATE,
        {
          input: {
            name: 'ops mail',
            kind: 'EMAIL',
            email: {
              host: '127.0.0.1',
              port,
              secure: false,
              user: 'alerts',
              password,
              from: 'affgraph@example.com',
              to: ['ops@example.com'],
            },
          },
        },
        ws.token,
      )
      const created = body.data?.createAlertDestination as { destination: { id: string; hint: string } }
      expect(created.destination.hint).toBe('ops@example.com')
      const id = Buffer.from(created.destination.id, 'base64').toString('utf8').split(':')[1]!
      const alert = await alertFor([id], 'Sync stale for Casino Partners EUR')

      await enqueueAlertDeliveries(t.services, alert, 'FIRED')

      await until('the email', async () => messages.length > 0)
      await until('SENT', async () => (await deliveryOf(alert.id)).status === 'SENT')
      expect(messages).toHaveLength(1)
      expect(messages[0]).toMatchObject({
        from: 'affgraph@example.com',
        to: ['ops@example.com'],
        user: 'alerts',
      })
      expect(messages[0]!.data).toContain('Subject: [affgraph] Sync stale for Casino Partners EUR')
      expect(messages[0]!.data).toContain(`X-Affgraph-Delivery: alert:${alert.id}:FIRED:${id}`)
      expect(messages[0]!.data).toContain('text/html')
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()))
    }
  })

  it('given a destination URL to a private or metadata address, when it is created, then the guard refuses it naming the field', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.7/hook',
      'http://127.0.0.2:9/hook',
    ]) {
      const { body } = await t.gql(CREATE, { input: { name: 'sneaky', kind: 'WEBHOOK', url } }, ws.token)
      expect(body.data?.createAlertDestination, url).toMatchObject({
        __typename: 'OutboundBlockedError',
        code: 'OUTBOUND_BLOCKED',
        fields: [{ path: ['input', 'url'] }],
      })
    }
    const { body } = await t.gql(
      CREATE,
      {
        input: {
          name: 'metadata mail',
          kind: 'EMAIL',
          email: { host: '169.254.169.254', port: 25, from: 'a@example.com', to: ['b@example.com'] },
        },
      },
      ws.token,
    )
    expect(body.data?.createAlertDestination).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      fields: [{ path: ['input', 'email', 'host'] }],
    })
  })

  it('given a destination, when sendTestAlert is called, then a TEST delivery is queued and arrives', async () => {
    const hook = await destination('WEBHOOK')
    const { body } = await t.gql(
      `mutation($id: ID!) { sendTestAlert(input: { destinationId: $id }) { __typename
        ... on SendTestAlertSuccess { delivery { id event status idempotencyKey destination { name } } } } }`,
      { id: hook.globalId },
      ws.token,
    )
    const result = body.data?.sendTestAlert as { delivery: { event: string; idempotencyKey: string } }
    expect(result.delivery).toMatchObject({
      event: 'TEST',
      status: 'PENDING',
      destination: { name: 'WEBHOOK hook' },
    })
    const [request] = await until(
      'the test POST',
      async () => requestsTo(hook.secretPath).length > 0 && requestsTo(hook.secretPath),
    )
    expect(request!.headers['x-affgraph-event']).toBe('TEST')
    expect(request!.headers['x-affgraph-delivery']).toBe(result.delivery.idempotencyKey)
  })

  it('given another workspace, when it lists or changes these destinations, then it finds none', async () => {
    const hook = await destination('SLACK')
    const bravo = await t.workspace('delivery-bravo')
    const listed = await t.gql('{ alertDestinations { totalCount nodes { id } } }', {}, bravo.token)
    expect(listed.body.data?.alertDestinations).toEqual({ totalCount: 0, nodes: [] })
    const changed = await t.gql(
      `mutation($id: ID!) { updateAlertDestination(input: { destinationId: $id, name: "mine" }) { __typename } }`,
      { id: hook.globalId },
      bravo.token,
    )
    expect(changed.body.data?.updateAlertDestination).toEqual({ __typename: 'AlertDestinationNotFoundError' })
    // A bravo rule naming alpha's destination sends nothing there.
    const em = t.db.fork()
    const now = t.services.clock.now()
    const rule = em.create(AlertRule, {
      id: crypto.randomUUID(),
      workspace: em.getReference(Workspace, bravo.id),
      name: 'borrowed',
      kind: 'SYNC_STALE',
      settings: {},
      targetTags: [],
      targetAccountIds: [],
      destinationIds: [hook.id],
      enabled: true,
      createdAt: now,
      updatedAt: now,
    })
    const alert = em.create(Alert, {
      id: crypto.randomUUID(),
      workspace: em.getReference(Workspace, bravo.id),
      rule,
      account: null,
      kind: 'SYNC_STALE',
      subjectKey: 'workspace',
      title: 'stale',
      details: {},
      firedAt: now,
      lastSeenAt: now,
    } as never)
    await em.flush()
    expect(await enqueueAlertDeliveries(t.services, alert, 'FIRED')).toBe(0)
  })

  it('given updates that replace and rotate secrets, when the destination is read back, then no secret is ever returned, logged or stored in an error', async () => {
    const hook = await destination('WEBHOOK')
    const nextPath = `T0SECRET${crypto.randomUUID().replace(/-/g, '')}`
    secrets.push(nextPath)
    plantCanary(nextPath)
    const { body } = await t.gql(
      `mutation($input: UpdateAlertDestinationInput!) { updateAlertDestination(input: $input) { __typename
        ... on UpdateAlertDestinationSuccess { signingSecret destination { name hint enabled } } } }`,
      {
        input: {
          destinationId: hook.globalId,
          name: 'renamed',
          url: receiver.url(nextPath),
          rotateSigningSecret: true,
          enabled: false,
        },
      },
      ws.token,
    )
    const updated = body.data?.updateAlertDestination as { signingSecret: string; destination: unknown }
    expect(updated.destination).toEqual({
      name: 'renamed',
      hint: new URL(receiver.url(nextPath)).origin,
      enabled: false,
    })
    expect(updated.signingSecret).toMatch(/^whsec_/)
    expect(updated.signingSecret).not.toBe(hook.signingSecret)
    plantCanary(updated.signingSecret)

    const everything = await t.gql(
      `{ alertDestinations { nodes { id name kind hint enabled createdAt } } }`,
      {},
      ws.token,
    )
    const deliveries = await t.db.query<{ last_error: string | null; error_message: string | null }>(
      `select d.last_error, a.error_message from alert_delivery d left join alert_delivery_attempt a on a.delivery_id = d.id`,
    )
    const stored = await t.db.query<{ credentials: unknown; settings: unknown }>(
      'select credentials, settings from alert_destination',
    )
    const haystacks = [
      JSON.stringify(everything.body),
      JSON.stringify(deliveries),
      JSON.stringify(stored),
      t.logs.text(),
    ]
    for (const secret of secrets) for (const text of haystacks) expect(text).not.toContain(secret)
  })
})
