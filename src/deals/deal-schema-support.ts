import { Account } from '../account/account.entity.ts'
import { evaluateAlerts } from '../alerts/alert-engine.ts'
import type { GraphQLContext } from '../schema/builder.ts'
import { invalidArgument } from '../schema/builder.ts'
import { databaseId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'

/** What the deal, payment and reconciliation parts of the API share. */

export const PAGE = 50
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/

/** Deals and payments decide overdue and short payments: their alerts follow each change at once. */
export async function paymentsChanged(ctx: GraphQLContext, workspaceId: string): Promise<void> {
  await evaluateAlerts(ctx.services, { workspaceId, kinds: ['PAYMENT_OVERDUE'] })
}

export function checkMonth(path: (string | number)[], value: string): string {
  if (!MONTH.test(value)) throw invalidArgument(path, 'must be a month written YYYY-MM, e.g. "2026-11"')
  return value
}

/** The caller's account behind a global id argument, or an input error naming `path`. */
export async function accountOf(
  ctx: GraphQLContext,
  id: unknown,
  path: (string | number)[],
): Promise<Account> {
  const [account] = await loadScoped(ctx, Account, [databaseId(id)])
  if (!account) throw invalidArgument(path, 'no account with this id in your workspace')
  return account
}

/** A brand as stored: '' for the whole account. */
export const brandOf = (brand: string | null | undefined) => (brand ?? '').trim()
