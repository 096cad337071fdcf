import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Parser } from 'htmlparser2';

/** A `<loc>` of a `<urlset>` (`page`) or of a `<sitemapindex>` (`sitemap`). */
export type SitemapLocKind = 'page' | 'sitemap';

export interface ParseSitemapOptions {
  /** Cap on the (decompressed) XML read, bytes; the rest is ignored. */
  maxBytes: number;
  /** Called per `<loc>` with its trimmed, entity-decoded text; return false to stop reading. */
  onLoc: (kind: SitemapLocKind, loc: string) => boolean;
}

/** Size of the slices a plain body is fed in, so a stop request ends the work early. */
const SLICE_BYTES = 64 * 1024;

/**
 * Streams a sitemap file, plain or gzip-compressed (detected by its magic bytes, since
 * `.xml.gz` files arrive as application/gzip rather than Content-Encoding), through a
 * non-DOM XML parser. Never throws: a corrupt gzip tail or broken XML keeps what was read
 * before it.
 */
export async function parseSitemap(body: Buffer, options: ParseSitemapOptions): Promise<void> {
  const reader = new LocReader(options.onLoc);
  const decoder = new StringDecoder('utf8');
  let remaining = options.maxBytes;
  /** Feeds up to the byte cap; false once reading should stop. */
  const feed = (chunk: Buffer): boolean => {
    const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
    remaining -= part.length;
    reader.write(decoder.write(part));
    return !reader.stopped && remaining > 0;
  };

  if (body[0] === 0x1f && body[1] === 0x8b) {
    await new Promise<void>((resolve) => {
      const gunzip = createGunzip();
      gunzip.on('data', (chunk: Buffer) => {
        // Destroying (rather than draining) stops decompression at the cap: a gzip bomb
        // costs no more than maxBytes of work.
        if (!feed(chunk)) gunzip.destroy();
      });
      gunzip.on('end', resolve);
      gunzip.on('close', resolve);
      gunzip.on('error', () => resolve());
      gunzip.end(body);
    });
  } else {
    for (let at = 0; at < body.length && feed(body.subarray(at, at + SLICE_BYTES));) {
      at += SLICE_BYTES;
    }
  }
  reader.end(decoder.end());
}

/** Collects the text of `<loc>` elements that are direct children of `<url>` or `<sitemap>`. */
class LocReader {
  stopped = false;
  /** Local names (namespace prefix removed) of the open elements. */
  private readonly open: string[] = [];
  private text: string | null = null;
  private readonly parser: Parser;

  constructor(private readonly onLoc: (kind: SitemapLocKind, loc: string) => boolean) {
    this.parser = new Parser(
      {
        onopentag: (name) => {
          const local = localName(name);
          const parent = this.open[this.open.length - 1];
          // Only <url><loc> and <sitemap><loc>: not <image:image><image:loc> and the like.
          if (local === 'loc' && (parent === 'url' || parent === 'sitemap')) this.text = '';
          this.open.push(local);
        },
        ontext: (data) => {
          if (this.text !== null) this.text += data;
        },
        onclosetag: (name) => {
          this.open.pop();
          if (this.text === null || localName(name) !== 'loc') return;
          const loc = this.text.trim();
          this.text = null;
          const parent = this.open[this.open.length - 1];
          if (loc !== '' && !this.stopped) {
            this.stopped = !this.onLoc(parent === 'sitemap' ? 'sitemap' : 'page', loc);
          }
        },
      },
      { xmlMode: true, decodeEntities: true },
    );
  }

  write(chunk: string): void {
    if (!this.stopped && chunk !== '') this.parser.write(chunk);
  }

  end(chunk: string): void {
    this.write(chunk);
    // Input cut by a cap or a broken stream can end inside a <loc>; the close tags the
    // parser implies at the end must not turn that fragment into a URL.
    this.text = null;
    this.parser.end();
  }
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return (colon === -1 ? name : name.slice(colon + 1)).toLowerCase();
}
