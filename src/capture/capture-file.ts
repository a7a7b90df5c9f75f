import { z } from 'zod'

/**
 * The capture file: every HTTP request one fetch of one account's report made through `ctx.http`, with its
 * response, redacted by the host. A user attaches it to a bug report; a plugin's tests replay it through the real
 * runner (`test/support/replay.ts`). Hand-written files built from a vendor's published samples use the same
 * format, with `origin.kind` "published-sample" and the parts of each request that matter named in `match`.
 */

export const CAPTURE_FORMAT = 'affgraph-capture'
export const CAPTURE_VERSION = 1

export const CAPTURE_ABOUT =
  "An affgraph capture: the HTTP requests and responses of one fetch of one account's report, as the platform " +
  "plugin made them. Attach it to a bug report about this platform; affgraph replays it in the plugin's tests."

export const CAPTURE_REDACTION_NOTE =
  'Redacted by affgraph before the file was written: credentials, access tokens, cookies and authorization ' +
  'headers are "REDACTED-…" placeholders (or "REDACTED"), and the account\'s identifiers (affiliate id, ' +
  'nickname, user name) are "ID-…" placeholders, the same value always the same placeholder. Read the file ' +
  'before you share it: a platform may echo other personal data in its answers.'

/** Where a query parameter, form field or header value was hidden without a placeholder of its own. */
export const REDACTED = 'REDACTED'

/** The codes a fetch can end with: the SDK's platform errors and the host's outbound refusal. */
export const CAPTURE_ERROR_CODES = [
  'PLATFORM_AUTH',
  'PLATFORM_RATE_LIMITED',
  'PLATFORM_UNAVAILABLE',
  'PLATFORM_RESPONSE_FORMAT',
  'OUTBOUND_BLOCKED',
] as const
export type CaptureErrorCode = (typeof CAPTURE_ERROR_CODES)[number]

const isoDay = z.iso.date()
const headers = z.record(z.string(), z.string())

const requestSchema = z.object({
  method: z.string().regex(/^[A-Z]+$/, 'must be an upper-case HTTP method'),
  url: z.url({ protocol: /^https?$/ }),
  headers: headers.default({}),
  body: z.string().nullable().default(null),
})

const responseSchema = z.object({
  status: z.number().int().min(100).max(599),
  /** The final URL, after redirects; the request's when absent. */
  url: z.url({ protocol: /^https?$/ }).optional(),
  headers: headers.default({}),
  body: z.string(),
})

const failureSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
})

/** Which parts of a request a replay compares; by default all of the query and the whole body. */
const matchSchema = z.object({
  /** Query parameters to compare (others are ignored); default: every parameter, none missing or extra. */
  query: z.array(z.string().min(1)).optional(),
  /** `exact` (default): the whole body; `ignore`; or the form or JSON fields to compare. */
  body: z.union([z.enum(['exact', 'ignore']), z.array(z.string().min(1))]).optional(),
})

const exchangeSchema = z.object({
  /** Milliseconds from the start of the capture to the start of this attempt. */
  at: z.number().nonnegative().default(0),
  durationMs: z.number().nonnegative().default(0),
  /** 1 for a first attempt, 2 and more for the host's retries of the same request. */
  attempt: z.number().int().positive().default(1),
  request: requestSchema,
  /** Null when no response arrived (the connection failed or timed out): `failure` says how. */
  response: responseSchema.nullable(),
  /** How the host judged the attempt (the check's error on a response, or the network's). */
  failure: failureSchema.nullable().default(null),
  match: matchSchema.optional(),
})

const sourceSchema = z.object({ title: z.string().min(3), url: z.url({ protocol: /^https?$/ }).optional() })

const outcomeSchema = z.union([
  z.object({ rows: z.number().int().nonnegative() }).strict(),
  z
    .object({
      error: z.object({
        code: z.enum(CAPTURE_ERROR_CODES),
        message: z.string(),
        field: z.string().optional(),
      }),
    })
    .strict(),
])

export const captureFileSchema = z
  .object({
    format: z.literal(CAPTURE_FORMAT),
    version: z.literal(CAPTURE_VERSION),
    about: z.string(),
    redaction: z.string(),
    origin: z.object({
      /** `capture`: recorded by affgraph from an account; `published-sample`: written from a vendor's sample. */
      kind: z.enum(['capture', 'published-sample']),
      note: z.string().optional(),
      sources: z.array(sourceSchema).optional(),
    }),
    platform: z.object({ id: z.string().min(1), version: z.string().min(1) }),
    affgraphVersion: z.string().optional(),
    /** When the fetch ran: a replay's `ctx.now()`. */
    recordedAt: z.iso.datetime({ offset: true }),
    window: z.object({ from: isoDay, to: isoDay }).refine((w) => w.from <= w.to, 'from must not be after to'),
    /** The connection the replay runs with: secrets and identifiers are the placeholders the exchanges hold. */
    connection: z.record(z.string(), z.string()),
    placeholders: z
      .array(
        z.object({
          placeholder: z.string().min(1),
          kind: z.enum(['secret', 'token', 'cookie', 'identifier']),
          field: z.string().optional(),
        }),
      )
      .default([]),
    exchanges: z.array(exchangeSchema),
    /** What the fetch ended with when it was recorded: the number of rows, or the error. */
    outcome: outcomeSchema,
  })
  .superRefine((file, ctx) => {
    file.exchanges.forEach((exchange, i) => {
      if (!exchange.response && !exchange.failure)
        ctx.addIssue({
          code: 'custom',
          message: 'an exchange without a response must say how it failed',
          path: ['exchanges', i, 'failure'],
        })
    })
  })

export type CaptureFile = z.output<typeof captureFileSchema>
export type CaptureFileInput = z.input<typeof captureFileSchema>
export type CaptureExchange = CaptureFile['exchanges'][number]
export type CapturePlaceholder = CaptureFile['placeholders'][number]

export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError'
  readonly code = 'CAPTURE_FORMAT_INVALID'
}

/** Reads a capture file, naming the first problem and where it is (`exchanges.3.request.url: …`). */
export function parseCaptureFile(text: string, source = 'capture'): CaptureFile {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new CaptureFormatError(`${source} is not JSON: ${(error as Error).message}`)
  }
  const format = (json as { format?: unknown } | null)?.format
  if (format !== CAPTURE_FORMAT)
    throw new CaptureFormatError(`${source} is not an affgraph capture (format is not "${CAPTURE_FORMAT}")`)
  const version = (json as { version?: unknown }).version
  if (version !== CAPTURE_VERSION)
    throw new CaptureFormatError(
      `${source} is capture format version ${String(version)}; this affgraph reads version ${CAPTURE_VERSION}`,
    )
  const parsed = captureFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const at = issue.path.length > 0 ? issue.path.join('.') : '(file)'
    throw new CaptureFormatError(`${source}: ${at}: ${issue.message}`)
  }
  return parsed.data
}

/** Stable text of a capture: two-space indented JSON with a final line break. */
export function serializeCaptureFile(file: CaptureFileInput): string {
  return `${JSON.stringify(file, null, 2)}\n`
}
