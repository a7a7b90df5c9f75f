import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import {
  buildClientSchema,
  type GraphQLSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
} from 'graphql'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { ACCOUNT_SELECTION, type AccountView } from '../graphql/graphql-helpers.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  edgeVariants,
  FuzzValues,
  MEBIBYTE,
  NASTY_STRINGS,
  nastyStringArbitrary,
  operationsOf,
  wrongTypeArbitrary,
} from './support/fuzz-values.ts'

/**
 * Fuzzes the real HTTP server: every root field with random and boundary values for every argument, then
 * malformed HTTP requests. Nothing may answer 5xx, crash the process or mask a client's mistake as an unexpected
 * error, nothing stored may change, and the server must answer normally afterwards.
 *
 * AFFGRAPH_FUZZ_SEED (default fixed, `random` for a new one each run) and AFFGRAPH_FUZZ_RUNS (GraphQL operations in
 * total, default 1,500; the malformed-HTTP part sends 40 % as many more) make a longer local run.
 */

const SEED =
  process.env.AFFGRAPH_FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.AFFGRAPH_FUZZ_SEED ?? 20_260_517)
const RUNS = Number(process.env.AFFGRAPH_FUZZ_RUNS ?? 1500)
const BODY_CAP = 4 * MEBIBYTE
const MIN_REQUESTS = 2000

let t: TestApp
let server: Server
let base: string
let agent: Agent
let token: string
let schema: GraphQLSchema
const simulators: PlatformSimulator[] = []
let keeper: { id: string; view: AccountView; stats: unknown }

const crashes: unknown[] = []
const onCrash = (error: unknown) => crashes.push(error)

interface Finding {
  kind: '5xx' | 'masked' | 'uncoded'
  where: string
  status: number
  message: string
  input: string
  log: string
}
const findings: Finding[] = []
const slow: string[] = []
const tally = {
  resetAfterOversized: 0,
  requests: 0,
  uncoded: 0,
  byStatus: new Map<number, number>(),
  rateLimited: 0,
  transportErrors: 0,
}

interface Sent {
  requestId: string
  status: number
  text: string
  body?: { data?: unknown; errors?: { message: string; extensions?: { code?: unknown } }[] }
}

/** Requests in flight at once: enough to overlap database and simulator waits, few enough for a shared CI box. */
const CONCURRENCY = 4

async function inParallel<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await run(items[next++]!)
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
}

async function send(init: {
  method?: 'GET' | 'POST' | 'PUT'
  path?: string
  headers?: Record<string, string>
  body?: string | Buffer | Readable
  auth?: boolean
}): Promise<Sent> {
  const requestId = `fuzz-${++tally.requests}`
  const oversized = typeof init.body === 'string' && Buffer.byteLength(init.body) > BODY_CAP
  const response = await request(`${base}${init.path ?? '/graphql'}`, {
    dispatcher: agent,
    method: init.method ?? 'POST',
    headers: {
      ...(init.auth === false ? {} : { authorization: `Bearer ${token}` }),
      'x-request-id': requestId,
      ...init.headers,
    },
    body: init.body,
  }).catch((error: { code?: string }) => {
    // The server answers 413 to an oversized body as soon as it knows, and may close the socket while the rest
    // is still being sent: the client then sees a reset instead of the answer.
    if (oversized && ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(error.code ?? '')) return null
    throw error
  })
  if (!response) {
    tally.resetAfterOversized++
    return { requestId, status: 413, text: '' }
  }
  const text = await response.body.text()
  tally.byStatus.set(response.statusCode, (tally.byStatus.get(response.statusCode) ?? 0) + 1)
  let body: Sent['body']
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { requestId, status: response.statusCode, text, body }
}

const sendJson = (payload: unknown) =>
  send({
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify(payload),
  })

const excerpt = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return (text ?? String(value)).slice(0, 300)
}

