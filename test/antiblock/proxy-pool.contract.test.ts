/**
 * One contract for every ProxyPool adapter: the in-process one and the Redis one (the
 * shared Redis on 127.0.0.1:6379, a key prefix of its own per test, deleted after).
 * Time is driven by hand (the adapters' test clock), so benches, decay and expiry are
 * exact. Also: the list parser, the refresher over a loopback provider URL, and the
 * health checker over a scripted fetcher.
 */
import assert from 'node:assert/strict';
import { waitFor } from '../support/http-server.js';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { MemoryProxyPool } from '../../src/antiblock/proxy/memory-proxy-pool.js';
import { ProxyHealthChecker } from '../../src/antiblock/proxy/proxy-health.js';
import type {
  ProxyLease,
  ProxyPool,
  ProxyPoolOptions,
} from '../../src/antiblock/proxy/proxy-pool.js';
import {
  ProxyRefresher,
  normalizeProxyUrl,
  parseProxyList,
  proxyUpdateIntervalMs,
} from '../../src/antiblock/proxy/proxy-source.js';
import { isTrawlError } from '../../src/core/errors.js';
import type { FetchResponse } from '../../src/core/types.js';
import { RedisProxyPool } from '../../src/backends/redis/proxy-pool/redis-proxy-pool.js';
import { proxyPoolKeys } from '../../src/backends/redis/keys.js';
import { listen, shut } from '../support/loopback-server.js';
import { startRedisCluster } from '../support/redis-cluster.js';

const REDIS = { host: '127.0.0.1', port: 6379 };
const T0 = 1_700_000_000_000;

class ManualClock {
  t = T0;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Two handles on one pool's state (a second worker, for Redis), driven by `clock`. */
interface Pools {
  pool: ProxyPool;
  peer: ProxyPool;
  clock: ManualClock;
}

type Open = (options?: ProxyPoolOptions) => Promise<Pools>;

const A = 'http://a.proxy.test:8000';
const B = 'http://b.proxy.test:8000';
const C = 'http://c.proxy.test:8000';
const R = 'http://r.proxy.test:9000';

async function acquireMany(pool: ProxyPool, host: string, n: number): Promise<ProxyLease[]> {
  const leases: ProxyLease[] = [];
  for (let i = 0; i < n; i++) {
    const lease = await pool.acquire(host);
    assert.ok(lease !== null, 'a proxy is available');
    leases.push(lease);
  }
  return leases;
}

function counts(leases: readonly ProxyLease[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of leases) out[l.url] = (out[l.url] ?? 0) + 1;
  return out;
}

async function rejectsNoProxy(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isTrawlError(err));
    assert.equal(err.code, 'proxy_failed');
    assert.match(err.message, /no proxy available/);
    return true;
  });
}

