import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlatformSimulator } from '../../src/sdk/index.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import {
  accountRowsText,
  atFields,
  bearer,
  countAccounts,
  expectNoSecret,
  type GqlResponse,
  send,
  storedCredentials,
} from './graphql-helpers.ts'

const IMPORT = `
  mutation Import($input: ImportAccountsInput!) {
    importAccounts(input: $input) {
      __typename
      ... on ImportAccountsSuccess {
        imported
        failed
        rows {
          line platformId label
          account { id label platformId tags status connectionFields { name isSet } }
          error { __typename code message fields { path field message } }
        }
      }
      ... on UserError { code message fields { path field message } }
    }
  }
`

interface ImportRow {
  line: number
  platformId: string | null
  label: string | null
  account: { id: string; label: string; platformId: string; tags: string[]; status: string } | null
  error: { __typename: string; code: string; message: string; fields: string[] } | null
}
interface ImportData {
  importAccounts: { imported: number; failed: number; rows: ImportRow[] }
}

const COLUMNS = ['platform', 'label', 'tags', 'baseUrl', 'token', 'apiKey', 'nickname', 'apiBaseUrl'] as const
type Column = (typeof COLUMNS)[number]

/** One CSV cell, quoted the way spreadsheets write it when it needs to be. */
const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)
const csvOf = (rows: Partial<Record<Column, string>>[], eol = '\n') =>
  [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((c) => quote(row[c] ?? '')).join(','))].join(eol) + eol

let t: TestApp
let softswiss: PlatformSimulator
let clickbank: PlatformSimulator
let ws: { id: string; token: string }
/** Every secret any CSV of this file carries: swept from responses and logs at the end. */
const secrets = new Set<string>()
const responses: string[] = []

beforeAll(async () => {
  t = await createTestApp()
  softswiss = await t.registry
    .get('softswiss')!
    .definition.simulator.create({ seed: 'account-import', accounts: 6 })
  clickbank = await t.registry
    .get('clickbank')!
    .definition.simulator.create({ seed: 'account-import', accounts: 2 })
  ws = await t.workspace('account-import')
  for (const account of softswiss.accounts) secrets.add(account.connection.token!)
  for (const account of clickbank.accounts) secrets.add(account.connection.apiKey!)
  secrets.add(softswiss.invalidConnection().token!)
  secrets.add(clickbank.invalidConnection().apiKey!)
})

afterAll(async () => {
  await softswiss?.close()
  await clickbank?.close()
  await t?.close()
})

const ss = (i: number) => softswiss.accounts[i]!.connection
const cb = (i: number) => clickbank.accounts[i]!.connection

/** The file-level refusal an import answered with (a member of its result union). */
const rejected = (response: GqlResponse<ImportData>) =>
  (response.body.data?.importAccounts ?? {}) as { __typename?: string; code?: string; message?: string }

async function runImport(csv: string, dryRun?: boolean): Promise<GqlResponse<ImportData>> {
  const response = await send<ImportData>(
    t,
    IMPORT,
    { input: dryRun === undefined ? { csv } : { csv, dryRun } },
    bearer(ws.token),
  )
  responses.push(response.text)
  return response
}

async function importOk(csv: string, dryRun?: boolean): Promise<ImportData['importAccounts']> {
  const response = await runImport(csv, dryRun)
  expect(response.body.errors, response.text).toBeUndefined()
  return response.body.data!.importAccounts
}

const labelsStored = async () =>
  (await t.db.query<{ label: string }>('select label from account order by label')).map((r) => r.label)

