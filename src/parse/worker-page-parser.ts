/**
 * The page parser that parses on a pool of worker threads, so the main thread keeps
 * fetching while pages are parsed on the other cores.
 *
 * Throughput comes from batching: jobs queue per worker and are flushed on
 * setImmediate, so one postMessage carries every job submitted in the same turn of the
 * event loop (up to maxBatch), and the worker answers each batch with one message.
 * Bodies are transferred, not copied, when they own their memory.
 *
 * With `dedupLinks`, each worker remembers the links it returned: a link can come back
 * once per worker, never more (short of the memory bound, see MAX_REMEMBERED_LINKS).
 *
 * A worker that dies (a crash in the parser, out of memory) is replaced, and the pages it
 * held are parsed once more on the replacement, one at a time, before they fail: a page
 * that kills its worker twice fails alone, its batch-mates are parsed. The job keeps its
 * body until it is answered, and a copy is what crosses to the worker.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ParsedPage } from '../core/types.js';
import { TrawlError } from '../core/errors.js';
import { createLinkFilter } from '../core/url/link-filter.js';
import type { PageParser, PageParserOptions, ParseJob } from './page-parser.js';
import type { FromWorker, ToWorker, WireJob, WireResult } from './parse-worker.js';

export interface WorkerPageParserOptions extends PageParserOptions {
  /** Worker threads. @default Math.max(1, os.availableParallelism() - 1) */
  workers?: number;
  /** Most jobs one message carries; bounds how long a worker holds results back. @default 64 */
  maxBatch?: number;
  /**
   * The module workers run. Embedders may wrap parse-worker (it must still speak its
   * protocol); tests use this to inject crashes. @default parse-worker next to this file
   */
  workerUrl?: URL;
}

/** A worker whose thread dies this many times in a row before ever starting breaks the pool. */
const MAX_STARTUP_FAILURES = 3;

interface Queued {
  url: string;
  job: ParseJob;
  /** Already posted to a worker that died: a second death fails it. */
  retried: boolean;
  resolve: (page: ParsedPage) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** The worker loaded its modules and said so; a death before that is a startup failure. */
  ready: boolean;
  /** Set by the worker's 'error' event, reported when it exits. */
  lastError: Error | null;
  /** Jobs posted to the worker, by id. */
  inFlight: Map<number, Queued>;
  /** Jobs assigned to the worker, to be posted at the next flush. */
  outbox: Queued[];
  /** Jobs a dead worker held, to be parsed again one at a time before the outbox. */
  retries: Queued[];
}

export class WorkerPageParser implements PageParser {
  private readonly options: PageParserOptions;
  private readonly size: number;
  private readonly maxBatch: number;
  private readonly workerUrl: URL;
  private slots: Slot[] = [];
  private nextId = 1;
  private flushScheduled = false;
  private startupFailures = 0;
  private broken: Error | null = null;
  private closed = false;

