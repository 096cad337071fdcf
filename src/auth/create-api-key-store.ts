/**
 * The ApiKeyStore over a backend's rows: key generation, hashing, verification and the
 * verification cache are the same for every backend, so each adapter (SQLite's service
 * database, PostgreSQL) only reads and writes rows.
 *
 * Why a cache: scrypt costs ~50 ms of CPU per check, and the service's targets (status
 * reads ≥ 10k req/s, p99 < 20 ms) leave no room for it on every request. A verified key
 * is trusted for `cacheTtlMs` (default 10 s) without asking the store again; so a key
 * revoked elsewhere (`trawl keys revoke`, another service instance) keeps working for at
 * most that long in this process. A revoke through this store takes effect at once here.
 */
import { systemClock, type Clock } from '../core/clock.js';
import {
  formatKey,
  hashSecret,
  isKeyId,
  keyDigest,
  newKeyId,
  newSecret,
  parseKey,
  verifySecret,
} from './api-key-secret.js';
import {
  parseKeyName,
  parseScopes,
  type ApiKeyInfo,
  type ApiKeyStore,
  type KeyScope,
  type VerifiedApiKey,
} from './api-key-store.js';

/** One stored key, as a backend keeps it (timestamps in epoch ms). */
export interface ApiKeyRow {
  id: string;
  name: string;
  /** Comma-separated. */
  scopes: string;
  /** `scrypt$N$r$p$salt$hash`. */
  hash: string;
  webhookSecret: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** What a backend implements: plain row access, no policy. */
export interface ApiKeyRows {
  insert(row: ApiKeyRow): Promise<void>;
  get(id: string): Promise<ApiKeyRow | null>;
  /** Oldest first. */
  list(): Promise<ApiKeyRow[]>;
  /** Sets revoked_at unless already set; false when no such row. */
  revoke(id: string, at: number): Promise<boolean>;
  touch(id: string, at: number): Promise<void>;
  /** Whether there is any row at all. */
  any(): Promise<boolean>;
}

export interface ApiKeyStoreOptions {
  /** How long a verification (accepted or refused) is reused, ms. 0: check every time. @default 10000 */
  cacheTtlMs?: number;
  /**
   * Most cached verifications of each kind (accepted, refused); the oldest go first. Kept
   * apart so a flood of bad keys cannot push the good ones out. @default 10000
   */
  cacheMax?: number;
  clock?: Clock;
  /** Told when recording a key's last use fails (the request is served anyway). */
  onTouchError?: (err: unknown) => void;
}

/** last_used_at is written at most this often per key and process: a write per request would cost more than the request. */
const TOUCH_EVERY_MS = 60_000;

interface CacheEntry {
  key: VerifiedApiKey | null;
  expiresAt: number;
}

export function createApiKeyStore(rows: ApiKeyRows, options: ApiKeyStoreOptions = {}): ApiKeyStore {
  const ttlMs = options.cacheTtlMs ?? 10_000;
  const cacheMax = options.cacheMax ?? 10_000;
  const clock = options.clock ?? systemClock;
  const onTouchError = options.onTouchError ?? (() => {});
  const accepted = new Map<string, CacheEntry>();
  const refused = new Map<string, CacheEntry>();
  // Concurrent requests with the same uncached key share one scrypt.
  const pending = new Map<string, Promise<VerifiedApiKey | null>>();
  const lastTouch = new Map<string, number>();

  const remember = (digest: string, key: VerifiedApiKey | null): void => {
    if (ttlMs <= 0) return;
    const cache = key === null ? refused : accepted;
    if (cache.size >= cacheMax) cache.delete(cache.keys().next().value!);
    cache.set(digest, { key, expiresAt: clock.now() + ttlMs });
  };

  const touch = (key: VerifiedApiKey): void => {
    const now = clock.now();
    const last = lastTouch.get(key.id) ?? key.lastUsedAt ?? 0;
    if (now - last < TOUCH_EVERY_MS) return;
    lastTouch.set(key.id, now);
    rows.touch(key.id, now).catch(onTouchError);
  };

  const check = async (presented: string): Promise<VerifiedApiKey | null> => {
    const parsed = parseKey(presented);
    if (parsed === null) return null;
    const row = await rows.get(parsed.id);
    // An unknown id costs no scrypt; a revoked key is refused before its secret is checked.
    if (row === null || row.revokedAt !== null) return null;
    if (!(await verifySecret(parsed.secret, row.hash))) return null;
    return { ...info(row), webhookSecret: row.webhookSecret };
  };

  return {
    async create(input) {
      const name = parseKeyName(input.name);
      const scopes = parseScopes(input.scopes);
      const id = newKeyId();
      const secret = newSecret();
      const webhookSecret = `whsec_${newSecret()}`;
      const row: ApiKeyRow = {
        id,
        name,
        scopes: scopes.join(','),
        hash: await hashSecret(secret),
        webhookSecret,
        createdAt: clock.now(),
        lastUsedAt: null,
        revokedAt: null,
      };
      await rows.insert(row);
      return { key: formatKey(id, secret), webhookSecret, record: info(row) };
    },

    async list() {
      return (await rows.list()).map(info);
    },

    async revoke(id) {
      if (!isKeyId(id) || !(await rows.revoke(id, clock.now()))) return null;
      for (const [digest, entry] of accepted) if (entry.key?.id === id) accepted.delete(digest);
      const row = await rows.get(id);
      return row === null ? null : info(row);
    },

    async verify(presented) {
      const digest = keyDigest(presented);
      const hit = accepted.get(digest) ?? refused.get(digest);
      if (hit !== undefined && hit.expiresAt > clock.now()) {
        if (hit.key !== null) touch(hit.key);
        return hit.key;
      }
      accepted.delete(digest);
      refused.delete(digest);
      let work = pending.get(digest);
      if (work === undefined) {
        work = check(presented)
          .then((key) => {
            remember(digest, key);
            return key;
          })
          .finally(() => pending.delete(digest));
        pending.set(digest, work);
      }
      const key = await work;
      if (key !== null) touch(key);
      return key;
    },

    any() {
      return rows.any();
    },
  };
}

function info(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.split(',').filter((s) => s !== '') as KeyScope[],
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}