function contract(name: string, open: Open): void {
  describe(`ProxyPool contract: ${name}`, () => {
    test('an empty pool: null with allowDirect, proxy_failed without', async () => {
      const direct = await open({ allowDirect: true });
      assert.equal(await direct.pool.acquire('site.test'), null);
      assert.deepEqual(await direct.pool.size(), { active: 0, benched: 0, dead: 0 });
      const strict = await open();
      await rejectsNoProxy(strict.pool.acquire('site.test'));
    });

    test('spreads load evenly over equally healthy proxies', async () => {
      const { pool } = await open();
      assert.deepEqual(await pool.setProxies([{ url: A }, { url: B }, { url: C }]), {
        added: 3,
        removed: 0,
        kept: 0,
      });
      const leases = await acquireMany(pool, 'site.test', 6);
      assert.deepEqual(counts(leases), { [A]: 2, [B]: 2, [C]: 2 });
      const first = leases[0]!;
      assert.equal(first.id, first.url);
      assert.equal(first.tier, 0);
      assert.equal(first.host, 'site.test');
      for (const lease of leases) await pool.report(lease, 'ok');
      assert.deepEqual(await pool.size(), { active: 3, benched: 0, dead: 0 });
    });

    test('prefers proxies with a low recent error rate; old errors fade', async () => {
      const { pool, clock } = await open({ benchAfterFailures: 100, scoreHalfLifeMs: 1000 });
      await pool.setProxies([{ url: A }, { url: B }, { url: C }]);
      const lease = { id: A, url: A, tier: 0, host: 'site.test' };
      await pool.report(lease, 'proxy_failed');
      await pool.report(lease, 'proxy_failed');
      const states = await pool.snapshot();
      assert.ok(states.find((s) => s.id === A)!.errorRate > 0.5);
      assert.equal(states.find((s) => s.id === B)!.errorRate, 0);
      const leases = await acquireMany(pool, 'site.test', 9);
      assert.equal(counts(leases)[A], undefined, 'the failing proxy loses every pairing');
      // Ten half-lives later the errors have faded: A is picked again.
      clock.advance(10_000);
      const later = await acquireMany(pool, 'site.test', 9);
      assert.equal(counts(later)[A], 3);
      // A block weighs less than a failure.
      await pool.report({ ...lease, id: B, url: B }, 'blocked');
      const [a, b] = await pool.snapshot();
      assert.ok(b!.errorRate > 0 && b!.errorRate < a!.errorRate + 0.5);
    });

    test('consecutive failures bench a proxy with exponential backoff; ok resets it', async () => {
      const { pool, clock } = await open({ benchAfterFailures: 2, benchBaseMs: 1000 });
      await pool.setProxies([{ url: A }, { url: B }]);
      const a = { id: A, url: A, tier: 0, host: 'site.test' };
      await pool.report(a, 'proxy_failed');
      assert.deepEqual(await pool.size(), { active: 2, benched: 0, dead: 0 });
      await pool.report(a, 'proxy_failed');
      assert.deepEqual(await pool.size(), { active: 1, benched: 1, dead: 0 });
      const state = (await pool.snapshot()).find((s) => s.id === A)!;
      assert.equal(state.status, 'benched');
      assert.equal(state.benchedUntil, T0 + 1000);
      assert.deepEqual(counts(await acquireMany(pool, 'site.test', 4)), { [B]: 4 });
      // A late failure of a lease taken before the bench does not extend it.
      await pool.report(a, 'proxy_failed');
      assert.equal((await pool.snapshot())[0]!.benchedUntil, T0 + 1000);

      clock.advance(1000);
      assert.deepEqual(await pool.size(), { active: 2, benched: 0, dead: 0 });
      assert.equal(
        counts(await acquireMany(pool, 'site.test', 4))[A],
        2,
        'retried after its bench',
      );
      // Still failing: benched again at once, twice as long.
      await pool.report(a, 'proxy_failed');
      assert.equal((await pool.snapshot())[0]!.benchedUntil, clock.now() + 2000);
      clock.advance(2000);
      await pool.report(a, 'ok');
      const reset = (await pool.snapshot())[0]!;
      assert.equal(reset.failures, 0);
      assert.equal(reset.benches, 0);
      await pool.report(a, 'proxy_failed');
      await pool.report(a, 'proxy_failed');
      assert.equal((await pool.snapshot())[0]!.benchedUntil, clock.now() + 1000);
    });

    test('every proxy benched: direct when allowed, proxy_failed otherwise', async () => {
      for (const allowDirect of [true, false]) {
        const { pool } = await open({ allowDirect, benchAfterFailures: 1 });
        await pool.setProxies([{ url: A }]);
        await pool.report({ id: A, url: A, tier: 0, host: 'h.test' }, 'proxy_failed');
        assert.deepEqual(await pool.size(), { active: 0, benched: 1, dead: 0 });
        if (allowDirect) assert.equal(await pool.acquire('h.test'), null);
        else await rejectsNoProxy(pool.acquire('h.test'));
      }
    });

    test('a host that keeps blocking escalates one tier; its state expires', async () => {
      const { pool, clock } = await open({ escalateAfter: 2, hostTierTtlMs: 60_000 });
      await pool.setProxies([
        { url: A, tier: 0 },
        { url: B, tier: 0 },
        { url: R, tier: 5 },
      ]);
      const first = (await pool.acquire('shop.test'))!;
      assert.equal(first.tier, 0);
      await pool.report(first, 'blocked');
      await pool.report(first, 'ok');
      await pool.report(first, 'blocked');
      assert.equal((await pool.acquire('shop.test'))!.tier, 0, 'an ok reset the strikes');
      await pool.report(first, 'proxy_failed');
      const escalated = (await pool.acquire('shop.test'))!;
      assert.equal(escalated.tier, 5);
      assert.equal(escalated.url, R);
      assert.equal((await pool.acquire('other.test'))!.tier, 0, 'other hosts stay');
      // Reports of old lower-tier leases do not count against the new tier.
      await pool.report(first, 'blocked');
      await pool.report(first, 'blocked');
      assert.equal((await pool.acquire('shop.test'))!.tier, 5);
      // At the top tier there is nowhere to go: it stays.
      await pool.report(escalated, 'blocked');
      await pool.report(escalated, 'blocked');
      assert.equal((await pool.acquire('shop.test'))!.tier, 5);
      clock.advance(60_000);
      assert.equal((await pool.acquire('shop.test'))!.tier, 0, 'forgotten after hostTierTtlMs');
    });

    test('a tier without eligible proxies falls back to the next one up, else down', async () => {
      const { pool } = await open({ benchAfterFailures: 1, escalateAfter: 1 });
      await pool.setProxies([
        { url: A, tier: 0 },
        { url: R, tier: 1 },
      ]);
      await pool.report({ id: A, url: A, tier: 0, host: 'x.test' }, 'proxy_failed');
      // x.test escalated to tier 1; y.test is at tier 0 whose only proxy is benched.
      const up = (await pool.acquire('y.test'))!;
      assert.deepEqual([up.url, up.tier], [R, 1]);
      await pool.report({ id: R, url: R, tier: 1, host: 'z.test' }, 'ok');
      const { pool: p2 } = await open({ benchAfterFailures: 1, escalateAfter: 1 });
      await p2.setProxies([
        { url: A, tier: 0 },
        { url: R, tier: 1 },
      ]);
      await p2.report({ id: A, url: A, tier: 0, host: 'x.test' }, 'blocked');
      await p2.report({ id: R, url: R, tier: 1, host: 'w.test' }, 'proxy_failed');
      const down = (await p2.acquire('x.test'))!;
      assert.deepEqual([down.url, down.tier], [A, 0], 'tier 1 benched: back down to tier 0');
    });

    test('setProxies keeps the state of proxies that stay and forgets the rest', async () => {
      const { pool } = await open({ benchAfterFailures: 1 });
      await pool.setProxies([{ url: A }, { url: B }]);
      await pool.report({ id: A, url: A, tier: 0, host: 'h.test' }, 'proxy_failed');
      const result = await pool.setProxies([{ url: A, tier: 2 }, { url: C }, { url: C, tier: 7 }]);
      assert.deepEqual(result, { added: 1, removed: 1, kept: 1 });
      const states = await pool.snapshot();
      assert.deepEqual(
        states.map((s) => [s.id, s.tier, s.status, s.failures]),
        [
          [A, 2, 'benched', 1],
          [C, 0, 'active', 0],
        ],
      );
      // A lease of a proxy that left is reported without harm.
      await pool.report({ id: B, url: B, tier: 0, host: 'h.test' }, 'proxy_failed');
      assert.deepEqual(await pool.size(), { active: 1, benched: 1, dead: 0 });
      assert.equal((await pool.acquire('h.test'))!.url, C);
    });

    test('health checks: claimed once, failures bench, repeated failures kill', async () => {
      const { pool, peer, clock } = await open({
        deadAfterChecks: 2,
        benchBaseMs: 1000,
        recheckMs: 10_000,
      });
      await pool.setProxies([{ url: B }, { url: A }]);
      const due = await pool.claimChecks(10, 5000);
      assert.deepEqual(
        due.map((t) => t.id),
        [A, B],
        'never checked: due, in id order',
      );
      assert.deepEqual(await peer.claimChecks(10, 5000), [], 'claimed: another checker skips them');
      await pool.reportCheck(A, true);
      await pool.reportCheck(B, false);
      assert.deepEqual(await pool.size(), { active: 1, benched: 1, dead: 0 });
      clock.advance(1000);
      assert.deepEqual(
        (await peer.claimChecks(10, 5000)).map((t) => t.id),
        [B],
        'bench over: re-checked; A was checked recently',
      );
      await peer.reportCheck(B, false);
      assert.deepEqual(await pool.size(), { active: 1, benched: 0, dead: 1 });
      assert.equal((await pool.snapshot()).find((s) => s.id === B)!.status, 'dead');
      assert.deepEqual(counts(await acquireMany(pool, 'h.test', 3)), { [A]: 3 });
      clock.advance(10_000);
      assert.deepEqual(
        (await pool.claimChecks(10, 5000)).map((t) => t.id),
        [A],
        'an active proxy is re-checked after recheckMs; the dead one never',
      );
      await pool.reportCheck(A, true);
      assert.deepEqual(await pool.setProxies([{ url: A }, { url: B }]), {
        added: 0,
        removed: 0,
        kept: 2,
      });
      assert.equal((await pool.size()).dead, 1, 'still listed: still dead');
      await pool.setProxies([{ url: A }]);
      await pool.setProxies([{ url: A }, { url: B }]);
      assert.deepEqual(await pool.size(), { active: 2, benched: 0, dead: 0 }, 'listed anew: fresh');
      await pool.reportCheck('http://unknown.test:1', false);
    });

    test('two handles share one state', async () => {
      const { pool, peer } = await open({ benchAfterFailures: 1 });
      await pool.setProxies([{ url: A }, { url: B }]);
      const lease = (await pool.acquire('h.test'))!;
      await peer.report(lease, 'proxy_failed');
      assert.deepEqual(await pool.size(), { active: 1, benched: 1, dead: 0 });
      const other = (await peer.acquire('h.test'))!;
      assert.notEqual(other.id, lease.id);
    });

    test('the refresher loads a provider URL every interval', async () => {
      const { pool } = await open({ benchAfterFailures: 1 });
      let list = `# provider list\n${A}\ntier=1 ${B.replace('http://', '')}\n`;
      let failing = false;
      let served = 0;
      const provider: { server: http.Server; base: string } = await listen((_req, res) => {
        served++;
        if (failing) res.writeHead(503).end('down');
        else res.writeHead(200, { 'Content-Type': 'text/plain' }).end(list);
      });
      const errors: Error[] = [];
      const refresher = new ProxyRefresher({
        pool,
        url: `${provider.base}/proxies.txt`,
        updateIntervalMs: 40,
        onError: (err) => errors.push(err),
      });
      try {
        await refresher.start();
        assert.deepEqual(
          (await pool.snapshot()).map((s) => [s.id, s.tier]),
          [
            [A, 0],
            [B, 1],
          ],
        );
        await pool.report({ id: A, url: A, tier: 0, host: 'h.test' }, 'proxy_failed');
        list = JSON.stringify([A, { url: C, tier: 0 }]);
        await waitFor(
          async () => (await pool.snapshot()).map((s) => s.id).join() === `${A},${C}`,
          5000,
          'the changed list is loaded',
        );
        const a = (await pool.snapshot())[0]!;
        assert.equal(a.status, 'benched', 'a proxy that stays keeps its state');
        failing = true;
        const before = served;
        await waitFor(() => errors.length > 0 && served > before, 5000, 'a failed load');
        assert.equal((await pool.snapshot()).length, 2, 'a failed load keeps the pool');
      } finally {
        await refresher.stop();
        await shut(provider.server);
      }
    });

    test('the health checker removes a dead proxy', async () => {
      const { pool, clock } = await open({ deadAfterChecks: 2, benchBaseMs: 1000 });
      await pool.setProxies([{ url: A }, { url: B }]);
      const checked: string[] = [];
      const fetcher = {
        fetch: (url: string, options?: { proxy?: string | null }): Promise<FetchResponse> => {
          assert.equal(url, 'http://check.test/204');
          checked.push(options?.proxy ?? 'direct');
          if (options?.proxy === B) return Promise.reject(new Error('proxy down'));
          return Promise.resolve({ status: 204 } as FetchResponse);
        },
      };
      const results: [string, boolean][] = [];
      const checker = new ProxyHealthChecker({
        pool,
        fetcher,
        checkUrl: 'http://check.test/204',
        timeoutMs: 500,
        onCheck: (target, healthy) => results.push([target.id, healthy]),
      });
      assert.equal(await checker.checkOnce(), 2);
      assert.deepEqual(results, [
        [A, true],
        [B, false],
      ]);
      assert.equal(await checker.checkOnce(), 0, 'nothing due');
      clock.advance(1000);
      assert.equal(await checker.checkOnce(), 1);
      assert.deepEqual(await pool.size(), { active: 1, benched: 0, dead: 1 });
      assert.deepEqual(checked, [A, B, B]);
    });
  });
}

