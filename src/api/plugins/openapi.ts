/**
 * The OpenAPI 3.1 document at /openapi.json and Swagger UI at /docs, generated from the
 * zod schemas that validate the requests (fastify-type-provider-zod), so the document
 * cannot drift from what the routes accept.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Trawl',
        description:
          "Trawl's crawl jobs API (/trawl/v1), a Firecrawl-compatible API (/v1, /v2) and the S1 seed endpoints (/api).",
        version,
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from `trawl keys create`',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
