/**
 * A plain site for crawls that span processes: `pages` pages per host, page i linking to
 * 2i+1 and 2i+2 (and back to the home page), served on loopback. Records every request
 * with its server-side arrival time, so tests assert what was really fetched, and when.
 */
import { html, page, startTestServer, type TestServer } from './http-server.js';

export interface TreeSite {
  servers: TestServer[];
  /** The home page of each host. */
  seeds: string[];
  /** Every page URL a complete crawl stores (robots.txt excluded). */
  expected: string[];
  /** Requests for `url`'s path on its host. */
  hits(url: string): number;
  close(): Promise<void>;
}

/**
 * @param hosts loopback addresses, one server each
 * @param latencyMs server-side delay before each page is answered, so crawls last long
 *   enough to be interrupted
 */
export async function startTreeSite(
  hosts: string[],
  pages: number,
  latencyMs = 0,
): Promise<TreeSite> {
  const pathOf = (i: number): string => (i === 0 ? '/' : `/p/${i}`);
  const servers = await Promise.all(
    hosts.map((host) =>
      startTestServer((req, res) => {
        if (req.url === '/robots.txt') return html(res, 'none', 404);
        const n = req.url === '/' ? 0 : Number(/^\/p\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
        if (n < 0 || n >= pages) return html(res, 'no such page', 404);
        const links = [2 * n + 1, 2 * n + 2].filter((k) => k < pages).map(pathOf);
        const body = page(`Page ${n} of ${host}`, ['/', ...links]);
        if (latencyMs > 0) setTimeout(() => html(res, body), latencyMs);
        else html(res, body);
      }, host),
    ),
  );
  const expected = servers.flatMap((s) =>
    Array.from({ length: pages }, (_, i) => `${s.origin}${pathOf(i)}`),
  );
  return {
    servers,
    seeds: servers.map((s) => `${s.origin}/`),
    expected,
    hits(url: string) {
      const u = new URL(url);
      const server = servers.find((s) => s.origin === u.origin);
      return server?.hits(u.pathname) ?? 0;
    },
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

/** The smallest gap between two requests to one server (robots.txt included), ms. */
export function minGapMs(server: TestServer): number {
  const times = server.requests.map((r) => r.at).sort((a, b) => a - b);
  let min = Infinity;
  for (let i = 1; i < times.length; i++) min = Math.min(min, times[i]! - times[i - 1]!);
  return min;
}
