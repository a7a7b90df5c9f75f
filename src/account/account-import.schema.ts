import type { AppBuilder } from '../schema/builder.ts'
import { requirePrincipal } from '../schema/builder.ts'
import { type registerErrorTypes, type UserErrorShape, userError } from '../schema/errors.schema.ts'
import type { registerAccountSchema } from './account.schema.ts'
import {
  AccountImportError,
  IMPORT_MAX_BYTES,
  IMPORT_MAX_COLUMNS,
  IMPORT_MAX_ROWS,
  type ImportResult,
  type ImportRowResult,
  importAccounts,
} from './account-import.ts'

export function registerAccountImportSchema(
  builder: AppBuilder,
  AccountRef: ReturnType<typeof registerAccountSchema>['AccountRef'],
  errors: ReturnType<typeof registerErrorTypes>,
) {
  const ImportRowErrorRef = builder.objectRef<UserErrorShape>('ImportRowError').implement({
    description:
      'Why a row was not imported. `fields` names the CSV columns at fault; messages never quote a secret.',
    interfaces: [errors.UserErrorInterface],
    isTypeOf: (value) => (value as { __typename?: string }).__typename === 'ImportRowError',
    fields: () => ({}),
  })

  const ImportAccountRowRef = builder.objectRef<ImportRowResult>('ImportAccountRow').implement({
    description: 'The outcome of one CSV row: `account` when it was imported, `error` when it was not.',
    fields: (t) => ({
      line: t.exposeInt('line', {
        nullable: false,
        description: 'Line of the file where the row starts; the header is line 1.',
      }),
      platformId: t.exposeString('platformId', {
        nullable: true,
        description: 'Null when the row names no loaded platform.',
      }),
      label: t.exposeString('label', {
        nullable: true,
        description: "The row's label, or the one the imported account was given when the row had none.",
      }),
      account: t.field({
        type: AccountRef,
        nullable: true,
        description: 'The account created; null in a dry run and for rows that failed.',
        resolve: (row) => row.account,
      }),
      error: t.field({
        type: ImportRowErrorRef,
        nullable: true,
        description: 'Why the row was not imported; null when it was (or, in a dry run, would be).',
        resolve: (row) => (row.error ? { __typename: 'ImportRowError', ...row.error } : null),
      }),
    }),
  })

  const ImportAccountsSuccessRef = builder.objectRef<ImportResult>('ImportAccountsSuccess').implement({
    description: 'The file was read: the outcome of each row.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'ImportAccountsSuccess',
    fields: (t) => ({
      imported: t.exposeInt('imported', {
        nullable: false,
        description: 'Rows imported; in a dry run, rows that passed every check and would be imported.',
      }),
      failed: t.exposeInt('failed', {
        nullable: false,
        description: 'Rows not imported; each has its `error` in `rows`.',
      }),
      rows: t.field({
        type: [ImportAccountRowRef],
        nullable: false,
        description: 'One entry per non-blank row, in file order.',
        resolve: (result) => result.rows,
      }),
    }),
  })

  const ImportAccountsInput = builder.inputType('ImportAccountsInput', {
    description: 'A CSV file of accounts to connect.',
    fields: (t) => ({
      csv: t.string({
        required: true,
        description: `The CSV text: a header line naming the columns \`platform\`, \`label\`, \`tags\` (separated by ";" or "|") and the connection fields of the platforms used, then one account per line. At most ${IMPORT_MAX_ROWS} rows, ${IMPORT_MAX_COLUMNS} columns and ${IMPORT_MAX_BYTES / 1024 / 1024} MiB.`,
      }),
      dryRun: t.boolean({
        required: false,
        defaultValue: false,
        description: 'Validate and check every row against its platform, but store nothing.',
      }),
    }),
  })

  builder.mutationField('importAccounts', (t) =>
    t.field({
      type: builder.unionType('ImportAccountsResult', {
        description: 'The outcome of each row, or why the file as a whole was refused.',
        types: [ImportAccountsSuccessRef, errors.refs.ImportRejectedError, ...errors.inputErrors],
      }),
      nullable: false,
      description:
        'Connects many accounts from a CSV file. Each row is validated and checked like `connectAccount` and stored only when it passes; one failing row does not stop the others.',
      args: {
        input: t.arg({
          type: ImportAccountsInput,
          required: true,
          description: 'The CSV text, and whether to only check it.',
        }),
      },
      resolve: async (_, args, ctx) => {
        const principal = requirePrincipal(ctx)
        const input = args.input as { csv: string; dryRun?: boolean | null }
        try {
          const result = await importAccounts(ctx.services, ctx.em, principal, input.csv, {
            dryRun: input.dryRun ?? false,
            log: ctx.log,
          })
          return { __typename: 'ImportAccountsSuccess', ...result }
        } catch (error) {
          if (!(error instanceof AccountImportError)) throw error
          return userError('ImportRejectedError', error.code, error.message, [
            { path: ['input', 'csv'], message: error.message },
          ])
        }
      },
    }),
  )
}
