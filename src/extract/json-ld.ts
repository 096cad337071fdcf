/**
 * JSON-LD blocks: parsed leniently (HTML comments, CDATA wrappers, trailing commas and
 * raw control characters in strings are common on real sites), `@graph` flattened.
 */

/** The items of every block, in order, and how many blocks could not be parsed. */
export interface JsonLdResult {
  items: Record<string, unknown>[];
  errors: number;
}

/** Blocks above this size are skipped as errors: no real page needs more. */
const MAX_BLOCK_CHARS = 2_000_000;

/** Parses the texts of `<script type="application/ld+json">` blocks. */
export function parseJsonLd(blocks: readonly string[]): JsonLdResult {
  const items: Record<string, unknown>[] = [];
  let errors = 0;
  for (const raw of blocks) {
    if (raw.trim() === '') continue;
    const value = raw.length > MAX_BLOCK_CHARS ? undefined : parseLenient(raw);
    if (value === undefined) {
      errors++;
      continue;
    }
    flatten(value, items);
  }
  return { items, errors };
}

function parseLenient(raw: string): unknown {
  let text = raw
    .trim()
    .replace(/^(?:<!--|<!\[CDATA\[|\/\/\s*<!\[CDATA\[)\s*/, '')
    .replace(/\s*(?:-->|\]\]>|\/\/\s*\]\]>)$/, '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Second chance: raw newlines/tabs inside strings and trailing commas.
    text = text.replace(/[\n\r\t\f\v]+/g, ' ').replace(/,\s*([}\]])/g, '$1');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
}

/** Top-level arrays and `@graph` members become items of their own; context is kept. */
function flatten(value: unknown, out: Record<string, unknown>[]): void {
  const queue: { value: unknown; context: unknown }[] = [{ value, context: undefined }];
  while (queue.length > 0 && out.length < 10_000) {
    const { value: v, context } = queue.shift() as { value: unknown; context: unknown };
    if (Array.isArray(v)) {
      for (const x of v) queue.push({ value: x, context });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const obj = v as Record<string, unknown>;
    const ctx = obj['@context'] ?? context;
    const graph = obj['@graph'];
    if (graph !== undefined) {
      for (const x of Array.isArray(graph) ? graph : [graph])
        queue.push({ value: x, context: ctx });
      const rest = Object.keys(obj).filter((k) => k !== '@graph' && k !== '@context');
      if (rest.length === 0) continue;
      const { '@graph': _g, ...others } = obj;
      out.push(others);
      continue;
    }
    out.push(
      ctx !== undefined && obj['@context'] === undefined ? { '@context': ctx, ...obj } : obj,
    );
  }
}

/** Whether a JSON-LD item's `@type` is or includes `type` (compared without a schema.org prefix). */
export function hasType(item: Record<string, unknown>, type: string): boolean {
  const t = item['@type'];
  const list = Array.isArray(t) ? t : [t];
  return list.some(
    (x) => typeof x === 'string' && x.replace(/^https?:\/\/schema\.org\//, '') === type,
  );
}
