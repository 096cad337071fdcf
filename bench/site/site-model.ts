/**
 * The synthetic benchmark site as pure data: for a page count and a seed, what every page
 * is called, what it links to and how big it is. No I/O, so the server, the benchmark
 * runner (to check titles) and tests all agree on one definition of the site.
 *
 * Page 0 is `/`; page i > 0 is `/p/<i>.html`. Every page links to i+1, 2i and 2i+1 (the
 * "spine"), so all pages are reachable from `/` and the link depth stays near log2(N).
 */
import { createRandom, mixSeed } from './random.js';

/** @default 1 */
export const DEFAULT_SITE_SEED = 1;

export interface SiteModelOptions {
  /** Number of HTML pages, `/` included. */
  pages: number;
  /** Changes the random links and page sizes, never the spine. @default 1 */
  seed?: number;
}

export interface SiteLink {
  /** The href exactly as written in the page (may be relative, with a fragment). */
  href: string;
  /** The page it leads to, or null for links a crawler must not follow (mailto:, off-site). */
  target: number | null;
}

export interface SiteModel {
  readonly pages: number;
  readonly seed: number;
  /** The path of page i: `/` or `/p/<i>.html`. */
  pathOf(i: number): string;
  /** The page a request path names, or null (query and fragment must already be stripped). */
  pageAt(path: string): number | null;
  /** The title as written in HTML, with entities. */
  titleHtmlOf(i: number): string;
  /** The title as a browser shows it (entities decoded). */
  titleOf(i: number): string;
  /** About 30 links, in page order, including duplicates and unfollowable ones. */
  linksOf(i: number): SiteLink[];
  /** Target size of page i's HTML, bytes (15,200–24,000 before the last paragraph). */
  sizeOf(i: number): number;
  /** A per-page random source for the renderer (paragraph choice), deterministic. */
  randomFor(i: number, stream: number): () => number;
}

/** Header links shared by every page: the crawler sees them on each page and must dedup. */
const NAV_TARGETS = [0, 1, 2, 3, 4];
/** Random links per page, on top of the nav, the spine and the unfollowable ones. */
const RANDOM_LINKS = 20;
const MIN_SIZE = 15_200;
const MAX_SIZE = 24_000;

export function createSiteModel(options: SiteModelOptions): SiteModel {
  const pages = options.pages;
  const seed = options.seed ?? DEFAULT_SITE_SEED;
  if (!Number.isInteger(pages) || pages < 1) {
    throw new RangeError(`pages must be a positive integer, got ${pages}`);
  }
  const randomFor = (i: number, stream: number): (() => number) =>
    createRandom(mixSeed(seed, i, stream));

  const pathOf = (i: number): string => (i === 0 ? '/' : `/p/${i}.html`);

  const pageAt = (path: string): number | null => {
    if (path === '/') return 0;
    if (!path.startsWith('/p/') || !path.endsWith('.html')) return null;
    const digits = path.slice(3, -5);
    // Reject "/p/007.html" and "/p/+1.html": one spelling per page keeps hit counts honest.
    if (!/^[1-9][0-9]*$/.test(digits)) return null;
    const i = Number(digits);
    return i < pages ? i : null;
  };

  const titleHtmlOf = (i: number): string => {
    if (i === 0) return `Synthetic site &amp; start page &#8212; ${pages} pages`;
    const section = i % 17;
    switch (i % 3) {
      case 0:
        return `Page ${i} &amp; friends — Section ${section}`;
      case 1:
        return `Page ${i} &#8212; notes &amp; more`;
      default:
        return `Page ${i}: caf&eacute; &quot;${section}&quot;`;
    }
  };

  const titleOf = (i: number): string => {
    if (i === 0) return `Synthetic site & start page — ${pages} pages`;
    const section = i % 17;
    switch (i % 3) {
      case 0:
        return `Page ${i} & friends — Section ${section}`;
      case 1:
        return `Page ${i} — notes & more`;
      default:
        return `Page ${i}: café "${section}"`;
    }
  };

  const linksOf = (i: number): SiteLink[] => {
    const rnd = randomFor(i, 1);
    const links: SiteLink[] = [];
    const add = (target: number): void => {
      links.push({ href: spell(i, target, rnd), target });
    };
    for (const t of NAV_TARGETS) if (t < pages) add(t);
    for (const t of [i + 1, 2 * i, 2 * i + 1]) if (t > 0 && t < pages && t !== i) add(t);
    for (let k = 0; k < RANDOM_LINKS; k++) add(Math.floor(rnd() * pages));
    links.push({ href: `mailto:webmaster+${i}@example.invalid`, target: null });
    links.push({ href: 'javascript:void(0)', target: null });
    links.push({ href: '#top', target: i });
    // Off-site: a scope=host crawl must drop it; .invalid never resolves, so it fails fast.
    links.push({ href: `https://offsite.invalid/ref/${i % 100}`, target: null });
    return links;
  };

  const sizeOf = (i: number): number =>
    MIN_SIZE + Math.floor(randomFor(i, 2)() * (MAX_SIZE - MIN_SIZE));

  return { pages, seed, pathOf, pageAt, titleHtmlOf, titleOf, linksOf, sizeOf, randomFor };
}

/**
 * One of several equivalent spellings of the link from page `from` to page `to`, as real
 * sites mix them: absolute path, `../p/`, `./`, bare relative, sometimes with a fragment.
 */
function spell(from: number, to: number, rnd: () => number): string {
  const r = rnd();
  let href: string;
  if (to === 0) {
    href = from === 0 || r < 0.5 ? '/' : '../';
  } else if (from === 0) {
    // Relative spellings from "/" resolve against "/", so only these two name /p/<to>.html.
    href = r < 0.5 ? `/p/${to}.html` : `p/${to}.html`;
  } else if (r < 0.35) {
    href = `/p/${to}.html`;
  } else if (r < 0.6) {
    href = `../p/${to}.html`;
  } else if (r < 0.85) {
    href = `./${to}.html`;
  } else {
    href = `${to}.html`;
  }
  if (rnd() < 0.15) href += `#s${Math.floor(rnd() * 10)}`;
  return href;
}
