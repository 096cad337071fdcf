/** /health (the process is up), /health/ready (each dependency, named) and /metrics. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';

const PROBE_TIMEOUT_MS = 2_000;

const readySchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.array(
    z.object({
      name: z.string(),
      ok: z.boolean(),
      latencyMs: z.number(),
      error: z.string().optional(),
    }),
  ),
});

export function healthRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process answers',
        security: [],
        response: {
          200: z.object({ status: z.literal('ok'), mode: z.enum(['embedded', 'distributed']) }),
        },
      },
      config: { public: true },
    },
    () => ({ status: 'ok' as const, mode: deps.jobs.mode }),
  );
  r.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: every dependency answers (each named with its state)',
        security: [],
        response: { 200: readySchema, 503: readySchema },
      },
      config: { public: true },
    },
    async (_request, reply) => {
      const checks = await Promise.all(
        deps.jobs.readiness().map(async (probe) => {
          const started = performance.now();
          const controller = new AbortController();
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              probe.check(controller.signal),
              new Promise((_, reject) => {
                timer = setTimeout(() => {
                  controller.abort();
                  reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`));
                }, PROBE_TIMEOUT_MS);
              }),
            ]);
            return { name: probe.name, ok: true, latencyMs: elapsed(started) };
          } catch (err) {
            const error = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
            return { name: probe.name, ok: false, latencyMs: elapsed(started), error };
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      const ok = checks.every((c) => c.ok);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );
  app.get(
    '/metrics',
    { schema: { hide: true }, config: { public: true } },
    async (_request, reply) => {
      reply.type(deps.registry.contentType);
      return deps.registry.metrics();
    },
  );
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
