/**
 * The demo site's blog: 150 articles over four years, listed newest first on /blog/ and
 * /blog/page/<n>.html, each with two tags that have their own listing page.
 */
import { SECTIONS, TOPICS, docPath } from './sample-docs.js';
import { linkList } from './sample-layout.js';
import type { SampleLink, SamplePageSpec, TextSource } from './sample-layout.js';

export interface SampleArticle {
  path: string;
  year: number;
  slug: string;
  titleHtml: string;
  tags: string[];
}

export interface SampleBlog {
  /** Oldest first. */
  articles: SampleArticle[];
  tags: string[];
  pages: SamplePageSpec[];
}

const TAGS = ['release', 'howto', 'performance', 'robots', 'sitemaps', 'storage'].concat([
  'python',
  'node',
  'ops',
  'community',
  'security',
  'data',
]);
const ARTICLES = 150;
const PER_YEAR = 38;
const PER_LISTING = 15;
/** Linked from a few articles, never served: it answers 404. */
export const BROKEN_BLOG = '/blog/2020/lost-post.html';

export function blogPages(text: TextSource): SampleBlog {
  const articles: SampleArticle[] = Array.from({ length: ARTICLES }, (_, k) => {
    const year = 2021 + Math.floor(k / PER_YEAR);
    const topic = (TOPICS[k % TOPICS.length] as readonly [string, string])[0];
    const slug = `${k + 1}-${topic}`;
    const titles = [
      `Release 0.${k} &#8212; what&rsquo;s new`,
      `Q&amp;A: ${topic} in practice`,
      `Notes&nbsp;from crawling ${(k + 1) * 100} sites`,
      `&quot;${topic}&quot; explained`,
      `Caf&eacute; chat #${k + 1}: ${topic}`,
    ];
    const tags = [TAGS[k % TAGS.length] as string, TAGS[(k * 7 + 3) % TAGS.length] as string];
    return {
      path: `/blog/${year}/${slug}.html`,
      year,
      slug,
      titleHtml: titles[k % titles.length] as string,
      tags: [...new Set(tags)],
    };
  });
  const newestFirst = [...articles].reverse();
  const pages: SamplePageSpec[] = [];

  // Listings: /blog/ is page 1, /blog/page/<n>.html the older ones.
  const listings = Math.ceil(ARTICLES / PER_LISTING);
  for (let n = 1; n <= listings; n++) {
    const up = n === 1 ? '' : '../';
    const items = newestFirst.slice((n - 1) * PER_LISTING, n * PER_LISTING);
    const nav: SampleLink[] = [];
    if (n === 2) nav.push({ href: '../', text: '&laquo; Newer posts' });
    if (n > 2) nav.push({ href: `./${n - 1}.html`, text: '&laquo; Newer posts' });
    if (n < listings) {
      nav.push({ href: n === 1 ? 'page/2.html' : `${n + 1}.html`, text: 'Older posts &raquo;' });
    }
    pages.push({
      path: n === 1 ? '/blog/' : `/blog/page/${n}.html`,
      titleHtml: n === 1 ? 'Blog | Trawl' : `Blog &#8212; page ${n} | Trawl`,
      main:
        '<h1>Blog</h1>\n' +
        linkList(items.map((a) => ({ href: `${up}${a.year}/${a.slug}.html`, text: a.titleHtml }))) +
        linkList(nav),
    });
  }

  articles.forEach((a, k) => {
    const links: SampleLink[] = [{ href: '../', text: 'Blog' }];
    for (const other of [articles[k - 1], articles[k + 1]]) {
      if (!other) continue;
      const href =
        other.year === a.year ? `./${other.slug}.html` : `../${other.year}/${other.slug}.html`;
      links.push({ href, text: other.titleHtml });
    }
    links.push({ href: `../..${docPath(k % SECTIONS.length, k)}`, text: 'Docs' });
    for (const tag of a.tags) links.push({ href: `/tags/${tag}.html`, text: `#${tag}` });
    links.push({ href: '#comments', text: 'Comments' });
    if (k % 50 === 7) links.push({ href: `../..${BROKEN_BLOG}`, text: 'An old post' });
    pages.push({
      path: a.path,
      titleHtml: `${a.titleHtml} | Trawl blog`,
      main:
        `<article>\n<h1>${a.titleHtml}</h1>\n<p><time datetime="${a.year}-06-01">${a.year}</time></p>\n` +
        text.paragraphs(3) +
        '</article>\n<h2 id="comments">Comments</h2>\n' +
        text.paragraphs(1) +
        linkList(links),
    });
  });

  for (const tag of TAGS) {
    const tagged = newestFirst.filter((a) => a.tags.includes(tag));
    pages.push({
      path: `/tags/${tag}.html`,
      titleHtml: `Posts tagged &ldquo;${tag}&rdquo;`,
      main:
        `<h1>#${tag}</h1>\n` +
        linkList(tagged.map((a) => ({ href: `..${a.path}`, text: a.titleHtml }))),
    });
  }
  return { articles, tags: TAGS, pages };
}
