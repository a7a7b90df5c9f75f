import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateApiToken, hashApiToken } from '../../src/crypto/api-token.ts'
import { tokenCacheOf } from '../../src/security/request-auth.ts'
import { TOKEN_LOOKUP_SQL } from '../../src/workspace/workspace.service.ts'
import { bearer, send } from '../graphql/graphql-helpers.ts'
import { runToCompletion } from '../server/support/affgraph-process.ts'
import { databaseIdOf } from '../support/global-ids.ts'
import { createTestApp, type TestApp } from '../support/test-app.ts'
import { TEST_DATABASE_KIND, TEST_DATABASE_URL } from '../support/test-database.ts'

const VIEWER = '{ viewer { workspace { name } token { id } } }'

let t: TestApp
let owner: { id: string; token: string }

/** Every statement sent while `fn` runs, with its values: ORM statements and prepared ones alike. */
async function recordStatements(fn: () => Promise<unknown>): Promise<{ sql: string; params: unknown[] }[]> {
  const seen: { sql: string; params: unknown[] }[] = []
  const config = t.db.orm.config
  const previous = config.get('onQuery')
  config.set('onQuery', (sql: string, params: readonly unknown[]) => {
    seen.push({ sql, params: [...params] })
    return previous(sql, params)
  })
  try {
    await fn()
  } finally {
    config.set('onQuery', previous)
  }
  return seen
}

async function createToken(name: string): Promise<{ id: string; token: string }> {
  const created = await send<{ createApiToken: { token: string; apiToken: { id: string } } }>(
    t,
    'mutation($name: String!) { createApiToken(input: { name: $name }) { ... on CreateApiTokenSuccess { token apiToken { id } } } }',
    { name },
    bearer(owner.token),
  )
  expect(created.status, created.text).toBe(200)
  const { token, apiToken } = created.body.data!.createApiToken
  return { id: apiToken.id, token }
}

beforeAll(async () => {
  t = await createTestApp()
  owner = await t.workspace('request-auth')
  await t.db.changes.start()
})

afterAll(async () => {
  await t?.close()
})

describe(`request authentication on ${TEST_DATABASE_KIND}`, () => {
  it('given a token sharing a stored prefix and one sharing none, when each authenticates, then both run the same one statement, bound to the hash of the whole token', async () => {
    const stored = owner.token
    const prefix = stored.split('_')[1]!
    // Same prefix as a stored token, wrong secret: a prefix lookup would find a record and compare against it.
    const samePrefix = `agk_${prefix}_${generateApiToken().token.split('_')[2]}`
    const otherPrefix = generateApiToken().token
    const runs = []
    for (const token of [samePrefix, otherPrefix]) {
      const statements = await recordStatements(async () => {
        const response = await send(t, VIEWER, {}, bearer(token))
        expect(response.status).toBe(401)
        expect(response.body.errors?.[0]?.extensions?.code).toBe('TOKEN_INVALID')
      })
      runs.push({ token, statements })
    }
    // Besides the lookup, a failed attempt is counted by the per-address limit: the same statements both times.
    expect(runs[0]!.statements.map((s) => s.sql)).toEqual(runs[1]!.statements.map((s) => s.sql))
    for (const { token, statements } of runs) {
      const lookups = statements.filter((s) => s.sql.includes('api_token'))
      expect(lookups.map((s) => s.sql)).toEqual([TOKEN_LOOKUP_SQL])
      expect(lookups[0]?.params).toEqual([hashApiToken(token)])
      expect(JSON.stringify(statements.map((s) => s.params))).not.toContain(prefix)
    }
  })

  it('given a valid token, when it sends many requests, then its record is read once and no request writes anything', async () => {
    const { token } = await createToken('cached')
    const cache = tokenCacheOf(t.services)
    const before = cache.lookups
    const statements = await recordStatements(async () => {
      for (let i = 0; i < 20; i++) expect((await send(t, VIEWER, {}, bearer(token))).status).toBe(200)
    })
    expect(cache.lookups - before).toBe(1)
    const writes = statements.filter((s) => /^\s*(insert|update|delete)\b/i.test(s.sql))
    expect(writes.map((s) => s.sql)).toEqual([])
  })

  it('given tokens used since the last flush, when last use is flushed, then one statement records every one of them', async () => {
    const a = await createToken('last-use-a')
    const b = await createToken('last-use-b')
    const cache = tokenCacheOf(t.services)
    await cache.flushLastUse()
    for (const token of [a.token, b.token])
      expect((await send(t, VIEWER, {}, bearer(token))).status).toBe(200)
    const statements = await recordStatements(async () => {
      expect(await cache.flushLastUse()).toBe(2)
    })
    expect(statements).toHaveLength(1)
    const rows = await t.db.query<{ id: string; last_used_at: unknown }>(
      'select id::text as id, last_used_at from api_token where id in (?, ?)',
      [databaseIdOf(a.id), databaseIdOf(b.id)],
    )
    expect(rows.map((r) => r.last_used_at)).not.toContain(null)
  })

  it('given a token cached by this process, when it is revoked here, then its very next request is refused', async () => {
    const { id, token } = await createToken('revoked-here')
    expect((await send(t, VIEWER, {}, bearer(token))).status).toBe(200)
    const revoked = await send(
      t,
      'mutation($id: ID!) { revokeApiToken(input: { id: $id }) { __typename } }',
      { id },
      bearer(owner.token),
    )
    expect(revoked.body.data).toEqual({ revokeApiToken: { __typename: 'RevokeApiTokenSuccess' } })
    const after = await send(t, VIEWER, {}, bearer(token))
    expect(after.status).toBe(401)
    expect(after.body.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED')
  })

  it.skipIf(!TEST_DATABASE_URL)(
    'given a token cached by this process, when another process revokes it, then it is refused well before the cache bound',
    async () => {
      const ws = await t.workspace('request-auth-cli')
      const prefix = ws.token.split('_')[1]!
      expect((await send(t, VIEWER, {}, bearer(ws.token))).status).toBe(200)
      const run = await runToCompletion(
        'src/cli/token.cli.ts',
        ['revoke', '--workspace', 'request-auth-cli', '--prefix', prefix],
        { DATABASE_URL: t.db.url!, AFFGRAPH_DATA_DIR: '/nonexistent-affgraph-test-dir' },
      )
      expect(run.code, run.stderr).toBe(0)
      const started = performance.now()
      let status = 200
      // The cache bound is 10 s: being refused within 5 s shows the notification did it, not the expiry.
      while (status === 200 && performance.now() - started < 5_000) {
        status = (await send(t, VIEWER, {}, bearer(ws.token))).status
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(status).toBe(401)
    },
  )
})
