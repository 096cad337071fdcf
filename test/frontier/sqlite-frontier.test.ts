import { join } from 'node:path';
import type { PageRecord } from '../../src/core/types.js';
import {
  openSqliteDatabase,
  type SqliteDatabase,
} from '../../src/backends/sqlite/sqlite-database.js';
import { openSqliteFrontier } from '../../src/backends/sqlite/sqlite-frontier.js';
import { createSqlitePageStore } from '../../src/backends/sqlite/sqlite-page-store.js';
import { tempDir } from '../support/temp-dir.js';
import { frontierContract } from './frontier-contract.js';

frontierContract('SQLite (embedded)', async () => {
  const dir = await tempDir();
  let db: SqliteDatabase | null = null;
  return {
    async open(clock, settings) {
      db = openSqliteDatabase(join(dir.path, 'data'));
      const frontier = await openSqliteFrontier(db, { clock, settings });
      const opened = db;
      return {
        ...frontier,
        close: async () => {
          await frontier.close();
          await opened.close();
          db = null;
        },
      };
    },
    async committedPages() {
      const pages = new Map<string, PageRecord>();
      if (db === null) return pages;
      await db.writer.flushNow();
      for await (const p of createSqlitePageStore(db).scanPages()) pages.set(p.url, p);
      return pages;
    },
    async cleanup() {
      await dir.cleanup();
    },
  };
});
