/**
 * The dedup index port: "have we kept this content already?", shared by every worker of
 * a job. Adapters: memory (one process), SQLite (embedded mode), Redis (distributed).
 *
 * The guarantee every adapter gives (test/pipeline/dedup/dedup-contract.ts): `check` is
 * one atomic look-up-and-insert per job, so of all pages with the same content the first
 * checked wins (`duplicateOf: null`) and every other gets that winner's URL, even when
 * workers on different machines check them at the same moment.
 *
 * Only winners ("originals") are indexed. A page is compared with originals only, so
 * `duplicateOf` always names a page that was kept, and near-duplicates cannot chain (C
 * near B near A, but C far from A, makes C an original rather than a copy of a copy).
 *
 * Near-duplicates: the 64 SimHash bits are split into 4 bands of 16 bits. Two
 * fingerprints at most 3 bits apart cannot differ in all four bands (pigeonhole), so
 * looking up the originals that share a band exactly, then checking the real distance,
 * finds every original within the threshold. Thresholds above 3 would need more, smaller
 * bands (more candidates per look-up) and are refused.
 */
import { MAX_NEAR_THRESHOLD_BITS, DEFAULT_NEAR_THRESHOLD_BITS, isSimhash } from './simhash.js';

/** What `check` found. All null: the page is an original (first of its content). */
export interface DedupVerdict {
  /** URL (or id) of the original this page duplicates, or null. */
  duplicateOf: string | null;
  /** 'exact': same content hash; 'near': SimHash within the threshold. */
  kind: 'exact' | 'near' | null;
  /** Hamming distance to the original's SimHash (0 for exact), or null. */
  distance: number | null;
}

/** How one `check` looks for near-duplicates. Use the same for every check of a job. */
export interface DedupCheckOptions {
  /** Look for near-duplicates too; when false, originals are not band-indexed either
   * (less state), so later near look-ups cannot see them. @default true */
  near?: boolean;
  /** Most differing bits (0-3) that still count as a near-duplicate. @default 3 */
  threshold?: number;
}

export interface DedupIndex {
  /**
   * Looks `url` up and records it, atomically for the job. `contentHash` is the exact
   * hash (hex, at least 16 digits; adapters may keep only the first 64 bits), `simhash`
   * 16 hex digits (simhash.ts). Checking a URL that was checked before returns its
   * earlier verdict unchanged (a refetch after a crash is not "a duplicate of itself").
   */
  check(
    jobId: string,
    url: string,
    contentHash: string,
    simhash: string /* 16 hex */,
    options?: DedupCheckOptions,
  ): Promise<DedupVerdict>;
  /** Releases what the index opened (not an injected connection). */
  close(): Promise<void>;
}

/** The verdict of an original. */
export const ORIGINAL: DedupVerdict = Object.freeze({
  duplicateOf: null,
  kind: null,
  distance: null,
});

/** A check's arguments, validated: adapters call this before touching any state. */
export interface CheckedArgs {
  contentHash: string;
  simhash: string;
  /** Near threshold in bits, or -1 when near look-ups are off. */
  threshold: number;
}

const HASH_HEX = /^[0-9a-f]{16,128}$/;

/** Validates and normalises a check's arguments; throws RangeError on bad input. */
export function checkArgs(
  url: string,
  contentHash: string,
  simhash: string,
  options: DedupCheckOptions = {},
): CheckedArgs {
  if (url === '') throw new RangeError('dedup check: the url (or id) is empty');
  const hash = contentHash.toLowerCase();
  if (!HASH_HEX.test(hash)) {
    throw new RangeError(`dedup check: contentHash must be 16-128 hex digits, got ${contentHash}`);
  }
  const sim = simhash.toLowerCase();
  if (!isSimhash(sim)) throw new RangeError(`dedup check: simhash must be 16 hex, got ${simhash}`);
  const threshold = options.threshold ?? DEFAULT_NEAR_THRESHOLD_BITS;
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > MAX_NEAR_THRESHOLD_BITS) {
    throw new RangeError(
      `dedup check: threshold must be an integer 0-${MAX_NEAR_THRESHOLD_BITS} bits (the 4-band index finds no more), got ${threshold}`,
    );
  }
  return { contentHash: hash, simhash: sim, threshold: options.near === false ? -1 : threshold };
}
