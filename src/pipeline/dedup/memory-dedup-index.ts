/**
 * The in-process dedup index: for `trawl process`, tests, and crawls whose workers all
 * live in one process. `check` runs synchronously to the end before it yields, so the
 * event loop makes it atomic against every other caller of the same instance.
 */
import {
  checkArgs,
  ORIGINAL,
  type DedupCheckOptions,
  type DedupIndex,
  type DedupVerdict,
} from './dedup-index.js';
import { hammingDistance, simhashBands } from './simhash.js';

interface Original {
  url: string;
  simhash: string;
  /** Position among the job's originals (ties between equally near ones go to the first). */
  seq: number;
}

/** One job's tables. */
class JobTable {
  /** Every URL checked, with the verdict it got. */
  readonly verdicts = new Map<string, DedupVerdict>();
  /** Content hash -> the original's URL. */
  readonly hashes = new Map<string, string>();
  /** "<band index><4 hex>" -> originals having that band, in check order. */
  readonly bands = new Map<string, Original[]>();

  check(url: string, contentHash: string, simhash: string, threshold: number): DedupVerdict {
    const seen = this.verdicts.get(url);
    if (seen !== undefined) return seen;
    const verdict = this.lookup(contentHash, simhash, threshold);
    this.verdicts.set(url, verdict);
    if (verdict.duplicateOf === null) this.addOriginal(url, contentHash, simhash, threshold);
    return verdict;
  }

  private lookup(contentHash: string, simhash: string, threshold: number): DedupVerdict {
    const exact = this.hashes.get(contentHash);
    if (exact !== undefined) return { duplicateOf: exact, kind: 'exact', distance: 0 };
    if (threshold < 0) return ORIGINAL;
    let best: Original | null = null;
    let bestDistance = threshold + 1;
    const bands = simhashBands(simhash);
    for (let i = 0; i < bands.length; i++) {
      for (const original of this.bands.get(i + bands[i]!) ?? []) {
        const d = hammingDistance(simhash, original.simhash);
        // Closest wins; a tie goes to the earliest original, as in the other adapters.
        if (d < bestDistance || (d === bestDistance && best !== null && original.seq < best.seq)) {
          best = original;
          bestDistance = d;
        }
      }
    }
    if (best === null) return ORIGINAL;
    return { duplicateOf: best.url, kind: 'near', distance: bestDistance };
  }

  private addOriginal(url: string, contentHash: string, simhash: string, threshold: number): void {
    this.hashes.set(contentHash, url);
    if (threshold < 0) return;
    const original = { url, simhash, seq: this.hashes.size };
    simhashBands(simhash).forEach((band, i) => {
      const key = i + band;
      const list = this.bands.get(key);
      if (list === undefined) this.bands.set(key, [original]);
      else list.push(original);
    });
  }
}

/** Options of createMemoryDedupIndex (none yet; kept for symmetry with the adapters). */
export type MemoryDedupIndexOptions = Record<string, never>;

/**
 * A new, empty in-memory index. Memory grows with the pages checked (each URL once,
 * each original's hash and 4 band entries); drop the index with the job.
 */
export function createMemoryDedupIndex(): DedupIndex {
  const jobs = new Map<string, JobTable>();
  let closed = false;
  return {
    async check(
      jobId: string,
      url: string,
      contentHash: string,
      simhash: string,
      options?: DedupCheckOptions,
    ): Promise<DedupVerdict> {
      if (closed) throw new Error('dedup index is closed');
      const args = checkArgs(url, contentHash, simhash, options);
      let table = jobs.get(jobId);
      if (table === undefined) {
        table = new JobTable();
        jobs.set(jobId, table);
      }
      return table.check(url, args.contentHash, args.simhash, args.threshold);
    },
    async close(): Promise<void> {
      closed = true;
      jobs.clear();
    },
  };
}
