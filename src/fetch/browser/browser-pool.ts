/**
 * Pages of a system Chromium, driven by playwright-core, handed out one at a time with
 * the hygiene every long crawl needs: a fresh browser context every `pagesPerContext`
 * pages (Playwright frees a page's memory only when its context closes), a new browser
 * every `pagesPerBrowser`, a crashed or hung browser replaced (its pages fail with a
 * retryable error and the crawler retries them), and a deadline on every operation.
 *
 * A page may ask for a context profile (an anti-blocking session: its User-Agent, client
 * hints and proxy; its cookies are the context's own): each profile key has its own
 * context, at most `maxContexts` live at once (the least recently used is retired), and
 * the pages kept open between uses are at most `maxPages` over all contexts.
 *
 * The browser runs as a child of this process, talking over a pipe: if this process dies
 * (even kill -9) the pipe closes and Chromium exits. close() closes every browser and,
 * should one not answer, kills it.
 */
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TrawlError } from '../../core/errors.js';

export interface BrowserPoolOptions {
  /** The Chromium binary (see findChromium). */
  executablePath: string;
  /** Pages open at once. */
  maxPages: number;
  /** Pages a context serves before it is replaced. @default 100 */
  pagesPerContext?: number;
  /** Pages a browser serves before it is replaced. @default 1000 */
  pagesPerBrowser?: number;
  /** Sent as the User-Agent of every request. */
  userAgent: string;
  /** Deadline of launching a browser and of opening or closing a page, ms. @default 30_000 */
  operationTimeoutMs?: number;
  /** Resource types answered with an error instead of loaded. @default image, font, media */
  blockResources?: readonly string[];
  /** The pages' viewport, CSS pixels. @default Playwright's 1280×720 */
  viewport?: { width: number; height: number };
  /**
   * The proxy every request of the browser goes through, loopback included (the
   * filtering proxy: filtering-proxy.ts), asked for at each launch. @default none
   */
  proxyServer?: () => Promise<string>;
  /** Contexts of different profiles live at once. @default max(2, maxPages) */
  maxContexts?: number;
}

/** A context made for some pages only: one per key, with these settings. */
export interface ContextProfile {
  /** Pages of the same key share a context; '' is the pool's default context. */
  key: string;
  /** @default the pool's userAgent */
  userAgent?: string;
  /** Sent with every request of the context. */
  extraHTTPHeaders?: Record<string, string>;
  /** The proxy every request of the context goes through (overrides the browser's). */
  proxyServer?: string;
}

/** A live context of a generation and the pages it has served. */
interface LiveContext {
  context: BrowserContext;
  pages: number;
}

/** Where Debian's `chromium` package puts the browser; TRAWL_CHROMIUM_PATH overrides. */
const CHROMIUM_PATHS = [
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
];

/** The system Chromium's path, or null when none is installed. */
export function findChromium(override?: string | null): string | null {
  if (override !== undefined && override !== null && override !== '') {
    return existsSync(override) ? override : null;
  }
  return CHROMIUM_PATHS.find((p) => existsSync(p)) ?? null;
}

const DEFAULT_BLOCKED = ['image', 'font', 'media'];

/** One browser and its current context, with what they have served. */
interface Generation {
  browser: Browser;
  /** The live context of each profile key, least recently used first. */
  contexts: Map<string, LiveContext>;
  /** Pages the browser has served. */
  browserPages: number;
  /** Pages open now, per context. */
  open: Map<BrowserContext, number>;
  /** Contexts replaced, to close once their last page is done. */
  retired: Set<BrowserContext>;
  /** Pages of a context between two uses (closed with their context). */
  idle: Map<BrowserContext, Page[]>;
  crashed: boolean;
}

export class BrowserPool {
  private current: Generation | null = null;
  private launching: Promise<Generation> | null = null;
  private acquiring: Promise<unknown> = Promise.resolve();
  private readonly old = new Set<Generation>();
  private inUse = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  private readonly opTimeoutMs: number;

  constructor(private readonly options: BrowserPoolOptions) {
    this.opTimeoutMs = options.operationTimeoutMs ?? 30_000;
  }

