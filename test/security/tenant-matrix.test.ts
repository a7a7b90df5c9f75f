import type { GraphQLSchema } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSync } from '../../src/bootstrap.ts'
import { buildSchema } from '../../src/schema/schema.ts'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { type StatsInput, toStatsQuery } from '../../src/stats/stats.service.ts'
import { accountCounting } from '../../src/stats/stats-sql.ts'
import { type AccountView, bearer, connectSoftSwiss, ok, send } from '../graphql/graphql-helpers.ts'
import { insertRates } from '../stats/stats-seed.ts'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { testDay } from '../support/test-clock.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'
import {
  type ClicksFilter,
  collectEvents,
  markersOf,
  nestedFieldsWithArguments,
  rootFieldNames,
  scopedArgumentPaths,
  settleSyncs,
  snapshotWorkspace,
  storedClicks,
} from './support/tenant-matrix.ts'

/**
 * The tenant matrix: every root field of the schema, called by workspace B with workspace A's ids (and filters
 * naming A's accounts, tags and cursors), must answer nothing of A and change none of A's rows; the same call
 * made by A must see or change the thing, so that no case passes because the call does nothing at all.
 */

type Caller = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>

interface MatrixCase {
  /** Root field, e.g. `Query.stats`. */
  field: string
  /** Argument paths this case feeds with A's ids or cursors, as `scopedArgumentPaths` names them. */
  feeds: string[]
  /** Fields below the roots with arguments that this case walks (as B and as A). */
  nested?: string[]
  expectation: string
  run(): Promise<void>
}

interface AlertEvent {
  data?: { alertChanged?: { id: string; title: string; status: string } }
}

interface SyncEvent {
  data?: { syncProgress?: { accountId: string; runId: string; status: string } }
}

let t: TestApp
let schema: GraphQLSchema
let sim: PlatformSimulator
let a: { id: string; token: string }
let b: { id: string; token: string }
let a1: AccountView
let a2: AccountView
let a3: AccountView
let b1: AccountView
let window: { from: string; to: string }
let revisedDay: string
let aAccountsCursor: string
let aChangesCursor: string
let aChangesStartCursor: string
let aAccountsStartCursor: string
let aTokensCursor: string
let aMembersCursor: string
let aRunsCursor: string
let aStatsRowsCursor: string
let aSpareTokenId: string
let aMemberId: string
let aRuleId: string
let aSpareRuleId: string
let bRuleId: string
let aAlertIds: string[]
let bAlertId: string
let aRulesCursor: string
let aRulesStartCursor: string
let aAlertsCursor: string
let aAlertsStartCursor: string
let aDestinationId: string
let aDestinationsCursor: string
let brandsOfA: string[]
let campaignsOfA: string[]
let aDealId: string
let aDeal2Id: string
let aVersionId: string
let aSpareVersionId: string
let bDealId: string
let aPaymentId: string
let aSparePaymentId: string
let aDealsCursor: string
let aDealsStartCursor: string
let aPaymentsCursor: string
let aPaymentsOldestCursor: string
const tally = { cross: 0, controls: 0 }
/** Words both workspaces use: not a trace of A when B's answer holds them. */
const SHARED_WORDS = new Set(['shared', 'softswiss'])

const dayOffset = (days: number) => testDay(days)

/** Runs B's calls: none may fail, none may carry a trace of A, and A's rows must be byte-for-byte the same after. */
async function asB(what: string, fn: (call: Caller) => Promise<void>): Promise<void> {
  const markers = (await markersOf(t.db, a.id)).filter((m) => !SHARED_WORDS.has(m))
  expect(markers.length, 'markers of A').toBeGreaterThan(5)
  const before = await snapshotWorkspace(t.db, a.id)
  const call: Caller = async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const response = await send<T>(t, query, variables, bearer(b.token))
    expect(response.body.errors, `${what}: ${response.text.slice(0, 500)}`).toBeUndefined()
    // What B sent may come back (an email B chose, an id B named): a leak is what B did not already hold.
    const sent = JSON.stringify([query, variables])
    expect(
      markers.filter((m) => response.text.includes(m) && !sent.includes(m)),
      `${what}: B's answer names A`,
    ).toEqual([])
    tally.cross++
    return response.body.data as T
  }
  await fn(call)
  expect(await snapshotWorkspace(t.db, a.id), `${what}: workspace A's rows`).toEqual(before)
}

/** The positive control: the same field, called by A on its own ids. */
async function asA(fn: (call: Caller) => Promise<void>): Promise<void> {
  await fn(async <T>(query: string, variables: Record<string, unknown> = {}) => {
    tally.controls++
    return ok<T>(t, a.token, query, variables)
  })
}

/** Sync runs that the ids name, with the workspace each belongs to. */
async function runWorkspaces(ids: string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await t.db.query<{ w: string }>(
    `select workspace_id::text as w from sync_run where id in (${ids.map(() => '?').join(', ')})`,
    ids.map(databaseIdOf),
  )
  expect(rows).toHaveLength(ids.length)
  return rows.map((r) => r.w)
}

/** Global ids of a workspace's alert rules, oldest first. */
async function rulesOf(workspaceId: string): Promise<string[]> {
  const rows = await t.db.query<{ id: string }>(
    'select id::text as id from alert_rule where workspace_id = ? order by created_at, id',
    [workspaceId],
  )
  return rows.map((r) => globalId('AlertRule', r.id))
}

/** Global ids of a workspace's alerts, open or resolved. */
async function alertsOf(workspaceId: string): Promise<string[]> {
  const rows = await t.db.query<{ id: string }>('select id::text as id from alert where workspace_id = ?', [
    workspaceId,
  ])
  return rows.map((r) => globalId('Alert', r.id))
}

type DealTable = 'deal' | 'deal_version' | 'payment'
const DEAL_TYPES = { deal: 'Deal', deal_version: 'DealVersion', payment: 'Payment' } as const

/** Global ids of a workspace's deals and versions (oldest first) or payments (newest first), as the API lists them. */
async function idsOf(table: DealTable, workspaceId: string): Promise<string[]> {
  const order = table === 'payment' ? 'desc' : 'asc'
  const rows = await t.db.query<{ id: string }>(
    `select id::text as id from ${table} where workspace_id = ? order by created_at ${order}, id ${order}`,
    [workspaceId],
  )
  return rows.map((r) => globalId(DEAL_TYPES[table], r.id))
}

/**
 * A's deals, versions and payments, and those of any workspace that name A's accounts, read whole as text: the
 * workspace snapshot predates these tables, so the deal cases compare them themselves.
 */
async function dealRowsOf(workspaceId: string): Promise<Record<DealTable, string[]>> {
  const ofA = 'select id from account where workspace_id = ?'
  const read = async (sql: string) =>
    (await t.db.query<{ r: string }>(`${sql} order by 1`, [workspaceId, workspaceId])).map((row) => row.r)
  return {
    deal: await read(`select x::text as r from deal x where x.workspace_id = ? or x.account_id in (${ofA})`),
    deal_version: await read(
      `select x::text as r from deal_version x join deal d on d.id = x.deal_id
        where x.workspace_id = ? or d.account_id in (${ofA})`,
    ),
    payment: await read(
      `select x::text as r from payment x where x.workspace_id = ? or x.account_id in (${ofA})`,
    ),
  }
}

/** What only A's deals and payments hold: their ids (raw and global), notes and references. */
async function dealMarkersOf(workspaceId: string): Promise<string[]> {
  const ids = await Promise.all((Object.keys(DEAL_TYPES) as DealTable[]).map((x) => idsOf(x, workspaceId)))
  const words = await t.db.query<{ m: string }>(
    `select note as m from deal_version where workspace_id = ? and note is not null
     union select reference from payment where workspace_id = ? and reference is not null
     union select note from payment where workspace_id = ? and note is not null`,
    [workspaceId, workspaceId, workspaceId],
  )
  return [...ids.flat().flatMap((id) => [id, databaseIdOf(id)]), ...words.map((w) => w.m)].filter(
    (m) => m.length >= 6,
  )
}

/** `asB`, and besides: no answer names A's deals or payments, and none of them (or of rows on A's accounts) changes. */
async function asBOnDeals(what: string, fn: (call: Caller) => Promise<void>): Promise<void> {
  const markers = await dealMarkersOf(a.id)
  expect(markers.length, 'deal markers of A').toBeGreaterThan(5)
  const before = await dealRowsOf(a.id)
  expect(before.deal.length, "A's deals").toBeGreaterThan(0)
  expect(before.payment.length, "A's payments").toBeGreaterThan(0)
  await asB(what, async (call) => {
    await fn(async <T>(query: string, variables: Record<string, unknown> = {}) => {
      const data = await call<T>(query, variables)
      const text = JSON.stringify(data)
      const sent = JSON.stringify([query, variables])
      expect(
        markers.filter((m) => text.includes(m) && !sent.includes(m)),
        `${what}: B's answer names A's deals or payments`,
      ).toEqual([])
      return data
    })
  })
  expect(await dealRowsOf(a.id), `${what}: A's deals and payments`).toEqual(before)
}

const SET_DEAL_TERMS = `mutation($input: SetDealTermsInput!) { setDealTerms(input: $input) {
  __typename ... on SetDealTermsSuccess { deal { id } version { id } } ... on InvalidArgumentError { fields { path message } } } }`
const RECORD_PAYMENT = `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  __typename ... on RecordPaymentSuccess { payment { id } } ... on InvalidArgumentError { fields { path message } } } }`
const dealTerms = (accountId: string, validFrom: string, note?: string) => ({
  accountId,
  validFrom,
  terms: { currency: 'EUR', cpa: { amount: '50' } },
  ...(note ? { note } : {}),
})
const payment = (accountId: string, month: string, reference: string) => ({
  accountId,
  month,
  amount: '50',
  currency: 'EUR',
  paidOn: '2026-02-10',
  reference,
})
type SetTerms = {
  setDealTerms: {
    __typename: string
    deal?: { id: string }
    version?: { id: string }
    fields?: { path: string[]; message: string }[]
  }
}
type Recorded = {
  recordPayment: {
    __typename: string
    payment?: { id: string }
    fields?: { path: string[]; message: string }[]
  }
}
/** The type of a result and, for an InvalidArgumentError, the paths it names, joined. */
const rejection = (result: { __typename: string; fields?: { path: string[] }[] }) => ({
  __typename: result.__typename,
  paths: result.fields?.map((f) => f.path.join('.')),
})

/** Marks accounts as refusing their keys (what CREDENTIALS_REFUSED rules watch); returns what to restore. */
async function refuseKeys(accountIds: string[]): Promise<{ id: string; status: string }[]> {
  const before = await t.db.query<{ id: string; status: string }>(
    `select id::text as id, status from account where id in (${accountIds.map(() => '?').join(', ')})`,
    accountIds.map(databaseIdOf),
  )
  expect(before).toHaveLength(accountIds.length)
  for (const { id } of before)
    await t.db.query(`update account set status = 'AUTH_FAILED' where id = ?`, [id])
  return before
}

async function restoreStatuses(statuses: { id: string; status: string }[]): Promise<void> {
  for (const { id, status } of statuses)
    await t.db.query('update account set status = ? where id = ?', [status, id])
}

