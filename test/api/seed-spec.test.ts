/**
 * The S1 task's job spec (seedSpec) is parsed once and copied for each task: every task
 * must still get exactly the spec a full parse of its input gives (the same fields, in
 * the same order, so the same JSON), the same error for a refused URL, and a spec of its
 * own (changing one task's spec leaves the next one's alone).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parsedSeedSpec,
  seedSpec,
  type SeedTaskInput,
} from '../../src/api/routes/seed/seed-task.js';
import type { ApiSettings, TargetPolicy } from '../../src/api/app-deps.js';
import { createAddressGuard } from '../../src/fetch/http/address-guard.js';

function policy(allow: string[]): TargetPolicy {
  const guard = { allow };
  const check = createAddressGuard(guard);
  return { guard, check: (url) => check.checkUrl(url) };
}

const settings: ApiSettings = {
  publicUrl: 'http://127.0.0.1:3000',
  maxUrls: 1000,
  bodyLimitBytes: 1 << 20,
  scrapeTimeoutMs: 30_000,
  rateLimitPerMinute: 0,
  apiKeyCacheMs: 1000,
  firecrawlPageSize: 100,
  artifactsTarget: '/tmp/artifacts',
};

const inputs: SeedTaskInput[] = [
  { url: 'http://127.0.0.1:9/' },
  { url: 'http://127.0.0.2:8080/a?b=1', max_depth: 3 },
  { url: 'http://127.0.0.1:9/p', max_pages: 7 },
  { url: 'http://127.0.0.1:9/d', delay_ms: 0 },
  { url: 'http://127.0.0.1:9/s', store_body: false },
  { url: 'https://127.0.0.3/x', max_depth: 0, max_pages: 1, delay_ms: 600_000, store_body: true },
  { url: 'http://127.0.0.1:9/' },
];

/** The error a call throws, as a client sees it (code, message, field). */
function errorOf(call: () => unknown): unknown {
  try {
    call();
  } catch (err) {
    const e = err as { code?: string; message: string; field?: string };
    return { code: e.code, message: e.message, field: e.field };
  }
  return assert.fail('expected an error');
}

describe('seedSpec', () => {
  for (const prefix of ['body.', '']) {
    test(`gives what a full parse gives, task after task (prefix "${prefix}")`, () => {
      const targets = policy(['127.0.0.0/8']);
      for (const input of [...inputs, ...inputs]) {
        const fast = seedSpec(input, targets, settings, prefix);
        const full = parsedSeedSpec(input, targets, settings, prefix);
        assert.equal(JSON.stringify(fast), JSON.stringify(full), JSON.stringify(input));
      }
    });

    test(`refuses a URL the policy refuses with the full parse's error (prefix "${prefix}")`, () => {
      const targets = policy([]);
      // The first call parses in full; later ones use the copy (the URL still checked).
      for (let i = 0; i < 3; i++) {
        const input = { url: 'http://127.0.0.1:9/' };
        const fast = errorOf(() => seedSpec(input, targets, settings, prefix));
        assert.deepEqual(
          fast,
          errorOf(() => parsedSeedSpec(input, targets, settings, prefix)),
        );
        assert.deepEqual(fast, {
          code: 'target_refused',
          message: (fast as { message: string }).message,
          field: `${prefix}url`,
        });
        assert.match((fast as { message: string }).message, new RegExp(`^${prefix}url: `));
      }
      // An allowed host name still passes after refusals.
      assert.deepEqual(seedSpec({ url: 'http://example.com/' }, targets, settings, prefix).seeds, [
        'http://example.com/',
      ]);
    });
  }

  test('each task gets a spec of its own', () => {
    const targets = policy(['127.0.0.0/8']);
    const first = seedSpec({ url: 'http://127.0.0.1:9/a' }, targets, settings, 'body.');
    first.exclude.push('x');
    first.addressGuard!.allow.push('10.0.0.0/8');
    first.browserViewport.width = 1;
    const second = seedSpec({ url: 'http://127.0.0.1:9/b' }, targets, settings, 'body.');
    assert.deepEqual(second.exclude, []);
    assert.deepEqual(second.addressGuard, { allow: ['127.0.0.0/8'] });
    assert.equal(second.browserViewport.width, 1280);
    assert.deepEqual(second.seeds, ['http://127.0.0.1:9/b']);
  });

  test('another target policy or settings gets its own spec', () => {
    const a = policy(['127.0.0.0/8']);
    const b = policy(['127.0.0.0/8', 'example.org']);
    seedSpec({ url: 'http://127.0.0.1:9/' }, a, settings, 'body.');
    const spec = seedSpec({ url: 'http://127.0.0.1:9/' }, b, settings, 'body.');
    assert.deepEqual(spec.addressGuard, { allow: ['127.0.0.0/8', 'example.org'] });
    const fewer = { ...settings, maxUrls: 0 };
    const refused = errorOf(() => seedSpec({ url: 'http://127.0.0.1:9/' }, a, fewer, 'body.'));
    assert.deepEqual(refused, {
      code: 'invalid_request',
      message: 'body.url: at most 0 URLs per request',
      field: 'body.url',
    });
  });
});
