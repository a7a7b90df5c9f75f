import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/test-app.ts'

const IMPORT = `
  mutation Import($input: ImportAccountsInput!) {
    importAccounts(input: $input) {
      ... on ImportAccountsSuccess { imported failed rows { line error { code message } } }
      ... on UserError { code message fields { path } }
    }
  }
`
/** The HTTP body cap; the importer itself reads at most 1 MiB of CSV. */
const BODY_CAP = 4 * 1024 * 1024
const CSV_CAP = 1024 * 1024

let t: TestApp
let server: Server
let endpoint: string
let token: string

beforeAll(async () => {
  // Budgets far above what the test spends: the limiter still counts every file's rows, as in production.
  t = await createTestApp({
    env: { AFFGRAPH_RATE_LIMIT_CONNECT: '100000/1h', AFFGRAPH_RATE_LIMIT_CONNECT_PER_IP: '100000/1h' },
  })
  server = createServer(t.app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
  token = (await t.workspace('import-load')).token
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  await t?.close()
})

interface Reply {
  status: number
  body: {
    data?: { importAccounts: { imported: number; failed: number; rows: unknown[] } } | null
    errors?: { message: string; extensions?: Record<string, unknown> }[]
  }
}

/**
 * The import of `csv` as a dry run; with `carryOnly`, the same body (same size, same JSON to decode) sent to a query
 * that ignores it: what the request costs before and apart from the importer.
 */
/** The file-level refusal an import answered with (a member of its result union). */
const rejected = (reply: Reply) =>
  (reply.body.data?.importAccounts ?? {}) as {
    code?: string
    message?: string
    fields?: { path: string[] }[]
  }

async function postImport(csv: string, carryOnly = false): Promise<Reply> {
  const query = carryOnly ? '{ __typename }' : IMPORT
  const body = JSON.stringify({ query, variables: { input: { csv, dryRun: true } } })
  expect(Buffer.byteLength(body)).toBeLessThanOrEqual(BODY_CAP)
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  })
  return { status: response.status, body: await response.json() }
}

/** Longest event-loop stall, in ms, while `work` runs: the server answers in this process, so its stalls are ours. */
async function maxLagDuring(work: () => Promise<void>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  try {
    await work()
  } finally {
    histogram.disable()
  }
  return histogram.max / 1e6
}

/** Repeats `line` up to (not past) `bytes` UTF-8 bytes after `head`. */
const fill = (head: string, line: string, bytes: number) =>
  head + line.repeat(Math.floor((bytes - Buffer.byteLength(head)) / Buffer.byteLength(line)))

const wideHeader = (columns: number) =>
  `platform,${Array.from({ length: columns - 1 }, (_, i) => `c${i}`).join(',')}\nsoftswiss\n`

/** The widest legal header with 500 rows of long cells, every cell but the platform in a column no platform has. */
function widestLegalFile(): string {
  const header = ['platform', 'label', 'tags', ...Array.from({ length: 61 }, (_, i) => `extra${i}`)]
  const rowBytes = Math.floor((CSV_CAP - 4096) / 500)
  const cell = 'x'.repeat(Math.floor(rowBytes / header.length) - 1)
  const row = (i: number) => [i % 2 ? 'softswiss' : 'nowhere', ...header.slice(1).map(() => cell)].join(',')
  return `${header.join(',')}\n${Array.from({ length: 500 }, (_, i) => row(i)).join('\n')}\n`
}

