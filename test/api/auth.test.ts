/**
 * API keys as a client sees them, over a real socket in both modes: open while no key
 * exists (the service then listens on loopback only), a 401 in each API's error format
 * once one does, scopes, the Firecrawl SDK (its Bearer header and its watcher's
 * subprotocol), public routes, revocation within the cache TTL, and the body and
 * URL-count limits. Keys are created through a store of their own, as `trawl keys` in
 * another process would. Rate limits: rate-limit.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Firecrawl, { type SdkError } from '@mendable/firecrawl-js';
import { WebSocket } from 'undici';
import type { CreatedApiKey } from '../../src/auth/api-key-store.js';
import { openApiKeys, type OpenedApiKeys } from '../../src/main/service/api-keys.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';
import { call, noInternals, until, waitForAuth } from './api-call.js';

const CACHE_MS = 300;

for (const mode of SERVICE_MODES) {
  describe(`API keys (${mode})`, () => {
    let service: TestService;
    let site: TreeSite;
    let store: OpenedApiKeys;
    let readKey: CreatedApiKey;
    let writeKey: CreatedApiKey;
    let adminKey: CreatedApiKey;
    const job = () => ({ seeds: site.seeds, delayMs: 0 });
    before(async () => {
      service = await startTestService(mode, {
        env: {
          TRAWL_API_KEY_CACHE_MS: String(CACHE_MS),
          TRAWL_API_BODY_LIMIT_BYTES: '4096',
          TRAWL_API_MAX_URLS: '3',
        },
      });
      site = await startTreeSite(['127.0.0.1'], 3);
      store = await openApiKeys(service.config);
    });
    after(async () => {
      await store?.close();
      await service?.close();
      await site?.close();
    });

    test('no key exists: requests pass without one; body and URL-count limits hold', async () => {
      assert.equal((await call(service.url, 'GET', '/trawl/v1/jobs')).status, 200);
      const created = await call(service.url, 'POST', '/trawl/v1/jobs', { body: job() });
      assert.equal(created.status, 201, created.text);

      const big = await call(service.url, 'POST', '/trawl/v1/jobs', {
        body: { ...job(), userAgent: 'x'.repeat(5_000) },
      });
      assert.equal(big.status, 413);
      assert.deepEqual(big.body, {
        error: { code: 'payload_too_large', message: 'the request body is too large' },
      });
      const urls = ['/a', '/b', '/c', '/d'].map((p) => `http://127.0.0.1:9${p}`);
      const many = await call(service.url, 'POST', '/trawl/v1/jobs', { body: { seeds: urls } });
      assert.equal(many.status, 400);
      assert.deepEqual(many.body, {
        error: {
          code: 'invalid_request',
          message: 'body.seeds: at most 3 URLs per request',
          field: 'body.seeds',
        },
      });
    });

    test('once a key exists every route needs one, refused in its API format', async () => {
      readKey = await store.keys.create({ name: 'reader', scopes: ['read'] });
      writeKey = await store.keys.create({ name: 'writer', scopes: ['write'] });
      adminKey = await store.keys.create({ name: 'admin', scopes: ['admin'] });
      await waitForAuth(service.url);

      const trawl = await call(service.url, 'GET', '/trawl/v1/jobs');
      assert.equal(trawl.status, 401);
      assert.equal(trawl.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(trawl.body, {
        error: {
          code: 'unauthorized',
          message: 'missing API key: send the header Authorization: Bearer <key>',
          field: 'headers.authorization',
        },
      });
      // Firecrawl's paths (known or not: the 401 comes first) and the seed API's.
      for (const [method, path] of [
        ['POST', '/v2/scrape'],
        ['GET', '/v1/crawl/0f0f'],
        ['GET', '/v2/no-such-route'],
      ]) {
        const res = await call(service.url, method!, path!, { key: 'trawl_nope' });
        assert.equal(res.status, 401, path);
        assert.equal(res.headers['www-authenticate'], 'Bearer');
        assert.deepEqual(res.body, {
          success: false,
          error: 'invalid or revoked API key',
          code: 'unauthorized',
        });
      }
      const seed = await call(service.url, 'GET', '/api/no-such-route');
      assert.equal(seed.status, 401);
      assert.deepEqual(seed.body, {
        error: 'missing API key: send the header Authorization: Bearer <key>',
        code: 'unauthorized',
      });

      // Wrong secret, other schemes, garbage: all 401, nothing internal shown.
      const secret = writeKey.key.slice(-43);
      const wrong = writeKey.key.slice(0, -43) + (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1);
      for (const authorization of [
        `Bearer ${wrong}`,
        `Basic ${Buffer.from(`x:${writeKey.key}`).toString('base64')}`,
        'Bearer',
        `Bearer ${writeKey.key} extra`,
        writeKey.key,
      ]) {
        const res = await call(service.url, 'GET', '/trawl/v1/jobs', { authorization });
        assert.equal(res.status, 401, authorization);
        noInternals(res);
      }
      const lower = await call(service.url, 'GET', '/trawl/v1/jobs', {
        authorization: `bearer ${readKey.key}`,
      });
      assert.equal(lower.status, 200, 'the scheme is case-insensitive');
    });

    test('scopes: read may look, write may create, admin may do both', async () => {
      const list = await call(service.url, 'GET', '/trawl/v1/jobs', { key: readKey.key });
      assert.equal(list.status, 200);
      const id = (list.body.data as { id: string }[])[0]!.id;
      assert.equal(
        (await call(service.url, 'GET', `/trawl/v1/jobs/${id}`, { key: readKey.key })).status,
        200,
      );
      for (const path of ['/trawl/v1/jobs', `/trawl/v1/jobs/${id}/cancel`]) {
        const refused = await call(service.url, 'POST', path, { key: readKey.key, body: job() });
        assert.equal(refused.status, 403, path);
        assert.equal(refused.headers['www-authenticate'], undefined);
        assert.deepEqual(refused.body.error, {
          code: 'forbidden',
          message: 'this API key lacks the write scope',
          field: 'headers.authorization',
          details: { needed: 'write', granted: ['read'] },
        });
      }
      for (const key of [writeKey, adminKey]) {
        const created = await call(service.url, 'POST', '/trawl/v1/jobs', {
          key: key.key,
          body: job(),
        });
        assert.equal(created.status, 201, `${key.record.name}: ${created.text}`);
        const got = await call(service.url, 'GET', `/trawl/v1/jobs/${created.body.id}`, {
          key: key.key,
        });
        assert.equal(got.status, 200);
      }
    });

    test("the Firecrawl SDK's watcher: the key as the WebSocket subprotocol", async () => {
      const crawl = await call(service.url, 'POST', '/v1/crawl', {
        key: writeKey.key,
        body: { url: site.seeds[0], limit: 3 },
      });
      assert.equal(crawl.status, 200, crawl.text);
      const url = `${service.url.replace('http', 'ws')}/v1/crawl/${crawl.body.id}`;
      const watch = (protocol: string) =>
        new Promise<{ opened: boolean; messages: number }>((resolve) => {
          const ws = new WebSocket(url, protocol);
          let opened = false;
          let messages = 0;
          ws.addEventListener('open', () => (opened = true));
          ws.addEventListener('message', () => messages++);
          ws.addEventListener('close', () => resolve({ opened, messages }));
          ws.addEventListener('error', () => undefined);
        });
      const ok = await watch(readKey.key);
      assert.ok(ok.opened && ok.messages > 0, JSON.stringify(ok));
      const bad = await watch(`trawl_${readKey.record.id}_${'A'.repeat(43)}`);
      assert.deepEqual(bad, { opened: false, messages: 0 });
    });

    test('the Firecrawl SDK with its apiKey: requests and the watcher pass, a wrong key gets 401', async () => {
      const firecrawl = new Firecrawl({ apiKey: writeKey.key, apiUrl: service.url });
      const { id } = await firecrawl.startCrawl(site.seeds[0]!, { limit: 3, delay: 0 });
      // A poll interval longer than the test: only the WebSocket (the key as its subprotocol) can end it.
      const watcher = firecrawl.watcher(id, { kind: 'crawl', pollInterval: 60 });
      const done = new Promise<{ status: string }>((resolve, reject) => {
        watcher.on('done', resolve);
        watcher.on('error', reject);
      });
      await watcher.start();
      assert.equal((await done).status, 'completed');
      assert.equal((await firecrawl.getCrawlStatus(id)).status, 'completed');

      const wrong = new Firecrawl({
        apiKey: `trawl_${writeKey.record.id}_${'A'.repeat(43)}`,
        apiUrl: service.url,
      });
      const err = await wrong.getCrawlStatus(id).then(
        () => assert.fail('expected a 401'),
        (e: unknown) => e as SdkError & { status?: number },
      );
      assert.equal(err.status, 401);
      assert.match(err.message, /invalid or revoked API key/);
    });

    test('health, metrics and the API documentation stay public', async () => {
      for (const path of [
        '/health',
        '/health/ready',
        '/metrics',
        '/openapi.json',
        '/docs',
        '/docs/',
        '/docs/json',
        '/docs/static/swagger-ui.css',
        '/docs/static/swagger-initializer.js',
      ]) {
        const res = await call(service.url, 'GET', path);
        assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 200)}`);
        // A bad key on a public route is ignored, not refused.
        const withBad = await call(service.url, 'GET', path, { key: 'trawl_bad' });
        assert.equal(withBad.status, 200, path);
      }
    });

    test('a revoked key stops working within the cache TTL; its last use is recorded', async () => {
      const key = await store.keys.create({ name: 'short-lived', scopes: ['write'] });
      const ok = await call(service.url, 'GET', '/trawl/v1/jobs', { key: key.key });
      assert.equal(ok.status, 200);
      const used = await until('the last use recorded', async () => {
        const k = (await store.keys.list()).find((x) => x.id === key.record.id)!;
        return k.lastUsedAt === null ? null : k;
      });
      assert.ok(Math.abs(used.lastUsedAt! - Date.now()) < 60_000);

      const revokedAt = Date.now();
      await store.keys.revoke(key.record.id);
      const refused = await until('the revoked key refused', async () => {
        const res = await call(service.url, 'GET', '/trawl/v1/jobs', { key: key.key });
        return res.status === 401 ? res : null;
      });
      const lag = Date.now() - revokedAt;
      assert.ok(lag <= CACHE_MS + 500, `refused after ${lag} ms (TTL ${CACHE_MS} ms)`);
      assert.equal(
        (refused.body.error as { message: string }).message,
        'invalid or revoked API key',
      );
      // The other keys are unaffected.
      assert.equal(
        (await call(service.url, 'GET', '/trawl/v1/jobs', { key: writeKey.key })).status,
        200,
      );
    });
  });
}
