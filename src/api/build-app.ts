/**
 * The API app: Fastify with zod validation and serialization, the error catalogue, the
 * OpenAPI document, and every route. It never listens: tests drive it with inject() or
 * listen on their own port, and only src/main/ starts a server.
 */
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AppDeps } from './app-deps.js';
import { registerAuth } from './plugins/auth.js';
import { installErrorHandler } from './plugins/error-handler.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { healthRoutes } from './routes/health-routes.js';
import { eventsRoute } from './routes/jobs/events-route.js';
import { jobRoutes } from './routes/jobs/job-routes.js';
import { resultsRoutes } from './routes/jobs/results-routes.js';
import { artifactRoutes } from './routes/jobs/artifact-routes.js';
import { webhookRoutes } from './routes/jobs/webhook-routes.js';
import { seedRoutes } from './routes/seed/seed-routes.js';
import { firecrawlRoutes } from './routes/firecrawl/firecrawl-routes.js';
import { scrapeRoutes } from './routes/scrape/scrape-routes.js';
import { scheduleRoutes } from './routes/schedules/schedule-routes.js';

export const API_VERSION = '0.1.0';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // pino's Logger is a FastifyBaseLogger; typed as the base so routes see one app type.
  const app: FastifyInstance = Fastify({
    ...(deps.log === false ? { logger: false } : { loggerInstance: deps.log as FastifyBaseLogger }),
    bodyLimit: deps.settings.bodyLimitBytes,
    // Behind a proxy the client's address (rate limits per address) is in X-Forwarded-For.
    trustProxy: false,
    // Large enough for a long urlPrefix filter; Fastify's default (100) cuts real URLs.
    routerOptions: { maxParamLength: 2_048 },
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  // Before every route: the auth hook and the rate limit apply to all of them.
  registerAuth(app, deps);
  await registerRateLimit(app, deps);
  await registerOpenApi(app, API_VERSION);
  // Before the routes it serves: Firecrawl's watcher shares its status routes' paths.
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  healthRoutes(app, deps);
  jobRoutes(app, deps);
  resultsRoutes(app, deps);
  artifactRoutes(app, deps);
  eventsRoute(app, deps);
  webhookRoutes(app, deps);
  seedRoutes(app, deps);
  scrapeRoutes(app, deps);
  firecrawlRoutes(app, deps);
  scheduleRoutes(app, deps);
  return app;
}
