/**
 * The embedded dedup index: the `dedup_pages` table (migration 3) of the shared SQLite
 * database, rows per job id.
 *
 * Atomicity: a check is one operation of the database's write batcher. Operations run one
 * after another on the one connection inside the batch's transaction, each seeing the
 * writes of those before it, so look-up-and-insert is atomic against every other check
 * (this process holds the database's exclusive lock: no other process can write). The
 * verdict is returned once the batch has committed, so a verdict a caller acted on
 * survives a crash, and the check shares its commit with the frontier's writes.
 */
import {
  checkArgs,
  ORIGINAL,
  type DedupCheckOptions,
  type DedupIndex,
  type DedupVerdict,
} from '../../pipeline/dedup/dedup-index.js';
import { hammingDistance, simhashBands } from '../../pipeline/dedup/simhash.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface VerdictRow {
  duplicate_of: string | null;
  kind: 'exact' | 'near' | null;
  distance: number | null;
}

interface CandidateRow {
  url: string;
  simhash: string;
  seq: number;
}

/**
 * A dedup index over `database` (opened and closed by the caller: close() here only
 * flushes pending writes).
 */
export function createSqliteDedupIndex(database: SqliteDatabase): DedupIndex {
  const { db, writer } = database;
  const verdictOf = db.prepare(
    'SELECT duplicate_of, kind, distance FROM dedup_pages WHERE job_id = ? AND url = ?',
  );
  const originalByHash = db
    .prepare(
      'SELECT url FROM dedup_pages WHERE job_id = ? AND content_hash = ? AND duplicate_of IS NULL',
    )
    .pluck();
  // One SELECT per band, each served by its partial index (`b = ?` implies `b IS NOT NULL`).
  const candidates = db.prepare(
    [0, 1, 2, 3]
      .map(
        (b) => `SELECT url, simhash, rowid AS seq FROM dedup_pages WHERE job_id = ? AND b${b} = ?`,
      )
      .join(' UNION ALL '),
  );
  const insert = db.prepare(
    `INSERT INTO dedup_pages (job_id, url, content_hash, simhash, duplicate_of, kind, distance, b0, b1, b2, b3)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  /** Runs inside the batch transaction: must not yield, and throws only on database errors. */
  const checkNow = (
    jobId: string,
    url: string,
    contentHash: string,
    simhash: string,
    threshold: number,
  ): DedupVerdict => {
    const seen = verdictOf.get(jobId, url) as VerdictRow | undefined;
    if (seen !== undefined) {
      return { duplicateOf: seen.duplicate_of, kind: seen.kind, distance: seen.distance };
    }
    const verdict = lookup(jobId, contentHash, simhash, threshold);
    const bands =
      verdict.duplicateOf === null && threshold >= 0
        ? simhashBands(simhash).map((band) => parseInt(band, 16))
        : [null, null, null, null];
    insert.run(
      jobId,
      url,
      contentHash,
      simhash,
      verdict.duplicateOf,
      verdict.kind,
      verdict.distance,
      ...bands,
    );
    return verdict;
  };

  const lookup = (
    jobId: string,
    contentHash: string,
    simhash: string,
    threshold: number,
  ): DedupVerdict => {
    const exact = originalByHash.get(jobId, contentHash) as string | undefined;
    if (exact !== undefined) return { duplicateOf: exact, kind: 'exact', distance: 0 };
    if (threshold < 0) return ORIGINAL;
    const params = simhashBands(simhash).flatMap((band) => [jobId, parseInt(band, 16)]);
    let best: CandidateRow | null = null;
    let bestDistance = threshold + 1;
    for (const row of candidates.all(...params) as CandidateRow[]) {
      const d = hammingDistance(simhash, row.simhash);
      // Closest wins; a tie goes to the earliest original, as in the other adapters.
      if (d < bestDistance || (d === bestDistance && best !== null && row.seq < best.seq)) {
        best = row;
        bestDistance = d;
      }
    }
    if (best === null) return ORIGINAL;
    return { duplicateOf: best.url, kind: 'near', distance: bestDistance };
  };

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
      // Validated before queuing: a throwing operation would fail the whole batch,
      // other adapters' writes included.
      const args = checkArgs(url, contentHash, simhash, options);
      let verdict: DedupVerdict | undefined;
      await writer.write(() => {
        verdict = checkNow(jobId, url, args.contentHash, args.simhash, args.threshold);
      });
      return verdict!;
    },
    async close(): Promise<void> {
      closed = true;
      await writer.flushNow();
    },
  };
}
