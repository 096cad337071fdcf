/** Country hints from a city, a country name, a phone number or a URL's TLD (see geo-tables.ts). */
import { CALLING_CODES, CITIES, COUNTRY_NAMES, TLD_EXCEPTIONS } from './geo-tables.js';
import { internationalDigits } from '../values/formats.js';

/** A hint and where it came from. Coordinates only for a known city. */
export interface GeoHint {
  country: string;
  source: 'country' | 'city' | 'phone' | 'tld';
  city?: string;
  lat?: number;
  lon?: number;
}

const key = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** From a country field: an ISO alpha-2 code or a known name. */
export function countryFromName(value: string): string | undefined {
  const t = value.trim();
  if (/^[A-Za-z]{2}$/.test(t)) return t.toUpperCase();
  return COUNTRY_NAMES[key(t)];
}

export function fromCity(value: string): GeoHint | undefined {
  const hit = CITIES[key(value.split(',')[0] ?? '')];
  if (hit === undefined) return undefined;
  return {
    country: hit[0],
    source: 'city',
    city: value.split(',')[0]!.trim(),
    lat: hit[1],
    lon: hit[2],
  };
}

export function fromPhone(value: string): GeoHint | undefined {
  const digits = internationalDigits(value);
  if (digits === undefined) return undefined;
  for (let len = 3; len >= 1; len--) {
    const country = CALLING_CODES[digits.slice(0, len)];
    if (country !== undefined) return { country, source: 'phone' };
  }
  return undefined;
}

/** From a hostname's last label, when it is a country code TLD used for its country. */
export function fromTld(hostname: string): GeoHint | undefined {
  const tld = hostname.toLowerCase().split('.').pop() ?? '';
  if (!/^[a-z]{2}$/.test(tld)) return undefined;
  const exception = TLD_EXCEPTIONS[tld];
  if (exception === null) return undefined;
  return { country: exception ?? tld.toUpperCase(), source: 'tld' };
}
