/**
 * The pipeline's port: what a handler is and what it sees. A chain (chain.ts) runs
 * handlers in order over one item; each handler sees the previous one's output.
 *
 * An item is plain JSON-able data: an S5 generic record (`trawl process`) or a page
 * record as exported (`url`, `status`, `title`, … plus the extraction fields
 * `markdown`, `text`, `metadata`, `structured`, `links`, `data`, `duplicateOf`,
 * `quality` when a job asks for them).
 */
import type { z } from 'zod';
import type { DedupIndex } from './dedup/dedup-index.js';

/** One record flowing through a chain. Plain data only (it crosses processes). */
export type Item = Record<string, unknown>;

export type LogLevel = 'info' | 'warn' | 'error';

/** One line of a handler's log, as the chain result lists it. */
export interface HandlerLogEntry {
  /** Epoch ms. */
  at: number;
  level: LogLevel;
  handler: string;
  message: string;
  data?: Record<string, unknown>;
}

/**
 * What every handler's run() gets besides the item. Created by the chain runner for
 * each (item, handler) pair.
 */
export interface HandlerContext<O> {
  /** The handler's options, already parsed by its schema. */
  readonly options: O;
  /** What setup() returned (undefined when the handler has no setup). */
  readonly state: unknown;
  /** Aborted when the handler's deadline passes or the chain is closed. */
  readonly signal: AbortSignal;
  /** The crawl job the item belongs to, or null (`trawl process`, `/chain/*`). */
  readonly jobId: string | null;
  /** Appends to the item's log in the chain result. */
  log(level: LogLevel, message: string, data?: Record<string, unknown>): void;
  /** Shared services the composition root provides (e.g. the dedup index). */
  readonly services: PipelineServices;
  /**
   * Failures of earlier handlers in this item's run that the chain skipped (onError
   * 'skip'), oldest first; notify's `when: on-error` reads it. Optional so that code
   * building a context by hand (tests, the API's demo) need not provide it.
   */
  readonly priorErrors?: readonly HandlerFailure[];
}

/** A handler failure as the chain result records it. */
export interface HandlerFailure {
  handler: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Services a chain may need that live outside one handler, provided by `src/main/`
 * (embedded: in process / SQLite; distributed: Redis), so handlers never pick a backend.
 * Handlers that need one and find it missing fail with code `service_missing`.
 */
export interface PipelineServices {
  /** The job's shared dedup index (memory, SQLite or Redis), for the `dedup` handler. */
  dedupIndex?: DedupIndex;
}

/** What run() may return: the next item, or a decision to drop it (kept in the result). */
export type HandlerOutput = Item | { drop: true; reason: string; item?: Item };

/** A failure a handler reports on purpose (a validation error, a failed webhook). */
export class HandlerError extends Error {
  /** Stable machine-readable code, e.g. `validation_failed`, `notify_failed`. */
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: string, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'HandlerError';
    this.code = code;
    this.details = details;
  }
}

/**
 * True for a HandlerError, also one made by another copy of this module (a user plugin
 * bundling its own): we branch on `name` and `code`, never on `instanceof`.
 */
export function isHandlerError(err: unknown): err is HandlerError {
  return (
    err instanceof Error &&
    err.name === 'HandlerError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

/**
 * A handler: a name, an options schema and run(). `setup` (optional) makes per-chain
 * resources (an SMTP transport, an open export file) once, `close` releases them when the
 * chain closes (e.g. finishes the export file). Handlers hold no per-item state between
 * calls except through `state`.
 *
 * run() must not mutate the item it is given: it returns a new object (a shallow copy
 * with its changes is enough). The chain relies on this to keep "the item as it was
 * before the failing handler" without copying every item at every stage.
 */
export interface Handler<O = unknown> {
  readonly name: string;
  /** One line, shown by `trawl process --list` and the API's demo. */
  readonly description: string;
  readonly options: z.ZodType<O>;
  /**
   * The deadline of one run() when the chain step sets none, ms (e.g. notify, whose
   * retries outlast the chain's default). @default the chain's timeoutMs (30 s)
   */
  readonly defaultTimeoutMs?: number;
  setup?(options: O, services: PipelineServices): Promise<unknown> | unknown;
  run(item: Item, ctx: HandlerContext<O>): Promise<HandlerOutput> | HandlerOutput;
  close?(state: unknown): Promise<void> | void;
}
