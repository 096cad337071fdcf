/**
 * Renders synthetic-site pages to bytes. Rendering is on the fly from a pool of
 * pre-encoded paragraphs shared by all pages, so 100,000 pages cost no memory beyond the
 * pool (~256 KB) and a page costs a few microseconds: one allocation plus memcpy.
 */
import { createRandom, mixSeed } from './random.js';
import type { SiteModel } from './site-model.js';

export interface PageRenderer {
  /** The complete HTML document of page i (UTF-8). */
  render(i: number): Buffer;
}

const POOL_SIZE = 256;
const WORDS = (
  'crawler frontier politeness latency throughput queue host robots sitemap canonical ' +
  'fragment anchor parser buffer socket stream token header status redirect archive ' +
  'index document section chapter figure table summary detail naïve café façade résumé ' +
  'über coördinate 東京 München data river mountain lantern harbour meadow orchard quiet ' +
  'bright careful rapid gentle steady patient modest honest random ordinary'
).split(' ');
/** Links between paragraphs, in groups, the way related-content boxes scatter them. */
const LINKS_PER_GROUP = 3;
const NAV_LINKS = 5;

export function createPageRenderer(model: SiteModel): PageRenderer {
  const pool = buildParagraphPool(model.seed);
  const head = Buffer.from('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n');
  const tail = Buffer.from('</footer>\n</body>\n</html>\n');

  const render = (i: number): Buffer => {
    const title = model.titleHtmlOf(i);
    const links = model.linksOf(i);
    const pieces: (Buffer | string)[] = [
      head,
      `<title>${title}</title>\n<link rel="canonical" href="${model.pathOf(i)}">\n` +
        `</head>\n<body>\n<a id="top"></a>\n<header><nav><ul>` +
        links
          .slice(0, NAV_LINKS)
          .map((l) => `<li><a href="${l.href}">${anchorText(l.target)}</a></li>`)
          .join('') +
        `</ul></nav></header>\n<main>\n<h1>${title}</h1>\n`,
    ];
    let size = byteLength(pieces) + tail.length + 200;
    const target = model.sizeOf(i);
    const rnd = model.randomFor(i, 3);
    let next = NAV_LINKS;
    while (size < target || next < links.length) {
      const para = pool[Math.floor(rnd() * pool.length)] as Buffer;
      pieces.push(para);
      size += para.length;
      if (next < links.length) {
        const group = links.slice(next, next + LINKS_PER_GROUP);
        next += group.length;
        const html =
          '<p class="related">Related: ' +
          group.map((l) => `<a href="${l.href}">${anchorText(l.target)}</a>`).join(' · ') +
          '</p>\n';
        pieces.push(html);
        size += html.length;
      }
    }
    pieces.push(`</main>\n<footer>\n<p>Page ${i} of ${model.pages}. Seed ${model.seed}.</p>\n`);
    pieces.push(tail);
    return concat(pieces);
  };

  return { render };
}

function anchorText(target: number | null): string {
  return target === null ? 'elsewhere' : `page ${target}`;
}

function byteLength(pieces: (Buffer | string)[]): number {
  let n = 0;
  for (const p of pieces) n += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
  return n;
}

/** Buffer.concat without first turning every string into its own Buffer. */
function concat(pieces: (Buffer | string)[]): Buffer {
  const out = Buffer.allocUnsafe(byteLength(pieces));
  let at = 0;
  for (const p of pieces) {
    at += typeof p === 'string' ? out.write(p, at) : p.copy(out, at);
  }
  return out;
}

/** Paragraphs of 300–1,100 bytes of word salad, a few with entities and inline markup. */
function buildParagraphPool(seed: number): Buffer[] {
  const rnd = createRandom(mixSeed(seed, 0x9a7a));
  const pool: Buffer[] = [];
  for (let p = 0; p < POOL_SIZE; p++) {
    const target = 300 + Math.floor(rnd() * 800);
    let text = '';
    while (text.length < target) {
      const words: string[] = [];
      const n = 6 + Math.floor(rnd() * 12);
      for (let w = 0; w < n; w++) words.push(WORDS[Math.floor(rnd() * WORDS.length)] as string);
      let sentence = words.join(' ');
      sentence = sentence.charAt(0).toUpperCase() + sentence.slice(1);
      const r = rnd();
      if (r < 0.1) sentence += ' &amp; more';
      else if (r < 0.15) sentence += ' &lt;sic&gt;';
      else if (r < 0.25) sentence = `<em>${sentence}</em>`;
      text += sentence + '. ';
    }
    pool.push(Buffer.from(`<p>${text.trimEnd()}</p>\n`));
  }
  return pool;
}
