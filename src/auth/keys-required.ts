/**
 * "Must a request present a key?" — asked on every request of every API (REST, gRPC), so
 * it must be cheap: a cached answer, refreshed (one query shared by concurrent requests)
 * at most every `refreshMs` while it is "no", so a key created with `trawl keys create`
 * while the server runs takes effect within seconds. Once a key exists the answer cannot
 * go back (revoked keys count: revoking every key locks the API rather than opening it),
 * so it is never asked again.
 */
import type { ApiKeyStore } from './api-key-store.js';

/** The longest a newly created first key waits to take effect, ms. */
export const MAX_KEYS_REFRESH_MS = 5_000;

export function keysRequiredCheck(
  apiKeys: Pick<ApiKeyStore, 'any'>,
  cacheMs: number,
): () => Promise<boolean> {
  const refreshMs = Math.min(cacheMs, MAX_KEYS_REFRESH_MS);
  let required = false;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<boolean> | null = null;
  return async () => {
    if (required) return true;
    if (Date.now() - checkedAt < refreshMs) return false;
    pending ??= apiKeys
      .any()
      .then((any) => {
        required = any;
        checkedAt = Date.now();
        return any;
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  };
}
