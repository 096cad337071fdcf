/** A job and its pages as Trawl's API shows them. */
import { specView } from '../../client-spec.js';
import type { JobInfo } from '../../../jobs/job-service.js';
import type { PageRecord } from '../../../core/types.js';
import { columnsFor, valueAt } from '../../../storage/export/columns.js';
import { pageExportRecord } from '../../../storage/export/write-export.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function jobView(job: JobInfo) {
  const spec = specView(job.spec);
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    counts: job.counts,
    error: job.error,
    spec: spec as Record<string, unknown>,
  };
}

/**
 * A page as the same record `trawl crawl --out` writes (headers included), optionally
 * narrowed to `fields`, with the body base64 when it was asked for and stored.
 */
export function pageView(
  page: PageRecord,
  fields: string[] | null,
  withBody: boolean,
): Record<string, unknown> {
  const record = pageExportRecord(page, true);
  if (withBody) record.body = page.body === null ? null : page.body.toString('base64');
  if (fields === null) return record;
  const out: Record<string, unknown> = {};
  for (const column of columnsFor(fields)) out[column.name] = valueAt(record, column) ?? null;
  return out;
}

export function fieldList(fields: string | undefined): string[] | null {
  if (fields === undefined) return null;
  const list = fields
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  return list.length === 0 ? null : [...new Set(list)];
}
