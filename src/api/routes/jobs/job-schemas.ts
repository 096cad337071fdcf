/**
 * The shapes of Trawl's own jobs API: the job spec a client sends (the crawl spec, every
 * `trawl crawl` flag a field, strict so a misspelt field is an error, not a silent
 * default), the job a client reads, and result pages. These zod schemas validate the
 * requests and generate the OpenAPI document.
 */
import { z } from 'zod';
import { crawlSpecSchema } from '../../../config/crawl-spec.js';
import { JOB_STATES } from '../../../jobs/job-service.js';
import { webhookInput } from '../../../webhooks/webhook-spec.js';
import { PAGE_CHANGES } from '../../../core/types.js';

/** A job's spec as a client sends it: the crawl spec without what only the service sets. */
export const jobSpecBody = crawlSpecSchema.omit({ addressGuard: true }).strict();

/** POST /trawl/v1/jobs: the spec and, optionally, a webhook of the job's events. */
export const jobCreateBody = jobSpecBody.extend({ webhook: webhookInput.optional() });

export const jobCounts = z.object({
  queued: z.number().int().describe('Waiting to be fetched'),
  inFlight: z.number().int().describe('Being fetched now, on every worker'),
  succeeded: z.number().int().describe('Pages fetched and stored (any HTTP status)'),
  failed: z.number().int().describe('Pages failed for good'),
  retried: z.number().int().describe('Attempts scheduled again'),
  bytes: z.number().int().describe('Wire bytes of every fetched page'),
  stored: z.number().int().describe('Pages readable through the results'),
  pagesPerSec: z.number().describe('Pages finished per second since the job started'),
});

export const jobView = z.object({
  id: z.string(),
  kind: z.enum(['crawl', 'batch']),
  state: z.enum(JOB_STATES as [string, ...string[]]),
  createdAt: z.string().describe('ISO 8601'),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  counts: jobCounts,
  error: z.string().nullable(),
  spec: z.record(z.string(), z.unknown()),
});

export const jobIdParams = z.object({ id: z.string().min(1).max(128) });

export const listJobsQuery = z.object({
  state: z
    .string()
    .optional()
    .describe('Comma-separated states, e.g. running,paused')
    .refine(
      (s) => s === undefined || s.split(',').every((x) => (JOB_STATES as string[]).includes(x)),
      `expected states among ${JOB_STATES.join(', ')}`,
    ),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  cursor: z.string().optional(),
});

export const jobList = z.object({
  data: z.array(jobView),
  next: z.string().nullable().describe('Cursor of the next page, null on the last'),
});

const resultFilters = {
  outcome: z.enum(['ok', 'error']).optional().describe('ok: fetched; error: failed for good'),
  errorCode: z.string().min(1).max(64).optional(),
  status: z.coerce
    .number()
    .int()
    .min(100)
    .max(599)
    .optional()
    .describe('Only pages answered with this HTTP status (e.g. 404; 304 in a recrawl)'),
  urlPrefix: z.string().min(1).max(8_192).optional(),
  changedSince: z
    .string()
    .optional()
    .describe('Only pages fetched at or after this time (ISO 8601 or epoch ms)')
    .refine((s) => s === undefined || parseTime(s) !== null, 'expected ISO 8601 or epoch ms'),
  change: z
    .enum(PAGE_CHANGES)
    .optional()
    .describe("Only pages an incremental recrawl labelled so (the record's `change`)"),
  fields: z
    .string()
    .optional()
    .describe('Comma-separated fields to return (dotted paths reach nested fields)'),
};

export const resultsQuery = z.object({
  ...resultFilters,
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  body: z
    .enum(['true', 'false'])
    .default('false')
    .describe("Include each page's stored body (base64)"),
});

export const exportQuery = z.object({
  ...resultFilters,
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
});

export const resultsPage = z.object({
  data: z.array(z.record(z.string(), z.unknown())),
  next: z
    .string()
    .nullable()
    .describe('Cursor of the next page; null when no more pages are stored now'),
  cursor: z
    .string()
    .nullable()
    .describe('Where this page ended: poll with it for pages stored later (running jobs)'),
});

export const changeSummary = z.object({
  baseline: z
    .string()
    .nullable()
    .describe('The job this one was compared against (spec `baseline.jobId`); null: none'),
  data: z
    .object(Object.fromEntries(PAGE_CHANGES.map((c) => [c, z.number().int()])))
    .describe('Pages per change label: new, changed, unchanged, gone'),
});

export const errorSummary = z.object({
  data: z.array(z.object({ code: z.string(), count: z.number().int() })),
  failed: z.number().int(),
});

/** ISO 8601 or epoch ms → epoch ms, or null. */
export function parseTime(s: string): number | null {
  if (/^\d{1,15}$/.test(s)) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}
