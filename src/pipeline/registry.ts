/**
 * The built-in handlers by name, and registries that add user handlers (plugins) to
 * them. A registry is a plain Map: chains resolve step names through it.
 */
import { UsageError } from '../core/errors.js';
import type { Handler } from './handler.js';
import { cleanHandler } from './handlers/clean-text.js';
import { dedupHandler } from './handlers/dedup-content.js';
import { enrichHandler } from './handlers/enrich-record.js';
import { exportHandler } from './handlers/export-records.js';
import { scoreHandler } from './handlers/score-quality.js';
import { notifyHandler } from './handlers/send-notifications.js';
import { transformHandler } from './handlers/transform-fields.js';
import { validateHandler } from './handlers/validate-record.js';

/** The built-in handlers, in the order `trawl process --list` shows them. */
export const BUILTIN_HANDLERS: readonly Handler[] = [
  validateHandler,
  transformHandler,
  cleanHandler,
  enrichHandler,
  dedupHandler,
  scoreHandler,
  exportHandler,
  notifyHandler,
] as Handler[];

/** Handlers by name. */
export type HandlerRegistry = Map<string, Handler>;

/**
 * The built-ins plus `extra` (user handlers). @throws UsageError when an extra handler's
 * name is taken: a plugin silently replacing `validate` would be a surprise.
 */
export function createRegistry(extra: readonly Handler[] = []): HandlerRegistry {
  const registry: HandlerRegistry = new Map(BUILTIN_HANDLERS.map((h) => [h.name, h]));
  for (const h of extra) {
    if (registry.has(h.name)) {
      throw new UsageError(
        `handler name "${h.name}" is already registered; give the plugin another name`,
      );
    }
    registry.set(h.name, h);
  }
  return registry;
}