// ---- adapters ----

contract('memory', (options) => {
  const clock = new ManualClock();
  const pool = new MemoryProxyPool({ ...options, clock });
  return Promise.resolve({ pool, peer: pool, clock });
});

const redisClients: Redis[] = [];
const prefixes: string[] = [];
let admin: Redis;

before(() => {
  admin = new Redis(REDIS);
});

after(async () => {
  for (const prefix of prefixes) {
    for await (const keys of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) {
      if ((keys as string[]).length > 0) await admin.unlink(...(keys as string[]));
    }
  }
  for (const client of redisClients) await client.quit();
  await admin.quit();
});

contract('Redis', (options) => {
  const clock = new ManualClock();
  const prefix = `trawl-test-${randomUUID()}`;
  prefixes.push(prefix);
  const a = new Redis(REDIS);
  const b = new Redis(REDIS);
  redisClients.push(a, b);
  const pool = new RedisProxyPool({ ...options, redis: a, prefix, pool: 'p1', clock });
  const peer = new RedisProxyPool({ ...options, redis: b, prefix, pool: 'p1', clock });
  return Promise.resolve({ pool, peer, clock });
});

// A three-master Cluster of the test's own (stopped with its data after): every
// script's keys must hash to one slot, or Redis answers CROSSSLOT.
let cluster: Awaited<ReturnType<typeof startRedisCluster>> | null = null;
const clusterClients: Cluster[] = [];
before(async () => {
  cluster = await startRedisCluster({ masters: 3 });
});
after(async () => {
  for (const client of clusterClients) await client.quit();
  await cluster?.stop();
});

