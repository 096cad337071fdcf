import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createLinkFilter } from '../../src/core/url/link-filter.js';
import { parsePage } from '../../src/parse/parse-page.js';

const ctx = {
  filter: createLinkFilter({
    scope: 'host',
    seedHosts: ['shop.example.de'],
    include: [],
    exclude: [],
  }),
  respectNofollow: true,
};

test('a latin1 page: decoded title, links, charset and the hash of the raw bytes', () => {
  const html =
    '<title>Gr\xfc\xdfe aus K\xf6ln</title><a href="/k\xe4se">K\xe4se</a><a href="//else.example/">x</a>';
  const body = Buffer.from(html, 'latin1');
  const page = parsePage(
    { url: 'https://shop.example.de/', body, contentType: 'text/html; charset=iso-8859-1' },
    ctx,
  );
  assert.deepEqual(page, {
    title: 'Grüße aus Köln',
    links: ['https://shop.example.de/k%C3%A4se'],
    canonicalUrl: null,
    charset: 'windows-1252',
    noindex: false,
    nofollow: false,
    contentHash: createHash('sha1').update(body).digest('hex'),
    rawLinkCount: 2,
  });
});

test('the same text in another encoding has another hash', () => {
  const job = (body: Buffer) => ({ url: 'https://shop.example.de/', body, contentType: null });
  const utf8 = parsePage(job(Buffer.from('<title>Köln</title>')), ctx);
  const latin1 = parsePage(job(Buffer.from('<title>Köln</title>', 'latin1')), ctx);
  assert.equal(utf8.title, 'Köln');
  assert.equal(latin1.title, 'Köln');
  assert.notEqual(utf8.contentHash, latin1.contentHash);
  assert.match(utf8.contentHash, /^[0-9a-f]{40}$/);
});
