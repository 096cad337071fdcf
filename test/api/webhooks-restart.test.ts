/**
 * A restarted service (embedded) carries on with a job's webhook where it stopped: the
 * events delivered before the stop are not sent again, the rest are sent once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadRuntimeConfig } from '../../src/config/runtime-config.js';
import { createLogger } from '../../src/log/logger.js';
import { openService } from '../../src/main/service/open-service.js';
import { waitFor } from '../support/http-server.js';
import { tempDir } from '../support/temp-dir.js';
import { startTreeSite } from '../support/tree-site.js';
import { startReceiver } from '../support/webhook-receiver.js';

const SECRET = 'test-webhook-secret-0123456789';
const TUNING = { pollMs: 50 };

interface Delivery {
  status: string;
  httpStatus: number | null;
}

test('embedded: a restarted service carries on without sending delivered events again', async () => {
  const dir = await tempDir('trawl-webhooks-restart-');
  const site = await startTreeSite(['127.0.0.1'], 6);
  // Takes started and 3 pages, then answers 503 until `up`.
  let up = false;
  const receiver = await startReceiver((_e, n) => ({ status: up || n < 4 ? 200 : 503 }));
  const config = loadRuntimeConfig({
    env: {
      TRAWL_DATA_DIR: dir.path,
      TRAWL_ALLOW_TARGETS: '127.0.0.0/8',
      TRAWL_WEBHOOK_SECRET: SECRET,
    },
  });
  const open = (baseDelayMs: number) =>
    openService({
      config,
      log: createLogger('silent'),
      requestLog: false,
      webhooks: { ...TUNING, baseDelayMs, maxDelayMs: baseDelayMs },
    });
  try {
    // The first service waits a minute before retrying: it is stopped meanwhile.
    const first = await open(60_000);
    let id: string;
    try {
      const res = await first.app.inject({
        method: 'POST',
        url: '/trawl/v1/jobs',
        payload: { seeds: site.seeds, delayMs: 0, webhook: { url: receiver.url } },
      });
      assert.equal(res.statusCode, 201, res.body);
      id = (res.json() as { id: string }).id;
      await waitFor(() => receiver.got.length === 5, 20_000, 'the 5th delivery');
    } finally {
      // A stop ends the minute-long wait for the retry at once.
      const closing = Date.now();
      await first.close();
      assert.ok(Date.now() - closing < 5_000, `closed in ${Date.now() - closing} ms`);
    }
    up = true;
    const second = await open(20);
    try {
      await waitFor(() => receiver.accepted('job.completed').length > 0, 20_000, 'completed');
      const pages = receiver.accepted('job.page').map((g) => (g.body.data as { url: string }).url);
      assert.deepEqual([...pages].sort(), [...site.expected].sort(), 'every page once');
      assert.equal(receiver.accepted('job.started').length, 1);
      assert.equal(receiver.accepted('job.completed').length, 1);
      // The log has every attempt of both services: the 503 and the 9 deliveries.
      const delivered = site.expected.length + 2;
      const deadline = Date.now() + 10_000;
      let rows: Delivery[] = [];
      while (rows.filter((r) => r.status === 'delivered').length < delivered) {
        if (Date.now() > deadline) throw new Error(`log: ${JSON.stringify(rows)}`);
        const res = await second.app.inject({ url: `/trawl/v1/jobs/${id}/webhooks` });
        rows = (res.json() as { data: Delivery[] }).data;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(rows.filter((r) => r.status === 'delivered').length, delivered);
      assert.equal(rows.filter((r) => r.httpStatus === 503).length, 1);
    } finally {
      await second.close();
    }
  } finally {
    await receiver.close();
    await site.close();
    await dir.cleanup();
  }
});
