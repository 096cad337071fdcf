/**
 * Structured data of a page: every JSON-LD block (lenient parse, `@graph` flattened),
 * microdata items and RDFa-lite items, as plain JSON.
 */
import type { Element } from 'domhandler';
import type { PageIndex } from './dom/page-index.js';
import type { JsonLdResult } from './json-ld.js';
import type { UrlResolver } from './resolve-url.js';
import {
  MICRODATA,
  RDFA_LITE,
  extractItems,
  indexIds,
  rdfaRoots,
  type StructuredItem,
} from './structured-items.js';

export type { StructuredItem } from './structured-items.js';

/** What `structured` returns. */
export interface StructuredData {
  /** JSON-LD objects in document order; `@graph` members are items of their own. */
  jsonLd: Record<string, unknown>[];
  microdata: StructuredItem[];
  rdfa: StructuredItem[];
  /** JSON-LD blocks that did not parse even leniently (skipped). */
  jsonLdErrors: number;
}

/** Extracts the structured data of an indexed page. */
export function extractStructured(
  index: PageIndex,
  urls: UrlResolver,
  jsonLd: JsonLdResult,
): StructuredData {
  let ids: Map<string, Element> | null = null;
  const byId = (id: string): Element | undefined => {
    if (!index.hasItemref) return undefined;
    ids ??= indexIds(index.doc);
    return ids.get(id);
  };
  return {
    jsonLd: jsonLd.items,
    microdata: extractItems(index.itemRoots, MICRODATA, urls, byId),
    rdfa:
      index.rdfaTyped.length === 0
        ? []
        : extractItems(rdfaRoots(index.rdfaTyped), RDFA_LITE, urls, () => undefined),
    jsonLdErrors: jsonLd.errors,
  };
}