  /**
   * Runs `use` with a page of a context that blocks the configured resource types and
   * service workers. Waits while maxPages are in use. A page whose use succeeded serves
   * the context's next use (opening a page costs ~170 ms of Chromium's CPU here, a
   * navigation of an open one ~60: measured); one whose use failed is closed.
   * @throws TrawlError 'network' (retryable) when the browser cannot start or crashed
   */
  async withPage<T>(use: (page: Page) => Promise<T>, profile?: ContextProfile): Promise<T> {
    await this.slot();
    try {
      const { generation, context } = await this.acquire(profile);
      let page: Page | null = null;
      let reusable = false;
      try {
        page = generation.idle.get(context)?.pop() ?? null;
        if (page === null) {
          await this.trimIdle(generation);
          page = await deadline(context.newPage(), this.opTimeoutMs, 'opening a browser page');
        }
        const result = await use(page);
        reusable = !page.isClosed();
        return result;
      } catch (err) {
        if (generation.crashed || !generation.browser.isConnected()) {
          throw new TrawlError('network', 'the browser crashed or stopped answering', {
            cause: err,
            retryable: true,
          });
        }
        throw err;
      } finally {
        if (page !== null) {
          if (reusable && !generation.crashed && !generation.retired.has(context)) {
            await this.keepPage(generation, context, page);
          } else {
            await this.closePage(generation, page);
          }
        }
        this.release(generation, context);
      }
    } finally {
      this.inUse--;
      this.waiting.shift()?.();
    }
  }

  /** Closes every browser (killing one that does not answer). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.old];
    if (this.current !== null) all.push(this.current);
    this.current = null;
    this.old.clear();
    await Promise.all(all.map((g) => closeBrowser(g.browser, this.opTimeoutMs)));
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Pages open now (for tests and metrics). */
  get openPages(): number {
    return this.inUse;
  }

