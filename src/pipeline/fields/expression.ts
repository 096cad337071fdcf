/**
 * Declarative conditions over an item, for validate's custom rules and notify's `when`.
 * Data, not code: users' strings are never evaluated. Two spellings:
 *
 * - objects: `{ field: 'age', op: 'gte', value: 18 }`, `{ field: 'end', op: 'gt', ref: 'start' }`,
 *   `{ all: [...] }`, `{ any: [...] }`, `{ not: {...} }`;
 * - a one-comparison string: `"age >= 18"`, `"status == 500"`, `"email exists"`,
 *   `"country in [\"FR\",\"DE\"]"`, `"name =~ ^A"`. The right side is read as JSON when it
 *   parses, otherwise as a bare string.
 */
import { z } from 'zod';
import type { Item } from '../handler.js';
import { getPath, isEmptyValue } from './field-path.js';

const COMPARE_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
const UNARY_OPS = ['exists', 'missing', 'empty', 'notEmpty'] as const;
const LIST_OPS = ['in', 'notIn'] as const;
const TEXT_OPS = ['contains', 'startsWith', 'endsWith', 'matches'] as const;

/** A condition, after parsing (strings turned into objects). */
export type Expr =
  | { all: Expr[] }
  | { any: Expr[] }
  | { not: Expr }
  | { field: string; op: (typeof UNARY_OPS)[number] }
  | { field: string; op: (typeof COMPARE_OPS)[number]; value?: unknown; ref?: string }
  | { field: string; op: (typeof LIST_OPS)[number]; value: unknown[] }
  | { field: string; op: (typeof TEXT_OPS)[number]; value: string; flags?: string };

const SYMBOLS: Record<string, string> = {
  '==': 'eq',
  '=': 'eq',
  '!=': 'ne',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
  '=~': 'matches',
  in: 'in',
  'not-in': 'notIn',
  contains: 'contains',
};

const STRING_FORM =
  /^\s*([A-Za-z_$][\w$.-]*)\s*(==|!=|>=|<=|=~|=|>|<|\bin\b|\bnot-in\b|\bcontains\b|\bexists\b|\bmissing\b|\bempty\b)\s*(.*)$/;

function literal(text: string): unknown {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    return t.length >= 2 && t.startsWith("'") && t.endsWith("'") ? t.slice(1, -1) : t;
  }
}

/** `"age >= 18"` -> `{field:'age', op:'gte', value:18}`; undefined when it does not parse. */
export function parseExpressionString(text: string): Expr | undefined {
  const m = STRING_FORM.exec(text);
  if (m === null) return undefined;
  const [, field, symbol, rest] = m as unknown as [string, string, string, string];
  if (symbol === 'exists' || symbol === 'missing' || symbol === 'empty') {
    return rest.trim() === '' ? { field, op: symbol } : undefined;
  }
  const op = SYMBOLS[symbol]!;
  const value = literal(rest);
  if (op === 'matches') return { field, op, value: rest.trim() };
  if (op === 'in' || op === 'notIn') {
    return Array.isArray(value) ? { field, op, value } : undefined;
  }
  if (op === 'contains') return { field, op, value: String(value) };
  return { field, op: op as (typeof COMPARE_OPS)[number], value };
}

const validRegex = (source: string, flags?: string): boolean => {
  try {
    new RegExp(source, flags);
    return true;
  } catch {
    return false;
  }
};

/** The zod schema of a condition (either spelling). */
export const expressionSchema: z.ZodType<Expr> = z.lazy(() =>
  z.union([
    z.string().transform((text, ctx) => {
      const parsed = parseExpressionString(text);
      if (parsed === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `cannot read condition "${text}" (expected e.g. "age >= 18", "email exists", "country in [\\"FR\\"]")`,
        });
        return z.NEVER;
      }
      return parsed;
    }),
    z.strictObject({ all: z.array(expressionSchema).min(1) }),
    z.strictObject({ any: z.array(expressionSchema).min(1) }),
    z.strictObject({ not: expressionSchema }),
    z.strictObject({ field: z.string().min(1), op: z.enum(UNARY_OPS) }),
    z
      .strictObject({
        field: z.string().min(1),
        op: z.enum(COMPARE_OPS),
        value: z.unknown().optional(),
        ref: z.string().min(1).optional(),
      })
      .refine((e) => (e.value === undefined) !== (e.ref === undefined), {
        message: 'give exactly one of value (a literal) or ref (another field)',
      }),
    z.strictObject({ field: z.string().min(1), op: z.enum(LIST_OPS), value: z.array(z.unknown()) }),
    z
      .strictObject({
        field: z.string().min(1),
        op: z.enum(TEXT_OPS),
        value: z.string(),
        flags: z
          .string()
          .regex(/^[imsu]*$/)
          .optional(),
      })
      .refine((e) => e.op !== 'matches' || validRegex(e.value, e.flags), {
        message: 'not a valid regular expression',
      }),
  ]),
) as z.ZodType<Expr>;

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

const regexCache = new Map<string, RegExp>();
function regex(source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    re = new RegExp(source, flags);
    if (regexCache.size < 1000) regexCache.set(key, re);
  }
  return re;
}

/** Evaluates a parsed condition against an item. Missing fields make comparisons false. */
export function evaluate(expr: Expr, item: Item): boolean {
  if ('all' in expr) return expr.all.every((e) => evaluate(e, item));
  if ('any' in expr) return expr.any.some((e) => evaluate(e, item));
  if ('not' in expr) return !evaluate(expr.not, item);
  const actual = getPath(item, expr.field);
  switch (expr.op) {
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'missing':
      return actual === undefined || actual === null;
    case 'empty':
      return isEmptyValue(actual);
    case 'notEmpty':
      return !isEmptyValue(actual);
    case 'in':
      return expr.value.some((v) => Object.is(v, actual));
    case 'notIn':
      return !expr.value.some((v) => Object.is(v, actual));
    case 'contains':
      if (Array.isArray(actual)) return actual.includes(expr.value);
      return typeof actual === 'string' && actual.includes(expr.value);
    case 'startsWith':
      return typeof actual === 'string' && actual.startsWith(expr.value);
    case 'endsWith':
      return typeof actual === 'string' && actual.endsWith(expr.value);
    case 'matches':
      return typeof actual === 'string' && regex(expr.value, expr.flags).test(actual);
    default: {
      const other = expr.ref !== undefined ? getPath(item, expr.ref) : expr.value;
      if (expr.op === 'eq') return JSON.stringify(actual) === JSON.stringify(other);
      if (expr.op === 'ne') return JSON.stringify(actual) !== JSON.stringify(other);
      const c = compare(actual, other);
      if (c === undefined) return false;
      return expr.op === 'gt'
        ? c > 0
        : expr.op === 'gte'
          ? c >= 0
          : expr.op === 'lt'
            ? c < 0
            : c <= 0;
    }
  }
}

/** A short human text of a condition, for error messages ("age gte 18"). */
export function describeExpression(expr: Expr): string {
  if ('all' in expr) return expr.all.map(describeExpression).join(' and ');
  if ('any' in expr) return `(${expr.any.map(describeExpression).join(' or ')})`;
  if ('not' in expr) return `not (${describeExpression(expr.not)})`;
  if (!('value' in expr) && !('ref' in expr)) return `${expr.field} ${expr.op}`;
  const right = 'ref' in expr && expr.ref !== undefined ? expr.ref : JSON.stringify(expr.value);
  return `${expr.field} ${expr.op} ${right}`;
}