  constructor(options: WorkerPageParserOptions) {
    this.size = options.workers ?? Math.max(1, availableParallelism() - 1);
    this.maxBatch = options.maxBatch ?? 64;
    if (!Number.isInteger(this.size) || this.size < 1) {
      throw new RangeError(`workers must be a positive integer, got ${this.size}`);
    }
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new RangeError(`maxBatch must be a positive integer, got ${this.maxBatch}`);
    }
    // Fail here, not in every worker, when a pattern is not a valid regex.
    createLinkFilter(options.linkFilter);
    // Only the port's options go to workers (workerData is cloned; a URL would not be).
    this.options = {
      linkFilter: options.linkFilter,
      respectNofollow: options.respectNofollow,
      sortQuery: options.sortQuery ?? true,
      dedupLinks: options.dedupLinks ?? false,
    };
    if (options.extract !== undefined) this.options.extract = options.extract;
    this.workerUrl = workerEntry(options.workerUrl ?? defaultWorkerUrl());
  }

  /**
   * Parses a page on the least-loaded worker. `job.body` may be transferred (and then
   * detached here). Rejects with TrawlError 'parse_failed' when the page cannot be parsed
   * or its worker died, 'aborted' when the parser is closed first.
   */
  parse(job: ParseJob): Promise<ParsedPage> {
    if (this.closed) return Promise.reject(closedError());
    if (this.broken !== null) return Promise.reject(brokenError(this.broken));
    if (this.slots.length === 0) this.start();
    let best = this.slots[0] as Slot;
    let bestLoad = best.inFlight.size + best.outbox.length;
    for (let i = 1; i < this.slots.length && bestLoad > 0; i++) {
      const slot = this.slots[i] as Slot;
      const load = slot.inFlight.size + slot.outbox.length;
      if (load < bestLoad) {
        best = slot;
        bestLoad = load;
      }
    }
    return new Promise<ParsedPage>((resolve, reject) => {
      best.outbox.push({ job, url: job.url, retried: false, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Every worker forgets the links (a link may have been returned by any of them).
   * Ordered with the jobs: pages sent after this call see the links again.
   */
  forgetLinks(links: readonly string[] | 'all'): void {
    if (!this.options.dedupLinks || this.closed) return;
    const msg: ToWorker = { forget: links === 'all' ? 'all' : [...links] };
    // Jobs queued in an outbox are posted later: post them first so the order holds.
    for (const slot of this.slots) {
      if (slot.outbox.length > 0 && slot.retries.length === 0) this.post(slot);
      slot.worker.postMessage(msg);
    }
  }

  /** Terminates the workers; jobs not yet answered reject with 'aborted'. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    const err = closedError();
    for (const slot of slots) this.rejectAll(slot, err);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const slot: Slot = {
        worker: this.newWorker(),
        ready: false,
        lastError: null,
        inFlight: new Map(),
        outbox: [],
        retries: [],
      };
      this.watch(slot);
      this.slots.push(slot);
    }
  }

  private newWorker(): Worker {
    return new Worker(this.workerUrl, { workerData: this.options, execArgv: workerExecArgv() });
  }

  private watch(slot: Slot): void {
    const worker = slot.worker;
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'ready') {
        slot.ready = true;
        this.startupFailures = 0;
      } else {
        this.settle(slot, msg.results);
      }
    });
    worker.on('error', (err) => {
      slot.lastError = err;
    });
    worker.on('exit', (code) => {
      // A closed pool's exits are expected.
      if (slot.worker !== worker || this.closed) return;
      this.onWorkerDeath(slot, code);
    });
    // Workers stay ref'd until close(): whoever creates the pool closes it. (Unref'ing
    // idle workers let a forgotten pool exit, but awaiting a job or close() on an unref'd
    // worker could leave the event loop with nothing holding it: seen as a flaky test.)
  }

  private onWorkerDeath(slot: Slot, code: number): void {
    const reason = slot.lastError?.message ?? `exit code ${code}`;
    const died = new TrawlError('parse_failed', `the parse worker died: ${reason}`, {
      cause: slot.lastError ?? undefined,
    });
    const again: Queued[] = [];
    for (const [id, pending] of slot.inFlight) {
      slot.inFlight.delete(id);
      // Once more on the replacement: the death may not be this page's fault.
      if (pending.retried) pending.reject(died);
      else {
        pending.retried = true;
        again.push(pending);
      }
    }
    slot.retries.push(...again);
    if (!slot.ready && ++this.startupFailures >= MAX_STARTUP_FAILURES) {
      // Respawning a worker that cannot start would loop forever: give up loudly.
      this.broken = died;
      for (const s of this.slots) this.rejectAll(s, brokenError(died));
      return;
    }
    // Jobs not yet posted were never seen by the dead worker: its replacement takes them.
    slot.worker = this.newWorker();
    slot.ready = false;
    slot.lastError = null;
    this.watch(slot);
    if (slot.outbox.length > 0 || slot.retries.length > 0) this.post(slot);
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const slot of this.slots) if (slot.outbox.length > 0) this.post(slot);
  }

  private post(slot: Slot): void {
    if (slot.retries.length > 0) {
      // Alone on the worker: if it dies again, only this page is to blame.
      if (slot.inFlight.size === 0) this.send(slot, [slot.retries.shift()!]);
      return;
    }
    const outbox = slot.outbox;
    slot.outbox = [];
    for (let from = 0; from < outbox.length; from += this.maxBatch) {
      this.send(slot, outbox.slice(from, from + this.maxBatch));
    }
  }

  private send(slot: Slot, batch: Queued[]): void {
    const jobs: WireJob[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const queued of batch) {
      const id = this.nextId++;
      // Our own copy: it can always be transferred, and the job keeps its body for a retry.
      const body = copyOf(queued.job.body);
      const { url, contentType, extractLinks } = queued.job;
      jobs.push({ id, url, body, contentType, extractLinks: extractLinks !== false });
      transfer.push(body.buffer as ArrayBuffer);
      slot.inFlight.set(id, queued);
    }
    try {
      slot.worker.postMessage({ jobs } satisfies ToWorker, transfer);
    } catch (err) {
      for (const job of jobs) slot.inFlight.delete(job.id);
      const failed = new TrawlError('parse_failed', 'could not send pages to a parse worker', {
        cause: err,
      });
      for (const queued of batch) queued.reject(failed);
    }
  }

  private settle(slot: Slot, results: WireResult[]): void {
    for (const result of results) {
      const pending = slot.inFlight.get(result.id);
      if (pending === undefined) continue;
      slot.inFlight.delete(result.id);
      if ('page' in result) {
        pending.resolve(result.page);
      } else {
        pending.reject(
          new TrawlError('parse_failed', `parsing ${pending.url} failed: ${result.error}`),
        );
      }
    }
    if (slot.retries.length > 0) this.post(slot);
  }

  private rejectAll(slot: Slot, err: Error): void {
    const pending = [...slot.inFlight.values(), ...slot.retries, ...slot.outbox];
    slot.inFlight.clear();
    slot.outbox = [];
    slot.retries = [];
    for (const p of pending) p.reject(err);
  }
}

/**
 * A transferable copy of the body: the original stays with the job until it is answered
 * (a worker that dies takes what was transferred with it). ArrayBuffer#slice is one
 * memcpy; it also keeps small Buffers, which share an 8 KB pool slab with unrelated
 * data, from dragging the slab along.
 */
function copyOf(body: Buffer): Uint8Array {
  return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

/**
 * The process's Node options, which workers inherit, minus `--input-type`: it is only
 * valid for `-e`/stdin input, and a worker started from a module fails with it.
 */
function workerExecArgv(): string[] {
  const args: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--input-type') i++;
    else if (!arg.startsWith('--input-type=')) args.push(arg);
  }
  return args;
}

/** parse-worker next to this module: .js when compiled, .ts when run through tsx. */
function defaultWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./parse-worker${ext}`, import.meta.url);
}

/**
 * What to start a worker from. A .ts module (tests and dev runs under tsx) needs tsx's
 * hooks in the worker, and on Node 20 a worker does not get them from an inherited
 * `--import tsx`: a tiny bootstrap registers them, then imports the module.
 */
function workerEntry(url: URL): URL {
  if (!url.pathname.endsWith('.ts')) return url;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code =
    `const { register } = await import(${JSON.stringify(tsx)});\n` +
    `register();\n` +
    `await import(${JSON.stringify(url.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

function closedError(): TrawlError {
  return new TrawlError('aborted', 'the page parser was closed before the page was parsed');
}

function brokenError(cause: Error): TrawlError {
  return new TrawlError(
    'parse_failed',
    `parse workers cannot start (${MAX_STARTUP_FAILURES} tried): ${cause.message}`,
    { cause },
  );
}
