/**
 * Site adapters: declarative per-site rules that turn a matching page into typed fields
 * (S2's platform adapters). An adapter is JSON-able data, validated here with zod so a
 * bad rule fails once, at configuration time, with the field named.
 */
import { z } from 'zod';

/** Value types a field can be converted to. */
export const FIELD_TYPES = [
  'string',
  'number',
  'integer',
  'boolean',
  'url',
  'date',
  'geo',
  'list',
] as const;

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const fieldRule = z
  .object({
    /** CSS selector; the first match's text (all matches for `list`). */
    selector: z.string().min(1).optional(),
    /** Read this attribute of the match instead of its text. */
    attr: z.string().min(1).optional(),
    /** Dotted path into JSON-LD items (`offers.price`, `image.0`); tried before `selector`. */
    jsonLd: z.string().min(1).optional(),
    /** Only JSON-LD items of this `@type` (e.g. `Recipe`). */
    jsonLdType: z.string().min(1).optional(),
    type: z.enum(FIELD_TYPES).default('string'),
    /** A page without this field is reported in `missing`. @default false */
    required: z.boolean().default(false),
  })
  .strict()
  .refine((r) => r.selector !== undefined || r.jsonLd !== undefined, {
    message: 'needs a selector or a jsonLd path',
  });

export const siteAdapterSchema = z
  .object({
    name: z.string().min(1),
    match: z
      .object({
        /** Host name or glob (`*.example.com`; `*` matches any characters). */
        host: z.string().min(1).optional(),
        /** Regular expression tested against the whole page URL. */
        urlPattern: regex.optional(),
      })
      .strict()
      .refine((m) => m.host !== undefined || m.urlPattern !== undefined, {
        message: 'needs host or urlPattern',
      }),
    fields: z.record(z.string().min(1), fieldRule),
  })
  .strict();

/** An adapter as written (defaults optional). */
export type SiteAdapterSpec = z.input<typeof siteAdapterSchema>;
/** A validated adapter. */
export type SiteAdapter = z.output<typeof siteAdapterSchema>;
export type FieldRule = SiteAdapter['fields'][string];

/** An adapter that failed validation; `message` names the adapter and the field. */
export class AdapterError extends Error {
  readonly code = 'invalid_adapter';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdapterError';
  }
}

/** Validates an adapter, e.g. `adapter "poi": fields.rating.type: Invalid option ...`. */
export function defineAdapter(spec: unknown): SiteAdapter {
  const r = siteAdapterSchema.safeParse(spec);
  if (r.success) return r.data;
  const name =
    spec !== null &&
    typeof spec === 'object' &&
    typeof (spec as { name?: unknown }).name === 'string'
      ? (spec as { name: string }).name
      : '(unnamed)';
  const detail = r.error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(adapter)'}: ${i.message}`)
    .join('; ');
  throw new AdapterError(`adapter ${JSON.stringify(name)}: ${detail}`, { cause: r.error });
}
