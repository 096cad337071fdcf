/** A job's webhook delivery log: one row per attempt, newest first. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { decodeCursor, encodeCursor } from '../../cursor.js';
import { errorBody } from '../../error-schema.js';
import { TRAWL_API_PREFIX } from './job-routes.js';
import { jobIdParams } from './job-schemas.js';

const deliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  cursor: z.string().optional(),
});

const delivery = z.object({
  id: z.string(),
  event: z.string().describe('The event as sent (job.page, crawl.completed…)'),
  url: z.string(),
  attempt: z.number().int().describe('1-based; 0: not attempted (see status and error)'),
  status: z
    .enum(['delivered', 'retrying', 'failed', 'abandoned'])
    .describe(
      'delivered: 2xx; retrying: another attempt follows; failed: given up; abandoned: the receiver failed too often, the job sends no more',
    ),
  httpStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  createdAt: z.string().describe('ISO 8601'),
});

const deliveriesPage = z.object({
  data: z.array(delivery),
  next: z.string().nullable().describe('Cursor of the next (older) page, null on the last'),
});

export function webhookRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    `${TRAWL_API_PREFIX}/jobs/:id/webhooks`,
    {
      schema: {
        tags: ['jobs'],
        summary: "The job's webhook deliveries: one row per attempt, newest first",
        params: jobIdParams,
        querystring: deliveriesQuery,
        response: { 200: deliveriesPage, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { limit, cursor } = request.query;
      if ((await deps.jobs.get(id)) === null) throw new ApiError('job_not_found', `no job ${id}`);
      const before = cursor === undefined ? undefined : beforeOf(cursor);
      const rows = await deps.webhooks.log.list(id, {
        limit: limit + 1,
        ...(before === undefined ? {} : { before }),
      });
      const page = rows.slice(0, limit);
      return {
        data: page.map(({ jobId: _job, createdAt, ...row }) => ({
          ...row,
          createdAt: new Date(createdAt).toISOString(),
        })),
        next: rows.length > limit ? encodeCursor({ b: page[page.length - 1]!.id }) : null,
      };
    },
  );
}

function beforeOf(cursor: string): string {
  const b = decodeCursor(cursor, 'query.cursor').b;
  if (typeof b !== 'string' || !/^\d{1,19}$/.test(b)) {
    throw new ApiError('invalid_request', 'query.cursor: not a cursor this service issued', {
      field: 'query.cursor',
    });
  }
  return b;
}
