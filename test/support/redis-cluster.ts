/**
 * A throwaway Redis Cluster of `masters` redis-server processes (no replicas), for tests
 * that must prove keys and Lua scripts respect hash slots.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { redisCommand, startRedisServer, type RedisServer } from './redis-server.js';

const execFileAsync = promisify(execFile);

/** Debian's path; otherwise whatever PATH finds. */
const REDIS_CLI_BIN = existsSync('/usr/bin/redis-cli') ? '/usr/bin/redis-cli' : 'redis-cli';

/** Redis Cluster's fixed number of hash slots. */
const SLOTS = 16384;
/** How long `--cluster create` plus convergence of every node's view may take. */
const CONVERGE_DEADLINE_MS = 20_000;
const POLL_MS = 50;

export interface RedisClusterOptions {
  /** Number of master nodes; redis-cli refuses fewer than 3. @default 3 */
  masters?: number;
}

export interface RedisCluster {
  /** Every node's client address (all masters). */
  readonly nodes: { host: string; port: number }[];
  /** The same addresses, shaped for `new Cluster(startupNodes)` in ioredis. */
  readonly startupNodes: { host: string; port: number }[];
  /** Kills every node and removes their dirs. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the nodes (each on a port p with p + 10000 free for the cluster bus), joins them
 * with `redis-cli --cluster create`, and resolves once every node reports cluster_state:ok
 * with all 16384 slots assigned.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(`a Redis Cluster needs at least 3 masters, got ${masters}`);
  }
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.kill('SIGKILL').then(() => s.cleanup())));
  };
  try {
    // In parallel: two nodes drawing the same port is handled by startRedisServer's retry.
    const started = await Promise.allSettled(Array.from({ length: masters }, startClusterNode));
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const nodes = servers.map((s) => ({ host: s.host, port: s.port }));
    await createCluster(nodes);
    await waitConverged(nodes);
    return { nodes, startupNodes: nodes.map((n) => ({ ...n })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function startClusterNode(): Promise<RedisServer> {
  return startRedisServer({
    extraArgs: [
      ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
      // Short, so a test that kills a node notices within seconds.
      ...['--cluster-node-timeout', '2000'],
    ],
  });
}

/** Assigns the slots evenly and introduces the nodes to each other. */
async function createCluster(nodes: { host: string; port: number }[]): Promise<void> {
  const addresses = nodes.map((n) => `${n.host}:${n.port}`);
  const args = ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'];
  try {
    // --cluster-yes answers the only prompt; stdin is closed anyway by execFile's default pipe.
    await execFileAsync(REDIS_CLI_BIN, args, { timeout: CONVERGE_DEADLINE_MS });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `redis-cli --cluster create failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
  }
}

/**
 * redis-cli returns once the config epochs are set and the nodes have met, but gossip may
 * not yet have reached every node: a node can still say cluster_state:fail for a moment.
 * Polling every node (not just one) is what makes the cluster usable from any entry point.
 */
async function waitConverged(nodes: { host: string; port: number }[]): Promise<void> {
  const deadline = Date.now() + CONVERGE_DEADLINE_MS;
  let last = '';
  while (Date.now() < deadline) {
    const states = await Promise.all(
      nodes.map((n) => nodeState(n, nodes.length).catch((e: Error) => e.message)),
    );
    if (states.every((s) => s === 'ok')) return;
    last = states.join('; ');
    await sleep(POLL_MS);
  }
  throw new Error(`Redis Cluster did not converge in ${CONVERGE_DEADLINE_MS} ms: ${last}`);
}

/** 'ok' when the node sees a healthy cluster of all `count` nodes covering every slot. */
async function nodeState(node: { host: string; port: number }, count: number): Promise<string> {
  const info = await redisCommand(node.port, ['CLUSTER', 'INFO'], { host: node.host });
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
  const state = field('cluster_state');
  const assigned = Number(field('cluster_slots_assigned'));
  const known = Number(field('cluster_known_nodes'));
  if (state === 'ok' && assigned === SLOTS && known === count) return 'ok';
  return `${node.port}: state=${state} slots=${assigned} known=${known}`;
}
