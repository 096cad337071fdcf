/**
 * The S1 seed's crawl task, shared by its REST endpoints and the gRPC service: a task is
 * a Trawl job whose spec crawls the one submitted URL (depth 0: that page only, unless
 * the client asks for more), validated by the same target policy as every client URL,
 * and its status is the job seen through S1's status record (snake_case, ISO 8601).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CrawlSpec } from '../../../config/crawl-spec.js';
import {
  JOB_SUBMIT_FAILED,
  JobSubmitError,
  type JobInfo,
  type JobService,
  type JobState,
} from '../../../jobs/job-service.js';
import { ApiError } from '../../api-error.js';
import type { ApiSettings, TargetPolicy } from '../../app-deps.js';
import { checkTarget, checkUrlCount, clientSpec } from '../../client-spec.js';

/** S1's task states: a job's, with `dispatched` for queued and `submission_failed`. */
export const SEED_STATUSES = [
  'dispatched',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
  'submission_failed',
] as const;

export type SeedStatusValue = (typeof SEED_STATUSES)[number];

const count = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * What a client submits (REST body; the gRPC request is read into the same shape).
 * Strict: a misspelt field is an error, not a silent default.
 */
export const seedTaskInput = z
  .object({
    url: z
      .string()
      .min(1)
      .max(8_192)
      .refine(isHttpUrl, 'expected an absolute http(s) URL')
      .describe('The page to crawl (http or https)'),
    max_depth: count(0, 1_000)
      .optional()
      .describe('Follow links this far from the URL. Default 0: the URL only'),
    max_pages: count(1, 10_000_000)
      .optional()
      .describe('Stop after this many pages. Default: no limit (with max_depth 0, one page)'),
    delay_ms: count(0, 600_000)
      .optional()
      .describe('Minimum gap between two requests to one host, ms. Default 250'),
    store_body: z
      .boolean()
      .optional()
      .describe("Keep the page's body (as S1 stores its content). Default true"),
  })
  .strict();

export type SeedTaskInput = z.infer<typeof seedTaskInput>;

/** The task's status record, as `GET /api/crawl-status/{task_id}` and gRPC report it. */
export interface SeedStatus {
  task_id: string;
  url: string;
  status: SeedStatusValue;
  /** ISO 8601: when the task was submitted. */
  dispatched_at: string;
  /** When the crawl started; null while dispatched. */
  started_at: string | null;
  /** When the task reached completed, failed, cancelled or submission_failed. */
  completed_at: string | null;
  error: string | null;
  /** Pages fetched and stored (any HTTP status). */
  pages_crawled: number;
  /** Pages failed for good. */
  pages_failed: number;
  /** Pages waiting to be fetched. */
  pages_queued: number;
  /** Pages readable through the results. */
  pages_stored: number;
  /** The gRPC client's own task id (CrawlRequest.task_id), when it gave one. */
  client_task_id: string | null;
}

/** What the task keeps in its job's meta (`meta.seed`). */
interface SeedMeta {
  url: string;
  dispatched_at: string;
  /** Finds the job again when create() throws after the job row exists. */
  submission_id: string;
  client_task_id?: string;
}

/** The spec field behind each client field, to name the client's field in errors. */
const FIELD_OF_SPEC: Record<string, string> = {
  'seeds.0': 'url',
  seeds: 'url',
  maxDepth: 'max_depth',
  maxPages: 'max_pages',
  delayMs: 'delay_ms',
  storeBody: 'store_body',
};

/**
 * The job spec of a task, built and checked by clientSpec like every client job (the
 * URL through the target policy: a refused URL is a 400 naming `url`). `fieldPrefix` is
 * `body.` for REST and '' for gRPC.
 *
 * Only the task's own fields differ from one task to the next, and the input schema above
 * has already checked them within the spec's bounds: the rest is parsed once per target
 * policy and settings (a spec parse was the largest cost of a submission in the
 * distributed service's CPU profile) and copied, the URL checked by the policy each time.
 */
export function seedSpec(
  input: SeedTaskInput,
  targets: TargetPolicy,
  settings: ApiSettings,
  fieldPrefix: string,
): CrawlSpec {
  const cached = templates.get(targets);
  let template = cached?.settings === settings ? cached.spec : null;
  if (template === null) {
    // The first task parses in full (a refused URL throws here, with the full parse's error).
    template = parsedSeedSpec({ url: input.url }, targets, settings, fieldPrefix);
    templates.set(targets, { settings, spec: template });
  }
  checkUrlCount(settings, 1, `${fieldPrefix}url`);
  checkTarget(targets, input.url, `${fieldPrefix}url`);
  const spec = copyJson(template);
  spec.seeds = [input.url];
  spec.maxDepth = input.max_depth ?? 0;
  if (input.max_pages !== undefined) spec.maxPages = input.max_pages;
  if (input.delay_ms !== undefined) spec.delayMs = input.delay_ms;
  spec.storeBody = input.store_body ?? true;
  return spec;
}

/** A task's spec without its own fields, by target policy (see seedSpec). */
const templates = new WeakMap<TargetPolicy, { settings: ApiSettings; spec: CrawlSpec }>();

/** A deep copy of plain JSON data (a spec: objects, arrays, strings, numbers, booleans, null). */
function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) copy[k] = copyJson(v);
  return copy as T;
}

