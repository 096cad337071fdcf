/**
 * `trawl process`: runs a chain over JSONL records from a stream (stdin) and writes one
 * JSON line per input line (stdout), in input order. Streaming with bounded memory: we
 * pull the next chunk only while fewer than `concurrency` items are in flight, and wait
 * for the output to drain, so millions of lines never pile up. A line that is not a JSON
 * object becomes an error line naming its number; nothing is lost and processing goes on.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { openChain, type Chain, type ChainResult, type OnError } from '../pipeline/chain.js';
import { PREDEFINED_CHAINS } from '../pipeline/chains.js';
import { createMemoryDedupIndex } from '../pipeline/dedup/memory-dedup-index.js';
import type { HandlerFailure } from '../pipeline/handler.js';
import { loadPipeline } from '../pipeline/pipeline-file.js';
import type { HandlerRegistry } from '../pipeline/registry.js';
import { createRegistry } from '../pipeline/registry.js';

/** What to run and where. */
export interface ProcessRecordsOptions {
  chain?: string;
  pipelineFile?: string;
  /** Replaces the chain's (and the file's) onError; a step's own onError still wins. */
  onError?: OnError;
  /** Write the whole chain result (stages included) instead of item + `_pipeline`. */
  full?: boolean;
  /** Items in flight at once (their outputs keep input order). @default 16 */
  concurrency?: number;
  input: Readable;
  output: Writable;
  /** Progress and warnings; a live line when it is a TTY. */
  stderr: Writable & { isTTY?: boolean };
  /** Called after every item with the running counts (tests, progress). */
  onProgress?: (counts: ProcessCounts) => void;
}

/** Running totals. `failed` counts items with any error, bad lines included. */
export interface ProcessCounts {
  items: number;
  ok: number;
  failed: number;
  dropped: number;
}

/** Per handler: runs, failures by code, drops and total time. */
export interface HandlerStats {
  runs: number;
  failed: number;
  dropped: number;
  ms: number;
  codes: Record<string, number>;
}

export interface ProcessSummary extends ProcessCounts {
  elapsedMs: number;
  itemsPerSec: number;
  handlers: Record<string, HandlerStats>;
  warnings: string[];
}

const OUTPUT_BATCH_BYTES = 64 * 1024;

/** Lines of a byte stream, numbered from 1, pulled one chunk at a time. */
async function* readLines(input: Readable): AsyncGenerator<{ text: string; n: number }> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let n = 0;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    carry += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let nl = carry.indexOf('\n'); nl >= 0; nl = carry.indexOf('\n', start)) {
      yield { text: carry.slice(start, nl), n: ++n };
      start = nl + 1;
    }
    carry = carry.slice(start);
  }
  carry += decoder.end();
  if (carry !== '') yield { text: carry, n: ++n };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function badLine(n: number, text: string, code: string, message: string): string {
  const error: HandlerFailure = {
    handler: 'input',
    code,
    message: `line ${n}: ${message}`,
    details: { line: n },
  };
  return JSON.stringify({
    _pipeline: {
      ok: false,
      line: n,
      errors: [error],
      warnings: [],
      handlersExecuted: [],
      processingMs: 0,
    },
    _raw: text,
  });
}

function resultLine(n: number, r: ChainResult, full: boolean): string {
  if (full) return JSON.stringify({ line: n, ...r, processingMs: round(r.processingMs) });
  const meta: Record<string, unknown> = {
    ok: r.ok,
    line: n,
    errors: r.errors,
    warnings: r.warnings,
    handlersExecuted: r.handlersExecuted,
    processingMs: round(r.processingMs),
  };
  if (r.dropped !== undefined) meta.dropped = r.dropped;
  if (r.stoppedBy !== undefined) meta.stoppedBy = r.stoppedBy;
  return JSON.stringify(r.item === null ? { _pipeline: meta } : { ...r.item, _pipeline: meta });
}

/** A writer that batches lines and waits for the stream to drain. */
function lineWriter(output: Writable): {
  write(line: string): Promise<void>;
  flush(): Promise<void>;
  broken(): boolean;
} {
  let buf: string[] = [];
  let bytes = 0;
  let failed = false;
  output.on('error', () => {
    failed = true; // EPIPE: the reader went away (`| head`); we stop quietly
  });
  const flush = async (): Promise<void> => {
    if (buf.length === 0 || failed) return;
    const text = buf.join('');
    buf = [];
    bytes = 0;
    if (!output.write(text)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          output.off('drain', done);
          output.off('error', done);
          output.off('close', done);
          resolve();
        };
        output.on('drain', done).on('error', done).on('close', done);
      });
    }
  };
  return {
    async write(line) {
      buf.push(line, '\n');
      bytes += line.length + 1;
      if (bytes >= OUTPUT_BATCH_BYTES) await flush();
    },
    flush,
    broken: () => failed,
  };
}

