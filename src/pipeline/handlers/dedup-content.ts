/**
 * `dedup`: marks (or drops) items whose text was already seen in the job, exactly (same
 * normalised text) or nearly (SimHash within `threshold` bits). The look-up goes to the
 * job's shared index (`ctx.services.dedupIndex`: memory, SQLite or Redis), so in the
 * distributed mode two workers never both keep copies of one content. The first item
 * checked with a content is the original; every later one gets its URL in `duplicateOf`.
 *
 * Sets on the item: `duplicateOf` (string | null), `duplicateKind` ('exact' | 'near' |
 * null) and `simhash` (16 hex). See docs/dedup.md.
 */
import { z } from 'zod';
import { getPath } from '../fields/field-path.js';
import { HandlerError, type Handler, type Item } from '../handler.js';
import { ORIGINAL, type DedupVerdict } from '../dedup/dedup-index.js';
import {
  DEFAULT_NEAR_THRESHOLD_BITS,
  MAX_NEAR_THRESHOLD_BITS,
  fingerprintText,
} from '../dedup/simhash.js';

/** The fields tried in turn when `field` is not set. */
const DEFAULT_TEXT_FIELDS = ['text', 'markdown', 'body'] as const;

/** Job id used for items processed outside a crawl job (`trawl process`, `/chain/*`). */
export const NO_JOB_ID = 'no-job';

/** dedup's options. */
export const dedupOptions = z.strictObject({
  /** Field (path) holding the text to compare. @default 'text', else 'markdown', else
   * 'body' (if a string) */
  field: z.string().min(1).optional(),
  /** What a duplicate gets: marked and kept, or dropped (still listed in the result). */
  action: z.enum(['keep', 'drop']).default('keep'),
  /** Most differing SimHash bits (of 64) that still make a near-duplicate; at most 3,
   * what the 4-band index finds without misses. @default 3 */
  threshold: z
    .number()
    .int()
    .min(0)
    .max(MAX_NEAR_THRESHOLD_BITS)
    .default(DEFAULT_NEAR_THRESHOLD_BITS),
  /** Look for near-duplicates, not only exact ones. @default true */
  near: z.boolean().default(true),
  /** Field naming the item: the same URL checked again gets its first verdict back. */
  urlField: z.string().min(1).default('url'),
  /** Stable id field used when the item has no `urlField` (generic records). */
  idField: z.string().min(1).default('id'),
});
export type DedupOptions = z.infer<typeof dedupOptions>;

/** The `dedup` handler. */
export const dedupHandler: Handler<DedupOptions> = {
  name: 'dedup',
  description: 'Mark or drop exact and near-duplicate content (content hash + 64-bit SimHash)',
  options: dedupOptions,

  async run(item, ctx) {
    const index = ctx.services.dedupIndex;
    if (index === undefined) {
      throw new HandlerError(
        'service_missing',
        'dedup needs a dedup index (services.dedupIndex), which this runtime did not provide',
      );
    }
    const { options } = ctx;
    const id = itemId(item, options);
    const text = itemText(item, options.field);
    const { contentHash, simhash, words } = fingerprintText(text);
    let verdict: DedupVerdict = ORIGINAL;
    if (words === 0) {
      // Nothing to compare: every empty page would otherwise be a copy of the first.
      ctx.log('warn', 'no words to fingerprint; not checked for duplicates', { id });
    } else {
      verdict = await index.check(ctx.jobId ?? NO_JOB_ID, id, contentHash, simhash, {
        near: options.near,
        threshold: options.threshold,
      });
    }
    const out: Item = {
      ...item,
      duplicateOf: verdict.duplicateOf,
      duplicateKind: verdict.kind,
      simhash,
    };
    if (verdict.duplicateOf === null) return out;
    const reason =
      verdict.kind === 'exact'
        ? `exact duplicate of ${verdict.duplicateOf}`
        : `near duplicate of ${verdict.duplicateOf} (${verdict.distance} of 64 bits differ)`;
    ctx.log('info', reason, { id, distance: verdict.distance });
    return options.action === 'drop' ? { drop: true, reason, item: out } : out;
  },
};

function itemId(item: Item, options: DedupOptions): string {
  for (const field of [options.urlField, options.idField]) {
    const value = getPath(item, field);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  throw new HandlerError(
    'missing_field',
    `dedup needs an item id: neither "${options.urlField}" nor "${options.idField}" holds a string or number`,
    { fields: [options.urlField, options.idField] },
  );
}

function itemText(item: Item, field: string | undefined): string {
  const fields = field === undefined ? DEFAULT_TEXT_FIELDS : [field];
  for (const name of fields) {
    const value = getPath(item, name);
    if (typeof value === 'string') return value;
  }
  throw new HandlerError(
    'missing_field',
    `dedup needs text to compare: no string in ${fields.map((f) => `"${f}"`).join(', ')}`,
    { fields: [...fields] },
  );
}
