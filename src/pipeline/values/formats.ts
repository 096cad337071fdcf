/** The string formats validate checks and enrich reads. Deliberately simple and documented. */

/** local@domain.tld: no spaces, one @, a dot in the domain, at most 254 characters. */
export function isEmail(value: string): boolean {
  return value.length <= 254 && /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/.test(value);
}

/** An absolute http(s) URL with a host. */
export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

/**
 * A phone number: optional leading + (or 00), then 7 to 15 digits (E.164's maximum) with
 * spaces, dots, dashes, slashes and parentheses allowed between them.
 */
export function isPhone(value: string): boolean {
  if (!/^\s*(?:\+|00)?[\d\s().\-/]+$/.test(value)) return false;
  const digits = value.replace(/\D/g, '').replace(/^00/, '');
  return digits.length >= 7 && digits.length <= 15;
}

/** The digits of an international number ("+33 1 23…" or "0033…"), or undefined. */
export function internationalDigits(value: string): string | undefined {
  const t = value.trim();
  if (!isPhone(t) || !/^(?:\+|00)/.test(t)) return undefined;
  return t.replace(/\D/g, '').replace(/^00/, '');
}
