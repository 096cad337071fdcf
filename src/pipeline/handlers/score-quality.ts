/**
 * `score`: a `quality` score in [0, 1].
 *
 * Pages (the default): a weighted mean of the signals the item has, times two factors.
 *
 *   base    = Σ wᵢ·sᵢ / Σ wᵢ   over the signals present:
 *     length       0.40  s = min(1, characters of `text` (else `markdown`) / targetTextChars)
 *     boilerplate  0.20  s = 1 − extraction.boilerplateRatio   (only when that field exists)
 *     title        0.15  s = 1 when `title` is a non-empty string, else 0
 *     description  0.15  s = 1 when `metadata.description` is non-empty, else 0
 *     language     0.10  s = 1 when `metadata.language` (or `language`) is set, else 0
 *   status  = 1 when `status` is 2xx or absent, 0 otherwise (an error page has no content)
 *   dup     = 0.5 when `duplicateOf` is a non-null value, else 1
 *   quality = round(base × status × dup, 3)
 *
 * Generic records (`fields` given): completeness, the weighted share of the listed fields
 * that are non-empty (not null, "", [] or {}).
 *
 * With `minQuality`, items below it are dropped (the reason gives the score).
 */
import { z } from 'zod';
import { getPath, isEmptyValue, setPath } from '../fields/field-path.js';
import type { Handler, Item } from '../handler.js';
import { roundTo } from '../values/parse-number.js';

const weight = z.number().min(0);

/** score's options. */
export const scoreOptions = z.strictObject({
  /** Where the score goes. */
  field: z.string().min(1).default('quality'),
  /** Drop items scoring below this. */
  minQuality: z.number().min(0).max(1).optional(),
  /** Text length (characters) that earns the full length signal. */
  targetTextChars: z.number().int().min(1).default(1500),
  weights: z
    .strictObject({
      length: weight.default(0.4),
      boilerplate: weight.default(0.2),
      title: weight.default(0.15),
      description: weight.default(0.15),
      language: weight.default(0.1),
    })
    .prefault({}),
  /** Factor applied to duplicates (`duplicateOf` set). */
  duplicateFactor: z.number().min(0).max(1).default(0.5),
  /** Completeness mode: field paths, or paths with weights. */
  fields: z
    .union([z.array(z.string().min(1)).min(1), z.record(z.string().min(1), weight)])
    .optional(),
  /** Also write `<field>Signals` with each signal's value (for tuning). */
  explain: z.boolean().default(false),
});
export type ScoreOptions = z.infer<typeof scoreOptions>;

// toPrecision first: sums of weights such as 0.4 + 0.15 + … carry binary noise (0.43749…).
const round3 = (n: number): number => roundTo(Number(n.toPrecision(12)), 3);
const filled = (v: unknown): number => (isEmptyValue(v) ? 0 : 1);

/** The page formula above; `signals` lists each signal used and the factors. */
export function pageQuality(
  item: Item,
  o: ScoreOptions,
): { score: number; signals: Record<string, number> } {
  const text =
    typeof item.text === 'string'
      ? item.text
      : typeof item.markdown === 'string'
        ? item.markdown
        : '';
  const signals: Record<string, number> = {
    length: Math.min(1, text.trim().length / o.targetTextChars),
    title: filled(typeof item.title === 'string' ? item.title : null),
    description: filled(getPath(item, 'metadata.description')),
    language: filled(getPath(item, 'metadata.language') ?? item.language),
  };
  const ratio = getPath(item, 'extraction.boilerplateRatio');
  if (typeof ratio === 'number' && Number.isFinite(ratio))
    signals.boilerplate = 1 - Math.min(1, Math.max(0, ratio));
  let sum = 0;
  let total = 0;
  for (const [name, s] of Object.entries(signals)) {
    const w = o.weights[name as keyof ScoreOptions['weights']];
    sum += w * s;
    total += w;
  }
  const base = total === 0 ? 0 : sum / total;
  const status =
    typeof item.status === 'number' && (item.status < 200 || item.status > 299) ? 0 : 1;
  const dup = item.duplicateOf !== undefined && item.duplicateOf !== null ? o.duplicateFactor : 1;
  return { score: round3(base * status * dup), signals: { ...signals, status, duplicate: dup } };
}

/** Completeness over `fields`. */
export function completeness(item: Item, fields: NonNullable<ScoreOptions['fields']>): number {
  const entries = Array.isArray(fields)
    ? fields.map((f) => [f, 1] as const)
    : Object.entries(fields);
  let sum = 0;
  let total = 0;
  for (const [path, w] of entries) {
    sum += w * filled(getPath(item, path));
    total += w;
  }
  return total === 0 ? 0 : round3(sum / total);
}

/** The `score` handler. */
export const scoreHandler: Handler<ScoreOptions> = {
  name: 'score',
  description:
    'adds a quality score in [0,1] (page signals, or completeness of given fields); minQuality drops',
  options: scoreOptions,
  run(item, ctx) {
    const o = ctx.options;
    let score: number;
    let out = item;
    if (o.fields !== undefined) score = completeness(item, o.fields);
    else {
      const page = pageQuality(item, o);
      score = page.score;
      if (o.explain) out = setPath(out, `${o.field}Signals`, page.signals);
    }
    out = setPath(out, o.field, score);
    if (o.minQuality !== undefined && score < o.minQuality) {
      return {
        drop: true,
        reason: `quality ${score} is below minQuality ${o.minQuality}`,
        item: out,
      };
    }
    return out;
  },
};
