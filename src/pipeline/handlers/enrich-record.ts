/**
 * `enrich`: derived fields. Each enrichment is on by default and runs only when its source
 * field is there (so it is safe on any record); `false` turns it off, an object configures
 * it. Existing target fields are kept unless `overwrite` is set.
 */
import { parse as parseDomain } from 'tldts';
import { z } from 'zod';
import { getPath, setPath } from '../fields/field-path.js';
import type { Handler, Item } from '../handler.js';
import { ageFrom, ageGroup, DEFAULT_AGE_GROUPS } from '../enrich/age-group.js';
import {
  countryFromName,
  fromCity,
  fromPhone,
  fromTld,
  type GeoHint,
} from '../enrich/geo-hints.js';
import { detectLanguage } from '../enrich/language.js';
import { parseName } from '../enrich/parse-name.js';
import { isEmail } from '../values/formats.js';
import { parseDate } from '../values/parse-date.js';

const path = z.string().min(1);
const paths = z.array(path).min(1);

/** `true` (defaults), `false` (off) or an object of settings. */
function feature<S extends z.ZodRawShape>(shape: S) {
  const settings = z.strictObject(shape);
  return z
    .union([z.boolean(), settings])
    .prefault(true)
    .transform((v) => (v === false ? null : v === true ? settings.parse({}) : v));
}

/** enrich's options. */
export const enrichOptions = z.strictObject({
  /** Full name -> {prefix, first, middle, last, suffix}. Only values that look like a person's name. */
  name: feature({
    fields: paths.default(['fullName', 'full_name', 'name']),
    target: path.default('nameParts'),
  }),
  /** Age or birth date -> a band label. */
  ageGroup: feature({
    ageField: path.default('age'),
    birthDateField: paths.default(['birthDate', 'birth_date', 'dob']),
    target: path.default('ageGroup'),
    /** Reference day for birth dates (ISO). @default today */
    asOf: z
      .string()
      .refine((s) => parseDate(s) !== undefined, 'not a date')
      .optional(),
    groups: z
      .array(z.strictObject({ max: z.number().optional(), label: z.string() }))
      .min(1)
      .optional(),
  }),
  emailDomain: feature({ field: path.default('email'), target: path.default('emailDomain') }),
  /** URL -> {host, domain (registrable), subdomain, publicSuffix, tld, path}. */
  url: feature({ field: path.default('url'), target: path.default('urlParts') }),
  language: feature({
    fields: paths.default(['text', 'markdown', 'description']),
    target: path.default('language'),
    /** Shorter texts get no language (trigram detection guesses on them). */
    minLength: z.number().int().min(1).default(40),
    /**
     * A language the page declares (this field: `metadata.language`, from `<html lang>`
     * or Content-Language, as extraction finds it) is taken as it is, primary subtag only,
     * without running detection (~1 ms per page). null: always detect.
     */
    declaredField: path.nullable().default('metadata.language'),
  }),
  /** Country hint: country field, else city (with coordinates), else phone, else URL TLD. */
  geo: feature({
    countryField: path.default('country'),
    cityField: path.default('city'),
    phoneField: path.default('phone'),
    urlField: path.default('url'),
    target: path.default('geo'),
  }),
  overwrite: z.boolean().default(false),
});
export type EnrichOptions = z.infer<typeof enrichOptions>;

const PERSON_NAME = /^[\p{L}\p{M}.'’-]+(?:,?\s+[\p{L}\p{M}.'’-]+){1,5}$/u;

const firstString = (item: Item, fields: readonly string[]): string | undefined => {
  for (const f of fields) {
    const v = getPath(item, f);
    if (typeof v === 'string' && v.trim() !== '') return v;
  }
  return undefined;
};

function urlParts(value: string): Record<string, unknown> | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.hostname === '') return undefined;
  const d = parseDomain(value);
  return {
    host: url.hostname,
    domain: d.domain,
    subdomain: d.subdomain === '' ? null : d.subdomain,
    publicSuffix: d.publicSuffix,
    tld: d.isIp === true ? null : (url.hostname.split('.').pop() ?? null),
    path: url.pathname,
  };
}

function geoHint(item: Item, o: NonNullable<EnrichOptions['geo']>): GeoHint | undefined {
  const country = getPath(item, o.countryField);
  if (typeof country === 'string') {
    const code = countryFromName(country);
    if (code !== undefined) return { country: code, source: 'country' };
  }
  const city = getPath(item, o.cityField);
  const byCity = typeof city === 'string' ? fromCity(city) : undefined;
  if (byCity !== undefined) return byCity;
  const phone = getPath(item, o.phoneField);
  const byPhone = typeof phone === 'string' ? fromPhone(phone) : undefined;
  if (byPhone !== undefined) return byPhone;
  const url = getPath(item, o.urlField);
  if (typeof url === 'string' && URL.canParse(url)) return fromTld(new URL(url).hostname);
  return undefined;
}

/** Applies every enabled enrichment to one item. */
export function enrichItem(item: Item, o: EnrichOptions, now: Date = new Date()): Item {
  let out = item;
  const put = (target: string, value: unknown): void => {
    if (value === undefined) return;
    if (!o.overwrite && getPath(out, target) !== undefined) return;
    out = setPath(out, target, value);
  };
  if (o.name !== null) {
    const full = firstString(item, o.name.fields);
    if (full !== undefined && PERSON_NAME.test(full.trim())) put(o.name.target, parseName(full));
  }
  if (o.ageGroup !== null) {
    const asOf = o.ageGroup.asOf === undefined ? now : parseDate(o.ageGroup.asOf)!.date;
    const birth = o.ageGroup.birthDateField.map((f) => getPath(item, f)).find((v) => v != null);
    const age = ageFrom(getPath(item, o.ageGroup.ageField), birth, asOf);
    if (age !== undefined)
      put(o.ageGroup.target, ageGroup(age, o.ageGroup.groups ?? DEFAULT_AGE_GROUPS));
  }
  if (o.emailDomain !== null) {
    const email = getPath(item, o.emailDomain.field);
    if (typeof email === 'string' && isEmail(email.trim())) {
      put(o.emailDomain.target, email.trim().split('@').pop()!.toLowerCase());
    }
  }
  if (o.url !== null) {
    const url = getPath(item, o.url.field);
    if (typeof url === 'string') put(o.url.target, urlParts(url));
  }
  if (o.language !== null) {
    const declared =
      o.language.declaredField === null ? undefined : getPath(item, o.language.declaredField);
    const primary =
      typeof declared === 'string' ? /^[a-z]{2,3}(?=$|[-_])/i.exec(declared.trim()) : null;
    if (primary !== null) {
      put(o.language.target, primary[0].toLowerCase());
    } else {
      const text = firstString(item, o.language.fields);
      const lang = text === undefined ? null : detectLanguage(text, o.language.minLength);
      if (lang !== null) put(o.language.target, lang);
    }
  }
  if (o.geo !== null) put(o.geo.target, geoHint(item, o.geo));
  return out;
}

/** The `enrich` handler. */
export const enrichHandler: Handler<EnrichOptions> = {
  name: 'enrich',
  description: 'adds name parts, age group, email domain, URL parts, language and a country hint',
  options: enrichOptions,
  run(item, ctx) {
    return enrichItem(item, ctx.options);
  },
};
