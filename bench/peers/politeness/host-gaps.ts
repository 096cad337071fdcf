/**
 * Per-host request bookkeeping for the politeness server: arrival gaps (all requests, and
 * page requests only) and which pages were served, summed up for /__stats.
 */
import type { HostGapStats, ServerCounts } from '../site-under-test.js';

/**
 * Arrival times are taken when the server's handler runs, which an event-loop hiccup can
 * shift by a fraction of a millisecond either way: a gap this much short of the delay is
 * measurement noise, not a violation.
 */
export const JITTER_MS = 1;

export interface HostState {
  /** performance.now() of the last request of any kind, or -1. */
  lastArrival: number;
  lastPageArrival: number;
  minGap: number;
  minPageGap: number;
  /** Every gap between two requests (any kind), ms. */
  gaps: number[];
  served: Uint8Array;
  requests: number;
  pages: number;
  repeats: number;
  robots: number;
  notFound: number;
  bytes: number;
}

export function newHostState(pages: number): HostState {
  return {
    lastArrival: -1,
    lastPageArrival: -1,
    minGap: Infinity,
    minPageGap: Infinity,
    gaps: [],
    served: new Uint8Array(pages),
    requests: 0,
    pages: 0,
    repeats: 0,
    robots: 0,
    notFound: 0,
    bytes: 0,
  };
}

/** `page`: the page index, 'robots' for robots.txt, null for a 404. */
export function recordArrival(h: HostState, now: number, page: number | 'robots' | null): void {
  h.requests++;
  if (h.lastArrival >= 0) {
    const gap = now - h.lastArrival;
    h.gaps.push(gap);
    if (gap < h.minGap) h.minGap = gap;
  }
  h.lastArrival = now;
  if (page === 'robots') {
    h.robots++;
    return;
  }
  if (page === null) {
    h.notFound++;
    return;
  }
  if (h.lastPageArrival >= 0) h.minPageGap = Math.min(h.minPageGap, now - h.lastPageArrival);
  h.lastPageArrival = now;
  if (h.served[page] === 0) {
    h.served[page] = 1;
    h.pages++;
  } else h.repeats++;
}

export function hostGapStats(hosts: HostState[], delayMs: number): ServerCounts {
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const mins = hosts
    .map((h) => h.minGap)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const gaps: HostGapStats = {
    hosts: hosts.length,
    minGapMs: finite(Math.min(...hosts.map((h) => h.minGap))),
    minPageGapMs: finite(Math.min(...hosts.map((h) => h.minPageGap))),
    medianHostMinGapMs: mins.length ? (mins[Math.floor(mins.length / 2)] as number) : null,
    gapsBelowDelay: hosts.reduce(
      (n, h) => n + h.gaps.filter((g) => g < delayMs - JITTER_MS).length,
      0,
    ),
  };
  const sum = (f: (h: HostState) => number): number => hosts.reduce((n, h) => n + f(h), 0);
  return {
    requests: sum((h) => h.requests),
    pages: sum((h) => h.pages),
    repeats: sum((h) => h.repeats),
    robots: sum((h) => h.robots),
    notFound: sum((h) => h.notFound),
    bytes: sum((h) => h.bytes),
    gaps,
  };
}
