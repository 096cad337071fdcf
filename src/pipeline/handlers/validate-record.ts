/**
 * `validate`: required fields, types, min/max, regex patterns, enums and declarative
 * custom rules. Every failing field is listed in one `validation_failed` error, so a user
 * fixes a record in one go.
 */
import { z } from 'zod';
import { describeExpression, evaluate, expressionSchema } from '../fields/expression.js';
import { getPath } from '../fields/field-path.js';
import { HandlerError, type Handler, type Item } from '../handler.js';
import { isEmail, isHttpUrl, isPhone } from '../values/formats.js';
import { parseDate } from '../values/parse-date.js';

const TYPES = [
  'string',
  'number',
  'integer',
  'boolean',
  'array',
  'object',
  'email',
  'url',
  'phone',
  'date',
] as const;
type FieldType = (typeof TYPES)[number];

const isRegex = (source: string): boolean => {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
};

const fieldRule = z.strictObject({
  type: z.enum(TYPES).optional(),
  required: z.boolean().optional(),
  /** Numbers: the value; strings and arrays: the length. */
  min: z.number().optional(),
  max: z.number().optional(),
  pattern: z.string().refine(isRegex, 'not a valid regular expression').optional(),
  flags: z
    .string()
    .regex(/^[imsu]*$/)
    .optional(),
  enum: z.array(z.unknown()).min(1).optional(),
  /** Replaces the generated message for any failure of this field. */
  message: z.string().optional(),
});

const customRule = z.strictObject({
  name: z.string().min(1).optional(),
  /** The rule applies only to items matching this condition. */
  when: expressionSchema.optional(),
  assert: expressionSchema,
  message: z.string().optional(),
});

/** validate's options. */
export const validateOptions = z.strictObject({
  /** Field paths that must be present and non-null. */
  required: z.array(z.string().min(1)).default([]),
  /** Per-field rules, keyed by field path. */
  fields: z.record(z.string().min(1), fieldRule).default({}),
  rules: z.array(customRule).default([]),
  /** What an invalid item gets: a `validation_failed` error, dropped, or a warning. */
  onInvalid: z.enum(['fail', 'drop', 'warn']).default('fail'),
});
export type ValidateOptions = z.infer<typeof validateOptions>;

/** One failed check. */
export interface ValidationFailure {
  field: string;
  rule: string;
  message: string;
}

const TYPE_CHECKS: Record<FieldType, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  email: (v) => typeof v === 'string' && isEmail(v),
  url: (v) => typeof v === 'string' && isHttpUrl(v),
  phone: (v) => typeof v === 'string' && isPhone(v),
  date: (v) => typeof v === 'string' && parseDate(v) !== undefined,
};

function measure(value: unknown): { size: number; unit: string } | undefined {
  if (typeof value === 'number') return { size: value, unit: '' };
  if (typeof value === 'string') return { size: [...value].length, unit: ' characters' };
  if (Array.isArray(value)) return { size: value.length, unit: ' items' };
  return undefined;
}

function checkField(
  field: string,
  rule: z.infer<typeof fieldRule>,
  value: unknown,
): ValidationFailure[] {
  const out: ValidationFailure[] = [];
  const add = (name: string, message: string): void => {
    out.push({ field, rule: name, message: rule.message ?? message });
  };
  if (value === undefined || value === null) {
    if (rule.required === true) add('required', 'is required');
    return out;
  }
  if (rule.type !== undefined && !TYPE_CHECKS[rule.type](value)) {
    add(
      'type',
      `expected ${rule.type === 'integer' || rule.type === 'array' || rule.type === 'object' ? 'an' : 'a'} ${rule.type}, got ${JSON.stringify(value)?.slice(0, 60)}`,
    );
    return out; // the other checks would only repeat the type error
  }
  const m = measure(value);
  if (m !== undefined && rule.min !== undefined && m.size < rule.min)
    add('min', `must be at least ${rule.min}${m.unit}`);
  if (m !== undefined && rule.max !== undefined && m.size > rule.max)
    add('max', `must be at most ${rule.max}${m.unit}`);
  if (
    rule.pattern !== undefined &&
    !(typeof value === 'string' && new RegExp(rule.pattern, rule.flags).test(value))
  ) {
    add('pattern', `does not match /${rule.pattern}/${rule.flags ?? ''}`);
  }
  if (
    rule.enum !== undefined &&
    !rule.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))
  ) {
    add('enum', `must be one of ${rule.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  return out;
}

/** Every failure of `item` against `options` (empty when valid). */
export function validateItem(item: Item, options: ValidateOptions): ValidationFailure[] {
  const failures: ValidationFailure[] = [];
  for (const field of options.required) {
    const v = getPath(item, field);
    if (v === undefined || v === null)
      failures.push({ field, rule: 'required', message: 'is required' });
  }
  for (const [field, rule] of Object.entries(options.fields)) {
    if (options.required.includes(field) && getPath(item, field) == null) continue; // reported once
    failures.push(...checkField(field, rule, getPath(item, field)));
  }
  options.rules.forEach((rule, i) => {
    if (rule.when !== undefined && !evaluate(rule.when, item)) return;
    if (evaluate(rule.assert, item)) return;
    const field = 'field' in rule.assert ? rule.assert.field : (rule.name ?? `rules.${i}`);
    failures.push({
      field,
      rule: rule.name ?? `rules.${i}`,
      message: rule.message ?? `must satisfy ${describeExpression(rule.assert)}`,
    });
  });
  return failures;
}

/** The `validate` handler. */
export const validateHandler: Handler<ValidateOptions> = {
  name: 'validate',
  description:
    'checks required fields, types (email, url, phone, date…), min/max, patterns, enums and custom rules',
  options: validateOptions,
  run(item, ctx) {
    const failures = validateItem(item, ctx.options);
    if (failures.length === 0) return item;
    const summary = failures.map((f) => `${f.field} ${f.message}`).join('; ');
    const message = `${failures.length} check${failures.length === 1 ? '' : 's'} failed: ${summary}`;
    if (ctx.options.onInvalid === 'drop') return { drop: true, reason: message };
    if (ctx.options.onInvalid === 'warn') {
      ctx.log('warn', message, { failures });
      return item;
    }
    throw new HandlerError('validation_failed', message, { failures });
  },
};
