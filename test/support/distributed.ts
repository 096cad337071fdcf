/**
 * A distributed-mode sandbox for one test: the shared Redis under a key prefix of its own
 * (or a redis-server the test owns), a PostgreSQL schema of its own, and the environment
 * a `trawl` process needs to use exactly those. Everything is removed by cleanup().
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestSchema, type TestSchema } from './postgres.js';

export const SHARED_REDIS_URL = process.env.TRAWL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface DistributedSandbox {
  redisUrl: string;
  databaseUrl: string;
  /** Redis key prefix of this sandbox. */
  prefix: string;
  schema: TestSchema;
  /** TRAWL_* variables pointing a child `trawl` process at this sandbox. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** @param redisUrl a Redis the test owns (kill/restart tests); default the shared one. */
export async function distributedSandbox(redisUrl = SHARED_REDIS_URL): Promise<DistributedSandbox> {
  const prefix = `tdist${randomBytes(5).toString('hex')}`;
  const schema = await createTestSchema('tdist');
  const env = {
    TRAWL_REDIS_URL: redisUrl,
    TRAWL_DATABASE_URL: schema.url,
    TRAWL_REDIS_PREFIX: prefix,
    TRAWL_HTTP_PORT: '0',
    TRAWL_LOG_LEVEL: 'warn',
  };
  return {
    redisUrl,
    databaseUrl: schema.url,
    prefix,
    schema,
    env,
    async cleanup() {
      await deletePrefix(redisUrl, prefix).catch(() => undefined);
      await schema.cleanup();
    },
  };
}

async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
