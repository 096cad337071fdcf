/**
 * CSS selectors of extraction options and adapters, compiled once per process and
 * cached: a crawl applies the same few selectors to every page.
 */
import { compile, selectAll, selectOne } from 'css-select';
import type { AnyNode, Element } from 'domhandler';

type Query = (el: Element) => boolean;

const cache = new Map<string, Query>();

/** A selector that does not parse; `message` names it and where it came from. */
export class SelectorError extends Error {
  readonly code = 'invalid_selector';
  constructor(
    readonly selector: string,
    where: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid CSS selector ${JSON.stringify(selector)} in ${where}`, options);
    this.name = 'SelectorError';
  }
}

/** The compiled query; throws SelectorError naming `where` (e.g. "excludeSelectors[1]"). */
export function compileSelector(selector: string, where: string): Query {
  let q = cache.get(selector);
  if (q !== undefined) return q;
  try {
    q = compile<AnyNode, Element>(selector) as Query;
  } catch (cause) {
    throw new SelectorError(selector, where, { cause });
  }
  // Bounded: selectors come from job configuration, but a caller could vary them per page.
  if (cache.size < 1000) cache.set(selector, q);
  return q;
}

/** Every element under `root` matched by any of `selectors`, in document order, no repeats. */
export function selectEach(selectors: readonly string[], root: AnyNode, where: string): Element[] {
  if (selectors.length === 1) {
    return selectAll<AnyNode, Element>(
      compileSelector(selectors[0] as string, `${where}[0]`),
      root,
    );
  }
  const queries = selectors.map((s, i) => compileSelector(s, `${where}[${i}]`));
  return selectAll<AnyNode, Element>((el) => queries.some((q) => q(el)), root);
}

/** The first element under `root` matched by `selector`, or null. */
export function selectFirst(selector: string, root: AnyNode, where: string): Element | null {
  return selectOne<AnyNode, Element>(compileSelector(selector, where), root);
}