/** Records what is wrong with an answer; an empty list at the end is the test's main assertion. */
function judge(where: string, input: unknown, sent: Sent): void {
  // Requests run concurrently: the server's log lines are told apart by the request id the test sent.
  const lastError = () =>
    t.logs.lines
      .filter((l) => l.includes(`"requestId":"${sent.requestId}"`) && /"level":[56]0/.test(l))
      .at(-1)
      ?.slice(0, 1500) ?? ''
  if (sent.status >= 500) {
    findings.push({
      kind: '5xx',
      where,
      status: sent.status,
      message: sent.text.slice(0, 300),
      input: excerpt(input),
      log: lastError(),
    })
  }
  for (const error of sent.body?.errors ?? []) {
    const code = error.extensions?.code
    if (code === 'RATE_LIMITED') tally.rateLimited++
    if (error.message === 'Unexpected error.' || code === 'INTERNAL_SERVER_ERROR') {
      findings.push({
        kind: 'masked',
        where,
        status: sent.status,
        message: error.message,
        input: excerpt(input),
        log: lastError(),
      })
    } else if (typeof code !== 'string') {
      // graphql-js gives request errors (bad variables, bad documents) no code; their 4xx status is the signal.
      if (sent.status < 400) {
        findings.push({
          kind: 'uncoded',
          where,
          status: sent.status,
          message: error.message.slice(0, 300),
          input: excerpt(input),
          log: lastError(),
        })
      }
      tally.uncoded++
    }
  }
}

const summary = () => {
  const count = (kind: Finding['kind']) => findings.filter((f) => f.kind === kind).length
  const statuses = [...tally.byStatus]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ')
  return `fuzz: ${tally.requests} requests, ${count('5xx')} 5xx, ${count('masked')} masked errors, ${count('uncoded')} errors without a code outside a 4xx (${tally.uncoded} within), ${tally.rateLimited} rate-limited, ${tally.resetAfterOversized} oversized bodies cut off, ${crashes.length} crashes (seed ${SEED}; statuses ${statuses})`
}

function describeFindings(from = 0): string {
  const distinct = new Map<string, Finding>()
  for (const f of findings.slice(from)) distinct.set(`${f.kind}|${f.where}|${f.message.slice(0, 80)}`, f)
  return [...distinct.values()]
    .slice(0, 15)
    .map(
      (f) =>
        `- ${f.kind} in ${f.where} (HTTP ${f.status}): ${f.message}\n  input: ${f.input}\n  log: ${f.log}`,
    )
    .join('\n')
}

const KEEPER_QUERY = `query($id: ID!) { account(id: $id) { ${ACCOUNT_SELECTION}
  stats(input: { range: { from: "2026-01-01", to: "2026-01-07" }, granularity: DAY, fetchMissing: true }) {
    rows { nodes { periodStart currency clicks signups ftds deposits { exactAmount } commission { exactAmount } } } } } }`

async function readKeeper(id: string): Promise<{ view: AccountView; stats: unknown }> {
  const sent = await sendJson({ query: KEEPER_QUERY, variables: { id } })
  expect(sent.status, sent.text).toBe(200)
  const { stats, ...view } = (sent.body?.data as { account: AccountView & { stats: unknown } } | undefined)!
    .account
  return { view, stats }
}

async function connect(field: string, connection: Record<string, unknown>, label: string): Promise<string> {
  const sent = await sendJson({
    query: `mutation($input: ConnectAccountInput!) { connectAccount(input: $input) {
      __typename ... on ConnectAccountSuccess { account { id } } } }`,
    variables: { input: { connection: { [field]: connection }, label, tags: ['fuzz-kept'] } },
  })
  const result = (sent.body?.data as { connectAccount?: { __typename: string; account?: { id: string } } })
    ?.connectAccount
  expect(result?.__typename, sent.text).toBe('ConnectAccountSuccess')
  return result!.account!.id
}

