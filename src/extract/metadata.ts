/**
 * Page metadata from `<head>` (and a few body signals): title, description, language,
 * canonical and hreflang alternates, OpenGraph and Twitter cards, favicon, dates,
 * robots, author, keywords. Reads the page index; never walks the tree.
 */
import type { Element } from 'domhandler';
import { attr, collapse, closest, textOf } from './dom/dom-utils.js';
import type { PageIndex } from './dom/page-index.js';
import type { JsonLdResult } from './json-ld.js';
import type { UrlResolver } from './resolve-url.js';

/** A property that may repeat (og:image): one string, or all of them in order. */
export type MetaValue = string | string[];

/** What `metadata` returns. Absent values are null (or empty), never undefined. */
export interface PageMetadata {
  title: string | null;
  description: string | null;
  /** `<html lang>`, else `<meta http-equiv=content-language>` (first language). */
  language: string | null;
  /** Absolute. */
  canonical: string | null;
  alternates: { hreflang: string; href: string }[];
  /** `og:*` without the prefix (`title`, `image`, `image:width`), plus `article:*` as is. */
  openGraph: Record<string, MetaValue>;
  /** `twitter:*` without the prefix. */
  twitter: Record<string, MetaValue>;
  /** Absolute: link rel=icon, else apple-touch-icon, else /favicon.ico of the page's origin. */
  favicon: string | null;
  publishedTime: string | null;
  modifiedTime: string | null;
  robots: string | null;
  author: string | null;
  keywords: string[];
}

const PUBLISHED_NAMES = [
  'article:published_time',
  'datepublished',
  'date',
  'dc.date',
  'dc.date.issued',
  'dcterms.created',
  'publish-date',
  'pubdate',
  'parsely-pub-date',
  'sailthru.date',
  'og:published_time',
];
const MODIFIED_NAMES = [
  'article:modified_time',
  'og:updated_time',
  'datemodified',
  'dcterms.modified',
  'last-modified',
  'dc.date.modified',
];

/** Extracts the metadata of an indexed page. */
export function extractMetadata(
  index: PageIndex,
  pageUrl: string,
  urls: UrlResolver,
  jsonLd: () => JsonLdResult,
): PageMetadata {
  // name/property/itemprop → contents, lower-cased keys, document order.
  const metas = new Map<string, string[]>();
  const openGraph: Record<string, MetaValue> = {};
  const twitter: Record<string, MetaValue> = {};
  let contentLanguage: string | null = null;
  for (const m of index.metas) {
    const content = m.attribs.content;
    if (content === undefined) continue;
    const value = content.trim();
    const equiv = m.attribs['http-equiv'];
    if (equiv !== undefined && equiv.trim().toLowerCase() === 'content-language') {
      contentLanguage ??= value.split(',')[0]?.trim() || null;
    }
    for (const key of [m.attribs.property, m.attribs.name, m.attribs.itemprop]) {
      if (key === undefined) continue;
      const k = key.trim().toLowerCase();
      if (k === '') continue;
      const list = metas.get(k);
      if (list === undefined) metas.set(k, [value]);
      else list.push(value);
    }
    const prop = (m.attribs.property ?? m.attribs.name ?? '').trim();
    const lower = prop.toLowerCase();
    if (value === '') continue;
    if (lower.startsWith('og:')) add(openGraph, prop.slice(3), value);
    else if (lower.startsWith('article:')) add(openGraph, prop, value);
    else if (lower.startsWith('twitter:')) add(twitter, prop.slice(8), value);
  }
  const first = (...keys: string[]): string | null => {
    for (const k of keys) {
      const v = metas.get(k)?.find((x) => x !== '');
      if (v !== undefined) return v;
    }
    return null;
  };

  let canonical: string | null = null;
  let icon: string | null = null;
  let touchIcon: string | null = null;
  const alternates: { hreflang: string; href: string }[] = [];
  for (const l of index.linkTags) {
    const rel = ` ${(l.attribs.rel ?? '').toLowerCase().trim().replace(/\s+/g, ' ')} `;
    const href = attr(l, 'href');
    if (href === null) continue;
    if (canonical === null && rel.includes(' canonical ')) canonical = urls.resolve(href);
    if (icon === null && rel.includes(' icon ')) icon = urls.resolve(href);
    if (touchIcon === null && /apple-touch-icon/.test(rel)) touchIcon = urls.resolve(href);
    const hreflang = attr(l, 'hreflang');
    if (hreflang !== null && rel.includes(' alternate ')) {
      const abs = urls.resolve(href);
      if (abs !== null) alternates.push({ hreflang, href: abs });
    }
  }

  const ld = (key: string): string | null => {
    for (const item of jsonLd().items) {
      const v = item[key];
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
    }
    return null;
  };
  const title = index.title === null ? null : collapse(index.title) || null;
  const keywords = [
    ...new Set(
      (metas.get('keywords') ?? [])
        .flatMap((k) => k.split(','))
        .map((k) => k.trim())
        .filter((k) => k !== ''),
    ),
  ];
  return {
    title: title ?? first('og:title', 'twitter:title'),
    description: first('description', 'og:description', 'twitter:description'),
    language: attr(index.html ?? emptyElement, 'lang') ?? contentLanguage,
    canonical,
    alternates,
    openGraph,
    twitter,
    favicon: icon ?? touchIcon ?? defaultFavicon(pageUrl),
    publishedTime: first(...PUBLISHED_NAMES) ?? ld('datePublished') ?? articleTime(index.times),
    modifiedTime: first(...MODIFIED_NAMES) ?? ld('dateModified'),
    robots: first('robots'),
    author: first('author', 'article:author', 'twitter:creator') ?? ldAuthor(jsonLd().items),
    keywords,
  };
}

const emptyElement = { attribs: {} } as Element;

function add(into: Record<string, MetaValue>, key: string, value: string): void {
  const prev = into[key];
  if (prev === undefined) into[key] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else into[key] = [prev, value];
}

function defaultFavicon(pageUrl: string): string | null {
  const u = URL.parse(pageUrl);
  return u === null || !/^https?:$/.test(u.protocol) ? null : `${u.origin}/favicon.ico`;
}

/** The first `<time>` in an `<article>` (or marked pubdate / datePublished). */
function articleTime(times: readonly Element[]): string | null {
  for (const t of times) {
    const a = t.attribs;
    if (closest(t, 'article') === null && a.pubdate === undefined && a.itemprop !== 'datePublished')
      continue;
    const v = attr(t, 'datetime') ?? (collapse(textOf(t)) || null);
    if (v !== null) return v;
  }
  return null;
}

function ldAuthor(items: readonly Record<string, unknown>[]): string | null {
  for (const item of items) {
    const authors = item.author;
    for (const a of Array.isArray(authors) ? authors : [authors]) {
      if (typeof a === 'string' && a.trim() !== '') return a.trim();
      if (a !== null && typeof a === 'object') {
        const name = (a as Record<string, unknown>).name;
        if (typeof name === 'string' && name.trim() !== '') return name.trim();
      }
    }
  }
  return null;
}
