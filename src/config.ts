import { readFileSync } from 'node:fs'
import { delimiter, resolve } from 'node:path'
import { Kind, parse } from 'graphql'
import { z } from 'zod'

const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

const list = (separators: RegExp) =>
  z.string().transform((v) =>
    v
      .split(separators)
      .map((s) => s.trim())
      .filter(Boolean),
  )

const positiveInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * An API rate limit written `<requests>/<window>`, the window a whole number and a unit (ms, s, m, h, d) or a unit
 * alone (`20/m` is twenty a minute); `off` lifts the limit. Windows run from 1 ms to 7 days.
 */
const apiRateLimit = z
  .string()
  .regex(/^(off|[1-9]\d{0,6}\/\d{0,9}(ms|s|m|h|d))$/, 'must look like 20/m, 200/1h or 5/30s, or be off')
  .transform((v) => {
    if (v === 'off') return null
    const [, requests, amount, unit] = /^(\d+)\/(\d*)(ms|s|m|h|d)$/.exec(v) ?? []
    return {
      requests: Number(requests),
      intervalMs: Number(amount || 1) * (DURATION_MS[unit ?? 's'] ?? 1000),
    }
  })
  .refine(
    (v) => v === null || (v.intervalMs >= 1 && v.intervalMs <= 7 * 86_400_000),
    'the window must be 1 ms to 7 days',
  )

/**
 * The origins (`scheme://host[:port]`) whose pages may call the API from a browser, comma- or space-separated.
 * Each is kept as browsers send it in `Origin` (lower case, default port dropped). A wildcard is refused: the list
 * is the whole point. Entries are named by position, never echoed.
 */
const corsOrigins = z.string().transform((v, ctx) => {
  const origins: string[] = []
  for (const [i, entry] of v
    .split(/[,\s]+/)
    .filter(Boolean)
    .entries()) {
    // Not a URL at all is refused like any other malformed entry, below.
    const url = URL.canParse(entry) ? new URL(entry) : null
    const bare =
      url !== null &&
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      !url.username &&
      !url.password &&
      url.pathname === '/' &&
      !url.search &&
      !url.hash &&
      !entry.includes('*') &&
      /^[a-z]+:\/\/[^/?#]+\/?$/i.test(entry)
    if (!url || !bare) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${i + 1} is not an origin: write scheme://host[:port] (http or https; no path, query, wildcard or credentials)`,
      })
      continue
    }
    if (!origins.includes(url.origin)) origins.push(url.origin)
  }
  return origins
})