beforeAll(async () => {
  process.on('unhandledRejection', onCrash)
  process.on('uncaughtException', onCrash)
  const unlimited = ['CREDENTIAL_TEST', 'CONNECT', 'TOKEN_CREATE', 'SYNC_TRIGGER'].flatMap((name) => [
    [`AFFGRAPH_RATE_LIMIT_${name}`, 'off'],
    [`AFFGRAPH_RATE_LIMIT_${name}_PER_IP`, 'off'],
  ])
  // Rate limits would turn most mutations into 429s after a few dozen calls; the fuzz wants the resolvers.
  t = await createTestApp({
    env: { AFFGRAPH_MAX_BODY_BYTES: String(BODY_CAP), ...Object.fromEntries(unlimited) },
  })
  for (const platform of t.registry.all()) {
    simulators.push(await platform.definition.simulator.create({ seed: 'fuzz', accounts: 2 }))
  }
  token = (await t.workspace('fuzz')).token
  server = createServer(t.app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  agent = new Agent({ connections: 4, headersTimeout: 60_000, bodyTimeout: 60_000 })

  const introspection = await sendJson({ query: getIntrospectionQuery() })
  schema = buildClientSchema((introspection.body?.data ?? {}) as IntrospectionQuery)
}, 60_000)

afterAll(async () => {
  process.off('unhandledRejection', onCrash)
  process.off('uncaughtException', onCrash)
  await agent?.close()
  if (server) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  await Promise.all(simulators.map((s) => s.close()))
  await t?.close()
})

describe('fuzzing the HTTP server', () => {
  let disposable: string
  let values: FuzzValues
  // The server shares this process: a request that blocks its event loop shows as a long delay here. Measured from
  // the first request on, not during set-up (simulators, migrations).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })

  beforeAll(async () => {
    const platforms = t.registry.all()
    const [first, second] = [platforms[0]!, platforms[1] ?? platforms[0]!]
    const keeperId = await connect(
      first.fieldName,
      simulators[0]!.accounts[0]!.connection,
      'kept through the fuzz',
    )
    keeper = { id: keeperId, ...(await readKeeper(keeperId)) }
    disposable = await connect(second.fieldName, simulators[1]!.accounts[1]!.connection, 'fuzzed')

    const samples: Record<string, Record<string, unknown>[]> = {}
    platforms.forEach((p, i) => {
      const sim = simulators[i]!
      samples[`${p.typeName}ConnectionInput`] = [sim.accounts[1]!.connection, sim.invalidConnection()]
    })
    const range = { from: '2026-01-01', to: '2026-01-07' }
    const connection = { [second.fieldName]: simulators[1]!.accounts[1]!.connection }
    Object.assign(samples, {
      StatsRangeInput: [range, { from: '2016-01-08', to: '2026-01-07' }],
      DateRangeInput: [range],
      StatsInput: [{ range, granularity: 'DAY', groupBy: ['ACCOUNT', 'BRAND'], currency: 'EUR' }],
      StatsFilterInput: [{ accountIds: [disposable], tags: ['fuzz'] }],
      FxOptionsInput: [{ policy: 'FIXED_DATE', date: '2026-01-02' }],
      ConnectAccountInput: [{ connection, label: 'fuzz', tags: ['fuzz'] }],
      UpdateAccountInput: [{ accountId: disposable, label: 'fuzzed', tags: ['fuzz'] }],
      UpdateAccountSyncInput: [
        { accountId: disposable, backfillDays: 30, lookbackDays: 3, syncIntervalMinutes: 60 },
      ],
      UpdateAccountConnectionInput: [{ accountId: disposable, connection }],
      ImportAccountsInput: [
        {
          csv: csvOf(second.fieldNames, second.definition.id, [simulators[1]!.accounts[1]!.connection]),
          dryRun: true,
        },
      ],
    })
    values = new FuzzValues({
      ids: [disposable],
      samples,
      fieldArbitraries: {
        'ImportAccountsInput.csv': csvArbitrary(platforms.map((p, i) => ({ p, sim: simulators[i]! }))),
      },
    })
  }, 60_000)

  it('given every root field of Query and Mutation, when each gets random and boundary arguments, then no answer is a 5xx or a masked error', async () => {
    loopDelay.enable()
    const before = findings.length
    const operations = operationsOf(schema)
    // Built from the served schema: a new root field is fuzzed without touching this file.
    expect(operations.map((o) => o.rootField)).toEqual(
      expect.arrayContaining(['accounts', 'stats', 'connectAccount', 'testConnection', 'importAccounts']),
    )
    const perField = Math.ceil(RUNS / operations.length)
    const started = performance.now()
    const timings: string[] = []
    for (const [index, op] of operations.entries()) {
      const fieldStarted = performance.now()
      const variables = fc
        .constantFrom<'typed' | 'wild'>('typed', 'typed', 'wild')
        .chain((mode) =>
          fc.tuple(
            ...op.variables.map((v) => fc.option(values.forType(v.type, mode), { nil: undefined, freq: 12 })),
          ),
        )
        .map((vs) =>
          Object.fromEntries(op.variables.map((v, i) => [v.name, vs[i]]).filter(([, x]) => x !== undefined)),
        )
      await inParallel(fc.sample(variables, { seed: SEED + index, numRuns: perField }), async (vars) => {
        const sentAt = performance.now()
        judge(op.rootField, vars, await sendJson({ query: op.document, variables: vars }))
        const ms = performance.now() - sentAt
        if (ms > 2000) slow.push(`${op.rootField} ${Math.round(ms)} ms: ${excerpt(vars).slice(0, 200)}`)
      })
      timings.push(`${op.rootField} ${Math.round(performance.now() - fieldStarted)}`)
    }
    console.info(`fuzz: loop max so far ${Math.round(loopDelay.max / 1e6)} ms`)
    console.info(`fuzz: ms per root field: ${timings.join(', ')}\nslow:\n${slow.slice(0, 20).join('\n')}`)
    console.info(
      `fuzz: ${operations.length} root fields × ${perField} in ${Math.round(performance.now() - started)} ms`,
    )
    expect(describeFindings(before), summary()).toBe('')
  }, 600_000)

  it('given every root field, when each text, ID, day and instant argument in turn gets a NUL, year 0000, 30 February, year +275760 or a forged cursor, then no answer is a 5xx or a masked error', async () => {
    const before = findings.length
    let sent = 0
    for (const [index, op] of operationsOf(schema).entries()) {
      // One valid-looking call per field, then each argument leaf swapped for each edge value.
      const [base] = fc.sample(fc.tuple(...op.variables.map((v) => values.forType(v.type, 'typed'))), {
        seed: SEED + index,
        numRuns: 1,
      })
      const baseVars = Object.fromEntries(op.variables.map((v, i) => [v.name, base![i]]))
      const calls = op.variables.flatMap((v) =>
        edgeVariants(v.type, baseVars[v.name], 0, v.name).map((edge) => ({ ...baseVars, [v.name]: edge })),
      )
      sent += calls.length
      await inParallel(calls, async (vars) => {
        judge(op.rootField, vars, await sendJson({ query: op.document, variables: vars }))
      })
    }
    console.info(`fuzz: edge values: ${sent} requests`)
    expect(sent).toBeGreaterThan(100)
    expect(describeFindings(before), summary()).toBe('')
  }, 300_000)

  it('given malformed HTTP requests, when sent to /graphql, then each gets a 4xx (or a GraphQL error) and never a 5xx', async () => {
    const before = findings.length
    const started = performance.now()
    await inParallel(
      fc.sample(malformedRequest(), { seed: SEED, numRuns: Math.ceil(RUNS * 0.4) }),
      async (req) => {
        judge(`http ${req.label}`, req, await send(req))
      },
    )
    console.info(`fuzz: malformed HTTP in ${Math.round(performance.now() - started)} ms`)
    expect(describeFindings(before), summary()).toBe('')
  }, 600_000)

  it('given DateTime values outside the years PostgreSQL stores, when a token is created with them, then the answer is a 400 naming the variable, not an unexpected error', async () => {
    for (const expiresAt of [
      '+275760-09-13T00:00:00.000Z',
      '-271821-04-20T00:00:00.000Z',
      '0000-01-01T00:00:00Z',
    ]) {
      const sent = await sendJson({
        query:
          'mutation($expiresAt: DateTime) { createApiToken(input: { name: "far", expiresAt: $expiresAt }) { ... on CreateApiTokenSuccess { token } } }',
        variables: { expiresAt },
      })
      expect(sent.status, sent.text).toBe(400)
      expect(sent.body?.errors?.[0]?.message).toContain('$expiresAt')
    }
  })

  it('given a body above AFFGRAPH_MAX_BODY_BYTES, when it is posted with or without a content-length, then the answer is 413', async () => {
    const big = JSON.stringify({
      query: '{ viewer { workspace { name } } }',
      variables: { pad: 'x'.repeat(BODY_CAP) },
    })
    const declared = await send({ headers: { 'content-type': 'application/json' }, body: big })
    expect(declared.status).toBe(413)

    // A chunked body carries no length: the cap must hold while the body streams in.
    const chunked = await send({
      headers: { 'content-type': 'application/json' },
      body: Readable.from(
        (function* () {
          yield Buffer.from(big.slice(0, 1000))
          for (let i = 1000; i < big.length; i += 65_536) yield Buffer.from(big.slice(i, i + 65_536))
        })(),
      ),
    })
    expect(chunked.status).toBe(413)

    const justUnder = JSON.stringify({
      query: '{ viewer { workspace { name } } }',
      variables: { pad: 'x'.repeat(BODY_CAP - 100) },
    })
    const accepted = await send({ headers: { 'content-type': 'application/json' }, body: justUnder })
    expect(accepted.status).toBe(200)
  }, 60_000)

  it('given the whole run, when it is over, then nothing crashed, the kept account reads back identically and a normal query answers', async () => {
    const after = await readKeeper(keeper.id)
    expect(after).toEqual({ view: keeper.view, stats: keeper.stats })
    const viewer = await sendJson({ query: '{ viewer { workspace { name } } }' })
    expect(viewer.status).toBe(200)
    expect(viewer.body?.data).toEqual({ viewer: { workspace: { name: 'fuzz' } } })
    console.info(summary())
    expect(crashes).toEqual([])
    expect(tally.requests).toBeGreaterThanOrEqual(MIN_REQUESTS)
    loopDelay.disable()
    const ms = (ns: number) => Math.round(ns / 1e6)
    console.info(
      `fuzz: event-loop delay over the run: p50 ${ms(loopDelay.percentile(50))} ms, p99 ${ms(loopDelay.percentile(99))} ms, max ${ms(loopDelay.max)} ms`,
    )
    // The import test holds each worst case to ~100 ms over its baseline; here thousands of requests (1 MB strings,
    // 4 MiB bodies) share the loop with the generator and the checks, and a busy runner adds its own scheduling
    // delays (1.6 s seen with other test runs on the same two cores), so the bound only catches a stall of the kind
    // that froze the server for 27 s.
    expect(ms(loopDelay.max)).toBeLessThan(5000)
  })
})

// ---------------------------------------------------------------------------------------------------------------

const quoteCell = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)

