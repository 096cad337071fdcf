/**
 * The pipeline file (`--pipeline pipeline.yaml`, YAML or JSON) and the same shape as a
 * job-spec field: which chain runs, user handler modules, the extraction settings (parsed
 * here, built by src/extract) and minQuality. Every error is one line naming the source
 * and the bad field, e.g. `pipeline.yaml: steps.2.options.fields: expected array`.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import {
  PipelineConfigError,
  resolveSteps,
  type OnError,
  type ResolvedStep,
  type StepSpec,
} from './chain-steps.js';
import { predefinedSteps, dynamicSteps } from './chains.js';
import { formatIssues, issuesOf } from './fields/issues.js';
import { loadHandlerModules } from './plugin-loader.js';
import { createRegistry, type HandlerRegistry } from './registry.js';

const onError = z.enum(['stop', 'skip']);

const stepSchema = z
  .strictObject({
    handler: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    options: z.unknown().optional(),
    onError: onError.optional(),
    timeoutMs: z.number().int().min(1).optional(),
  })
  .refine((s) => (s.handler === undefined) !== (s.name === undefined), {
    message: 'name the handler with "handler" (or "name"), exactly one of them',
    path: ['handler'],
  });

/** The extraction settings, validated here and passed through to src/extract. */
export const extractSchema = z.strictObject({
  formats: z.array(z.enum(['markdown', 'metadata', 'structured', 'links', 'text'])).optional(),
  onlyMainContent: z.boolean().optional(),
  includeSelectors: z.array(z.string().min(1)).optional(),
  excludeSelectors: z.array(z.string().min(1)).optional(),
  images: z.boolean().optional(),
  /** Site adapters (src/extract/adapters), validated when the job starts. */
  adapters: z.array(z.looseObject({})).optional(),
});
export type ExtractSettings = z.infer<typeof extractSchema>;

/** The file's shape. */
export const pipelineSpecSchema = z
  .strictObject({
    /** A predefined chain (chains.ts). */
    chain: z.string().min(1).optional(),
    /** Or a dynamic chain. */
    steps: z.array(stepSchema).min(1).optional(),
    /** Options of a predefined chain's stages, by handler name. */
    options: z.record(z.string(), z.unknown()).optional(),
    onError: onError.optional(),
    /** Default deadline of one handler run, ms. */
    timeoutMs: z.number().int().min(1).optional(),
    /** User handler modules, relative to the file. */
    handlers: z.array(z.string().min(1)).default([]),
    extract: extractSchema.optional(),
    /** Drop items whose quality is below this (sets or adds a score step). */
    minQuality: z.number().min(0).max(1).optional(),
  })
  .refine((s) => s.chain === undefined || s.steps === undefined, {
    message: 'give either chain (a predefined chain) or steps, not both',
    path: ['steps'],
  })
  .refine((s) => s.options === undefined || s.steps === undefined, {
    message: 'options configure a predefined chain; with steps, put options in each step',
    path: ['options'],
  });
export type PipelineSpec = z.infer<typeof pipelineSpecSchema>;

/** Validates raw data as a pipeline spec. @param source names it in errors ("pipeline.yaml") */
export function parsePipelineSpec(raw: unknown, source: string): PipelineSpec {
  const parsed = pipelineSpecSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new UsageError(formatIssues(source, issuesOf(parsed.error)));
  return parsed.data;
}

/** A pipeline ready to open as a chain (see openChain in chain.ts). */
export interface LoadedPipeline {
  /** Where it came from, for messages: the file name, or e.g. "--chain standard". */
  source: string;
  registry: HandlerRegistry;
  steps: ResolvedStep[];
  onError: OnError | undefined;
  timeoutMs: number | undefined;
  extract: ExtractSettings | undefined;
  /** E.g. a predefined chain's stage this build does not have. */
  warnings: string[];
}

/** What to load: a file, a chain name, or both (the name then replaces the file's chain). */
export interface PipelineRequest {
  file?: string;
  chain?: string;
  /** Used when neither the file nor `chain` says. @default 'standard' */
  defaultChain?: string;
}

