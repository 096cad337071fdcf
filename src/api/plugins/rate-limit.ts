/**
 * Rate limits: `rateLimitPerMinute` requests per minute per API key (per client address
 * while no key exists), with @fastify/rate-limit. A fixed one-minute window; a request
 * over the limit gets 429 `rate_limited` with `Retry-After` (seconds until the window
 * ends), rendered in the route's error format. Distributed, the counters live in the
 * service's Redis, so every service instance behind a load balancer counts against the
 * same limit; embedded, in this process. Public routes (health, metrics, docs) are not
 * limited: probes and scrapers must never be locked out.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.js';
import type { AppDeps } from '../app-deps.js';
import '../route-config.js';
import './auth.js';

/** Registers the limit; call after registerAuth (the key is known by then) and before the routes. */
export async function registerRateLimit(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const max = deps.settings.rateLimitPerMinute;
  if (max === 0) return;
  await app.register(fastifyRateLimit, {
    max,
    timeWindow: 60_000,
    // The plugin's per-route onRequest hook runs after the app's: the auth hook has put
    // the key on the request already, and a refused request is not counted.
    hook: 'onRequest',
    keyGenerator: (request: FastifyRequest) =>
      request.apiKey === null ? `ip:${request.ip}` : `key:${request.apiKey.id}`,
    allowList: (request: FastifyRequest) => request.routeOptions.config?.public === true,
    ...(deps.rateLimitRedis === undefined
      ? {}
      : { redis: deps.rateLimitRedis.client, nameSpace: deps.rateLimitRedis.keyPrefix }),
    // A Redis failure must not fail the requests it counts.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limited', `rate limit of ${context.max} requests per minute exceeded`, {
        retryAfterSec: Math.max(1, Math.ceil(context.ttl / 1_000)),
      }),
  });
}
