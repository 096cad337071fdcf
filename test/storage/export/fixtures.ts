/** Records the export tests write: generic (S5-style) records and stored pages. */
import type { PageRecord } from '../../../src/core/types.js';

/** Awkward on purpose: quotes, commas, newlines, markup, nesting, unicode, controls. */
export const GENERIC: Record<string, unknown>[] = [
  {
    id: 1,
    name: 'Ada "quoted", with comma',
    tags: ['a', 'b'],
    meta: { description: 'first', n: 2 },
    ok: true,
    score: 1.5,
    note: null,
  },
  {
    id: 2,
    name: 'line\nbreak\r\nand <xml> & "stuff"',
    tags: [],
    meta: { description: 'second' },
    ok: false,
    score: -3,
    note: 'x',
  },
  {
    id: 3,
    name: '=SUM(A1:A2)',
    unicode: 'héllo 世界 🎉',
    ctrl: 'bad\u0001char\u0008',
    'odd key!': 'k',
    '1st': 'digit',
  },
];

/** A stored page (successful unless `i % 5 === 4`), with a body when `withBody`. */
export function storedPage(i: number, withBody = true): PageRecord {
  const failed = i % 5 === 4;
  const body = Buffer.from(
    `<!doctype html><html><head><title>Page ${i}</title></head><body>é ${'x'.repeat(i)}</body></html>`,
  );
  return {
    url: `http://site.test/p/${i}?q=${i}`,
    finalUrl: failed
      ? null
      : i === 1
        ? 'http://site.test/moved/1'
        : `http://site.test/p/${i}?q=${i}`,
    status: failed ? null : i === 3 ? 404 : 200,
    title: failed ? null : `Page ${i}, "quoted"`,
    depth: i % 3,
    contentType: failed ? null : 'text/html; charset=utf-8',
    fetchedAt: 1_700_000_000_000 + i * 1000,
    error: failed ? 'timeout' : null,
    errorMessage: failed ? 'no response within 15000 ms' : null,
    attempts: failed ? 4 : 1,
    etag: failed ? null : `"e${i}"`,
    lastModified: null,
    contentHash: failed ? null : `${i}`.padStart(40, '0'),
    contentLength: failed ? null : body.length,
    charset: failed ? null : 'utf-8',
    canonicalUrl: null,
    linkCount: i,
    durationMs: failed ? null : 10 + i,
    headers: failed
      ? {}
      : {
          'content-type': 'text/html; charset=utf-8',
          'content-length': '999',
          'content-encoding': 'gzip',
          server: 'test',
        },
    body: failed || !withBody ? null : body,
  };
}

export async function* asyncPages(pages: PageRecord[]): AsyncIterable<PageRecord> {
  yield* pages;
}
