import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, send } from '../graphql/graphql-helpers.ts'
import { insertAccounts } from '../stats/stats-seed.ts'
import { globalId } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { testDay } from '../support/test-clock.ts'
import { TEST_DATABASE_KIND } from '../support/test-database.ts'

/**
 * Inputs that used to reach a statement PostgreSQL refuses, so that the client got a masked "Unexpected error."
 * (and the log a stack): a NUL in any text, a day or instant outside what PostgreSQL stores or not on the
 * calendar, forged cursors. Each must come back as a typed error naming the input at fault.
 */
let t: TestApp
let token: string
let accountId: string

beforeAll(async () => {
  t = await createTestApp()
  const ws = await t.workspace('input-edges')
  token = ws.token
  const [id] = await insertAccounts(t.db, ws.id, [{ label: 'edges' }])
  accountId = globalId('Account', id!)
})

afterAll(async () => {
  await t?.close()
})

const cursor = (text: string) => Buffer.from(text).toString('base64url')

interface Refusal {
  status: number
  code: unknown
  paths: unknown
  text: string
}

async function refusal(query: string, variables: Record<string, unknown> = {}): Promise<Refusal> {
  const response = await send(t, query, variables, bearer(token))
  const body = response.body as {
    errors?: { extensions?: { code?: unknown; fields?: { path: unknown }[] } }[]
    data?: Record<string, { code?: unknown; fields?: { path: unknown }[] } | null> | null
  }
  // A mutation's refusal is a member of its result union; anything else is a top-level error.
  const member = Object.values(body.data ?? {}).find((v) => v && typeof v === 'object' && 'code' in v)
  const error = body.errors?.[0]?.extensions ?? member
  return {
    status: response.status,
    code: error?.code,
    paths: error?.fields?.map((f) => f.path),
    text: response.text,
  }
}

describe(`input edges on ${TEST_DATABASE_KIND}`, () => {
  const nulCases: { name: string; query: string; variables: Record<string, unknown>; path: unknown[] }[] = [
    {
      name: 'accounts(tag:) in a variable',
      query: 'query ($tag: String) { accounts(tag: $tag) { totalCount } }',
      variables: { tag: 'vip\u0000' },
      path: ['$tag'],
    },
    {
      name: 'accounts(platformId:) written inline',
      query: '{ accounts(platformId: "soft\\u0000swiss") { totalCount } }',
      variables: {},
      path: ['platformId'],
    },
    {
      name: 'the stats filter platformIds',
      query: 'query ($input: StatsInput!) { stats(input: $input) { totals { clicks } } }',
      variables: {
        input: { range: { from: '2026-01-01', to: '2026-01-31' }, filter: { platformIds: ['a', '\u0000'] } },
      },
      path: ['$input', 'filter', 'platformIds', 1],
    },
    {
      name: 'an account label',
      query: 'mutation ($input: UpdateAccountInput!) { updateAccount(input: $input) { __typename } }',
      variables: { input: { accountId: '', label: 'a\u0000b' } },
      path: ['$input', 'label'],
    },
  ]
  for (const c of nulCases) {
    it(`given a NUL in ${c.name}, when sent, then BAD_USER_INPUT names where it is and nothing is masked`, async () => {
      const variables = JSON.parse(JSON.stringify(c.variables).replace('""', JSON.stringify(accountId)))
      const r = await refusal(c.query, variables)
      expect(r.code, r.text).toBe('BAD_USER_INPUT')
      expect(r.paths).toEqual([c.path])
      expect(r.text).not.toContain('Unexpected error')
    })
  }

  it('given a stats range from the year 0000 or a day that is not on the calendar, when asked, then the Date is refused, not the statement', async () => {
    for (const from of ['0000-01-01', '2026-02-30']) {
      const r = await refusal('query ($input: StatsInput!) { stats(input: $input) { totals { clicks } } }', {
        input: { range: { from, to: '2026-03-31' } },
      })
      expect(r.code, r.text).toBe('BAD_USER_INPUT')
      expect(r.text).toContain('calendar day')
      expect(r.text).not.toContain('Unexpected error')
    }
  })

  it('given forged account cursors (an id that is no UUID, the year +275760, extra parts), when a page is asked after them, then INVALID_ARGUMENT names after', async () => {
    const forged = [
      cursor('acct:2026-01-01T00:00:00.000Z|not-a-uuid'),
      cursor('acct:+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      cursor('acct:0000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      cursor('acct:2026-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000|x'),
    ]
    for (const after of forged) {
      const r = await refusal('query ($after: String) { accounts(after: $after) { totalCount } }', { after })
      expect(r.code, r.text).toBe('INVALID_ARGUMENT')
      expect(r.paths).toEqual([['after']])
    }
  })

  it('given a change cursor past the largest bigint, when changes are asked after it, then INVALID_ARGUMENT names after', async () => {
    const r = await refusal(
      'query ($after: String) { changes(after: $after) { pageInfo { hasNextPage } } }',
      {
        after: cursor('chg:9999999999999999999'),
      },
    )
    expect(r.code, r.text).toBe('INVALID_ARGUMENT')
    expect(r.paths).toEqual([['after']])
  })

  it('given syncAccount with 30 February or a range ending after the last day any platform has reached, when sent, then each is refused naming the day', async () => {
    const sync =
      'mutation ($input: SyncAccountInput!) { syncAccount(input: $input) { __typename ... on UserError { code fields { path } } } }'
    // Not a day at all: the Date scalar refuses it before the mutation runs.
    const impossible = await refusal(sync, {
      input: { accountId, range: { from: '2026-02-30', to: '2026-03-02' } },
    })
    expect(impossible.code, impossible.text).toBe('BAD_USER_INPUT')
    expect(impossible.text).toContain('calendar day')
    const future = await refusal(sync, { input: { accountId, range: { from: testDay(-1), to: testDay(3) } } })
    expect(future.code, future.text).toBe('INVALID_ARGUMENT')
    expect(future.paths).toEqual([['input', 'range', 'to']])
  })

  it('given createApiToken with 30 February or an instant already past, when sent, then the expiry is refused and no token is made', async () => {
    const create =
      'mutation ($at: DateTime) { createApiToken(input: { name: "edge", expiresAt: $at }) { __typename ... on CreateApiTokenSuccess { token } ... on UserError { code fields { path } } } }'
    const impossible = await refusal(create, { at: '2027-02-30T00:00:00Z' })
    expect(impossible.code, impossible.text).toBe('BAD_USER_INPUT')
    expect(impossible.text).toContain('real calendar day')
    const past = await refusal(create, { at: `${testDay(-1)}T00:00:00Z` })
    expect(past.code, past.text).toBe('INVALID_ARGUMENT')
    expect(past.paths).toEqual([['input', 'expiresAt']])
    expect(impossible.text + past.text).not.toContain('"token"')
  })
})