const openStream = (token: string, query: string, variables: Record<string, unknown> = {}) =>
  t.app.fetch('http://affgraph.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  })

/**
 * Starts reading a stream and gives the server a moment to subscribe: a subscription listens only once its first
 * event is asked for, and an event published before that reaches no one (which would make a silent stream prove
 * nothing).
 */
async function listen(
  response: Response,
  enough: (events: AlertEvent[]) => boolean,
): Promise<{ events: Promise<AlertEvent[]> }> {
  const events = collectEvents<AlertEvent>(response, enough, 15_000)
  await new Promise((resolve) => setTimeout(resolve, 300))
  return { events }
}

const ALERT_STREAM = 'subscription { alertChanged { id title status } }'
const carries = (alertId: string) => (events: AlertEvent[]) =>
  events.some((e) => e.data?.alertChanged?.id === alertId)

const CREATE_ALERT_RULE = `mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) {
  __typename ... on CreateAlertRuleSuccess { alertRule { id } } } }`

const openSubscription = (token: string, accountId: string | null) =>
  openStream(token, 'subscription ($id: ID) { syncProgress(accountId: $id) { accountId runId status } }', {
    id: accountId,
  })

const progressOf = (events: SyncEvent[]) => events.map((e) => e.data?.syncProgress).filter((p) => !!p)
const finished = (runId: string) => (events: SyncEvent[]) =>
  progressOf(events).some((p) => p.runId === runId && (p.status === 'SUCCEEDED' || p.status === 'FAILED'))

// --- stats: every aggregation path of the statement ---------------------------------------------------------------

interface StatsVariant {
  input: StatsInput
  /** Select `accountsContributing` (without it the statement counts no accounts). */
  accounts: boolean
  /** Select `totals` (without it the statement computes no grand total; clicks are summed from the rows). */
  totals: boolean
}

const GRANULARITIES = ['DAY', 'WEEK', 'MONTH', 'YEAR', 'TOTAL'] as const
const DIMENSION_SETS: string[][] = [
  [],
  ['ACCOUNT'],
  ['PROGRAM'],
  ['PLATFORM'],
  ['BRAND'],
  ['CAMPAIGN'],
  ['TAG'],
  ['PROGRAM', 'TAG'],
  ['ACCOUNT', 'BRAND', 'CAMPAIGN'],
  ['PLATFORM', 'CAMPAIGN'],
]

function statsFilters(): ClicksFilter[] {
  return [
    {},
    { accountIds: [a1.id, a2.id] },
    { tags: ['alpha-only'] },
    { tags: ['shared'] },
    { platformIds: ['softswiss'] },
    { brands: brandsOfA },
    { campaigns: campaignsOfA },
    { accountIds: [a1.id], tags: ['shared'], platformIds: ['softswiss'] },
  ]
}

function statsVariants(): StatsVariant[] {
  const filters = statsFilters()
  const currencies = [null, 'EUR', 'USD']
  const policies = ['DAILY', 'PERIOD_END', 'FIXED_DATE'] as const
  const variants: StatsVariant[] = []
  let k = 0
  for (const granularity of GRANULARITIES) {
    for (const groupBy of DIMENSION_SETS) {
      const currency = currencies[k % currencies.length]!
      const policy = policies[Math.floor(k / currencies.length) % policies.length]!
      const rowsOnly = k % 4 === 3 && !groupBy.includes('TAG')
      variants.push({
        input: {
          range: window,
          granularity,
          groupBy: groupBy as StatsInput['groupBy'],
          filter: filters[k % filters.length]!,
          ...(currency
            ? { currency, fx: { policy, ...(policy === 'FIXED_DATE' ? { date: window.to } : {}) } }
            : {}),
        },
        accounts: !rowsOnly && k % 5 !== 4,
        totals: !rowsOnly,
      })
      k++
    }
  }
  // Counting accounts by index probes needs a report currency, coarse periods and account-level keys only.
  variants.push(
    {
      input: { range: window, granularity: 'MONTH', groupBy: ['PROGRAM'], currency: 'EUR' },
      accounts: true,
      totals: true,
    },
    {
      input: {
        range: window,
        granularity: 'WEEK',
        groupBy: ['TAG', 'PLATFORM'],
        currency: 'USD',
        filter: { tags: ['alpha-only', 'shared'] },
        fx: { policy: 'PERIOD_END' },
      },
      accounts: true,
      totals: true,
    },
  )
  return variants
}

/** The code paths of the stats statement a variant takes, as the statement builder itself classifies them. */
function pathsOf(variant: StatsVariant): string[] {
  const query = toStatsQuery(variant.input)
  const dims = query.groupBy
  return [
    `counting:${variant.accounts ? accountCounting(query) : 'none'}`,
    `pass:${dims.includes('ACCOUNT') ? 'direct' : 'folded'}`,
    `money:${query.currency ? 'converted' : 'native'}`,
    ...(query.fx ? [`fx:${query.fx.policy}`] : []),
    `granularity:${query.granularity}`,
    ...dims.map((d) => `dimension:${d}`),
    ...Object.keys(query.filter ?? {}).map((f) => `filter:${f}`),
    `totals:${variant.totals}`,
  ]
}

const statsQuery = (v: StatsVariant) => `query Stats($input: StatsInput!) {
  stats(input: $input) {
    rows { nodes { accountId tag clicks ${v.accounts && !v.totals ? 'accountsContributing' : ''} } }
    ${v.totals ? `totals { clicks ${v.accounts ? 'accountsContributing' : ''} }` : ''}
  }
}`

interface StatsAnswer {
  stats: {
    rows: { nodes: { accountId: string | null; tag: string | null; clicks: number | null }[] }
    totals?: { clicks: number | null; accountsContributing?: number }
  }
}

const clicksOf = (answer: StatsAnswer) =>
  answer.stats.totals
    ? (answer.stats.totals.clicks ?? 0)
    : answer.stats.rows.nodes.reduce((sum, r) => sum + (r.clicks ?? 0), 0)

// --- the cases -----------------------------------------------------------------------------------------------------

const ACCOUNT_STATS =
  'stats(input: { range: $range, granularity: MONTH, currency: "EUR", groupBy: [ACCOUNT], fetchMissing: true }) { rows { nodes { accountId clicks } } fetchRuns { id account { id } } }'

/** Ids of A's objects of every Node type, as the API names them. */
async function nodeIdsOfA(): Promise<string[]> {
  const rows = async (table: string, type: Parameters<typeof globalId>[0]) =>
    (
      await t.db.query<{ id: string }>(`select id::text as id from ${table} where workspace_id = ? limit 3`, [
        a.id,
      ])
    ).map((r) => globalId(type, r.id))
  const changes = await ok<{ changes: { nodes: { id: string }[] } }>(
    t,
    a.token,
    '{ changes(first: 3) { nodes { id } } }',
  )
  const ids = [
    a1.id,
    a2.id,
    a3.id,
    aMemberId,
    globalId('Workspace', a.id),
    ...(await rows('api_token', 'ApiToken')),
    ...(await rows('sync_run', 'SyncRun')),
    ...(await rows('alert_rule', 'AlertRule')),
    ...(await rows('alert', 'Alert')),
    ...changes.changes.nodes.map((n) => n.id),
  ]
  expect(new Set(ids.map((id) => Buffer.from(id, 'base64').toString().split(':')[0])).size).toBe(8)
  return ids
}

/** `node` and `nodes`: B asking with A's ids gets exactly what an unknown id gets. */
const NODE_CASE = (field: 'Query.node' | 'Query.nodes'): MatrixCase => ({
  field,
  feeds: [field === 'Query.node' ? 'Query.node(id)' : 'Query.nodes(ids)'],
  expectation: "null for every object of A's, of every Node type, exactly as for an unknown id",
  async run() {
    const ids = await nodeIdsOfA()
    const unknown = globalId('Account', crypto.randomUUID())
    if (field === 'Query.node') {
      const query = 'query($id: ID!) { node(id: $id) { __typename id } }'
      await asB('node', async (call) => {
        const nothing = JSON.stringify(await call(query, { id: unknown }))
        expect(nothing).toBe('{"node":null}')
        for (const id of ids) expect(JSON.stringify(await call(query, { id })), id).toBe(nothing)
      })
      await asA(async (call) => {
        for (const id of ids)
          expect((await call<{ node: { id: string } | null }>(query, { id })).node?.id).toBe(id)
      })
      return
    }
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }'
    await asB('nodes', async (call) => {
      const data = await call<{ nodes: unknown[] }>(query, { ids: [...ids, unknown] })
      expect(data.nodes).toEqual([...ids, unknown].map(() => null))
    })
    await asA(async (call) => {
      const data = await call<{ nodes: ({ id: string } | null)[] }>(query, { ids: [...ids, unknown] })
      expect(data.nodes.map((n) => n?.id ?? null)).toEqual([...ids, null])
    })
  },
})

