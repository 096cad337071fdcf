/**
 * The shapes of Trawl's schedules API: a schedule a client sends (a cron expression, its
 * time zone, the same job spec as POST /trawl/v1/jobs, optionally a webhook) and the
 * schedule a client reads. These zod schemas validate the requests and generate the
 * OpenAPI document.
 */
import { z } from 'zod';
import { webhookInput } from '../../../webhooks/webhook-spec.js';
import { jobSpecBody } from '../jobs/job-schemas.js';

const cron = z
  .string()
  .min(1)
  .max(256)
  .describe('5 fields (minute hour day month weekday), or 6 with a single leading seconds value');
const timezone = z.string().min(1).max(64).describe('IANA time zone, e.g. Europe/Paris');

export const scheduleCreateBody = z
  .object({
    cron,
    timezone: timezone.default('UTC'),
    spec: jobSpecBody.describe('The job spec of POST /trawl/v1/jobs'),
    webhook: webhookInput.optional(),
    enabled: z.boolean().default(true),
    overlap: z
      .enum(['skip', 'queue'])
      .default('skip')
      .describe(
        'skip: a fire while the previous job is not final is skipped (and counted); queue: it creates a job anyway',
      ),
  })
  .strict();

export const schedulePatchBody = z
  .object({ enabled: z.boolean().optional(), cron: cron.optional(), timezone: timezone.optional() })
  .strict();

export const scheduleView = z.object({
  id: z.string(),
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  overlap: z.enum(['skip', 'queue']),
  spec: z.record(z.string(), z.unknown()),
  nextRunAt: z.string().nullable().describe('ISO 8601; null when the expression never fires again'),
  lastRunAt: z.string().nullable(),
  lastJobId: z.string().nullable(),
  createdAt: z.string(),
  runs: z.number().int().describe('Jobs created'),
  skipped: z.number().int().describe('Fires skipped because the previous job was not final'),
});

export const scheduleList = z.object({
  data: z.array(scheduleView),
  next: z.string().nullable().describe('Cursor of the next page, null on the last'),
});

export const scheduleIdParams = z.object({ id: z.string().min(1).max(128) });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(100),
  cursor: z.string().optional(),
});
