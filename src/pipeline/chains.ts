/**
 * Predefined chains (S5) and dynamic chains from a list of handler names with options.
 *
 * `standard` is the five S5 stages with defaults that run on any record without
 * configuration: validate has no rules (passes), transform no operations, enrich only
 * adds what its source fields allow, export writes nothing until given a destination,
 * and notify sends nothing until given targets. Configure a stage through `options`
 * (keyed by handler name) in the pipeline file.
 */
import { UsageError } from '../core/errors.js';
import type { StepSpec } from './chain-steps.js';
import type { HandlerRegistry } from './registry.js';

/** A predefined chain: its handler names in order. */
export interface ChainDefinition {
  name: string;
  description: string;
  handlers: readonly string[];
}

/** The predefined chains, by name. */
export const PREDEFINED_CHAINS: Readonly<Record<string, ChainDefinition>> = {
  validation_only: {
    name: 'validation_only',
    description: 'validate only',
    handlers: ['validate'],
  },
  transform_export: {
    name: 'transform_export',
    description: 'transform, then export',
    handlers: ['transform', 'export'],
  },
  enrich_notify: {
    name: 'enrich_notify',
    description: 'enrich, then notify',
    handlers: ['enrich', 'notify'],
  },
  standard: {
    name: 'standard',
    description: 'validate → transform → enrich → export → notify (the five S5 stages)',
    handlers: ['validate', 'transform', 'enrich', 'export', 'notify'],
  },
};

/** One entry of a dynamic chain: `{name, options}` (the API's `/chain/dynamic` body). */
export interface DynamicStep {
  name: string;
  options?: unknown;
  onError?: StepSpec['onError'];
  timeoutMs?: number;
}

/**
 * The steps of a predefined chain, with per-handler options. A handler the registry
 * does not have (export, until this build includes it) is left out, so the other stages
 * still run; `missing` lists what was left out for the caller to warn about.
 * @throws UsageError for an unknown chain name
 */
export function predefinedSteps(
  name: string,
  registry: HandlerRegistry,
  options: Readonly<Record<string, unknown>> = {},
): { steps: StepSpec[]; missing: string[] } {
  const def = PREDEFINED_CHAINS[name];
  if (def === undefined) {
    throw new UsageError(
      `unknown chain "${name}" (known: ${Object.keys(PREDEFINED_CHAINS).join(', ')})`,
    );
  }
  const missing = def.handlers.filter((h) => !registry.has(h));
  const steps = def.handlers
    .filter((h) => registry.has(h))
    .map((h): StepSpec => ({ handler: h, options: options[h] ?? {} }));
  return { steps, missing };
}

/** Steps from a dynamic list. Names are checked when the chain is built. */
export function dynamicSteps(list: readonly DynamicStep[]): StepSpec[] {
  return list.map((s) => {
    const step: StepSpec = { handler: s.name, options: s.options ?? {} };
    if (s.onError !== undefined) step.onError = s.onError;
    if (s.timeoutMs !== undefined) step.timeoutMs = s.timeoutMs;
    return step;
  });
}
