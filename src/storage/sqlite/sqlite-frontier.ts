/**
 * The embedded frontier: the host scheduler in memory, every state change persisted to
 * SQLite through the shared write batcher. Leases are not persisted: this process holds
 * the database's exclusive lock, so on reopen every unfinished URL is simply queued
 * again — exactly the URLs that were in flight (or unflushed) when the process died.
 */
import type { Clock } from '../../core/clock.js';
import type { CrawlRequest, DiscoveredLink } from '../../core/types.js';
import type { Frontier, FrontierStats, HostPolicy, Outcome } from '../../frontier/frontier.js';
import { HostScheduler, type SchedulerItem } from '../../frontier/host-scheduler.js';
import type { SqliteDatabase } from './sqlite-database.js';

const QUEUED = 0;
const SUCCEEDED = 2;
const FAILED = 3;
const CLAIMED = 4;

interface Item extends SchedulerItem {
  id: number;
  depth: number;
  attempts: number;
}

export interface SqliteFrontierOptions {
  /** Policy for hosts without an override. */
  hostDefaults: HostPolicy;
  clock: Clock;
}

export async function openSqliteFrontier(
  database: SqliteDatabase,
  options: SqliteFrontierOptions,
): Promise<Frontier> {
  const { db, writer } = database;
  const insert = db.prepare(
    'INSERT OR IGNORE INTO requests (id, url, host, depth, priority, state, attempts, not_before) VALUES (?, ?, ?, ?, ?, ?, 0, 0)',
  );
  const finish = db.prepare('UPDATE requests SET state = ?, attempts = ? WHERE id = ?');
  const reschedule = db.prepare('UPDATE requests SET attempts = ?, not_before = ? WHERE id = ?');

  const scheduler = new HostScheduler<Item>(options.hostDefaults, options.clock);
  const seen = new Set<string>();
  const leased = new Map<string, Item>();
  let succeeded = 0;
  let failed = 0;

  for (const url of db.prepare('SELECT url FROM requests').pluck().iterate()) {
    seen.add(url as string);
  }
  const counts = db
    .prepare('SELECT state, count(*) FROM requests GROUP BY state')
    .raw()
    .all() as number[][];
  for (const row of counts) {
    if (row[0] === SUCCEEDED) succeeded = row[1] as number;
    if (row[0] === FAILED) failed = row[1] as number;
  }
  const queuedRows = db
    .prepare(
      'SELECT id, url, host, depth, priority, attempts, not_before FROM requests WHERE state = 0 ORDER BY priority DESC, id',
    )
    .raw()
    .iterate() as IterableIterator<unknown[]>;
  for (const r of queuedRows) {
    const item: Item = {
      id: r[0] as number,
      url: r[1] as string,
      host: r[2] as string,
      depth: r[3] as number,
      priority: r[4] as number,
      attempts: r[5] as number,
    };
    scheduler.enqueueAt(item, r[6] as number);
  }
  let nextId =
    ((db.prepare('SELECT max(id) FROM requests').raw().get() as [number | null])[0] ?? 0) + 1;

  const frontier: Frontier = {
    async add(links: DiscoveredLink[]): Promise<number> {
      const fresh: Item[] = [];
      for (const link of links) {
        if (seen.has(link.url)) continue;
        seen.add(link.url);
        const item: Item = { ...link, id: nextId++, attempts: 0 };
        fresh.push(item);
        scheduler.enqueue(item);
      }
      if (fresh.length === 0) return 0;
      await writer.write(() => {
        for (const i of fresh) insert.run(i.id, i.url, i.host, i.depth, i.priority, QUEUED);
      });
      return fresh.length;
    },

    async claim(urls): Promise<boolean[]> {
      const fresh: { id: number; url: string; host: string }[] = [];
      const result = urls.map((u) => {
        if (seen.has(u.url)) return false;
        seen.add(u.url);
        fresh.push({ id: nextId++, ...u });
        return true;
      });
      if (fresh.length > 0) {
        await writer.write(() => {
          for (const f of fresh) insert.run(f.id, f.url, f.host, 0, 0, CLAIMED);
        });
      }
      return result;
    },

    async lease(max: number): Promise<CrawlRequest[]> {
      const items = scheduler.lease(max);
      return items.map((item) => {
        leased.set(item.url, item);
        return {
          url: item.url,
          host: item.host,
          depth: item.depth,
          priority: item.priority,
          attempts: item.attempts,
        };
      });
    },

    async complete(outcomes: Outcome[]): Promise<void> {
      const writes: (() => void)[] = [];
      for (const o of outcomes) {
        const item = leased.get(o.url);
        if (item === undefined)
          throw new Error(`complete() for a URL that is not leased: ${o.url}`);
        leased.delete(o.url);
        if (o.kind === 'release') {
          scheduler.release(item.host, null);
          scheduler.enqueue(item);
          continue;
        }
        item.attempts++;
        if (o.kind === 'finished') {
          if (o.ok) succeeded++;
          else failed++;
          scheduler.release(item.host, o.contactedAt);
          const { id, attempts } = item;
          writes.push(() => finish.run(o.ok ? SUCCEEDED : FAILED, attempts, id));
        } else {
          scheduler.release(item.host, o.contactedAt, o.hostPausedUntil);
          scheduler.enqueueAt(item, o.notBefore);
          const { id, attempts } = item;
          writes.push(() => reschedule.run(attempts, o.notBefore, id));
        }
      }
      if (writes.length > 0) await writer.write(() => writes.forEach((w) => w()));
    },

    async setHostPolicy(host: string, policy: Partial<HostPolicy>): Promise<void> {
      scheduler.setPolicy(host, policy);
    },

    async nextDueAt(): Promise<number | null> {
      return scheduler.nextDueAt();
    },

    async stats(): Promise<FrontierStats> {
      return {
        queued: scheduler.queued,
        inFlight: scheduler.inFlight,
        succeeded,
        failed,
        known: seen.size,
      };
    },

    async close(): Promise<void> {
      await writer.flushNow();
    },
  };
  return frontier;
}
