/** Wires the robots.txt cache to the fetcher. */
import type { Clock } from '../core/clock.js';
import type { RobotsSource } from '../crawler/robots-source.js';
import type { Fetcher } from '../fetch/fetcher.js';
import { RobotsCache } from '../frontier/robots/robots-cache.js';

/** @param unreachableRetryMs how long a 5xx/unreachable robots.txt blocks its origin */
export function createRobotsSource(
  fetcher: Fetcher,
  userAgent: string,
  clock: Clock,
  unreachableRetryMs: number,
): RobotsSource {
  return new RobotsCache({
    fetch: (url, options) => fetcher.fetch(url, options),
    userAgent,
    clock,
    unreachableRetryMs,
  });
}
