import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { fastSkipActive, ScanTokenizer } from '../../src/parse/scan-tokenizer.js';
import { readFixture } from '../support/html-fixtures/read-fixture.js';

function events(Ctor: typeof Tokenizer, input: string, chunkSize: number): string {
  const out: string[] = [];
  const cb =
    (name: string) =>
    (...args: unknown[]) =>
      out.push(`${name}(${args.join(',')})`);
  const cbs: TokenizerCallbacks = {
    onattribdata: cb('ad'),
    onattribentity: cb('ae'),
    onattribend: cb('aq'),
    onattribname: cb('an'),
    oncdata: cb('cd'),
    onclosetag: cb('ct'),
    oncomment: cb('co'),
    ondeclaration: cb('de'),
    onend: cb('end'),
    onopentagend: cb('oe'),
    onopentagname: cb('ot'),
    onprocessinginstruction: cb('pi'),
    onselfclosingtag: cb('sc'),
    ontext: cb('tx'),
    ontextentity: cb('te'),
  };
  const tokenizer = new Ctor({ decodeEntities: false }, cbs);
  for (let i = 0; i < input.length; i += chunkSize) tokenizer.write(input.slice(i, i + chunkSize));
  tokenizer.end();
  return out.join(' ');
}

test('the fast skip is active with the htmlparser2 Trawl ships', () => {
  assert.equal(fastSkipActive, true);
});

test('ScanTokenizer reports exactly the events of the stock tokenizer', () => {
  const article = readFixture('news-article.html');
  const odd =
    '<p title="unterminated>text <!-- never closed <a href="/x">' +
    "<a href='/y'>y<script>var s = '</scr' + 'ipt>';</script><textarea>a < b</textarea>";
  for (const input of [article, odd, '', 'plain text only', '<', '<a href="x']) {
    for (const chunk of [1 << 20, 7]) {
      assert.equal(events(ScanTokenizer, input, chunk), events(Tokenizer, input, chunk));
    }
  }
});