describe('importAccounts', () => {
  it('given a file mixing valid and invalid rows of two platforms, when imported, then each row has its own outcome and only the valid ones are stored', async () => {
    const before = await countAccounts(t)
    const data = await importOk(
      csvOf([
        { platform: 'softswiss', label: 'Casino A', tags: 'casino;tier-1', ...ss(0) },
        { platform: 'clickbank', label: 'CB main', tags: 'nutra|us', ...cb(0) },
        { platform: 'nosuchplatform', label: 'Ghost', token: ss(1).token },
        { platform: 'softswiss', label: 'No token', baseUrl: ss(1).baseUrl },
        { platform: 'softswiss', label: 'Bad URL', baseUrl: 'not a url', token: ss(2).token },
        { platform: 'softswiss', label: 'Refused', ...softswiss.invalidConnection() },
        { platform: 'softswiss', label: 'Casino A again', ...ss(0) },
        { platform: 'clickbank', label: 'Stray token', ...cb(1), token: ss(3).token },
      ]),
    )
    const byLabel = (label: string) => data.rows.find((r) => r.label === label || r.account?.label === label)!

    expect(data.rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9])
    expect(data.imported).toBe(2)
    expect(data.failed).toBe(6)

    expect(byLabel('Casino A')).toMatchObject({
      line: 2,
      platformId: 'softswiss',
      error: null,
      account: { label: 'Casino A', platformId: 'softswiss', tags: ['casino', 'tier-1'], status: 'OK' },
    })
    expect(byLabel('CB main')).toMatchObject({
      platformId: 'clickbank',
      error: null,
      account: { platformId: 'clickbank', tags: ['nutra', 'us'] },
    })
    expect(data.rows[2]).toMatchObject({
      line: 4,
      platformId: null,
      account: null,
      error: { __typename: 'ImportRowError', code: 'PLATFORM_UNKNOWN', fields: atFields('platform') },
    })
    expect(byLabel('No token')).toMatchObject({
      platformId: 'softswiss',
      account: null,
      error: { code: 'CREDENTIALS_INVALID', fields: atFields('token'), message: 'token: is required' },
    })
    expect(byLabel('Bad URL')).toMatchObject({
      account: null,
      error: { code: 'CREDENTIALS_INVALID', fields: atFields('baseUrl') },
    })
    expect(byLabel('Bad URL').error!.message).toMatch(/^baseUrl: /)
    expect(byLabel('Refused')).toMatchObject({ account: null, error: { code: 'PLATFORM_AUTH_FAILED' } })
    expect(byLabel('Casino A again')).toMatchObject({
      account: null,
      error: { code: 'ACCOUNT_DUPLICATE', fields: atFields('baseUrl', 'token') },
    })
    expect(byLabel('Casino A again').error!.message).toContain('Line 2')
    expect(byLabel('Stray token')).toMatchObject({
      platformId: 'clickbank',
      account: null,
      error: { code: 'INVALID_ARGUMENT', fields: atFields('token') },
    })

    // Nothing of a failed row is stored: exactly the two accounts, with their credentials sealed.
    expect(await countAccounts(t)).toBe(before + 2)
    expect(await labelsStored()).toEqual(['CB main', 'Casino A'])
    for (const row of data.rows.filter((r) => r.account)) {
      const sealed = await storedCredentials(t, row.account!.id)
      expectNoSecret(sealed, [...secrets], 'stored credentials')
    }
  })

  it('given an account the workspace already has, when the same connection is imported, then the row is a duplicate and nothing is added', async () => {
    const before = await accountRowsText(t)
    const data = await importOk(csvOf([{ platform: 'clickbank', label: 'CB once more', ...cb(0) }]))
    expect(data).toMatchObject({ imported: 0, failed: 1 })
    expect(data.rows[0]).toMatchObject({
      line: 2,
      account: null,
      error: { code: 'ACCOUNT_DUPLICATE', fields: atFields('apiKey', 'nickname', 'apiBaseUrl') },
    })
    expect(await accountRowsText(t)).toEqual(before)
  })

  it('given dryRun, when a mixed file is imported, then every row is validated and checked against its platform but nothing is stored', async () => {
    const before = await accountRowsText(t)
    const calls = softswiss.log.length
    const data = await importOk(
      csvOf([
        { platform: 'softswiss', label: 'Dry good', ...ss(4) },
        { platform: 'softswiss', label: 'Dry refused', ...softswiss.invalidConnection() },
        { platform: 'softswiss', label: 'Dry malformed', baseUrl: ss(4).baseUrl, token: 'short' },
      ]),
      true,
    )
    expect(data).toMatchObject({ imported: 1, failed: 2 })
    expect(data.rows.map((r) => [r.label, r.account, r.error?.code ?? null])).toEqual([
      ['Dry good', null, null],
      ['Dry refused', null, 'PLATFORM_AUTH_FAILED'],
      ['Dry malformed', null, 'CREDENTIALS_INVALID'],
    ])
    // The checks really ran (two rows reached the platform) and left no trace in the database.
    expect(softswiss.log.length).toBeGreaterThan(calls)
    expect(await accountRowsText(t)).toEqual(before)
  })

  it('given a spreadsheet export with a BOM, CRLF line ends, blank lines and quoted cells, when imported, then cells keep their commas, quotes and line breaks and lines are counted as an editor shows them', async () => {
    const label = 'Casino "B", EU\r\nsecond line'
    const csv = `\ufeff${csvOf(
      [
        { platform: 'softswiss', label, tags: ' eu ; casino | eu ', ...ss(5) },
        {},
        { platform: 'nosuchplatform', label: 'after the blank line' },
      ],
      '\r\n',
    )}`
    const data = await importOk(csv)
    expect(data).toMatchObject({ imported: 1, failed: 1 })
    expect(data.rows[0]).toMatchObject({
      line: 2,
      error: null,
      account: { label: 'Casino "B", EU\r\nsecond line', tags: ['casino', 'eu'] },
    })
    // Line 2 spans two lines and line 4 is blank: the next row starts on line 5.
    expect(data.rows[1]).toMatchObject({ line: 5, error: { code: 'PLATFORM_UNKNOWN' } })
  })

  it('given a row the database refuses to store after its check passed, when imported, then that row stores nothing and the next row is still imported', async () => {
    const before = await countAccounts(t)
    // A trigger stands in for whatever the database may refuse (a full disk, a constraint added later): the insert of
    // this row fails after the platform accepted it. (A NUL, the old trigger, is now refused before any check.)
    await t.db.query(`create or replace function refuse_marked_label() returns trigger language plpgsql as $$
      begin
        if new.label = 'Refused by the database' then raise exception 'refused for the test'; end if;
        return new;
      end $$`)
    await t.db.query(
      'create trigger refuse_marked_label before insert on account for each row execute function refuse_marked_label()',
    )
    const data = await importOk(
      csvOf([
        { platform: 'softswiss', label: 'Refused by the database', ...ss(3) },
        { platform: 'clickbank', label: 'After the broken row', ...cb(1) },
      ]),
    ).finally(() => t.db.query('drop trigger refuse_marked_label on account'))
    expect(data).toMatchObject({ imported: 1, failed: 1 })
    expect(data.rows[0]).toMatchObject({
      line: 2,
      account: null,
      error: { code: 'ACCOUNT_NOT_STORED', fields: [] },
    })
    expect(data.rows[1]).toMatchObject({ error: null, account: { label: 'After the broken row' } })
    expect(await countAccounts(t)).toBe(before + 1)
    expect(t.logs.text()).toContain('imported account not stored')
  })

  it('given more than 500 rows, when imported, then a typed error refuses the file before any row is checked', async () => {
    const before = await accountRowsText(t)
    const calls = softswiss.log.length
    const rows = Array.from({ length: 501 }, (_, i) => ({
      platform: 'softswiss',
      label: `row ${i}`,
      ...ss(1),
    }))
    const response = await runImport(csvOf(rows))
    expect(rejected(response)).toMatchObject({
      __typename: 'ImportRejectedError',
      code: 'IMPORT_TOO_LARGE',
      fields: [{ path: ['input', 'csv'] }],
    })
    expect(rejected(response).message).toContain('500')
    expect(softswiss.log.length).toBe(calls)
    expect(await accountRowsText(t)).toEqual(before)
  })

  it('given exactly 500 rows, when imported, then every row is answered', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ platform: 'retired-platform', label: `row ${i}` }))
    const data = await importOk(csvOf(rows))
    expect(data).toMatchObject({ imported: 0, failed: 500 })
    expect(data.rows.at(-1)).toMatchObject({ line: 501, error: { code: 'PLATFORM_UNKNOWN' } })
  })

  it('given a file over 1 MiB, when imported, then a typed error refuses it', async () => {
    const filler = 'x'.repeat(1024 * 1024)
    const response = await runImport(csvOf([{ platform: 'softswiss', label: filler, ...ss(1) }]))
    expect(rejected(response).code).toBe('IMPORT_TOO_LARGE')
    expect(rejected(response).message).toContain('1 MiB')
  })

  it('given text that is not CSV or has no platform column, when imported, then a typed error says why without quoting any cell', async () => {
    const secret = ss(1).token!
    const unclosed = await runImport(`platform,label,token\nsoftswiss,"unclosed,${secret}\n`)
    expect(rejected(unclosed).code).toBe('IMPORT_CSV_INVALID')
    expect(rejected(unclosed).message).toMatch(/never closed/)
    const strayQuote = await runImport(`platform,label,token\nsoftswiss,label,ab"${secret}"\n`)
    expect(rejected(strayQuote).code).toBe('IMPORT_CSV_INVALID')
    const noPlatform = await runImport(`label,token\nx,${secret}\n`)
    expect(rejected(noPlatform).code).toBe('IMPORT_CSV_INVALID')
    expect(rejected(noPlatform).message).toContain('"platform"')
    const empty = await runImport('\n\n')
    expect(rejected(empty).code).toBe('IMPORT_CSV_INVALID')
  })

  it('given a row with more cells than the header, when imported, then it fails alone without echoing the shifted cells', async () => {
    const secret = ss(2).token!
    const data = await importOk(
      `platform,label,baseUrl,token\nsoftswiss,A, B,${ss(2).baseUrl},${secret}\nnosuchplatform,ok,,\n`,
    )
    expect(data.rows).toMatchObject([
      { line: 2, platformId: null, label: null, error: { code: 'INVALID_ARGUMENT', fields: [] } },
      { line: 3, error: { code: 'PLATFORM_UNKNOWN' } },
    ])
  })

  it('given a row filling several columns of another platform, when imported, then one issue names them all and fields lists each', async () => {
    const data = await importOk(
      csvOf([
        {
          platform: 'clickbank',
          label: 'Foreign cells',
          ...cb(1),
          baseUrl: ss(4).baseUrl,
          token: ss(4).token,
        },
      ]),
      true,
    )
    const error = data.rows[0]?.error
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', fields: atFields('baseUrl', 'token') })
    expect(error?.message).toBe(
      'baseUrl, token: are not connection fields of ClickBank; leave them empty on this row',
    )
  })

  it('given no token, when importAccounts is called, then it is refused with 401 before anything runs', async () => {
    const response = await send(t, IMPORT, { input: { csv: csvOf([{ platform: 'softswiss', ...ss(1) }]) } })
    expect(response.status).toBe(401)
    expect(response.body.errors?.[0]?.extensions?.code).toBe('TOKEN_MISSING')
  })

  it('given every import above, when responses and logs are swept, then no secret of any CSV appears', () => {
    expect(responses.length).toBeGreaterThan(5)
    expectNoSecret(responses.join('\n'), [...secrets], 'importAccounts responses')
    expectNoSecret(t.logs.text(), [...secrets], 'logs')
    expect(t.logs.text()).toContain('accounts imported')
  })
})
