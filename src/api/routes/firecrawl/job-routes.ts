/**
 * Firecrawl's asynchronous jobs under `/v2` and `/v1`: crawls (`/crawl`) and batch
 * scrapes (`/batch/scrape`), each created as a Trawl job (kind crawl or batch, the
 * Firecrawl request in `meta.firecrawl`), read as status documents with paged `data`,
 * cancelled with DELETE, their failures at `/errors`, watched over a WebSocket on the
 * status path. The v1 SDK polls batch jobs at `/v1/crawl/{id}` and asks for errors with
 * DELETE, so v1 serves both.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { JobKind } from '../../../jobs/job-service.js';
import type { AppDeps } from '../../app-deps.js';
import { clientSpec } from '../../client-spec.js';
import { encodeCursor } from '../../cursor.js';
import {
  batchRequest,
  crawlRequest,
  type FirecrawlJobMeta,
  type FirecrawlJobRequest,
  type FirecrawlVersion,
} from './crawl-request.js';
import {
  batchBody,
  crawlBodyV1,
  crawlBodyV2,
  jobIdParams,
  statusQuery,
  type BatchBody,
  type CrawlBodyV2,
} from './firecrawl-schemas.js';
import {
  cursorPosition,
  documentPage,
  errorList,
  firecrawlJob,
  skipDocuments,
  statusCounts,
} from './job-status.js';
import { watchJob, type WatcherSocket } from './watcher.js';
import { firecrawlWebhook } from './webhook.js';

const config = { errorFormat: 'firecrawl' as const };

/**
 * The v1 SDK sends `Content-Type: application/json` with its bodiless DELETEs, which
 * Fastify's JSON parser refuses as an empty JSON body: without a body, the header says
 * nothing, so it is dropped before parsing.
 */
async function bodilessDelete(request: FastifyRequest): Promise<void> {
  const h = request.headers;
  if (h['transfer-encoding'] === undefined && (h['content-length'] ?? '0') === '0') {
    delete h['content-type'];
  }
}

interface StatusQuery {
  cursor?: string | undefined;
  skip?: number | undefined;
  limit?: number | undefined;
}

