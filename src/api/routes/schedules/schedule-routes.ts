/**
 * Trawl's schedules API: recurring crawls (a job spec plus a cron expression) that the
 * service fires on time, each fire a job of its own. See docs/api.md, "Schedules".
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { checkBaseline } from '../../check-baseline.js';
import { clientSpec, specView } from '../../client-spec.js';
import { decodeCursor, encodeCursor } from '../../cursor.js';
import { errorBody } from '../../error-schema.js';
import { clientWebhook } from '../../webhook-meta.js';
import type { Schedule } from '../../../jobs/schedule-store.js';
import { ScheduleInputError } from '../../../jobs/schedule-cron.js';
import { jobList, jobView as jobSchema } from '../jobs/job-schemas.js';
import { jobView } from '../jobs/job-view.js';
import { TRAWL_API_PREFIX } from '../jobs/job-routes.js';
import {
  pageQuery,
  scheduleCreateBody,
  scheduleIdParams,
  scheduleList,
  schedulePatchBody,
  scheduleView as scheduleSchema,
} from './schedule-schemas.js';

const PATH = `${TRAWL_API_PREFIX}/schedules`;
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A schedule as the API shows it (the address guard, the service's own, left out). */
export function scheduleView(s: Schedule) {
  const spec = specView(s.spec);
  return {
    id: s.id,
    cron: s.cron,
    timezone: s.timezone,
    enabled: s.enabled,
    overlap: s.overlap,
    spec: spec as Record<string, unknown>,
    nextRunAt: iso(s.nextRunAt),
    lastRunAt: iso(s.lastRunAt),
    lastJobId: s.lastJobId,
    createdAt: new Date(s.createdAt).toISOString(),
    runs: s.runs,
    skipped: s.skipped,
  };
}

/** A bad cron expression or time zone as the 400 naming its field. */
async function naming<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ScheduleInputError) {
      const field = `body.${err.field}`;
      throw new ApiError('invalid_request', `${field}: ${err.message}`, { field });
    }
    throw err;
  }
}

function found<T>(value: T | null, id: string): T {
  if (value === null) throw new ApiError('not_found', `no schedule ${id}`);
  return value;
}

function before(cursor: string | undefined): string | undefined {
  return cursor === undefined ? undefined : String(decodeCursor(cursor, 'query.cursor').b ?? '');
}

export function scheduleRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['schedules'];
  const params = scheduleIdParams;

  r.post(
    PATH,
    {
      schema: {
        tags,
        summary: 'Create a schedule: the job spec recrawled at each time of the cron expression',
        body: scheduleCreateBody,
        response: { 201: scheduleSchema, 400: errorBody },
      },
    },
    async (request, reply) => {
      const { webhook, spec: input, ...rest } = request.body;
      const spec = clientSpec(
        input as Record<string, unknown>,
        deps.targets,
        deps.settings,
        'body.spec',
      );
      await deps.checkSpec(spec);
      await checkBaseline(deps.jobs, spec, 'body.spec.baseline.jobId');
      const meta: Record<string, unknown> = {};
      if (webhook !== undefined) {
        meta.webhook = clientWebhook(webhook, request, deps, {
          flavor: 'trawl',
          field: 'body.webhook',
        });
      }
      const schedule = await naming(deps.schedules.create({ ...rest, spec, meta }));
      return reply
        .code(201)
        .header('location', `${PATH}/${schedule.id}`)
        .send(scheduleView(schedule));
    },
  );

  r.get(
    PATH,
    {
      schema: {
        tags,
        summary: 'List schedules, newest first',
        querystring: pageQuery,
        response: { 200: scheduleList, 400: errorBody },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const b = before(cursor);
      const list = await deps.schedules.list({
        limit: limit + 1,
        ...(b === undefined ? {} : { before: b }),
      });
      const page = list.slice(0, limit);
      return {
        data: page.map(scheduleView),
        next: list.length > limit ? encodeCursor({ b: page[page.length - 1]!.id }) : null,
      };
    },
  );

  r.get(
    `${PATH}/:id`,
    {
      schema: {
        tags,
        summary: 'A schedule: its next and last runs and counts',
        params,
        response: { 200: scheduleSchema, 404: errorBody },
      },
    },
    async (request) =>
      scheduleView(found(await deps.schedules.get(request.params.id), request.params.id)),
  );

  r.patch(
    `${PATH}/:id`,
    {
      schema: {
        tags,
        summary: 'Enable or disable a schedule, or change its cron expression or time zone',
        params,
        body: schedulePatchBody,
        response: { 200: scheduleSchema, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const updated = await naming(deps.schedules.update(request.params.id, request.body));
      return scheduleView(found(updated, request.params.id));
    },
  );

  r.delete(
    `${PATH}/:id`,
    {
      schema: {
        tags,
        summary: 'Delete a schedule (the jobs it created stay)',
        params,
        response: { 204: z.null().describe('Deleted'), 404: errorBody },
      },
    },
    async (request, reply) => {
      if (!(await deps.schedules.delete(request.params.id))) found(null, request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    `${PATH}/:id/run`,
    {
      schema: {
        tags,
        summary: 'Fire a schedule now (whatever its overlap setting): the job it created',
        params,
        response: { 201: jobSchema, 404: errorBody },
      },
    },
    async (request, reply) => {
      const job = found(await deps.schedules.run(request.params.id), request.params.id);
      return reply
        .code(201)
        .header('location', `${TRAWL_API_PREFIX}/jobs/${job.id}`)
        .send(jobView(job));
    },
  );

  r.get(
    `${PATH}/:id/jobs`,
    {
      schema: {
        tags,
        summary: "A schedule's jobs, newest first",
        params,
        querystring: pageQuery,
        response: { 200: jobList, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const b = before(cursor);
      const jobs = found(
        await deps.schedules.jobs(request.params.id, {
          limit: limit + 1,
          ...(b === undefined ? {} : { before: b }),
        }),
        request.params.id,
      );
      const page = jobs.slice(0, limit);
      return {
        data: page.map(jobView),
        next: jobs.length > limit ? encodeCursor({ b: page[page.length - 1]!.id }) : null,
      };
    },
  );
}
