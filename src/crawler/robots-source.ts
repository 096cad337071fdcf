/** What the crawl loop needs from robots.txt handling (implemented by frontier/robots). */
export interface RobotsRules {
  /**
   * 'disallow-all': robots.txt was unreachable (5xx, network): nothing may be fetched
   * until `expiresAt`, when it is fetched again.
   */
  kind: 'parsed' | 'allow-all' | 'disallow-all';
  /** Epoch ms when these rules are refetched. */
  expiresAt: number;
  isAllowed(url: string): boolean;
  /** Crawl-delay for our agent, ms, or null. */
  crawlDelayMs: number | null;
  /** Sitemap URLs the robots.txt lists. */
  sitemaps: readonly string[];
}

export interface RobotsSource {
  /** Cached rules for the URL's origin, if fresh; never does I/O. */
  peek(url: string): RobotsRules | undefined;
  /** Rules for the URL's origin, fetching robots.txt when not cached. */
  get(url: string): Promise<RobotsRules>;
}