/** seedSpec by a full parse of the spec. */
export function parsedSeedSpec(
  input: SeedTaskInput,
  targets: TargetPolicy,
  settings: ApiSettings,
  fieldPrefix: string,
): CrawlSpec {
  try {
    return clientSpec(
      {
        seeds: [input.url],
        maxDepth: input.max_depth ?? 0,
        ...(input.max_pages === undefined ? {} : { maxPages: input.max_pages }),
        ...(input.delay_ms === undefined ? {} : { delayMs: input.delay_ms }),
        storeBody: input.store_body ?? true,
      },
      targets,
      settings,
      'spec',
    );
  } catch (err) {
    if (!(err instanceof ApiError) || err.field === undefined) throw err;
    // Name the client's field, not the spec's (the schema above makes this rare).
    const specField = err.field.slice('spec.'.length);
    const field = `${fieldPrefix}${FIELD_OF_SPEC[specField] ?? specField}`;
    throw new ApiError(err.code, err.message.replace(err.field, field), {
      field,
      details: err.details,
    });
  }
}

/**
 * A request read into a task input (gRPC; REST bodies are checked by the route schema).
 * Throws ApiError naming the field.
 */
export function parseSeedInput(raw: unknown, fieldPrefix: string): SeedTaskInput {
  const parsed = seedTaskInput.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = `${fieldPrefix}${issue.path.map(String).join('.')}`;
  throw new ApiError('invalid_request', `${field}: ${issue.message}`, { field });
}

/** Outcome of a submission: the task's record, and whether the dispatch failed. */
export interface SeedSubmission {
  record: SeedStatus;
  /** The job service threw: the record says submission_failed (task_id '' if the job row cannot be found). */
  failed: boolean;
  cause?: unknown;
}

/**
 * Creates the task's job (one job-service call). When the job service throws after the
 * job row exists (Redis refusing the dispatch in the distributed mode: the row is then
 * failed, and JobSubmitError names it), that job's record is reported as
 * submission_failed; a throw before any row exists reports task_id ''.
 */
export async function submitSeedTask(
  jobs: JobService,
  spec: CrawlSpec,
  url: string,
  clientTaskId?: string,
): Promise<SeedSubmission> {
  const seed: SeedMeta = {
    url,
    dispatched_at: new Date().toISOString(),
    submission_id: randomUUID(),
    ...(clientTaskId === undefined || clientTaskId === '' ? {} : { client_task_id: clientTaskId }),
  };
  try {
    const job = await jobs.create({ spec, kind: 'crawl', meta: { seed } });
    const record = seedStatus(job);
    // Whatever the job did in the meantime, the submission's answer is the dispatch.
    if (!isFinalSeedStatus(record.status)) {
      return {
        record: { ...record, status: 'dispatched', started_at: null },
        failed: false,
      };
    }
    return { record, failed: false };
  } catch (cause) {
    // The job row exists when the dispatch failed (JobSubmitError names it).
    const job =
      cause instanceof JobSubmitError ? await jobs.get(cause.jobId).catch(() => null) : null;
    const record: SeedStatus =
      job === null
        ? {
            ...emptyRecord('', url, seed.dispatched_at),
            status: 'submission_failed',
            completed_at: new Date().toISOString(),
            error: 'the task could not be dispatched',
            client_task_id: seed.client_task_id ?? null,
          }
        : { ...seedStatus(job), status: 'submission_failed' };
    return { record, failed: true, cause };
  }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Any job as a status record (a job made through Trawl's API reports its first seed). */
export function seedStatus(job: JobInfo): SeedStatus {
  const seed = seedMetaOf(job);
  const status = statusOf(job.state, job.error);
  const final = isFinalSeedStatus(status);
  return {
    task_id: job.id,
    url: seed?.url ?? job.spec.seeds[0] ?? '',
    status,
    dispatched_at: seed?.dispatched_at ?? new Date(job.createdAt).toISOString(),
    started_at: status === 'dispatched' ? null : iso(job.startedAt),
    completed_at: final ? iso(job.finishedAt) : null,
    error: job.error,
    pages_crawled: job.counts.succeeded,
    pages_failed: job.counts.failed,
    pages_queued: job.counts.queued,
    pages_stored: job.counts.stored,
    client_task_id: seed?.client_task_id ?? null,
  };
}

function statusOf(state: JobState, error: string | null): SeedStatusValue {
  if (state === 'queued') return 'dispatched';
  if (state === 'failed' && error === JOB_SUBMIT_FAILED) {
    return 'submission_failed';
  }
  return state;
}

export function isFinalSeedStatus(status: SeedStatusValue): boolean {
  return (
    status === 'completed' ||
    status === 'failed' ||
    status === 'cancelled' ||
    status === 'submission_failed'
  );
}

function seedMetaOf(job: JobInfo): Partial<SeedMeta> | null {
  const seed = job.meta.seed;
  return typeof seed === 'object' && seed !== null ? (seed as Partial<SeedMeta>) : null;
}

function emptyRecord(taskId: string, url: string, dispatchedAt: string): SeedStatus {
  return {
    task_id: taskId,
    url,
    status: 'dispatched',
    dispatched_at: dispatchedAt,
    started_at: null,
    completed_at: null,
    error: null,
    pages_crawled: 0,
    pages_failed: 0,
    pages_queued: 0,
    pages_stored: 0,
    client_task_id: null,
  };
}

function isHttpUrl(s: string): boolean {
  const u = URL.parse(s);
  return u !== null && (u.protocol === 'http:' || u.protocol === 'https:');
}
