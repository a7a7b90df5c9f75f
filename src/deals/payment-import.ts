import { randomUUID } from 'node:crypto'
import { Account } from '../account/account.entity.ts'
import {
  AccountImportError,
  IMPORT_MAX_BYTES,
  IMPORT_MAX_ROWS,
  parseImportCsv,
} from '../account/import-csv.ts'
import { isCurrencyCode } from '../fx/ecb-format.ts'
import { type GraphQLContext, latestPlatformDay } from '../schema/builder.ts'
import { type UserErrorShape, userError } from '../schema/errors.schema.ts'
import { parseGlobalId } from '../schema/global-ids.ts'
import { isDecimalString, normalizeDecimal } from '../sdk/index.ts'
import { Workspace } from '../workspace/workspace.entity.ts'
import { Payment } from './deal.entity.ts'

/** As the API's recordPayment: a reconciliation row lists at most this many payments. */
const MAX_PAYMENTS_PER_MONTH = 100

export interface PaymentImportRow {
  line: number
  outcome: 'CREATED' | 'UPDATED' | 'REJECTED'
  paymentId: string | null
  errors: string[]
}
export interface PaymentImportResult {
  __typename: 'ImportPaymentsSuccess'
  created: number
  updated: number
  rejected: number
  rows: PaymentImportRow[]
}

const COLUMNS = ['account', 'brand', 'month', 'amount', 'currency', 'paid_on', 'reference', 'note'] as const
type Column = (typeof COLUMNS)[number]
/** Names bank and program exports use for the same columns; matched after lower-casing and trimming. */
const ALIASES: Record<string, Column> = {
  account_id: 'account',
  period: 'month',
  period_month: 'month',
  paid: 'paid_on',
  paidon: 'paid_on',
  date: 'paid_on',
  payment_date: 'paid_on',
  ref: 'reference',
  memo: 'note',
}
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/
const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/

const rejected = (message: string): UserErrorShape =>
  userError('ImportRejectedError', 'IMPORT_CSV_INVALID', message)

/**
 * Payments from a CSV statement. The whole file is refused only when it cannot be read; each row is then judged
 * alone, and a refused row names its columns. A row whose reference is already stored for the account updates that
 * payment, so importing the same statement twice changes nothing.
 */
