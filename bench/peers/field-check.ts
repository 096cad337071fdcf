/**
 * Checks the extra fields an extracting system promises on its records (`markdown` from
 * `--extract`, the `standard` chain's `urlParts`), over the HTML pages it delivered: the
 * site's own output check counts pages and titles; this one says whether each page also
 * carries what the system was asked to produce, so a run that skipped the work cannot
 * pass as a fast one.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One field an output record must carry. */
export interface FieldCheck {
  field: string;
  /**
   * What passes: a non-empty string, a (non-null, non-array) object, or the field being
   * absent (e.g. no `pipelineErrors`).
   */
  want: 'non-empty-string' | 'object' | 'absent';
  /**
   * Share of the HTML records that must pass, 0–1. Below 1 where a page may rightly
   * have none (a Javadoc frame or redirect page has no main content to turn into Markdown).
   */
  minShare: number;
}

export interface FieldCount {
  field: string;
  want: FieldCheck['want'];
  minShare: number;
  /** Records with status 200 and an HTML content type: those the check is over. */
  htmlRecords: number;
  /** Of those, how many pass. */
  passing: number;
  ok: boolean;
}

/** Null when the file does not exist (the round has a warning for that already). */
export async function checkFields(
  file: string,
  checks: FieldCheck[],
): Promise<FieldCount[] | null> {
  if (!existsSync(file)) return null;
  const counts: FieldCount[] = checks.map((c) => ({
    field: c.field,
    want: c.want,
    minShare: c.minShare,
    htmlRecords: 0,
    passing: 0,
    ok: false,
  }));
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue; // counted as unparsable by the site's check
    }
    if (typeof record !== 'object' || record === null) continue;
    const r = record as Record<string, unknown>;
    if (r.status !== 200 || !isHtml(r.contentType)) continue;
    for (const c of counts) {
      c.htmlRecords++;
      if (passes(r[c.field], c.want)) c.passing++;
    }
  }
  for (const c of counts) c.ok = c.htmlRecords > 0 && c.passing >= c.minShare * c.htmlRecords;
  return counts;
}

/** The warning for a failed check, e.g. `markdown empty or missing in 12 of 10,136 HTML records`. */
export function fieldWarning(c: FieldCount): string | null {
  if (c.ok) return null;
  if (c.htmlRecords === 0) return `no HTML records to check ${c.field} on`;
  const failing = c.htmlRecords - c.passing;
  const what = {
    'non-empty-string': 'empty or missing',
    object: 'missing',
    absent: 'present',
  }[c.want];
  return (
    `${c.field} ${what} in ${failing} of ${c.htmlRecords} HTML records` +
    ` (allowed: ${Math.floor((1 - c.minShare) * c.htmlRecords)})`
  );
}

function passes(value: unknown, want: FieldCheck['want']): boolean {
  if (want === 'absent') return value === undefined || value === null;
  if (want === 'object')
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  return typeof value === 'string' && value.trim() !== '';
}

/** A record without a content type (an older output shape) counts as HTML. */
function isHtml(contentType: unknown): boolean {
  return typeof contentType !== 'string' || /html/i.test(contentType);
}
