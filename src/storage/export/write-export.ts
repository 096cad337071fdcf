/**
 * Writes a crawl's pages to a file (JSONL or CSV), streaming from the store. Written to
 * a temporary file first and renamed, so a reader never sees half an export.
 */
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import type { PageRecord } from '../../core/types.js';

export type ExportFormat = 'jsonl' | 'csv';

/** The exported fields, in order (CSV header and JSONL key order). */
const FIELDS = [
  'url',
  'finalUrl',
  'status',
  'title',
  'depth',
  'contentType',
  'fetchedAt',
  'error',
  'errorMessage',
  'attempts',
  'etag',
  'lastModified',
  'contentHash',
  'contentLength',
  'charset',
  'canonicalUrl',
  'linkCount',
  'durationMs',
] as const;

type Field = (typeof FIELDS)[number];

function exportValue(page: PageRecord, field: Field): string | number | null {
  if (field === 'fetchedAt') return new Date(page.fetchedAt).toISOString();
  return page[field];
}

function toJsonLine(page: PageRecord): string {
  const obj: Record<string, string | number | null> = {};
  for (const f of FIELDS) obj[f] = exportValue(page, f);
  return JSON.stringify(obj) + '\n';
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsvLine(page: PageRecord): string {
  return FIELDS.map((f) => csvCell(exportValue(page, f))).join(',') + '\r\n';
}

/** Returns the number of pages written. */
export async function writeExport(
  pages: AsyncIterable<PageRecord>,
  path: string,
  format: ExportFormat,
): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  let count = 0;
  try {
    if (format === 'csv') out.write(FIELDS.join(',') + '\r\n');
    const line = format === 'csv' ? toCsvLine : toJsonLine;
    for await (const page of pages) {
      if (!out.write(line(page))) await once(out, 'drain');
      count++;
    }
    out.end();
    await once(out, 'finish');
    await rename(tmp, path);
    return count;
  } catch (err) {
    out.destroy();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
