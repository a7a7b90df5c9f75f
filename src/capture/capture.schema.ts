import { GraphQLError } from 'graphql'
import type { Account } from '../account/account.entity.ts'
import { findAccount } from '../account/account.service.ts'
import type { AppBuilder, AppSchemaTypes } from '../schema/builder.ts'
import { requirePrincipal } from '../schema/builder.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { asErrorCode, userError } from '../schema/errors.schema.ts'
import { databaseId } from '../schema/global-ids.ts'
import type { DateWindow } from '../sdk/index.ts'
import type { registerSyncSchema } from '../sync/sync.schema.ts'
import {
  type CaptureResult,
  CaptureWindowError,
  captureWindow,
  MAX_CAPTURE_DAYS,
  recordAccountCapture,
} from './capture.service.ts'

type SyncRefs = ReturnType<typeof registerSyncSchema>

type ObjectRef<T> = PothosSchemaTypes.ObjectRef<PothosSchemaTypes.ExtendDefaultTypes<AppSchemaTypes>, T>

export function registerCaptureSchema(
  builder: AppBuilder,
  sync: SyncRefs,
  errorTypes: ReturnType<typeof registerErrorTypes>,
  AccountRef: ObjectRef<Account>,
) {
  const errors = errorTypes.refs
  const CaptureFailureRef = builder
    .objectRef<NonNullable<CaptureResult['error']>>('CaptureFailure')
    .implement({
      description: 'How the recorded fetch failed. The capture holds every request up to the failure.',
      fields: (t) => ({
        code: t.field({
          type: errorTypes.ErrorCodeEnum,
          nullable: false,
          description:
            'PLATFORM_AUTH_FAILED, PLATFORM_RATE_LIMITED, PLATFORM_UNAVAILABLE, PLATFORM_RESPONSE_INVALID or OUTBOUND_BLOCKED.',
          resolve: (f) => asErrorCode(f.code),
        }),
        message: t.exposeString('message', {
          nullable: false,
          description: 'What went wrong, for people; redacted like the capture itself.',
        }),
        field: t.string({
          nullable: true,
          description: 'The connection field the platform pointed at, when it named one.',
          resolve: (f) => f.field ?? null,
        }),
      }),
    })

  const CaptureRef = builder.objectRef<CaptureResult>('Capture').implement({
    description:
      "One fetch of an account's report, recorded request by request for a bug report. Credentials, tokens, " +
      "cookies and the account's identifiers are replaced by placeholders (see the file's `redaction` note).",
    fields: (t) => ({
      fileName: t.exposeString('fileName', {
        nullable: false,
        description:
          'A name to save the file under, e.g. "affgraph-capture-cellxpert-2026-01-01-2026-01-07.json".',
      }),
      content: t.exposeString('content', {
        nullable: false,
        description:
          'The capture file itself: JSON in the `affgraph-capture` format, version 1 (docs/capture.md).',
      }),
      window: t.field({
        type: sync.DateWindowRef,
        nullable: false,
        description: 'The platform days the recorded fetch asked for.',
        resolve: (c) => c.file.window,
      }),
      exchanges: t.int({
        nullable: false,
        description: 'HTTP attempts recorded (retries count).',
        resolve: (c) => c.file.exchanges.length,
      }),
      rows: t.int({
        nullable: true,
        description: 'Rows the fetch returned; null when it failed. Nothing was stored.',
        resolve: (c) => c.rows,
      }),
      failure: t.field({
        type: CaptureFailureRef,
        nullable: true,
        description: 'How the fetch failed; null when it succeeded.',
        resolve: (c) => c.error,
      }),
    }),
  })

  const RecordCaptureSuccess = builder
    .objectRef<{ capture: CaptureResult }>('RecordCaptureSuccess')
    .implement({
      description: 'The fetch was recorded, whether it succeeded or not (see `capture.failure`).',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'RecordCaptureSuccess',
      fields: (t) => ({
        capture: t.field({
          type: CaptureRef,
          nullable: false,
          description: 'The recorded capture.',
          resolve: (v) => v.capture,
        }),
      }),
    })

  const RecordCaptureInput = builder.inputType('RecordCaptureInput', {
    description: 'Which account to fetch, and which days.',
    fields: (t) => ({
      accountId: t.globalID({
        required: true,
        for: AccountRef,
        description: 'The account whose report is fetched, as `Account.id`.',
      }),
      range: t.field({
        type: sync.DateRangeInput,
        required: false,
        description: `Days to fetch, at most ${MAX_CAPTURE_DAYS}; default the account's lookback window.`,
      }),
    }),
  })

  builder.mutationField('recordCapture', (t) =>
    t.field({
      type: builder.unionType('RecordCaptureResult', {
        description:
          'A recorded capture, or why none could be recorded: the account is unknown, its stored credentials ' +
          'cannot be read, or the platform could not be reached at all.',
        types: [
          RecordCaptureSuccess,
          errors.AccountNotFoundError,
          errors.CredentialsUnreadableError,
          errors.PlatformUnavailableError,
          ...errorTypes.inputErrors,
        ],
      }),
      nullable: false,
      description:
        "Fetches the account's report now, recording every request and response its plugin makes, and returns " +
        'the capture file for a bug report, redacted by affgraph. A failed fetch still gives its capture ' +
        '(`failure` says how it failed). Stores no stats and changes no sync state.',
      args: {
        input: t.arg({
          type: RecordCaptureInput,
          required: true,
          description: 'The account and days to fetch.',
        }),
      },
      resolve: async (_, args, ctx) => {
        requirePrincipal(ctx)
        const input = args.input as { accountId: unknown; range?: DateWindow | null }
        const account = await findAccount(ctx.em, databaseId(input.accountId))
        if (!account)
          return userError('AccountNotFoundError', 'ACCOUNT_NOT_FOUND', 'Account not found.', [
            { path: ['input', 'accountId'], message: 'no account with this id in your workspace' },
          ])
        let window: DateWindow
        try {
          window = captureWindow(ctx.services, account, input.range)
        } catch (error) {
          if (!(error instanceof CaptureWindowError)) throw error
          throw new GraphQLError(`Invalid input: range: ${error.message}`, {
            extensions: {
              code: 'INVALID_ARGUMENT',
              fields: [{ path: ['input', 'range'], message: error.message }],
            },
          })
        }
        const outcome = await recordAccountCapture(ctx.services, account, window)
        return outcome.ok ? { __typename: 'RecordCaptureSuccess', capture: outcome.capture } : outcome.error
      },
    }),
  )
}
