/**
 * The distributed-mode test harnesses, exercised for real: a private redis-server that
 * survives kill -9, a Redis Cluster, a TCP proxy that cuts the network, and PostgreSQL
 * schemas that keep tests apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { createTestSchema, pgUrlThrough, TEST_DATABASE_URL } from './postgres.js';
import { startRedisCluster } from './redis-cluster.js';
import { redisCommand, startRedisServer } from './redis-server.js';
import { startTcpProxy } from './tcp-proxy.js';

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * disconnect() on a client whose socket already closed (a failed connect) arms ioredis's
 * 2 s "destroy the stream" timer, which nothing clears and which holds the process open.
 */
function quietDisconnect(client: Redis): void {
  if (client.status !== 'end') client.disconnect();
}

test('redis-server: a write acknowledged with appendfsync always survives kill -9 and restart', async () => {
  const server = await startRedisServer({ appendonly: true, appendfsync: 'always' });
  const clients: Redis[] = [];
  const connect = (): Redis => {
    const c = new Redis(server.url, { maxRetriesPerRequest: 0 });
    clients.push(c);
    return c;
  };
  try {
    assert.notEqual(server.port, 6379);
    assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
    const before = connect();
    assert.deepEqual(await before.config('GET', 'save'), ['save', '']);
    assert.equal(await before.set('survivor', 'still here'), 'OK');
    const firstPid = server.pid;
    assert.ok(firstPid !== undefined);

    await server.kill();
    assert.equal(alive(firstPid), false, 'the old process is gone');
    assert.equal(server.pid, undefined);

    await server.restart();
    assert.ok(server.pid !== undefined && server.pid !== firstPid);
    assert.equal(await connect().get('survivor'), 'still here');
  } finally {
    for (const c of clients) quietDisconnect(c);
    await server.cleanup();
  }
  assert.equal(existsSync(server.dir), false, 'cleanup removes the dir');
  await server.cleanup(); // idempotent
});

test('redis-server: a port already taken fails the start, never mistaking the other server for ours', async () => {
  const first = await startRedisServer();
  try {
    await assert.rejects(startRedisServer({ port: first.port }), /exited during start-up/);
    await assert.rejects(startRedisServer({ port: 6379 }), /shared Redis/);
  } finally {
    await first.cleanup();
  }
});

test('redis-cluster: keys spread over masters, same-tag Lua works, cross-slot Lua is refused', async () => {
  const cluster = await startRedisCluster({ masters: 3 });
  const client = new Cluster(cluster.startupNodes);
  const direct = cluster.nodes.map((n) => new Redis({ ...n, maxRetriesPerRequest: 0 }));
  try {
    const tags = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
    for (const tag of tags) assert.equal(await client.set(`{${tag}}:k`, tag), 'OK');
    for (const tag of tags) assert.equal(await client.get(`{${tag}}:k`), tag);

    // Which master owns each key's slot, according to the cluster's own map.
    const owners = slotOwners(String(await direct[0]!.cluster('NODES')));
    const holding = new Set<number>();
    for (const tag of tags) {
      const slot = Number(await direct[0]!.cluster('KEYSLOT', `{${tag}}:k`));
      const port = owners.find((o) => slot >= o.from && slot <= o.to)?.port;
      assert.ok(port !== undefined, `slot ${slot} has an owner`);
      holding.add(port);
    }
    assert.ok(holding.size >= 2, `keys land on ${holding.size} masters`);
    // And physically: the owners' own key counts add up.
    const sizes = await Promise.all(direct.map((d) => d.dbsize()));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      tags.length,
    );
    assert.ok(sizes.filter((s) => s > 0).length >= 2);

    const script = `redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1])
      return redis.call('MGET', KEYS[1], KEYS[2])`;
    assert.deepEqual(await client.eval(script, 2, '{user:1}:a', '{user:1}:b', 'x'), ['x', 'x']);
    await assert.rejects(client.eval(script, 2, '{alpha}:x', '{bravo}:x', 'y'), /CROSSSLOT/);
  } finally {
    client.disconnect();
    for (const d of direct) quietDisconnect(d);
    await cluster.stop();
  }
});

/** Slot ranges and owning port of each master, from CLUSTER NODES output. */
function slotOwners(nodes: string): { from: number; to: number; port: number }[] {
  const owners: { from: number; to: number; port: number }[] = [];
  for (const line of nodes.trim().split('\n')) {
    const [, address, flags, , , , , , ...ranges] = line.split(' ');
    if (!flags?.includes('master')) continue;
    const port = Number(/:(\d+)@/.exec(address ?? '')?.[1]);
    for (const range of ranges) {
      const [from, to = from] = range.split('-').map(Number);
      if (from !== undefined && to !== undefined) owners.push({ from, to, port });
    }
  }
  return owners;
}

/** The next `event`; unlike events.once, an 'error' in between (a reconnect failing) is no rejection. */
function next(emitter: Redis, event: 'ready' | 'close'): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

