/**
 * The HTML skeleton and filler text of the demo site. Text comes from a seeded generator,
 * so the site is byte-identical on every run and content hashes in a demo crawl repeat.
 */

/** One `<a>`: href as written in the page, text as HTML (may hold entities). */
export interface SampleLink {
  href: string;
  text: string;
}

export interface SamplePageHtml {
  /** The title as HTML source: entities such as `&amp;` stay encoded. */
  titleHtml: string;
  /** Extra tags for `<head>` (e.g. a meta charset other than UTF-8). */
  head?: string;
  /** Body content as HTML, between the site header and footer. */
  main: string;
}

/** One HTML page of the site, before layout. */
export interface SamplePageSpec {
  /** Absolute path, e.g. `/docs/`. */
  path: string;
  titleHtml: string;
  main: string;
}

/** Links in every page's header: a crawler sees them on each page and must dedup. */
const NAV: SampleLink[] = [
  { href: '/', text: 'Home' },
  { href: '/docs/', text: 'Docs' },
  { href: '/blog/', text: 'Blog' },
  { href: '/about.html', text: 'About' },
];

/** A full HTML document in the site's layout. */
export function renderSamplePage(page: SamplePageHtml): string {
  const nav = NAV.map((l) => `<a href="${l.href}">${l.text}</a>`).join(' | ');
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n' +
    (page.head ?? '<meta charset="utf-8">\n') +
    `<title>${page.titleHtml}</title>\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `</head>\n<body>\n<header><nav>${nav}</nav></header>\n<main>\n${page.main}</main>\n` +
    '<footer><p>&copy; 2024 Trawl sample site &middot; ' +
    '<a href="mailto:team@example.invalid">Contact</a> &middot; ' +
    '<a href="javascript:window.print()">Print</a></p></footer>\n</body>\n</html>\n'
  );
}

/** `<ul>` of links. */
export function linkList(links: SampleLink[]): string {
  return (
    '<ul>\n' + links.map((l) => `<li><a href="${l.href}">${l.text}</a></li>\n`).join('') + '</ul>\n'
  );
}

const WORDS = (
  'the a of to and in crawl page link site host queue fetch parse store index request ' +
  'response header status robots sitemap politeness delay worker frontier output record ' +
  'title charset redirect retry timeout limit depth scope pattern export format schedule ' +
  'quickly safely politely each every before after while only never always usually'
).split(' ');

/** A deterministic source of filler text. */
export interface TextSource {
  /** `count` paragraphs of 40–90 words, as HTML. */
  paragraphs(count: number): string;
  /** A float in [0, 1). */
  next(): number;
}

/** mulberry32: tiny seeded PRNG; Math.random would make every run's site differ. */
export function createTextSource(seed: number): TextSource {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const word = (): string => WORDS[Math.floor(next() * WORDS.length)] as string;
  const sentence = (): string => {
    const n = 6 + Math.floor(next() * 10);
    const words = Array.from({ length: n }, word);
    const s = words.join(' ');
    return s.charAt(0).toUpperCase() + s.slice(1) + '.';
  };
  const paragraphs = (count: number): string => {
    let html = '';
    for (let p = 0; p < count; p++) {
      const n = 4 + Math.floor(next() * 4);
      html += `<p>${Array.from({ length: n }, sentence).join(' ')}</p>\n`;
    }
    return html;
  };
  return { paragraphs, next };
}
