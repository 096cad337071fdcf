/** clean (S2's cleaner) and score (the quality formula, completeness, minQuality). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanHandler } from '../../src/pipeline/handlers/clean-text.js';
import { scoreHandler } from '../../src/pipeline/handlers/score-quality.js';
import { output, runOne } from './pipeline-support.js';

describe('clean', () => {
  test('HTML left in text, entities, invisible characters, boilerplate and whitespace', async () => {
    const text = [
      '<p>Caf&eacute;   de\u00A0Flore</p><script>track()</script>',
      'Accept all cookies',
      '',
      '',
      '',
      'Open\u200B daily\u0007 &amp; late.',
      'Share on Facebook Twitter',
      '© 2024 Example Ltd. All rights reserved.',
      'We use cookies to improve this sentence, which is content because it is a long sentence that continues well past a short banner and so it stays in the text as written by the author of the article, who goes on and on about cookies and other baked goods for over two hundred characters in total.',
    ].join('\r\n');
    const out = await output(
      cleanHandler,
      {},
      { text, title: '  A\u200D  title ', url: 'https://x.test/a&amp;b', markdown: '`<div>`' },
    );
    assert.equal(out.title, 'A title');
    assert.equal(out.url, 'https://x.test/a&amp;b', 'URLs are not text');
    assert.equal(out.markdown, '`<div>`', 'markdown is left alone by default');
    const lines = String(out.text).split('\n');
    assert.deepEqual(lines.slice(0, 4), ['Café de Flore', '', 'Open daily & late.', lines[3]]);
    assert.match(lines[3]!, /^We use cookies to improve this sentence/);
    assert.equal(lines.length, 4);
  });

  test('nested fields, chosen fields, extra boilerplate, single-line mode', async () => {
    const item = {
      a: ' x  <b>y</b> ',
      nested: { list: ['Skip to content', 'Keep  me'] },
      other: '  untouched  ',
    };
    const all = await output(cleanHandler, {}, item);
    assert.deepEqual(all.nested, { list: ['', 'Keep me'] });
    const some = await output(
      cleanHandler,
      { fields: ['a'], extraBoilerplate: ['^keep'], preserveNewlines: false },
      item,
    );
    assert.deepEqual(some, { ...item, a: 'x y' });
    const custom = await output(
      cleanHandler,
      { fields: ['nested.list'], extraBoilerplate: ['^keep'] },
      item,
    );
    assert.deepEqual(custom.nested, { list: ['', ''] });
    const [r] = await runOne(cleanHandler, {}, { text: 'Hello\nBack to top' });
    assert.equal(r!.item!.text, 'Hello');
    assert.match(r!.logs[0]!.message, /removed 1 boilerplate line/);
  });

  test('steps can be turned off', async () => {
    const out = await output(
      cleanHandler,
      { html: false, invisible: false, boilerplate: false, unicode: false },
      { t: '<b>x</b>\u200B\nPrint' },
    );
    assert.equal(out.t, '<b>x</b>\u200B\nPrint');
  });
});

describe('score', () => {
  const page = {
    url: 'https://x.test/',
    status: 200,
    title: 'A page',
    text: 'w'.repeat(1500),
    metadata: { description: 'about', language: 'en' },
    extraction: { boilerplateRatio: 0.2 },
    duplicateOf: null,
  };

  test('the page formula: weighted signals, status and duplicate factors', async () => {
    const full = await output(scoreHandler, { explain: true }, page);
    // (0.4·1 + 0.2·0.8 + 0.15 + 0.15 + 0.1) / 1.0
    assert.equal(full.quality, 0.96);
    assert.deepEqual(full.qualitySignals, {
      length: 1,
      title: 1,
      description: 1,
      language: 1,
      boilerplate: 0.8,
      status: 1,
      duplicate: 1,
    });
    const half = await output(
      scoreHandler,
      {},
      { ...page, text: 'w'.repeat(750), extraction: undefined, metadata: {} },
    );
    // no boilerplate signal: (0.4·0.5 + 0.15) / 0.8
    assert.equal(half.quality, 0.438);
    assert.equal((await output(scoreHandler, {}, { ...page, status: 404 })).quality, 0);
    assert.equal(
      (await output(scoreHandler, {}, { ...page, duplicateOf: 'https://x.test/other' })).quality,
      0.48,
    );
    assert.equal((await output(scoreHandler, { field: 'q' }, { markdown: '' })).q, 0);
  });

  test('minQuality drops low items with the score in the reason', async () => {
    const [low, high] = await runOne(
      scoreHandler,
      { minQuality: 0.6 },
      { ...page, title: '', text: 'short', metadata: {} },
      page,
    );
    assert.equal(low!.item, null);
    assert.match(low!.dropped!.reason, /^quality 0\.\d+ is below minQuality 0\.6$/);
    assert.equal(high!.item!.quality, 0.96);
  });

  test('completeness over configured fields, with weights', async () => {
    const item = { name: 'A', email: '', phone: null, tags: [], city: 'Paris' };
    assert.equal(
      (await output(scoreHandler, { fields: ['name', 'email', 'phone', 'city'] }, item)).quality,
      0.5,
    );
    assert.equal(
      (await output(scoreHandler, { fields: { name: 3, email: 1 } }, item)).quality,
      0.75,
    );
  });
});