async function readSpecFile(file: string): Promise<PipelineSpec> {
  const source = basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read pipeline file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(
      `${source}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  return parsePipelineSpec(raw, source);
}

/**
 * Reads and checks a pipeline file for a crawl job's spec: its user handler paths made
 * absolute, so any process of the job (on a machine with the same files) finds them.
 * @throws UsageError naming the file and the bad field
 */
export async function readPipelineFile(file: string): Promise<PipelineSpec> {
  const spec = await readSpecFile(file);
  const baseDir = dirname(resolve(file));
  return { ...spec, handlers: spec.handlers.map((h) => resolve(baseDir, h)) };
}

/** Adds minQuality to score steps, or a score step before export (or last). */
function withMinQuality(steps: StepSpec[], minQuality: number | undefined): StepSpec[] {
  if (minQuality === undefined) return steps;
  const isScore = (s: StepSpec): boolean =>
    (typeof s.handler === 'string' ? s.handler : s.handler.name) === 'score';
  if (steps.some(isScore)) {
    return steps.map((s) =>
      isScore(s) ? { ...s, options: { ...(s.options as object), minQuality } } : s,
    );
  }
  const at = steps.findIndex(
    (s) => (typeof s.handler === 'string' ? s.handler : s.handler.name) === 'export',
  );
  const score: StepSpec = { handler: 'score', options: { minQuality } };
  return at < 0 ? [...steps, score] : [...steps.slice(0, at), score, ...steps.slice(at)];
}

/**
 * Reads the file (if any), loads its user handlers, builds the step list and parses every
 * step's options. @throws UsageError with one line naming the source and field
 */
export async function loadPipeline(request: PipelineRequest): Promise<LoadedPipeline> {
  const spec =
    request.file === undefined
      ? parsePipelineSpec({}, 'pipeline')
      : await readSpecFile(request.file);
  const loaded = await loadPipelineSpec(spec, {
    source: request.file === undefined ? 'pipeline' : basename(request.file),
    baseDir: request.file === undefined ? process.cwd() : dirname(resolve(request.file)),
    chain: request.chain,
    defaultChain: request.defaultChain,
  });
  if (request.file === undefined) loaded.source = `--chain ${request.chain ?? ''}`.trim();
  return loaded;
}

/** Where a pipeline spec came from, for loadPipelineSpec. */
export interface SpecOrigin {
  /** Names the spec in errors: a file name, or e.g. "job spec pipeline". */
  source: string;
  /** User handler modules resolve against it. */
  baseDir: string;
  /** A predefined chain that replaces the spec's. */
  chain?: string | undefined;
  /** @default 'standard' */
  defaultChain?: string | undefined;
}

/**
 * loadPipeline for a spec already in hand (a crawl job's `pipeline` field): loads its
 * user handlers, builds the steps, parses every step's options.
 * @throws UsageError with one line naming the source and field
 */
export async function loadPipelineSpec(
  spec: PipelineSpec,
  origin: SpecOrigin,
): Promise<LoadedPipeline> {
  const request = { chain: origin.chain, defaultChain: origin.defaultChain };
  const source = origin.source;
  if (request.chain !== undefined && spec.steps !== undefined) {
    throw new UsageError(
      `${source} lists steps; --chain ${request.chain} cannot replace them (drop one of the two)`,
    );
  }
  const plugins = await loadHandlerModules(spec.handlers, origin.baseDir, `${source}: handlers`);
  const registry = createRegistry(plugins);
  const warnings: string[] = [];
  let steps: StepSpec[];
  const chainName =
    request.chain ??
    spec.chain ??
    (spec.steps === undefined ? (request.defaultChain ?? 'standard') : undefined);
  if (chainName !== undefined) {
    const unknown = Object.keys(spec.options ?? {}).filter((k) => !registry.has(k));
    if (unknown.length > 0)
      throw new UsageError(`${source}: options.${unknown[0]}: no handler of that name`);
    const pre = predefinedSteps(chainName, registry, spec.options);
    for (const m of pre.missing)
      warnings.push(
        `chain ${chainName}: handler "${m}" is not in this build; that stage is skipped`,
      );
    steps = pre.steps;
  } else {
    steps = dynamicSteps(spec.steps!.map((s) => ({ ...s, name: (s.handler ?? s.name)! })));
  }
  steps = withMinQuality(steps, spec.minQuality);
  let resolved: ResolvedStep[];
  try {
    resolved = resolveSteps(steps, registry);
  } catch (err) {
    if (!(err instanceof PipelineConfigError) || err.issue === undefined) throw err;
    const { stepIndex, handler, path, message } = err.issue;
    const where =
      chainName !== undefined
        ? `options.${handler}${path.replace(/^options/, '')}`
        : `steps.${stepIndex}.${path}`;
    throw new PipelineConfigError(
      `${source}: ${where}: ${message} (handler ${handler})`,
      err.issue,
      { cause: err },
    );
  }
  return {
    source,
    registry,
    steps: resolved,
    onError: spec.onError,
    timeoutMs: spec.timeoutMs,
    extract: spec.extract,
    warnings,
  };
}
