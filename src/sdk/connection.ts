import { z } from 'zod'

/** How a connection field is rendered and typed in GraphQL: `Secret` and `URL` are scalars of their own. */
export type ConnectionFieldKind = 'text' | 'secret' | 'url'

export interface ConnectionFieldMeta {
  /** Short label, as the platform's own UI names the value. */
  label: string
  /** Where the user finds the value, click by click, in the platform's own words. */
  help: string
  /** A realistic, fake example value (never a real credential). */
  example: string
  /** Optional fields may be left empty. Default: required. */
  optional?: boolean
  /**
   * For optional fields: the value the plugin uses when the field is left empty, when that value is fixed (not
   * derived from other fields). Published as the input field's GraphQL default, so forms can prefill it.
   */
  default?: string
  /**
   * For text fields: whether the value identifies the user's account (an affiliate id, a nickname, a login), so that
   * a capture replaces it with a placeholder. Default true; false for settings that identify nobody (a currency, a
   * report code).
   */
  identifier?: boolean
}

export interface ConnectionField<S extends z.ZodType<unknown, string> = z.ZodType<unknown, string>>
  extends Required<Omit<ConnectionFieldMeta, 'optional' | 'default'>> {
  kind: ConnectionFieldKind
  /** The fixed value an empty optional field stands for; null when there is none. */
  default: string | null
  secret: boolean
  required: boolean
  schema: S
}

const nonEmpty = () => z.string().trim().min(1, 'is required').max(4096, 'is too long')

function makeField<S extends z.ZodType<unknown, string>>(
  kind: ConnectionFieldKind,
  meta: ConnectionFieldMeta,
  schema: S,
): ConnectionField<S> {
  return {
    kind,
    secret: kind === 'secret',
    required: !meta.optional,
    identifier: kind === 'text' && meta.identifier !== false,
    label: meta.label,
    help: meta.help,
    example: meta.example,
    default: meta.default ?? null,
    schema,
  }
}

/**
 * A program's base URL: http(s) only, no credentials, query or fragment; normalised to origin + path without a
 * trailing slash. Whether the host may be reached is decided at request time by the host's SSRF guard.
 */
export function baseUrlSchema() {
  return nonEmpty()
    .pipe(
      z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://partners.example.com' }),
    )
    .superRefine((value, ctx) => {
      // zod runs this refinement even after z.url() reported an issue; an unparseable value is already reported.
      if (!URL.canParse(value)) return
      const url = new URL(value)
      if (url.username || url.password)
        ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' })
      if (url.search || url.hash)
        ctx.addIssue({ code: 'custom', message: 'must not contain a query string or fragment' })
    })
    .transform((value) => {
      const url = new URL(value)
      return `${url.origin}${url.pathname}`.replace(/\/+$/, '')
    })
}

/**
 * An optional field's schema: an empty (or blank) value is undefined, anything else must pass `schema`, e.g.
 * `emptyToUndefined(baseUrlSchema())` for an API address that defaults to the platform's own.
 */
export function emptyToUndefined<S extends z.ZodType<unknown, string>>(schema: S) {
  return z
    .string()
    .trim()
    .pipe(z.union([z.literal('').transform(() => undefined), schema]))
}

/** A time zone name this runtime knows (IANA, e.g. Europe/London or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

/** A reporting time zone a user types: an IANA name such as Europe/London or UTC. */
export function timeZoneSchema() {
  return nonEmpty()
    .max(64, 'is too long')
    .refine(isTimeZone, 'must be a time zone name such as Europe/London or UTC')
}

const CURRENCY_SYMBOLS: Record<string, string> = { '€': 'EUR', '£': 'GBP' }

/**
 * The currency a program reports in, for exports that do not name it: an ISO 4217 code, upper-cased; `€` and `£`
 * are read as EUR and GBP, while `$` is refused rather than guessed, several currencies use it.
 */
export function currencySchema() {
  return nonEmpty().transform((input, ctx) => {
    const code = (CURRENCY_SYMBOLS[input] ?? input).toUpperCase()
    if (!/^[A-Z]{3}$/.test(code)) {
      ctx.addIssue({ code: 'custom', message: 'must be a three-letter currency code such as USD or EUR' })
      return z.NEVER
    }
    return code
  })
}

export const field = {
  /** A plain value shown back to the user (account id, nickname, username). */
  text<S extends z.ZodType<unknown, string>>(meta: ConnectionFieldMeta, schema?: S) {
    return makeField('text', meta, (schema ?? nonEmpty()) as S)
  },
  /** A credential: write-only, encrypted at rest, redacted from every error and log line. */
  secret<S extends z.ZodType<unknown, string>>(meta: ConnectionFieldMeta, schema?: S) {
    return makeField('secret', meta, (schema ?? nonEmpty()) as S)
  },
  /** The program's own base URL, for platforms hosted per program. */
  url<S extends z.ZodType<unknown, string>>(meta: ConnectionFieldMeta, schema?: S) {
    return makeField('url', meta, (schema ?? baseUrlSchema()) as S)
  },
}

export type ConnectionFields = Record<string, ConnectionField<z.ZodType<unknown, string>>>

type SchemaShape<F extends ConnectionFields> = {
  [K in keyof F]: F[K]['required'] extends false ? z.ZodOptional<F[K]['schema']> : F[K]['schema']
}

export interface ConnectionSpec<F extends ConnectionFields = ConnectionFields> {
  fields: F
  /** Validates (and may normalise) a whole connection. Field order is the form's order. */
  schema: z.ZodObject<SchemaShape<F>>
}

export type ConnectionOf<S extends ConnectionSpec> = z.output<S['schema']>

export function defineConnection<F extends ConnectionFields>(fields: F): ConnectionSpec<F> {
  for (const [name, f] of Object.entries(fields)) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw new Error(`connection field "${name}" must be camelCase`)
    if (!f.label.trim() || !f.help.trim())
      throw new Error(`connection field "${name}" needs a label and help text`)
    // A default a client is offered must be one the plugin accepts, and only an optional field can fall back to it.
    if (f.default !== null) {
      if (f.required) throw new Error(`connection field "${name}" is required, so it cannot have a default`)
      if (f.secret) throw new Error(`connection field "${name}" is a secret: a default would be published`)
      if (!f.schema.safeParse(f.default).success)
        throw new Error(`connection field "${name}": its default does not pass the field's own schema`)
    }
  }
  const shape = Object.fromEntries(
    Object.entries(fields).map(([name, f]) => [name, f.required ? f.schema : f.schema.optional()]),
  ) as SchemaShape<F>
  return { fields, schema: z.object(shape) }
}
