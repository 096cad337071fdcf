import { join } from 'node:path';
import { openSqliteDatabase } from '../../../src/backends/sqlite/sqlite-database.js';
import {
  createSqlitePageStore,
  pageUpserter,
} from '../../../src/backends/sqlite/sqlite-page-store.js';
import { pageStoreContract } from '../../storage/page-store-contract.js';
import { tempDir } from '../../support/temp-dir.js';

pageStoreContract('SQLite (embedded)', async () => {
  const dir = await tempDir();
  const database = openSqliteDatabase(join(dir.path, 'data'));
  const upsert = pageUpserter(database);
  return {
    // The frontier's commit writes pages this way: inside the batcher's transaction.
    write: (pages) => database.writer.write(() => pages.forEach(upsert)),
    store: createSqlitePageStore(database),
    async cleanup() {
      await database.close();
      await dir.cleanup();
    },
  };
});