contract('Redis Cluster (3 masters)', (options) => {
  const clock = new ManualClock();
  const nodes = cluster!.startupNodes;
  const a = new Cluster(nodes);
  const b = new Cluster(nodes);
  clusterClients.push(a, b);
  const name = `c${randomUUID()}`;
  const pool = new RedisProxyPool({ ...options, redis: a, pool: name, clock });
  const peer = new RedisProxyPool({ ...options, redis: b, pool: name, clock });
  return Promise.resolve({ pool, peer, clock });
});

describe('Redis proxy pool keys', () => {
  test('share one hash tag; a pool on Redis TIME works without a test clock', async () => {
    const keys = proxyPoolKeys('main', 'pfx');
    const tag = (key: string): string => /\{([^}]*)\}/.exec(key)![1]!;
    for (const key of [keys.proxies, keys.all, keys.live, keys.bench, keys.dead, keys.tiers]) {
      assert.equal(tag(key), 'proxies:main');
    }
    assert.equal(tag(keys.host('{evil}.test')), 'proxies:main');
    assert.throws(() => proxyPoolKeys('a{b}'));

    const prefix = `trawl-test-${randomUUID()}`;
    prefixes.push(prefix);
    const client = new Redis(REDIS);
    redisClients.push(client);
    const pool = new RedisProxyPool({ redis: client, prefix, benchAfterFailures: 1 });
    await pool.setProxies([{ url: A }]);
    const lease = (await pool.acquire('h.test'))!;
    await pool.report(lease, 'proxy_failed');
    const [state] = await pool.snapshot();
    assert.equal(state!.status, 'benched');
    assert.ok(Math.abs(state!.benchedUntil - 30_000 - Date.now()) < 5000, 'Redis TIME clock');
    const hostTtl = await admin.pttl(proxyPoolKeys('default', prefix).host('h.test'));
    assert.ok(hostTtl > 0, 'host state has a TTL');
  });
});