export function firecrawlJobRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  version: FirecrawlVersion,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = [`firecrawl ${version}`];
  const base = `/${version}`;

  const create = async (
    job: FirecrawlJobRequest,
    webhook: Parameters<typeof firecrawlWebhook>[0],
    request: FastifyRequest,
    kind: JobKind,
    path: string,
  ) => {
    const spec = clientSpec(job.spec, deps.targets, deps.settings);
    await deps.checkSpec(spec);
    const hook = firecrawlWebhook(webhook, request, deps);
    const meta = { firecrawl: job.firecrawl, ...(hook === null ? {} : { webhook: hook }) };
    const created = await deps.jobs.create({ spec, kind, meta });
    return {
      success: true,
      id: created.id,
      url: `${deps.settings.publicUrl}${base}/${path}/${created.id}`,
      ...(job.invalidURLs === undefined ? {} : { invalidURLs: job.invalidURLs }),
    };
  };

  const status = async (
    id: string,
    query: StatusQuery,
    kinds: readonly JobKind[],
    path: string,
  ) => {
    const { job, meta } = await firecrawlJob(deps.jobs, id, kinds);
    let after = cursorPosition(query.cursor);
    if (query.skip !== undefined && query.skip > 0) {
      after = await skipDocuments(deps.jobs, id, after, query.skip);
    }
    const limit = query.limit ?? deps.settings.firecrawlPageSize;
    const page = await documentPage(deps.jobs, job, meta, after, limit, deps.settings.publicUrl);
    const next =
      page.more && page.last !== undefined
        ? `${deps.settings.publicUrl}${base}/${path}/${id}?cursor=${encodeCursor({ a: page.last })}` +
          (query.limit === undefined ? '' : `&limit=${query.limit}`)
        : undefined;
    return {
      success: true,
      ...statusCounts(job),
      // Absent, not null, on the last page: the v1 SDK follows `next` while the key exists.
      ...(next === undefined ? {} : { next }),
      data: page.data,
      ...(job.state === 'failed' && job.error !== null ? { error: job.error } : {}),
    };
  };

  const cancel = async (id: string, kinds: readonly JobKind[]) => {
    await firecrawlJob(deps.jobs, id, kinds);
    await deps.jobs.cancel(id);
    return { success: true, status: 'cancelled' };
  };

  const errors = async (id: string, kinds: readonly JobKind[]) => {
    await firecrawlJob(deps.jobs, id, kinds);
    return { success: true, ...(await errorList(deps.jobs, id)) };
  };

  /** GET status (+ the WebSocket watcher), DELETE, GET errors of one kind of job. */
  const jobResource = (path: string, kind: 'crawl' | 'batch', kinds: readonly JobKind[]): void => {
    const url = `${base}/${path}/:id`;
    const idOf = (request: FastifyRequest): string => (request.params as { id: string }).id;
    r.route({
      method: 'GET',
      url,
      config,
      schema: {
        tags,
        summary: `Status and documents of a ${kind} job (WebSocket: the watcher)`,
        params: jobIdParams,
        querystring: statusQuery,
      },
      handler: async (request) =>
        status(request.params.id, request.query as StatusQuery, kinds, path),
      // @fastify/websocket without @types/ws: the socket is a ws WebSocket.
      wsHandler: (socket: WatcherSocket, request: FastifyRequest) =>
        watchJob(socket, deps, idOf(request), kind, version),
    });
    r.delete(
      url,
      {
        config,
        onRequest: bodilessDelete,
        schema: { tags, summary: `Cancel a ${kind} job`, params: jobIdParams },
      },
      async (request) => cancel(request.params.id, kinds),
    );
    const errorsSchema = { tags, summary: `Failed pages of a ${kind} job`, params: jobIdParams };
    r.get(`${url}/errors`, { config, schema: errorsSchema }, async (request) =>
      errors(request.params.id, kinds),
    );
    if (version === 'v1') {
      // The v1 SDK's checkCrawlErrors sends DELETE; it reads, it does not cancel.
      r.delete(
        `${url}/errors`,
        { config, onRequest: bodilessDelete, schema: { ...errorsSchema, hide: true } },
        async (request) => errors(request.params.id, kinds),
      );
    }
  };

  r.post(
    `${base}/crawl`,
    {
      config,
      schema: {
        tags,
        summary: 'Start a crawl (Firecrawl-compatible)',
        body: version === 'v2' ? crawlBodyV2 : crawlBodyV1,
      },
    },
    async (request) => {
      const body = request.body as CrawlBodyV2;
      const job = crawlRequest(body, version, deps.targets);
      return create(job, body.webhook, request, 'crawl', 'crawl');
    },
  );

  r.get(
    `${base}/crawl/active`,
    { config, schema: { tags, summary: 'Crawls not finished yet' } },
    async () => {
      const jobs = await deps.jobs.list({
        states: ['queued', 'running', 'paused'],
        kind: 'crawl',
        limit: 1_000,
      });
      const crawls = jobs
        .filter((j) => j.meta.firecrawl !== undefined)
        .map((j) => {
          const meta = j.meta.firecrawl as FirecrawlJobMeta;
          return { id: j.id, teamId: 'trawl', url: meta.url, options: meta.options };
        });
      return { success: true, crawls };
    },
  );

  jobResource('crawl', 'crawl', version === 'v1' ? ['crawl', 'batch'] : ['crawl']);

  r.post(
    `${base}/batch/scrape`,
    {
      config,
      schema: { tags, summary: 'Start a batch scrape (Firecrawl-compatible)', body: batchBody },
    },
    async (request) => {
      const body = request.body as BatchBody;
      const job = batchRequest(body, version, deps.targets, deps.settings);
      return create(job, body.webhook, request, 'batch', 'batch/scrape');
    },
  );

  jobResource('batch/scrape', 'batch', ['batch']);
}