/**
 * Every setting affgraph reads from the environment. A bad value stops the server at boot with a message that
 * names the variable; nothing else in the code base reads `process.env`.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('production'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: positiveInt(0, 65535).default(4000),
  AFFGRAPH_DEMO_PORT_BASE: positiveInt(1024, 65000).default(4100),
  AFFGRAPH_DEMO_REVISION_SECONDS: positiveInt(1, 86_400).default(600),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  AFFGRAPH_DATA_DIR: z.string().min(1).default('.data'),
  AFFGRAPH_MASTER_KEY: z.string().min(1).optional(),
  AFFGRAPH_PLUGIN_DIRS: list(new RegExp(`[,${delimiter === ';' ? ';' : ':'}]`)).default([]),
  AFFGRAPH_OUTBOUND_ALLOWLIST: list(/[,\s]+/).default([]),
  AFFGRAPH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AFFGRAPH_GRAPHIQL: boolFlag.default(true),
  AFFGRAPH_RESPONSE_CACHE: boolFlag.default(true),
  AFFGRAPH_TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  AFFGRAPH_HTTP_TIMEOUT_MS: positiveInt(100, 600_000).default(120_000),
  AFFGRAPH_HTTP_RETRIES: positiveInt(1, 10).default(4),
  AFFGRAPH_PAGE_SIZE_MAX: positiveInt(1, 1000).default(100),
  AFFGRAPH_MAX_DEPTH: positiveInt(1, 100).default(10),
  AFFGRAPH_MAX_ALIASES: positiveInt(0, 1000).default(10),
  AFFGRAPH_MAX_DIRECTIVES: positiveInt(0, 1000).default(10),
  AFFGRAPH_MAX_TOKENS: positiveInt(10, 1_000_000).default(1000),
  AFFGRAPH_MAX_COST: positiveInt(1, 1_000_000_000).default(50_000),
  AFFGRAPH_COST_ACCOUNTS_ASSUMED: positiveInt(1, 1_000_000).default(25),
  AFFGRAPH_INTROSPECTION: z
    .enum(['authenticated', 'public', 'off'], { error: 'must be authenticated, public or off' })
    .default('authenticated'),
  AFFGRAPH_MAX_BODY_BYTES: positiveInt(1024, 1_073_741_824).default(4 * 1024 * 1024),
  AFFGRAPH_CORS_ORIGINS: corsOrigins.default([]),
  AFFGRAPH_SYNC: z
    .enum(['on', 'off', 'schedule-only'], { error: 'must be on, off or schedule-only' })
    .default('on'),
  AFFGRAPH_WORKER_CONCURRENCY: positiveInt(1, 500).default(32),
  AFFGRAPH_SYNC_RETRY_LIMIT: positiveInt(0, 50).default(6),
  AFFGRAPH_SYNC_RETRY_DELAY_SECONDS: positiveInt(1, 3600).default(30),
  AFFGRAPH_SYNC_POLL_SECONDS: positiveInt(1, 60).default(2),
  AFFGRAPH_SYNC_JOB_TIMEOUT_SECONDS: positiveInt(5, 86_400).default(900),
  AFFGRAPH_SHUTDOWN_TIMEOUT_SECONDS: positiveInt(1, 3600).default(20),
  AFFGRAPH_CRASH_POINTS: z
    .string()
    .regex(
      /^\s*[a-z-]+:(0(\.\d+)?|1(\.0+)?)\s*(,\s*[a-z-]+:(0(\.\d+)?|1(\.0+)?)\s*)*$/,
      'must look like before-fetch:0.05,mid-write:0.1',
    )
    .optional(),
  AFFGRAPH_CRASH_SEED: z.string().min(1).optional(),
  AFFGRAPH_RATE_LIMIT_TIME_SCALE: z.coerce
    .number()
    .positive('must be above 0')
    .max(1, 'must be at most 1')
    .optional()
    .describe(
      "testing aid: multiplies every platform limit's interval, so a soak keeps limits in shape without the wait",
    ),
  AFFGRAPH_NOW: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('testing aid: the instant the process takes as "now" at start; the clock runs on from there'),
  AFFGRAPH_TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d)$/, 'must be false, true or the number of proxies in front of the server (0-9)')
    .transform((v) => (v === 'true' ? 1 : v === 'false' ? 0 : Number(v)))
    .default(0),
  AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST: apiRateLimit.prefault('60/10m'),
  AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST_PER_IP: apiRateLimit.prefault('120/10m'),
  AFFGRAPH_RATE_LIMIT_CONNECT: apiRateLimit.prefault('2000/1h'),
  AFFGRAPH_RATE_LIMIT_CONNECT_PER_IP: apiRateLimit.prefault('4000/1h'),
  AFFGRAPH_RATE_LIMIT_TOKEN_CREATE: apiRateLimit.prefault('20/1h'),
  AFFGRAPH_RATE_LIMIT_TOKEN_CREATE_PER_IP: apiRateLimit.prefault('40/1h'),
  AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER: apiRateLimit.prefault('120/10m'),
  AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER_PER_IP: apiRateLimit.prefault('240/10m'),
  AFFGRAPH_RATE_LIMIT_AUTH_FAILURE_PER_IP: apiRateLimit.prefault('60/10m'),
  AFFGRAPH_FX_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://www.ecb.europa.eu'),
  AFFGRAPH_FX_FETCH: boolFlag.default(true),
  AFFGRAPH_KEY_ROTATION_ON_START: boolFlag.default(true),
  AFFGRAPH_KEY_ROTATION_BATCH_SIZE: positiveInt(1, 10_000).default(100),
  AFFGRAPH_KEY_ROTATION_PAUSE_MS: positiveInt(0, 60_000).default(0),
})

export type Env = z.input<typeof envSchema>

export interface Config {
  env: 'production' | 'development' | 'test'
  host: string
  port: number
  /** `--demo`: simulators prefer the ports after this one (a taken port falls back to any free one). */
  demoPortBase: number
  /** `--demo`: seconds between the batches of revisions the demo's programs make to days already synced. */
  demoRevisionSeconds: number
  databaseUrl: string | undefined
  dataDir: string
  masterKey: string | undefined
  pluginDirs: string[]
  outboundAllowlist: string[]
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  graphiql: boolean
  /** Cache answers to read operations per token, emptied by every write to the workspace. */
  responseCache: boolean
  /**
   * When set, only these documents run (by id; the web page's own are added to them): the manifest named by
   * AFFGRAPH_TRUSTED_DOCUMENTS, `{ "<id>": "<document>" }`. Null: any operation runs.
   */
  trustedDocuments: Readonly<Record<string, string>> | null
  http: { totalTimeoutMs: number; attempts: number }
  pageSizeMax: number
  /** Limits every GraphQL operation must keep to; checked before any resolver runs (see src/security/). */
  graphqlLimits: GraphQLLimits
  /** Who may introspect the schema: token holders, anyone, or no one. Field suggestions follow the same rule. */
  introspection: 'authenticated' | 'public' | 'off'
  /** Largest request body the server reads (bytes); a larger one is refused with 413 before it is parsed. */
  maxBodyBytes: number
  /**
   * Origins whose web pages may call the API cross-origin (CORS). Empty (the default): none may, and no response
   * carries an Access-Control-Allow-Origin header.
   */
  corsOrigins: string[]
  sync: {
    /** on: queue, schedule and work in this process; schedule-only: queue and schedule, leave work to workers; off. */
    mode: 'on' | 'off' | 'schedule-only'
    concurrency: number
    retryLimit: number
    retryDelaySeconds: number
    pollingIntervalSeconds: number
    /** A job still active after this long is taken to be lost with its worker and handed to the next one. */
    jobTimeoutSeconds: number
  }
  /** How long a stopping server or worker lets running syncs finish before it hands them back to the queue. */
  shutdownTimeoutMs: number
  /** Testing aid: the instant this process takes as "now" when it starts (the clock runs on from there). */
  now: Date | null
  /** Platform limits' intervals are multiplied by this (1 outside tests). */
  rateLimitTimeScale: number
  /** Testing aid: named points where a worker kills itself with SIGKILL, each with a probability. */
  crashPoints: { points: Record<string, number>; seed: string } | null
  /** Re-wrapping stored data keys under the active master key (see src/crypto/key-rotation.ts). */
  keyRotation: { onStart: boolean; batchSize: number; pauseMs: number }
  /** Per-token and per-client-IP limits on sensitive operations (see src/security/api-rate-limit.ts). */
  apiRateLimit: {
    /** Proxies in front of the server whose X-Forwarded-For entries are believed; 0 uses the socket address. */
    trustProxyHops: number
    limits: Record<
      ApiRateLimitClass,
      { perToken: ApiRateLimitSetting | null; perIp: ApiRateLimitSetting | null }
    >
  }
  fx: {
    /** Base URL of the ECB's euro reference rate files (or of a mirror, or of the local simulator). */
    url: string
    /** Fetch the rates daily (and at start when stale); off for offline servers that import files. */
    fetch: boolean
  }
}

