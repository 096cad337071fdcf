import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLinkFilter, type LinkFilterSpec } from '../../src/core/url/link-filter.js';
import { extractPage, MAX_TITLE_LENGTH } from '../../src/parse/extract-page.js';
import { readFixture } from '../support/html-fixtures/read-fixture.js';

const PAGE = 'https://news.example.com/news/2024/widgets';

function ctx(spec: Partial<LinkFilterSpec> = {}, respectNofollow = true) {
  const filter = createLinkFilter({
    scope: 'any',
    seedHosts: ['news.example.com'],
    include: [],
    exclude: [],
    ...spec,
  });
  return { filter, respectNofollow };
}

function extract(html: string, opts: { url?: string; respectNofollow?: boolean } = {}) {
  return extractPage(html, opts.url ?? PAGE, ctx({}, opts.respectNofollow ?? true));
}

describe('extractPage on a realistic article', () => {
  const html = readFixture('news-article.html');

  test('in-scope, followable links, canonical and deduplicated, in document order', () => {
    const page = extractPage(html, PAGE, ctx({ scope: 'host' }));
    assert.deepEqual(page.links, [
      'https://news.example.com/',
      'https://news.example.com/news/',
      'https://news.example.com/news/tech/',
      'https://news.example.com/About-Us',
      'https://news.example.com/news/2024/widgets',
      'https://news.example.com/authors/jane-doe',
      'https://news.example.com/news/2023/widgets-review',
      'https://news.example.com/news/2024/widgets-review/part-2',
      'https://news.example.com/search?page=2&q=widgets&sort=new',
      'https://news.example.com/map/area-1',
    ]);
    // Every <a href>/<area href> counts, whatever became of it; <a> without href does not.
    assert.equal(page.rawLinkCount, 19);
  });

  test('title, canonical URL and robots', () => {
    const page = extractPage(html, PAGE, ctx());
    assert.equal(page.title, 'Widgets & Gadgets — The 2024 Review | Example News');
    assert.equal(
      page.canonicalUrl,
      'https://news.example.com/news/2024/widgets-review?id=7&utm_source=x',
    );
    assert.equal(page.noindex, false);
    assert.equal(page.nofollow, false);
  });

  test('nofollow links and other hosts are kept when the crawl allows them', () => {
    const page = extractPage(html, PAGE, ctx({ scope: 'any' }, false));
    assert.ok(page.links.includes('https://www.example.org/report.pdf'));
    assert.ok(page.links.includes('https://ads.tracker.example/click?id=1'));
    assert.equal(page.links.at(-1), 'https://news.example.com/privacy');
    assert.equal(page.links.length, 13);
  });
});

describe('extractPage: titles', () => {
  test('entities are decoded and whitespace collapsed', () => {
    const page = extract(
      '<title>\n  Tom &amp; Jerry &#8212; &quot;Best&quot;&nbsp;&nbsp;Of &lt;2024&gt;\n</title>',
    );
    assert.equal(page.title, 'Tom & Jerry — "Best" Of <2024>');
  });

  test('title text is not markup', () => {
    assert.equal(extract('<title>A <b>bold</b> claim</title>').title, 'A <b>bold</b> claim');
  });

  test('missing, empty or blank titles are null', () => {
    assert.equal(extract('<p>no title</p>').title, null);
    assert.equal(extract('<title></title>').title, null);
    assert.equal(extract('<title> &nbsp; \n</title>').title, null);
  });

  test('only the first title counts', () => {
    assert.equal(extract('<title>First</title><title>Second</title>').title, 'First');
  });

  test('a title inside <svg> or <math> names a graphic, not the page', () => {
    const html =
      '<body><svg><title>Logo</title><circle r="1"/></svg><math><title>m</title></math>' +
      '<title>Real title</title>';
    assert.equal(extract(html).title, 'Real title');
    assert.equal(extract('<svg><title>Logo</title></svg><p>x</p>').title, null);
    assert.equal(
      extract('<svg/><title>After self-closed svg</title>').title,
      'After self-closed svg',
    );
  });

  test(`long titles are cut at ${MAX_TITLE_LENGTH} characters`, () => {
    const title = extract(`<title>${'word '.repeat(500)}</title>`).title;
    assert.ok(title !== null && title.length <= MAX_TITLE_LENGTH && title.startsWith('word word'));
  });

  test('an unclosed title runs to the end of the document', () => {
    assert.equal(extract('<html><head><title>Unclosed &amp; cut').title, 'Unclosed & cut');
    const huge = extract(`<title>Start ${'<p>filler &amp; more</p>\n'.repeat(100_000)}`).title;
    assert.ok(huge !== null && huge.startsWith('Start <p>filler & more</p>'));
    assert.ok(huge.length <= MAX_TITLE_LENGTH);
  });

  test('upper-case tags are tags', () => {
    const page = extract(
      '<HTML><HEAD><TITLE>Shouting</TITLE><LINK REL=CANONICAL HREF="/C"></HEAD><A HREF="/X">x</A>',
    );
    assert.equal(page.title, 'Shouting');
    assert.equal(page.canonicalUrl, 'https://news.example.com/C');
    assert.deepEqual(page.links, ['https://news.example.com/X']);
  });
});

