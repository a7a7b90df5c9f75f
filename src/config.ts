import { delimiter, resolve } from 'node:path'
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

/**
 * Every setting affgraph reads from the environment. A bad value stops the server at boot with a message that
 * names the variable; nothing else in the code base reads `process.env`.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('production'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: positiveInt(0, 65535).default(4000),
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
  AFFGRAPH_HTTP_TIMEOUT_MS: positiveInt(100, 600_000).default(120_000),
  AFFGRAPH_HTTP_RETRIES: positiveInt(1, 10).default(4),
  AFFGRAPH_PAGE_SIZE_MAX: positiveInt(1, 1000).default(100),
  AFFGRAPH_SYNC: z
    .enum(['on', 'off', 'schedule-only'], { error: 'must be on, off or schedule-only' })
    .default('on'),
  AFFGRAPH_WORKER_CONCURRENCY: positiveInt(1, 500).default(32),
  AFFGRAPH_SYNC_RETRY_LIMIT: positiveInt(0, 50).default(6),
  AFFGRAPH_SYNC_RETRY_DELAY_SECONDS: positiveInt(1, 3600).default(30),
  AFFGRAPH_SYNC_POLL_SECONDS: positiveInt(1, 60).default(2),
  AFFGRAPH_FX_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://www.ecb.europa.eu'),
  AFFGRAPH_FX_FETCH: boolFlag.default(true),
})

export type Env = z.input<typeof envSchema>

export interface Config {
  env: 'production' | 'development' | 'test'
  host: string
  port: number
  databaseUrl: string | undefined
  dataDir: string
  masterKey: string | undefined
  pluginDirs: string[]
  outboundAllowlist: string[]
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  graphiql: boolean
  http: { totalTimeoutMs: number; attempts: number }
  pageSizeMax: number
  sync: {
    /** on: queue, schedule and work in this process; schedule-only: queue and schedule, leave work to workers; off. */
    mode: 'on' | 'off' | 'schedule-only'
    concurrency: number
    retryLimit: number
    retryDelaySeconds: number
    pollingIntervalSeconds: number
  }
  fx: {
    /** Base URL of the ECB's euro reference rate files (or of a mirror, or of the local simulator). */
    url: string
    /** Fetch the rates daily (and at start when stale); off for offline servers that import files. */
    fetch: boolean
  }
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID'
  override readonly name = 'ConfigError'
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
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.AFFGRAPH_DATA_DIR),
    masterKey: e.AFFGRAPH_MASTER_KEY,
    pluginDirs: e.AFFGRAPH_PLUGIN_DIRS.map((d) => resolve(d)),
    outboundAllowlist: e.AFFGRAPH_OUTBOUND_ALLOWLIST,
    logLevel: e.AFFGRAPH_LOG_LEVEL,
    graphiql: e.AFFGRAPH_GRAPHIQL,
    http: { totalTimeoutMs: e.AFFGRAPH_HTTP_TIMEOUT_MS, attempts: e.AFFGRAPH_HTTP_RETRIES },
    pageSizeMax: e.AFFGRAPH_PAGE_SIZE_MAX,
    sync: {
      mode: e.AFFGRAPH_SYNC,
      concurrency: e.AFFGRAPH_WORKER_CONCURRENCY,
      retryLimit: e.AFFGRAPH_SYNC_RETRY_LIMIT,
      retryDelaySeconds: e.AFFGRAPH_SYNC_RETRY_DELAY_SECONDS,
      pollingIntervalSeconds: e.AFFGRAPH_SYNC_POLL_SECONDS,
    },
    fx: { url: e.AFFGRAPH_FX_URL.replace(/\/+$/, ''), fetch: e.AFFGRAPH_FX_FETCH },
  }
}
