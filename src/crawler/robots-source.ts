/** What the crawl loop needs from robots.txt handling (implemented by frontier/robots). */
export interface RobotsRules {
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