describe('extractPage: links', () => {
  test('relative links resolve against the page URL', () => {
    const page = extract(
      '<a href="../up">1</a><a href="same">2</a><a href="//cdn.example.net/x">3</a>',
    );
    assert.deepEqual(page.links, [
      'https://news.example.com/news/up',
      'https://news.example.com/news/2024/same',
      'https://cdn.example.net/x',
    ]);
  });

  test('<base href> changes resolution for the whole document, even links before it', () => {
    const html =
      '<a href="early">before base</a><base href="/docs/v2/"><a href="page">after</a>' +
      '<base href="https://ignored.example/"><a href="/abs">abs</a>';
    assert.deepEqual(extract(html).links, [
      'https://news.example.com/docs/v2/early',
      'https://news.example.com/docs/v2/page',
      'https://news.example.com/abs',
    ]);
  });

  test('a <base> without href is skipped; an unusable one is ignored', () => {
    assert.deepEqual(
      extract('<base target="_blank"><base href="https://b.example/d/"><a href="x">').links,
      ['https://b.example/d/x'],
    );
    assert.deepEqual(extract('<base href="javascript:alert(1)"><a href="x">').links, [
      'https://news.example.com/news/2024/x',
    ]);
  });

  test('fragment-only links point at the page itself', () => {
    assert.deepEqual(extract('<a href="#top">top</a><a href="#">#</a>').links, [PAGE]);
  });

  test('javascript:, mailto:, tel: and data: links are dropped but counted', () => {
    const html =
      '<a href="javascript:void(0)">j</a><a href="JavaScript:go()">J</a><a href="mailto:a@b.c">m</a>' +
      '<a href="tel:+1">t</a><a href="data:text/html,hi">d</a><a href="/ok">ok</a>';
    const page = extract(html);
    assert.deepEqual(page.links, ['https://news.example.com/ok']);
    assert.equal(page.rawLinkCount, 6);
  });

  test('duplicates collapse to their first occurrence, by canonical form', () => {
    const html =
      '<a href="/a">1</a><a href="/b">2</a><a href="/a">3</a>' +
      '<a href="https://NEWS.example.com:443/a#frag">4</a><a href="/b?">5</a>';
    assert.deepEqual(extract(html).links, [
      'https://news.example.com/a',
      'https://news.example.com/b',
    ]);
  });

  test('entities in hrefs are decoded by attribute rules', () => {
    const html =
      '<a href="/s?x=1&amp;y=2">1</a><a href="/t?a=1&copy=2">2</a><a href="/u?q=caf&eacute;">3</a>';
    assert.deepEqual(extract(html).links, [
      'https://news.example.com/s?x=1&y=2',
      // "&copy" followed by "=" is not a reference inside an attribute value.
      'https://news.example.com/t?a=1&copy=2',
      'https://news.example.com/u?q=caf%C3%A9',
    ]);
  });

  test('rel=nofollow links are dropped when nofollow is respected, kept otherwise', () => {
    const html =
      '<a href="/a" rel="nofollow">a</a><a rel="noopener NOFOLLOW" href="/b">b</a>' +
      '<a href="/c" rel="nofollowing">c</a><a href="/d">d</a>';
    assert.deepEqual(extract(html).links, [
      'https://news.example.com/c',
      'https://news.example.com/d',
    ]);
    assert.equal(extract(html, { respectNofollow: false }).links.length, 4);
  });

  test('the link filter decides what is kept', () => {
    const html =
      '<a href="/keep/1">1</a><a href="/keep/private">2</a><a href="/other">3</a>' +
      '<a href="https://sub.example.com/keep/2">4</a>';
    const page = extractPage(
      html,
      'https://www.example.com/',
      ctx({
        scope: 'domain',
        seedHosts: ['www.example.com'],
        include: ['/keep/'],
        exclude: ['private'],
      }),
    );
    assert.deepEqual(page.links, [
      'https://www.example.com/keep/1',
      'https://sub.example.com/keep/2',
    ]);
  });

  test('malformed HTML still yields its links', () => {
    const html =
      "<html><body><div><p>Unclosed <b>bold <a href=/one>one<a href='/two' class=x>two" +
      '<table><tr><td><a href = "/three" >three</td></table><li><a href=/four/>four' +
      '<a href="/five"<a href="/six">six<p <a href="/seven">';
    // As in browsers, '<a' after a quoted value is one more attribute of the same tag: the
    // second href of that tag is ignored, and "<p <a href=...>" is a <p>.
    assert.deepEqual(
      extract(html).links,
      ['/one', '/two', '/three', '/four/', '/five'].map((p) => `https://news.example.com${p}`),
    );
  });

  test('links in comments, scripts, styles and textareas are not links', () => {
    const html =
      '<!-- <a href="/c">c</a> --><script>"<a href=\'/s\'>"</script><style>/* <a href="/st"> */</style>' +
      '<textarea><a href="/t"></textarea><noscript><a href="/n">n</a></noscript>';
    const page = extract(html);
    assert.deepEqual(page.links, ['https://news.example.com/n']);
    assert.equal(page.rawLinkCount, 1);
  });

  test('a page URL that does not parse still yields its absolute links', () => {
    const page = extract('<a href="/rel">r</a><a href="https://abs.example/">a</a>', {
      url: 'not a url',
    });
    assert.deepEqual(page.links, ['https://abs.example/']);
  });
});

