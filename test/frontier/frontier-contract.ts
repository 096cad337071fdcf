/**
 * The frontier contract: every Frontier adapter (SQLite now, Redis next) must pass these.
 * Call `frontierContract(name, factory)` from an adapter's test file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../src/core/clock.js';
import type { DiscoveredLink } from '../../src/core/types.js';
import type { Frontier, HostPolicy } from '../../src/frontier/frontier.js';

export class ManualClock implements Clock {
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
}

export interface FrontierHarness {
  /** Opens the frontier over the harness's storage (again, after close: a restart). */
  open(clock: Clock, defaults: HostPolicy): Promise<Frontier>;
  cleanup(): Promise<void>;
}

const link = (url: string, depth = 1): DiscoveredLink => ({
  url,
  host: new URL(url).host,
  depth,
  priority: -depth,
});

export function frontierContract(name: string, makeHarness: () => Promise<FrontierHarness>): void {
  describe(`Frontier contract: ${name}`, () => {
    const open = async (defaults: HostPolicy = { delayMs: 0, maxInFlight: 100 }) => {
      const harness = await makeHarness();
      const clock = new ManualClock();
      const frontier = await harness.open(clock, defaults);
      return { harness, clock, frontier };
    };

    test('add() deduplicates and lease() hands each URL out once, shallowest first', async () => {
      const { harness, frontier } = await open();
      try {
        assert.equal(
          await frontier.add([link('http://a.test/2', 2), link('http://a.test/1', 1)]),
          2,
        );
        assert.equal(
          await frontier.add([link('http://a.test/1', 1), link('http://a.test/3', 1)]),
          1,
        );
        const leased = await frontier.lease(10);
        assert.deepEqual(
          leased.map((r) => r.url),
          ['http://a.test/1', 'http://a.test/3', 'http://a.test/2'],
        );
        assert.deepEqual(await frontier.lease(10), []);
        const stats = await frontier.stats();
        assert.equal(stats.inFlight, 3);
        assert.equal(stats.queued, 0);
        assert.equal(stats.known, 3);
      } finally {
        await frontier.close();
        await harness.cleanup();
      }
    });

    test('complete() finishes, retries after notBefore, and releases', async () => {
      const { harness, clock, frontier } = await open();
      try {
        await frontier.add([
          link('http://a.test/ok'),
          link('http://a.test/bad'),
          link('http://a.test/again'),
          link('http://a.test/back'),
        ]);
        await frontier.lease(10);
        const t = clock.now();
        await frontier.complete([
          { kind: 'finished', url: 'http://a.test/ok', ok: true, contactedAt: t },
          { kind: 'finished', url: 'http://a.test/bad', ok: false, contactedAt: t },
          { kind: 'retry', url: 'http://a.test/again', notBefore: t + 5_000, contactedAt: t },
          { kind: 'release', url: 'http://a.test/back' },
        ]);
        assert.deepEqual(
          (await frontier.lease(10)).map((r) => r.url),
          ['http://a.test/back'],
        );
        assert.equal(await frontier.nextDueAt(), t + 5_000);
        clock.t = t + 5_000;
        const [retry] = await frontier.lease(10);
        assert.equal(retry?.url, 'http://a.test/again');
        assert.equal(retry?.attempts, 1);
        const stats = await frontier.stats();
        assert.equal(stats.succeeded, 1);
        assert.equal(stats.failed, 1);
      } finally {
        await frontier.close();
        await harness.cleanup();
      }
    });

    test('politeness: one request at a time per host, delayMs after the last contact', async () => {
      const { harness, clock, frontier } = await open({ delayMs: 1_000, maxInFlight: 1 });
      try {
        await frontier.add([
          link('http://a.test/1'),
          link('http://a.test/2'),
          link('http://b.test/1'),
        ]);
        const first = await frontier.lease(10);
        assert.deepEqual(first.map((r) => r.host).sort(), ['a.test', 'b.test']);
        assert.deepEqual(await frontier.lease(10), [], 'a.test is busy');
        const a = first.find((r) => r.host === 'a.test')!;
        clock.t += 1_200;
        const contactedAt = clock.now() - 100;
        await frontier.complete([{ kind: 'finished', url: a.url, ok: true, contactedAt }]);
        assert.deepEqual(await frontier.lease(10), [], 'gap after the last contact not over yet');
        // One millisecond of margin: the clock counts whole milliseconds.
        assert.equal(await frontier.nextDueAt(), contactedAt + 1_001);
        clock.t = contactedAt + 1_000;
        assert.deepEqual(await frontier.lease(10), []);
        clock.t = contactedAt + 1_001;
        assert.deepEqual(
          (await frontier.lease(10)).map((r) => r.url),
          ['http://a.test/2'],
        );
      } finally {
        await frontier.close();
        await harness.cleanup();
      }
    });

    test('a host pause (429) holds every URL of that host', async () => {
      const { harness, clock, frontier } = await open({ delayMs: 0, maxInFlight: 10 });
      try {
        await frontier.add([link('http://a.test/1'), link('http://a.test/2')]);
        const [one] = await frontier.lease(1);
        const t = clock.now();
        await frontier.complete([
          {
            kind: 'retry',
            url: one!.url,
            notBefore: t + 2_000,
            contactedAt: t,
            hostPausedUntil: t + 2_000,
          },
        ]);
        assert.deepEqual(await frontier.lease(10), []);
        clock.t = t + 2_000;
        assert.equal((await frontier.lease(10)).length, 2);
      } finally {
        await frontier.close();
        await harness.cleanup();
      }
    });

    test('claim() marks URLs known without queuing them', async () => {
      const { harness, frontier } = await open();
      try {
        await frontier.add([link('http://a.test/known')]);
        assert.deepEqual(
          await frontier.claim([
            { url: 'http://a.test/known', host: 'a.test' },
            { url: 'http://a.test/target', host: 'a.test' },
          ]),
          [false, true],
        );
        assert.equal(await frontier.add([link('http://a.test/target')]), 0);
        assert.deepEqual(
          (await frontier.lease(10)).map((r) => r.url),
          ['http://a.test/known'],
        );
      } finally {
        await frontier.close();
        await harness.cleanup();
      }
    });

    test('a restart loses nothing: unfinished leases come back, finished ones do not', async () => {
      const harness = await makeHarness();
      const clock = new ManualClock();
      const defaults = { delayMs: 0, maxInFlight: 100 };
      try {
        let frontier = await harness.open(clock, defaults);
        await frontier.add([
          link('http://a.test/1'),
          link('http://a.test/2'),
          link('http://a.test/3'),
        ]);
        const leased = await frontier.lease(2);
        await frontier.complete([
          { kind: 'finished', url: leased[0]!.url, ok: true, contactedAt: clock.now() },
        ]);
        await frontier.close();
        frontier = await harness.open(clock, defaults);
        const again = (await frontier.lease(10)).map((r) => r.url).sort();
        assert.deepEqual(
          again,
          ['http://a.test/1', 'http://a.test/2', 'http://a.test/3'].filter(
            (u) => u !== leased[0]!.url,
          ),
        );
        assert.equal(await frontier.add([link(leased[0]!.url)]), 0, 'finished URLs stay known');
        assert.equal((await frontier.stats()).succeeded, 1);
        await frontier.close();
      } finally {
        await harness.cleanup();
      }
    });
  });
}
