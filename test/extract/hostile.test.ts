/**
 * Hostile HTML: deep nesting, giant attributes, unclosed tags, megabytes of text. Each
 * must extract without throwing and in time linear in its size (generous bounds for a
 * shared 2-core machine; the quadratic behaviours these guard against take 10 s+).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractFields, type ExtractOptions } from '../../src/extract/extract-fields.js';
import { MAX_DEPTH } from '../../src/extract/dom/parse-html.js';

const ALL: ExtractOptions = { formats: ['markdown', 'metadata', 'structured', 'links', 'text'] };

function timed(
  html: string,
  options: ExtractOptions = ALL,
): { ms: number; r: ReturnType<typeof extractFields> } {
  const start = performance.now();
  const r = extractFields(html, 'https://hostile.example/', options);
  return { ms: performance.now() - start, r };
}

for (const tag of ['div', 'b', 'span', 'ul', 'li', 'blockquote', 'table', 'a', 'em', 'section']) {
  test(`100,000 nested <${tag}> elements, closed and unclosed`, () => {
    const n = 100_000;
    const open = tag === 'a' ? '<a href="/x">' : `<${tag} itemscope typeof="T" property="p">`;
    for (const html of [
      open.repeat(n) + 'deep text' + `</${tag}>`.repeat(n) + '<p>after</p>',
      open.repeat(n) + 'deep',
    ]) {
      const { ms, r } = timed(`<body><main>${html}</main></body>`);
      assert.ok(ms < 8000, `${ms} ms`);
      assert.match(r.text ?? '', /deep/);
      JSON.stringify(r);
    }
  });
}

test('the depth cap keeps elements below MAX_DEPTH and their text', () => {
  const n = MAX_DEPTH * 3;
  const html = '<div>'.repeat(n) + 'bottom' + '</div>'.repeat(n) + '<p>tail</p>';
  const r = extractFields(html, 'https://hostile.example/', {
    formats: ['text'],
    onlyMainContent: false,
  });
  assert.equal(r.text, 'bottom\n\ntail');
});

test('a 10 MB attribute, 10 MB of text, and 50,000 unclosed <p>', () => {
  const cases = [
    `<body><main><p data-x="${'a'.repeat(10_000_000)}">short</p></main></body>`,
    `<body><main><p>${'word '.repeat(2_000_000)}</p></main></body>`,
    `<body><main>${'<p>x'.repeat(50_000)}</main></body>`,
    `<body><main>${'<li>item '.repeat(50_000)}</main></body>`,
    `<body><table>${'<tr><td>c<td>d'.repeat(30_000)}</table></body>`,
    `<body>${'<a href="/l">link</a>'.repeat(50_000)}</body>`,
    `<script type="application/ld+json">${'['.repeat(100_000)}</script><body>x</body>`,
  ];
  for (const html of cases) {
    const { ms, r } = timed(html);
    assert.ok(ms < 15_000, `${ms} ms for ${html.slice(0, 40)}`);
    assert.equal(typeof r.markdown, 'string');
  }
});

test('garbage: unclosed comments, stray end tags, NUL bytes, broken entities', () => {
  for (const html of [
    '<!--',
    '</div></p></li>',
    '\u0000<p>\u0000a</p>',
    '<p>&#xFFFFFFFF; &bogus; &amp</p>',
    '<',
    '',
    '<html><html><body><body>',
  ]) {
    const r = extractFields(html, 'not a url', ALL);
    assert.equal(typeof r.markdown, 'string');
  }
});
