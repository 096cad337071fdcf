/**
 * Rate limits as a client sees them, over a real socket in both modes: per client address
 * while no key exists, per key once keys do (another key is not limited), 429 with
 * Retry-After in each API's error format, public routes never limited, and in the
 * distributed mode one limit shared by two service instances on the same Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiKeys, type OpenedApiKeys } from '../../src/main/service/api-keys.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { call, waitForAuth } from './api-call.js';

for (const mode of SERVICE_MODES) {
  describe(`rate limits (${mode})`, () => {
    const limitEnv = { TRAWL_RATE_LIMIT_PER_MINUTE: '5', TRAWL_API_KEY_CACHE_MS: '200' };
    let service: TestService;
    let store: OpenedApiKeys;
    before(async () => {
      service = await startTestService(mode, { env: limitEnv, worker: false });
      store = await openApiKeys(service.config);
    });
    after(async () => {
      await store?.close();
      await service?.close();
    });

    /** Five requests pass (remaining 4..0), the sixth gets 429 with Retry-After. */
    async function exhaust(bases: string[], key?: string): Promise<void> {
      for (let i = 0; i < 5; i++) {
        const res = await call(bases[i % bases.length]!, 'GET', '/trawl/v1/jobs', { key });
        assert.equal(res.status, 200, `request ${i + 1}: ${res.text}`);
        assert.equal(res.headers['x-ratelimit-remaining'], String(4 - i));
      }
      const limited = await call(bases[bases.length - 1]!, 'GET', '/trawl/v1/jobs', { key });
      assert.equal(limited.status, 429);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.deepEqual(limited.body, {
        error: { code: 'rate_limited', message: 'rate limit of 5 requests per minute exceeded' },
      });
    }

    test('without keys: per client address; health is never limited', async () => {
      await exhaust([service.url]);
      for (let i = 0; i < 8; i++) {
        assert.equal((await call(service.url, 'GET', '/health')).status, 200);
      }
      assert.equal((await call(service.url, 'GET', '/metrics')).status, 200);
    });

    test('per key: the sixth request of a minute gets 429, another key is not limited', async () => {
      const a = await store.keys.create({ name: 'a', scopes: ['read'] });
      const b = await store.keys.create({ name: 'b', scopes: ['read'] });
      await waitForAuth(service.url);
      await exhaust([service.url], a.key);
      // The limit is per key over every route, and the 429 speaks each API's format.
      const firecrawl = await call(
        service.url,
        'GET',
        '/v2/crawl/00000000-0000-0000-0000-000000000000',
        { key: a.key },
      );
      assert.equal(firecrawl.status, 429);
      assert.ok(Number(firecrawl.headers['retry-after']) >= 1);
      assert.deepEqual(firecrawl.body, {
        success: false,
        error: 'rate limit of 5 requests per minute exceeded',
        code: 'rate_limited',
      });
      const seed = await call(service.url, 'GET', '/api/crawl-status/x', { key: a.key });
      assert.equal(seed.status, 429);
      assert.deepEqual(seed.body, {
        error: 'rate limit of 5 requests per minute exceeded',
        code: 'rate_limited',
      });
      const other = await call(service.url, 'GET', '/trawl/v1/jobs', { key: b.key });
      assert.equal(other.status, 200);
      assert.equal(other.headers['x-ratelimit-remaining'], '4');
    });

    if (mode === 'distributed') {
      test('two service instances on one Redis share the limit', async () => {
        const shared = ['TRAWL_REDIS_URL', 'TRAWL_DATABASE_URL', 'TRAWL_REDIS_PREFIX'];
        const second = await startTestService('distributed', {
          env: {
            ...limitEnv,
            ...Object.fromEntries(shared.map((name) => [name, service.env[name]!])),
          },
          worker: false,
        });
        try {
          const c = await store.keys.create({ name: 'c', scopes: ['read'] });
          await waitForAuth(second.url);
          await exhaust([service.url, second.url], c.key);
          const onFirst = await call(service.url, 'GET', '/trawl/v1/jobs', { key: c.key });
          assert.equal(onFirst.status, 429);
        } finally {
          await second.close();
        }
      });
    }
  });
}
