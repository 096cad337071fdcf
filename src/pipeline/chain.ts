/**
 * The chain runner: handlers in order over one item, each seeing the previous one's
 * output. Every failure (a HandlerError, any other throw or rejection, a deadline passed)
 * is recorded in the result with its code and then, as the step's onError says, stops
 * the chain (the item stays as it was before that handler) or is skipped (the item goes
 * on unchanged). runItem never throws for a handler's sake.
 */
import { resolveSteps, PipelineConfigError } from './chain-steps.js';
import type { HandlerLookup, OnError, ResolvedStep, StepSpec } from './chain-steps.js';
import {
  isHandlerError,
  type HandlerFailure,
  type HandlerLogEntry,
  type Item,
  type LogLevel,
  type PipelineServices,
} from './handler.js';

export { PipelineConfigError, resolveSteps };
export type { HandlerLookup, OnError, ResolvedStep, StepSpec };

/** @default 30 s: long enough for a webhook with retries, short enough not to stall a crawl. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

export type StageStatus = 'ok' | 'dropped' | 'failed';

/** One handler's turn, as the result lists it. */
export interface StageRecord {
  handler: string;
  status: StageStatus;
  /** A copy of the item after this handler; null when it failed or dropped the item. */
  output: Item | null;
  ms: number;
}

/** What runItem returns (S5's result shape). */
export interface ChainResult {
  /** True when no handler failed (a drop is not a failure). */
  ok: boolean;
  /** The final output, the item before the failing handler (stop), or null when dropped. */
  item: Item | null;
  dropped?: { by: string; reason: string };
  /** Set when a failure stopped the chain: the handler that failed. */
  stoppedBy?: string;
  /** Handlers that ran (failed ones included), in order. */
  handlersExecuted: string[];
  logs: HandlerLogEntry[];
  errors: HandlerFailure[];
  /** Handlers' warn-level log messages and skipped failures, as "<handler>: <text>". */
  warnings: string[];
  /** Present unless the chain was built with `stages: false`. */
  stages?: StageRecord[];
  processingMs: number;
}

/** How a chain runs. */
export interface ChainOptions {
  /** @default 'stop' */
  onError?: OnError;
  /** Deadline of one handler's run() when neither the step nor the handler sets one, ms. */
  timeoutMs?: number;
  /** Record each stage's output (a deep copy per stage). The crawl turns it off. @default true */
  stages?: boolean;
  services?: PipelineServices;
  jobId?: string | null;
  /** Resolves handler names in steps. @default none (steps must carry Handler objects) */
  registry?: HandlerLookup;
  /** Called after every stage, e.g. to count and time them in metrics. Must not throw. */
  onStage?: (event: { handler: string; status: StageStatus; ms: number; code?: string }) => void;
}

type Outcome =
  | { kind: 'ok'; item: Item }
  | { kind: 'drop'; reason: string }
  | { kind: 'failed'; failure: HandlerFailure };

interface OpenStep extends ResolvedStep {
  state: unknown;
  onErrorFinal: OnError;
  deadlineMs: number;
}

/** Thrown by a step's deadline timer; never leaves the runner. */
class Deadline {
  constructor(readonly code: 'handler_timeout' | 'chain_closed') {}
}

function isPlainObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function toFailure(handler: string, err: unknown): HandlerFailure {
  if (isHandlerError(err)) {
    const f: HandlerFailure = { handler, code: err.code, message: err.message };
    if (err.details !== undefined) f.details = err.details;
    return f;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const details: Record<string, unknown> = { errorName: e.name };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') details.errorCode = code;
  return { handler, code: 'handler_failed', message: e.message || String(err), details };
}

function snapshot(item: Item): Item | null {
  try {
    return structuredClone(item);
  } catch {
    return null; // not plain data (a handler put a function in it); the stage shows null
  }
}

/** A built chain. Create with buildChain(); close() when done. */
export class Chain {
  private closed = false;
  private readonly inFlight = new Set<AbortController>();

  private constructor(
    private readonly steps: readonly OpenStep[],
    private readonly options: ChainOptions,
  ) {}

  /** Names of the handlers, in order. */
  get handlerNames(): string[] {
    return this.steps.map((s) => s.handler.name);
  }

  /** @internal use buildChain() */
  static async open(steps: readonly ResolvedStep[], options: ChainOptions): Promise<Chain> {
    const open: OpenStep[] = [];
    const chainTimeout = options.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    try {
      for (const step of steps) {
        const state = await step.handler.setup?.(step.options, options.services ?? {});
        open.push({
          ...step,
          state,
          onErrorFinal: step.onError ?? options.onError ?? 'stop',
          deadlineMs: step.timeoutMs ?? step.handler.defaultTimeoutMs ?? chainTimeout,
        });
      }
    } catch (err) {
      await new Chain(open, options).close().catch(() => undefined);
      const step = steps[open.length]!;
      throw new PipelineConfigError(
        `steps[${step.index}] (${step.handler.name}): setup failed: ${(err as Error).message}`,
        undefined,
        { cause: err },
      );
    }
    return new Chain(open, options);
  }

  /** Runs every handler over `input`. Throws only when the chain is already closed. */
  async runItem(input: Item): Promise<ChainResult> {
    if (this.closed) throw new Error('runItem() after close()');
    const started = performance.now();
    const result: ChainResult = {
      ok: true,
      item: input,
      handlersExecuted: [],
      logs: [],
      errors: [],
      warnings: [],
      processingMs: 0,
    };
    const stages: StageRecord[] | undefined = this.options.stages === false ? undefined : [];
    if (stages !== undefined) result.stages = stages;
    let item = input;
    for (const step of this.steps) {
      const name = step.handler.name;
      if (this.closed) {
        // close() ran while this item was between handlers: their resources are gone.
        const message = `the chain was closed before ${name} ran`;
        result.errors.push({ handler: name, code: 'chain_closed', message });
        result.stoppedBy = name;
        break;
      }
      result.handlersExecuted.push(name);
      const t0 = performance.now();
      const outcome = await this.runStep(step, item, result);
      const ms = performance.now() - t0;
      const status: StageStatus =
        outcome.kind === 'ok' ? 'ok' : outcome.kind === 'drop' ? 'dropped' : 'failed';
      stages?.push({
        handler: name,
        status,
        output: outcome.kind === 'ok' ? snapshot(outcome.item) : null,
        ms,
      });
      this.options.onStage?.({
        handler: name,
        status,
        ms,
        ...(outcome.kind === 'failed' ? { code: outcome.failure.code } : {}),
      });
      if (outcome.kind === 'ok') {
        item = outcome.item;
        continue;
      }
      if (outcome.kind === 'drop') {
        result.dropped = { by: name, reason: outcome.reason };
        result.logs.push({
          at: Date.now(),
          level: 'info',
          handler: name,
          message: `dropped: ${outcome.reason}`,
        });
        item = null as unknown as Item; // the loop ends here; result.item is set below
        break;
      }
      const f = outcome.failure;
      result.errors.push(f);
      result.logs.push({
        at: Date.now(),
        level: 'error',
        handler: name,
        message: `${f.code}: ${f.message}`,
      });
      if (step.onErrorFinal === 'stop') {
        result.stoppedBy = name;
        break;
      }
      result.warnings.push(`${name}: failed (${f.code}); skipped, the item goes on unchanged`);
    }
    result.item = result.dropped === undefined ? item : null;
    result.ok = result.errors.length === 0;
    result.processingMs = performance.now() - started;
    return result;
  }

  private async runStep(step: OpenStep, item: Item, result: ChainResult): Promise<Outcome> {
    const name = step.handler.name;
    const controller = new AbortController();
    let done = false;
    const ctx = {
      options: step.options,
      state: step.state,
      signal: controller.signal,
      jobId: this.options.jobId ?? null,
      services: this.options.services ?? {},
      priorErrors: result.errors,
      log: (level: LogLevel, message: string, data?: Record<string, unknown>): void => {
        // A handler past its deadline may still log: its run is over for the result.
        if (done) return;
        const entry: HandlerLogEntry = { at: Date.now(), level, handler: name, message };
        if (data !== undefined) entry.data = data;
        result.logs.push(entry);
        if (level === 'warn') result.warnings.push(`${name}: ${message}`);
      },
    };
    try {
      let out = step.handler.run(item, ctx);
      if (isThenable(out)) out = await this.withDeadline(out, controller, step.deadlineMs);
      return this.interpret(name, out);
    } catch (err) {
      if (err instanceof Deadline) {
        const message =
          err.code === 'handler_timeout'
            ? `${name} did not finish within ${step.deadlineMs} ms`
            : `the chain was closed while ${name} ran`;
        return {
          kind: 'failed',
          failure: {
            handler: name,
            code: err.code,
            message,
            details: { timeoutMs: step.deadlineMs },
          },
        };
      }
      return { kind: 'failed', failure: toFailure(name, err) };
    } finally {
      done = true;
    }
  }

  private interpret(name: string, out: unknown): Outcome {
    if (!isPlainObject(out)) {
      const what = out === null ? 'null' : Array.isArray(out) ? 'an array' : typeof out;
      return {
        kind: 'failed',
        failure: {
          handler: name,
          code: 'handler_bad_output',
          message: `${name} returned ${what}; expected an item object or {drop: true, reason}`,
        },
      };
    }
    if (out.drop === true && typeof out.reason === 'string')
      return { kind: 'drop', reason: out.reason };
    return { kind: 'ok', item: out };
  }

  private withDeadline<T>(
    work: PromiseLike<T>,
    controller: AbortController,
    ms: number,
  ): Promise<T> {
    this.inFlight.add(controller);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new Deadline('chain_closed'));
      const timer = setTimeout(() => {
        reject(new Deadline('handler_timeout'));
        controller.abort(new Error(`deadline of ${ms} ms passed`));
      }, ms);
      controller.signal.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', onAbort);
        this.inFlight.delete(controller);
      };
      work.then(
        (v) => {
          settle();
          resolve(v);
        },
        (e: unknown) => {
          settle();
          reject(e);
        },
      );
    });
  }

  /**
   * Aborts handlers still running (their items fail with `chain_closed`) and closes every
   * handler, last first. @throws AggregateError naming the handlers whose close failed
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.inFlight) c.abort(new Error('chain closed'));
    const failures: Error[] = [];
    for (const step of [...this.steps].reverse()) {
      try {
        await step.handler.close?.(step.state);
      } catch (err) {
        failures.push(
          new Error(`${step.handler.name}: close failed: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
    }
  }
}

/**
 * Validates every step's options (throws PipelineConfigError naming the step, handler and
 * field path), then runs each handler's setup.
 */
export async function buildChain(
  steps: readonly StepSpec[],
  options: ChainOptions = {},
): Promise<Chain> {
  return Chain.open(resolveSteps(steps, options.registry), options);
}

/** Opens a chain from steps already resolved (e.g. by loadPipeline), running each setup. */
export function openChain(
  steps: readonly ResolvedStep[],
  options: ChainOptions = {},
): Promise<Chain> {
  return Chain.open(steps, options);
}
