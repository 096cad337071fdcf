/** Applying site adapters to a page: the first adapter whose match fits the URL wins. */
import type { AnyNode, Element } from 'domhandler';
import { attr, collapse, textOf } from '../dom/dom-utils.js';
import { hasType } from '../json-ld.js';
import type { UrlResolver } from '../resolve-url.js';
import { selectEach, selectFirst } from '../selectors.js';
import type { FieldRule, SiteAdapter } from './adapter-schema.js';

/** What an adapter produced; `missing` lists required fields the page lacked. */
export interface AdapterData {
  adapter: string;
  fields: Record<string, unknown>;
  missing?: string[];
}

/** The page state an adapter reads. */
export interface AdapterPage {
  url: string;
  doc: AnyNode;
  jsonLd: () => readonly Record<string, unknown>[];
  urls: UrlResolver;
}

const globs = new Map<string, RegExp>();
const patterns = new Map<string, RegExp>();

/** The first adapter matching `pageUrl` (host glob and URL pattern both, when given). */
export function matchAdapter(
  adapters: readonly SiteAdapter[],
  pageUrl: string,
): SiteAdapter | null {
  const host = URL.parse(pageUrl)?.hostname ?? '';
  for (const a of adapters) {
    const { host: glob, urlPattern } = a.match;
    if (glob !== undefined && !cached(globs, glob, globRegex).test(host)) continue;
    if (
      urlPattern !== undefined &&
      !cached(patterns, urlPattern, (p) => new RegExp(p)).test(pageUrl)
    ) {
      continue;
    }
    return a;
  }
  return null;
}

/** The adapter's fields of the page; a field not found is left out (and listed if required). */
export function applyAdapter(adapter: SiteAdapter, page: AdapterPage): AdapterData {
  const fields: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [name, rule] of Object.entries(adapter.fields)) {
    const value = fieldValue(rule, page, `adapter ${adapter.name} fields.${name}.selector`);
    if (value === undefined) {
      if (rule.required) missing.push(name);
    } else fields[name] = value;
  }
  return missing.length > 0
    ? { adapter: adapter.name, fields, missing }
    : { adapter: adapter.name, fields };
}

function fieldValue(rule: FieldRule, page: AdapterPage, where: string): unknown {
  if (rule.jsonLd !== undefined) {
    for (const item of page.jsonLd()) {
      if (rule.jsonLdType !== undefined && !hasType(item, rule.jsonLdType)) continue;
      const v = convert(atPath(item, rule.jsonLd), rule, page.urls);
      if (v !== undefined) return v;
    }
  }
  if (rule.selector === undefined) return undefined;
  if (rule.type === 'list') {
    const values = selectEach([rule.selector], page.doc, where)
      .map((el) => read(el, rule, page.urls))
      .filter((v) => v !== '');
    return values.length > 0 ? values : undefined;
  }
  const el = selectFirst(rule.selector, page.doc, where);
  return el === null ? undefined : convert(read(el, rule, page.urls), rule, page.urls);
}

function read(el: Element, rule: FieldRule, urls: UrlResolver): string {
  const raw = rule.attr === undefined ? collapse(textOf(el)) : (attr(el, rule.attr) ?? '');
  return rule.type === 'url' ||
    (rule.type === 'list' && rule.attr !== undefined && /^(?:href|src)$/.test(rule.attr))
    ? (urls.resolve(raw) ?? raw)
    : raw;
}

/** `a.b.0.c`: keys, array indexes; an array met with a key steps into its first element. */
function atPath(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) {
    if (Array.isArray(v) && !/^\d+$/.test(key)) v = v[0];
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function convert(v: unknown, rule: FieldRule, urls: UrlResolver): unknown {
  if (v === undefined || v === null) return undefined;
  switch (rule.type) {
    case 'list': {
      const list = (Array.isArray(v) ? v : [v])
        .map(scalar)
        .filter((x): x is string => x !== undefined);
      return list.length > 0 ? list : undefined;
    }
    case 'geo':
      return geo(v);
    case 'number':
    case 'integer': {
      const s = scalar(v);
      const n = s === undefined ? NaN : toNumber(s);
      if (!Number.isFinite(n)) return undefined;
      return rule.type === 'integer' ? Math.round(n) : n;
    }
    case 'boolean': {
      const s = scalar(v)?.toLowerCase();
      return s === undefined
        ? undefined
        : /^(?:true|yes|1|on|instock|https?:\/\/schema\.org\/instock)$/.test(s);
    }
    case 'url': {
      const s = scalar(v);
      return s === undefined ? undefined : (urls.resolve(s) ?? undefined);
    }
    case 'date': {
      const s = scalar(v);
      if (s === undefined) return undefined;
      const t = Date.parse(s);
      return Number.isNaN(t) ? s : new Date(t).toISOString();
    }
    default:
      return scalar(v);
  }
}

/** A JSON-LD value as a string: strings, numbers, or an object's `name`/`url`/`@id`. */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return scalar(v[0]);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return scalar(o.name ?? o.url ?? o['@id'] ?? o.text);
  }
  return undefined;
}

/** "1,299.50", "€ 12,50", "4.5/5" → a number; a lone comma with 1–2 decimals is decimal. */
function toNumber(s: string): number {
  const m = /-?\d[\d.,\s]*/.exec(s);
  if (m === null) return NaN;
  let t = m[0].replace(/\s/g, '').replace(/[.,]$/, '');
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(t)) t = t.replace(/,/g, '');
  else if (/^-?\d+,\d{1,2}$/.test(t)) t = t.replace(',', '.');
  else t = t.replace(/,/g, '');
  return Number(t);
}

/** `{latitude, longitude}` (or lat/lon/lng) objects, or a "lat, lon" string. */
function geo(v: unknown): { lat: number; lon: number } | undefined {
  let lat: number;
  let lon: number;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    lat = Number(o.latitude ?? o.lat);
    lon = Number(o.longitude ?? o.lon ?? o.lng);
  } else {
    const m = /(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)/.exec(String(v));
    if (m === null) return undefined;
    lat = Number(m[1]);
    lon = Number(m[2]);
  }
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    return undefined;
  }
  return { lat, lon };
}

function cached(map: Map<string, RegExp>, key: string, make: (k: string) => RegExp): RegExp {
  let r = map.get(key);
  if (r === undefined) {
    r = make(key);
    if (map.size < 1000) map.set(key, r);
  }
  return r;
}

function globRegex(glob: string): RegExp {
  const body = glob
    .toLowerCase()
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*');
  return new RegExp(`^${body}$`);
}
