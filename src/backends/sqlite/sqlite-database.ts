/**
 * The embedded database: one SQLite file in the data dir, WAL mode, shared by the
 * SQLite frontier and page store so a batch of results commits in one transaction.
 */
import { mkdirSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../../core/errors.js';
import { SQLITE_MIGRATIONS } from './migrations/index.js';
import { WriteBatcher } from './write-batcher.js';

export interface SqliteDatabase {
  readonly db: Database.Database;
  readonly writer: WriteBatcher;
  readonly path: string;
  close(): Promise<void>;
}

export const DATABASE_FILE = 'trawl.db';

/**
 * Opens (creating if needed) the database in `dataDir` and takes an exclusive lock on it
 * for the life of the process. The lock is the OS's file lock, so a process killed with
 * SIGKILL never leaves a stale lock behind.
 */
export function openSqliteDatabase(dataDir: string): SqliteDatabase {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK | constants.R_OK);
  } catch (err) {
    throw new UsageError(`data dir ${dataDir} is not usable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const path = join(dataDir, DATABASE_FILE);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 200 });
    // Exclusive locking: WAL without shared memory, and a second trawl on the same data
    // dir fails at once instead of corrupting the crawl's bookkeeping.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    // NORMAL: a commit survives a process crash (kill -9); only an OS crash may lose the
    // last transactions, which a resumed crawl then refetches.
    db.pragma('synchronous = NORMAL');
    // 16 MiB of page cache: the hot set is the URL index and the tail of each table.
    db.pragma('cache_size = -16384');
    db.pragma('temp_store = MEMORY');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new UsageError(`data dir ${dataDir} is in use by another trawl process`, {
        cause: err,
      });
    }
    throw new UsageError(`cannot open the database in ${dataDir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  migrate(db);
  const writer = new WriteBatcher(db);
  return {
    db,
    writer,
    path,
    async close() {
      await writer.flushNow();
      db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SQLITE_MIGRATIONS.length) {
    throw new UsageError(
      `the data dir was written by a newer trawl (schema ${version}); upgrade trawl or use another --data-dir`,
    );
  }
  for (let v = version; v < SQLITE_MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
