/**
 * API keys on the gRPC service, as on the REST API (src/api/plugins/auth.ts): once any
 * key exists, every call needs the metadata `authorization: Bearer <key>`, with the
 * write scope for Crawl and read for the status calls. Without this, a gRPC port would
 * be a way around the keys that guard the REST API's crawls.
 */
import type { Metadata } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { hasScope, type ApiKeyStore, type KeyScope } from '../../auth/api-key-store.js';
import { keysRequiredCheck } from '../../auth/keys-required.js';
import { grpcError } from './grpc-mapping.js';

/**
 * Resolves with the id of the key the call presented (null while no key exists); throws
 * a gRPC error (UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE) when refused.
 */
export type GrpcAuthorize = (metadata: Metadata, needed: KeyScope) => Promise<string | null>;

/**
 * @param apiKeys the service's key store; undefined: no authentication (tests, or a
 *   server whose caller authenticates elsewhere)
 * @param cacheMs how long "no key exists" is trusted before asking the store again
 */
export function grpcAuthorizer(apiKeys: ApiKeyStore | undefined, cacheMs: number): GrpcAuthorize {
  if (apiKeys === undefined) return async () => null;
  const keysRequired = keysRequiredCheck(apiKeys, cacheMs);

  return async (metadata, needed) => {
    let verified;
    try {
      if (!(await keysRequired())) return null;
      const token = bearerToken(metadata);
      if (token === null) {
        throw grpcError(
          GrpcStatus.UNAUTHENTICATED,
          'missing API key: send the metadata authorization: Bearer <key>',
        );
      }
      verified = await apiKeys.verify(token);
    } catch (err) {
      if ((err as { code?: unknown }).code === GrpcStatus.UNAUTHENTICATED) throw err;
      throw grpcError(GrpcStatus.UNAVAILABLE, 'cannot check the API key now, retry later');
    }
    if (verified === null) {
      throw grpcError(GrpcStatus.UNAUTHENTICATED, 'invalid or revoked API key');
    }
    if (!hasScope(verified.scopes, needed)) {
      throw grpcError(GrpcStatus.PERMISSION_DENIED, `this API key lacks the ${needed} scope`);
    }
    return verified.id;
  };
}

function bearerToken(metadata: Metadata): string | null {
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string') return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return match === null ? null : match[1]!;
}
