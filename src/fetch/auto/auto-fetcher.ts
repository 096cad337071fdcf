/**
 * `--engine auto`: every page is fetched over HTTP first (through the crawler's
 * politeness, redirects hop by hop, the address guard), and rendered in the browser only
 * where rendering is measured to change what the crawl gets.
 *
 * - A page that looks like a shell (little visible text and scripts to fill it, an empty
 *   framework root, a notice asking for JavaScript) is rendered at once.
 * - Other pages are grouped by pattern (host + first path segment: `docs.example/app`).
 *   The first LEARN_SAMPLES pages of a pattern, and one in SAMPLE_EVERY after that, are
 *   rendered too and compared: when the rendered document has links the served one lacks,
 *   or much more text, the pattern moves to the browser; every page of it is rendered
 *   from then on. A browser pattern whose renderings add nothing QUIET_RENDERS times in a
 *   row moves back to HTTP (and keeps being sampled).
 * - Rendering reuses the HTTP response (the browser's navigation is answered with its
 *   bytes), so the document is requested once; the page's scripts and XHR the browser
 *   loads itself.
 *
 * The record of a rendered page says `engine: "browser"`, of any other `engine: "http"`.
 * Decisions live in this process (each distributed worker learns its own; a pattern
 * costs a few renders to learn). docs/browser.md describes the rules.
 */
import type { FetchResponse } from '../../core/types.js';
import type { Fetcher, FetchOptions } from '../fetcher.js';

/** What a document shows, as the auto engine compares it. */
export interface DocumentSignals {
  /** Visible text, non-space characters. */
  textChars: number;
  /** Absolute link URLs without fragments. */
  links: ReadonlySet<string>;
  /** Looks like a page that scripts fill. */
  shell: boolean;
}

/** Reads the signals of an HTML response (parse/page-signals.ts, composed in main). */
export type InspectDocument = (response: FetchResponse) => DocumentSignals;

/** The browser, rendering a document already fetched. */
export interface DocumentRenderer {
  render(document: FetchResponse, options?: FetchOptions): Promise<FetchResponse>;
  close(): Promise<void>;
}

export type PatternMode = 'learning' | 'http' | 'browser';

/** Why a pattern changed engine, for logs and tests. */
export interface EngineDecision {
  pattern: string;
  mode: PatternMode;
  /** The page whose comparison decided it. */
  url: string;
  reason: string;
}

export interface AutoFetcherOptions {
  http: Fetcher;
  browser: DocumentRenderer;
  inspect: InspectDocument;
  /** Called when a pattern changes mode. */
  onDecision?: (decision: EngineDecision) => void;
  /** Pages of a new pattern rendered for comparison before it settles on HTTP. @default 3 */
  learnSamples?: number;
  /** After that, one page in this many is rendered for comparison. @default 25 */
  sampleEvery?: number;
  /** Renderings in a row that add nothing before a browser pattern goes back to HTTP. @default 10 */
  quietRenders?: number;
}

interface PatternState {
  mode: PatternMode;
  /** Comparisons made while learning. */
  samples: number;
  /** Pages seen (for sampling one in sampleEvery). */
  pages: number;
  /** Renderings in a row that added nothing (browser mode). */
  quiet: number;
}

const HTML = /^\s*(?:text\/html|application\/xhtml\+xml)/i;

export class AutoFetcher implements Fetcher {
  private readonly patterns = new Map<string, PatternState>();
  private readonly learnSamples: number;
  private readonly sampleEvery: number;
  private readonly quietRenders: number;

  constructor(private readonly options: AutoFetcherOptions) {
    this.learnSamples = options.learnSamples ?? 3;
    this.sampleEvery = Math.max(1, options.sampleEvery ?? 25);
    this.quietRenders = Math.max(1, options.quietRenders ?? 10);
  }

