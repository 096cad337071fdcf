/**
 * How a Trawl process runs (not what it crawls: that is the crawl spec). One table:
 * field, schema with default, environment variable, unit. Values come from, lowest to
 * highest: the defaults, a JSON config file (--config FILE or TRAWL_CONFIG), the
 * environment, then command-line flags. The environment is read once, in src/main, and
 * handed in here.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';

const port = z.number().int().min(0).max(65_535);
const positive = z.number().int().min(1);

/** The table. `env` names the variable; units are in the field names. */
export const RUNTIME_FIELDS = {
  redisUrl: {
    type: 'string',
    env: 'TRAWL_REDIS_URL',
    schema: z.string().min(1).nullable().default(null),
    doc: 'Redis for the distributed mode: redis://host:port, or redis+cluster://host:port,... With neither this nor databaseUrl, everything runs embedded.',
  },
  databaseUrl: {
    type: 'string',
    env: 'TRAWL_DATABASE_URL',
    schema: z.string().min(1).nullable().default(null),
    doc: 'PostgreSQL for the distributed mode: postgres://user@host:port/db',
  },
  dataDir: {
    type: 'string',
    env: 'TRAWL_DATA_DIR',
    schema: z.string().min(1).default('./trawl-data'),
    doc: 'Where the embedded mode keeps its SQLite database',
  },
  artifacts: {
    type: 'string',
    env: 'TRAWL_ARTIFACTS',
    schema: z.string().min(1).nullable().default(null),
    doc: "Where jobs' screenshots and PDFs go when their spec names no place: a directory, or s3://bucket[/prefix] (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, TRAWL_S3_ENDPOINT for MinIO and the like). null: <dataDir>/artifacts",
  },
  redisPrefix: {
    type: 'string',
    env: 'TRAWL_REDIS_PREFIX',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .default('trawl'),
    doc: 'Prefix of every Redis key (several deployments can share a server)',
  },
  httpHost: {
    type: 'string',
    env: 'TRAWL_HTTP_HOST',
    schema: z.string().min(1).default('127.0.0.1'),
    doc: 'Interface of the /health, /health/ready and /metrics server (0.0.0.0 in a container)',
  },
  httpPort: {
    type: 'number',
    env: 'TRAWL_HTTP_PORT',
    schema: port.default(9464),
    doc: 'Port of that server; when taken, the next free one of the 10 after it is used. 0: any free port',
  },
  workerConcurrency: {
    type: 'number',
    env: 'TRAWL_WORKER_CONCURRENCY',
    schema: positive.max(10_000).default(64),
    doc: "Requests one worker process keeps in flight, shared by the jobs it serves (each job's own --concurrency caps it across the cluster)",
  },
  writerBatchSize: {
    type: 'number',
    env: 'TRAWL_WRITER_BATCH_SIZE',
    schema: positive.max(10_000).default(500),
    doc: 'Records a result writer writes to PostgreSQL per transaction',
  },
  writerClaimIdleMs: {
    type: 'number',
    env: 'TRAWL_WRITER_CLAIM_IDLE_MS',
    schema: positive.max(3_600_000).default(30_000),
    doc: "How long a result writer's unacknowledged batch may wait before another writer takes it over (the writer died), ms",
  },
  maxStreamLength: {
    type: 'number',
    env: 'TRAWL_MAX_STREAM_LENGTH',
    schema: z.number().int().min(0).default(100_000),
    doc: 'Results waiting for the writers beyond which workers stop taking new work (back-pressure; nothing is dropped). 0: no limit',
  },
  shutdownTimeoutMs: {
    type: 'number',
    env: 'TRAWL_SHUTDOWN_TIMEOUT_MS',
    schema: positive.default(30_000),
    doc: 'On SIGTERM/SIGINT, how long requests in flight may finish before the rest are handed back, ms',
  },
  pgPoolMax: {
    type: 'number',
    env: 'TRAWL_PG_POOL_MAX',
    schema: positive.max(1_000).default(10),
    doc: 'PostgreSQL connections per process',
  },
  apiHost: {
    type: 'string',
    env: 'TRAWL_API_HOST',
    schema: z.string().min(1).default('127.0.0.1'),
    doc: 'Interface `trawl serve` listens on. Anything but loopback needs API keys (or allowNoAuth)',
  },
  apiPort: {
    type: 'number',
    env: 'TRAWL_API_PORT',
    schema: port.default(3000),
    doc: 'Port of `trawl serve`. 0: any free port',
  },
  publicUrl: {
    type: 'string',
    env: 'TRAWL_PUBLIC_URL',
    schema: z
      .url({ protocol: /^https?$/ })
      .nullable()
      .default(null),
    doc: "The service's address as clients reach it (behind a proxy), for absolute links such as Firecrawl's `next`. null: http://apiHost:apiPort",
  },
  allowTargets: {
    type: 'string',
    env: 'TRAWL_ALLOW_TARGETS',
    schema: z.string().default(''),
    doc: 'Comma-separated CIDR ranges and host names the service may fetch although private, loopback or link-local (e.g. 127.0.0.0/8,intranet.example). Empty: none',
  },
  allowNoAuth: {
    type: 'boolean',
    env: 'TRAWL_ALLOW_NO_AUTH',
    schema: z.boolean().default(false),
    doc: 'Let `trawl serve` listen on a non-loopback interface with no API key created (anyone who reaches it may use it)',
  },
  maxRunningJobs: {
    type: 'number',
    env: 'TRAWL_MAX_RUNNING_JOBS',
    schema: positive.max(1_000).default(4),
    doc: 'Embedded service: jobs crawling at once in the serving process (more wait, queued)',
  },
  scrapeTimeoutMs: {
    type: 'number',
    env: 'TRAWL_SCRAPE_TIMEOUT_MS',
    schema: positive.max(600_000).default(30_000),
    doc: 'Default deadline of a single-URL scrape, ms (a request may ask for less or more, up to 10 minutes)',
  },
  firecrawlPageSize: {
    type: 'number',
    env: 'TRAWL_FIRECRAWL_PAGE_SIZE',
    schema: positive.max(10_000).default(100),
    doc: "Documents per page of a Firecrawl status response (crawl, batch scrape); the response's `next` links to the rest",
  },
  apiBodyLimitBytes: {
    type: 'number',
    env: 'TRAWL_API_BODY_LIMIT_BYTES',
    schema: positive.default(1_048_576),
    doc: 'Largest request body the API accepts, bytes',
  },
  apiMaxUrls: {
    type: 'number',
    env: 'TRAWL_API_MAX_URLS',
    schema: positive.max(1_000_000).default(1_000),
    doc: 'Most URLs one request may carry (seeds of a job, a batch scrape)',
  },
  rateLimitPerMinute: {
    type: 'number',
    env: 'TRAWL_RATE_LIMIT_PER_MINUTE',
    schema: z.number().int().min(0).default(6_000),
    doc: 'Requests per minute per API key (per client address without keys). 0: no limit',
  },
  apiKeyCacheMs: {
    type: 'number',
    env: 'TRAWL_API_KEY_CACHE_MS',
    schema: z.number().int().min(0).max(300_000).default(10_000),
    doc: 'How long `trawl serve` trusts a verified API key without checking the store again, ms: a revoked key keeps working up to this long (checking costs ~50 ms of CPU). 0: check every request',
  },
  grpcPort: {
    type: 'number',
    env: 'TRAWL_GRPC_PORT',
    schema: port.nullable().default(null),
    doc: 'Port of the gRPC service of `trawl serve` (on apiHost). null: no gRPC server. 0: any free port',
  },
  webhookMaxAttempts: {
    type: 'number',
    env: 'TRAWL_WEBHOOK_MAX_ATTEMPTS',
    schema: positive.max(20).default(5),
    doc: 'Deliveries of one webhook event tried before it is recorded as failed (exponential backoff between them)',
  },
  webhookTimeoutMs: {
    type: 'number',
    env: 'TRAWL_WEBHOOK_TIMEOUT_MS',
    schema: positive.max(120_000).default(10_000),
    doc: 'Deadline of one webhook delivery, ms',
  },
  webhookSecret: {
    type: 'string',
    env: 'TRAWL_WEBHOOK_SECRET',
    schema: z.string().min(16).max(1_024).nullable().default(null),
    doc: "Signs the webhooks of jobs created without an API key (HMAC-SHA256, at least 16 characters). A key's jobs are signed with its own secret. null: such jobs cannot have webhooks",
  },
  logLevel: {
    type: 'string',
    env: 'TRAWL_LOG_LEVEL',
    schema: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    doc: 'Log level of worker processes (pino, JSON on stderr)',
  },
} as const;