/** Runs the chain over every line of `input`; resolves with the totals. */
export async function processRecords(o: ProcessRecordsOptions): Promise<ProcessSummary> {
  const pipeline = await loadPipeline({
    ...(o.pipelineFile === undefined ? {} : { file: o.pipelineFile }),
    ...(o.chain === undefined ? {} : { chain: o.chain }),
  });
  const handlers: Record<string, HandlerStats> = {};
  const stats = (name: string): HandlerStats =>
    (handlers[name] ??= { runs: 0, failed: 0, dropped: 0, ms: 0, codes: {} });
  const dedupIndex = createMemoryDedupIndex();
  const onError = o.onError ?? pipeline.onError;
  let chain: Chain;
  try {
    chain = await openChain(pipeline.steps, {
      ...(onError === undefined ? {} : { onError }),
      ...(pipeline.timeoutMs === undefined ? {} : { timeoutMs: pipeline.timeoutMs }),
      stages: o.full === true,
      services: { dedupIndex },
      jobId: null,
      onStage: ({ handler, status, ms, code }) => {
        const s = stats(handler);
        s.runs++;
        s.ms += ms;
        if (status === 'dropped') s.dropped++;
        if (status === 'failed') {
          s.failed++;
          s.codes[code ?? 'unknown'] = (s.codes[code ?? 'unknown'] ?? 0) + 1;
        }
      },
    });
  } catch (err) {
    await dedupIndex.close();
    throw err;
  }
  for (const w of pipeline.warnings) o.stderr.write(`trawl: warning: ${w}\n`);

  const counts: ProcessCounts = { items: 0, ok: 0, failed: 0, dropped: 0 };
  const started = performance.now();
  const out = lineWriter(o.output);
  const concurrency = Math.max(1, o.concurrency ?? 16);
  const pending: Promise<string>[] = [];
  const tally = (kind: 'ok' | 'failed' | 'dropped'): void => {
    counts.items++;
    counts[kind]++;
    o.onProgress?.({ ...counts });
  };
  const runLine = async (text: string, n: number): Promise<string> => {
    let item: unknown;
    try {
      item = JSON.parse(text);
    } catch (err) {
      tally('failed');
      return badLine(n, text, 'bad_json', (err as Error).message);
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      tally('failed');
      return badLine(n, text, 'not_an_object', 'expected a JSON object');
    }
    const r = await chain.runItem(item as Record<string, unknown>);
    tally(!r.ok ? 'failed' : r.dropped !== undefined ? 'dropped' : 'ok');
    return resultLine(n, r, o.full === true);
  };
  const live =
    o.stderr.isTTY === true
      ? setInterval(
          () => o.stderr.write(`\r\x1b[K${progressText(counts, performance.now() - started)}`),
          250,
        )
      : undefined;
  try {
    for await (const { text, n } of readLines(o.input)) {
      if (out.broken()) break;
      if (text.trim() === '') continue;
      pending.push(runLine(text.endsWith('\r') ? text.slice(0, -1) : text, n));
      if (pending.length >= concurrency) await out.write(await pending.shift()!);
    }
    while (pending.length > 0) await out.write(await pending.shift()!);
    await out.flush();
  } finally {
    if (live !== undefined) {
      clearInterval(live);
      o.stderr.write('\r\x1b[K');
    }
    await Promise.allSettled(pending);
    try {
      await chain.close();
    } finally {
      await dedupIndex.close();
    }
  }
  const elapsedMs = performance.now() - started;
  return {
    ...counts,
    elapsedMs,
    itemsPerSec: counts.items / Math.max(elapsedMs / 1000, 1e-3),
    handlers,
    warnings: pipeline.warnings,
  };
}

/** "1234 items · 1200 ok · 3 failed · 31 dropped · 5210 items/s" */
export function progressText(c: ProcessCounts, elapsedMs: number): string {
  const rate = c.items / Math.max(elapsedMs / 1000, 1e-3);
  return `${c.items} items · ${c.ok} ok · ${c.failed} failed · ${c.dropped} dropped · ${Math.round(rate)} items/s`;
}

/** The final line, and with `perHandler` one line per handler. */
export function summaryLines(s: ProcessSummary, perHandler: boolean): string[] {
  const lines = [
    `trawl process: ${progressText(s, s.elapsedMs)} in ${(s.elapsedMs / 1000).toFixed(2)} s`,
  ];
  if (perHandler) {
    for (const [name, h] of Object.entries(s.handlers)) {
      const codes = Object.entries(h.codes)
        .map(([c, k]) => `${c}×${k}`)
        .join(', ');
      lines.push(
        `  ${name}: ${h.runs} runs, ${h.failed} failed${codes === '' ? '' : ` (${codes})`}, ${h.dropped} dropped, ${(h.ms / Math.max(h.runs, 1)).toFixed(3)} ms avg`,
      );
    }
  }
  return lines;
}

/** `trawl process --list`: handlers (with a plugin file's) and chains. */
export async function listText(pipelineFile?: string): Promise<string> {
  const registry: HandlerRegistry =
    pipelineFile === undefined
      ? createRegistry()
      : (await loadPipeline({ file: pipelineFile })).registry;
  const width = Math.max(
    ...[...registry.keys(), ...Object.keys(PREDEFINED_CHAINS)].map((k) => k.length),
  );
  const lines = ['Handlers:'];
  for (const h of registry.values())
    lines.push(`  ${h.name.padEnd(width)}  ${h.description ?? ''}`);
  lines.push('', 'Chains:');
  for (const c of Object.values(PREDEFINED_CHAINS)) {
    const missing = c.handlers.filter((h) => !registry.has(h));
    const note = missing.length === 0 ? '' : ` (not in this build: ${missing.join(', ')})`;
    lines.push(`  ${c.name.padEnd(width)}  ${c.description}${note}`);
  }
  return `${lines.join('\n')}\n`;
}