  async fetch(url: string, options: FetchOptions = {}): Promise<FetchResponse> {
    const served = await this.options.http.fetch(url, options);
    if (options.resource === 'file' || !renderable(served)) return served;
    const pattern = patternOf(served.finalUrl);
    let state = this.patterns.get(pattern);
    if (state === undefined) {
      state = { mode: 'learning', samples: 0, pages: 0, quiet: 0 };
      this.patterns.set(pattern, state);
    }
    state.pages++;
    const signals = this.options.inspect(served);
    const sampling =
      state.mode === 'learning' || (state.mode === 'http' && state.pages % this.sampleEvery === 0);
    if (!signals.shell && state.mode !== 'browser' && !sampling) return asHttp(served);

    let rendered: FetchResponse;
    try {
      rendered = await this.options.browser.render(served, options);
    } catch (err) {
      // A comparison that failed costs nothing; a page that needs the browser fails as
      // any fetch does (and is retried).
      if (!signals.shell && state.mode !== 'browser') return asHttp(served);
      throw err;
    }
    const adds = renderingAdds(signals, this.options.inspect(rendered));
    if (adds !== null) {
      state.quiet = 0;
      // A shell is rendered for itself; only a page that looked complete and was not
      // tells that the pattern's pages need the browser.
      if (!signals.shell && state.mode !== 'browser') {
        this.decide(pattern, state, 'browser', url, adds);
      }
      return rendered;
    }
    if (state.mode === 'browser') {
      if (++state.quiet >= this.quietRenders) {
        this.decide(
          pattern,
          state,
          'http',
          url,
          `${state.quiet} renderings in a row added nothing`,
        );
      }
      return rendered;
    }
    if (state.mode === 'learning' && !signals.shell && ++state.samples >= this.learnSamples) {
      this.decide(pattern, state, 'http', url, `${state.samples} renderings added nothing`);
    }
    // A shell's rendering is what a visitor sees, even when it adds little (a challenge a
    // script draws is judged on it); a complete page sampled is kept as served.
    return signals.shell ? rendered : asHttp(served);
  }

  /** Each pattern's current mode (for tests and the engine metrics). */
  modes(): Map<string, PatternMode> {
    return new Map([...this.patterns].map(([pattern, state]) => [pattern, state.mode]));
  }

  async close(): Promise<void> {
    await Promise.all([this.options.browser.close(), this.options.http.close()]);
  }

  private decide(
    pattern: string,
    state: PatternState,
    mode: PatternMode,
    url: string,
    reason: string,
  ): void {
    state.mode = mode;
    state.samples = 0;
    state.quiet = 0;
    this.options.onDecision?.({ pattern, mode, url, reason });
  }
}

/** A 2xx HTML document (not a redirect, a 304 or an error page). */
function renderable(res: FetchResponse): boolean {
  return res.status >= 200 && res.status < 300 && HTML.test(res.headers['content-type'] ?? '');
}

function asHttp(res: FetchResponse): FetchResponse {
  return res.engine === undefined ? { ...res, engine: 'http' } : res;
}

/**
 * What rendering added that the crawl would miss without it, or null: links the served
 * document lacks, or much more text (a quarter more and at least 300 characters).
 */
export function renderingAdds(served: DocumentSignals, rendered: DocumentSignals): string | null {
  let added = 0;
  let example = '';
  for (const link of rendered.links) {
    if (!served.links.has(link)) {
      if (added === 0) example = link;
      added++;
    }
  }
  if (added > 0) return `rendering found ${added} more link(s), e.g. ${example}`;
  const gain = rendered.textChars - served.textChars;
  if (gain >= Math.max(300, served.textChars / 4)) {
    return `rendering showed ${gain} more characters of text (${served.textChars} → ${rendered.textChars})`;
  }
  return null;
}

/** host + first path segment when the path has more than one (`example.com/app`). */
export function patternOf(url: string): string {
  const parsed = new URL(url);
  const segments = parsed.pathname.split('/');
  // '/a/b' → ['', 'a', 'b']: a directory; '/a' or '/' → the host's root pattern.
  const dir = segments.length > 2 ? segments[1] : '';
  return `${parsed.host}/${dir}`;
}
