/**
 * Jobs in the distributed mode: several at once share the workers fairly; the Bloom
 * filter option crawls like the exact seen-set; and a whole crawl runs on a three-master
 * Redis Cluster (every key of a job on its slot, the registry on another).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { jobKeys } from '../../src/backends/redis/keys.js';
import { defaultJobId } from '../../src/main/distributed-crawl.js';
import { runCli } from '../support/cli.js';
import { crawlDistributedInProcess } from '../support/crawl-in-process.js';
import { distributedSandbox, type DistributedSandbox } from '../support/distributed.js';
import { readJsonl } from '../support/read-output.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { tempDir } from '../support/temp-dir.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';
import { startWorker } from '../support/worker-processes.js';

async function assertEveryPageOnce(out: string, site: TreeSite): Promise<void> {
  const rows = await readJsonl(out);
  const urls = rows.map((r) => r.url);
  assert.equal(new Set(urls).size, urls.length, 'no page stored twice');
  assert.deepEqual([...urls].sort(), [...site.expected].sort());
  assert.ok(rows.every((r) => r.status === 200));
}

describe('several jobs at once', { timeout: 120_000 }, () => {
  test('two jobs submitted together share one worker and both progress', async () => {
    const sandbox = await distributedSandbox();
    // Long enough (~3 s each on 2 of the worker's 4 slots) that the second job, found up
    // to a second later by the worker's registry poll, overlaps most of the first.
    const a = await startTreeSite(['127.0.0.21'], 240, 25);
    const b = await startTreeSite(['127.0.0.22'], 240, 25);
    const dir = await tempDir();
    const worker = await startWorker(sandbox.env, ['--concurrency', '4']);
    try {
      const crawl = (site: TreeSite, name: string) => {
        const out = join(dir.path, `${name}.jsonl`);
        const done = runCli(
          ['crawl', ...site.seeds, '--workers', '0', '--delay', '0', '--out', out, '--no-progress'],
          sandbox.env,
        );
        return { out, done };
      };
      const ja = crawl(a, 'a');
      const jb = crawl(b, 'b');
      const [ra, rb] = await Promise.all([ja.done, jb.done]);
      assert.equal(ra.code, 0, ra.stderr);
      assert.equal(rb.code, 0, rb.stderr);
      await assertEveryPageOnce(ja.out, a);
      await assertEveryPageOnce(jb.out, b);
      // Fair sharing: neither job waited for the other, and while both ran, each got
      // about half the worker.
      const times = (s: TreeSite) => s.servers[0]!.requests.map((r) => r.at);
      const [ta, tb] = [times(a), times(b)];
      const from = Math.max(Math.min(...ta), Math.min(...tb));
      const to = Math.min(Math.max(...ta), Math.max(...tb));
      const shorter = Math.min(
        Math.max(...ta) - Math.min(...ta),
        Math.max(...tb) - Math.min(...tb),
      );
      assert.ok(
        to - from > 0.5 * shorter,
        `overlap ${(to - from).toFixed(0)} ms of ${shorter.toFixed(0)} ms`,
      );
      const inWindow = (t: number[]) => t.filter((x) => x >= from && x <= to).length;
      const ratio = inWindow(ta) / inWindow(tb);
      assert.ok(
        ratio > 0.5 && ratio < 2,
        `requests while both ran: ${inWindow(ta)} vs ${inWindow(tb)}`,
      );
    } finally {
      await worker.stop();
      await a.close();
      await b.close();
      await sandbox.cleanup();
      await dir.cleanup();
    }
  });
});

describe('a Bloom-filter seen-set', () => {
  let sandbox: DistributedSandbox;
  before(async () => {
    sandbox = await distributedSandbox();
  });
  after(() => sandbox.cleanup());

  test('--dedup bloom crawls every page once', async () => {
    const site = await startTreeSite(['127.0.0.23'], 150);
    const dir = await tempDir();
    try {
      const out = join(dir.path, 'out.jsonl');
      const summary = await crawlDistributedInProcess(sandbox)(
        {
          seeds: site.seeds,
          delayMs: 0,
          dedup: 'bloom',
          bloomCapacity: 10_000,
          bloomFpr: 0.0001,
          parseWorkers: 0,
        },
        dir.path,
        out,
      );
      assert.equal(summary.result, 'complete');
      await assertEveryPageOnce(out, site);
      for (const url of site.expected) assert.equal(site.hits(url), 1, url);
    } finally {
      await site.close();
      await dir.cleanup();
    }
  });
});

describe('on a Redis Cluster', { timeout: 120_000 }, () => {
  let cluster: RedisCluster;
  before(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });
  after(() => cluster.stop());

  test('a whole crawl: every page once; the job on one slot, the registry on another', async () => {
    const url = `redis+cluster://${cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
    const sandbox = await distributedSandbox(url);
    const site = await startTreeSite(['127.0.0.24', '127.0.0.25'], 80);
    const dir = await tempDir();
    const client = new Cluster(cluster.startupNodes);
    try {
      const out = join(dir.path, 'out.jsonl');
      const summary = await crawlDistributedInProcess(sandbox)(
        { seeds: site.seeds, delayMs: 0, parseWorkers: 0 },
        dir.path,
        out,
      );
      assert.equal(summary.result, 'complete');
      await assertEveryPageOnce(out, site);
      const keys = jobKeys(defaultJobId(site.seeds), sandbox.prefix);
      const slots = new Set<number>();
      for (const node of client.nodes('master')) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', `${keys.base}*`, 'COUNT', 1000);
          cursor = next;
          for (const key of found) slots.add(Number(await node.cluster('KEYSLOT', key)));
        } while (cursor !== '0');
      }
      assert.equal(slots.size, 1, 'every key of the job on one slot');
    } finally {
      await client.quit();
      await site.close();
      await sandbox.cleanup();
      await dir.cleanup();
    }
  });
});
