/**
 * The API key port: the keys `trawl keys` creates and the service checks on every request
 * (`Authorization: Bearer <key>`, what the Firecrawl SDK sends). A key is shown once, at
 * creation; only an scrypt hash of its secret is stored. Embedded, keys live in the
 * service database (`<dataDir>/service.db`); distributed, in PostgreSQL, so every service
 * instance sees the same keys.
 */
import { UsageError } from '../core/errors.js';

/** read: look at jobs and results; write: create and control jobs (implies read); admin: everything. */
export type KeyScope = 'read' | 'write' | 'admin';

export const KEY_SCOPES: readonly KeyScope[] = ['read', 'write', 'admin'];

const SCOPE_RANK: Record<KeyScope, number> = { read: 1, write: 2, admin: 3 };

/** What anyone may see of a key: never its secret, never its webhook secret. */
export interface ApiKeyInfo {
  /** The key's public id: the part of the key between `trawl_` and the secret. */
  id: string;
  name: string;
  scopes: KeyScope[];
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms, updated at most once a minute per service process; null: never used. */
  lastUsedAt: number | null;
  /** Epoch ms; null: the key works. */
  revokedAt: number | null;
}

/** A key a request presented and the store accepted. */
export interface VerifiedApiKey extends ApiKeyInfo {
  /** Signs the webhooks of this key's jobs (HMAC-SHA256). */
  webhookSecret: string;
}

export interface CreatedApiKey {
  /** The full key (`trawl_<id>_<secret>`): shown once, never stored, cannot be recovered. */
  key: string;
  /** The webhook signing secret: shown once too. */
  webhookSecret: string;
  record: ApiKeyInfo;
}

export interface CreateApiKeyInput {
  /** What the key is for (shown by `trawl keys list`): 1-100 printable characters. */
  name: string;
  /** At least one; admin implies write, write implies read. */
  scopes: readonly string[];
}

export interface ApiKeyStore {
  /** Creates a key; throws UsageError naming the field (`name`, `scopes`) on bad input. */
  create(input: CreateApiKeyInput): Promise<CreatedApiKey>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ApiKeyInfo[]>;
  /**
   * Revokes a key (idempotent: a revoked key keeps its first revocation time). Other
   * service processes stop accepting it within their cache TTL. Returns null for an
   * unknown id.
   */
  revoke(id: string): Promise<ApiKeyInfo | null>;
  /**
   * The key a request presented, if it exists, is not revoked and its secret matches
   * (constant-time); else null. Answers from a short cache (see createApiKeyStore).
   */
  verify(presentedKey: string): Promise<VerifiedApiKey | null>;
  /**
   * Whether any key was ever created, revoked ones included: once keys exist the service
   * requires one, and revoking every key locks the API rather than opening it.
   */
  any(): Promise<boolean>;
}

/** Whether `granted` covers `needed`: admin implies write, write implies read. */
export function hasScope(granted: readonly KeyScope[], needed: KeyScope): boolean {
  return granted.some((s) => SCOPE_RANK[s] >= SCOPE_RANK[needed]);
}

/** Checks and normalises the scopes of a new key (deduplicated, in KEY_SCOPES order). */
export function parseScopes(scopes: readonly string[], field = 'scopes'): KeyScope[] {
  if (scopes.length === 0) {
    throw new UsageError(`${field}: at least one scope is needed (${KEY_SCOPES.join(', ')})`);
  }
  for (const s of scopes) {
    if (!(KEY_SCOPES as readonly string[]).includes(s)) {
      throw new UsageError(
        `${field}: unknown scope ${JSON.stringify(s)} (use ${KEY_SCOPES.join(', ')})`,
      );
    }
  }
  return KEY_SCOPES.filter((s) => scopes.includes(s));
}

/** Checks the name of a new key. */
export function parseKeyName(name: string, field = 'name'): string {
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex -- control characters would garble `trawl keys list`
  if (trimmed.length < 1 || trimmed.length > 100 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new UsageError(`${field}: must be 1-100 printable characters`);
  }
  return trimmed;
}
