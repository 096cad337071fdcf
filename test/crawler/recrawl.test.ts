/** An incremental recrawl's decisions: which validators a request carries, which label a record gets. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeOf, conditionalHeaders, withChange } from '../../src/crawler/recrawl.js';
import { makeFailedPage, makePage } from '../storage/page-store-contract.js';

const URL_A = 'https://a.test/a';

test('validators go to the URL they came from, only for a page the baseline fetched', () => {
  const prev = makePage(URL_A, { finalUrl: URL_A });
  assert.deepEqual(conditionalHeaders(prev, URL_A), {
    'if-none-match': '"abc123"',
    'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT',
  });
  // A redirected page's validators are its target's.
  const redirected = makePage(URL_A, { finalUrl: 'https://a.test/b' });
  assert.equal(conditionalHeaders(redirected, URL_A), undefined);
  assert.ok(conditionalHeaders(redirected, 'https://a.test/b') !== undefined);
  assert.deepEqual(conditionalHeaders(makePage(URL_A, { finalUrl: null, etag: null }), URL_A), {
    'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT',
  });
  const noValidators = makePage(URL_A, { finalUrl: URL_A, etag: null, lastModified: null });
  assert.equal(conditionalHeaders(noValidators, URL_A), undefined);
  assert.equal(
    conditionalHeaders(makePage(URL_A, { finalUrl: URL_A, status: 404 }), URL_A),
    undefined,
  );
  assert.equal(conditionalHeaders(makeFailedPage(URL_A), URL_A), undefined);
  assert.equal(conditionalHeaders(null, URL_A), undefined);
  assert.equal(conditionalHeaders(undefined, URL_A), undefined);
});

test('labels: new, changed, unchanged (304 or same hash), gone, or nothing to say', () => {
  const prev = makePage(URL_A, { contentHash: 'h1' });
  const now = (o: Parameters<typeof makePage>[1]) => makePage(URL_A, o);
  assert.equal(changeOf(now({ contentHash: 'h1' }), null), 'new');
  assert.equal(changeOf(now({ contentHash: 'h1' }), makeFailedPage(URL_A)), 'new');
  assert.equal(changeOf(now({ contentHash: 'h1' }), makePage(URL_A, { status: 404 })), 'new');
  assert.equal(changeOf(now({ contentHash: 'h2' }), prev), 'changed');
  assert.equal(changeOf(now({ contentHash: null }), prev), 'changed');
  assert.equal(changeOf(now({ contentHash: 'h1' }), prev), 'unchanged');
  assert.equal(changeOf(now({ status: 304, contentHash: 'h1' }), prev), 'unchanged');
  // A 304 baseline (unchanged itself) counts as fetched.
  assert.equal(
    changeOf(now({ contentHash: 'h1' }), makePage(URL_A, { status: 304, contentHash: 'h1' })),
    'unchanged',
  );
  const notFound = (status: number) =>
    makeFailedPage(URL_A, { status, error: 'http_status', errorMessage: `HTTP ${status}` });
  assert.equal(changeOf(notFound(404), prev), 'gone');
  assert.equal(changeOf(notFound(410), prev), 'gone');
  assert.equal(changeOf(notFound(404), null), null);
  assert.equal(changeOf(notFound(503), prev), null);
  assert.equal(changeOf(makeFailedPage(URL_A), prev), null);

  const labelled = withChange(makePage(URL_A, { fields: { markdown: '# a' } }), 'changed');
  assert.deepEqual(labelled.fields, { markdown: '# a', change: 'changed' });
  assert.deepEqual(withChange(makePage(URL_A), 'new').fields, { change: 'new' });
  const plain = makePage(URL_A);
  assert.equal(withChange(plain, null), plain);
});
