/**
 * Live progress of a job as Server-Sent Events: a `progress` event with the job (state
 * and counts) whenever it changed, at most every `intervalMs`, and an `end` event with
 * the final job once it is completed, failed or cancelled; then the stream closes. A
 * comment line every 15 s keeps proxies from timing the stream out.
 *
 * Polled from the job service rather than pushed: the counts are exact in both modes
 * (Redis and the registry hold them), and one read a second per watcher is cheap.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isFinalState } from '../../../jobs/job-service.js';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { errorBody } from '../../error-schema.js';
import { TRAWL_API_PREFIX } from './job-routes.js';
import { jobIdParams } from './job-schemas.js';
import { jobView } from './job-view.js';

const KEEPALIVE_MS = 15_000;

export function eventsRoute(app: FastifyInstance, deps: AppDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    `${TRAWL_API_PREFIX}/jobs/:id/events`,
    {
      schema: {
        tags: ['jobs'],
        summary: 'Live progress (Server-Sent Events: progress, then end)',
        params: jobIdParams,
        querystring: z.object({
          intervalMs: z.coerce.number().int().min(100).max(60_000).default(1_000),
        }),
        produces: ['text/event-stream'],
        response: { 404: errorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const first = await deps.jobs.get(id);
      if (first === null) throw new ApiError('job_not_found', `no job ${id}`);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      request.raw.on('close', () => {
        closed = true;
      });
      const send = (event: string, data: unknown): void => {
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      let last = '';
      let lastWrite = Date.now();
      let job = first;
      try {
        while (!closed) {
          const view = jobView(job);
          if (isFinalState(job.state)) {
            send('end', view);
            break;
          }
          const text = JSON.stringify(view);
          if (text !== last) {
            send('progress', view);
            last = text;
            lastWrite = Date.now();
          } else if (Date.now() - lastWrite >= KEEPALIVE_MS) {
            res.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
          await new Promise((resolve) => setTimeout(resolve, request.query.intervalMs));
          const next = await deps.jobs.get(id);
          if (next === null) break;
          job = next;
        }
      } catch (err) {
        request.log.warn({ err, job: id }, 'progress stream failed');
        if (!closed) send('error', { code: 'internal', message: 'progress unavailable' });
      } finally {
        res.end();
      }
    },
  );
}