// ---- the list format ----

describe('proxy list parsing', () => {
  test('lines with optional tiers, host:port shorthand, comments, duplicates, errors', () => {
    const { entries, errors } = parseProxyList(
      [
        '# comment',
        '',
        'http://user:p%40ss@Proxy1.Example:8080',
        '10.0.0.5:3128',
        'tier=2 https://resi.example',
        'tier=x http://bad-tier.example:1',
        'ftp://nope.example:21',
        'http://user:hunter2@with-path.example:1/path',
        '10.0.0.5:3128',
        'two words',
      ].join('\n'),
    );
    assert.deepEqual(entries, [
      { url: 'http://user:p%40ss@proxy1.example:8080', tier: 0 },
      { url: 'http://10.0.0.5:3128', tier: 0 },
      { url: 'https://resi.example:443', tier: 2 },
    ]);
    assert.equal(errors.length, 4);
    assert.ok(
      errors.every((e) => !e.includes('hunter2')),
      'no password in messages',
    );
  });

  test('a JSON array of strings or objects', () => {
    const { entries, errors } = parseProxyList(
      JSON.stringify(['p1.example:1', { url: 'http://p2.example:2', tier: 1 }, 42]),
    );
    assert.deepEqual(entries, [
      { url: 'http://p1.example:1', tier: 0 },
      { url: 'http://p2.example:2', tier: 1 },
    ]);
    assert.equal(errors.length, 1);
    assert.equal(normalizeProxyUrl('HTTP://[::1]:8080'), 'http://[::1]:8080');
  });

  test('the update interval: option, then PROXY_UPDATE_INTERVAL_SECONDS, then 300 s', () => {
    assert.equal(proxyUpdateIntervalMs(undefined, {}), 300_000);
    assert.equal(proxyUpdateIntervalMs(undefined, { PROXY_UPDATE_INTERVAL_SECONDS: '60' }), 60_000);
    assert.equal(proxyUpdateIntervalMs(5, { PROXY_UPDATE_INTERVAL_SECONDS: '60' }), 5000);
    assert.throws(() => proxyUpdateIntervalMs(undefined, { PROXY_UPDATE_INTERVAL_SECONDS: 'x' }));
    assert.throws(() => new ProxyRefresher({ pool: new MemoryProxyPool() }));
  });

  test('a static list is loaded once; an empty one is refused', async () => {
    const pool = new MemoryProxyPool();
    const refresher = new ProxyRefresher({ pool, list: [A, `tier=1 ${B}`] });
    await refresher.start();
    assert.deepEqual(
      (await pool.snapshot()).map((s) => [s.id, s.tier]),
      [
        [A, 0],
        [B, 1],
      ],
    );
    await refresher.stop();
    const empty = new ProxyRefresher({ pool, list: '# nothing\n' });
    await assert.rejects(empty.refresh(), /no valid proxy/);
    assert.equal((await pool.snapshot()).length, 2);
  });
});