const CASES: MatrixCase[] = [
  // First: A's alerts stay open only until a sync of their accounts evaluates them again.
  {
    field: 'Query.alertRules',
    feeds: ['Query.alertRules(after)', 'Query.alertRules(before)'],
    expectation: "only B's rules, whatever A's cursor it names",
    async run() {
      const query = `query($after: String, $before: String) {
        alertRules(after: $after, before: $before) { totalCount nodes { id name targetAccounts { id } } } }`
      type Rules = { alertRules: { totalCount: number; nodes: { id: string; name: string }[] } }
      const aRules = await rulesOf(a.id)
      await asB('alertRules', async (call) => {
        const own = await rulesOf(b.id)
        expect(own.length).toBeGreaterThan(0)
        for (const variables of [
          {},
          { after: aRulesCursor },
          { before: aRulesStartCursor },
          { after: aRulesStartCursor },
        ]) {
          const data = await call<Rules>(query, variables)
          const ids = data.alertRules.nodes.map((r) => r.id)
          // B's rules were all created after A's: A's cursors come before every one of them.
          expect(ids.sort(), JSON.stringify(variables)).toEqual('before' in variables ? [] : [...own].sort())
          expect(data.alertRules.totalCount).toBe(own.length)
        }
      })
      await asA(async (call) => {
        const data = await call<Rules>(query)
        expect(data.alertRules.nodes.map((r) => r.id).sort()).toEqual([...aRules].sort())
        expect(data.alertRules.nodes.map((r) => r.name)).toContain('alpha-refused-keys')
        const paged = await call<Rules>(query, { after: aRulesStartCursor })
        expect(paged.alertRules.nodes.length).toBe(aRules.length - 1)
      })
    },
  },
  {
    field: 'Query.alerts',
    feeds: [
      'Query.alerts(filter.accountIds)',
      'Query.alerts(filter.ruleIds)',
      'Query.alerts(after)',
      'Query.alerts(before)',
    ],
    expectation: "no alert of A's, filtered by A's accounts or rules, or paged from A's cursors",
    async run() {
      const query = `query($filter: AlertFilter, $after: String, $before: String) {
        alerts(filter: $filter, after: $after, before: $before, first: 100) {
          totalCount nodes { id title account { id label } rule { id name } } } }`
      type Alerts = {
        alerts: {
          totalCount: number
          nodes: { id: string; account: { id: string } | null; rule: { id: string } }[]
        }
      }
      const aRules = await rulesOf(a.id)
      await asB('alerts', async (call) => {
        const own = await alertsOf(b.id)
        expect(own).toContain(bAlertId)
        const variants: [Record<string, unknown> & { filter?: Record<string, unknown> }, string[]][] = [
          [{ filter: { accountIds: [a1.id, a2.id, a3.id] } }, []],
          [{ filter: { ruleIds: aRules } }, []],
          [
            {
              filter: {
                accountIds: [a2.id],
                ruleIds: [aRuleId],
                status: 'OPEN',
                kinds: ['CREDENTIALS_REFUSED'],
              },
            },
            [],
          ],
          // A's ids beside B's own narrow B's list; they never widen it to A's alerts.
          [{ filter: { accountIds: [b1.id, a2.id, a3.id] } }, own],
          [{ filter: { ruleIds: [bRuleId, aRuleId] } }, own],
          [{}, own],
          // B's alert fired after A's: newer than A's newest (listed first), none older than A's oldest.
          [{ after: aAlertsCursor }, []],
          [{ before: aAlertsStartCursor }, own],
          [{ filter: { ruleIds: [aRuleId] }, after: aAlertsStartCursor }, []],
        ]
        for (const [variables, expected] of variants) {
          const what = JSON.stringify(variables)
          const data = await call<Alerts>(query, variables)
          const ids = data.alerts.nodes.map((n) => n.id)
          expect(ids.sort(), what).toEqual([...expected].sort())
          if (!('after' in variables) && !('before' in variables))
            expect(data.alerts.totalCount, what).toBe(ids.length)
        }
      })
      await asA(async (call) => {
        const byAccount = await call<Alerts>(query, { filter: { accountIds: [a2.id] } })
        expect(byAccount.alerts.nodes.map((n) => n.account?.id)).toEqual([a2.id])
        const byRule = await call<Alerts>(query, { filter: { ruleIds: [aRuleId] } })
        expect(byRule.alerts.nodes.map((n) => n.id).sort()).toEqual([...aAlertIds].sort())
        const all = await call<Alerts>(query)
        expect(all.alerts.nodes.map((n) => n.id).sort()).toEqual((await alertsOf(a.id)).sort())
        const paged = await call<Alerts>(query, { after: aAlertsStartCursor })
        expect(paged.alerts.nodes.length).toBe(all.alerts.nodes.length - 1)
      })
    },
  },
  {
    field: 'Mutation.dismissAlert',
    feeds: ['Mutation.dismissAlert(input.id)'],
    expectation: "AlertNotFoundError and A's alerts still open",
    async run() {
      const query = `mutation($id: ID!) { dismissAlert(input: { id: $id }) {
        __typename ... on DismissAlertSuccess { alert { id status resolution } } ... on UserError { code } } }`
      await asB('dismissAlert', async (call) => {
        for (const id of aAlertIds) {
          const data = await call<{ dismissAlert: { __typename: string; code: string } }>(query, { id })
          expect(data.dismissAlert).toEqual({ __typename: 'AlertNotFoundError', code: 'ALERT_NOT_FOUND' })
        }
      })
      await asA(async (call) => {
        const id = aAlertIds[1]!
        const data = await call<{ dismissAlert: { alert: unknown } }>(query, { id })
        expect(data.dismissAlert.alert).toEqual({ id, status: 'RESOLVED', resolution: 'DISMISSED' })
        const [row] = await t.db.query<{ resolution: string }>('select resolution from alert where id = ?', [
          databaseIdOf(id),
        ])
        expect(row!.resolution).toBe('DISMISSED')
      })
    },
  },
  {
    field: 'Subscription.alertChanged',
    feeds: [],
    expectation: "no event about A's alerts while A dismisses one, only B's own",
    async run() {
      let fromB: { events: Promise<AlertEvent[]> } | undefined
      await asB('alertChanged', async () => {
        const stream = await openStream(b.token, ALERT_STREAM)
        expect(stream.status).toBe(200)
        expect(stream.headers.get('content-type')).toContain('text/event-stream')
        fromB = await listen(stream, carries(bAlertId))
        tally.cross++
      })
      const fromA = await listen(await openStream(a.token, ALERT_STREAM), carries(aAlertIds[0]!))
      const dismiss = 'mutation($id: ID!) { dismissAlert(input: { id: $id }) { __typename } }'
      const aAlert = aAlertIds[0]!
      await asA(async (call) => {
        const data = await call<{ dismissAlert: { __typename: string } }>(dismiss, { id: aAlert })
        expect(data.dismissAlert.__typename).toBe('DismissAlertSuccess')
        const seen = await fromA.events
        expect(
          seen.filter((e) => e.data?.alertChanged?.id === aAlert).map((e) => e.data?.alertChanged?.status),
          JSON.stringify(seen),
        ).toEqual(['RESOLVED'])
        for (const e of seen) expect(aAlertIds).toContain(e.data?.alertChanged?.id)
      })
      // B's own event ends B's stream: whatever A's dismissal published came before it.
      const mine = await ok<{ dismissAlert: { __typename: string } }>(t, b.token, dismiss, { id: bAlertId })
      expect(mine.dismissAlert.__typename).toBe('DismissAlertSuccess')
      const seenByB = await fromB!.events
      expect(seenByB.length).toBeGreaterThan(0)
      for (const event of seenByB)
        expect(event).toEqual({ data: { alertChanged: expect.objectContaining({ id: bAlertId }) } })
      const text = JSON.stringify(seenByB)
      const markers = (await markersOf(t.db, a.id)).filter((m) => !SHARED_WORDS.has(m))
      expect(markers.filter((m) => text.includes(m))).toEqual([])
    },
  },
  {
    field: 'Mutation.createAlertRule',
    feeds: [
      'Mutation.createAlertRule(input.targetAccountIds)',
      'Mutation.createAlertRule(input.destinationIds)',
    ],
    expectation:
      "InvalidArgumentError naming each of A's accounts, nothing stored that watches them, and a rule for every account alerting on B's only",
    async run() {
      const query = `mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) {
        __typename ... on CreateAlertRuleSuccess { alertRule { id targetAccounts { id } destinations { id } openAlertCount } }
        ... on InvalidArgumentError { code fields { path } } } }`
      type Created = {
        createAlertRule: {
          __typename: string
          alertRule?: {
            id: string
            targetAccounts: { id: string }[]
            destinations: { id: string }[]
            openAlertCount: number
          }
          fields?: { path: string[] }[]
        }
      }
      // A's accounts refuse their keys while B creates its rules: a rule of B's that reached them would fire.
      const statuses = await refuseKeys([a1.id, a2.id, a3.id])
      try {
        await asB('createAlertRule', async (call) => {
          const rulesBefore = await rulesOf(b.id)
          for (const [targets, at] of [
            [[a1.id], 0],
            [[b1.id, a2.id], 1],
            [[b1.id, b1.id, a3.id], 2],
          ] as const) {
            const data = await call<Created>(query, {
              input: { name: 'bravo watches alpha', kind: 'CREDENTIALS_REFUSED', targetAccountIds: targets },
            })
            expect(data.createAlertRule.__typename).toBe('InvalidArgumentError')
            expect(data.createAlertRule.fields?.map((f) => f.path.join('.'))).toEqual([
              `input.targetAccountIds.${at}`,
            ])
          }
          // A's destination: B's alerts must never be delivered to A's receivers.
          const toA = await call<Created>(query, {
            input: {
              name: 'bravo tells alpha',
              kind: 'CREDENTIALS_REFUSED',
              destinationIds: [aDestinationId],
            },
          })
          expect(toA.createAlertRule.__typename).toBe('InvalidArgumentError')
          expect(toA.createAlertRule.fields?.map((f) => f.path.join('.'))).toEqual(['input.destinationIds.0'])
          expect(await rulesOf(b.id)).toEqual(rulesBefore)
          // No targets: every account of the workspace, and only of B's.
          const everything = await call<Created>(query, {
            input: { name: 'bravo watches everything', kind: 'CREDENTIALS_REFUSED' },
          })
          expect(everything.createAlertRule.alertRule?.openAlertCount).toBe(0)
          const [stray] = await t.db.query<{ n: number | string }>(
            `select count(*)::int as n from alert x join account a on a.id = x.account_id
              where x.workspace_id = ? and a.workspace_id <> ?`,
            [b.id, b.id],
          )
          expect(Number(stray!.n)).toBe(0)
        })
        await asA(async (call) => {
          const data = await call<Created>(query, {
            input: {
              name: 'alpha-watches-ledger-1',
              kind: 'CREDENTIALS_REFUSED',
              targetAccountIds: [a1.id],
              destinationIds: [aDestinationId],
            },
          })
          expect(data.createAlertRule.alertRule?.targetAccounts).toEqual([{ id: a1.id }])
          expect(data.createAlertRule.alertRule?.destinations).toEqual([{ id: aDestinationId }])
          expect(data.createAlertRule.alertRule?.openAlertCount).toBe(1)
          const [row] = await t.db.query<{ w: string }>(
            'select workspace_id::text as w from alert_rule where id = ?',
            [databaseIdOf(data.createAlertRule.alertRule!.id)],
          )
          expect(row!.w).toBe(a.id)
        })
      } finally {
        await restoreStatuses(statuses)
      }
    },
  },
  {
    field: 'Mutation.updateAlertRule',
    feeds: [
      'Mutation.updateAlertRule(input.id)',
      'Mutation.updateAlertRule(input.targetAccountIds)',
      'Mutation.updateAlertRule(input.destinationIds)',
    ],
    expectation:
      "AlertRuleNotFoundError for A's rules, InvalidArgumentError for A's accounts on B's rule, A's rules unchanged",
    async run() {
      const query = `mutation($input: UpdateAlertRuleInput!) { updateAlertRule(input: $input) {
        __typename ... on UpdateAlertRuleSuccess { alertRule { id name targetAccounts { id } } }
        ... on UserError { code } ... on InvalidArgumentError { fields { path } } } }`
      type Updated = {
        updateAlertRule: {
          __typename: string
          code?: string
          alertRule?: { id: string; name: string; targetAccounts: { id: string }[] }
          fields?: { path: string[] }[]
        }
      }
      await asB('updateAlertRule', async (call) => {
        for (const id of await rulesOf(a.id)) {
          const data = await call<Updated>(query, {
            input: { id, name: 'bravo took it', targetAccountIds: [b1.id], enabled: false },
          })
          expect(data.updateAlertRule.__typename).toBe('AlertRuleNotFoundError')
        }
        const [before] = await t.db.query<{ r: string }>(
          'select x::text as r from alert_rule x where id = ?',
          [databaseIdOf(bRuleId)],
        )
        const data = await call<Updated>(query, { input: { id: bRuleId, targetAccountIds: [b1.id, a2.id] } })
        expect(data.updateAlertRule.__typename).toBe('InvalidArgumentError')
        expect(data.updateAlertRule.fields?.map((f) => f.path.join('.'))).toEqual([
          'input.targetAccountIds.1',
        ])
        const toA = await call<Updated>(query, { input: { id: bRuleId, destinationIds: [aDestinationId] } })
        expect(toA.updateAlertRule.__typename).toBe('InvalidArgumentError')
        expect(toA.updateAlertRule.fields?.map((f) => f.path.join('.'))).toEqual(['input.destinationIds.0'])
        const [after] = await t.db.query<{ r: string }>(
          'select x::text as r from alert_rule x where id = ?',
          [databaseIdOf(bRuleId)],
        )
        expect(after).toEqual(before)
      })
      await asA(async (call) => {
        const data = await call<Updated>(query, {
          input: {
            id: aSpareRuleId,
            name: 'alpha-dormant-renamed',
            targetAccountIds: [a1.id, a2.id],
            destinationIds: [aDestinationId],
          },
        })
        expect(data.updateAlertRule.alertRule?.name).toBe('alpha-dormant-renamed')
        expect(data.updateAlertRule.alertRule?.targetAccounts.map((x) => x.id)).toEqual([a1.id, a2.id])
      })
    },
  },
  {
    field: 'Mutation.deleteAlertRule',
    feeds: ['Mutation.deleteAlertRule(input.id)'],
    expectation: "AlertRuleNotFoundError, A's rules and their alerts all still there",
    async run() {
      const query = `mutation($id: ID!) { deleteAlertRule(input: { id: $id }) {
        __typename ... on DeleteAlertRuleSuccess { alertRuleId } ... on UserError { code } } }`
      await asB('deleteAlertRule', async (call) => {
        for (const id of await rulesOf(a.id)) {
          const data = await call<{ deleteAlertRule: unknown }>(query, { id })
          expect(data.deleteAlertRule).toEqual({
            __typename: 'AlertRuleNotFoundError',
            code: 'ALERT_RULE_NOT_FOUND',
          })
        }
      })
      await asA(async (call) => {
        const data = await call<{ deleteAlertRule: { alertRuleId: string } }>(query, { id: aSpareRuleId })
        expect(data.deleteAlertRule.alertRuleId).toBe(aSpareRuleId)
        expect(await rulesOf(a.id)).not.toContain(aSpareRuleId)
      })
    },
  },
  {
    field: 'Query.account',
    feeds: [
      'Query.account(id)',
      'Account.syncRuns(after)',
      'Account.syncRuns(before)',
      'Account.stats(input.filter.accountIds)',
    ],
    nested: ['Account.stats', 'Account.syncRuns'],
    expectation:
      "null for each of A's accounts, also beside B's own in one batched request; A's run cursors page B's runs only",
    async run() {
      const query = `query($id: ID!, $range: StatsRangeInput!) {
        account(id: $id) { id label ${ACCOUNT_STATS} syncRuns(first: 50) { nodes { id } } } }`
      await asB('account(id)', async (call) => {
        for (const id of [a1.id, a2.id, a3.id]) {
          const data = await call<{ account: unknown }>(query, { id, range: window })
          expect(data.account).toBeNull()
        }
        // One request, one DataLoader batch: B's account beside A's must not pull A's rows into B's answer.
        const both = await call<{
          mine: { stats: { rows: { nodes: { clicks: number }[] } }; syncRuns: { nodes: { id: string }[] } }
          theirs: unknown
        }>(
          `query($mine: ID!, $theirs: ID!, $range: StatsRangeInput!) {
            mine: account(id: $mine) { ${ACCOUNT_STATS} syncRuns(first: 50) { nodes { id } } }
            theirs: account(id: $theirs) { ${ACCOUNT_STATS} syncRuns(first: 50) { nodes { id } } } }`,
          { mine: b1.id, theirs: a1.id, range: window },
        )
        expect(both.theirs).toBeNull()
        const mine = both.mine.stats.rows.nodes.reduce((s, r) => s + r.clicks, 0)
        expect(mine).toBe(await storedClicks(t.db, b.id, window, { accountIds: [b1.id] }))
        expect(new Set(await runWorkspaces(both.mine.syncRuns.nodes.map((r) => r.id)))).toEqual(
          new Set([b.id]),
        )
        // A's run cursors only position the page among B's own runs.
        const paged = await call<{
          account: { after: { nodes: { id: string }[] }; before: { nodes: { id: string }[] } }
        }>(
          `query($id: ID!, $cursor: String!) { account(id: $id) {
            after: syncRuns(after: $cursor, first: 50) { nodes { id } }
            before: syncRuns(before: $cursor, last: 50) { nodes { id } } } }`,
          { id: b1.id, cursor: aRunsCursor },
        )
        const runs = [...paged.account.after.nodes, ...paged.account.before.nodes].map((r) => r.id)
        for (const w of await runWorkspaces(runs)) expect(w).toBe(b.id)
        // A's ids in the filter of B's own account narrow it; they never widen it to A's rows.
        const filtered = await call<{
          mine: { stats: { rows: { nodes: { clicks: number }[] } } }
          only: { stats: { rows: { nodes: unknown[] } } }
        }>(
          `query($mine: ID!, $ids: [ID!], $theirs: [ID!], $range: StatsRangeInput!) {
            mine: account(id: $mine) { stats(input: { range: $range, filter: { accountIds: $ids } }) { rows { nodes { clicks } } } }
            only: account(id: $mine) {
              stats(input: { range: $range, groupBy: [ACCOUNT], filter: { accountIds: $theirs } }) { rows { nodes { clicks } } }
            } }`,
          { mine: b1.id, ids: [a1.id, a2.id, b1.id], theirs: [a1.id], range: window },
        )
        expect(filtered.mine.stats.rows.nodes.reduce((s, r) => s + r.clicks, 0)).toBe(mine)
        expect(filtered.only.stats.rows.nodes).toEqual([])
      })
      await asA(async (call) => {
        const data = await call<{
          account: {
            id: string
            stats: { rows: { nodes: { clicks: number }[] } }
            syncRuns: { nodes: { id: string }[] }
          }
        }>(query, { id: a1.id, range: window })
        expect(data.account.id).toBe(a1.id)
        const clicks = data.account.stats.rows.nodes.reduce((s, r) => s + r.clicks, 0)
        expect(clicks).toBeGreaterThan(0)
        expect(clicks).toBe(await storedClicks(t.db, a.id, window, { accountIds: [a1.id] }))
        expect(data.account.syncRuns.nodes.length).toBeGreaterThan(0)
        expect(new Set(await runWorkspaces(data.account.syncRuns.nodes.map((r) => r.id)))).toEqual(
          new Set([a.id]),
        )
        const paged = await call<{ account: { syncRuns: { nodes: { id: string }[] } } }>(
          'query($id: ID!, $cursor: String!) { account(id: $id) { syncRuns(after: $cursor, first: 50) { nodes { id } } } }',
          { id: a1.id, cursor: aRunsCursor },
        )
        expect(paged.account.syncRuns.nodes.length).toBeGreaterThan(0)
      })
    },
  },
  {
    field: 'Query.accounts',
    feeds: ['Query.accounts(after)', 'Query.accounts(before)'],
    nested: ['Account.stats', 'Account.syncRuns'],
    expectation: "only B's accounts, whatever A's tag, platform or cursor it names",
    async run() {
      const query = `query($tag: String, $platformId: String, $after: String, $before: String, $range: StatsRangeInput!) {
        accounts(tag: $tag, platformId: $platformId, after: $after, before: $before, first: 100) {
          totalCount nodes { id tags ${ACCOUNT_STATS} syncRuns { nodes { id } } } } }`
      type Page = {
        accounts: {
          totalCount: number
          nodes: {
            id: string
            stats: { rows: { nodes: { clicks: number }[] } }
            syncRuns: { nodes: { id: string }[] }
          }[]
        }
      }
      await asB('accounts', async (call) => {
        const ownIds = (
          await t.db.query<{ id: string }>('select id::text as id from account where workspace_id = ?', [
            b.id,
          ])
        ).map((r) => globalId('Account', r.id))
        for (const variables of [
          {},
          { tag: 'alpha-only' },
          { tag: 'shared' },
          { platformId: 'softswiss' },
          { after: aAccountsCursor },
          { before: aAccountsStartCursor },
        ]) {
          const data = await call<Page>(query, { ...variables, range: window })
          // B's accounts were all created after A's: none comes before A's first.
          const expected = variables.tag === 'alpha-only' || 'before' in variables ? [] : ownIds
          expect(data.accounts.nodes.map((n) => n.id).sort(), JSON.stringify(variables)).toEqual(
            [...expected].sort(),
          )
          if (!('after' in variables) && !('before' in variables))
            expect(data.accounts.totalCount).toBe(expected.length)
          const clicks = data.accounts.nodes
            .flatMap((n) => n.stats.rows.nodes)
            .reduce((s, r) => s + r.clicks, 0)
          const stored = expected.length
            ? await storedClicks(t.db, b.id, window, { accountIds: expected })
            : 0
          expect(clicks).toBe(stored)
          const runs = data.accounts.nodes.flatMap((n) => n.syncRuns.nodes.map((r) => r.id))
          for (const w of await runWorkspaces(runs)) expect(w).toBe(b.id)
        }
      })
      await asA(async (call) => {
        const data = await call<Page>(query, { tag: 'alpha-only', range: window })
        expect(data.accounts.nodes.map((n) => n.id)).toEqual([a1.id])
        expect(data.accounts.nodes[0]!.stats.rows.nodes.length).toBeGreaterThan(0)
        const all = await call<Page>(query, { range: window })
        expect(all.accounts.totalCount).toBe(3)
      })
    },
  },
  {
    field: 'Query.apiTokens',
    feeds: ['Query.apiTokens(after)', 'Query.apiTokens(before)'],
    expectation: "none of A's tokens, whatever A's cursor it names",
    async run() {
      const query = `query($after: String, $before: String) {
        apiTokens(after: $after, before: $before) { nodes { id name prefix } } }`
      const aTokens = (
        await t.db.query<{ id: string }>('select id::text as id from api_token where workspace_id = ?', [
          a.id,
        ])
      ).map((r) => globalId('ApiToken', r.id))
      await asB('apiTokens', async (call) => {
        for (const variables of [{}, { after: aTokensCursor }, { before: aTokensCursor }]) {
          const data = await call<{ apiTokens: { nodes: { id: string }[] } }>(query, variables)
          if (!('before' in variables)) expect(data.apiTokens.nodes.length).toBeGreaterThan(0)
          for (const token of data.apiTokens.nodes) expect(aTokens).not.toContain(token.id)
        }
      })
      await asA(async (call) => {
        const data = await call<{ apiTokens: { nodes: { id: string }[] } }>(query)
        expect(data.apiTokens.nodes.map((k) => k.id).sort()).toEqual([...aTokens].sort())
      })
    },
  },
  {
    field: 'Query.members',
    feeds: ['Query.members(after)', 'Query.members(before)'],
    expectation: "none of A's members, whatever A's cursor it names",
    async run() {
      const query = `query($after: String, $before: String) {
        members(after: $after, before: $before) { nodes { id email role } } }`
      await asB('members', async (call) => {
        for (const variables of [{}, { after: aMembersCursor }, { before: aMembersCursor }]) {
          const data = await call<{ members: { nodes: { id: string; email: string }[] } }>(query, variables)
          // B's member was added after A's: it follows A's cursor and none precedes it.
          expect(data.members.nodes.map((m) => m.email)).toEqual(
            'before' in variables ? [] : ['member@bravo.example'],
          )
        }
      })
      await asA(async (call) => {
        const data = await call<{ members: { nodes: { id: string; email: string }[] } }>(query)
        expect(data.members.nodes).toEqual([{ id: aMemberId, email: 'owner@alpha.example', role: 'OWNER' }])
      })
    },
  },
  {
    field: 'Query.viewer',
    feeds: [],
    expectation: "B's own workspace and token",
    async run() {
      const query = '{ viewer { workspace { id name } token { id } } }'
      await asB('viewer', async (call) => {
        const data = await call<{ viewer: { workspace: { id: string; name: string } } }>(query)
        expect(data.viewer.workspace).toEqual({
          id: globalId('Workspace', b.id),
          name: 'tenant-matrix-bravo',
        })
      })
      await asA(async (call) => {
        const data = await call<{ viewer: { workspace: { id: string } } }>(query)
        expect(data.viewer.workspace.id).toBe(globalId('Workspace', a.id))
      })
    },
  },
  NODE_CASE('Query.node'),
  NODE_CASE('Query.nodes'),
  {
    field: 'Query.platform',
    feeds: ['Query.platform(id)'],
    expectation: 'the same public catalogue entry A gets, and null for an account id',
    async run() {
      const query = 'query($id: ID!) { platform(id: $id) { id name connectionFields { name secret } } }'
      let seenByB: unknown
      await asB('platform', async (call) => {
        seenByB = (await call<{ platform: unknown }>(query, { id: 'softswiss' })).platform
        expect((await call<{ platform: unknown }>(query, { id: a1.id })).platform).toBeNull()
      })
      await asA(async (call) => {
        const seenByA = (await call<{ platform: unknown }>(query, { id: 'softswiss' })).platform
        expect(seenByA).not.toBeNull()
        expect(seenByB).toEqual(seenByA)
      })
    },
  },
  {
    field: 'Query.platforms',
    feeds: [],
    expectation: 'the same public catalogue A gets',
    async run() {
      const query = '{ platforms { id name version capabilities { timeZone } } }'
      let seenByB: unknown
      await asB('platforms', async (call) => {
        seenByB = await call(query)
      })
      await asA(async (call) => {
        const seenByA = await call<{ platforms: unknown[] }>(query)
        expect(seenByA.platforms.length).toBeGreaterThan(0)
        expect(seenByB).toEqual(seenByA)
      })
    },
  },
  {
    field: 'Query.changes',
    feeds: ['Query.changes(filter.accountIds)', 'Query.changes(after)', 'Query.changes(before)'],
    expectation: "no revision of A's, filtered by A's accounts, days or metrics, or paged from A's cursor",
    async run() {
      const query = `query($filter: StatChangesFilterInput, $after: String, $before: String) {
        changes(filter: $filter, after: $after, before: $before, first: 100) {
          nodes { id accountId account { id label } metric day } pageInfo { hasNextPage endCursor } } }`
      type Changes = {
        changes: { nodes: { id: string; accountId: string; account: { id: string } | null }[] }
      }
      await asB('changes', async (call) => {
        for (const variables of [
          {},
          { filter: { accountIds: [a1.id, a2.id] } },
          { filter: { from: revisedDay, to: revisedDay } },
          { filter: { metrics: ['CLICKS', 'FTDS', 'COMMISSION'] } },
          { after: aChangesCursor },
          { filter: { accountIds: [a1.id] }, after: aChangesCursor },
          { before: aChangesStartCursor },
        ]) {
          const data = await call<Changes>(query, variables)
          expect(data.changes.nodes, JSON.stringify(variables)).toEqual([])
        }
      })
      await asA(async (call) => {
        const data = await call<Changes>(query, { filter: { accountIds: [a1.id] } })
        expect(data.changes.nodes.length).toBeGreaterThan(0)
        for (const node of data.changes.nodes) expect(node.account?.id).toBe(a1.id)
        const paged = await call<Changes>(query, { after: aChangesCursor })
        expect(paged.changes.nodes.length).toBe(data.changes.nodes.length - 1)
      })
    },
  },
  {
    field: 'Query.stats',
    feeds: ['Query.stats(input.filter.accountIds)', 'StatsResult.rows(after)', 'StatsResult.rows(before)'],
    nested: ['StatsResult.rows'],
    expectation:
      "only B's own stored clicks on every aggregation path, and nothing under filters naming A's accounts or tags",
    async run() {
      const variants = statsVariants()
      const aIds = [a1.id, a2.id, a3.id]
      const expected = async (workspaceId: string, v: StatsVariant) =>
        storedClicks(t.db, workspaceId, window, (v.input.filter ?? {}) as ClicksFilter)
      await asB('stats', async (call) => {
        for (const [i, variant] of variants.entries()) {
          const what = `stats #${i} ${JSON.stringify(variant)}`
          const expectedB = await expected(b.id, variant)
          const data = await call<StatsAnswer>(statsQuery(variant), { input: variant.input })
          expect(clicksOf(data), what).toBe(expectedB)
          for (const row of data.stats.rows.nodes) expect(aIds, what).not.toContain(row.accountId)
          if (expectedB === 0) {
            expect(data.stats.rows.nodes, what).toEqual([])
            if (variant.accounts && variant.totals)
              expect(data.stats.totals?.accountsContributing, what).toBe(0)
          }
        }
        // A's row cursors are positions in an answer: in B's they only position a page of B's own rows.
        const paged = await call<{
          stats: { after: { nodes: { accountId: string }[] }; before: { nodes: { accountId: string }[] } }
        }>(
          `query($input: StatsInput!, $cursor: String!) { stats(input: $input) {
            after: rows(after: $cursor) { nodes { accountId } }
            before: rows(before: $cursor, last: 10) { nodes { accountId } } } }`,
          { input: { range: window, granularity: 'DAY', groupBy: ['ACCOUNT'] }, cursor: aStatsRowsCursor },
        )
        const rows = [...paged.stats.after.nodes, ...paged.stats.before.nodes]
        expect(rows.length).toBeGreaterThan(0)
        for (const row of rows) expect(aIds).not.toContain(row.accountId)
      })
      await asA(async (call) => {
        for (const [i, variant] of variants.entries()) {
          const what = `stats #${i} ${JSON.stringify(variant)}`
          const expectedA = await expected(a.id, variant)
          expect(expectedA, `${what}: A has clicks under this filter`).toBeGreaterThan(0)
          const data = await call<StatsAnswer>(statsQuery(variant), { input: variant.input })
          expect(clicksOf(data), what).toBe(expectedA)
          if (variant.accounts && variant.totals)
            expect(data.stats.totals?.accountsContributing, what).toBeGreaterThan(0)
        }
      })
    },
  },
  {
    field: 'Subscription.syncProgress',
    feeds: ['Subscription.syncProgress(accountId)'],
    expectation: "no event about A's accounts while A's sync runs, subscribed to all or to A's account",
    async run() {
      let everything: Response | undefined
      let targeted: Response | undefined
      await asB('syncProgress', async () => {
        everything = await openSubscription(b.token, null)
        targeted = await openSubscription(b.token, a1.id)
        for (const r of [everything, targeted]) {
          expect(r.status).toBe(200)
          expect(r.headers.get('content-type')).toContain('text/event-stream')
        }
        tally.cross += 2
      })
      const own = await openSubscription(a.token, a1.id)
      let aRun = ''
      await asA(async (call) => {
        const started = await call<{ syncAccount: { runs: { id: string }[] } }>(
          'mutation($id: ID!, $d: Date!) { syncAccount(input: { accountId: $id, range: { from: $d, to: $d } }) { ... on SyncStarted { runs { id } } } }',
          { id: a1.id, d: revisedDay },
        )
        aRun = started.syncAccount.runs[0]!.id
        const seen = progressOf(await collectEvents<SyncEvent>(own, finished(aRun), 30_000))
        expect(seen.map((p) => p.status)).toContain('SUCCEEDED')
        expect(seen.every((p) => p.accountId === a1.id)).toBe(true)
      })
      // B's own sync ends B's stream: everything A's run published came before it.
      const bStarted = await ok<{ syncAccount: { runs: { id: string }[] } }>(
        t,
        b.token,
        'mutation($id: ID!, $d: Date!) { syncAccount(input: { accountId: $id, range: { from: $d, to: $d } }) { ... on SyncStarted { runs { id } } } }',
        { id: b1.id, d: revisedDay },
      )
      const bRun = bStarted.syncAccount.runs[0]!.id
      const seenByB = progressOf(await collectEvents<SyncEvent>(everything!, finished(bRun), 30_000))
      expect(seenByB.some((p) => p.runId === bRun)).toBe(true)
      expect(seenByB.filter((p) => p.accountId !== b1.id || p.runId === aRun)).toEqual([])
      expect(progressOf(await collectEvents<SyncEvent>(targeted!, () => false, 300))).toEqual([])
      await settleSyncs(t.db, a.id)
      await settleSyncs(t.db, b.id)
    },
  },
  {
    field: 'Mutation.updateAccount',
    feeds: ['Mutation.updateAccount(input.accountId)'],
    expectation: 'AccountNotFoundError, label and tags untouched',
    async run() {
      const query = `mutation($input: UpdateAccountInput!) { updateAccount(input: $input) {
        __typename ... on UpdateAccountSuccess { account { id label } } ... on UserError { code } } }`
      await asB('updateAccount', async (call) => {
        for (const id of [a1.id, a2.id, a3.id]) {
          const data = await call<{ updateAccount: { __typename: string } }>(query, {
            input: { accountId: id, label: 'bravo took it', tags: ['bravo'] },
          })
          expect(data.updateAccount.__typename).toBe('AccountNotFoundError')
        }
      })
      await asA(async (call) => {
        const data = await call<{ updateAccount: { account: { label: string } } }>(query, {
          input: { accountId: a2.id, label: 'alpha-ledger-2-renamed' },
        })
        expect(data.updateAccount.account.label).toBe('alpha-ledger-2-renamed')
      })
    },
  },
  {
    field: 'Mutation.updateAccountSync',
    feeds: ['Mutation.updateAccountSync(input.accountId)'],
    expectation: 'AccountNotFoundError, sync settings untouched',
    async run() {
      const query = `mutation($input: UpdateAccountSyncInput!) { updateAccountSync(input: $input) {
        __typename ... on UpdateAccountSyncSuccess { account { lookbackDays } } } }`
      await asB('updateAccountSync', async (call) => {
        for (const id of [a1.id, a2.id]) {
          const data = await call<{ updateAccountSync: { __typename: string } }>(query, {
            input: { accountId: id, lookbackDays: 1, backfillDays: 1, syncIntervalMinutes: 15 },
          })
          expect(data.updateAccountSync.__typename).toBe('AccountNotFoundError')
        }
      })
      await asA(async (call) => {
        const data = await call<{ updateAccountSync: { account: { lookbackDays: number } } }>(query, {
          input: { accountId: a2.id, lookbackDays: 5 },
        })
        expect(data.updateAccountSync.account.lookbackDays).toBe(5)
      })
    },
  },
  {
    field: 'Mutation.updateAccountConnection',
    feeds: ['Mutation.updateAccountConnection(input.accountId)'],
    expectation: 'AccountNotFoundError before the platform is called, credentials untouched',
    async run() {
      const query = `mutation($input: UpdateAccountConnectionInput!) { updateAccountConnection(input: $input) {
        __typename ... on UserError { code } } }`
      await asB('updateAccountConnection', async (call) => {
        const requests = sim.log.length
        for (const id of [a1.id, a3.id]) {
          const data = await call<{ updateAccountConnection: { __typename: string } }>(query, {
            input: { accountId: id, connection: { softSwiss: sim.accounts[3]!.connection } },
          })
          expect(data.updateAccountConnection.__typename).toBe('AccountNotFoundError')
        }
        expect(sim.log.length).toBe(requests)
      })
      await asA(async (call) => {
        const before = await t.db.query<{ c: string }>(
          'select credentials::text as c from account where id = ?',
          [databaseIdOf(a3.id)],
        )
        const data = await call<{ updateAccountConnection: { __typename: string } }>(query, {
          input: { accountId: a3.id, connection: { softSwiss: sim.accounts[2]!.connection } },
        })
        expect(data.updateAccountConnection.__typename).toBe('UpdateAccountConnectionSuccess')
        const after = await t.db.query<{ c: string }>(
          'select credentials::text as c from account where id = ?',
          [databaseIdOf(a3.id)],
        )
        // Re-keyed: sealed anew (fresh data key and nonce), although the secret is the same.
        expect(after[0]!.c).not.toBe(before[0]!.c)
      })
    },
  },
  {
    field: 'Mutation.checkAccount',
    feeds: ['Mutation.checkAccount(input.accountId)'],
    expectation: "AccountNotFoundError and A's credentials never used",
    async run() {
      const query = `mutation($id: ID!) { checkAccount(input: { accountId: $id }) {
        __typename ... on CheckAccountSuccess { account { id status } } } }`
      await asB('checkAccount', async (call) => {
        const requests = sim.log.length
        for (const id of [a1.id, a2.id, a3.id]) {
          const data = await call<{ checkAccount: { __typename: string } }>(query, { id })
          expect(data.checkAccount.__typename).toBe('AccountNotFoundError')
        }
        expect(sim.log.length).toBe(requests)
      })
      await asA(async (call) => {
        const requests = sim.log.length
        const data = await call<{ checkAccount: { __typename: string } }>(query, { id: a1.id })
        expect(data.checkAccount.__typename).toBe('CheckAccountSuccess')
        expect(sim.log.length).toBeGreaterThan(requests)
      })
    },
  },
  {
    field: 'Mutation.recordCapture',
    feeds: ['Mutation.recordCapture(input.accountId)'],
    expectation: "AccountNotFoundError and A's credentials never used",
    async run() {
      const query = `mutation($input: RecordCaptureInput!) { recordCapture(input: $input) {
        __typename ... on RecordCaptureSuccess { capture { exchanges content } } } }`
      const range = { from: revisedDay, to: revisedDay }
      await asB('recordCapture', async (call) => {
        const requests = sim.log.length
        for (const id of [a1.id, a2.id, a3.id]) {
          const data = await call<{ recordCapture: { __typename: string } }>(query, {
            input: { accountId: id, range },
          })
          expect(data.recordCapture.__typename).toBe('AccountNotFoundError')
        }
        expect(sim.log.length).toBe(requests)
      })
      await asA(async (call) => {
        const data = await call<{ recordCapture: { capture: { exchanges: number } } }>(query, {
          input: { accountId: a1.id, range },
        })
        expect(data.recordCapture.capture.exchanges).toBeGreaterThan(0)
      })
    },
  },
  {
    field: 'Mutation.syncAccount',
    feeds: ['Mutation.syncAccount(input.accountId)'],
    expectation: 'AccountNotFoundError and no run or job queued for A',
    async run() {
      const query = `mutation($id: ID!, $range: DateRangeInput) { syncAccount(input: { accountId: $id, range: $range }) {
        __typename ... on SyncStarted { runs { id } } } }`
      await asB('syncAccount', async (call) => {
        for (const id of [a1.id, a2.id, a3.id]) {
          for (const range of [null, { from: revisedDay, to: revisedDay }]) {
            const data = await call<{ syncAccount: { __typename: string } }>(query, { id, range })
            expect(data.syncAccount.__typename).toBe('AccountNotFoundError')
          }
        }
      })
      await asA(async (call) => {
        const data = await call<{ syncAccount: { runs: { id: string }[] } }>(query, {
          id: a2.id,
          range: { from: revisedDay, to: revisedDay },
        })
        expect(await runWorkspaces(data.syncAccount.runs.map((r) => r.id))).toEqual([a.id])
      })
      await settleSyncs(t.db, a.id)
    },
  },
  {
    field: 'Mutation.syncAll',
    feeds: [],
    expectation: "runs for B's accounts only",
    async run() {
      const query = `mutation($range: DateRangeInput) { syncAll(input: { range: $range }) {
        __typename ... on SyncStarted { runs { id } } } }`
      const range = { from: revisedDay, to: revisedDay }
      await asB('syncAll', async (call) => {
        const data = await call<{ syncAll: { runs: { id: string }[] } }>(query, { range })
        const workspaces = await runWorkspaces(data.syncAll.runs.map((r) => r.id))
        expect(workspaces.length).toBeGreaterThan(0)
        expect(new Set(workspaces)).toEqual(new Set([b.id]))
        // Their work runs too (same platform, same hosts) before A's rows are read again.
        await settleSyncs(t.db, b.id)
      })
      await asA(async (call) => {
        const data = await call<{ syncAll: { runs: { id: string }[] } }>(query, { range })
        const workspaces = await runWorkspaces(data.syncAll.runs.map((r) => r.id))
        expect(workspaces).toEqual([a.id, a.id, a.id])
      })
      await settleSyncs(t.db, a.id)
    },
  },
  {
    field: 'Mutation.testConnection',
    feeds: [],
    expectation: "a check of the given credentials that names nothing of A's, even with A's own credentials",
    async run() {
      const query = `mutation($input: ConnectionInput!) { testConnection(input: $input) {
        __typename ... on TestConnectionSuccess { platform { id } accountName currency timeZone } } }`
      let seenByB: unknown
      await asB('testConnection', async (call) => {
        seenByB = await call(query, { input: { softSwiss: sim.accounts[0]!.connection } })
      })
      await asA(async (call) => {
        const seenByA = await call<{ testConnection: { __typename: string } }>(query, {
          input: { softSwiss: sim.accounts[0]!.connection },
        })
        expect(seenByA.testConnection.__typename).toBe('TestConnectionSuccess')
        expect(seenByB).toEqual(seenByA)
      })
    },
  },
  {
    field: 'Mutation.importAccounts',
    feeds: [],
    expectation: "no duplicate of A's account reported (which would name it), nothing written to A",
    async run() {
      const query = `mutation($input: ImportAccountsInput!) { importAccounts(input: $input) {
        ... on ImportAccountsSuccess { imported failed rows { line account { id } error { code message fields { field } } } } } }`
      const connection = sim.accounts[0]!.connection
      const csv = `platform,label,tags,baseUrl,token\nsoftswiss,bravo import,shared,${connection.baseUrl},${connection.token}\n`
      type Import = {
        importAccounts: { imported: number; rows: { error: { code: string; message: string } | null }[] }
      }
      await asB('importAccounts', async (call) => {
        const data = await call<Import>(query, { input: { csv, dryRun: true } })
        expect(data.importAccounts.rows).toEqual([{ line: 2, account: null, error: null }])
        expect(data.importAccounts.imported).toBe(1)
      })
      await asA(async (call) => {
        const data = await call<Import>(query, { input: { csv, dryRun: true } })
        expect(data.importAccounts.rows[0]!.error?.code).toBe('ACCOUNT_DUPLICATE')
        expect(data.importAccounts.rows[0]!.error?.message).toContain(a1.id)
      })
    },
  },
  {
    field: 'Mutation.createApiToken',
    feeds: [],
    expectation: 'a token of B that authenticates as B',
    async run() {
      const query =
        'mutation { createApiToken(input: { name: "matrix token" }) { ... on CreateApiTokenSuccess { token apiToken { id } } } }'
      const viewer = async (token: string) =>
        (await ok<{ viewer: { workspace: { id: string } } }>(t, token, '{ viewer { workspace { id } } }'))
          .viewer.workspace.id
      await asB('createApiToken', async (call) => {
        const data = await call<{ createApiToken: { token: string } }>(query)
        expect(await viewer(data.createApiToken.token)).toBe(globalId('Workspace', b.id))
      })
      await asA(async (call) => {
        const data = await call<{ createApiToken: { token: string } }>(query)
        expect(await viewer(data.createApiToken.token)).toBe(globalId('Workspace', a.id))
      })
    },
  },
  {
    field: 'Query.alertDestinations',
    feeds: ['Query.alertDestinations(after)', 'Query.alertDestinations(before)'],
    expectation: "none of A's destinations, whatever A's cursor it names",
    async run() {
      const query = `query($after: String, $before: String) {
        alertDestinations(after: $after, before: $before) { totalCount nodes { id name hint } } }`
      await asB('alertDestinations', async (call) => {
        for (const variables of [{}, { after: aDestinationsCursor }, { before: aDestinationsCursor }]) {
          const data = await call<{ alertDestinations: { totalCount: number; nodes: unknown[] } }>(
            query,
            variables,
          )
          expect(data.alertDestinations).toEqual({ totalCount: 0, nodes: [] })
        }
      })
      await asA(async (call) => {
        const data = await call<{ alertDestinations: { nodes: { id: string }[] } }>(query)
        expect(data.alertDestinations.nodes.map((d) => d.id)).toContain(aDestinationId)
      })
    },
  },
  {
    field: 'Mutation.createAlertDestination',
    feeds: [],
    expectation: "a destination of B's own, not listed for A",
    async run() {
      const query = `mutation($name: String!) { createAlertDestination(input: { name: $name, kind: DISCORD, url: "http://127.0.0.1:9/bravo-hook" }) {
        __typename ... on CreateAlertDestinationSuccess { destination { id } } } }`
      let bId = ''
      await asB('createAlertDestination', async (call) => {
        const data = await call<{ createAlertDestination: { destination: { id: string } } }>(query, {
          name: 'bravo hook',
        })
        bId = data.createAlertDestination.destination.id
        const [row] = await t.db.query<{ w: string }>(
          'select workspace_id::text as w from alert_destination where id = ?',
          [databaseIdOf(bId)],
        )
        expect(row!.w).toBe(b.id)
      })
      await asA(async (call) => {
        const data = await call<{ alertDestinations: { nodes: { id: string }[] } }>(
          '{ alertDestinations { nodes { id } } }',
        )
        expect(data.alertDestinations.nodes.map((d) => d.id)).not.toContain(bId)
      })
    },
  },
  ...(['updateAlertDestination', 'deleteAlertDestination', 'sendTestAlert'] as const).map((name) => ({
    field: `Mutation.${name}`,
    feeds: [`Mutation.${name}(input.destinationId)`],
    expectation: "AlertDestinationNotFoundError and A's destination untouched, no delivery queued to it",
    async run() {
      const extra = name === 'updateAlertDestination' ? ', name: "taken over", enabled: false' : ''
      const query = `mutation($id: ID!) { ${name}(input: { destinationId: $id${extra} }) { __typename ... on UserError { code } } }`
      const deliveries = async () =>
        Number(
          (
            await t.db.query<{ n: number }>(
              'select count(*)::int as n from alert_delivery where destination_id = ?',
              [databaseIdOf(aDestinationId)],
            )
          )[0]!.n,
        )
      const before = await deliveries()
      await asB(name, async (call) => {
        const data = await call<Record<string, { __typename: string; code: string }>>(query, {
          id: aDestinationId,
        })
        expect(data[name]).toEqual({
          __typename: 'AlertDestinationNotFoundError',
          code: 'ALERT_DESTINATION_NOT_FOUND',
        })
      })
      expect(await deliveries()).toBe(before)
      if (name === 'deleteAlertDestination') {
        // A spare of A's own, so the destination other cases use stays.
        await asA(async (call) => {
          const spare = await call<{ createAlertDestination: { destination: { id: string } } }>(
            'mutation { createAlertDestination(input: { name: "alpha spare hook", kind: SLACK, url: "http://127.0.0.1:9/spare" }) { ... on CreateAlertDestinationSuccess { destination { id } } } }',
          )
          const data = await call<{ deleteAlertDestination: { __typename: string } }>(query, {
            id: spare.createAlertDestination.destination.id,
          })
          expect(data.deleteAlertDestination.__typename).toBe('DeleteAlertDestinationSuccess')
        })
        return
      }
      await asA(async (call) => {
        const control =
          name === 'sendTestAlert'
            ? `mutation($id: ID!) { sendTestAlert(input: { destinationId: $id }) { __typename } }`
            : `mutation($id: ID!) { updateAlertDestination(input: { destinationId: $id, name: "alpha pager hook" }) { __typename } }`
        const data = await call<Record<string, { __typename: string }>>(control, { id: aDestinationId })
        expect(data[name]!.__typename).toBe(
          name === 'sendTestAlert' ? 'SendTestAlertSuccess' : 'UpdateAlertDestinationSuccess',
        )
      })
    },
  })),
  {
    field: 'Query.deals',
    feeds: ['Query.deals(filter.accountIds)', 'Query.deals(after)', 'Query.deals(before)'],
    nested: ['Deal.termsOn'],
    expectation: "only B's deals (and their terms), filtered by A's accounts or paged from A's cursors",
    async run() {
      const query = `query($filter: DealFilter, $after: String, $before: String, $day: Date!) {
        deals(filter: $filter, after: $after, before: $before, first: 100) {
          totalCount nodes { id account { id label } termsOn(day: $day) { id validFrom note } versions { id } } } }`
      type Deals = {
        deals: {
          totalCount: number
          nodes: {
            id: string
            account: { id: string }
            termsOn: { id: string; validFrom: string } | null
            versions: { id: string }[]
          }[]
        }
      }
      const day = '2026-02-01'
      const aDeals = await idsOf('deal', a.id)
      const aVersions = await idsOf('deal_version', a.id)
      await asBOnDeals('deals', async (call) => {
        const own = await idsOf('deal', b.id)
        expect(own).toContain(bDealId)
        const variants: [Record<string, unknown>, string[]][] = [
          [{}, own],
          [{ filter: { accountIds: [a1.id, a2.id, a3.id] } }, []],
          [{ filter: { accountIds: [a1.id] } }, []],
          // A's ids beside B's own narrow B's list; they never widen it to A's deals.
          [{ filter: { accountIds: [b1.id, a1.id, a2.id] } }, own],
          // B's deals were recorded after A's: all follow A's cursors, none precedes them.
          [{ after: aDealsCursor }, own],
          [{ after: aDealsStartCursor }, own],
          [{ before: aDealsStartCursor }, []],
          [{ before: aDealsCursor }, []],
          [{ filter: { accountIds: [a1.id] }, after: aDealsStartCursor }, []],
        ]
        for (const [variables, expected] of variants) {
          const what = JSON.stringify(variables)
          const data = await call<Deals>(query, { ...variables, day })
          expect(data.deals.nodes.map((d) => d.id).sort(), what).toEqual([...expected].sort())
          for (const deal of data.deals.nodes) {
            expect(deal.account.id, what).toBe(b1.id)
            // termsOn walked for B's own deal: B's version, never one of A's.
            expect(deal.termsOn, what).not.toBeNull()
            expect(aVersions, what).not.toContain(deal.termsOn!.id)
            for (const v of deal.versions) expect(aVersions, what).not.toContain(v.id)
          }
          if (!('filter' in variables)) expect(data.deals.totalCount, what).toBe(own.length)
        }
        // A's deals and versions by their ids: nothing, as for an unknown id.
        const nodes = await call<{ nodes: unknown[] }>(
          'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }',
          { ids: [...aDeals, ...aVersions] },
        )
        expect(nodes.nodes).toEqual([...aDeals, ...aVersions].map(() => null))
      })
      await asA(async (call) => {
        const data = await call<Deals>(query, { filter: { accountIds: [a1.id] }, day })
        expect(data.deals.nodes.map((d) => d.id)).toEqual([aDealId])
        expect(data.deals.nodes[0]!.termsOn).toEqual({
          id: aVersionId,
          validFrom: '2026-01-01',
          note: 'alpha-deal-insertion-order',
        })
        const before = await call<Deals>(query, { filter: { accountIds: [a1.id] }, day: '2025-12-31' })
        expect(before.deals.nodes[0]!.termsOn).toBeNull()
        const all = await call<Deals>(query, { day })
        expect(all.deals.nodes.map((d) => d.id)).toEqual(aDeals)
        expect(all.deals.nodes.map((d) => d.id)).toContain(aDeal2Id)
        const paged = await call<Deals>(query, { after: aDealsStartCursor, day })
        expect(paged.deals.nodes.length).toBe(aDeals.length - 1)
        const nodes = await call<{ nodes: ({ id: string } | null)[] }>(
          'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
          { ids: [aDealId, aVersionId] },
        )
        expect(nodes.nodes.map((n) => n?.id)).toEqual([aDealId, aVersionId])
      })
    },
  },
  {
    field: 'Query.payments',
    feeds: ['Query.payments(filter.accountIds)', 'Query.payments(after)', 'Query.payments(before)'],
    expectation: "only B's payments, filtered by A's accounts or paged from A's cursors",
    async run() {
      const query = `query($filter: PaymentFilter, $after: String, $before: String) {
        payments(filter: $filter, after: $after, before: $before, first: 100) {
          totalCount nodes { id month reference note account { id label } } } }`
      type Payments = {
        payments: { totalCount: number; nodes: { id: string; account: { id: string } }[] }
      }
      const aPayments = await idsOf('payment', a.id)
      await asBOnDeals('payments', async (call) => {
        const own = await idsOf('payment', b.id)
        expect(own.length).toBeGreaterThan(0)
        const variants: [Record<string, unknown>, string[]][] = [
          [{}, own],
          [{ filter: { accountIds: [a1.id, a2.id, a3.id] } }, []],
          [{ filter: { accountIds: [a1.id], fromMonth: '2026-01', toMonth: '2026-02' } }, []],
          [{ filter: { accountIds: [b1.id, a1.id, a2.id] } }, own],
          // Newest first, and B's were recorded after A's: none older than A's, all newer.
          [{ after: aPaymentsCursor }, []],
          [{ after: aPaymentsOldestCursor }, []],
          [{ before: aPaymentsCursor }, own],
          [{ before: aPaymentsOldestCursor }, own],
          [{ filter: { accountIds: [a1.id] }, before: aPaymentsOldestCursor }, []],
        ]
        for (const [variables, expected] of variants) {
          const what = JSON.stringify(variables)
          const data = await call<Payments>(query, variables)
          expect(data.payments.nodes.map((p) => p.id).sort(), what).toEqual([...expected].sort())
          for (const p of data.payments.nodes) expect(p.account.id, what).toBe(b1.id)
          if (!('filter' in variables)) expect(data.payments.totalCount, what).toBe(own.length)
        }
        const nodes = await call<{ nodes: unknown[] }>(
          'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }',
          { ids: aPayments },
        )
        expect(nodes.nodes).toEqual(aPayments.map(() => null))
      })
      await asA(async (call) => {
        const all = await call<Payments>(query)
        expect(all.payments.nodes.map((p) => p.id)).toEqual(aPayments)
        const byAccount = await call<Payments>(query, { filter: { accountIds: [a1.id] } })
        expect(byAccount.payments.nodes.map((p) => p.id)).toContain(aPaymentId)
        for (const p of byAccount.payments.nodes) expect(p.account.id).toBe(a1.id)
        const paged = await call<Payments>(query, { after: aPaymentsCursor })
        expect(paged.payments.nodes.length).toBe(aPayments.length - 1)
      })
    },
  },
  {
    field: 'Query.reconciliation',
    feeds: ['Query.reconciliation(accountIds)'],
    expectation: "rows of B's accounts only, none for A's accounts, deals or payments",
    async run() {
      const query = `query($accountIds: [ID!]) {
        reconciliation(accountIds: $accountIds, fromMonth: "2026-01", toMonth: "2026-06") {
          rows { account { id label } month status deal { id } payments { id reference } } } }`
      type Rows = {
        reconciliation: {
          rows: { account: { id: string }; deal: { id: string } | null; payments: { id: string }[] }[]
        }
      }
      await asBOnDeals('reconciliation', async (call) => {
        const bAccounts = (
          await t.db.query<{ id: string }>('select id::text as id from account where workspace_id = ?', [
            b.id,
          ])
        ).map((r) => globalId('Account', r.id))
        const all = await call<Rows>(query)
        expect(all.reconciliation.rows.length).toBeGreaterThan(0)
        for (const row of all.reconciliation.rows) expect(bAccounts).toContain(row.account.id)
        expect(all.reconciliation.rows.map((r) => r.deal?.id)).toContain(bDealId)
        const mine = await call<Rows>(query, { accountIds: [b1.id] })
        expect(mine.reconciliation.rows.length).toBeGreaterThan(0)
        for (const accountIds of [[a1.id], [a1.id, a2.id, a3.id]]) {
          const data = await call<Rows>(query, { accountIds })
          expect(data.reconciliation.rows, JSON.stringify(accountIds)).toEqual([])
        }
        // A's accounts beside B's own narrow the answer to B's; they never widen it to A's rows.
        const both = await call<Rows>(query, { accountIds: [a1.id, b1.id, a2.id] })
        expect(both).toEqual(mine)
      })
      await asA(async (call) => {
        const data = await call<Rows>(query, { accountIds: [a1.id] })
        expect(data.reconciliation.rows.length).toBeGreaterThan(0)
        for (const row of data.reconciliation.rows) expect(row.account.id).toBe(a1.id)
        expect(data.reconciliation.rows.map((r) => r.deal?.id)).toContain(aDealId)
        expect(data.reconciliation.rows.flatMap((r) => r.payments.map((p) => p.id))).toContain(aPaymentId)
      })
    },
  },
  {
    field: 'Mutation.setDealTerms',
    feeds: ['Mutation.setDealTerms(input.accountId)'],
    expectation: "InvalidArgumentError at input.accountId, no deal or version recorded on A's accounts",
    async run() {
      await asBOnDeals('setDealTerms', async (call) => {
        for (const id of [a1.id, a2.id, a3.id]) {
          for (const input of [
            dealTerms(id, '2026-04-01', 'bravo takes over'),
            { ...dealTerms(id, '2026-01-01'), brand: 'bravo-brand' },
          ]) {
            const data = await call<SetTerms>(SET_DEAL_TERMS, { input })
            expect(rejection(data.setDealTerms), JSON.stringify(input)).toEqual({
              __typename: 'InvalidArgumentError',
              paths: ['input.accountId'],
            })
          }
        }
      })
      await asA(async (call) => {
        const data = await call<SetTerms>(SET_DEAL_TERMS, { input: dealTerms(a2.id, '2026-04-01') })
        expect(data.setDealTerms.__typename).toBe('SetDealTermsSuccess')
        expect(data.setDealTerms.deal!.id).toBe(aDeal2Id)
        expect(await idsOf('deal_version', a.id)).toContain(data.setDealTerms.version!.id)
      })
    },
  },
  {
    field: 'Mutation.deleteDealVersion',
    feeds: ['Mutation.deleteDealVersion(input.id)'],
    expectation: "DealNotFoundError at input.id, A's versions and deals all still there",
    async run() {
      const query = `mutation($id: ID!) { deleteDealVersion(input: { id: $id }) {
        __typename ... on DeleteDealVersionSuccess { dealVersionId deal { id } }
        ... on UserError { code fields { path } } } }`
      type Deleted = {
        deleteDealVersion: {
          __typename: string
          code?: string
          dealVersionId?: string
          deal?: { id: string } | null
          fields?: { path: string[] }[]
        }
      }
      await asBOnDeals('deleteDealVersion', async (call) => {
        for (const id of await idsOf('deal_version', a.id)) {
          const data = await call<Deleted>(query, { id })
          expect(data.deleteDealVersion).toEqual({
            __typename: 'DealNotFoundError',
            code: 'DEAL_NOT_FOUND',
            fields: [{ path: ['input', 'id'] }],
          })
        }
      })
      await asA(async (call) => {
        const data = await call<Deleted>(query, { id: aSpareVersionId })
        expect(data.deleteDealVersion.dealVersionId).toBe(aSpareVersionId)
        expect(data.deleteDealVersion.deal).toEqual({ id: aDealId })
        expect(await idsOf('deal_version', a.id)).not.toContain(aSpareVersionId)
      })
    },
  },
  {
    field: 'Mutation.recordPayment',
    feeds: ['Mutation.recordPayment(input.accountId)'],
    expectation: "InvalidArgumentError at input.accountId, no payment recorded on A's accounts",
    async run() {
      await asBOnDeals('recordPayment', async (call) => {
        for (const id of [a1.id, a2.id, a3.id]) {
          // A's reference too: B's call must not learn that A has recorded it.
          for (const reference of ['bravo-claims-it', 'alpha-payment-ledger-1']) {
            const data = await call<Recorded>(RECORD_PAYMENT, { input: payment(id, '2026-01', reference) })
            expect(rejection(data.recordPayment), reference).toEqual({
              __typename: 'InvalidArgumentError',
              paths: ['input.accountId'],
            })
          }
        }
      })
      await asA(async (call) => {
        const data = await call<Recorded>(RECORD_PAYMENT, {
          input: payment(a1.id, '2026-03', 'alpha-payment-march'),
        })
        expect(data.recordPayment.__typename).toBe('RecordPaymentSuccess')
        expect(await idsOf('payment', a.id)).toContain(data.recordPayment.payment!.id)
      })
    },
  },
  {
    field: 'Mutation.deletePayment',
    feeds: ['Mutation.deletePayment(input.id)'],
    expectation: "PaymentNotFoundError at input.id, A's payments all still there",
    async run() {
      const query = `mutation($id: ID!) { deletePayment(input: { id: $id }) {
        __typename ... on DeletePaymentSuccess { paymentId } ... on UserError { code fields { path } } } }`
      type Deleted = { deletePayment: { __typename: string; paymentId?: string } }
      await asBOnDeals('deletePayment', async (call) => {
        for (const id of await idsOf('payment', a.id)) {
          const data = await call<Deleted>(query, { id })
          expect(data.deletePayment).toEqual({
            __typename: 'PaymentNotFoundError',
            code: 'PAYMENT_NOT_FOUND',
            fields: [{ path: ['input', 'id'] }],
          })
        }
      })
      await asA(async (call) => {
        const data = await call<Deleted>(query, { id: aSparePaymentId })
        expect(data.deletePayment.__typename).toBe('DeletePaymentSuccess')
        expect(await idsOf('payment', a.id)).not.toContain(aSparePaymentId)
      })
    },
  },
  {
    field: 'Mutation.importPayments',
    feeds: ['Mutation.importPayments(input.accountId)'],
    expectation:
      "InvalidArgumentError at input.accountId, and rows naming A's account by id or label REJECTED at account",
    async run() {
      const query = `mutation($input: ImportPaymentsInput!) { importPayments(input: $input) {
        __typename ... on ImportPaymentsSuccess { created updated rejected rows { line outcome errors payment { id account { id } } } }
        ... on InvalidArgumentError { fields { path } } ... on UserError { code } } }`
      type Imported = {
        importPayments: {
          __typename: string
          created?: number
          updated?: number
          rejected?: number
          rows?: {
            line: number
            outcome: string
            errors: string[]
            payment: { id: string; account: { id: string } } | null
          }[]
          fields?: { path: string[] }[]
        }
      }
      const [{ label: aLabel }] = (await t.db.query<{ label: string }>(
        'select label from account where id = ?',
        [databaseIdOf(a1.id)],
      )) as [{ label: string }]
      const rowsFor = (account: string, reference: string) =>
        `month,amount,currency,paid_on,reference,account\n2026-04,50,EUR,2026-05-10,${reference},${account}\n`
      const noAccount = 'month,amount,currency,paid_on,reference\n2026-04,50,EUR,2026-05-10,bravo-import-x\n'
      await asBOnDeals('importPayments', async (call) => {
        for (const id of [a1.id, a2.id, a3.id]) {
          const data = await call<Imported>(query, { input: { accountId: id, csv: noAccount } })
          expect(rejection(data.importPayments), id).toEqual({
            __typename: 'InvalidArgumentError',
            paths: ['input.accountId'],
          })
        }
        for (const account of [a1.id, aLabel, a2.id]) {
          const data = await call<Imported>(query, {
            input: { csv: rowsFor(account, 'bravo-import-stray') },
          })
          expect(data.importPayments.__typename, account).toBe('ImportPaymentsSuccess')
          expect(data.importPayments.created, account).toBe(0)
          expect(data.importPayments.rows, account).toEqual([
            { line: 2, outcome: 'REJECTED', errors: [expect.stringMatching(/^account:/)], payment: null },
          ])
        }
        // B's own row beside A's: B's is stored for B's account, A's is refused.
        const mixed = await call<Imported>(query, {
          input: {
            csv: `${rowsFor('bravo-ledger-1', 'bravo-import-own')}2026-04,50,EUR,2026-05-10,bravo-import-mixed,${a1.id}\n`,
          },
        })
        expect(mixed.importPayments.rows?.map((r) => [r.outcome, r.payment?.account.id ?? null])).toEqual([
          ['CREATED', b1.id],
          ['REJECTED', null],
        ])
        expect(mixed.importPayments.rows?.[1]?.errors).toEqual([expect.stringMatching(/^account:/)])
      })
      await asA(async (call) => {
        const byId = await call<Imported>(query, {
          input: { accountId: a1.id, csv: noAccount.replace('bravo-import-x', 'alpha-import-fixed') },
        })
        expect(byId.importPayments.rows?.map((r) => [r.outcome, r.payment?.account.id])).toEqual([
          ['CREATED', a1.id],
        ])
        const byLabel = await call<Imported>(query, {
          input: { csv: rowsFor(aLabel, 'alpha-import-label') },
        })
        expect(byLabel.importPayments.rows?.map((r) => [r.outcome, r.payment?.account.id])).toEqual([
          ['CREATED', a1.id],
        ])
      })
    },
  },
  {
    field: 'Mutation.fetchPlatformPayments',
    feeds: ['Mutation.fetchPlatformPayments(input.accountId)'],
    expectation: 'InvalidArgumentError at input.accountId before any platform call, nothing stored for A',
    async run() {
      const query = `mutation($input: FetchPlatformPaymentsInput!) { fetchPlatformPayments(input: $input) {
        __typename ... on FetchPlatformPaymentsSuccess { created updated }
        ... on InvalidArgumentError { fields { path message } } ... on UserError { code } } }`
      type Fetched = {
        fetchPlatformPayments: { __typename: string; fields?: { path: string[]; message: string }[] }
      }
      let refusedB = ''
      await asBOnDeals('fetchPlatformPayments', async (call) => {
        const requests = sim.log.length
        for (const id of [a1.id, a2.id, a3.id]) {
          const data = await call<Fetched>(query, {
            input: { accountId: id, fromMonth: '2026-01', toMonth: '2026-05' },
          })
          expect(rejection(data.fetchPlatformPayments), id).toEqual({
            __typename: 'InvalidArgumentError',
            paths: ['input.accountId'],
          })
          refusedB = data.fetchPlatformPayments.fields![0]!.message
          expect(refusedB).toMatch(/no account/)
        }
        expect(sim.log.length).toBe(requests)
      })
      await asA(async (call) => {
        // A's account is found: what stops A is only that SoftSwiss reports no payments.
        const data = await call<Fetched>(query, {
          input: { accountId: a1.id, fromMonth: '2026-01', toMonth: '2026-05' },
        })
        expect(rejection(data.fetchPlatformPayments)).toEqual({
          __typename: 'InvalidArgumentError',
          paths: ['input.accountId'],
        })
        expect(data.fetchPlatformPayments.fields![0]!.message).not.toBe(refusedB)
        expect(data.fetchPlatformPayments.fields![0]!.message).toMatch(/does not report payments/)
      })
    },
  },
  {
    field: 'Mutation.revokeApiToken',
    feeds: ['Mutation.revokeApiToken(input.id)'],
    expectation: "ApiTokenNotFoundError and A's tokens keep working",
    async run() {
      const query =
        'mutation($id: ID!) { revokeApiToken(input: { id: $id }) { __typename ... on UserError { code } } }'
      const aTokens = (
        await t.db.query<{ id: string }>('select id::text as id from api_token where workspace_id = ?', [
          a.id,
        ])
      ).map((r) => globalId('ApiToken', r.id))
      await asB('revokeApiToken', async (call) => {
        for (const id of aTokens) {
          const data = await call<{ revokeApiToken: { __typename: string } }>(query, { id })
          expect(data.revokeApiToken.__typename).toBe('ApiTokenNotFoundError')
        }
      })
      await asA(async (call) => {
        const data = await call<{ revokeApiToken: { __typename: string } }>(query, { id: aSpareTokenId })
        expect(data.revokeApiToken.__typename).toBe('RevokeApiTokenSuccess')
        const [row] = await t.db.query<{ revoked: boolean }>(
          'select revoked_at is not null as revoked from api_token where id = ?',
          [databaseIdOf(aSpareTokenId)],
        )
        expect(row!.revoked).toBe(true)
      })
    },
  },
  {
    field: 'Mutation.addMember',
    feeds: [],
    expectation: "a member of B's own, A's member with the same email untouched",
    async run() {
      const query =
        'mutation($email: String!) { addMember(input: { email: $email, role: MEMBER }) { __typename ... on AddMemberSuccess { member { id email role } } ... on UserError { code } } }'
      await asB('addMember', async (call) => {
        const data = await call<{ addMember: { member: { id: string } } }>(query, {
          email: 'owner@alpha.example',
        })
        expect(data.addMember.member.id).not.toBe(aMemberId)
        const [row] = await t.db.query<{ w: string }>(
          'select workspace_id::text as w from member where id = ?',
          [databaseIdOf(data.addMember.member.id)],
        )
        expect(row!.w).toBe(b.id)
      })
      await asA(async (call) => {
        const data = await call<{ addMember: { __typename: string; code: string } }>(query, {
          email: 'owner@alpha.example',
        })
        expect(data.addMember).toEqual({ __typename: 'MemberDuplicateError', code: 'MEMBER_DUPLICATE' })
        const [row] = await t.db.query<{ role: string }>('select role from member where id = ?', [
          databaseIdOf(aMemberId),
        ])
        expect(row!.role).toBe('OWNER')
      })
    },
  },
  {
    field: 'Mutation.disconnectAccount',
    feeds: ['Mutation.disconnectAccount(input.accountId)'],
    expectation: "AccountNotFoundError and A's accounts, stats and runs all still there",
    async run() {
      const query = `mutation($id: ID!) { disconnectAccount(input: { accountId: $id }) {
        __typename ... on DisconnectAccountSuccess { accountId } } }`
      await asB('disconnectAccount', async (call) => {
        for (const id of [a1.id, a2.id, a3.id]) {
          const data = await call<{ disconnectAccount: { __typename: string } }>(query, { id })
          expect(data.disconnectAccount.__typename).toBe('AccountNotFoundError')
        }
      })
      await asA(async (call) => {
        const data = await call<{ disconnectAccount: { accountId: string } }>(query, { id: a3.id })
        expect(data.disconnectAccount.accountId).toBe(a3.id)
        const rows = await t.db.query('select 1 from account where id = ?', [databaseIdOf(a3.id)])
        expect(rows).toEqual([])
      })
    },
  },
  {
    // Last: A's control queues a backfill that nothing waits for.
    field: 'Mutation.connectAccount',
    feeds: [],
    expectation: "an account of B's own even with A's credentials, whose backfill writes nothing of A's",
    async run() {
      const query = `mutation($input: ConnectAccountInput!) { connectAccount(input: $input) {
        __typename ... on ConnectAccountSuccess { account { id } } } }`
      await asB('connectAccount', async (call) => {
        const data = await call<{ connectAccount: { account: { id: string } } }>(query, {
          input: {
            connection: { softSwiss: sim.accounts[0]!.connection },
            label: 'bravo copy',
            tags: ['shared'],
          },
        })
        const [row] = await t.db.query<{ w: string }>(
          'select workspace_id::text as w from account where id = ?',
          [databaseIdOf(data.connectAccount.account.id)],
        )
        expect(row!.w).toBe(b.id)
        // The same upstream account, synced into B: its 90-day backfill must write B's rows only.
        await settleSyncs(t.db, b.id, 60_000)
        const [stored] = await t.db.query<{ n: number | string }>(
          'select count(*)::int as n from stat_day where account_id = ?',
          [databaseIdOf(data.connectAccount.account.id)],
        )
        expect(Number(stored!.n)).toBeGreaterThan(0)
      })
      await asA(async (call) => {
        const data = await call<{ connectAccount: { account: { id: string } } }>(query, {
          input: { connection: { softSwiss: sim.accounts[4]!.connection }, label: 'alpha-ledger-4' },
        })
        const [row] = await t.db.query<{ w: string }>(
          'select workspace_id::text as w from account where id = ?',
          [databaseIdOf(data.connectAccount.account.id)],
        )
        expect(row!.w).toBe(a.id)
      })
    },
  },
]