export async function importPaymentsCsv(
  ctx: GraphQLContext,
  workspaceId: string,
  csv: string,
  fixedAccountId: string | null,
): Promise<PaymentImportResult | UserErrorShape> {
  const size = Buffer.byteLength(csv, 'utf8')
  if (size > IMPORT_MAX_BYTES)
    return userError(
      'ImportRejectedError',
      'IMPORT_TOO_LARGE',
      `The CSV is ${size} bytes; at most ${IMPORT_MAX_BYTES} bytes (1 MiB) are imported at once. Split it.`,
    )
  let records: ReturnType<typeof parseImportCsv>
  try {
    records = parseImportCsv(csv)
  } catch (error) {
    if (error instanceof AccountImportError) return rejected(error.message)
    throw error
  }
  const [header, ...rows] = records
  if (!header)
    return rejected(
      'The CSV is empty: its first line must name the columns (month, amount, currency, paid_on…).',
    )
  if (rows.length > IMPORT_MAX_ROWS)
    return userError(
      'ImportRejectedError',
      'IMPORT_TOO_LARGE',
      `The CSV has ${rows.length} rows; at most ${IMPORT_MAX_ROWS} are imported at once. Split it.`,
    )
  const index = new Map<Column, number>()
  header.cells.forEach((raw, i) => {
    const name = raw
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_')
    const column = (COLUMNS as readonly string[]).includes(name) ? (name as Column) : ALIASES[name]
    if (column && !index.has(column)) index.set(column, i)
  })
  const missing = (['month', 'amount', 'currency', 'paid_on'] as const).filter((c) => !index.has(c))
  if (!fixedAccountId && !index.has('account')) missing.unshift('account' as never)
  if (missing.length > 0)
    return rejected(
      `The CSV has no ${missing.map((m) => `\`${m}\``).join(', ')} column; the first line must name the columns.`,
    )

  const accounts = await ctx.em.find(Account, {})
  const byId = new Map(accounts.map((a) => [a.id, a]))
  const byLabel = new Map<string, Account | null>()
  for (const a of accounts) {
    const key = a.label.trim().toLowerCase()
    byLabel.set(key, byLabel.has(key) ? null : a)
  }
  const cell = (row: (typeof rows)[number], column: Column) => {
    const i = index.get(column)
    return i === undefined ? '' : (row.cells[i] ?? '').trim()
  }

  const result: PaymentImportResult = {
    __typename: 'ImportPaymentsSuccess',
    created: 0,
    updated: 0,
    rejected: 0,
    rows: [],
  }
  const now = ctx.services.clock.now()
  const latestDay = latestPlatformDay(now)
  const seen = new Set<string>()
  // What the file's rows are checked against, read once rather than per row: the payments stored under the
  // file's references, and how many each account holds per month.
  const references = [...new Set(rows.map((row) => cell(row, 'reference').slice(0, 200)).filter(Boolean))]
  const stored = new Map(
    (references.length ? await ctx.em.find(Payment, { reference: { $in: references } }) : []).map((p) => [
      `${p.account.id}\u0000${p.reference}`,
      p,
    ]),
  )
  const perMonth = new Map(
    (
      await ctx.services.db.query<{ account_id: string; month: string; n: number | string }>(
        `select account_id, to_char(period_month, 'YYYY-MM') as month, count(*) as n from payment
          where workspace_id = ? group by account_id, period_month`,
        [workspaceId],
      )
    ).map((r) => [`${r.account_id}:${r.month}`, Number(r.n)]),
  )
  for (const row of rows) {
    const errors: string[] = []
    let account: Account | undefined
    if (fixedAccountId) account = byId.get(fixedAccountId)
    else {
      const given = cell(row, 'account')
      const parsed = parseGlobalId(given)
      account =
        parsed?.typename === 'Account' ? byId.get(parsed.id) : (byLabel.get(given.toLowerCase()) ?? undefined)
      if (!account)
        errors.push(
          byLabel.get(given.toLowerCase()) === null
            ? 'account: several accounts carry this label; use the account’s id'
            : 'account: no account with this id or label in your workspace',
        )
    }
    const month = cell(row, 'month')
    if (!MONTH.test(month)) errors.push('month: must be the month paid for, written YYYY-MM')
    // Thousands separators are dropped; a decimal comma is not guessed at (1.234,56 and 1,234.56 read alike to no one).
    const amountText = cell(row, 'amount')
      .replace(/[\s_]/g, '')
      .replace(/,(?=\d{3}(\D|$))/g, '')
    const amountOk = isDecimalString(amountText) && !amountText.startsWith('-') && Number(amountText) > 0
    if (!amountOk) errors.push('amount: must be an amount above 0 such as 1234.56')
    const currency = cell(row, 'currency').toUpperCase()
    if (!isCurrencyCode(currency)) errors.push('currency: must be an ISO 4217 code such as EUR')
    const paidOn = cell(row, 'paid_on')
    if (!DAY.test(paidOn) || Number.isNaN(Date.parse(`${paidOn}T00:00:00Z`)))
      errors.push('paid_on: must be the day paid, written YYYY-MM-DD')
    else if (paidOn > latestDay) errors.push('paid_on: must not be in the future')
    const reference = cell(row, 'reference').slice(0, 200) || null
    const note = cell(row, 'note').slice(0, 500) || null
    const brand = cell(row, 'brand').slice(0, 200)
    if (account && reference) {
      const key = `${account.id}\u0000${reference}`
      if (seen.has(key)) errors.push('reference: the same reference appears on an earlier row of this file')
      seen.add(key)
    }
    if (errors.length > 0 || !account) {
      result.rejected += 1
      result.rows.push({ line: row.line, outcome: 'REJECTED', paymentId: null, errors })
      continue
    }
    const existing = reference ? stored.get(`${account.id}\u0000${reference}`) : undefined
    if (!existing) {
      const key = `${account.id}:${month}`
      const count = perMonth.get(key) ?? 0
      if (count >= MAX_PAYMENTS_PER_MONTH) {
        result.rejected += 1
        result.rows.push({
          line: row.line,
          outcome: 'REJECTED',
          paymentId: null,
          errors: [`month: the account already has ${MAX_PAYMENTS_PER_MONTH} payments for this month`],
        })
        continue
      }
      perMonth.set(key, count + 1)
    }
    if (existing) {
      existing.periodMonth = `${month}-01` as never
      existing.amount = normalizeDecimal(amountText)
      existing.currency = currency
      existing.paidOn = paidOn as never
      existing.brand = brand
      existing.note = note
      existing.updatedAt = now
      result.updated += 1
      result.rows.push({ line: row.line, outcome: 'UPDATED', paymentId: existing.id, errors: [] })
      continue
    }
    const payment = ctx.em.create(Payment, {
      id: randomUUID(),
      workspace: ctx.em.getReference(Workspace, workspaceId),
      account,
      brand,
      periodMonth: `${month}-01` as never,
      amount: normalizeDecimal(amountText),
      currency,
      paidOn: paidOn as never,
      source: 'CSV',
      reference,
      note,
      createdAt: now,
      updatedAt: now,
    })
    result.created += 1
    result.rows.push({ line: row.line, outcome: 'CREATED', paymentId: payment.id, errors: [] })
  }
  await ctx.em.flush()
  return result
}
