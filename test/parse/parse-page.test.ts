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

test('multi-byte encodings scanned as bytes: only kept strings are decoded, correctly', () => {
  const sjis = Buffer.concat([
    Buffer.from('<title>'),
    Buffer.from([0x82, 0xa0, 0x82, 0xa2]), // あい
    Buffer.from(' &amp; &lt;b&gt;</title><a href="/'),
    Buffer.from([0x82, 0xa0]),
    Buffer.from('">x</a><a href="/plain">y</a>'),
  ]);
  const page = parsePage(
    { url: 'https://shop.example.de/', body: sjis, contentType: 'text/html; charset=Shift_JIS' },
    ctx,
  );
  assert.equal(page.title, 'あい & <b>');
  assert.equal(page.charset, 'shift_jis');
  assert.deepEqual(page.links, [
    'https://shop.example.de/%E3%81%82',
    'https://shop.example.de/plain',
  ]);

  const utf8 = Buffer.from(
    '\ufeff<title>caf\u00e9 \u2014 \ud83d\ude00</title><a href="/\u00e9">e</a>',
  );
  const u = parsePage({ url: 'https://shop.example.de/', body: utf8, contentType: null }, ctx);
  assert.equal(u.title, 'café — 😀');
  assert.equal(u.charset, 'utf-8');
  assert.deepEqual(u.links, ['https://shop.example.de/%C3%A9']);

  // UTF-16 cannot be scanned as bytes ('<' is 3C 00): it is decoded whole first.
  const utf16 = Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from('<title>wide</title>', 'utf16le'),
  ]);
  assert.equal(
    parsePage({ url: 'https://shop.example.de/', body: utf16, contentType: null }, ctx).title,
    'wide',
  );
});
