/**
 * The distributed dedup index: one call of scripts/dedup-check.lua per check. A script
 * runs alone on the server, so look-up-and-insert is atomic across every worker of a
 * job; all of a job's dedup keys carry its `{job}` hash tag, so in a Redis Cluster they
 * live in the job's slot and the script may touch them all.
 *
 * Memory: records are a few bytes each in listpack-encoded bucket hashes (see the
 * script's header); only an original's URL is stored in full (docs/dedup.md has the
 * measured bytes per page).
 */
import {
  checkArgs,
  ORIGINAL,
  type DedupCheckOptions,
  type DedupIndex,
  type DedupVerdict,
} from '../../pipeline/dedup/dedup-index.js';
import { urlFingerprintHex } from './fingerprint.js';
import { DEFAULT_KEY_PREFIX, jobKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';
import { callScript, defineScripts } from './redis-scripts.js';

export interface RedisDedupIndexOptions {
  /** A connected client (Redis or Cluster); the caller owns it and closes it. */
  redis: RedisClient;
  /** Key prefix of the deployment. @default 'trawl' */
  prefix?: string;
}

/** A dedup index over `options.redis`. Its keys are deleted with the job's other keys. */
export function redisDedupIndex(options: RedisDedupIndexOptions): DedupIndex {
  const { redis } = options;
  const prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  // No I/O: registers the script definitions on the client (idempotent).
  defineScripts(redis);
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
      const keys = jobKeys(jobId, prefix);
      const reply = await callScript(
        redis,
        'dedup-check',
        [keys.dedupMeta, keys.dedupOriginals],
        [
          urlFingerprintHex(url),
          url,
          // 64 bits are plenty to tell contents apart: a false "exact" needs two of a
          // job's n contents to collide, probability ~ n^2 / 2^65 (3e-8 at a million).
          args.contentHash.slice(0, 16),
          args.simhash,
          args.threshold,
        ],
      );
      return verdictFromReply(reply);
    },
    async close(): Promise<void> {
      // The connection is injected: whoever created it closes it.
      closed = true;
    },
  };
}

/** Decodes dedup-check.lua's reply ({0} | {1, 0, url} | {2, d, url}). */
function verdictFromReply(reply: unknown): DedupVerdict {
  if (!Array.isArray(reply)) throw new Error(`dedup-check: unexpected reply ${String(reply)}`);
  const [code, distance, original] = reply as unknown[];
  if (code === 0) return ORIGINAL;
  if ((code === 1 || code === 2) && typeof distance === 'number' && typeof original === 'string') {
    return { duplicateOf: original, kind: code === 1 ? 'exact' : 'near', distance };
  }
  throw new Error(`dedup-check: unexpected reply ${JSON.stringify(reply)}`);
}
