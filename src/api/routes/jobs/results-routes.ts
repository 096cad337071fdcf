/**
 * A job's results: pages of stored records with an opaque cursor and filters, the same
 * streamed as NDJSON or CSV for exports of any size (read in batches, written with
 * back-pressure, never buffered whole), and its errors per code.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { PageChange } from '../../../core/types.js';
import type { JobService } from '../../../jobs/job-service.js';
import type { PageQuery } from '../../../storage/page-store.js';
import { PAGE_FIELDS } from '../../../storage/export/write-export.js';
import { csvCell } from '../../../storage/export/formats/csv.js';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { decodeCursor, encodeCursor } from '../../cursor.js';
import { errorBody } from '../../error-schema.js';
import { TRAWL_API_PREFIX } from './job-routes.js';
import {
  changeSummary,
  errorSummary,
  exportQuery,
  jobIdParams,
  parseTime,
  resultsPage,
  resultsQuery,
} from './job-schemas.js';
import { fieldList, pageView } from './job-view.js';

const EXPORT_BATCH = 500;

interface Filters {
  outcome?: 'ok' | 'error' | undefined;
  errorCode?: string | undefined;
  status?: number | undefined;
  urlPrefix?: string | undefined;
  changedSince?: string | undefined;
  change?: PageChange | undefined;
}

function pageQuery(filters: Filters, limit: number, after: string | undefined): PageQuery {
  const q: PageQuery = { limit };
  if (after !== undefined) q.after = after;
  if (filters.outcome !== undefined) q.outcome = filters.outcome;
  if (filters.errorCode !== undefined) q.errorCode = filters.errorCode;
  if (filters.status !== undefined) q.status = filters.status;
  if (filters.urlPrefix !== undefined) q.urlPrefix = filters.urlPrefix;
  if (filters.changedSince !== undefined) q.changedSince = parseTime(filters.changedSince)!;
  if (filters.change !== undefined) q.change = filters.change;
  return q;
}

async function mustExist(jobs: JobService, id: string): Promise<void> {
  if ((await jobs.get(id)) === null) throw new ApiError('job_not_found', `no job ${id}`);
}

export function resultsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['results'];

  r.get(
    `${TRAWL_API_PREFIX}/jobs/:id/results`,
    {
      schema: {
        tags,
        summary: "A page of the job's stored records (the records `trawl crawl --out` writes)",
        params: jobIdParams,
        querystring: resultsQuery,
        response: { 200: resultsPage, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      const q = request.query;
      const after = q.cursor === undefined ? undefined : positionOf(q.cursor);
      const withBody = q.body === 'true';
      const query = pageQuery(q, q.limit, after);
      if (withBody) query.withBody = true;
      const { pages, last } = await deps.jobs.results(id, query);
      // `next` only when another page exists now: a `next` that leads to an empty page
      // makes clients that follow it spin.
      let more = false;
      if (pages.length === q.limit && last !== null) {
        more = (await deps.jobs.results(id, pageQuery(q, 1, last))).pages.length > 0;
      }
      const fields = fieldList(q.fields);
      const position = last ?? after;
      return {
        data: pages.map((p) => pageView(p, fields, withBody)),
        next: more && last !== null ? encodeCursor({ a: last }) : null,
        cursor: position === undefined ? null : encodeCursor({ a: position }),
      };
    },
  );

  r.get(
    `${TRAWL_API_PREFIX}/jobs/:id/results/export`,
    {
      schema: {
        tags,
        summary: 'Every stored record, streamed as NDJSON or CSV',
        params: jobIdParams,
        querystring: exportQuery,
        produces: ['application/x-ndjson', 'text/csv'],
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await mustExist(deps.jobs, id);
      const q = request.query;
      const fields = fieldList(q.fields);
      const jobs = deps.jobs;
      const csv = q.format === 'csv';
      const columns = fields ?? [...PAGE_FIELDS];
      async function* lines(): AsyncGenerator<string> {
        if (csv) yield columns.map((c) => csvCell(c)).join(',') + '\r\n';
        let after: string | undefined;
        for (;;) {
          const { pages, last } = await jobs.results(id, pageQuery(q, EXPORT_BATCH, after));
          let chunk = '';
          for (const page of pages) {
            const record = pageView(page, csv ? columns : fields, false);
            chunk += csv
              ? columns.map((c) => csvCell(record[c])).join(',') + '\r\n'
              : JSON.stringify(record) + '\n';
          }
          if (chunk !== '') yield chunk;
          if (pages.length < EXPORT_BATCH || last === null) return;
          after = last;
        }
      }
      reply
        .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('content-disposition', `attachment; filename="${id}.${csv ? 'csv' : 'ndjson'}"`);
      return reply.send(Readable.from(lines(), { objectMode: false }));
    },
  );

  r.get(
    `${TRAWL_API_PREFIX}/jobs/:id/errors`,
    {
      schema: {
        tags,
        summary: 'Failed pages per error code (list them with results?outcome=error)',
        params: jobIdParams,
        response: { 200: errorSummary, 404: errorBody },
      },
    },
    async (request) => {
      const data = await deps.jobs.errorCounts(request.params.id);
      return { data, failed: data.reduce((n, e) => n + e.count, 0) };
    },
  );

  r.get(
    `${TRAWL_API_PREFIX}/jobs/:id/changes`,
    {
      schema: {
        tags,
        summary:
          'What an incremental recrawl found against its baseline: pages new, changed, unchanged and gone (list them with results?change=)',
        params: jobIdParams,
        response: { 200: changeSummary, 404: errorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      const job = await deps.jobs.get(id);
      if (job === null) throw new ApiError('job_not_found', `no job ${id}`);
      return { baseline: job.spec.baseline?.jobId ?? null, data: await deps.jobs.changeCounts(id) };
    },
  );
}

function positionOf(cursor: string): string {
  const a = decodeCursor(cursor, 'query.cursor').a;
  if (typeof a !== 'string' || !/^\d{1,19}$/.test(a)) {
    throw new ApiError('invalid_request', 'query.cursor: not a cursor this service issued', {
      field: 'query.cursor',
    });
  }
  return a;
}
