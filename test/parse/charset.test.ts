import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { charsetParam, decodeHtml } from '../../src/parse/charset.js';

/** Bytes from ASCII text with raw byte values spliced in (`{d6 d0}` -> 0xd6 0xd0). */
function bytes(template: string): Buffer {
  const out: number[] = [];
  const re = /\{([0-9a-f ]+)\}|([^{]+)/gi;
  for (const m of template.matchAll(re)) {
    if (m[1] !== undefined) for (const h of m[1].trim().split(/\s+/)) out.push(parseInt(h, 16));
    else for (const ch of m[2] as string) out.push(ch.charCodeAt(0));
  }
  return Buffer.from(out);
}

// 中文标题 in GBK, 日本語 in Shift_JIS, é in latin1.
const GBK_TITLE = '{d6 d0 ce c4 b1 ea cc e2}';
const SJIS_TEXT = '{93 fa 96 7b 8c ea}';

describe('decodeHtml', () => {
  test('latin1 page declared by <meta charset>', () => {
    const body = bytes('<html><head><meta charset=iso-8859-1><title>Caf{e9}</title>');
    const { text, charset } = decodeHtml(body, 'text/html');
    assert.equal(charset, 'windows-1252');
    assert.match(text, /<title>Café<\/title>/);
  });

  test('latin1 page declared by the Content-Type header', () => {
    const body = bytes('<title>Caf{e9} cr{e8}me</title>');
    const { text, charset } = decodeHtml(body, 'text/html; charset=ISO-8859-1');
    assert.equal(charset, 'windows-1252');
    assert.equal(text, '<title>Café crème</title>');
  });

  test('windows-1252 bytes 0x80-0x9f decode to their windows-1252 characters', () => {
    // Node 20's own TextDecoder('windows-1252') would give C1 controls here.
    const body = bytes('{80} {93}quoted{94} {96} {99}');
    const { text } = decodeHtml(body, 'text/html; charset=windows-1252');
    assert.equal(text, '€ “quoted” – ™');
  });

  test('GBK page with a Chinese title, declared by the header', () => {
    const body = bytes(`<html><head><title>${GBK_TITLE}</title></head></html>`);
    const { text, charset } = decodeHtml(body, 'text/html;charset="GBK"');
    assert.equal(charset, 'gbk');
    assert.match(text, /<title>中文标题<\/title>/);
  });

  test('GBK page declared by <meta http-equiv=Content-Type content=...>', () => {
    const body = bytes(
      '<html><head><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=gb2312">' +
        `<title>${GBK_TITLE}</title>`,
    );
    const { text, charset } = decodeHtml(body, null);
    assert.equal(charset, 'gbk');
    assert.match(text, /<title>中文标题<\/title>/);
  });

  test('Shift_JIS page', () => {
    const body = bytes(`<meta charset="Shift_JIS"><p>${SJIS_TEXT}</p>`);
    const { text, charset } = decodeHtml(body, 'text/html');
    assert.equal(charset, 'shift_jis');
    assert.equal(text, '<meta charset="Shift_JIS"><p>日本語</p>');
  });

  test('a UTF-8 BOM wins over the header and is not part of the text', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<p>é</p>')]);
    const { text, charset } = decodeHtml(body, 'text/html; charset=iso-8859-1');
    assert.equal(charset, 'utf-8');
    assert.equal(text, '<p>é</p>');
  });

  test('a UTF-16LE BOM', () => {
    const body = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('<title>Ünïcödé</title>', 'utf16le'),
    ]);
    const { text, charset } = decodeHtml(body, 'text/html; charset=utf-8');
    assert.equal(charset, 'utf-16le');
    assert.equal(text, '<title>Ünïcödé</title>');
  });

  test('a UTF-16BE BOM', () => {
    const le = Buffer.from('<p>ok €</p>', 'utf16le');
    const be = Buffer.alloc(le.length);
    for (let i = 0; i < le.length; i += 2) {
      be[i] = le[i + 1] as number;
      be[i + 1] = le[i] as number;
    }
    const { text, charset } = decodeHtml(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), null);
    assert.equal(charset, 'utf-16be');
    assert.equal(text, '<p>ok €</p>');
  });

  test('undeclared bytes that are not valid UTF-8 are read as windows-1252', () => {
    const { text, charset } = decodeHtml(bytes('<p>caf{e9} {80}5</p>'), null);
    assert.equal(charset, 'windows-1252');
    assert.equal(text, '<p>café €5</p>');
  });

  test('undeclared valid UTF-8 is read as UTF-8', () => {
    const { text, charset } = decodeHtml(Buffer.from('<p>café ☕ 中文</p>'), 'text/html');
    assert.equal(charset, 'utf-8');
    assert.equal(text, '<p>café ☕ 中文</p>');
  });

  test('UTF-8 cut in the middle of a character (body size limit) is still UTF-8', () => {
    const full = Buffer.from('<p>café ☕</p><p>☕');
    const cut = full.subarray(0, full.length - 1);
    const { text, charset } = decodeHtml(cut, null);
    assert.equal(charset, 'utf-8');
    assert.ok(text.startsWith('<p>café ☕</p><p>'));
  });

  test('the header wins over a conflicting <meta>', () => {
    const body = Buffer.from('<meta charset="windows-1252"><p>é</p>');
    const { text, charset } = decodeHtml(body, 'text/html; charset=utf-8');
    assert.equal(charset, 'utf-8');
    assert.equal(text, '<meta charset="windows-1252"><p>é</p>');
  });

  test('an unknown header charset falls back to the <meta> declaration', () => {
    const body = bytes('<meta charset="iso-8859-1"><p>caf{e9}</p>');
    const { text, charset } = decodeHtml(body, 'text/html; charset=no-such-charset');
    assert.equal(charset, 'windows-1252');
    assert.equal(text, '<meta charset="iso-8859-1"><p>café</p>');
  });

  test('an unknown <meta> charset falls back to sniffing', () => {
    const { charset } = decodeHtml(Buffer.from('<meta charset="klingon"><p>é</p>'), null);
    assert.equal(charset, 'utf-8');
  });

  test('a <meta> declaring UTF-16 means UTF-8 (the bytes were readable as ASCII)', () => {
    const { text, charset } = decodeHtml(Buffer.from('<meta charset="utf-16"><p>é</p>'), null);
    assert.equal(charset, 'utf-8');
    assert.equal(text, '<meta charset="utf-16"><p>é</p>');
  });

  test('a <meta> inside a comment, or past the first 1024 bytes, is not a declaration', () => {
    const commented = bytes('<!-- <meta charset="gbk"> --><p>caf{e9}</p>');
    assert.equal(decodeHtml(commented, null).charset, 'windows-1252');
    const late = bytes(`<p>${'x'.repeat(1100)}</p><meta charset="gbk"><p>caf{e9}</p>`);
    assert.equal(decodeHtml(late, null).charset, 'windows-1252');
  });

  test('content=...charset=... counts only with http-equiv=content-type', () => {
    const noPragma = bytes('<meta content="text/html; charset=gbk"><p>caf{e9}</p>');
    assert.equal(decodeHtml(noPragma, null).charset, 'windows-1252');
    const pragma = bytes(
      "<meta content='text/html; charset=koi8-r' http-equiv='content-type'><p>{c1}</p>",
    );
    const { text, charset } = decodeHtml(pragma, null);
    assert.equal(charset, 'koi8-r');
    assert.equal(text.slice(-8), '<p>а</p>');
  });

  test('the <meta> scan skips other tags and their attributes', () => {
    const body = bytes(
      '<!DOCTYPE html><html lang="fr" data-x="<meta charset=gbk>"><head>' +
        '<meta name="viewport" content="width=device-width"><meta charset=\'euc-kr\'>' +
        '<p>{c7 d1 b1 b9 be ee}</p>',
    );
    const { text, charset } = decodeHtml(body, null);
    assert.equal(charset, 'euc-kr');
    assert.ok(text.endsWith('<p>한국어</p>'));
  });

  test('an empty body', () => {
    assert.deepEqual(decodeHtml(Buffer.alloc(0), null), { text: '', charset: 'utf-8' });
  });
});

describe('charsetParam', () => {
  test('reads the charset parameter of a Content-Type', () => {
    assert.equal(charsetParam('text/html; charset=UTF-8'), 'utf-8');
    assert.equal(charsetParam('text/html;charset="Shift_JIS"; foo=bar'), 'shift_jis');
    assert.equal(charsetParam('text/html; foo=bar; charset = gbk '), 'gbk');
    assert.equal(charsetParam('text/html'), null);
    assert.equal(charsetParam('text/html; charset='), null);
    assert.equal(charsetParam('text/html; xcharset=big5'), null);
  });
});
