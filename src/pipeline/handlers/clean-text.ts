/**
 * `clean` (S2's cleaner): normalises the text fields of an item (see clean/clean-string.ts
 * for the steps). By default every string field, nested ones included, except fields
 * whose text is structure rather than prose: URLs and `markdown` (its code blocks may
 * legitimately hold `<tags>`, and the extractor already dropped boilerplate from it).
 */
import { z } from 'zod';
import { getPath, setPath } from '../fields/field-path.js';
import type { Handler, Item } from '../handler.js';
import { cleanString, type CleanSteps } from '../clean/clean-string.js';

const isRegex = (s: string): boolean => {
  try {
    new RegExp(s, 'iu');
    return true;
  } catch {
    return false;
  }
};

/** clean's options. */
export const cleanOptions = z.strictObject({
  /** Field paths to clean. @default every string field except `exclude` */
  fields: z.array(z.string().min(1)).optional(),
  /** Top-level or nested keys never cleaned when `fields` is not given. */
  exclude: z
    .array(z.string().min(1))
    .default([
      'url',
      'finalUrl',
      'canonical',
      'markdown',
      'html',
      'body',
      'rawHtml',
      'duplicateOf',
    ]),
  html: z.boolean().default(true),
  invisible: z.boolean().default(true),
  unicode: z.union([z.enum(['NFC', 'NFKC']), z.literal(false)]).default('NFC'),
  boilerplate: z.boolean().default(true),
  /** More boilerplate lines, as regular expressions matched case-insensitively. */
  extraBoilerplate: z
    .array(z.string().refine(isRegex, 'not a valid regular expression'))
    .default([]),
  preserveNewlines: z.boolean().default(true),
});
export type CleanOptions = z.infer<typeof cleanOptions>;

interface State {
  steps: CleanSteps;
}

/** Walks every string below `value` (arrays and objects), skipping excluded keys. */
function cleanDeep(
  value: unknown,
  steps: CleanSteps,
  exclude: Set<string>,
  counts: { fields: number; lines: number },
): unknown {
  if (typeof value === 'string') {
    const { text, removedLines } = cleanString(value, steps);
    if (text !== value) counts.fields++;
    counts.lines += removedLines;
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => cleanDeep(v, steps, exclude, counts));
  if (typeof value === 'object' && value !== null) {
    const out: Item = {};
    for (const [k, v] of Object.entries(value))
      out[k] = exclude.has(k) ? v : cleanDeep(v, steps, exclude, counts);
    return out;
  }
  return value;
}

/** The `clean` handler. */
export const cleanHandler: Handler<CleanOptions> = {
  name: 'clean',
  description:
    'normalises text: HTML left in text, entities, invisible characters, boilerplate lines, whitespace',
  options: cleanOptions,
  setup(options): State {
    return {
      steps: {
        html: options.html,
        invisible: options.invisible,
        unicode: options.unicode,
        boilerplate: options.boilerplate,
        extraBoilerplate: options.extraBoilerplate.map((s) => new RegExp(s, 'iu')),
        preserveNewlines: options.preserveNewlines,
      },
    };
  },
  run(item, ctx) {
    const { steps } = ctx.state as State;
    const counts = { fields: 0, lines: 0 };
    let out: Item;
    if (ctx.options.fields === undefined) {
      out = cleanDeep(item, steps, new Set(ctx.options.exclude), counts) as Item;
    } else {
      out = item;
      for (const field of ctx.options.fields) {
        const v = getPath(out, field);
        if (v !== undefined && v !== null)
          out = setPath(out, field, cleanDeep(v, steps, new Set(), counts));
      }
    }
    if (counts.lines > 0) {
      ctx.log('info', `removed ${counts.lines} boilerplate line${counts.lines === 1 ? '' : 's'}`, {
        fieldsChanged: counts.fields,
      });
    }
    return out;
  },
};