function csvOf(fields: string[], platformId: string, rows: Record<string, unknown>[]): string {
  const columns = ['platform', 'label', 'tags', ...fields]
  const lines = rows.map((row) =>
    columns.map((c) => quoteCell(c === 'platform' ? platformId : String(row[c] ?? ''))).join(','),
  )
  return `${[columns.join(','), ...lines].join('\n')}\n`
}

/** CSV text for an import: real headers and connections, with broken cells, quotes, sizes and row counts. */
function csvArbitrary(
  platforms: { p: { definition: { id: string }; fieldNames: string[] }; sim: PlatformSimulator }[],
): fc.Arbitrary<string> {
  const wellFormed = fc
    .tuple(
      fc.constantFrom(...platforms),
      fc.nat(2),
      fc.option(nastyStringArbitrary),
      fc.constantFrom('\n', '\r\n'),
    )
    .map(([{ p, sim }, n, nasty, eol]) => {
      const rows = Array.from({ length: n + 1 }, (_, i) => ({
        ...sim.accounts[i % sim.accounts.length]!.connection,
        label: nasty ?? `row ${i}`,
        tags: nasty === null ? 'a;b' : nasty,
      }))
      return csvOf(p.fieldNames, p.definition.id, rows).replaceAll('\n', eol)
    })
  return fc.oneof(
    { arbitrary: wellFormed, weight: 4 },
    {
      arbitrary: fc.constantFrom(
        '',
        '\ufeff',
        'platform\n',
        'platform,label\n"unterminated,quote\n',
        'a,b,c\n1,2,3,4,5\n',
        `platform,label\n${'softswiss,x\n'.repeat(501)}`,
        `platform,label\n${'x'.repeat(MEBIBYTE + 1)}\n`,
        'platform,platform,platform\n1,2,3\n',
        '"\u0000","\ud800"\n',
      ),
      weight: 2,
    },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
  )
}