describe('extractPage: options', () => {
  test('sortQuery: false keeps the query order of links and of the canonical URL', () => {
    const html = '<link rel=canonical href="/c?z=1&amp;a=2"><a href="/l?b=1&a=2">l</a>';
    const sorted = extract(html);
    assert.deepEqual(sorted.links, ['https://news.example.com/l?a=2&b=1']);
    assert.equal(sorted.canonicalUrl, 'https://news.example.com/c?a=2&z=1');
    const kept = extractPage(html, PAGE, { ...ctx(), sortQuery: false });
    assert.deepEqual(kept.links, ['https://news.example.com/l?b=1&a=2']);
    assert.equal(kept.canonicalUrl, 'https://news.example.com/c?z=1&a=2');
  });

  test('extractLinks = false: no links, everything else as usual', () => {
    const html =
      '<title>T</title><a href="/a">a</a><a href="/b">b</a><meta name=robots content=noindex>';
    const page = extractPage(html, PAGE, ctx(), false);
    assert.deepEqual(page.links, []);
    assert.equal(page.title, 'T');
    assert.equal(page.noindex, true);
    assert.equal(page.rawLinkCount, 2);
  });

  test('returnedLinks: a link is returned once across pages', () => {
    const shared = { ...ctx(), returnedLinks: new Set<string>() };
    const first = extractPage('<a href="/a">a</a><a href="/b">b</a>', PAGE, shared);
    const second = extractPage(
      '<a href="/b">b</a><a href="/c">c</a><a href="/a">a</a>',
      PAGE,
      shared,
    );
    assert.deepEqual(first.links, ['https://news.example.com/a', 'https://news.example.com/b']);
    assert.deepEqual(second.links, ['https://news.example.com/c']);
    assert.equal(second.rawLinkCount, 3);
    // Without the memory, every page has all of its links.
    const again = extractPage('<a href="/b">b</a><a href="/c">c</a>', PAGE, ctx());
    assert.equal(again.links.length, 2);
  });

  test('returnedLinks remembers only links that were returned', () => {
    const shared = { ...ctx(), returnedLinks: new Set<string>() };
    extractPage('<a href="/n" rel=nofollow>n</a><a href="mailto:x@y.z">m</a>', PAGE, shared);
    const later = extractPage('<a href="/n">n</a>', PAGE, shared);
    assert.deepEqual(later.links, ['https://news.example.com/n']);
  });
});

describe('extractPage: canonical and robots', () => {
  test('<link rel=canonical> resolves against the base; the first one wins', () => {
    const html =
      '<link rel="Canonical" href="../canon"><link rel="canonical" href="/second"><base href="/b/c/">';
    assert.equal(extract(html).canonicalUrl, 'https://news.example.com/b/canon');
  });

  test('a canonical that is not an http(s) URL is null', () => {
    assert.equal(extract('<link rel="canonical" href="mailto:x@y.z">').canonicalUrl, null);
    assert.equal(extract('<link rel="canonical">').canonicalUrl, null);
    assert.equal(extract('<link rel="stylesheet" href="/s.css">').canonicalUrl, null);
  });

  test('<meta name=robots> noindex and nofollow', () => {
    const both = extract('<meta name="robots" content="NOINDEX, NOFOLLOW"><a href="/x">x</a>');
    assert.equal(both.noindex, true);
    assert.equal(both.nofollow, true);
    assert.deepEqual(both.links, [], 'a nofollow page has no links to follow');
    assert.equal(both.rawLinkCount, 1);

    const none = extract('<meta content="none" name="Robots">');
    assert.deepEqual([none.noindex, none.nofollow], [true, true]);

    const indexOnly = extract('<meta name=robots content="noindex,follow"><a href="/x">x</a>');
    assert.deepEqual([indexOnly.noindex, indexOnly.nofollow], [true, false]);
    assert.deepEqual(indexOnly.links, ['https://news.example.com/x']);
  });

  test('a robots nofollow page keeps its links when nofollow is not respected', () => {
    const page = extract('<meta name="robots" content="nofollow"><a href="/x">x</a>', {
      respectNofollow: false,
    });
    assert.equal(page.nofollow, true);
    assert.deepEqual(page.links, ['https://news.example.com/x']);
  });

  test('other robots metas are not robots directives', () => {
    const page = extract(
      '<meta name="googlebot" content="noindex"><meta name="description" content="nofollow, none">',
    );
    assert.deepEqual([page.noindex, page.nofollow], [false, false]);
  });
});
