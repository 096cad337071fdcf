/**
 * Raw JSON requests to a test service (undici, no SDK), and the check of Firecrawl's
 * error shape, for the tests of what a client sees on the wire.
 */
import assert from 'node:assert/strict';
import { request } from 'undici';

export type Body = Record<string, unknown>;

export interface JsonAnswer {
  status: number;
  body: Body;
}

/** `path` is relative to `base`, or an absolute URL (a `next` link). */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonAnswer> {
  const res = await request(path.startsWith('http') ? path : base + path, {
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? {} : (JSON.parse(text) as Body) };
}

/** `{success: false, error, code}` with this status and code, and nothing internal in it. */
export function assertFirecrawlError(res: JsonAnswer, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.success, false);
  assert.equal(res.body.code, code);
  assert.equal(typeof res.body.error, 'string');
  assert.ok(!/node_modules|\/work\/|at .*\.js/.test(JSON.stringify(res.body)), 'no internals');
}
