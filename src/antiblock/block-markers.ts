/**
 * Block-page detection: tells a fetched response that is a bot wall (a Cloudflare
 * challenge, a CAPTCHA shell, an "Access denied" page of Akamai, Imperva, DataDome,
 * PerimeterX, AWS WAF or a plain web server) from a real page, and pulls out the CAPTCHA
 * widget (kind and site key) when there is one to solve.
 *
 * It runs on every page of a session crawl, so it is built to be cheap: only the first
 * 32 KiB of the body are looked at; the common path is a handful of Buffer.indexOf probes
 * plus a few precompiled regexes on the title alone (a normal page returns there, in a few
 * µs for 20 KB). The body regexes and the visible-text count only run once a probe or the
 * title has hinted at a block. No DOM is built.
 *
 * Status codes alone (401/403/429) are the session layer's business: detectBlock looks
 * at headers and content, and uses the status only to tell an error shell from a page.
 * The markers and the false-positive rules are documented in docs/anti-blocking.md.
 */

/**
 * Stable ids of the block markers (they are logged, counted in metrics and branched on;
 * never rename one):
 * - `cloudflare_challenge`: Cloudflare's JS / managed challenge ("Just a moment...",
 *   `cf-mitigated: challenge`, `__cf_chl_` / `_cf_chl_opt`, "Attention Required! | Cloudflare").
 * - `cloudflare_block`: Cloudflare's firewall block page ("Sorry, you have been blocked",
 *   error 1020 "Access denied | … used Cloudflare to restrict access").
 * - `captcha`: a reCAPTCHA, hCaptcha or Turnstile widget on a short page or an error page.
 * - `akamai_denied`: Akamai's "Access Denied … Reference #" edge page.
 * - `imperva`: Imperva / Incapsula ("Incapsula incident ID", an `_Incapsula_Resource`
 *   shell, "Pardon Our Interruption").
 * - `datadome`: DataDome's CAPTCHA shell (`captcha-delivery.com`).
 * - `perimeterx`: PerimeterX / HUMAN's "Press & Hold" shell (`px-captcha`).
 * - `aws_waf`: an AWS WAF challenge or CAPTCHA (`x-amzn-waf-action` header).
 * - `bot_check`: a short generic "Are you a robot?" / "Security check" interstitial.
 * - `access_denied`: a short generic page titled "Access denied", "Forbidden", "Blocked"…
 */
export type BlockMarker =
  | 'cloudflare_challenge'
  | 'cloudflare_block'
  | 'captcha'
  | 'akamai_denied'
  | 'imperva'
  | 'datadome'
  | 'perimeterx'
  | 'aws_waf'
  | 'bot_check'
  | 'access_denied';

/** Every marker id, roughly in the order detectBlock tries them (the first match wins). */
export const BLOCK_MARKERS: readonly BlockMarker[] = [
  'cloudflare_challenge',
  'aws_waf',
  'cloudflare_block',
  'imperva',
  'datadome',
  'perimeterx',
  'akamai_denied',
  'captcha',
  'bot_check',
  'access_denied',
];

/** A CAPTCHA widget found on a block page: what a CaptchaSolver needs to solve it. */
export interface CaptchaChallenge {
  kind: 'recaptcha_v2' | 'recaptcha_v3' | 'hcaptcha' | 'turnstile';
  /** The widget's public site key (`data-sitekey`, `render=`, `k=`); null when not in the HTML. */
  siteKey: string | null;
  /** The URL of the page that shows the widget (the response's URL). */
  pageUrl: string;
  /** `data-action` of the widget (Turnstile, reCAPTCHA v3), when present. */
  action?: string;
  /** An invisible reCAPTCHA v2 / hCaptcha (`data-size="invisible"`). */
  invisible?: boolean;
}

export interface BlockSignal {
  marker: BlockMarker;
  /** The widget to solve, when the block page shows a supported CAPTCHA. */
  captcha: CaptchaChallenge | null;
  /** A short human-readable account of what matched, for logs (not a stable value). */
  evidence: string;
}

export interface BlockCheckResponse {
  /** The URL the response was fetched from (after redirects). */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | string;
}

/** Bytes (Buffer) or characters (string) of the body that are inspected. */
export const SCAN_BYTES = 32 * 1024;

/**
 * A page with more visible text than this (whitespace runs counted once) is a content
 * page: a CAPTCHA widget or a vendor script on it is a form's or a tag's, not a wall.
 */
