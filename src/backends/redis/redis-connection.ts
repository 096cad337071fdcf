/**
 * Connecting to Redis the way every Trawl process does: one client per process, with
 * commands queued and retried across reconnects (no command fails because Redis
 * restarted or a network blip cut the connection; calls wait), and Cluster support.
 * No auto-pipelining: the frontier batches its own calls (a lease call per batch of
 * leases, one commit call per turn of the event loop), so there is little left to
 * coalesce, and the wrapping cost more CPU than it saved (2 workers, 20k-page site).
 *
 * URL forms: `redis://[user:pass@]host:port[/db]` (or rediss:// for TLS) for one server;
 * `redis+cluster://host1:port1,host2:port2,...` for a Redis Cluster (any reachable nodes;
 * the client discovers the rest).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { UsageError } from '../../core/errors.js';
import { defineScripts } from './redis-scripts.js';

export type RedisClient = Redis | Cluster;

export interface ConnectRedisOptions {
  /** Shown in CLIENT LIST. @default 'trawl' */
  connectionName?: string;
  /** Called with each connection error (logged by the caller; the client keeps retrying). */
  onError?: (err: Error) => void;
}

const CLIENT_OPTIONS: RedisOptions = {
  // Commands wait through an outage instead of failing after 20 retries.
  maxRetriesPerRequest: null,
  enableOfflineQueue: true,
  // Back off up to 1 s between reconnects, forever.
  retryStrategy: (times) => Math.min(50 * times, 1_000),
  // A failover turns the master into a replica: reconnect to find the new one.
  reconnectOnError: (err) => err.message.startsWith('READONLY'),
};

/** Opens a client for `url`; throws UsageError for a URL that is not a Redis URL. */
export function connectRedis(url: string, options: ConnectRedisOptions = {}): RedisClient {
  const connectionName = options.connectionName ?? 'trawl';
  let client: RedisClient;
  if (url.startsWith('redis+cluster://')) {
    const nodes = url
      .slice('redis+cluster://'.length)
      .split(',')
      .filter((n) => n !== '')
      .map((node) => {
        const parsed = URL.parse(`redis://${node}`);
        if (parsed === null || parsed.hostname === '') {
          throw new UsageError(`not a Redis Cluster node: ${JSON.stringify(node)} in ${url}`);
        }
        return { host: parsed.hostname, port: Number(parsed.port || 6379) };
      });
    if (nodes.length === 0) throw new UsageError(`no nodes in Redis Cluster URL ${url}`);
    client = new Cluster(nodes, {
      redisOptions: { ...CLIENT_OPTIONS, connectionName },
      enableOfflineQueue: true,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
    });
  } else {
    const parsed = URL.parse(url);
    if (parsed === null || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
      throw new UsageError(
        `not a Redis URL: ${JSON.stringify(url)} (expected redis://host:port or redis+cluster://host:port,...)`,
      );
    }
    client = new Redis(url, { ...CLIENT_OPTIONS, connectionName });
  }
  client.on('error', (err: Error) => options.onError?.(err));
  // Every job a worker serves listens for 'ready' (its parser must hand back links after
  // Redis restarts; JobRunner removes its listener when it closes): as many listeners as
  // jobs in flight is the design, not a leak, and past 10 Node warned on every worker.
  client.setMaxListeners(0);
  defineScripts(client);
  return client;
}

/** Closes a client: QUIT when it is connected, else drop it without waiting. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else if (client.status !== 'end') {
    client.disconnect();
  }
}
