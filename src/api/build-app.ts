/**
 * The API app: Fastify with zod validation and serialization, the error catalogue, the
 * OpenAPI document, and every route. It never listens: tests drive it with inject() or
 * listen on their own port, and only src/main/ starts a server.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AppDeps } from './app-deps.js';
import { installErrorHandler } from './plugins/error-handler.js';
import { registerOpenApi } from './plugins/openapi.js';
import { healthRoutes } from './routes/health-routes.js';
import { eventsRoute } from './routes/jobs/events-route.js';
import { jobRoutes } from './routes/jobs/job-routes.js';
import { resultsRoutes } from './routes/jobs/results-routes.js';

export const API_VERSION = '0.1.0';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.log === false ? false : deps.log,
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
  await registerOpenApi(app, API_VERSION);
  healthRoutes(app, deps);
  jobRoutes(app, deps);
  resultsRoutes(app, deps);
  eventsRoute(app, deps);
  return app;
}
