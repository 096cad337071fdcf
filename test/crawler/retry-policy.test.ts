import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRetry, isRetryableStatus, parseRetryAfter } from '../../src/crawler/retry-policy.js';

const options = { maxRetries: 3, retryBaseMs: 1_000, retryMaxMs: 5_000, maxRetryAfterMs: 60_000 };

test('which statuses are retried', () => {
  for (const s of [408, 429, 500, 502, 503, 504])
    assert.equal(isRetryableStatus(s), true, String(s));
  for (const s of [200, 301, 400, 401, 403, 404, 410])
    assert.equal(isRetryableStatus(s), false, String(s));
});

test('backoff doubles with equal jitter, capped, and stops after maxRetries', () => {
  const at = (attempts: number, r: number) => decideRetry(options, attempts, 500, null, () => r);
  assert.deepEqual(at(1, 0), { retry: true, delayMs: 500, pauseHost: false });
  assert.deepEqual(at(1, 0.999999), { retry: true, delayMs: 1_000, pauseHost: false });
  assert.deepEqual(at(2, 0), { retry: true, delayMs: 1_000, pauseHost: false });
  assert.deepEqual(at(3, 0), { retry: true, delayMs: 2_000, pauseHost: false });
  assert.equal(at(4, 0).retry, false);
  const capped = decideRetry({ ...options, maxRetries: 10 }, 8, 500, null, () => 0);
  assert.deepEqual(capped, { retry: true, delayMs: 2_500, pauseHost: false });
});

test('Retry-After is honoured for 429/503 and pauses the host; too long fails', () => {
  assert.deepEqual(decideRetry(options, 1, 429, 7_000), {
    retry: true,
    delayMs: 7_000,
    pauseHost: true,
  });
  assert.deepEqual(decideRetry(options, 1, 503, 2_000), {
    retry: true,
    delayMs: 2_000,
    pauseHost: true,
  });
  assert.equal(decideRetry(options, 1, 429, 120_000).retry, false);
  assert.equal(decideRetry(options, 1, 429, null).retry, true);
});

test('Retry-After parses seconds and HTTP dates', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(undefined, now), null);
});
