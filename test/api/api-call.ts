/** HTTP calls of the API tests over a real socket, with or without an API key. */
import assert from 'node:assert/strict';
import { request } from 'undici';

/** A response as a client sees it: the body parsed when it is JSON. */
export interface Res {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request to `base + path`; `key` goes in `Authorization: Bearer`, `authorization` verbatim. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { key?: string; authorization?: string; body?: unknown } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  const res = await request(base + path, {
    method: method as 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.body.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    // Not JSON (metrics, docs): the text is there.
  }
  return { status: res.statusCode, body, text, headers: res.headers };
}

/** Polls `fn` until it returns non-null (throws past the deadline). */
export async function until<T>(
  what: string,
  fn: () => Promise<T | null>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** No stack trace or internal path in a response. */
export const noInternals = (res: Res): void =>
  assert.doesNotMatch(res.text, /\n\s+at |\/work\/|node_modules|dist\/src/);

/** Waits until the service requires keys (it notices a new first key within its refresh). */
export async function waitForAuth(base: string): Promise<void> {
  await until('the service to require keys', async () => {
    const res = await call(base, 'GET', '/trawl/v1/jobs');
    return res.status === 401 ? res : null;
  });
}
