/**
 * From a list of steps as users write them (`{handler, options, onError?, timeoutMs?}`)
 * to steps a chain runs: handlers looked up by name, options parsed by each handler's
 * schema now, so a bad option is reported before the first item, naming the step.
 */
import { UsageError } from '../core/errors.js';
import { issuesOf, issuePath } from './fields/issues.js';
import type { Handler } from './handler.js';

/** What a chain does after a handler fails: stop there, or go on with the item unchanged. */
export type OnError = 'stop' | 'skip';

/** Handlers by name (see registry.ts). */
export type HandlerLookup = ReadonlyMap<string, Handler>;

/** One step as written: a handler (or its registered name) and its raw options. */
export interface StepSpec {
  handler: Handler | string;
  options?: unknown;
  /** Overrides the chain's onError for this step. */
  onError?: OnError;
  /** This step's deadline, ms. @default the handler's defaultTimeoutMs, else the chain's */
  timeoutMs?: number;
}

/** A step ready to run: options parsed. */
export interface ResolvedStep {
  index: number;
  handler: Handler;
  options: unknown;
  onError: OnError | undefined;
  timeoutMs: number | undefined;
}

/** Where a step's option was wrong, kept structured so each caller can word it. */
export interface StepIssue {
  stepIndex: number;
  handler: string;
  /** Path inside the step, e.g. `options.fields.0.op`, or `handler`. */
  path: string;
  message: string;
}

/** A chain that cannot be built: the message names the step, handler and field path. */
export class PipelineConfigError extends UsageError {
  readonly issue: StepIssue | undefined;
  constructor(message: string, issue?: StepIssue, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineConfigError';
    this.issue = issue;
  }
}

/** `steps[1] (transform).options.fields.0.op: Invalid input` */
export function describeStepIssue(issue: StepIssue): string {
  return `steps[${issue.stepIndex}] (${issue.handler}).${issue.path}: ${issue.message}`;
}

function fail(issue: StepIssue): never {
  throw new PipelineConfigError(describeStepIssue(issue), issue);
}

/**
 * Looks up and parses every step. @throws PipelineConfigError on the first bad step
 */
export function resolveSteps(
  steps: readonly StepSpec[],
  registry: HandlerLookup = new Map(),
): ResolvedStep[] {
  return steps.map((step, index) => {
    const handler = typeof step.handler === 'string' ? registry.get(step.handler) : step.handler;
    if (handler === undefined) {
      const known = [...registry.keys()].sort().join(', ');
      return fail({
        stepIndex: index,
        handler: String(step.handler),
        path: 'handler',
        message: `unknown handler "${String(step.handler)}" (known: ${known || 'none'})`,
      });
    }
    const parsed = handler.options.safeParse(step.options ?? {});
    if (!parsed.success) {
      const issue = issuesOf(parsed.error)[0] ?? { path: [], message: 'invalid' };
      const sub = issuePath(issue.path);
      return fail({
        stepIndex: index,
        handler: handler.name,
        path: sub === '' ? 'options' : `options.${sub}`,
        message: issue.message,
      });
    }
    if (step.timeoutMs !== undefined && !(Number.isInteger(step.timeoutMs) && step.timeoutMs > 0)) {
      fail({
        stepIndex: index,
        handler: handler.name,
        path: 'timeoutMs',
        message: 'expected a whole number of ms above 0',
      });
    }
    return {
      index,
      handler,
      options: parsed.data,
      onError: step.onError,
      timeoutMs: step.timeoutMs,
    };
  });
}
