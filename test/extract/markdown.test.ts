/** Markdown rendering rules, one small page each. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractFields, type ExtractOptions } from '../../src/extract/extract-fields.js';

const URL_ = 'https://example.com/docs/page.html';
const md = (body: string, options: Partial<ExtractOptions> = {}, head = ''): string =>
  extractFields(`<html><head>${head}</head><body>${body}</body></html>`, URL_, {
    formats: ['markdown'],
    onlyMainContent: false,
    ...options,
  }).markdown ?? '';

test('headings, paragraphs, emphasis, strike, hr, entities', () => {
  assert.equal(
    md(
      '<h1>T&amp;C</h1><p>a <b>bold</b> and <i>it</i> and <del>gone</del> &lt;x&gt; &copy;</p><hr><h3>Sub</h3>',
    ),
    '# T&C\n\na **bold** and *it* and ~~gone~~ \\<x> ©\n\n---\n\n### Sub',
  );
});

test('whitespace collapses across elements; spaces stay outside delimiters', () => {
  assert.equal(
    md('<p>  one\n\n  <em> two </em>three  </p>\n\n\n<p>\tfour</p>'),
    'one *two* three\n\nfour',
  );
  assert.equal(md('<p>x<strong> </strong>y</p>'), 'x y');
});

test('nested lists, ordered start, loose items', () => {
  assert.equal(
    md('<ul><li>a<ul><li>b<ol start="3"><li>c</li><li>d</li></ol></li></ul></li><li>e</li></ul>'),
    '- a\n  - b\n    3. c\n    4. d\n- e',
  );
  assert.equal(md('<ol><li><p>p1</p><p>p2</p></li></ol>'), '1. p1\n\n   p2');
});

test('tables: GFM pipes, | escaped, header row, colspan, no-header tables', () => {
  assert.equal(
    md(
      '<table><tr><th>a</th><th>b|c</th></tr><tr><td colspan="2">wide</td></tr><tr><td>1<br>2</td></tr></table>',
    ),
    '| a | b\\|c |\n| --- | --- |\n| wide |  |\n| 1 2 |  |',
  );
  assert.equal(
    md('<table><tr><td>x</td><td>y</td></tr></table>'),
    '|  |  |\n| --- | --- |\n| x | y |',
  );
  // One column: layout, not data.
  assert.equal(md('<table><tr><td><p>only</p></td></tr></table>'), 'only');
});

test('code: fenced with language, backticks in code, inline code, links inside code', () => {
  assert.equal(
    md('<pre class="lang-ts"><code>let a = 1;\n\n\nlet b = `x`;\n</code></pre>'),
    '```ts\nlet a = 1;\n\n\nlet b = `x`;\n```',
  );
  assert.equal(
    md('<pre><code class="language-sh">echo ```</code></pre>'),
    '````sh\necho ```\n````',
  );
  assert.equal(md('<p>use <code>a`b</code> and <code>*x*</code></p>'), 'use ``a`b`` and `*x*`');
  assert.equal(
    md('<p><code><a href="List.html">List</a>&lt;E&gt;</code></p>'),
    '[`List`](https://example.com/docs/List.html)`<E>`',
  );
});

test('blockquote, br, escaping of Markdown syntax in text', () => {
  assert.equal(md('<blockquote><p>a</p><p>b<br>c</p></blockquote>'), '> a\n>\n> b\\\n> c');
  assert.equal(
    md('<p>1. not a list * star _under_ snake_case [a](b)</p>'),
    '1\\. not a list \\* star \\_under\\_ snake_case \\[a\\](b)',
  );
  assert.equal(md('<p># not a heading</p>'), '\\# not a heading');
});

test('links absolute against the page and <base href>; javascript: dropped', () => {
  assert.equal(md('<p><a href="../x?a=1&amp;b=2">X</a></p>'), '[X](https://example.com/x?a=1&b=2)');
  assert.equal(
    md('<p><a href="y (1).html">Y</a></p>', {}, '<base href="https://cdn.example/b/">'),
    '[Y](https://cdn.example/b/y%20(1).html)'.replace('(1)', '%281%29'),
  );
  assert.equal(md('<p><a href="javascript:go()">Go</a></p>'), 'Go');
});

test('images: absolute, lazy src, images:false drops them', () => {
  const body =
    '<p><img src="a.png" alt="A [1]"> <img src="data:image/gif;base64,x" data-src="/lazy.png" alt=""></p>';
  assert.equal(
    md(body),
    '![A \\[1\\]](https://example.com/docs/a.png) ![](https://example.com/lazy.png)',
  );
  assert.equal(md(body, { images: false }), '');
  assert.equal(
    md('<p>x <a href="/"><img src="/i.png" alt="home"></a></p>'),
    'x [![home](https://example.com/i.png)](https://example.com/)',
  );
});

test('script, style, template, svg, hidden and aria-hidden never render', () => {
  assert.equal(
    md(
      '<p>a</p><script>x</script><style>p{}</style><template><p>t</p></template><svg><text>s</text></svg><p hidden>h</p><p aria-hidden="true">ah</p><p style="display: none">dn</p><noscript>ns</noscript>',
    ),
    'a',
  );
});

test('onlyMainContent: <main> preferred, boilerplate dropped; false keeps everything', () => {
  const page =
    '<nav><a href="/">Home</a></nav><div class="cookie-banner"><p>We use cookies</p></div>' +
    '<main><p>Main text that is long enough to count as the content of this page.</p>' +
    '<div class="share-links"><a href="/s">Share</a></div><aside>Side</aside></main><footer>Foot</footer>';
  assert.equal(
    md(page, { onlyMainContent: true }),
    'Main text that is long enough to count as the content of this page.',
  );
  assert.match(
    md(page, { onlyMainContent: false }),
    /Home[\s\S]*cookies[\s\S]*Share[\s\S]*Side[\s\S]*Foot/,
  );
});

test('onlyMainContent without landmarks: the densest block wins over link lists', () => {
  const para =
    '<p>This paragraph has real sentences, with commas, and enough text to score well here.</p>';
  const page = `<div id="menu"><a href="/1">One</a> <a href="/2">Two</a></div><div id="body">${para.repeat(3)}</div><div><a href="/x">A link list entry that is long</a></div>`;
  assert.equal(md(page, { onlyMainContent: true }), Array(3).fill(para.slice(3, -4)).join('\n\n'));
});

test('includeSelectors restrict, excludeSelectors remove, bad selectors name the option', () => {
  const page =
    '<div class="a"><p>A</p><p class="x">AX</p></div><div class="b"><p>B</p></div><div class="a"><p>A2</p></div>';
  assert.equal(md(page, { includeSelectors: ['.a'], excludeSelectors: ['.x'] }), 'A\n\nA2');
  assert.equal(md(page, { excludeSelectors: ['.a', 'p.x'] }), 'B');
  assert.throws(
    () => md(page, { includeSelectors: ['p', 'div[['] }),
    /invalid CSS selector "div\[\[" in includeSelectors\[1\]/,
  );
});

test('text format: same content, no markup; stats', () => {
  const r = extractFields(
    '<body><nav>Menu entries here</nav><main><h1>Title</h1><p>Some <b>bold</b> <a href="/l">link</a>.</p><ul><li>a</li><li>b</li></ul></main></body>',
    URL_,
    { formats: ['text'] },
  );
  assert.equal(r.text, 'Title\n\nSome bold link.\n\na\nb');
  assert.equal(r.markdown, undefined);
  assert.equal(r.extraction.mainTextLength, 'TitleSomeboldlink.ab'.length);
  assert.equal(r.extraction.textLength, 'MenuentriesHereTitleSomeboldlink.ab'.length);
  assert.ok(Math.abs(r.extraction.boilerplateRatio - (1 - 20 / 35)) < 1e-9);
});