interface RawRequest {
  label: string
  method: 'GET' | 'POST' | 'PUT'
  path: string
  headers: Record<string, string>
  body?: string
  auth?: boolean
}

const VALID_QUERY = '{ viewer { workspace { name } } }'
const VALID_BODY = JSON.stringify({ query: VALID_QUERY, variables: {}, operationName: null })
const json = { 'content-type': 'application/json' }

/** A lone surrogate cannot be URI-encoded: send the raw bytes such a string would have, which is garbage too. */
function uriEncode(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return '%ED%A0%80'
  }
}

function malformedRequest(): fc.Arbitrary<RawRequest> {
  const post = (label: string, body: fc.Arbitrary<string>, headers: Record<string, string> = json) =>
    body.map((b): RawRequest => ({ label, method: 'POST', path: '/graphql', headers, body: b }))
  const anyJson = fc.oneof(wrongTypeArbitrary, fc.jsonValue({ maxDepth: 3 }))
  const garbageText = fc.oneof(nastyStringArbitrary, fc.string({ unit: 'binary', maxLength: 300 }))
  return fc.oneof(
    post('invalid JSON', garbageText),
    post(
      'truncated JSON',
      fc.nat(VALID_BODY.length - 1).map((n) => VALID_BODY.slice(0, n)),
    ),
    post(
      'JSON that is not an object',
      anyJson
        .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
        .map((v) => JSON.stringify(v) ?? 'null'),
    ),
    post(
      'batched array',
      fc
        .array(fc.constant({ query: VALID_QUERY }), { minLength: 2, maxLength: 30 })
        .map((a) => JSON.stringify(a)),
    ),
    post(
      'query that is not a string',
      anyJson.map((q) => JSON.stringify({ query: q })),
    ),
    post(
      'garbage document',
      garbageText.map((q) => JSON.stringify({ query: q })),
    ),
    post(
      'mutated document',
      fc
        .tuple(fc.nat(VALID_QUERY.length), garbageText)
        .map(([i, s]) => JSON.stringify({ query: VALID_QUERY.slice(0, i) + s + VALID_QUERY.slice(i) })),
    ),
    post(
      'unknown operation name',
      fc
        .oneof(garbageText, anyJson)
        .map((name) =>
          JSON.stringify({ query: `query A ${VALID_QUERY} query B { __typename }`, operationName: name }),
        ),
    ),
    post(
      'variables that are not an object',
      anyJson.map((v) =>
        JSON.stringify({ query: 'query($x: String) { platform(id: $x) { id } }', variables: v }),
      ),
    ),
    post(
      'extensions that are not an object',
      anyJson.map((e) => JSON.stringify({ query: VALID_QUERY, extensions: e })),
    ),
    fc
      .tuple(
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=fuzz',
          'multipart/form-data',
          'application/graphql',
          'application/xml',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
          'application/json; boundary=',
          '*/*',
          '',
          ';;;',
        ),
        fc.oneof(
          fc.constant(VALID_BODY),
          garbageText,
          fc.constant(
            '--fuzz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n--fuzz--\r\n',
          ),
        ),
      )
      .map(
        ([type, body]): RawRequest => ({
          label: `content-type ${type || '(empty)'}`,
          method: 'POST',
          path: '/graphql',
          headers: type ? { 'content-type': type } : {},
          body,
        }),
      ),
    fc
      .tuple(
        garbageText,
        fc.constantFrom('query', 'variables', 'operationName', 'extensions', ''),
        fc.constantFrom('', '%', '%zz', '&&&', '?', '#'),
      )
      .map(
        ([value, key, tail]): RawRequest => ({
          label: 'GET with a garbage query string',
          method: 'GET',
          path: `/graphql?${key ? `${key}=` : ''}${uriEncode(value)}${tail}&query=${uriEncode(VALID_QUERY)}`,
          headers: { accept: 'application/json' },
        }),
      ),
    fc.constantFrom(...NASTY_STRINGS.filter((s) => s.length < 300)).map(
      (s): RawRequest => ({
        label: 'garbage authorization',
        method: 'POST',
        path: '/graphql',
        headers: { ...json, authorization: `Bearer ${s}`.replace(/[^\t\x20-\x7e]/g, '?') },
        body: VALID_BODY,
        auth: false,
      }),
    ),
    fc
      .constantFrom('PUT' as const)
      .map(
        (method): RawRequest => ({ label: 'PUT', method, path: '/graphql', headers: json, body: VALID_BODY }),
      ),
  )
}
