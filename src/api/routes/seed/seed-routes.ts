/**
 * The S1 seed endpoints: `POST /api/submit-crawl {"url"}` dispatches a crawl task and
 * `GET /api/crawl-status/{task_id}` reports its status record. Errors in S1's shape
 * (`{error, code}`). Each handler makes one job-service call (the hot paths of S1's load
 * test); only a failed dispatch reads more, to report the record it left.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { SEED_STATUSES, seedSpec, seedStatus, seedTaskInput, submitSeedTask } from './seed-task.js';

const seedError = z.object({
  error: z.string().describe('One line; names the field at fault for bad input'),
  code: z.string().describe('Stable, machine-readable (see docs/api.md)'),
});

const statusRecord = z.object({
  task_id: z.string(),
  url: z.string(),
  status: z.enum(SEED_STATUSES),
  dispatched_at: z.string().describe('ISO 8601'),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  error: z.string().nullable(),
  pages_crawled: z.number().int(),
  pages_failed: z.number().int(),
  pages_queued: z.number().int(),
  pages_stored: z.number().int(),
  client_task_id: z.string().nullable(),
});

/** S1's `{message, task_id, ...}`: the message first, then the status record. */
const submitReply = z.object({
  message: z.string(),
  code: z.string().optional().describe('submission_failed, on HTTP 500'),
  ...statusRecord.shape,
});

const taskParams = z.object({ task_id: z.string().min(1).max(128) });

export function seedRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['seed (S1)'];
  const config = { errorFormat: 'seed' as const };

  r.post(
    '/api/submit-crawl',
    {
      config,
      schema: {
        tags,
        summary: 'Dispatch a crawl task for one URL (S1): by default that page only',
        body: seedTaskInput,
        response: { 200: submitReply, 400: seedError, 500: submitReply },
      },
    },
    async (request, reply) => {
      const input = request.body;
      const spec = seedSpec(input, deps.targets, deps.settings, 'body.');
      const submission = await submitSeedTask(deps.jobs, spec, input.url);
      if (submission.failed) {
        request.log.error({ err: submission.cause }, 'crawl task submission failed');
        return reply.code(500).send({
          message: 'crawl task submission failed',
          code: 'submission_failed',
          ...submission.record,
        });
      }
      return { message: 'crawl task dispatched', ...submission.record };
    },
  );

  r.get(
    '/api/crawl-status/:task_id',
    {
      config,
      schema: {
        tags,
        summary: "A crawl task's status record (S1)",
        params: taskParams,
        response: { 200: statusRecord, 404: seedError },
      },
    },
    async (request) => {
      const job = await deps.jobs.get(request.params.task_id);
      if (job === null) throw new ApiError('job_not_found', `no task ${request.params.task_id}`);
      return seedStatus(job);
    },
  );
}
