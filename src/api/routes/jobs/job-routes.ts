/** Trawl's jobs API: create, list, read, pause, resume and cancel crawl jobs. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { checkBaseline } from '../../check-baseline.js';
import { clientSpec } from '../../client-spec.js';
import { clientWebhook } from '../../webhook-meta.js';
import { decodeCursor, encodeCursor } from '../../cursor.js';
import { errorBody } from '../../error-schema.js';
import type { JobState } from '../../../jobs/job-service.js';
import {
  jobCreateBody,
  jobIdParams,
  jobList,
  jobView as jobSchema,
  listJobsQuery,
} from './job-schemas.js';
import { jobView } from './job-view.js';

export const TRAWL_API_PREFIX = '/trawl/v1';

export function jobRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['jobs'];

  r.post(
    `${TRAWL_API_PREFIX}/jobs`,
    {
      schema: {
        tags,
        summary: 'Create a crawl job (the same spec as `trawl crawl`: every flag is a field)',
        body: jobCreateBody,
        response: { 201: jobSchema, 400: errorBody },
      },
    },
    async (request, reply) => {
      const { webhook, ...input } = request.body;
      const spec = clientSpec(input as Record<string, unknown>, deps.targets, deps.settings);
      await deps.checkSpec(spec);
      await checkBaseline(deps.jobs, spec, 'body.baseline.jobId');
      const meta: Record<string, unknown> = {};
      if (webhook !== undefined) {
        meta.webhook = clientWebhook(webhook, request, deps, {
          flavor: 'trawl',
          field: 'body.webhook',
        });
      }
      const job = await deps.jobs.create({ spec, kind: 'crawl', meta });
      return reply
        .code(201)
        .header('location', `${TRAWL_API_PREFIX}/jobs/${job.id}`)
        .send(jobView(job));
    },
  );

  r.get(
    `${TRAWL_API_PREFIX}/jobs`,
    {
      schema: {
        tags,
        summary: 'List jobs, newest first',
        querystring: listJobsQuery,
        response: { 200: jobList, 400: errorBody },
      },
    },
    async (request) => {
      const { state, limit, cursor } = request.query;
      const before =
        cursor === undefined ? undefined : String(decodeCursor(cursor, 'query.cursor').b ?? '');
      const jobs = await deps.jobs.list({
        limit: limit + 1,
        ...(state === undefined ? {} : { states: state.split(',') as JobState[] }),
        ...(before === undefined ? {} : { before }),
      });
      const page = jobs.slice(0, limit);
      const more = jobs.length > limit;
      return {
        data: page.map(jobView),
        next: more ? encodeCursor({ b: page[page.length - 1]!.id }) : null,
      };
    },
  );

  r.get(
    `${TRAWL_API_PREFIX}/jobs/:id`,
    {
      schema: {
        tags,
        summary: 'A job: its state and exact counts',
        params: jobIdParams,
        response: { 200: jobSchema, 404: errorBody },
      },
    },
    async (request) => {
      const job = await deps.jobs.get(request.params.id);
      if (job === null) throw new ApiError('job_not_found', `no job ${request.params.id}`);
      return jobView(job);
    },
  );

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    r.post(
      `${TRAWL_API_PREFIX}/jobs/:id/${action}`,
      {
        schema: {
          tags,
          summary: {
            pause: 'Pause a job: requests in flight finish, nothing new starts; resumable',
            resume: 'Resume a paused job where it stopped',
            cancel: 'Cancel a job for good (what was stored stays readable)',
          }[action],
          params: jobIdParams,
          response: { 200: jobSchema, 404: errorBody, 409: errorBody },
        },
      },
      async (request) => jobView(await deps.jobs[action](request.params.id)),
    );
  }
}
