/**
 * Each system at its best: one run per candidate concurrency on a (smaller) tuning site,
 * then the value that delivered most pages per second among the complete runs. A system
 * with no concurrency setting (spider-rs) or with a value fixed on the command line is
 * not tuned.
 */
import type { PeerSystem } from './peer-systems.js';
import { runSystemOnce } from './run-system.js';
import type { SiteUnderTest } from './site-under-test.js';

export interface TuneTry {
  concurrency: number;
  pagesPerSecond: number;
  delivered: number;
  expected: number;
  complete: boolean;
}

export interface TuneResult {
  /** The value used for the measured rounds (null: the system has no setting). */
  concurrency: number | null;
  /** How it was chosen. */
  how: 'tuned' | 'fixed' | 'default' | 'none';
  tried: TuneTry[];
}

export interface TuneOptions {
  /** A value fixed on the command line for this system, if any. */
  fixed: number | undefined;
  /** Run the candidates (else use the system's default). */
  tune: boolean;
  tmpRoot: string;
  timeoutMs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export async function tuneConcurrency(
  system: PeerSystem,
  site: SiteUnderTest,
  options: TuneOptions,
): Promise<TuneResult> {
  if (system.concurrencies.length === 0) return { concurrency: null, how: 'none', tried: [] };
  if (options.fixed !== undefined) return { concurrency: options.fixed, how: 'fixed', tried: [] };
  const first = system.concurrencies[0] as number;
  if (!options.tune || system.concurrencies.length === 1) {
    return { concurrency: first, how: 'default', tried: [] };
  }
  const tried: TuneTry[] = [];
  for (const concurrency of system.concurrencies) {
    if (options.signal?.aborted) break;
    const r = await runSystemOnce(system, site, {
      round: null,
      concurrency,
      tmpRoot: options.tmpRoot,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    tried.push({
      concurrency,
      pagesPerSecond: r.pagesPerSecond,
      delivered: r.delivered,
      expected: r.expected,
      complete: r.complete,
    });
    options.log(
      `  tune ${system.id} c=${concurrency}: ${r.pagesPerSecond.toFixed(0)} pages/s, ` +
        `${r.delivered}/${r.expected} delivered`,
    );
  }
  const complete = tried.filter((t) => t.complete);
  const pool = complete.length > 0 ? complete : tried;
  const best = pool.reduce<TuneTry | null>(
    (b, t) => (b === null || t.pagesPerSecond > b.pagesPerSecond ? t : b),
    null,
  );
  return { concurrency: best?.concurrency ?? first, how: 'tuned', tried };
}
