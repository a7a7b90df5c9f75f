import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluateAlerts } from '../../src/alerts/alert-engine.ts'
import { startSync } from '../../src/bootstrap.ts'
import { fixedClock } from '../../src/clock.ts'
import type { SyncEngine } from '../../src/sync/sync-engine.ts'
import { insertAccounts, insertCoverage, insertStatRows } from '../stats/stats-seed.ts'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { readEvents } from '../support/sse-events.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

const NOW = '2026-07-20T12:00:00Z'

const RULE = /* GraphQL */ `
  mutation ($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) {
      __typename
      ... on CreateAlertRuleSuccess { alertRule { id } }
      ... on UserError { code fields { path message } }
    }
  }
`
const UPDATE = /* GraphQL */ `
  mutation ($input: UpdateAlertRuleInput!) {
    updateAlertRule(input: $input) {
      __typename
      ... on UpdateAlertRuleSuccess { alertRule { id enabled targetTags openAlertCount } }
      ... on UserError { code }
    }
  }
`
const LIST = /* GraphQL */ `
  query ($filter: AlertFilter) {
    alerts(filter: $filter, first: 50) {
      totalCount
      nodes { id kind status resolution title reasons day account { label } rule { id } }
    }
  }
`

interface Listed {
  id: string
  kind: string
  status: string
  resolution: string | null
  title: string
  reasons: string[]
  day: string | null
  account: { label: string } | null
  rule: { id: string }
}

