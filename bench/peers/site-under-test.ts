/**
 * What the peer harness needs from a site, whatever serves it (the synthetic node server,
 * nginx with a documentation package, 200 loopback hosts): a fresh server per run, the
 * server's own count of what it answered, and a check of what a crawler delivered.
 */

/** What the server answered during one run, by its own record. */
export interface ServerCounts {
  /** Every request, robots.txt and errors included. */
  requests: number;
  /** Distinct pages answered with 200: what the crawler fetched. */
  pages: number;
  /** Requests for a page already answered (dedup misses). */
  repeats: number;
  robots: number;
  notFound: number;
  /** Body bytes sent. */
  bytes: number;
  /** Per-host request spacing, for the politeness mode only. */
  gaps?: HostGapStats;
}

/** Spacing of requests to each host, measured where they arrive. */
export interface HostGapStats {
  hosts: number;
  /** Smallest gap between two requests to one host, any host, robots.txt included, ms. */
  minGapMs: number | null;
  /** The same over page requests only (robots.txt excluded), ms. */
  minPageGapMs: number | null;
  /** Median over hosts of each host's smallest gap, ms. */
  medianHostMinGapMs: number | null;
  /** Gaps more than 1 ms (timer jitter) shorter than the configured delay, robots.txt included. */
  gapsBelowDelay: number;
}

/** What a crawler's output file holds, checked against the site. */
export interface OutputCounts {
  /** Non-empty lines. */
  lines: number;
  /** Lines with status 200. */
  ok200: number;
  /** Distinct pages of the site among the 200 lines: what the crawler delivered. */
  distinctPages: number;
  /** 200 lines for URLs that are not pages of the site (nor known non-HTML resources). */
  foreign: number;
  /** 200 lines for the site's non-HTML resources (images a crawler fetched and recorded). */
  resources: number;
  /** 200 lines whose title differs from the site's, or null when titles are not checked. */
  titleMismatches: number | null;
  mismatchExample: { url: string; got: unknown; want: string } | null;
  /** 200 lines with a non-empty title. */
  withTitle: number | null;
  unparsable: number;
}

export interface RunningSite {
  /** Where every crawler starts. */
  startUrls: string[];
  /** Origin of the first start URL, without a trailing slash. */
  origin: string;
  /** Processes whose CPU is the server's (read before stopping). */
  serverPids(): number[];
  /** Stops the server and returns what it answered since it started. */
  stop(): Promise<ServerCounts>;
}

export interface SiteUnderTest {
  /** `synthetic`, `real`, `politeness`, or `synthetic-<pages>` for the scale mode. */
  name: string;
  /** For the report: what the site is. */
  describe: Record<string, unknown>;
  /** Pages a complete crawl delivers. */
  expectedPages: number;
  /**
   * One page path per line (`/p/1.html`), every page of the site: the raw-GET ceiling's
   * work list. Null when the site has no such list (several hosts).
   */
  pathsFile: string | null;
  /** A fresh server; `dir` is this run's scratch directory. */
  start(dir: string): Promise<RunningSite>;
  /** Checks a crawler's output; null when the file does not exist. */
  checkOutput(file: string, titles: boolean): Promise<OutputCounts | null>;
}
