import { join } from 'node:path';
import {
  openSqliteDatabase,
  type SqliteDatabase,
} from '../../src/storage/sqlite/sqlite-database.js';
import { openSqliteFrontier } from '../../src/storage/sqlite/sqlite-frontier.js';
import { tempDir } from '../support/temp-dir.js';
import { frontierContract } from './frontier-contract.js';

frontierContract('SQLite (embedded)', async () => {
  const dir = await tempDir();
  let db: SqliteDatabase | null = null;
  return {
    async open(clock, hostDefaults) {
      db = openSqliteDatabase(join(dir.path, 'data'));
      const frontier = await openSqliteFrontier(db, { clock, hostDefaults });
      const opened = db;
      return {
        ...frontier,
        close: async () => {
          await frontier.close();
          await opened.close();
        },
      };
    },
    async cleanup() {
      await dir.cleanup();
    },
  };
});
