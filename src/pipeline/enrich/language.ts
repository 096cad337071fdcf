/**
 * Language of a text with franc-min (trigram models of the ~80 languages with 8M+
 * speakers). Reported as ISO 639-1 when the language has a two-letter code, else as
 * franc's ISO 639-3. Short texts are unreliable: below `minLength` characters we say null.
 */
import { franc } from 'franc-min';

/** franc-min's ISO 639-3 codes that have an ISO 639-1 code. */
const TO_639_1: Record<string, string> = {
  spa: 'es',
  eng: 'en',
  por: 'pt',
  ind: 'id',
  fra: 'fr',
  deu: 'de',
  jav: 'jv',
  vie: 'vi',
  ita: 'it',
  tur: 'tr',
  pol: 'pl',
  swh: 'sw',
  sun: 'su',
  ron: 'ro',
  hau: 'ha',
  fuv: 'ff',
  bos: 'bs',
  hrv: 'hr',
  nld: 'nl',
  srp: 'sr',
  ckb: 'ku',
  yor: 'yo',
  uzn: 'uz',
  zlm: 'ms',
  ibo: 'ig',
  tgl: 'tl',
  hun: 'hu',
  azj: 'az',
  ces: 'cs',
  run: 'rn',
  plt: 'mg',
  qug: 'qu',
  nya: 'ny',
  zyb: 'za',
  kin: 'rw',
  zul: 'zu',
  swe: 'sv',
  lin: 'ln',
  som: 'so',
  rus: 'ru',
  ukr: 'uk',
  koi: 'kv',
  bel: 'be',
  bul: 'bg',
  kaz: 'kk',
  arb: 'ar',
  urd: 'ur',
  pes: 'fa',
  pbu: 'ps',
  hin: 'hi',
  mar: 'mr',
  npi: 'ne',
  cmn: 'zh',
  ben: 'bn',
  jpn: 'ja',
  kor: 'ko',
  tel: 'te',
  tam: 'ta',
  guj: 'gu',
  kan: 'kn',
  mal: 'ml',
  mya: 'my',
  pan: 'pa',
  amh: 'am',
  tha: 'th',
  sin: 'si',
  ell: 'el',
};

/** ISO 639-1 where one exists, else ISO 639-3; the input code when unknown. */
export function toIso6391(code: string): string {
  return TO_639_1[code] ?? code;
}

/**
 * The language of `text`, or null when it is too short or undecided.
 * @param maxChars only the first characters are read (franc itself stops at 2048)
 */
export function detectLanguage(text: string, minLength = 40, maxChars = 2048): string | null {
  const sample = text.slice(0, maxChars);
  if (sample.trim().length < minLength) return null;
  const code = franc(sample, { minLength });
  return code === 'und' ? null : toIso6391(code);
}