export interface GraphQLLimits {
  /** Deepest nesting of fields (fragments flattened; `__schema` not counted). */
  maxDepth: number
  /** Aliased fields in one document (`__typename` not counted). */
  maxAliases: number
  /** Directives in one document. */
  maxDirectives: number
  /** Lexical tokens in one document. */
  maxTokens: number
  /** Highest estimated cost of an operation (see src/security/query-cost.ts). */
  maxCost: number
  /** Accounts a stats field is priced for when it does not name its accounts. */
  costAccountsAssumed: number
}

/** Classes of operations that are limited per token and per client IP; AUTH_FAILURE counts failed authentications. */
export type ApiRateLimitClass =
  | 'CREDENTIAL_TEST'
  | 'CONNECT'
  | 'TOKEN_CREATE'
  | 'SYNC_TRIGGER'
  | 'AUTH_FAILURE'

/** `requests` per `intervalMs`, all of them allowed back to back, then one more every intervalMs / requests. */
export interface ApiRateLimitSetting {
  requests: number
  intervalMs: number
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID'
  override readonly name = 'ConfigError'
}

const manifestSchema = z.record(
  z.string().min(1, 'an id is empty'),
  z.string().min(1, 'a document is empty'),
  { error: 'must be a JSON object of { "<id>": "<GraphQL document>" }' },
)