describe(`alert engine on ${TEST_DATABASE_KIND}`, () => {
  let t: TestApp
  let engine: SyncEngine
  let ws: { id: string; token: string }
  let casino: string
  let sports: string
  let quick: string

  const list = async (filter: Record<string, unknown> = {}) => {
    const res = await t.gql<{ alerts: { totalCount: number; nodes: Listed[] } }>(LIST, { filter }, ws.token)
    expect(res.body.errors).toBeUndefined()
    return res.body.data!.alerts.nodes
  }
  const createRule = async (input: Record<string, unknown>) => {
    const res = await t.gql<{ createAlertRule: { __typename: string; alertRule: { id: string } } }>(
      RULE,
      { input },
      ws.token,
    )
    expect(res.body.data?.createAlertRule.__typename, JSON.stringify(res.body)).toBe('CreateAlertRuleSuccess')
    return res.body.data!.createAlertRule.alertRule.id
  }
  const daysBetween = (from: string, to: string) => {
    const out: string[] = []
    for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000)
      out.push(new Date(d).toISOString().slice(0, 10))
    return out
  }

  beforeAll(async () => {
    t = await createTestApp({ overrides: { clock: fixedClock(NOW) } })
    engine = await startSync(t.services, { work: false, schedule: false })
    ws = await t.workspace('alert-engine')
    ;[casino, sports, quick] = (await insertAccounts(t.db, ws.id, [
      { label: 'Casino program', tags: ['casino'] },
      { label: 'Sports program', tags: ['sports'] },
      { label: 'Quick program', platformId: 'smartico' },
    ])) as [string, string, string]
    await t.db.query(`update account set last_sync_at = ? where workspace_id = ?`, [NOW, ws.id])
    // The casino program went quiet after the 16th; the others kept going.
    await insertStatRows(t.db, ws.id, [
      ...daysBetween('2026-07-01', '2026-07-16').map((day) => ({
        accountId: casino,
        day,
        clicks: 100,
        ftds: 2,
      })),
      ...daysBetween('2026-07-01', '2026-07-19').map((day) => ({ accountId: sports, day, clicks: 80 })),
      { accountId: quick, day: '2026-07-05', currency: 'EUR', commission: '99.00' },
    ])
    await insertCoverage(t.db, [casino, sports, quick], '2026-07-01', '2026-07-19')
  }, 60_000)

  afterAll(async () => {
    await engine?.stop(5_000)
    await t?.close()
  })

  it('given a program with no activity for three synced days after two active weeks, when the rule evaluates, then it fires once and resolves when activity returns', async () => {
    const rule = await createRule({
      name: 'Quiet',
      kind: 'STOPPED_REPORTING',
      targetTags: ['casino', 'sports'],
    })
    const open = (await list({ status: 'OPEN' })).filter((a) => a.rule.id === rule)
    expect(open.map((a) => [a.kind, a.account?.label, a.day])).toEqual([
      ['STOPPED_REPORTING', 'Casino program', '2026-07-17'],
    ])
    expect(open[0]!.title).toMatch(/since 2026-07-16/)
    await insertStatRows(t.db, ws.id, [{ accountId: casino, day: '2026-07-19', clicks: 40 }])
    await evaluateAlerts(t.services, { workspaceId: ws.id })
    const after = (await list()).filter((a) => a.rule.id === rule)
    expect(after.map((a) => [a.status, a.resolution])).toEqual([['RESOLVED', 'CLEARED']])
  })

  it('given a rule on a tag, when its targets change, then alerts of accounts no longer targeted resolve and the new ones fire', async () => {
    await t.db.query(`update account set last_sync_at = ? where workspace_id = ?`, [
      '2026-07-18T00:00:00Z',
      ws.id,
    ])
    const rule = await createRule({
      name: 'Stale sports',
      kind: 'SYNC_STALE',
      settings: { staleHours: 24 },
      targetTags: ['sports'],
    })
    const ofRule = async () => (await list({ ruleIds: [rule] })).map((a) => [a.account?.label, a.status])
    expect(await ofRule()).toEqual([['Sports program', 'OPEN']])
    const res = await t.gql<{
      updateAlertRule: { __typename: string; alertRule: { openAlertCount: number } }
    }>(UPDATE, { input: { id: rule, targetTags: ['casino'] } }, ws.token)
    expect(res.body.data!.updateAlertRule.__typename).toBe('UpdateAlertRuleSuccess')
    expect(res.body.data!.updateAlertRule.alertRule.openAlertCount).toBe(1)
    expect((await ofRule()).sort()).toEqual([
      ['Casino program', 'OPEN'],
      ['Sports program', 'RESOLVED'],
    ])
  })

  it('given an open alert, when a user dismisses it while the condition holds, then a subscriber hears of it and the next evaluation opens a new alert', async () => {
    const [open] = await list({ status: 'OPEN', kinds: ['SYNC_STALE'] })
    const stream = await t.app.fetch('http://affgraph.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${ws.token}`,
      },
      body: JSON.stringify({ query: 'subscription { alertChanged { id status resolution } }' }),
    })
    expect(stream.status).toBe(200)
    type Event = { data?: { alertChanged?: { id: string; status: string; resolution: string | null } } }
    const heard = readEvents<Event>(stream, (events) => events.some((e) => e.data?.alertChanged), 15_000)
    // The stream is open once its first bytes can be read; give the subscription a moment to attach.
    await new Promise((r) => setTimeout(r, 300))
    const dismissed = await t.gql<{ dismissAlert: { __typename: string } }>(
      'mutation ($id: ID!) { dismissAlert(input: { id: $id }) { __typename } }',
      { id: open!.id },
      ws.token,
    )
    expect(dismissed.body.data!.dismissAlert.__typename).toBe('DismissAlertSuccess')
    const { events } = await heard
    expect(events.map((e) => e.data?.alertChanged).filter(Boolean)).toContainEqual({
      id: open!.id,
      status: 'RESOLVED',
      resolution: 'DISMISSED',
    })
    await stream.body?.cancel()
    const result = await evaluateAlerts(t.services, { workspaceId: ws.id })
    expect(result.opened).toHaveLength(1)
    const stale = await list({ kinds: ['SYNC_STALE'], status: 'OPEN' })
    expect(stale.map((a) => a.account?.label)).toEqual(['Casino program'])
    expect(stale[0]!.id).not.toBe(open!.id)
  })

  it('given a disabled rule, when evaluated, then it raises nothing and leaves its open alert as it was', async () => {
    const [open] = await list({ status: 'OPEN', kinds: ['SYNC_STALE'] })
    const res = await t.gql<{ updateAlertRule: { __typename: string } }>(
      UPDATE,
      { input: { id: open!.rule.id, enabled: false, targetTags: ['casino', 'sports'] } },
      ws.token,
    )
    expect(res.body.data!.updateAlertRule.__typename).toBe('UpdateAlertRuleSuccess')
    const result = await evaluateAlerts(t.services, { workspaceId: ws.id })
    expect(result.opened).toEqual([])
    expect((await list({ status: 'OPEN', kinds: ['SYNC_STALE'] })).map((a) => a.id)).toEqual([open!.id])
  })

  it('given a small change detected after the platform called the day final, when revisions are evaluated, then it alerts for that reason alone', async () => {
    // Smartico declares a rolling horizon of days: the 5th was final well before the 20th, in the same month.
    await t.db.query(
      `insert into stat_change (workspace_id, account_id, day, brand, campaign, currency, metric, old_value, new_value, detected_at)
       values (?, ?, '2026-07-05', '', '', 'EUR', 'commission', 100, 99, '2026-07-20T10:00:00Z')`,
      [ws.id, quick],
    )
    await createRule({ name: 'Revisions', kind: 'REVISION', targetAccountIds: [globalId('Account', quick)] })
    const [alert] = await list({ kinds: ['REVISION'] })
    expect(alert).toMatchObject({ day: '2026-07-05', reasons: ['AFTER_HORIZON'], status: 'OPEN' })
    expect(alert!.title).toMatch(/after the platform called it final/)
  })

  it('given a rule with alerts, when it is deleted, then its alerts go with it', async () => {
    const [alert] = await list({ kinds: ['REVISION'] })
    const res = await t.gql<{ deleteAlertRule: { __typename: string } }>(
      'mutation ($id: ID!) { deleteAlertRule(input: { id: $id }) { __typename } }',
      { id: alert!.rule.id },
      ws.token,
    )
    expect(res.body.data!.deleteAlertRule.__typename).toBe('DeleteAlertRuleSuccess')
    expect(await list({ kinds: ['REVISION'] })).toEqual([])
  })

  it('given a transition stored without its deliveries (a process died in between), when the clock evaluates, then the deliveries it owes are recorded once', async () => {
    const created = await t.gql<{ createAlertDestination: { destination: { id: string } } }>(
      `mutation { createAlertDestination(input: { name: "ops", kind: DISCORD, url: "http://127.0.0.1:9/hook" }) {
        ... on CreateAlertDestinationSuccess { destination { id } } } }`,
      {},
      ws.token,
    )
    const destination = databaseIdOf(created.body.data!.createAlertDestination.destination.id)
    const rule = crypto.randomUUID()
    const alert = crypto.randomUUID()
    await t.db.query(
      `insert into alert_rule (id, workspace_id, name, kind, settings, destination_ids, enabled, created_at, updated_at)
       values (?, ?, 'crashed', 'SYNC_STALE', '{}', ?::text[], false, ?, ?)`,
      [rule, ws.id, `{${destination}}`, NOW, NOW],
    )
    await t.db.query(
      `insert into alert (id, workspace_id, rule_id, account_id, kind, subject_key, title, details, fired_at, last_seen_at)
       values (?, ?, ?, ?, 'SYNC_STALE', 'account', 'crashed before delivery', '{}', ?, ?)`,
      [alert, ws.id, rule, casino, NOW, NOW],
    )
    const owed = () =>
      t.db.query<{ event: string; destination_id: string }>(
        'select event, destination_id from alert_delivery where alert_id = ?',
        [alert],
      )
    expect(await owed()).toEqual([])
    await evaluateAlerts(t.services, {})
    await evaluateAlerts(t.services, {})
    expect(await owed()).toEqual([{ event: 'FIRED', destination_id: destination }])
  })
})