  private async slot(): Promise<void> {
    while (this.inUse >= this.options.maxPages) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed) throw new TrawlError('aborted', 'the browser pool is closed');
    }
    if (this.closed) throw new TrawlError('aborted', 'the browser pool is closed');
    this.inUse++;
  }

  /**
   * The browser and context for one more page, counted as open there before any other
   * call can look: one acquisition at a time, so none retires (and closes) a context or a
   * browser that another has chosen but not yet counted.
   */
  private acquire(
    profile: ContextProfile | undefined,
  ): Promise<{ generation: Generation; context: BrowserContext }> {
    const next = this.acquiring.then(async () => {
      const generation = await this.generation();
      const context = await this.contextOf(generation, profile);
      generation.open.set(context, (generation.open.get(context) ?? 0) + 1);
      return { generation, context };
    });
    this.acquiring = next.catch(() => undefined);
    return next;
  }

  private async generation(): Promise<Generation> {
    const g = this.current;
    const perBrowser = this.options.pagesPerBrowser ?? 1000;
    if (g !== null && !g.crashed && g.browser.isConnected() && g.browserPages < perBrowser) {
      return g;
    }
    if (g !== null) this.retireGeneration(g);
    this.launching ??= this.launch().finally(() => (this.launching = null));
    return this.launching;
  }

  private async launch(): Promise<Generation> {
    // Loaded on first use: a crawl that never uses the browser never loads Playwright.
    const { chromium } = await import('playwright-core');
    let browser: Browser;
    try {
      const proxy =
        this.options.proxyServer === undefined
          ? {}
          : // Playwright adds <-loopback> to the bypass list: loopback is proxied too.
            { proxy: { server: await this.options.proxyServer() } };
      browser = await chromium.launch({
        ...proxy,
        executablePath: this.options.executablePath,
        headless: true,
        timeout: this.opTimeoutMs,
        // Chromium's sandbox needs user namespaces, which containers and root often lack.
        chromiumSandbox: false,
        args: ['--disable-dev-shm-usage', '--no-first-run', '--mute-audio'],
        // Marks every process of this browser as ours (tests count them after a crash).
        env: { ...process.env, TRAWL_BROWSER_OWNER: String(process.pid) },
      });
    } catch (err) {
      throw new TrawlError(
        'network',
        `could not start Chromium (${this.options.executablePath}): ${(err as Error).message.split('\n')[0]}`,
        { cause: err, retryable: true },
      );
    }
    const generation: Generation = {
      browser,
      contexts: new Map(),
      browserPages: 0,
      open: new Map(),
      retired: new Set(),
      idle: new Map(),
      crashed: false,
    };
    browser.on('disconnected', () => (generation.crashed = true));
    if (this.closed) {
      await closeBrowser(browser, this.opTimeoutMs);
      throw new TrawlError('aborted', 'the browser pool is closed');
    }
    this.current = generation;
    return generation;
  }

  private async contextOf(g: Generation, profile?: ContextProfile): Promise<BrowserContext> {
    const perContext = this.options.pagesPerContext ?? 100;
    const key = profile?.key ?? '';
    let live = g.contexts.get(key);
    if (live !== undefined && live.pages >= perContext) {
      this.retireContext(g, key, live);
      live = undefined;
    }
    if (live === undefined) {
      const most = this.options.maxContexts ?? Math.max(2, this.options.maxPages);
      // The least recently used first (a Map keeps insertion order; used ones move last).
      for (const [oldKey, old] of g.contexts) {
        if (g.contexts.size < most) break;
        this.retireContext(g, oldKey, old);
      }
      const context = await deadline(
        g.browser.newContext({
          userAgent: profile?.userAgent ?? this.options.userAgent,
          serviceWorkers: 'block',
          javaScriptEnabled: true,
          ...(this.options.viewport === undefined ? {} : { viewport: this.options.viewport }),
          ...(profile?.extraHTTPHeaders === undefined
            ? {}
            : { extraHTTPHeaders: profile.extraHTTPHeaders }),
          ...(profile?.proxyServer === undefined ? {} : { proxy: { server: profile.proxyServer } }),
        }),
        this.opTimeoutMs,
        'opening a browser context',
      );
      const blocked = new Set(this.options.blockResources ?? DEFAULT_BLOCKED);
      if (blocked.size > 0) {
        await context.route('**/*', (route) =>
          blocked.has(route.request().resourceType()) ? route.abort() : route.continue(),
        );
      }
      live = { context, pages: 0 };
    } else {
      g.contexts.delete(key);
    }
    g.contexts.set(key, live);
    live.pages++;
    g.browserPages++;
    return live.context;
  }

  /** Stops handing out a context; it closes once its last page is done. */
  private retireContext(g: Generation, key: string, live: LiveContext): void {
    g.contexts.delete(key);
    g.retired.add(live.context);
    this.closeIfIdle(g, live.context);
  }

  /**
   * Before a page is opened: closes idle pages of other contexts while the pages open
   * and idle would exceed maxPages (each is a renderer process).
   */
  private async trimIdle(g: Generation): Promise<void> {
    let idle = 0;
    for (const pages of g.idle.values()) idle += pages.length;
    for (const pages of g.idle.values()) {
      while (pages.length > 0 && idle + this.inUse > this.options.maxPages) {
        idle--;
        await this.closePage(g, pages.shift() as Page);
      }
    }
  }

  /** Back to its context's idle pages, without what `use` added to it (routes). */
  private async keepPage(g: Generation, context: BrowserContext, page: Page): Promise<void> {
    try {
      await deadline(
        page.unrouteAll({ behavior: 'ignoreErrors' }),
        this.opTimeoutMs,
        'resetting a browser page',
      );
    } catch {
      await this.closePage(g, page);
      return;
    }
    const idle = g.idle.get(context);
    if (idle === undefined) g.idle.set(context, [page]);
    else idle.push(page);
  }

  private async closePage(g: Generation, page: Page): Promise<void> {
    try {
      await deadline(page.close(), this.opTimeoutMs, 'closing a browser page');
    } catch {
      // A page that cannot be closed means a hung renderer: replace the browser.
      g.crashed = true;
    }
  }

  private release(g: Generation, context: BrowserContext): void {
    const left = (g.open.get(context) ?? 1) - 1;
    if (left > 0) g.open.set(context, left);
    else g.open.delete(context);
    this.closeIfIdle(g, context);
    if (g.crashed && g === this.current) this.retireGeneration(g);
    if (this.old.has(g) && g.open.size === 0) {
      this.old.delete(g);
      void closeBrowser(g.browser, this.opTimeoutMs);
    }
  }

  private closeIfIdle(g: Generation, context: BrowserContext): void {
    if (!g.retired.has(context) || (g.open.get(context) ?? 0) > 0) return;
    g.retired.delete(context);
    g.idle.delete(context);
    void deadline(context.close(), this.opTimeoutMs, 'closing a browser context').catch(() => {
      g.crashed = true;
    });
  }

  private retireGeneration(g: Generation): void {
    if (this.current === g) this.current = null;
    if (g.open.size === 0) void closeBrowser(g.browser, this.opTimeoutMs);
    else this.old.add(g);
  }
}

/** Closes a browser; one that does not close in time is killed (its process group). */
async function closeBrowser(browser: Browser, timeoutMs: number): Promise<void> {
  try {
    await deadline(browser.close(), timeoutMs, 'closing the browser');
  } catch {
    // Playwright's close kills the process when it can; nothing more to do from here.
  }
}

/** `promise`, or a TrawlError 'timeout' after `ms`. */
export async function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TrawlError('timeout', `${what} took over ${ms} ms`, { retryable: true })),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
