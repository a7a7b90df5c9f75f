import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LoadTarget, MIX, runMix, startLoadTarget } from '../../bench/load.bench.ts'
import { createScratchPostgresDatabase, TEST_DATABASE_KIND } from '../support/test-database.ts'
import { killAllProcesses } from './support/affgraph-process.ts'

// The short version of `npm run bench -- load`: the same mix against a smaller seed, checking correctness only.
const scratch = await createScratchPostgresDatabase()

describe(`load on ${TEST_DATABASE_KIND}`, () => {
  let target: LoadTarget

  beforeAll(async () => {
    target = await startLoadTarget({ workspaces: 3, accounts: 12, days: 120 }, scratch?.url)
  }, 180_000)

  afterAll(async () => {
    await target?.close()
    await killAllProcesses()
    await scratch?.drop()
  })

  it('given a seeded server process, when 100 connections send 300 requests of the dashboard mix, then every answer is a 2xx without GraphQL errors', async () => {
    const result = await runMix({
      graphqlUrl: target.server.graphqlUrl,
      workspaces: target.workspaces,
      credentials: target.credentials,
      connections: 100,
      durationSeconds: 5,
      // A fixed amount rather than a duration: on a busy CI runner 5 s may answer only a few dozen requests,
      // while 300 (three blocks of the schedule) always include every kind of request at least three times.
      amount: 300,
    })
    expect(result.firstFailure).toBeNull()
    expect(result.non2xx).toBe(0)
    expect(result.graphqlErrors).toBe(0)
    expect(result.errors).toBe(0)
    expect(result.timeouts).toBe(0)
    expect(result.requests).toBe(300)
    for (const [kind] of MIX) expect(result.byKind[kind], kind).toBeGreaterThanOrEqual(3)
    const after = await target.server.gql<{ platforms: { id: string }[] }>('{ platforms { id } }')
    expect(after.status, 'the server still answers after the run').toBe(200)
  }, 120_000)
})