export const CONTENT_TEXT_CHARS = 1500;

// --- precompiled patterns -----------------------------------------------------------

/** The probes of the fast path, as bytes. */
const NEEDLE = {
  captcha: Buffer.from('captcha'), // recaptcha, hcaptcha, h-captcha, px-captcha, captcha-delivery
  cfChl: Buffer.from('_cf_chl_'), // window._cf_chl_opt, __cf_chl_tk, __cf_chl_f_tk
  turnstile: Buffer.from('challenges.cloudflare.com'), // the Turnstile api.js (and CF challenges)
  incapsula: Buffer.from('_Incapsula'), // _Incapsula_Resource
  dataDome: Buffer.from('captcha-delivery.com'),
  title: Buffer.from('<title'),
  titleUpper: Buffer.from('<TITLE'),
};
const TITLE_RE = /<title\b[^>]*>([^<]{0,300})/i;
const CF_CHALLENGE_TITLE_RE =
  /^(?:just a moment[^a-z0-9]{0,4}|attention required! \| cloudflare|please wait[^a-z0-9]{0,4} \| cloudflare|one more step|checking your browser(?: before accessing)?.*)$/;
const CF_BLOCK_TITLE_RE = /used cloudflare to restrict access|^access denied \| .*cloudflare/;
const DENIED_TITLE_RE =
  /^(?:access denied|access to this page has been denied\.?|forbidden|403 forbidden|403 - forbidden(?:: access is denied\.?)?|error 403(?: - forbidden)?|blocked|request blocked|request rejected|the requested url was rejected.*|you have been blocked|access blocked|ip blocked|unauthorized access)$/;
const BOT_CHECK_TITLE_RE =
  /^(?:are you a robot\??|are you a human\??|human verification|verify you are (?:a )?human|bot verification|security check|robot check|captcha|captcha challenge|pardon our interruption(?:\.\.\.)?|please verify you are a human)$/;
