/**
 * The embedded frontier: the frontier's semantics in memory (frontier/memory), every
 * change persisted to SQLite through the shared write batcher. A commit's page record,
 * its links and its lease outcome go into one transaction.
 *
 * Leases are not persisted: this process holds the database's exclusive lock, so on
 * reopen every unfinished URL is simply queued again — exactly the URLs that were in
 * flight (or unflushed) when the process died. Redirect hops restart from the URL that
 * redirected; its claim on the target is kept, so the chain is followed again.
 */
import type { Clock } from '../../core/clock.js';
import type { DiscoveredLink, PageRecord } from '../../core/types.js';
import type {
  CommitResult,
  Completion,
  Frontier,
  FrontierSettings,
  FrontierStats,
  LeaseBatch,
} from '../../frontier/frontier.js';
import {
  FrontierState,
  type FrontierEntry,
  type FrontierWrites,
} from '../../frontier/memory/frontier-state.js';
import type { StoredRobots } from '../../frontier/robots/robots-rules.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { pageUpserter } from './sqlite-page-store.js';

/** `requests.state` values. */
const QUEUED = 0;
const SUCCEEDED = 2;
const FAILED = 3;
const CLAIMED = 4;
/** `requests.kind` values. */
const PAGE = 0;
const SITEMAPS = 1;

export interface SqliteFrontierOptions {
  settings: FrontierSettings;
  clock: Clock;
}

type Op = () => void;

export async function openSqliteFrontier(
  database: SqliteDatabase,
  options: SqliteFrontierOptions,
): Promise<Frontier> {
  const { db, writer } = database;
  const insert = db.prepare(
    'INSERT OR IGNORE INTO requests (id, url, host, depth, priority, state, attempts, not_before, kind, claimed_by) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?)',
  );
  const finish = db.prepare('UPDATE requests SET state = ?, attempts = ? WHERE id = ?');
  const reschedule = db.prepare('UPDATE requests SET attempts = ?, not_before = ? WHERE id = ?');
  const saveRobots = db.prepare(
    `INSERT INTO robots (origin, kind, status, error, text, fetched_at, expires_at, failures)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (origin) DO UPDATE SET kind = excluded.kind, status = excluded.status,
       error = excluded.error, text = excluded.text, fetched_at = excluded.fetched_at,
       expires_at = excluded.expires_at, failures = excluded.failures`,
  );
  const saveCounters = db.prepare('UPDATE counters SET retries = ?, bytes = ? WHERE id = 1');
  const upsertPage = pageUpserter(database);

  /** The writes of the state call being made; flushed as one batcher operation. */
  let ops: Op[] = [];
  const writes: FrontierWrites = {
    inserted(entry: FrontierEntry, claimedBy: string | null) {
      const { id, url, host, depth, priority } = entry;
      const state = claimedBy === null ? QUEUED : CLAIMED;
      const kind = entry.kind === 'sitemaps' ? SITEMAPS : PAGE;
      ops.push(() => insert.run(id, url, host, depth, priority, state, kind, claimedBy));
    },
    finished(entry: FrontierEntry, ok: boolean) {
      const { id, attempts } = entry;
      ops.push(() => finish.run(ok ? SUCCEEDED : FAILED, attempts, id));
    },
    rescheduled(entry: FrontierEntry, notBefore: number) {
      const { id, attempts } = entry;
      ops.push(() => reschedule.run(attempts, notBefore, id));
    },
    robots(origin: string, s: StoredRobots, failures: number) {
      ops.push(() =>
        saveRobots.run(
          origin,
          s.kind,
          s.status,
          s.error,
          s.text,
          s.fetchedAt,
          s.expiresAt,
          failures,
        ),
      );
    },
    page(record: PageRecord) {
      ops.push(() => upsertPage(record));
    },
  };

  const state = new FrontierState(options.settings, options.clock, writes);
  restore(database, state);

  /** Runs a state call; its writes commit together, and the caller waits for them. */
  async function persisted<T>(call: () => T, counters = false): Promise<T> {
    ops = [];
    const result = call();
    const batch = ops;
    ops = [];
    if (counters) {
      const { retries, bytes } = state.stats();
      batch.push(() => saveCounters.run(retries, bytes));
    }
    if (batch.length > 0) {
      await writer.write(() => {
        for (const op of batch) op();
      });
    }
    return result;
  }

  const frontier: Frontier = {
    leaseMs: options.settings.leaseMs,
    add: (links: DiscoveredLink[]) => persisted(() => state.add(links)),
    addSitemapSources: (origins: string[]) => persisted(() => state.addSitemapSources(origins)),
    lease: (max: number): Promise<LeaseBatch> => persisted(() => state.lease(max)),
    commit: (completions: Completion[]): Promise<CommitResult[]> =>
      persisted(() => completions.map((c) => state.commit(c)), true),
    renew: async (tokens: string[]) => state.renew(tokens),
    stats: async (): Promise<FrontierStats> => state.stats(),
    close: () => writer.flushNow(),
  };
  return frontier;
}

/** Reads the persisted frontier back into the state (a resumed crawl). */
function restore(database: SqliteDatabase, state: FrontierState): void {
  const { db } = database;
  let succeeded = 0;
  let failed = 0;
  const counts = db
    .prepare(`SELECT state, count(*) FROM requests WHERE kind = ${PAGE} GROUP BY state`)
    .raw()
    .all() as number[][];
  for (const [s, n] of counts) {
    if (s === SUCCEEDED) succeeded = n!;
    if (s === FAILED) failed = n!;
  }
  const counters = db.prepare('SELECT retries, bytes FROM counters WHERE id = 1').get() as
    { retries: number; bytes: number } | undefined;
  state.restoreCounts({
    succeeded,
    failed,
    retries: counters?.retries ?? 0,
    bytes: counters?.bytes ?? 0,
  });

  const rows = db
    .prepare(
      'SELECT id, url, host, depth, priority, state, attempts, not_before, kind, claimed_by FROM requests ORDER BY priority DESC, id',
    )
    .raw()
    .iterate() as IterableIterator<unknown[]>;
  for (const r of rows) {
    const id = r[0] as number;
    const url = r[1] as string;
    if (r[5] !== QUEUED) {
      state.restoreKnown(url, id, (r[9] as string | null) ?? null);
      continue;
    }
    const entry: FrontierEntry = {
      id,
      kind: r[8] === SITEMAPS ? 'sitemaps' : 'page',
      url,
      fetchUrl: url,
      redirects: [],
      redirectStatus: null,
      host: r[2] as string,
      depth: r[3] as number,
      priority: r[4] as number,
      attempts: r[6] as number,
    };
    state.restoreQueued(entry, r[7] as number);
  }

  const robots = db
    .prepare(
      'SELECT origin, kind, status, error, text, fetched_at, expires_at, failures FROM robots',
    )
    .raw()
    .iterate() as IterableIterator<unknown[]>;
  for (const r of robots) {
    const stored: StoredRobots = {
      kind: r[1] as StoredRobots['kind'],
      status: r[2] as number | null,
      error: r[3] as string | null,
      text: r[4] as string | null,
      fetchedAt: r[5] as number,
      expiresAt: r[6] as number,
    };
    state.restoreRobots(r[0] as string, stored, r[7] as number);
  }
}
