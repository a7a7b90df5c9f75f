import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { destinationAad } from '../../src/alerts/alert-destination.service.ts'
import { decryptCredentials, encryptCredentials } from '../../src/crypto/credential-cipher.ts'
import { countRecordsByKey, rotateMasterKey, rotationPending } from '../../src/crypto/key-rotation.ts'
import { generateMasterKeyEntry, parseMasterKeys } from '../../src/crypto/master-key.ts'
import { ensureWorkspace } from '../../src/workspace/workspace.service.ts'
import { openTestDatabase, type TestDatabase } from '../support/test-database.ts'

describe('master-key rotation of alert destination secrets', () => {
  let db: TestDatabase
  const k1 = generateMasterKeyEntry('k1')
  const k2 = generateMasterKeyEntry('k2')
  const oldRing = parseMasterKeys(k1)
  const bothRing = parseMasterKeys(`${k2},${k1}`)
  const newRing = parseMasterKeys(k2)
  const secret = { url: `https://hooks.slack.example/services/${crypto.randomUUID()}` }
  const id = crypto.randomUUID()

  beforeAll(async () => {
    db = await openTestDatabase()
    const { workspace } = await ensureWorkspace(db.fork(), 'rotation-destinations')
    await db.query(
      `insert into alert_destination (id, workspace_id, name, kind, hint, settings, credentials, created_at, updated_at)
       values (?, ?, 'slack', 'SLACK', 'https://hooks.slack.example', '{}', cast(? as jsonb), now(), now())`,
      [id, workspace.id, JSON.stringify(encryptCredentials(oldRing, secret, destinationAad(id)))],
    )
  })

  afterAll(async () => {
    await db?.close()
  })

  it('given a destination sealed under k1, when k2 is added and rotation runs, then its secret opens with k2 alone', async () => {
    expect(Object.fromEntries(await countRecordsByKey(db))).toEqual({ k1: 1 })
    expect(await rotationPending(db, bothRing)).toBe(true)

    const progress = await rotateMasterKey(db, bothRing)

    expect(progress).toMatchObject({ rows: 1, rewrapped: 1, failed: [] })
    expect(await rotationPending(db, bothRing)).toBe(false)
    const [row] = await db.query<{ credentials: unknown }>(
      'select credentials from alert_destination where id = ?',
      [id],
    )
    expect(decryptCredentials(newRing, row!.credentials as never, destinationAad(id))).toEqual(secret)
  })

  it('given the only k1 value is one copied from another row, when rotation runs, then the preflight refuses and nothing changes', async () => {
    const other = crypto.randomUUID()
    const [source] = await db.query<{ credentials: unknown; workspace_id: string }>(
      'select credentials, workspace_id from alert_destination where id = ?',
      [id],
    )
    // Sealed for `id`, stored under `other`: the AAD does not match, so it must not open there.
    const k1Sealed = encryptCredentials(oldRing, secret, destinationAad(id))
    await db.query(
      `insert into alert_destination (id, workspace_id, name, kind, hint, settings, credentials, created_at, updated_at)
       values (?, ?, 'copy', 'SLACK', 'x', '{}', cast(? as jsonb), now(), now())`,
      [other, source!.workspace_id, JSON.stringify(k1Sealed)],
    )

    await expect(rotateMasterKey(db, bothRing)).rejects.toMatchObject({ code: 'KEY_ROTATION_KEY_MISMATCH' })
    const [row] = await db.query<{ credentials: unknown }>(
      'select credentials from alert_destination where id = ?',
      [other],
    )
    expect(row!.credentials).toEqual(k1Sealed)
  })
})
