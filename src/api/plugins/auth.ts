/**
 * API key authentication: once any key exists, every route needs `Authorization: Bearer
 * <key>` (what the Firecrawl SDK sends) unless its config says `public: true` (health,
 * metrics, the OpenAPI document and Swagger UI). The scope a route needs is its config's
 * `scope`, by default read for GET/HEAD and write otherwise; admin implies write implies
 * read. Refusals are rendered in the route's error format: 401 `unauthorized` (with
 * `WWW-Authenticate: Bearer`) for a missing, unknown or revoked key, 403 `forbidden` for
 * a missing scope. A WebSocket upgrade may offer the key as its subprotocol instead (the
 * Firecrawl SDK's watcher does).
 *
 * With no key at all, requests pass: `trawl serve` then listens on loopback only (or the
 * operator allowed otherwise, TRAWL_ALLOW_NO_AUTH). Whether keys exist is asked of the
 * store at most every `apiKeyCacheMs` (capped at 5 s) while none do, so a key created with
 * `trawl keys create` while the server runs takes effect within seconds; once a key exists
 * the answer cannot go back (revoked keys count), so it is never asked again.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasScope, type KeyScope, type VerifiedApiKey } from '../../auth/api-key-store.js';
import { keysRequiredCheck } from '../../auth/keys-required.js';
import { ApiError } from '../api-error.js';
import type { AppDeps } from '../app-deps.js';
import { sendError } from './error-handler.js';
import '../route-config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The key this request authenticated with (its webhook secret signs the webhooks of the
     * jobs it creates); null on public routes and while no key exists.
     */
    apiKey: VerifiedApiKey | null;
  }
}

/** Routes of @fastify/swagger and @fastify/swagger-ui: the API's description is public. */
const DOC_ROUTES = /^\/(docs(\/.*)?|openapi\.json)$/;

/** Registers the hooks; call before any route (and the OpenAPI plugin) is added. */
export function registerAuth(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('apiKey', null);
  // Marks the documentation's routes public in their config, where the other plugins
  // (the rate limit) look too. An onRoute hook sees the routes of plugins registered after it.
  app.addHook('onRoute', (route) => {
    if (DOC_ROUTES.test(route.url)) route.config = { ...route.config, public: true };
  });
  const keysRequired = keysRequiredCheck(deps.apiKeys, deps.settings.apiKeyCacheMs);

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.public === true) return;
    const refusal = await authenticate(request, deps, keysRequired);
    if (refusal === null) return;
    if (refusal.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
    if (isUpgrade(request)) {
      // A refused WebSocket upgrade: the HTTP server handed the socket over, so nothing
      // closes it after this response unless we do (it would hold up the server's close).
      reply.raw.once('finish', () => request.raw.socket.destroy());
    }
    return sendError(request, reply, refusal);
  });
}

/** Null when the request may go on (with request.apiKey set when a key is required); else why not. */
async function authenticate(
  request: FastifyRequest,
  deps: AppDeps,
  keysRequired: () => Promise<boolean>,
): Promise<ApiError | null> {
  let verified: VerifiedApiKey | null;
  try {
    if (!(await keysRequired())) return null;
    const presented = presentedKey(request);
    if (presented === null) {
      return new ApiError(
        'unauthorized',
        'missing API key: send the header Authorization: Bearer <key>',
        { field: 'headers.authorization' },
      );
    }
    verified = await deps.apiKeys.verify(presented);
  } catch (err) {
    request.log.error({ err }, 'API key store unreachable');
    return new ApiError('unavailable', 'cannot check the API key now, retry later', {
      retryAfterSec: 1,
    });
  }
  if (verified === null) {
    return new ApiError('unauthorized', 'invalid or revoked API key', {
      field: 'headers.authorization',
    });
  }
  const needed: KeyScope =
    request.routeOptions.config?.scope ?? (isRead(request.method) ? 'read' : 'write');
  if (!hasScope(verified.scopes, needed)) {
    return new ApiError('forbidden', `this API key lacks the ${needed} scope`, {
      field: 'headers.authorization',
      details: { needed, granted: verified.scopes },
    });
  }
  request.apiKey = verified;
  return null;
}

function isUpgrade(request: FastifyRequest): boolean {
  return request.headers.upgrade?.toLowerCase() === 'websocket';
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/**
 * The key of `Authorization: Bearer <key>`; on a WebSocket upgrade without that header,
 * the offered subprotocol that looks like a key (the Firecrawl SDK's watchers cannot set
 * headers: they offer the key as the subprotocol). Null: none presented.
 */
function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return match === null ? null : match[1]!;
  }
  const protocols = request.headers['sec-websocket-protocol'];
  if (!isUpgrade(request) || typeof protocols !== 'string') {
    return null;
  }
  return (
    protocols
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith('trawl_')) ?? null
  );
}