// --- seeding through the API ----------------------------------------------------------------------------------------

const SYNC_ACCOUNT = `mutation($id: ID!, $range: DateRangeInput) { syncAccount(input: { accountId: $id, range: $range }) {
  __typename ... on SyncStarted { runs { id } } } }`

beforeAll(async () => {
  t = await createTestApp({
    env: { AFFGRAPH_SYNC_RETRY_DELAY_SECONDS: '1', AFFGRAPH_SYNC_POLL_SECONDS: '1' },
  })
  schema = buildSchema(t.registry)
  sim = await t.registry
    .get('softswiss')!
    .definition.simulator.create({ seed: 'tenant-matrix', accounts: 5, pageSize: 500 })
  a = await t.workspace('tenant-matrix-alpha')
  b = await t.workspace('tenant-matrix-bravo')
  window = { from: dayOffset(-21), to: dayOffset(-2) }
  revisedDay = dayOffset(-5)
  // Connected before the sync engine starts, so no 90-day backfill is queued: each syncs one short window below.
  a1 = await connectSoftSwiss(t, a.token, sim.accounts[0]!.connection, {
    label: 'alpha-ledger-1',
    tags: ['shared', 'alpha-only'],
  })
  a2 = await connectSoftSwiss(t, a.token, sim.accounts[1]!.connection, {
    label: 'alpha-ledger-2',
    tags: ['shared'],
  })
  a3 = await connectSoftSwiss(t, a.token, sim.accounts[2]!.connection, { label: 'alpha-ledger-3' })
  b1 = await connectSoftSwiss(t, b.token, sim.accounts[3]!.connection, {
    label: 'bravo-ledger-1',
    tags: ['shared'],
  })
  await startSync(t.services, { schedule: false })
  for (const [token, id] of [
    [a.token, a1.id],
    [a.token, a2.id],
    [b.token, b1.id],
  ] as const) {
    const started = await ok<{ syncAccount: { __typename: string } }>(t, token, SYNC_ACCOUNT, {
      id,
      range: window,
    })
    expect(started.syncAccount.__typename).toBe('SyncStarted')
  }
  await settleSyncs(t.db, a.id)
  await settleSyncs(t.db, b.id)
  // A revised day, synced again: revisions (stat_change) exist for A.
  sim.revise(sim.accounts[0]!.key, revisedDay)
  await ok(t, a.token, SYNC_ACCOUNT, { id: a1.id, range: { from: revisedDay, to: revisedDay } })
  await settleSyncs(t.db, a.id)
  const failed = await t.db.query(`select id from sync_run where status <> 'SUCCEEDED'`)
  expect(failed).toEqual([])
  // Reference rates are shared by every workspace (they are not tenant data): stored directly.
  const days = Array.from({ length: 30 }, (_, i) => dayOffset(-30 + i))
  await insertRates(
    t.db,
    days.flatMap((day) => [
      { day, currency: 'USD', rate: '1.25' },
      { day, currency: 'GBP', rate: '0.8' },
      { day, currency: 'CAD', rate: '1.5' },
    ]),
  )
  const spare = await ok<{ createApiToken: { apiToken: { id: string } } }>(
    t,
    a.token,
    'mutation { createApiToken(input: { name: "alpha spare token" }) { ... on CreateApiTokenSuccess { apiToken { id } } } }',
  )
  aSpareTokenId = spare.createApiToken.apiToken.id
  aMemberId = (
    await ok<{ addMember: { member: { id: string } } }>(
      t,
      a.token,
      'mutation { addMember(input: { email: "owner@alpha.example", role: OWNER }) { ... on AddMemberSuccess { member { id } } } }',
    )
  ).addMember.member.id
  await ok(
    t,
    b.token,
    'mutation { addMember(input: { email: "member@bravo.example" }) { ... on AddMemberSuccess { member { id } } } }',
  )
  const destination = await ok<{ createAlertDestination: { destination: { id: string } } }>(
    t,
    a.token,
    `mutation { createAlertDestination(input: { name: "alpha pager hook", kind: SLACK, url: "http://127.0.0.1:9/alpha-hook" }) {
      ... on CreateAlertDestinationSuccess { destination { id } } } }`,
  )
  aDestinationId = destination.createAlertDestination.destination.id
  aDestinationsCursor = (
    await ok<{ alertDestinations: { pageInfo: { endCursor: string } } }>(
      t,
      a.token,
      '{ alertDestinations(first: 1) { pageInfo { endCursor } } }',
    )
  ).alertDestinations.pageInfo.endCursor
  type Cursors = { pageInfo: { startCursor: string; endCursor: string } }
  const cursors = await ok<{
    accounts: Cursors
    changes: Cursors
    apiTokens: Cursors
    members: Cursors
    account: { syncRuns: Cursors }
    stats: { rows: Cursors }
  }>(
    t,
    a.token,
    `query($id: ID!, $stats: StatsInput!) {
      accounts(first: 1) { pageInfo { startCursor endCursor } }
      changes(first: 1) { pageInfo { startCursor endCursor } }
      apiTokens(first: 1) { pageInfo { startCursor endCursor } }
      members(first: 1) { pageInfo { startCursor endCursor } }
      account(id: $id) { syncRuns(first: 1) { pageInfo { startCursor endCursor } } }
      stats(input: $stats) { rows(first: 1) { pageInfo { startCursor endCursor } } } }`,
    { id: a1.id, stats: { range: window, granularity: 'DAY', groupBy: ['ACCOUNT'] } },
  )
  aAccountsCursor = cursors.accounts.pageInfo.endCursor
  aAccountsStartCursor = cursors.accounts.pageInfo.startCursor
  aChangesCursor = cursors.changes.pageInfo.endCursor
  aChangesStartCursor = cursors.changes.pageInfo.startCursor
  aTokensCursor = cursors.apiTokens.pageInfo.endCursor
  aMembersCursor = cursors.members.pageInfo.endCursor
  aRunsCursor = cursors.account.syncRuns.pageInfo.endCursor
  aStatsRowsCursor = cursors.stats.rows.pageInfo.endCursor
  for (const cursor of [
    aAccountsCursor,
    aChangesCursor,
    aTokensCursor,
    aMembersCursor,
    aRunsCursor,
    aStatsRowsCursor,
  ])
    expect(cursor).toBeTruthy()
  const distinct = async (column: 'brand' | 'campaign') =>
    (
      await t.db.query<{ v: string }>(
        `select distinct ${column} as v from stat_day where workspace_id = ? and ${column} <> '' order by 1 limit 2`,
        [a.id],
      )
    ).map((r) => r.v)
  brandsOfA = await distinct('brand')
  campaignsOfA = await distinct('campaign')
  expect(brandsOfA.length).toBeGreaterThan(0)
  expect(campaignsOfA.length).toBeGreaterThan(0)
  // A's alerts come from evaluation: two of its accounts refuse their keys when its rule is created.
  type Created = { createAlertRule: { alertRule: { id: string } } }
  const refused = await refuseKeys([a2.id, a3.id])
  aRuleId = (
    await ok<Created>(t, a.token, CREATE_ALERT_RULE, {
      input: { name: 'alpha-refused-keys', kind: 'CREDENTIALS_REFUSED', targetAccountIds: [a2.id, a3.id] },
    })
  ).createAlertRule.alertRule.id
  aSpareRuleId = (
    await ok<Created>(t, a.token, CREATE_ALERT_RULE, {
      input: {
        name: 'alpha-dormant-rule',
        kind: 'SYNC_STALE',
        settings: { staleHours: 720 },
        enabled: false,
      },
    })
  ).createAlertRule.alertRule.id
  await restoreStatuses(refused)
  const bRefused = await refuseKeys([b1.id])
  bRuleId = (
    await ok<Created>(t, b.token, CREATE_ALERT_RULE, {
      input: { name: 'bravo-refused-keys', kind: 'CREDENTIALS_REFUSED', targetAccountIds: [b1.id] },
    })
  ).createAlertRule.alertRule.id
  await restoreStatuses(bRefused)
  aAlertIds = await alertsOf(a.id)
  expect(aAlertIds).toHaveLength(2)
  const bAlerts = await alertsOf(b.id)
  expect(bAlerts).toHaveLength(1)
  bAlertId = bAlerts[0]!
  const alertCursors = await ok<{
    firstRule: { pageInfo: { startCursor: string } }
    lastRule: { pageInfo: { endCursor: string } }
    newest: { pageInfo: { startCursor: string } }
    oldest: { pageInfo: { endCursor: string } }
  }>(
    t,
    a.token,
    `{ firstRule: alertRules(first: 1) { pageInfo { startCursor } }
       lastRule: alertRules(last: 1) { pageInfo { endCursor } }
       newest: alerts(first: 1) { pageInfo { startCursor } }
       oldest: alerts(last: 1) { pageInfo { endCursor } } }`,
  )
  aRulesStartCursor = alertCursors.firstRule.pageInfo.startCursor
  aRulesCursor = alertCursors.lastRule.pageInfo.endCursor
  aAlertsStartCursor = alertCursors.newest.pageInfo.startCursor
  aAlertsCursor = alertCursors.oldest.pageInfo.endCursor
  for (const cursor of [aRulesStartCursor, aRulesCursor, aAlertsStartCursor, aAlertsCursor])
    expect(cursor).toBeTruthy()
  // Deals and payments: A's first, then B's, so that B's come after A's in every list.
  const terms = async (token: string, input: ReturnType<typeof dealTerms>) => {
    const data = await ok<SetTerms>(t, token, SET_DEAL_TERMS, { input })
    expect(data.setDealTerms.__typename, JSON.stringify(data)).toBe('SetDealTermsSuccess')
    return { deal: data.setDealTerms.deal!.id, version: data.setDealTerms.version!.id }
  }
  const paid = async (token: string, input: ReturnType<typeof payment>) => {
    const data = await ok<Recorded>(t, token, RECORD_PAYMENT, { input })
    expect(data.recordPayment.__typename, JSON.stringify(data)).toBe('RecordPaymentSuccess')
    return data.recordPayment.payment!.id
  }
  const first = await terms(a.token, dealTerms(a1.id, '2026-01-01', 'alpha-deal-insertion-order'))
  aDealId = first.deal
  aVersionId = first.version
  const spareVersion = await terms(a.token, dealTerms(a1.id, '2026-03-01', 'alpha-deal-amendment'))
  expect(spareVersion.deal).toBe(aDealId)
  aSpareVersionId = spareVersion.version
  aDeal2Id = (await terms(a.token, dealTerms(a2.id, '2026-01-01'))).deal
  aPaymentId = await paid(a.token, payment(a1.id, '2026-01', 'alpha-payment-ledger-1'))
  await paid(a.token, payment(a2.id, '2026-01', 'alpha-payment-ledger-2'))
  aSparePaymentId = await paid(a.token, payment(a1.id, '2026-02', 'alpha-payment-spare'))
  bDealId = (await terms(b.token, dealTerms(b1.id, '2026-01-01', 'bravo-deal-insertion-order'))).deal
  await paid(b.token, payment(b1.id, '2026-01', 'bravo-payment-ledger-1'))
  const dealCursors = await ok<{
    oldestDeal: { pageInfo: { startCursor: string } }
    newestDeal: { pageInfo: { endCursor: string } }
    newestPayment: { pageInfo: { endCursor: string } }
    oldestPayment: { pageInfo: { endCursor: string } }
  }>(
    t,
    a.token,
    `{ oldestDeal: deals(first: 1) { pageInfo { startCursor } }
       newestDeal: deals(last: 1) { pageInfo { endCursor } }
       newestPayment: payments(first: 1) { pageInfo { endCursor } }
       oldestPayment: payments(last: 1) { pageInfo { endCursor } } }`,
  )
  aDealsStartCursor = dealCursors.oldestDeal.pageInfo.startCursor
  aDealsCursor = dealCursors.newestDeal.pageInfo.endCursor
  aPaymentsCursor = dealCursors.newestPayment.pageInfo.endCursor
  aPaymentsOldestCursor = dealCursors.oldestPayment.pageInfo.endCursor
  for (const cursor of [aDealsStartCursor, aDealsCursor, aPaymentsCursor, aPaymentsOldestCursor])
    expect(cursor).toBeTruthy()
}, 120_000)