const WIDGET_TAG_RE =
  /<[a-z][a-z0-9-]*\b[^>]*\bclass\s*=\s*["'][^"']*\b(g-recaptcha|h-captcha|cf-turnstile)\b[^>]*>/i;
const SITEKEY_ATTR_RE = /\bdata-sitekey\s*=\s*["']([\w.-]{8,100})["']/i;
const ACTION_ATTR_RE = /\bdata-action\s*=\s*["']([^"']{1,100})["']/i;
const INVISIBLE_ATTR_RE = /\bdata-size\s*=\s*["']invisible["']/i;
const RECAPTCHA_SCRIPT_RE =
  /(?:google\.com|recaptcha\.net)\/recaptcha\/(?:api|enterprise)\.js(?:\?([^"'\s>]*))?/;
const RECAPTCHA_RENDER_RE = /(?:^|&(?:amp;)?)render=([\w-]{20,60})/;
const RECAPTCHA_IFRAME_RE =
  /(?:google\.com|recaptcha\.net)\/recaptcha\/(?:api2|enterprise)\/(?:anchor|bframe)\?[^"'\s>]*?\bk=([\w-]{20,60})/;
const RECAPTCHA_EXECUTE_RE = /grecaptcha(?:\.enterprise)?\.execute\(\s*["']([\w-]{20,60})["']/;
const HCAPTCHA_SCRIPT_RE = /(?:js\.)?hcaptcha\.com\/1\/api\.js/;
const HCAPTCHA_IFRAME_RE = /hcaptcha\.com\/captcha\/v1\/[^"'\s>]*?[#&?]sitekey=([\w-]{20,60})/;
const TURNSTILE_SCRIPT_RE = /challenges\.cloudflare\.com\/turnstile\/v0\/api\.js/;
const JS_SITEKEY_RE = /\bsitekey\s*:\s*["']([\w.-]{8,100})["']/i;
const AKAMAI_REF_RE = /Reference(?:\s|&#32;|&nbsp;)*(?:#|&#35;)|errors\.edgesuite\.net/;
const ENTITY_RE = /&(?:amp|#38|hellip|#8230|nbsp|#160|#39|apos|quot|#34|#124|vert);/g;
const SPACE_RE = /\s+/g;
const ENTITY_TEXT: Record<string, string> = {
  '&amp;': '&',
  '&#38;': '&',
  '&hellip;': '…',
  '&#8230;': '…',
  '&nbsp;': ' ',
  '&#160;': ' ',
  '&#39;': "'",
  '&apos;': "'",
  '&quot;': '"',
  '&#34;': '"',
  '&#124;': '|',
  '&vert;': '|',
};
const NON_HTML_TYPE_RE =
  /json|^image\/|^audio\/|^video\/|^font\/|^application\/(?:pdf|octet-stream|zip|gzip|javascript)|^text\/(?:css|javascript|csv)/;

// --- the detector ---------------------------------------------------------------------

/** Header values the detector looks at, picked in one pass over the header names. */
interface PickedHeaders {
  cfMitigated: string;
  server: string;
  cfRay: boolean;
  awsWafAction: string;
  contentType: string;
}

function pickHeaders(headers: BlockCheckResponse['headers']): PickedHeaders {
  const picked: PickedHeaders = {
    cfMitigated: '',
    server: '',
    cfRay: false,
    awsWafAction: '',
    contentType: '',
  };
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = (Array.isArray(raw) ? raw.join(', ') : raw).toLowerCase();
    switch (name.length < 20 ? name.toLowerCase() : '') {
      case 'cf-mitigated':
        picked.cfMitigated = value;
        break;
      case 'server':
        picked.server = value;
        break;
      case 'cf-ray':
        picked.cfRay = true;
        break;
      case 'x-amzn-waf-action':
        picked.awsWafAction = value;
        break;
      case 'content-type':
        picked.contentType = value;
        break;
    }
  }
  return picked;
}

/**
 * The first SCAN_BYTES of the body as bytes: a view of a Buffer (no copy), or a string's
 * code units as latin1 (every marker is ASCII).
 */
function scanWindow(body: Buffer | string): Buffer {
  if (typeof body === 'string') {
    return Buffer.from(body.length > SCAN_BYTES ? body.slice(0, SCAN_BYTES) : body, 'latin1');
  }
  return body.length > SCAN_BYTES ? body.subarray(0, SCAN_BYTES) : body;
}

function normaliseTitle(raw: string): string {
  return raw
    .replace(ENTITY_RE, (entity) => ENTITY_TEXT[entity] ?? entity)
    .replace(SPACE_RE, ' ')
    .trim()
    .toLowerCase();
}

/** `from`-based indexOf of a lower-case tag name, also trying its upper-case spelling. */
function indexOfEither(html: string, lower: string, from: number): number {
  const a = html.indexOf(lower, from);
  const b = html.indexOf(lower.toUpperCase(), from);
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

/**
 * A rough count of the visible text of `html`: characters outside tags, comments,
 * `<script>`, `<style>`, `<noscript>` and `<template>`, whitespace runs counted as one.
 * Entities count as written. Stops counting once past `limit`.
 */
export function visibleTextLength(html: string, limit = Infinity): number {
  const n = html.length;
  let count = 0;
  let space = true;
  let i = 0;
  while (i < n) {
    const c = html.charCodeAt(i);
    if (c === 60 /* < */) {
      const next = html.charCodeAt(i + 1) | 0x20;
      if (html.startsWith('!--', i + 1)) {
        const end = html.indexOf('-->', i + 4);
        i = end < 0 ? n : end + 3;
        continue;
      }
      if (next === 0x73 /* s */ || next === 0x6e /* n */ || next === 0x74 /* t */) {
        const name = html.slice(i + 1, i + 9).toLowerCase();
        const skip = name.startsWith('script')
          ? '</script'
          : name.startsWith('style')
            ? '</style'
            : name.startsWith('noscript')
              ? '</noscript'
              : name.startsWith('template')
                ? '</template'
                : null;
        if (skip !== null) {
          const end = indexOfEither(html, skip, i + 1);
          if (end < 0) return count;
          i = end + skip.length - 1; // the '>' search below starts after i
        }
      }
      const close = html.indexOf('>', i + 1);
      if (close < 0) return count;
      i = close + 1;
      if (!space) {
        count++;
        space = true;
      }
      continue;
    }
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 12 || c === 0xa0) {
      if (!space) {
        count++;
        space = true;
      }
    } else {
      count++;
      space = false;
    }
    if (count > limit) return count;
    i++;
  }
  return count;
}

/** The first supported CAPTCHA widget of `html`, or null. */
export function findCaptcha(
  html: string,
  pageUrl: string,
  errorPage: boolean,
): CaptchaChallenge | null {
  const tag = WIDGET_TAG_RE.exec(html);
  if (tag) {
    const cls = (tag[1] ?? '').toLowerCase();
    const markup = tag[0];
    const kind =
      cls === 'g-recaptcha' ? 'recaptcha_v2' : cls === 'h-captcha' ? 'hcaptcha' : 'turnstile';
    const challenge: CaptchaChallenge = {
      kind,
      siteKey: SITEKEY_ATTR_RE.exec(markup)?.[1] ?? SITEKEY_ATTR_RE.exec(html)?.[1] ?? null,
      pageUrl,
    };
    const action = ACTION_ATTR_RE.exec(markup)?.[1];
    if (action !== undefined) challenge.action = action;
    if (kind !== 'turnstile' && INVISIBLE_ATTR_RE.test(markup)) challenge.invisible = true;
    return challenge;
  }
  const rcFrame = RECAPTCHA_IFRAME_RE.exec(html);
  if (rcFrame) return { kind: 'recaptcha_v2', siteKey: rcFrame[1] ?? null, pageUrl };
  const hcFrame = HCAPTCHA_IFRAME_RE.exec(html);
  if (hcFrame) return { kind: 'hcaptcha', siteKey: hcFrame[1] ?? null, pageUrl };
  // Script includes and JS-rendered widgets count only on an error page: a page that
  // merely loads api.js (reCAPTCHA v3 scoring, a lazily shown form) is not a wall.
  if (!errorPage) return null;
  const jsKey = JS_SITEKEY_RE.exec(html)?.[1] ?? null;
  const rcScript = RECAPTCHA_SCRIPT_RE.exec(html);
  if (rcScript) {
    const render = RECAPTCHA_RENDER_RE.exec(rcScript[1] ?? '')?.[1];
    const execute = RECAPTCHA_EXECUTE_RE.exec(html)?.[1];
    if (render !== undefined && render !== 'explicit') {
      return { kind: 'recaptcha_v3', siteKey: render, pageUrl };
    }
    if (execute !== undefined) return { kind: 'recaptcha_v3', siteKey: execute, pageUrl };
    return { kind: 'recaptcha_v2', siteKey: jsKey, pageUrl };
  }
  if (HCAPTCHA_SCRIPT_RE.test(html)) return { kind: 'hcaptcha', siteKey: jsKey, pageUrl };
  if (TURNSTILE_SCRIPT_RE.test(html)) return { kind: 'turnstile', siteKey: jsKey, pageUrl };
  return null;
}

/**
 * Whether `response` is a block page, and which. Returns null for a normal page (and
 * for a bare 401/403/429 without a marker: the status is the caller's to judge).
 */
export function detectBlock(response: BlockCheckResponse): BlockSignal | null {
  const headers = pickHeaders(response.headers);
  const { status, url } = response;
  const errorPage = status >= 400;

  // Headers that say it outright.
  if (headers.cfMitigated === 'challenge') {
    return signal('cloudflare_challenge', 'header cf-mitigated: challenge', null);
  }
  if (headers.awsWafAction === 'challenge' || headers.awsWafAction === 'captcha') {
    return signal('aws_waf', `header x-amzn-waf-action: ${headers.awsWafAction}`, null);
  }

  const bytes = scanWindow(response.body);
  if (bytes.length === 0) return null;
  if (!looksLikeHtml(headers.contentType, bytes)) {
    // DataDome answers blocked XHR/fetch calls with a JSON pointer to its CAPTCHA.
    if (errorPage && bytes.includes(NEEDLE.dataDome)) {
      return signal('datadome', 'JSON body pointing at captcha-delivery.com', null);
    }
    return null;
  }

  // The cheap probes, on the bytes (Buffer.indexOf is memchr-based, and measured faster
  // than a decode plus String.includes or one alternation regex): a normal page fails
  // them all and has an unremarkable title.
  const hasCaptcha = bytes.includes(NEEDLE.captcha);
  const hasCfChl = bytes.includes(NEEDLE.cfChl);
  const hasTurnstile = bytes.includes(NEEDLE.turnstile);
  const hasIncapsula = bytes.includes(NEEDLE.incapsula);
  let titleAt = bytes.indexOf(NEEDLE.title);
  if (titleAt < 0) titleAt = bytes.indexOf(NEEDLE.titleUpper);
  if (!hasCaptcha && !hasCfChl && !hasTurnstile && !hasIncapsula && titleAt < 0) return null;
  const rawTitle =
    titleAt < 0 ? undefined : TITLE_RE.exec(bytes.toString('latin1', titleAt, titleAt + 400))?.[1];
  const title = rawTitle == null ? '' : normaliseTitle(rawTitle);
  const cfTitle = title !== '' && CF_CHALLENGE_TITLE_RE.test(title);
  const cfBlockTitle = title !== '' && CF_BLOCK_TITLE_RE.test(title);
  const deniedTitle = title !== '' && DENIED_TITLE_RE.test(title);
  const botTitle = title !== '' && BOT_CHECK_TITLE_RE.test(title);
  if (
    !hasCaptcha &&
    !hasCfChl &&
    !hasTurnstile &&
    !hasIncapsula &&
    !cfTitle &&
    !cfBlockTitle &&
    !deniedTitle &&
    !botTitle
  ) {
    return null;
  }

  const html = bytes.toString('latin1');
  let textLength = -1;
  /** Little visible text: a shell, not a content page. */
  const short = (): boolean => {
    if (textLength < 0) textLength = visibleTextLength(html, CONTENT_TEXT_CHARS);
    return textLength <= CONTENT_TEXT_CHARS;
  };
  const captcha = (): CaptchaChallenge | null =>
    hasCaptcha || hasTurnstile ? findCaptcha(html, url, errorPage) : null;

  // Cloudflare's own titles, backed by some Cloudflare evidence.
  if (
    cfTitle &&
    (title.includes('cloudflare') ||
      hasCfChl ||
      headers.cfRay ||
      headers.server.includes('cloudflare') ||
      html.includes('/cdn-cgi/challenge-platform/'))
  ) {
    if (
      title.startsWith('attention required') &&
      !hasCaptcha &&
      (html.includes('you have been blocked') || html.includes('cf-error-details'))
    ) {
      return signal('cloudflare_block', `title "${title}" with a block notice`, null);
    }
    return signal('cloudflare_challenge', `title "${title}"`, captcha());
  }
  if (cfBlockTitle) return signal('cloudflare_block', `title "${title}"`, null);

  // Every other marker needs a shell: an error status or little visible text. Content
  // pages stop here, whatever scripts or widgets they carry.
  if (!errorPage && !short()) return null;

  if (hasCfChl) {
    return signal('cloudflare_challenge', 'challenge script (_cf_chl_) on a shell page', captcha());
  }

  // Imperva / Incapsula (its resource script is also injected into normal pages).
  if (hasIncapsula && html.includes('_Incapsula_Resource')) {
    const incident = html.includes('Incapsula incident ID');
    return signal(
      'imperva',
      incident ? '"Incapsula incident ID"' : '_Incapsula_Resource shell',
      captcha(),
    );
  }
  if (title.startsWith('pardon our interruption') && short()) {
    return signal('imperva', `title "${title}"`, captcha());
  }

  // DataDome and PerimeterX CAPTCHA shells.
  if (hasCaptcha && html.includes('captcha-delivery.com')) {
    return signal('datadome', 'captcha-delivery.com on a shell page', null);
  }
  if (
    (hasCaptcha && html.includes('px-captcha')) ||
    (title.startsWith('access to this page has been denied') &&
      (html.includes('_pxAppId') || html.includes('perimeterx')))
  ) {
    return signal('perimeterx', 'px-captcha / "Press & Hold" shell', null);
  }

  // Akamai's edge "Access Denied" page.
  if (title === 'access denied' && AKAMAI_REF_RE.test(html) && short()) {
    return signal('akamai_denied', 'title "access denied" with an Akamai reference', null);
  }

  // A CAPTCHA widget on a shell.
  const found = captcha();
  if (found) return signal('captcha', `${found.kind} widget on a shell page`, found);

  // Generic short shells, judged by their title.
  if (botTitle && short()) return signal('bot_check', `title "${title}"`, null);
  if (deniedTitle && short()) return signal('access_denied', `title "${title}"`, null);
  return null;
}

function looksLikeHtml(contentType: string, bytes: Buffer): boolean {
  if (contentType !== '' && NON_HTML_TYPE_RE.test(contentType)) return false;
  // Sniff a body without (or with a generic) type: JSON starts with { or [.
  for (let i = 0; i < bytes.length && i < 64; i++) {
    const c = bytes[i] ?? 0;
    // Whitespace, or a UTF-8 byte order mark.
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xef || c === 0xbb || c === 0xbf) {
      continue;
    }
    return c !== 0x7b /* { */ && c !== 0x5b; /* [ */
  }
  return true;
}

function signal(
  marker: BlockMarker,
  evidence: string,
  captcha: CaptchaChallenge | null,
): BlockSignal {
  return { marker, captcha, evidence };
}
