/**
 * A job's chain over its pages: the crawler hands each page record (with what the parser
 * extracted) to process() before committing it, and stores what comes back. The loop
 * sees only the RecordPipeline port; which chain runs, with which services (the dedup
 * index of the job's backend), is chosen in src/main/.
 *
 * A page enters the chain as its export record (the fields `--out` writes, fetchedAt as
 * ISO-8601, plus the extraction fields) and what the chain returns becomes the page's
 * `fields`: everything a handler added, and the core fields it changed (a cleaned title),
 * which then override the crawler's in exports. A drop keeps the page (the crawl must
 * still know the URL is done) marked `dropped: {by, reason}`, and exports leave it out.
 * Handler failures are listed in `pipelineErrors`. Nothing a handler does fails the page.
 */
import { isDeepStrictEqual } from 'node:util';
import type { PageRecord } from '../core/types.js';
import type { Chain } from './chain.js';
import type { Item } from './handler.js';
import { PAGE_FIELDS, pageExportRecord } from '../storage/export/write-export.js';

/** The crawler's port: what to do with a finished page before it is committed. */
export interface RecordPipeline {
  /** The record to store: `record` with `fields` set from the chain. Never throws for a handler. */
  process(record: PageRecord): Promise<PageRecord>;
  close(): Promise<void>;
}

/** The page fields the crawler owns: a chain's output stores them only when changed. */
const CORE_SET = new Set<string>([...PAGE_FIELDS, 'headers']);

/** The item a page enters the chain as: its export record, headers included. */
export function pageItem(record: PageRecord): Item {
  return pageExportRecord(record, true);
}

/** The fields to store from the chain's output `item`, given the item that `entered`. */
function fieldsOf(item: Item, entered: Item): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key in item) {
    const value = item[key];
    if (value === undefined) continue;
    if (CORE_SET.has(key)) {
      // A core field is stored only when a handler changed it.
      if (!isDeepStrictEqual(value, entered[key])) fields[key] = value;
      continue;
    }
    fields[key] = value;
  }
  return fields;
}

/**
 * A RecordPipeline running `chain` (built with `stages: false`: the crawl does not keep
 * each stage's copy). `close()` closes the chain (finishing its export files).
 */
export function createPagePipeline(chain: Chain): RecordPipeline {
  return {
    async process(record) {
      const entered = pageItem(record);
      // The chain may change the object it is given: keep `entered` for the comparison.
      const result = await chain.runItem({ ...entered });
      let fields: Record<string, unknown>;
      if (result.dropped !== undefined) {
        fields = { ...(record.fields ?? {}), dropped: result.dropped };
      } else {
        fields = fieldsOf(result.item ?? entered, entered);
      }
      if (result.errors.length > 0) {
        fields.pipelineErrors = result.errors.map((e) => ({
          handler: e.handler,
          code: e.code,
          message: e.message,
        }));
      }
      return { ...record, fields: Object.keys(fields).length === 0 ? null : fields };
    },
    close: () => chain.close(),
  };
}
