import { randomUUID } from 'node:crypto'
import { Account } from '../account/account.entity.ts'
import { openConnection, toUserError } from '../account/account.service.ts'
import type { AppServices } from '../app-services.ts'
import { announceLocally, announceSql } from '../db/change-feed.ts'
import type { UserErrorShape } from '../schema/errors.schema.ts'
import type { DateWindow, PaymentRow } from '../sdk/index.ts'

/**
 * Platform payments are stored under a reference of their own namespace, so that an invoice number a platform
 * reports can never collide with a bank reference the user typed for the same account.
 */
export const platformReference = (reference: string) => `platform:${reference}`

/** Upserts payments read from a platform; a payment read again is updated (amount, paid day), never doubled. */
export async function storePlatformPayments(
  services: AppServices,
  account: { id: string; workspaceId: string },
  rows: PaymentRow[],
): Promise<{ created: number; updated: number }> {
  let created = 0
  let updated = 0
  const now = services.clock.now()
  for (const row of rows) {
    const result = await services.db.query<{ inserted: boolean }>(
      `insert into payment (id, workspace_id, account_id, brand, period_month, amount, currency, paid_on, source,
         reference, note, created_at, updated_at)
       values (?, ?, ?, ?, date_trunc('month', ?::date)::date, ?::numeric, ?, ?::date, 'PLATFORM', ?, ?, ?, ?)
       on conflict (account_id, reference) where reference is not null do update set
         amount = excluded.amount, currency = excluded.currency, paid_on = excluded.paid_on,
         period_month = excluded.period_month, brand = excluded.brand, note = excluded.note,
         updated_at = excluded.updated_at
       returning (xmax = 0) as inserted`,
      [
        randomUUID(),
        account.workspaceId,
        account.id,
        row.brand ?? '',
        row.periodFrom,
        row.amount,
        row.currency,
        row.paidOn,
        platformReference(row.reference),
        row.description,
        now,
        now,
      ],
    )
    if (result[0]?.inserted === true || String(result[0]?.inserted) === 'true') created += 1
    else updated += 1
  }
  if (rows.length > 0) {
    const change = `ws:${account.workspaceId}` as const
    await services.db.query(announceSql([change]), [change])
    announceLocally(change)
  }
  return { created, updated }
}

/** Reads and stores the payments a platform reports for the window; a failure comes back as the API's error. */
export async function fetchPlatformPayments(
  services: AppServices,
  accountId: string,
  window: DateWindow,
): Promise<{ created: number; updated: number } | UserErrorShape> {
  const em = services.db.fork()
  const account = await em.findOneOrFail(Account, { id: accountId }, { filters: false })
  const platform = services.registry.get(account.platformId)
  if (!platform?.definition.capabilities.payments) return { created: 0, updated: 0 }
  let connection: Record<string, string>
  try {
    connection = openConnection(services, account)
  } catch {
    return {
      __typename: 'CredentialsUnreadableError',
      code: 'CREDENTIALS_UNREADABLE',
      message: 'The stored credentials of this account could not be decrypted. Enter them again.',
      fields: [],
    }
  }
  try {
    const rows = await services.runner.fetchPayments(platform, connection, window, { accountKey: account.id })
    return await storePlatformPayments(services, { id: account.id, workspaceId: account.workspace.id }, rows)
  } catch (error) {
    return toUserError(error, { platform, connection }).error
  }
}
