/**
 * API keys of the embedded service: the api_keys table of `<dataDir>/service.db`. The
 * server and `trawl keys` open the same file at once (WAL), so a key created or revoked
 * from the CLI reaches a running server within its cache TTL.
 */
import {
  createApiKeyStore,
  type ApiKeyRow,
  type ApiKeyRows,
  type ApiKeyStoreOptions,
} from '../../auth/create-api-key-store.js';
import type { ApiKeyStore } from '../../auth/api-key-store.js';
import type { ServiceDatabase } from './service-database.js';

interface Row {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  webhook_secret: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** The database stays the caller's: closing it is theirs. */
export function createSqliteApiKeyStore(
  database: ServiceDatabase,
  options: ApiKeyStoreOptions = {},
): ApiKeyStore {
  const { db } = database;
  const insert = db.prepare(
    `INSERT INTO api_keys (id, name, scopes, hash, webhook_secret, created_at, last_used_at, revoked_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const get = db.prepare('SELECT * FROM api_keys WHERE id = ?');
  const list = db.prepare('SELECT * FROM api_keys ORDER BY created_at, id');
  const revoke = db.prepare(
    'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?',
  );
  const touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
  const any = db.prepare('SELECT EXISTS (SELECT 1 FROM api_keys) AS e').pluck();

  const rows: ApiKeyRows = {
    async insert(row) {
      insert.run(
        row.id,
        row.name,
        row.scopes,
        row.hash,
        row.webhookSecret,
        row.createdAt,
        row.lastUsedAt,
        row.revokedAt,
      );
    },
    async get(id) {
      const row = get.get(id) as Row | undefined;
      return row === undefined ? null : fromRow(row);
    },
    async list() {
      return (list.all() as Row[]).map(fromRow);
    },
    async revoke(id, at) {
      return revoke.run(at, id).changes > 0;
    },
    async touch(id, at) {
      touch.run(at, id);
    },
    async any() {
      return any.get() === 1;
    },
  };
  return createApiKeyStore(rows, options);
}

function fromRow(row: Row): ApiKeyRow {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    hash: row.hash,
    webhookSecret: row.webhook_secret,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
