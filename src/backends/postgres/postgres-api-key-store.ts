/**
 * API keys of the distributed service: the api_keys table (migration 4), shared by every
 * service instance on the database, so a key created or revoked anywhere holds everywhere
 * (within each instance's cache TTL).
 */
import type pg from 'pg';
import {
  createApiKeyStore,
  type ApiKeyRow,
  type ApiKeyRows,
  type ApiKeyStoreOptions,
} from '../../auth/create-api-key-store.js';
import type { ApiKeyStore } from '../../auth/api-key-store.js';

interface Row {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  webhook_secret: string;
  created_ms: number;
  last_used_ms: number | null;
  revoked_ms: number | null;
}

const SELECT = `SELECT id, name, scopes, hash, webhook_secret,
  (extract(epoch FROM created_at) * 1000)::float8 AS created_ms,
  (extract(epoch FROM last_used_at) * 1000)::float8 AS last_used_ms,
  (extract(epoch FROM revoked_at) * 1000)::float8 AS revoked_ms
  FROM api_keys`;

const toTimestamp = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

/** The pool stays the caller's: ending it is theirs. */
export function createPostgresApiKeyStore(
  pool: pg.Pool,
  options: ApiKeyStoreOptions = {},
): ApiKeyStore {
  const rows: ApiKeyRows = {
    async insert(row) {
      await pool.query(
        `INSERT INTO api_keys (id, name, scopes, hash, webhook_secret, created_at, last_used_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          row.id,
          row.name,
          row.scopes,
          row.hash,
          row.webhookSecret,
          toTimestamp(row.createdAt),
          toTimestamp(row.lastUsedAt),
          toTimestamp(row.revokedAt),
        ],
      );
    },
    async get(id) {
      const { rows } = await pool.query<Row>(`${SELECT} WHERE id = $1`, [id]);
      return rows[0] === undefined ? null : fromRow(rows[0]);
    },
    async list() {
      const { rows } = await pool.query<Row>(`${SELECT} ORDER BY created_at, id`);
      return rows.map(fromRow);
    },
    async revoke(id, at) {
      const { rowCount } = await pool.query(
        'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1',
        [id, toTimestamp(at)],
      );
      return (rowCount ?? 0) > 0;
    },
    async touch(id, at) {
      await pool.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [
        id,
        toTimestamp(at),
      ]);
    },
    async any() {
      const { rows } = await pool.query<{ e: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM api_keys) AS e',
      );
      return rows[0]?.e === true;
    },
  };
  return createApiKeyStore(rows, options);
}

const ms = (v: number | null): number | null => (v === null ? null : Math.round(v));

function fromRow(row: Row): ApiKeyRow {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    hash: row.hash,
    webhookSecret: row.webhook_secret,
    createdAt: ms(row.created_ms)!,
    lastUsedAt: ms(row.last_used_ms),
    revokedAt: ms(row.revoked_ms),
  };
}
