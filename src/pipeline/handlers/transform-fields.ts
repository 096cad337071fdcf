/**
 * `transform`: per-field operations applied in the order listed (`fields`), then the
 * field mapping (`mapping`, renames), then `pick` and `omit`. An operation on a missing
 * field does nothing (except `default`); one that cannot convert a value (to-number on
 * "abc") fails the item with `transform_failed`, or as its `onInvalid` says.
 */
import { z } from 'zod';
import { deletePath, getPath, hasPath, setPath } from '../fields/field-path.js';
import { HandlerError, type Handler, type Item } from '../handler.js';
import { parseNumber, roundTo } from '../values/parse-number.js';
import { parseDate, toIsoString } from '../values/parse-date.js';

const target = {
  /** A field path, or several. */
  field: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** A value that cannot be converted: fail the item, keep it as it is, or set null. */
  onInvalid: z.enum(['fail', 'keep', 'null']).default('fail'),
};

const SIMPLE_OPS = ['strip', 'trim', 'collapse', 'title', 'upper', 'lower', 'to-integer'] as const;

const operation = z.discriminatedUnion('op', [
  z.strictObject({ ...target, op: z.enum(SIMPLE_OPS) }),
  z.strictObject({
    ...target,
    op: z.literal('to-number'),
    /** Decimal separator; `auto` reads "1,234.5" and "1.234,5" alike. */
    decimal: z.enum(['auto', '.', ',']).default('auto'),
  }),
  z.strictObject({
    ...target,
    op: z.literal('parse-date'),
    /** How 03/04/2024 reads when neither part is above 12. @default true (3 April) */
    dayFirst: z.boolean().default(true),
    /** `auto`: a day stays YYYY-MM-DD, a time becomes a full UTC ISO date-time. */
    output: z.enum(['auto', 'date', 'datetime']).default('auto'),
  }),
  z.strictObject({
    ...target,
    op: z.literal('round'),
    digits: z.number().int().min(0).max(15).default(0),
  }),
  z.strictObject({ ...target, op: z.literal('default'), value: z.unknown() }),
  z.strictObject({ ...target, op: z.literal('rename'), to: z.string().min(1) }),
]);
type Operation = z.infer<typeof operation>;

/** transform's options. */
export const transformOptions = z.strictObject({
  fields: z.array(operation).default([]),
  /** Renames applied after `fields`: `{ "old.path": "new.path" }`. */
  mapping: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** Keep only these top-level or nested paths (applied after mapping). */
  pick: z.array(z.string().min(1)).optional(),
  /** Remove these paths (applied last). */
  omit: z.array(z.string().min(1)).default([]),
});
export type TransformOptions = z.infer<typeof transformOptions>;

const WORD = /\p{L}[\p{L}\p{M}]*/gu;

function titleCase(s: string): string {
  return s.toLowerCase().replace(WORD, (w) => w.charAt(0).toUpperCase() + w.slice(1));
}

const INVALID = Symbol('invalid');

function applyOp(op: Operation, value: unknown): unknown {
  const str = (f: (s: string) => string): unknown =>
    typeof value === 'string' ? f(value) : INVALID;
  switch (op.op) {
    case 'strip':
    case 'trim':
      return str((s) => s.trim());
    case 'collapse':
      return str((s) => s.replace(/\s+/g, ' ').trim());
    case 'title':
      return str(titleCase);
    case 'upper':
      return str((s) => s.toUpperCase());
    case 'lower':
      return str((s) => s.toLowerCase());
    case 'to-number':
      return parseNumber(value, op.decimal) ?? INVALID;
    case 'to-integer': {
      const n = parseNumber(value);
      return n === undefined ? INVALID : Math.trunc(n);
    }
    case 'parse-date': {
      const d = parseDate(value, op.dayFirst);
      return d === undefined ? INVALID : toIsoString(d, op.output);
    }
    case 'round': {
      const n = typeof value === 'number' ? value : parseNumber(value);
      return n === undefined ? INVALID : roundTo(n, op.digits);
    }
    default:
      return value;
  }
}

interface Failure {
  field: string;
  op: string;
  value: unknown;
  message: string;
}

/** Applies the options to one item; returns the new item and the conversions that failed. */
export function transformItem(
  input: Item,
  options: TransformOptions,
): { item: Item; failures: Failure[] } {
  let item = input;
  const failures: Failure[] = [];
  for (const op of options.fields) {
    for (const field of typeof op.field === 'string' ? [op.field] : op.field) {
      if (op.op === 'default') {
        const v = getPath(item, field);
        if (v === undefined || v === null || v === '') item = setPath(item, field, op.value);
        continue;
      }
      if (!hasPath(item, field)) continue;
      if (op.op === 'rename') {
        item = setPath(deletePath(item, field), op.to, getPath(item, field));
        continue;
      }
      const value = getPath(item, field);
      if (value === null) continue; // nothing to convert; `default` fills nulls
      const out = applyOp(op, value);
      if (out !== INVALID) {
        item = setPath(item, field, out);
        continue;
      }
      if (op.onInvalid === 'null') item = setPath(item, field, null);
      else if (op.onInvalid === 'fail') {
        const preview = JSON.stringify(value)?.slice(0, 60);
        failures.push({ field, op: op.op, value, message: `${op.op} cannot convert ${preview}` });
      }
    }
  }
  for (const [from, to] of Object.entries(options.mapping)) {
    if (hasPath(item, from)) item = setPath(deletePath(item, from), to, getPath(item, from));
  }
  if (options.pick !== undefined) {
    let picked: Item = {};
    for (const p of options.pick)
      if (hasPath(item, p)) picked = setPath(picked, p, getPath(item, p));
    item = picked;
  }
  for (const p of options.omit) item = deletePath(item, p);
  return { item, failures };
}

/** The `transform` handler. */
export const transformHandler: Handler<TransformOptions> = {
  name: 'transform',
  description:
    'per-field strip/collapse/case/to-number/parse-date/round/default/rename, field mapping, pick/omit',
  options: transformOptions,
  run(item, ctx) {
    const { item: out, failures } = transformItem(item, ctx.options);
    if (failures.length > 0) {
      throw new HandlerError(
        'transform_failed',
        failures.map((f) => `${f.field}: ${f.message}`).join('; '),
        { failures },
      );
    }
    return out;
  },
};
