/**
 * User handlers from ES modules (`handlers: [./my-handler.js]` in a pipeline file). A
 * module default-exports a Handler or an array of them; we check the shape here so a
 * mistake is reported at load time, naming the file, not as a crash on the first item.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../core/errors.js';
import type { Handler } from './handler.js';

const NAME = /^[A-Za-z][\w-]{0,63}$/;

/** What is wrong with `value` as a handler, or undefined when it is one. */
export function handlerShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null)
    return `expected a handler object, got ${value === null ? 'null' : typeof value}`;
  const h = value as Record<string, unknown>;
  if (typeof h.name !== 'string' || !NAME.test(h.name)) {
    return 'name must be a string of letters, digits, "_" or "-" starting with a letter';
  }
  if (typeof h.run !== 'function') return `handler "${h.name}": run(item, ctx) must be a function`;
  const schema = h.options as { safeParse?: unknown } | null | undefined;
  if (typeof schema !== 'object' || schema === null || typeof schema.safeParse !== 'function') {
    return `handler "${h.name}": options must be a schema with safeParse() (e.g. a zod schema)`;
  }
  if (h.description !== undefined && typeof h.description !== 'string')
    return `handler "${h.name}": description must be a string`;
  for (const hook of ['setup', 'close'] as const) {
    if (h[hook] !== undefined && typeof h[hook] !== 'function')
      return `handler "${h.name}": ${hook} must be a function`;
  }
  return undefined;
}

/**
 * Imports each module (paths relative to `baseDir`) and returns their handlers in order.
 * @param where prefix of error messages, e.g. "pipeline.yaml: handlers"
 * @throws UsageError naming the file and the problem
 */
export async function loadHandlerModules(
  paths: readonly string[],
  baseDir: string,
  where: string,
): Promise<Handler[]> {
  const handlers: Handler[] = [];
  for (const [i, p] of paths.entries()) {
    const file = isAbsolute(p) ? p : resolve(baseDir, p);
    const prefix = `${where}.${i} (${p})`;
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (err) {
      throw new UsageError(`${prefix}: cannot load ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (mod.default === undefined)
      throw new UsageError(
        `${prefix}: the module has no default export (export default a handler or an array of handlers)`,
      );
    const list = Array.isArray(mod.default) ? (mod.default as unknown[]) : [mod.default];
    if (list.length === 0) throw new UsageError(`${prefix}: the default export is an empty array`);
    for (const [j, h] of list.entries()) {
      const problem = handlerShapeProblem(h);
      if (problem !== undefined) {
        throw new UsageError(
          `${prefix}: ${Array.isArray(mod.default) ? `default[${j}]: ` : ''}${problem}`,
        );
      }
      handlers.push(h as Handler);
    }
  }
  return handlers;
}