afterAll(async () => {
  await t?.services.sync?.stop(5_000)
  await sim?.close()
  await t?.close()
  console.log(
    `tenant matrix on ${TEST_DATABASE_KIND}: ${new Set(CASES.map((c) => c.field)).size} root fields, ` +
      `${new Set(CASES.flatMap((c) => c.nested ?? [])).size} nested fields, ${statsVariantCount} stats variants, ` +
      `${tally.cross} calls as workspace B, ${tally.controls} positive controls as workspace A`,
  )
})

let statsVariantCount = 0

describe(`tenant matrix on ${TEST_DATABASE_KIND}`, () => {
  it('given the schema, when its root fields are listed, then each has a case and no case names a field that is gone', () => {
    const roots = rootFieldNames(schema)
    const covered = new Set(CASES.map((c) => c.field))
    expect(roots.length).toBeGreaterThan(20)
    expect(
      roots.filter((f) => !covered.has(f)),
      'root fields without a case',
    ).toEqual([])
    expect(
      [...covered].filter((f) => !roots.includes(f)),
      'cases of fields the schema lacks',
    ).toEqual([])
  })

  it('given the schema, when fields below the roots take arguments, then a case walks each of them', () => {
    const nested = nestedFieldsWithArguments(schema)
    expect(nested).toContain('Account.stats')
    const walked = new Set(CASES.flatMap((c) => c.nested ?? []))
    expect(
      nested.filter((f) => !walked.has(f)),
      'nested fields with arguments without a case',
    ).toEqual([])
  })

  it("given the schema, when arguments name ids or cursors at any depth, then a case feeds each one A's values", () => {
    const paths = scopedArgumentPaths(schema)
    expect(paths).toContain('Query.stats(input.filter.accountIds)')
    const fed = new Set(CASES.flatMap((c) => c.feeds))
    expect(
      paths.filter((p) => !fed.has(p)),
      'id or cursor arguments no case feeds',
    ).toEqual([])
    expect(
      [...fed].filter((p) => !paths.includes(p)),
      'fed paths the schema lacks',
    ).toEqual([])
  })

  it('given the stats variants, when the statement builder classifies them, then every aggregation path is run', () => {
    const variants = statsVariants()
    statsVariantCount = variants.length
    const taken = new Set(variants.flatMap(pathsOf))
    const expected = [
      ...['row', 'probe', 'scan', 'none'].map((x) => `counting:${x}`),
      'pass:direct',
      'pass:folded',
      'money:converted',
      'money:native',
      ...['DAILY', 'PERIOD_END', 'FIXED_DATE'].map((x) => `fx:${x}`),
      ...GRANULARITIES.map((x) => `granularity:${x}`),
      ...['ACCOUNT', 'PROGRAM', 'PLATFORM', 'BRAND', 'CAMPAIGN', 'TAG'].map((x) => `dimension:${x}`),
      ...['accountIds', 'platformIds', 'tags', 'brands', 'campaigns'].map((x) => `filter:${x}`),
      'totals:true',
      'totals:false',
    ]
    expect(
      expected.filter((p) => !taken.has(p)),
      'aggregation paths no variant takes',
    ).toEqual([])
  })

  for (const matrixCase of CASES) {
    it(`given A's ids, when B calls ${matrixCase.field}, then ${matrixCase.expectation}; A's own call does`, async () => {
      const before = { ...tally }
      await matrixCase.run()
      expect(tally.cross - before.cross, 'calls as B').toBeGreaterThan(0)
      expect(tally.controls - before.controls, 'positive controls as A').toBeGreaterThan(0)
    }, 120_000)
  }
})
