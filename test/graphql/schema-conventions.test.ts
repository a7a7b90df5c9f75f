import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  buildSchema,
  type GraphQLField,
  getNamedType,
  getNullableType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toGlobalId } from '../../src/schema/global-ids.ts'
import { insertAccounts } from '../stats/stats-seed.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { ok } from './graphql-helpers.ts'

// schema.graphql is the contract; test/graphql/schema-file.test.ts keeps it equal to what the server builds.
const SDL = readFileSync(join(resolve(import.meta.dirname, '../..'), 'schema.graphql'), 'utf8')
const schema = buildSchema(SDL)

const outputFields = () =>
  Object.values(schema.getTypeMap())
    .filter((type) => !type.name.startsWith('__') && (isObjectType(type) || isInterfaceType(type)))
    .flatMap((type) =>
      Object.values(
        (type as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields(),
      ).map((field) => ({ path: `${type.name}.${field.name}`, field })),
    )

/**
 * Lists that stay plain lists because their length has a small bound, stated here. Anything else a client might
 * page through must be a connection.
 */
const BOUNDED_LISTS: Record<string, string> = {
  'Query.platforms': 'one per loaded plugin',
  'Platform.connectionFields': "the fields of one platform's connect form",
  'Platform.evidence': "the documented facts of one plugin's wire format",
  'EvidenceFact.sources': 'the sources of one fact',
  'Account.connectionFields': "the fields of one platform's connect form",
  'SyncStarted.runs': 'the windows of one sync request, cut by the platform report limits',
  'ImportAccountsSuccess.rows': 'the rows of one CSV import, at most 500',
  'StatsFigures.native': 'one per reporting currency of the figures',
  'StatsFigures.conversions': 'one per currency pair converted',
  'StatsRow.native': 'one per reporting currency of the row',
  'StatsRow.conversions': 'one per currency pair converted',
  'StatsTotals.native': 'one per reporting currency of the totals',
  'StatsTotals.conversions': 'one per currency pair converted',
  'StatsResult.fetchRuns': 'one per account a request fetched for, at most 100',
  'AlertRule.targetAccounts': 'the accounts a rule names, at most 500',
  'AlertRule.destinations': 'the destinations a rule names, at most 20',
  'Alert.deliveries': 'one per destination of its rule (at most 20) and event',
  'Query.nodes': 'the ids asked for, at most 100',
  'AlertDelivery.attempts': 'the attempts of one delivery, at most 50 (retries stop well before)',
  'Deal.versions': 'the versions of one deal, at most 100',
  'DealTerms.fixedFees': 'the fees of one version, at most 20',
  'RevenueShareTerm.tiers': 'the tiers of one revenue share, at most 20',
  'ImportPaymentsSuccess.rows': 'the rows of one CSV import, at most 500',
  'Reconciliation.rows':
    'one per program and month: at most 24 months of the workspace’s accounts and brand deals',
  'ReconciliationRow.payments': 'the payments of one program and month, at most 100',
  'ReconciliationRow.reasons': 'one per reason code, at most 9',
}

/** A Relay connection: `edges { cursor node }`, `nodes`, `pageInfo` and `totalCount`. Its lists hold one page. */
const isConnection = (typeName: string) => {
  const type = schema.getType(typeName)
  if (!isObjectType(type)) return false
  const fields = type.getFields()
  return ['edges', 'nodes', 'pageInfo', 'totalCount'].every((f) => f in fields)
}

/** The objects of a workspace a client names by id: each must be a Node, refetchable with `node(id:)`. */
const WORKSPACE_ENTITIES = [
  'Account',
  'Alert',
  'AlertRule',
  'AlertDelivery',
  'AlertDestination',
  'ApiToken',
  'Deal',
  'DealVersion',
  'Member',
  'Payment',
  'SyncRun',
  'StatChange',
  'Workspace',
]

/** Objects with an `id: ID!` that are no workspace entity, and what their id is instead. */
const OTHER_IDS: Record<string, string> = {
  Platform: 'the plugin id (e.g. "softswiss"), the same for every workspace',
}

describe('schema conventions', () => {
  it('given every mutation, when its signature is read, then it takes one argument named input and returns a non-null union with typed errors', () => {
    const mutations = Object.values(schema.getMutationType()!.getFields())
    expect(mutations.length).toBeGreaterThanOrEqual(14)
    const offending = mutations.flatMap((m) => {
      const problems: string[] = []
      if (m.args.length !== 1 || m.args[0]!.name !== 'input')
        problems.push(`${m.name}(${m.args.map((a) => a.name).join(', ')}): one argument named input`)
      const result = getNamedType(m.type)
      if (!isNonNullType(m.type) || !isUnionType(result)) problems.push(`${m.name}: a non-null result union`)
      else {
        const members = result.getTypes().map((t) => t.name)
        for (const needed of ['CredentialsInvalidError', 'InvalidArgumentError'])
          if (!members.includes(needed)) problems.push(`${m.name}: ${result.name} lacks ${needed}`)
        const errors = result.getTypes().filter((t) => t.getInterfaces().some((i) => i.name === 'UserError'))
        if (errors.some((t) => !t.name.endsWith('Error')))
          problems.push(`${m.name}: an error type not named *Error`)
        if (result.getTypes().length - errors.length !== 1)
          problems.push(`${m.name}: exactly one success member`)
      }
      return problems
    })
    expect(offending).toEqual([])
  })

  it('given every output field, when a code is exposed, then it is typed by an enum, never String', () => {
    const stringCodes = outputFields()
      .filter(({ field }) => /(^c|C)ode$/.test(field.name))
      .filter(({ field }) => !isEnumType(getNamedType(field.type)))
      .map(({ path }) => path)
    expect(stringCodes).toEqual([])
    const codes = outputFields().filter(({ field }) => /(^c|C)ode$/.test(field.name))
    expect(codes.length).toBeGreaterThan(10)
  })

  it('given every list of objects in an output type, when classified, then it is bounded with a stated bound, or one of the named lists awaiting connections', () => {
    const lists = outputFields()
      .filter(({ field }) => isListType(getNullableType(field.type)))
      .filter(({ field }) => !isEnumType(getNamedType(field.type)) && !isScalarType(getNamedType(field.type)))
      .map(({ path }) => path)
      // An error's `fields` lists the input values of one request.
      .filter((path) => !path.endsWith('.fields'))
      // A connection's edges and nodes are one page, bounded by its `first`/`last` (at most 100; 1,000 stats rows).
      .filter((path) => !isConnection(path.split('.')[0]!))
    const unclassified = lists.filter((p) => !(p in BOUNDED_LISTS))
    expect(unclassified, 'unbounded lists must be connections').toEqual([])
    // Stale entries would let a list slip back in unnoticed.
    expect(Object.keys(BOUNDED_LISTS).filter((p) => !lists.includes(p))).toEqual([])
  })

  it('given a UserError field, when read, then it names input paths, not bare names', () => {
    const userError = schema.getType('UserError')
    if (!isInterfaceType(userError)) throw new Error('UserError is not an interface')
    const fields = userError.getFields().fields!
    expect(String(fields.type)).toBe('[FieldIssue!]!')
    const issue = schema.getType('FieldIssue')
    if (!isObjectType(issue)) throw new Error('FieldIssue is not an object type')
    expect(Object.keys(issue.getFields()).sort()).toEqual(['field', 'message', 'path'])
  })

  it('given every object with an id, when classified, then each workspace entity implements Node and the others are named', () => {
    const withId = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .filter(
        (type) =>
          String((type as { getFields(): Record<string, { type: unknown }> }).getFields().id?.type) === 'ID!',
      )
      .map((type) => type.name)
    const nodes = withId.filter((name) => {
      const type = schema.getType(name)
      return isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Node')
    })
    expect(nodes.sort()).toEqual([...WORKSPACE_ENTITIES].sort())
    expect(withId.filter((name) => !nodes.includes(name)).sort()).toEqual(Object.keys(OTHER_IDS).sort())
  })

  it('given every connection, when its arguments are read, then it pages both ways and bounds its pages', () => {
    const connections = outputFields().filter(({ field }) => isConnection(getNamedType(field.type).name))
    expect(connections.map(({ path }) => path).sort()).toEqual(
      [
        'Account.syncRuns',
        'Query.accounts',
        'Query.alertRules',
        'Query.alerts',
        'Query.alertDestinations',
        'Query.apiTokens',
        'Query.changes',
        'Query.deals',
        'Query.members',
        'Query.payments',
        'StatsResult.rows',
      ].sort(),
    )
    for (const { path, field } of connections) {
      expect(
        field.args.map((a) => a.name).filter((n) => ['first', 'last', 'after', 'before'].includes(n)),
        path,
      ).toEqual(expect.arrayContaining(['first', 'last', 'after', 'before']))
      for (const name of ['first', 'last']) {
        // Stats rows are slices of one computed answer: a page holds up to 1,000 of them.
        const bound = path === 'StatsResult.rows' ? '1000' : '100'
        expect(field.args.find((a) => a.name === name)?.description, `${path}(${name})`).toContain(bound)
      }
      const pageInfo = (schema.getType('PageInfo') as { getFields(): Record<string, unknown> }).getFields()
      expect(Object.keys(pageInfo).sort()).toEqual([
        'endCursor',
        'hasNextPage',
        'hasPreviousPage',
        'startCursor',
      ])
    }
  })
})

describe('node(id:) on a running server', () => {
  let t: TestApp
  let ws: { id: string; token: string }

  beforeAll(async () => {
    t = await createTestApp()
    ws = await t.workspace('node-refetch')
    const [account] = await insertAccounts(t.db, ws.id, [{ label: 'refetched' }])
    await t.db.query(
      `insert into sync_run (id, workspace_id, account_id, kind, window_from, window_to, status, created_at)
       values (?, ?, ?, 'MANUAL', '2026-01-01', '2026-01-01', 'SUCCEEDED', '2026-01-02T00:00:00Z')`,
      [crypto.randomUUID(), ws.id, account],
    )
    await t.db.query(
      `insert into stat_change (workspace_id, account_id, day, brand, campaign, currency, metric, old_value, new_value, detected_at)
       values (?, ?, '2026-01-01', '', '', 'EUR', 'clicks', 1, 2, '2026-01-02T00:00:00Z')`,
      [ws.id, account],
    )
    await ok(t, ws.token, 'mutation { addMember(input: { email: "node@example.com" }) { __typename } }')
    const ruleId = crypto.randomUUID()
    await t.db.query(
      `insert into alert_rule (id, workspace_id, name, kind, settings, created_at, updated_at)
       values (?, ?, 'refetched', 'SYNC_STALE', '{}', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')`,
      [ruleId, ws.id],
    )
    await t.db.query(
      `insert into alert (id, workspace_id, rule_id, account_id, kind, subject_key, title, details, fired_at, last_seen_at)
       values (?, ?, ?, ?, 'SYNC_STALE', 'account', 'refetched', '{}', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')`,
      [crypto.randomUUID(), ws.id, ruleId, account],
    )
    const destinationId = crypto.randomUUID()
    await t.db.query(
      `insert into alert_destination (id, workspace_id, name, kind, hint, settings, credentials, created_at, updated_at)
       values (?, ?, 'refetched', 'SLACK', 'https://hooks.example', '{}', '{}', now(), now())`,
      [destinationId, ws.id],
    )
    await t.db.query(
      `insert into alert_delivery (id, workspace_id, destination_id, event, idempotency_key, status, created_at, updated_at)
       values (?, ?, ?, 'TEST', ?, 'PENDING', now(), now())`,
      [crypto.randomUUID(), ws.id, destinationId, `test:${destinationId}`],
    )
    const dealId = crypto.randomUUID()
    await t.db.query(
      `insert into deal (id, workspace_id, account_id, brand, created_at, updated_at) values (?, ?, ?, '', now(), now())`,
      [dealId, ws.id, account],
    )
    await t.db.query(
      `insert into deal_version (id, workspace_id, deal_id, valid_from, terms, created_at)
       values (?, ?, ?, '2026-01-01', '{"currency":"EUR","cpa":{"amount":"50"}}', now())`,
      [crypto.randomUUID(), ws.id, dealId],
    )
    await t.db.query(
      `insert into payment (id, workspace_id, account_id, brand, period_month, amount, currency, paid_on, source, created_at, updated_at)
       values (?, ?, ?, '', '2026-01-01', 50, 'EUR', '2026-02-10', 'MANUAL', now(), now())`,
      [crypto.randomUUID(), ws.id, account],
    )
  })

  afterAll(async () => {
    await t?.close()
  })

  it('given one object of each Node type read through the API, when node(id) is asked with its id, then the same object comes back', async () => {
    const data = await ok<{
      accounts: { nodes: { id: string; syncRuns: { nodes: { id: string }[] } }[] }
      apiTokens: { nodes: { id: string }[] }
      members: { nodes: { id: string }[] }
      changes: { nodes: { id: string }[] }
      alerts: { nodes: { id: string }[] }
      alertRules: { nodes: { id: string }[] }
      viewer: { workspace: { id: string } }
      alertDestinations: { nodes: { id: string }[] }
      deals: { nodes: { id: string; versions: { id: string }[] }[] }
      payments: { nodes: { id: string }[] }
    }>(
      t,
      ws.token,
      `{ accounts(first: 1) { nodes { id syncRuns(first: 1) { nodes { id } } } }
         apiTokens(first: 1) { nodes { id } } members(first: 1) { nodes { id } }
         changes(first: 1) { nodes { id } } viewer { workspace { id } }
         alerts(first: 1) { nodes { id } } alertRules(first: 1) { nodes { id } }

         alertDestinations(first: 1) { nodes { id } }
         deals(first: 1) { nodes { id versions { id } } } payments(first: 1) { nodes { id } } }`,
    )
    const [delivery] = await t.db.query<{ id: string }>(
      'select id from alert_delivery where workspace_id = ?',
      [ws.id],
    )
    const account = data.accounts.nodes[0]!
    const ids: Record<string, string> = {
      Account: account.id,
      SyncRun: account.syncRuns.nodes[0]!.id,
      ApiToken: data.apiTokens.nodes[0]!.id,
      Member: data.members.nodes[0]!.id,
      StatChange: data.changes.nodes[0]!.id,
      Workspace: data.viewer.workspace.id,
      Alert: data.alerts.nodes[0]!.id,
      AlertRule: data.alertRules.nodes[0]!.id,
      AlertDestination: data.alertDestinations.nodes[0]!.id,
      AlertDelivery: toGlobalId('AlertDelivery', delivery!.id),
      Deal: data.deals.nodes[0]!.id,
      DealVersion: data.deals.nodes[0]!.versions[0]!.id,
      Payment: data.payments.nodes[0]!.id,
    }
    expect(Object.keys(ids).sort()).toEqual([...WORKSPACE_ENTITIES].sort())
    for (const [type, id] of Object.entries(ids)) {
      const found = await ok<{ node: { __typename: string; id: string } | null }>(
        t,
        ws.token,
        'query($id: ID!) { node(id: $id) { __typename id } }',
        { id },
      )
      expect(found.node, type).toEqual({ __typename: type, id })
    }
  })
})
