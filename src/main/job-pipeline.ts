/**
 * What a job does with its pages besides crawling them, built from its spec the same way
 * in both modes: the parser's extraction options and the chain of handlers. Only the
 * services differ (the dedup index: SQLite embedded, Redis distributed), passed in by
 * the composition root.
 */
import type { CrawlSpec } from '../config/crawl-spec.js';
import type { TrawlMetrics } from '../metrics/metrics.js';
import { UsageError } from '../core/errors.js';
import {
  defineAdapter,
  validateExtractOptions,
  type ExtractOptions,
} from '../extract/extract-fields.js';
import { openChain, type Chain } from '../pipeline/chain.js';
import type { PipelineServices } from '../pipeline/handler.js';
import { createPagePipeline, type RecordPipeline } from '../pipeline/page-pipeline.js';
import { loadPipelineSpec, parsePipelineSpec } from '../pipeline/pipeline-file.js';

/**
 * The parser's extraction options for `spec`, checked (adapters validated, selectors
 * compiled); undefined when the job extracts nothing. @throws UsageError naming the field
 */
export function extractOptions(spec: CrawlSpec): ExtractOptions | undefined {
  const e = spec.extract;
  if (e === null || (e.formats.length === 0 && e.adapters.length === 0)) return undefined;
  try {
    const options: ExtractOptions = {
      formats: e.formats,
      onlyMainContent: e.onlyMainContent,
      includeSelectors: e.includeSelectors,
      excludeSelectors: e.excludeSelectors,
      images: e.images,
      adapters: e.adapters.map((a) => defineAdapter(a)),
    };
    validateExtractOptions(options);
    return options;
  } catch (err) {
    throw new UsageError(`extract: ${(err as Error).message}`, { cause: err });
  }
}

/** Opens the job's chain (loads user handlers, runs each handler's setup). */
async function openJobChain(
  spec: CrawlSpec,
  jobId: string | null,
  services: PipelineServices,
  metrics: TrawlMetrics | undefined,
): Promise<Chain> {
  const pipeline = parsePipelineSpec(spec.pipeline, 'pipeline');
  const loaded = await loadPipelineSpec(pipeline, { source: 'pipeline', baseDir: process.cwd() });
  return openChain(loaded.steps, {
    onError: loaded.onError,
    timeoutMs: loaded.timeoutMs,
    // Each stage's copy is for `trawl process --full` and the API's demo, not the crawl.
    stages: false,
    services,
    jobId,
    registry: loaded.registry,
    // S2's processor metrics; a handler name is a small closed set (the job's chain).
    ...(metrics === undefined
      ? {}
      : {
          onStage: ({ handler, status, ms }) => {
            metrics.dataProcessedTotal.inc({
              platform: 'generic',
              processor_type: handler,
              status,
            });
            metrics.dataProcessingDuration.observe({ processor_type: handler }, ms / 1000);
          },
        }),
  });
}

/**
 * Checks the job's extraction and pipeline as a worker will load them (user handlers
 * imported, every option parsed; no handler's setup runs, so nothing is sent or written):
 * what `trawl crawl` runs before it starts, so a bad pipeline fails at once with the field
 * named rather than on every worker. @throws UsageError
 */
export async function validateJobPipeline(spec: CrawlSpec): Promise<void> {
  extractOptions(spec);
  if (spec.pipeline === null) return;
  const pipeline = parsePipelineSpec(spec.pipeline, 'pipeline');
  await loadPipelineSpec(pipeline, { source: 'pipeline', baseDir: process.cwd() });
}

/**
 * The job's RecordPipeline, or undefined when it has no chain. The chain opens on the first
 * page (builders of crawl parts do no I/O); a chain that cannot open fails that page's
 * task, which ends the job's loop with the error.
 */
export function createJobPipeline(
  spec: CrawlSpec,
  jobId: string | null,
  services: PipelineServices,
  metrics?: TrawlMetrics,
): RecordPipeline | undefined {
  if (spec.pipeline === null) return undefined;
  let opening: Promise<RecordPipeline> | null = null;
  const open = (): Promise<RecordPipeline> =>
    (opening ??= openJobChain(spec, jobId, services, metrics).then(createPagePipeline));
  return {
    process: async (record) => (await open()).process(record),
    close: async () => {
      if (opening !== null) await (await opening.catch(() => null))?.close();
    },
  };
}
