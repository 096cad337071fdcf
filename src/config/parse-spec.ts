import { UsageError } from '../core/errors.js';
import { crawlSpecSchema, type CrawlSpec, type CrawlSpecInput } from './crawl-spec.js';

/** Validates a crawl spec, turning schema failures into one readable UsageError. */
export function parseCrawlSpec(input: CrawlSpecInput): CrawlSpec {
  const result = crawlSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(spec)'}: ${i.message}`);
  throw new UsageError(`invalid crawl options:\n${lines.join('\n')}`);
}