type Fields = typeof RUNTIME_FIELDS;
export type RuntimeConfig = { [K in keyof Fields]: z.output<Fields[K]['schema']> };
export type RuntimeConfigInput = { [K in keyof Fields]?: z.input<Fields[K]['schema']> };

export interface LoadRuntimeConfigOptions {
  /** The process environment (read by the caller, once). */
  env: Record<string, string | undefined>;
  /** A JSON config file; null: TRAWL_CONFIG if set, else none. */
  file?: string | null;
  /** Values from command-line flags (undefined entries are ignored). */
  flags?: RuntimeConfigInput;
}

/** Resolves the runtime config; a bad value fails with a UsageError naming the field and its source. */
export function loadRuntimeConfig(options: LoadRuntimeConfigOptions): RuntimeConfig {
  const filePath = options.file ?? options.env.TRAWL_CONFIG ?? null;
  const fromFile = filePath === null ? {} : readConfigFile(filePath);
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, field] of Object.entries(RUNTIME_FIELDS)) {
    const flag = (options.flags as Record<string, unknown> | undefined)?.[name];
    const envValue = options.env[field.env];
    let value: unknown;
    let source = 'default';
    if (flag !== undefined) {
      value = flag;
      source = 'flag';
    } else if (envValue !== undefined && envValue !== '') {
      // The environment holds strings: a number field's value is converted (and checked) here.
      value =
        field.type === 'number' && /^-?\d+$/.test(envValue.trim())
          ? Number(envValue)
          : field.type === 'boolean' && /^(true|1|yes|false|0|no)$/i.test(envValue.trim())
            ? /^(true|1|yes)$/i.test(envValue.trim())
            : envValue;
      source = field.env;
    } else if (name in fromFile) {
      value = fromFile[name];
      source = filePath!;
    }
    const parsed = field.schema.safeParse(value);
    if (parsed.success) out[name] = parsed.data;
    else
      problems.push(`  ${name} (from ${source}): ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  for (const key of Object.keys(fromFile)) {
    if (!(key in RUNTIME_FIELDS)) problems.push(`  ${key} (from ${filePath}): unknown setting`);
  }
  if (problems.length > 0) throw new UsageError(`invalid configuration:\n${problems.join('\n')}`);
  return out as RuntimeConfig;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object of settings`);
  }
  return parsed as Record<string, unknown>;
}

/** The distributed mode is on when either service is configured (both are required). */
export function distributedServices(
  config: RuntimeConfig,
): { redisUrl: string; databaseUrl: string } | null {
  const { redisUrl, databaseUrl } = config;
  if (redisUrl === null && databaseUrl === null) return null;
  if (redisUrl === null || databaseUrl === null) {
    const missing =
      redisUrl === null
        ? 'Redis (--redis or TRAWL_REDIS_URL)'
        : 'PostgreSQL (--database or TRAWL_DATABASE_URL)';
    throw new UsageError(
      `the distributed mode needs both Redis and PostgreSQL: ${missing} is not set`,
    );
  }
  return { redisUrl, databaseUrl };
}