test('tcp-proxy: Redis works through it, fails after cut(), works again after restore()', async () => {
  const server = await startRedisServer();
  const proxy = await startTcpProxy({ targetHost: server.host, targetPort: server.port });
  // Keeps reconnecting every 50 ms, like a long-lived client in the code under test.
  const client = new Redis({
    host: proxy.host,
    port: proxy.port,
    retryStrategy: () => 50,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  client.on('error', () => {}); // reconnect errors while cut are expected
  const fresh: Redis[] = [];
  try {
    await next(client, 'ready');
    assert.equal(await client.ping(), 'PONG');
    assert.equal(proxy.connections(), 1);
    // Big enough to fill socket buffers both ways, so pipe()'s backpressure is exercised.
    // Read back with the raw probe: ioredis's parser answers a big reply with a buffer
    // pool that it shrinks on a ref'd 50 ms interval, holding the process open ~2 s.
    const big = 'x'.repeat(8 * 1024 * 1024);
    await client.set('big', big);
    const readBig = (): Promise<string> =>
      redisCommand(proxy.port, ['GET', 'big'], { host: proxy.host, timeoutMs: 5000 });
    assert.equal(await readBig(), big);

    const closed = next(client, 'close');
    proxy.cut();
    await closed;
    await assert.rejects(client.ping());
    assert.equal(proxy.connections(), 0);
    const attempt = new Redis({
      host: proxy.host,
      port: proxy.port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    attempt.on('error', () => {});
    fresh.push(attempt);
    await assert.rejects(attempt.connect(), 'a new connection fails while cut');

    const ready = next(client, 'ready');
    proxy.restore();
    await ready;
    assert.equal(await client.ping(), 'PONG');
    const again = new Redis({ host: proxy.host, port: proxy.port, maxRetriesPerRequest: 0 });
    fresh.push(again);
    assert.equal(await again.ping(), 'PONG');
    assert.equal(await readBig(), big);
  } finally {
    quietDisconnect(client);
    for (const c of fresh) quietDisconnect(c);
    await proxy.close();
    await server.cleanup();
  }
});

test('tcp-proxy + pgUrlThrough: PostgreSQL through the proxy, cut and restored', async () => {
  const schema = await createTestSchema();
  const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: 5432 });
  const url = pgUrlThrough(schema.url, proxy.host, proxy.port);
  const clients: pg.Client[] = [];
  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    c.on('error', () => {}); // the cut surfaces here as well as on the query
    clients.push(c);
    await c.connect();
    return c;
  };
  try {
    assert.equal(new URL(url).port, String(proxy.port));
    const first = await connect();
    const { rows } = await first.query<{ search_path: string }>('SHOW search_path');
    assert.equal(rows[0]?.search_path, schema.schema, 'the search_path option goes through');

    proxy.cut();
    await assert.rejects(first.query('SELECT 1'));
    await assert.rejects(connect(), 'a new connection fails while cut');

    proxy.restore();
    const second = await connect();
    assert.equal((await second.query('SELECT 1 AS one')).rows[0]?.one, 1);
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await proxy.close();
    await schema.cleanup();
  }
});

test('postgres: a table in one test schema is invisible from another', async () => {
  const a = await createTestSchema();
  const b = await createTestSchema('iso');
  const poolA = new pg.Pool({ connectionString: a.url, max: 2 });
  const poolB = new pg.Pool({ connectionString: b.url, max: 2 });
  try {
    assert.match(a.schema, /^t_[0-9a-f]{12}$/);
    assert.match(b.schema, /^iso_[0-9a-f]{12}$/);
    await poolA.query('CREATE TABLE items (id int)');
    await poolA.query('INSERT INTO items VALUES (1)');

    const seen = await poolB.query<{ t: string | null }>(`SELECT to_regclass('items') AS t`);
    assert.equal(seen.rows[0]?.t, null);
    await poolB.query('CREATE TABLE items (name text)'); // no clash: a different schema
    assert.equal((await poolB.query('SELECT count(*)::int AS n FROM items')).rows[0]?.n, 0);
    assert.equal((await poolA.query('SELECT count(*)::int AS n FROM items')).rows[0]?.n, 1);
  } finally {
    await poolA.end();
    await poolB.end();
    await a.cleanup();
    await b.cleanup();
  }
  const check = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await check.connect();
  try {
    const left = await check.query('SELECT 1 FROM pg_namespace WHERE nspname = ANY($1)', [
      [a.schema, b.schema],
    ]);
    assert.equal(left.rowCount, 0, 'cleanup drops both schemas');
  } finally {
    await check.end();
  }
});

test('pgUrlThrough keeps user, database and options', () => {
  const url = 'postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dt_1';
  assert.equal(
    pgUrlThrough(url, '127.0.0.1', 40001),
    'postgres://postgres@127.0.0.1:40001/test?options=-c%20search_path%3Dt_1',
  );
});