/**
 * The trusted documents manifest: the format GraphQL Code Generator's client preset writes (persisted documents)
 * and Relay's persisted queries file. Every document must parse and hold an operation, so a broken entry stops the
 * server at boot instead of refusing its clients later.
 */
function readTrustedDocuments(path: string): Record<string, string> {
  const fail = (reason: string): never => {
    throw new ConfigError(`Invalid configuration:\n  AFFGRAPH_TRUSTED_DOCUMENTS: ${reason}`)
  }
  let text = ''
  try {
    text = readFileSync(resolve(path), 'utf8')
  } catch (error) {
    fail(`cannot read the manifest file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    fail('the manifest file is not valid JSON')
  }
  const manifest = manifestSchema.safeParse(json)
  if (!manifest.success) return fail(manifest.error.issues[0]?.message ?? 'malformed manifest')
  for (const [id, document] of Object.entries(manifest.data)) {
    let operations = 0
    try {
      operations = parse(document).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length
    } catch (error) {
      fail(`document ${JSON.stringify(id)} is not GraphQL (${(error as Error).message})`)
    }
    if (operations === 0) fail(`document ${JSON.stringify(id)} holds no operation`)
  }
  return manifest.data
}

/** Reads the environment. Values are never echoed: a misplaced secret must not end up in a boot log. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(envSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  )
  const parsed = envSchema.safeParse(picked)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  if (e.AFFGRAPH_NOW && e.NODE_ENV === 'production') {
    throw new ConfigError(
      'Invalid configuration:\n  AFFGRAPH_NOW: a testing aid that moves the calendar; refused when NODE_ENV=production',
    )
  }
  if (e.AFFGRAPH_RATE_LIMIT_TIME_SCALE !== undefined && e.NODE_ENV === 'production') {
    throw new ConfigError(
      'Invalid configuration:\n  AFFGRAPH_RATE_LIMIT_TIME_SCALE: a testing aid that shortens platform limits; refused when NODE_ENV=production',
    )
  }
  if (e.AFFGRAPH_CRASH_POINTS && e.NODE_ENV === 'production') {
    throw new ConfigError(
      'Invalid configuration:\n  AFFGRAPH_CRASH_POINTS: a testing aid that kills the process; refused when NODE_ENV=production',
    )
  }
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    demoPortBase: e.AFFGRAPH_DEMO_PORT_BASE,
    demoRevisionSeconds: e.AFFGRAPH_DEMO_REVISION_SECONDS,
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.AFFGRAPH_DATA_DIR),
    masterKey: e.AFFGRAPH_MASTER_KEY,
    pluginDirs: e.AFFGRAPH_PLUGIN_DIRS.map((d) => resolve(d)),
    outboundAllowlist: e.AFFGRAPH_OUTBOUND_ALLOWLIST,
    logLevel: e.AFFGRAPH_LOG_LEVEL,
    graphiql: e.AFFGRAPH_GRAPHIQL,
    responseCache: e.AFFGRAPH_RESPONSE_CACHE,
    trustedDocuments: e.AFFGRAPH_TRUSTED_DOCUMENTS
      ? readTrustedDocuments(e.AFFGRAPH_TRUSTED_DOCUMENTS)
      : null,
    http: { totalTimeoutMs: e.AFFGRAPH_HTTP_TIMEOUT_MS, attempts: e.AFFGRAPH_HTTP_RETRIES },
    pageSizeMax: e.AFFGRAPH_PAGE_SIZE_MAX,
    graphqlLimits: {
      maxDepth: e.AFFGRAPH_MAX_DEPTH,
      maxAliases: e.AFFGRAPH_MAX_ALIASES,
      maxDirectives: e.AFFGRAPH_MAX_DIRECTIVES,
      maxTokens: e.AFFGRAPH_MAX_TOKENS,
      maxCost: e.AFFGRAPH_MAX_COST,
      costAccountsAssumed: e.AFFGRAPH_COST_ACCOUNTS_ASSUMED,
    },
    introspection: e.AFFGRAPH_INTROSPECTION,
    maxBodyBytes: e.AFFGRAPH_MAX_BODY_BYTES,
    corsOrigins: e.AFFGRAPH_CORS_ORIGINS,
    sync: {
      mode: e.AFFGRAPH_SYNC,
      concurrency: e.AFFGRAPH_WORKER_CONCURRENCY,
      retryLimit: e.AFFGRAPH_SYNC_RETRY_LIMIT,
      retryDelaySeconds: e.AFFGRAPH_SYNC_RETRY_DELAY_SECONDS,
      pollingIntervalSeconds: e.AFFGRAPH_SYNC_POLL_SECONDS,
      jobTimeoutSeconds: e.AFFGRAPH_SYNC_JOB_TIMEOUT_SECONDS,
    },
    shutdownTimeoutMs: e.AFFGRAPH_SHUTDOWN_TIMEOUT_SECONDS * 1000,
    now: e.AFFGRAPH_NOW ? new Date(e.AFFGRAPH_NOW) : null,
    rateLimitTimeScale: e.AFFGRAPH_RATE_LIMIT_TIME_SCALE ?? 1,
    crashPoints: e.AFFGRAPH_CRASH_POINTS
      ? {
          points: Object.fromEntries(
            e.AFFGRAPH_CRASH_POINTS.split(',').map((part) => {
              const [name, probability] = part.trim().split(':')
              return [name!, Number(probability)]
            }),
          ),
          seed: e.AFFGRAPH_CRASH_SEED ?? 'crash',
        }
      : null,
    apiRateLimit: {
      trustProxyHops: e.AFFGRAPH_TRUST_PROXY,
      limits: {
        CREDENTIAL_TEST: {
          perToken: e.AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST,
          perIp: e.AFFGRAPH_RATE_LIMIT_CREDENTIAL_TEST_PER_IP,
        },
        CONNECT: { perToken: e.AFFGRAPH_RATE_LIMIT_CONNECT, perIp: e.AFFGRAPH_RATE_LIMIT_CONNECT_PER_IP },
        TOKEN_CREATE: {
          perToken: e.AFFGRAPH_RATE_LIMIT_TOKEN_CREATE,
          perIp: e.AFFGRAPH_RATE_LIMIT_TOKEN_CREATE_PER_IP,
        },
        SYNC_TRIGGER: {
          perToken: e.AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER,
          perIp: e.AFFGRAPH_RATE_LIMIT_SYNC_TRIGGER_PER_IP,
        },
        AUTH_FAILURE: { perToken: null, perIp: e.AFFGRAPH_RATE_LIMIT_AUTH_FAILURE_PER_IP },
      },
    },
    fx: { url: e.AFFGRAPH_FX_URL.replace(/\/+$/, ''), fetch: e.AFFGRAPH_FX_FETCH },
    keyRotation: {
      onStart: e.AFFGRAPH_KEY_ROTATION_ON_START,
      batchSize: e.AFFGRAPH_KEY_ROTATION_BATCH_SIZE,
      pauseMs: e.AFFGRAPH_KEY_ROTATION_PAUSE_MS,
    },
  }
}