describe('CSV import under load', () => {
  it('given a header of 120,000 columns, when imported, then a typed error names the header and its width at once', async () => {
    const csv = wideHeader(120_000)
    expect(Buffer.byteLength(csv)).toBeLessThanOrEqual(CSV_CAP)
    const started = performance.now()
    const reply = await postImport(csv)
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(reply.body.errors).toBeUndefined()
    const error = rejected(reply)
    expect(error).toMatchObject({
      code: 'IMPORT_TOO_LARGE',
      fields: [{ path: ['input', 'csv'] }],
    })
    expect(error?.message).toMatch(/header \(line 1\) names 120000 columns; at most \d+/)
  }, 120_000)

  it('given a header naming platform, label, tags and every connection field of every bundled platform, when imported, then it is within the column bound', async () => {
    const fields = new Set(t.registry.all().flatMap((p) => p.fieldNames))
    const header = ['platform', 'label', 'tags', ...fields]
    const reply = await postImport(`${header.join(',')}\nnowhere\n`)
    expect(reply.body.errors, JSON.stringify(reply.body.errors)).toBeUndefined()
    expect(reply.body.data?.importAccounts).toMatchObject({ imported: 0, failed: 1 })
    // Room for plugins to come: the bound is at least twice what all bundled platforms together need.
    const bound = Number(rejected(await postImport(wideHeader(1000))).message?.match(/at most (\d+)/)?.[1])
    expect(bound).toBeGreaterThanOrEqual(2 * header.length)
  })

  it('given worst-case files within the body cap, when the server imports them, then the event loop never stalls much longer than it does for a small file', async () => {
    const worst: [string, string, (reply: Reply) => void][] = [
      [
        '120,000-column header',
        wideHeader(120_000),
        (r) => expect(rejected(r).code).toBe('IMPORT_TOO_LARGE'),
      ],
      [
        '1 MiB of blank lines',
        fill('platform,label\n', '\n', CSV_CAP),
        (r) => expect(r.body.data?.importAccounts).toMatchObject({ imported: 0, failed: 0 }),
      ],
      [
        '1 MiB of all-empty-cell rows',
        fill('platform,label\r\n', ',,,,,,,\r', CSV_CAP),
        (r) => expect(r.body.data?.importAccounts).toMatchObject({ imported: 0, failed: 0 }),
      ],
      [
        '1 MiB of commas on one line',
        fill('platform,label\nnowhere', ',', CSV_CAP),
        (r) => expect(r.body.data?.importAccounts).toMatchObject({ imported: 0, failed: 1 }),
      ],
      [
        '500 rows of 64 long cells',
        widestLegalFile(),
        (r) => expect(r.body.data?.importAccounts).toMatchObject({ imported: 0, failed: 500 }),
      ],
      [
        'one quoted cell of 1 MiB, mostly doubled quotes',
        `platform,label\nnowhere,"${'""'.repeat(CSV_CAP / 2 - 64)}"\n`,
        (r) => expect(r.body.data?.importAccounts).toMatchObject({ failed: 1 }),
      ],
      [
        'a file just under the 4 MiB body cap once JSON-escaped',
        fill('platform,label\n', 'nowhere,x\n', BODY_CAP - 512 * 1024),
        (r) => expect(rejected(r).code).toBe('IMPORT_TOO_LARGE'),
      ],
    ]
    // How the bound is set, so that it holds on a loaded 2-core CI runner yet still catches a blocking step:
    // - every file is sent three times and the smallest of its three worst stalls counts: another process taking the
    //   CPU stalls one run at random, while a step that blocks the loop stalls every run;
    // - each file's bound is a baseline measured here, the same way, for the same body sent to a query that ignores
    //   it (the HTTP read and JSON decoding of up to 4 MiB happen before any import code and are not the importer's),
    //   plus 500 ms. A quadratic step (21 s here, 27 s in the report, for the wide header) or a slow parser (2.6 s
    //   for blank lines) fails it by far; 100 ms of slack failed on a 2-core runner busy with other test files
    //   (305 ms against a 250 ms bound) for no fault of the code.
    const stall = async (csv: string, check: (reply: Reply) => void, carryOnly = false) => {
      const runs: number[] = []
      for (let i = 0; i < 3; i++)
        runs.push(await maxLagDuring(async () => check(await postImport(csv, carryOnly))))
      return Math.min(...runs)
    }
    const carried = (r: Reply) => expect(r.body.data).toEqual({ __typename: 'Query' })
    const figures: Record<string, { import: number; baseline: number }> = {}
    for (const [name, csv, check] of worst) {
      const baseline = await stall(csv, carried, true)
      figures[name] = { import: await stall(csv, check), baseline }
    }
    console.info('event-loop stall, ms (smallest of 3 runs)', figures)
    for (const [name, { import: lag, baseline }] of Object.entries(figures))
      expect(lag, name).toBeLessThan(baseline + 500)
  }, 300_000)
})
