/**
 * The signals `--engine auto` decides by: what counts as a script shell, and what counts
 * as rendering having added something (links, much more text), on documents shaped like
 * real ones (a React/Next shell, an Angular app, a static article with inline analytics).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { patternOf, renderingAdds } from '../../src/fetch/auto/auto-fetcher.js';
import { looksLikeShell, pageSignals } from '../../src/parse/page-signals.js';

const URL_ = 'https://shop.example/app/list';
const ARTICLE = `<!doctype html><html><head><title>An article</title>
  <script>window.dataLayer = []; function gtag(){}</script><style>p { color: red }</style></head>
  <body><nav><a href="/">Home</a> <a href="../about#team">About</a></nav><main><h1>Plain HTML</h1>
  <p>${'Sentences a reader reads, served as HTML. '.repeat(40)}</p>
  <a href="mailto:x@shop.example">mail</a> <a href="javascript:void(0)">js</a> <a href="#top">top</a>
  </main><script src="/analytics.js"></script></body></html>`;

describe('page signals', () => {
  test('a static article: its text and links are counted, it is no shell', () => {
    const s = pageSignals(ARTICLE, URL_);
    assert.ok(s.textChars > 1200, `textChars ${s.textChars}`);
    assert.deepEqual([...s.links].sort(), [
      'https://shop.example/',
      'https://shop.example/about',
      'https://shop.example/app/list',
    ]);
    assert.equal(s.scripts, 2);
    assert.equal(looksLikeShell(s), false);
  });

  test('shells: an empty React/Next root, an Angular app, a bare script page, a noscript notice', () => {
    const next = `<html><head><script src="/_next/main.js" defer></script></head><body><div id="__next"></div></body></html>`;
    const angular = `<html><body><app-root ng-version="17.0.0"></app-root><p>${'Footer text. '.repeat(20)}</p><script src="main.js"></script></body></html>`;
    const bare = `<html><body><h1>Loading…</h1><script>render()</script></body></html>`;
    const noscript = `<html><body><noscript>You need to enable JavaScript to run this app.</noscript><div class="x">${'Some header text. '.repeat(20)}</div><script src="/a.js"></script></body></html>`;
    for (const [name, html] of Object.entries({ next, angular, bare, noscript })) {
      assert.equal(looksLikeShell(pageSignals(html, URL_)), true, name);
    }
    // No script, nothing to render: a short page is just short.
    assert.equal(
      looksLikeShell(pageSignals('<html><body><p>Short.</p></body></html>', URL_)),
      false,
    );
  });

  test('rendering adds: a new link, or a quarter more text and 300 characters', () => {
    const served = pageSignals(ARTICLE, URL_);
    const same = pageSignals(ARTICLE.replace('</main>', '<span>ok</span></main>'), URL_);
    assert.equal(renderingAdds(withShell(served), withShell(same)), null);
    const linked = pageSignals(
      ARTICLE.replace('</main>', '<a href="/app/next">next</a></main>'),
      URL_,
    );
    assert.match(
      String(renderingAdds(withShell(served), withShell(linked))),
      /1 more link\(s\), e\.g\. https:\/\/shop\.example\/app\/next/,
    );
    const longer = pageSignals(
      ARTICLE.replace('</main>', `<p>${'More. '.repeat(120)}</p></main>`),
      URL_,
    );
    assert.match(String(renderingAdds(withShell(served), withShell(longer))), /more characters/);
  });

  test('patterns: host and first path segment', () => {
    assert.equal(patternOf('https://docs.example/guide/intro.html'), 'docs.example/guide');
    assert.equal(patternOf('https://docs.example/about'), 'docs.example/');
    assert.equal(patternOf('http://127.0.0.1:8080/'), '127.0.0.1:8080/');
  });
});

function withShell(s: ReturnType<typeof pageSignals>): {
  textChars: number;
  links: Set<string>;
  shell: boolean;
} {
  return { textChars: s.textChars, links: s.links, shell: looksLikeShell(s) };
}
