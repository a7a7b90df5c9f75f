import { expect } from 'vitest'
import { databaseIdOf, globalId } from '../support/global-ids.ts'
import { secretForms } from '../support/log-sink.ts'
import type { TestApp } from '../support/test-app.ts'

/** A GraphQL response as the server sent it: the HTTP status, the parsed body and the raw text. */
export interface GqlResponse<T> {
  status: number
  text: string
  body: {
    data?: T | null
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[]
  }
}

export type HeaderMap = Record<string, string>

/** Sends one operation through `app.fetch` (no port) with exactly the given headers, keeping the raw body. */
export async function send<T = Record<string, unknown>>(
  t: TestApp,
  query: string,
  variables: Record<string, unknown> = {},
  headers: HeaderMap = {},
): Promise<GqlResponse<T>> {
  const response = await t.app.fetch('http://affgraph.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  })
  const text = await response.text()
  return { status: response.status, text, body: JSON.parse(text) as GqlResponse<T>['body'] }
}

export const bearer = (token: string): HeaderMap => ({ authorization: `Bearer ${token}` })

/** Like `send`, with the token as a bearer header; fails the test on any top-level GraphQL error. */
export async function ok<T = Record<string, unknown>>(
  t: TestApp,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await send<T>(t, query, variables, token ? bearer(token) : {})
  if (response.body.errors) {
    // A masked "Unexpected error." says nothing; the server log (already redacted) says what happened.
    const logged = t.logs.lines.filter((line) => line.includes('"level":50')).at(-1) ?? ''
    expect(response.body.errors, `${response.text}\n${logged.slice(0, 2000)}`).toBeUndefined()
  }
  expect(response.status).toBe(200)
  return response.body.data as T
}

export interface UserErrorResult {
  __typename: string
  code?: string
  message?: string
  fields?: { path: string[]; field: string; message: string }[]
}

export const USER_ERROR = '... on UserError { code message fields { path field message } }'

/** The field names a UserError result points at (the last element of each input path). */
export const fieldNames = (error: UserErrorResult): string[] => (error.fields ?? []).map((f) => f.field)

export const ACCOUNT_SELECTION = `
  id label status platformId platform { id } baseUrl tags timeZone currency
  connectionFields { name isSet hint } lastCheckAt lastError { code message } createdAt updatedAt
`

export interface AccountView {
  id: string
  label: string
  status: string
  platformId: string
  platform: { id: string } | null
  baseUrl: string | null
  tags: string[]
  timeZone: string
  currency: string | null
  connectionFields: { name: string; isSet: boolean; hint: string | null }[]
  lastCheckAt: string | null
  lastError: { code: string; message: string } | null
  createdAt: string
  updatedAt: string
}

export type AccountResult = UserErrorResult & { account?: AccountView }

export const CONNECT_ACCOUNT = `
  mutation Connect($input: ConnectAccountInput!) {
    connectAccount(input: $input) {
      __typename
      ... on ConnectAccountSuccess { account { ${ACCOUNT_SELECTION} } }
      ${USER_ERROR}
    }
  }
`

export const TEST_CONNECTION = `
  mutation Test($input: ConnectionInput!) {
    testConnection(input: $input) {
      __typename
      ... on TestConnectionSuccess { platform { id } accountName currency timeZone }
      ${USER_ERROR}
    }
  }
`

export const CHECK_ACCOUNT = `
  mutation Check($accountId: ID!) {
    checkAccount(input: { accountId: $accountId }) {
      __typename
      ... on CheckAccountSuccess { account { ${ACCOUNT_SELECTION} } }
      ${USER_ERROR}
    }
  }
`

export const UPDATE_ACCOUNT = `
  mutation Update($input: UpdateAccountInput!) {
    updateAccount(input: $input) {
      __typename
      ... on UpdateAccountSuccess { account { ${ACCOUNT_SELECTION} } }
      ${USER_ERROR}
    }
  }
`

export const UPDATE_ACCOUNT_CONNECTION = `
  mutation Rekey($input: UpdateAccountConnectionInput!) {
    updateAccountConnection(input: $input) {
      __typename
      ... on UpdateAccountConnectionSuccess { account { ${ACCOUNT_SELECTION} } }
      ${USER_ERROR}
    }
  }
`

export const DISCONNECT_ACCOUNT = `
  mutation Disconnect($accountId: ID!) {
    disconnectAccount(input: { accountId: $accountId }) {
      __typename
      ... on DisconnectAccountSuccess { accountId }
      ${USER_ERROR}
    }
  }
`

/** Connects one SoftSwiss account and returns it; fails the test unless the connection succeeds. */
export async function connectSoftSwiss(
  t: TestApp,
  token: string,
  connection: Record<string, string>,
  options: { label?: string; tags?: string[] } = {},
): Promise<AccountView> {
  const data = await ok<{ connectAccount: AccountResult }>(t, token, CONNECT_ACCOUNT, {
    input: { connection: { softSwiss: connection }, ...options },
  })
  expect(data.connectAccount.__typename, JSON.stringify(data.connectAccount)).toBe('ConnectAccountSuccess')
  return data.connectAccount.account!
}

export async function countAccounts(t: TestApp): Promise<number> {
  const rows = await t.db.query<{ n: number | string }>('select count(*)::int as n from account')
  return Number(rows[0]?.n)
}

/** Every account row as text, in id order: compares whole rows, byte for byte, before and after an operation. */
export async function accountRowsText(t: TestApp, where = 'true', params: unknown[] = []): Promise<string[]> {
  const rows = await t.db.query<{ row: string }>(
    `select a::text as row from account a where ${where} order by a.id`,
    params,
  )
  return rows.map((r) => r.row)
}

/** The sealed credentials of an account, by the id the API gave it. */
export async function storedCredentials(t: TestApp, accountId: string): Promise<string> {
  const rows = await t.db.query<{ credentials: string }>(
    'select credentials::text as credentials from account where id = ?',
    [databaseIdOf(accountId)],
  )
  expect(rows).toHaveLength(1)
  return rows[0]!.credentials
}

export { secretForms }

export function expectNoSecret(text: string, secrets: readonly string[], where: string): void {
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      if (text.includes(form)) {
        const at = text.indexOf(form)
        throw new Error(
          `${where} contains a secret (as "${form.slice(0, 4)}…"): …${text.slice(Math.max(0, at - 80), at)}…`,
        )
      }
    }
  }
}

/** A well-formed account id that names no account. */
export const unknownAccountId = (): string => globalId('Account', crypto.randomUUID())

/** Matches a UserError's `fields` by the field names they point at, in order. */
export const atFields = (...names: string[]) => names.map((field) => expect.objectContaining({ field }))
