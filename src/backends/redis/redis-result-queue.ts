/**
 * The result queue over Redis Streams (S4): a job's results stream, which the frontier's
 * commit script appends to (`XADD <results> * r <record JSON> [b <body bytes>]`), read by the
 * result writers through one consumer group. Entries are read with XREADGROUP, taken over
 * from dead or stalled writers with XAUTOCLAIM, and acknowledged by ack.lua, which also
 * deletes them: the stream's length is exactly the backlog.
 *
 * Each writer needs a consumer name of its own (e.g. host, pid and a random part): entries
 * are pending per consumer, and a writer that reuses a dead one's name inherits its pending
 * entries (harmless: claimStale takes them back, since XAUTOCLAIM also claims one's own).
 *
 * Entries that cannot be decoded (the record is not JSON, not an object with a url, or the
 * `r` field is missing) are never returned and never dropped: read and claimStale move them
 * to the job's dead letters at once, byte for byte, with the reason (dead-letter.lua), and
 * report them through `onUnreadable`. Retrying cannot repair them, and only this adapter
 * holds their raw bytes; the port's QueuedResult keeps a record that is always a record.
 */
import type { PageRecord } from '../../core/types.js';
import type { QueuedResult, ResultQueue } from '../../storage/result-queue.js';
import { jobKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';
import { callScript } from './redis-scripts.js';

export interface RedisResultQueueOptions {
  /** A client from connectRedis (scripts defined). Not closed by the queue: its creator closes it. */
  redis: RedisClient;
  /** Key prefix, as for the frontier. @default 'trawl' */
  prefix?: string;
  /** This writer's consumer name in the group; unique per writer process. */
  consumer: string;
  /** The consumer group of the result writers. @default 'writers' */
  group?: string;
  /**
   * Told about each entry that could not be decoded, after it was moved to the dead letters
   * (for the log and `trawl_writer_dead_letters_total`). @default ignores it
   */
  onUnreadable?: (jobId: string, id: string, error: string) => void;
}

/** One stream entry as Redis returns it with Buffer replies: [id, [field, value, ...]]. */
type RawEntry = [Buffer, Buffer[] | null];

export function createRedisResultQueue(options: RedisResultQueueOptions): ResultQueue {
  const { redis, prefix, consumer } = options;
  const group = options.group ?? 'writers';
  const onUnreadable = options.onUnreadable ?? (() => {});
  /** Jobs whose consumer group this queue has made sure of. */
  const grouped = new Set<string>();
  /** Per job, where the next XAUTOCLAIM scan of the pending entries goes on. */
  const claimCursors = new Map<string, string>();

  /**
   * Makes sure the job's consumer group exists; false when the job's results stream does
   * not (the job is gone: deleted, or Redis restarted without persistence). The stream
   * is made when the job is submitted; it is never made here, or a writer would bring a
   * vanished job's stream back and leave it behind.
   */
  async function ensureGroup(jobId: string): Promise<boolean> {
    if (grouped.has(jobId)) return true;
    try {
      await redis.xgroup('CREATE', jobKeys(jobId, prefix).results, group, '0');
    } catch (err) {
      const message = errorMessage(err);
      if (message.includes('requires the key to exist')) return false;
      if (!message.includes('BUSYGROUP')) throw err;
    }
    grouped.add(jobId);
    return true;
  }

  /**
   * Runs `fn` with the group in place (once more after NOGROUP: the stream was deleted
   * and made again); `none` when the job has no results stream.
   */
  async function withGroup<T>(jobId: string, none: T, fn: () => Promise<T>): Promise<T> {
    if (!(await ensureGroup(jobId))) return none;
    try {
      return await fn();
    } catch (err) {
      if (!errorMessage(err).includes('NOGROUP')) throw err;
      grouped.delete(jobId);
      if (!(await ensureGroup(jobId))) return none;
      return fn();
    }
  }

  async function deadLetterId(jobId: string, id: string, error: string): Promise<void> {
    const keys = jobKeys(jobId, prefix);
    await callScript(
      redis,
      'dead-letter',
      [keys.results, keys.deadLetters],
      [group, id, error, Date.now()],
    );
  }

  /**
   * Decodes `entries`, with `deliveries` per id; dead-letters the undecodable ones. A
   * failure to dead-letter one leaves it pending on this consumer, so a later claimStale
   * brings it back and tries again: the good entries are returned either way.
   */
  async function decode(
    jobId: string,
    entries: RawEntry[],
    deliveries: (id: string) => number | undefined,
  ): Promise<QueuedResult[]> {
    const results: QueuedResult[] = [];
    for (const [rawId, fields] of entries) {
      const id = rawId.toString();
      const n = deliveries(id);
      // Not pending on this consumer any more (see claimStale): not ours to handle.
      if (n === undefined) continue;
      if (fields === null) {
        // Redis 6.2 lists an entry deleted while pending with nil fields: clear it from
        // the group without counting it as written (7.0 drops such ids itself).
        await redis.xack(jobKeys(jobId, prefix).results, group, id);
        continue;
      }
      const decoded = decodeRecord(fields);
      if (typeof decoded === 'string') {
        try {
          await deadLetterId(jobId, id, decoded);
          onUnreadable(jobId, id, decoded);
        } catch {
          // Stays pending here; claimStale retries it after its idle time.
        }
        continue;
      }
      results.push({ id, record: decoded, deliveries: n });
    }
    return results;
  }

  /** Delivery counts of `ids` (ascending, all just claimed by this consumer) from XPENDING. */
  async function deliveryCounts(jobId: string, ids: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const wanted = new Set(ids);
    const last = ids[ids.length - 1]!;
    let start = ids[0]!;
    // One page in practice: the range holds only this consumer's entries, which are the
    // claimed ones (a sequential writer holds nothing else while it claims).
    while (counts.size < wanted.size) {
      const page = (await redis.xpending(
        jobKeys(jobId, prefix).results,
        group,
        start,
        last,
        ids.length,
        consumer,
      )) as [string, string, number, number][];
      for (const [id, , , n] of page) if (wanted.has(id)) counts.set(id, Number(n));
      if (page.length < ids.length) break;
      start = `(${page[page.length - 1]![0]}`;
    }
    return counts;
  }

  return {
    async read(jobId, max) {
      const reply = (await withGroup(jobId, null, () =>
        bufferCommand(
          redis,
          'xreadgroupBuffer',
          'GROUP',
          group,
          consumer,
          'COUNT',
          max,
          'STREAMS',
          jobKeys(jobId, prefix).results,
          '>',
        ),
      )) as [Buffer, RawEntry[]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      // A first delivery: XREADGROUP with ">" hands out only entries never delivered.
      return decode(jobId, entries, () => 1);
    },

    async claimStale(jobId, max, minIdleMs) {
      const results = jobKeys(jobId, prefix).results;
      const cursor = claimCursors.get(jobId) ?? '0-0';
      const reply = (await withGroup(jobId, [Buffer.from('0-0'), []], () =>
        bufferCommand(
          redis,
          'xautoclaimBuffer',
          results,
          group,
          consumer,
          Math.max(0, Math.round(minIdleMs)),
          cursor,
          'COUNT',
          max,
        ),
      )) as [Buffer, RawEntry[], Buffer[]?];
      // "0-0": the scan reached the end of the pending entries; the next one starts over.
      // A third element (Redis 7) lists pending ids whose entries were deleted: Redis has
      // already removed them from the group, and there is nothing left to write.
      claimCursors.set(jobId, reply[0].toString());
      const entries = reply[1];
      if (entries.length === 0) return [];
      const counts = await deliveryCounts(
        jobId,
        entries.map(([id]) => id.toString()),
      );
      // An id missing from XPENDING was acknowledged (or claimed by another writer) between
      // the two calls: decode skips it.
      return decode(jobId, entries, (id) => counts.get(id));
    },

    async ack(jobId, ids) {
      if (ids.length === 0) return;
      await callScript(redis, 'ack', [jobKeys(jobId, prefix).job], [group, ...ids]);
    },

    async deadLetter(jobId, entry, error) {
      await deadLetterId(jobId, entry.id, error);
    },

    unwritten: (jobId) => redis.xlen(jobKeys(jobId, prefix).results),
    deadLetters: (jobId) => redis.xlen(jobKeys(jobId, prefix).deadLetters),
  };
}

/**
 * Calls a command's Buffer variant (replies as Buffers, so bodies stay bytes). ioredis
 * defines `<command>Buffer` for every command at run time but types only some, not these
 * two; and `callBuffer('XREADGROUP', ...)` is no way round it: with auto-pipelining on,
 * ioredis 5 drops its command name (the server sees `GROUP ...`).
 */
function bufferCommand(
  redis: RedisClient,
  name: 'xreadgroupBuffer' | 'xautoclaimBuffer',
  ...args: (string | number)[]
): Promise<unknown> {
  const fn = (redis as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`this ioredis client has no ${name}`);
  return (fn as (...a: (string | number)[]) => Promise<unknown>).apply(redis, args);
}

/** The entry's PageRecord (its body from `b`), or why it cannot be one. */
function decodeRecord(fields: Buffer[]): PageRecord | string {
  let json: Buffer | undefined;
  let body: Buffer | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === 'r') json = fields[i + 1];
    else if (name === 'b') body = fields[i + 1]!;
  }
  if (json === undefined) return 'unreadable result entry: no record field "r"';
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (err) {
    return `unreadable result entry: the record is not JSON (${errorMessage(err)})`;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { url?: unknown }).url !== 'string'
  ) {
    return 'unreadable result entry: the record is not an object with a url';
  }
  // commit.lua stores the body only when there is one; an empty one is stored as none.
  return { ...(parsed as PageRecord), body };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
