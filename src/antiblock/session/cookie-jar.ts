/**
 * A session's cookies: what `Set-Cookie` stored, given back as the `Cookie` header of the
 * URLs it applies to (RFC 6265: host-only vs Domain cookies, never a Domain that is a
 * public suffix, Path, Secure only over https, expired ones dropped; HttpOnly and
 * SameSite do not matter to a crawler), capped per site and in total.
 *
 * The matching is tough-cookie's (6.1: engines node >=16; one dependency, tldts ^7,
 * which we already have, so `npm install` added one package of 779 kB unpacked; no
 * native addon; released 2026-11 and used by got, jsdom and Crawlee): RFC domain and
 * path matching and the public-suffix check are where a hand-written jar goes wrong.
 * Around it, this module adds what tough-cookie lacks:
 * - Max-Age is turned into an absolute expiry when stored: tough-cookie measures Max-Age
 *   from the cookie's last access, so a cookie that is sent keeps living for ever.
 * - caps: a cookie over 4 KiB (name and value) is refused; past 50 cookies for one site
 *   (registrable domain) or 256 KiB in all, the oldest go first. A crawler session never
 *   needs more, and a hostile site cannot make it grow.
 * - Secure cookies are https only, loopback included (tough-cookie would also trust
 *   http://localhost).
 */
import { getDomain } from 'tldts';
import { Cookie, CookieJar as ToughCookieJar, MemoryCookieStore } from 'tough-cookie';

export interface CookieJarOptions {
  /** Cookies kept per registrable domain (example.co.uk and its subdomains); default 50. */
  maxCookiesPerSite?: number;
  /** Bytes of names and values kept in all; default 256 KiB. */
  maxTotalBytes?: number;
}

/** A cookie as stored: RFC 6265's fields (see CookieJar.cookies). */
export interface StoredCookie {
  name: string;
  value: string;
  /** Without a leading dot. */
  domain: string;
  /** Sent to `domain` only, not its subdomains (the cookie had no Domain attribute). */
  hostOnly: boolean;
  path: string;
  /** When it expires, epoch ms; null: at the end of the session. */
  expiresMs: number | null;
  secure: boolean;
  httpOnly: boolean;
  sameSite: 'strict' | 'lax' | 'none' | null;
}

/** Name and value of one cookie above this many bytes: refused, as browsers do. */
const MAX_COOKIE_BYTES = 4096;
/** The longest a cookie may live (RFC 6265bis caps Expires and Max-Age at 400 days). */
const MAX_LIFETIME_MS = 400 * 24 * 3600 * 1000;

export class CookieJar {
  private readonly store = new MemoryCookieStore();
  private readonly jar = new ToughCookieJar(this.store, {
    rejectPublicSuffixes: true,
    allowSecureOnLocal: false,
    enforceSecureOriginOnStorage: true,
    looseMode: true,
  });
  private readonly maxPerSite: number;
  private readonly maxTotalBytes: number;

  constructor(options: CookieJarOptions = {}) {
    this.maxPerSite = positive(options.maxCookiesPerSite ?? 50, 'maxCookiesPerSite');
    this.maxTotalBytes = positive(options.maxTotalBytes ?? 256 * 1024, 'maxTotalBytes');
  }

  /**
   * Stores the `Set-Cookie` values of a response from `url` (its final URL, after
   * redirects: each hop's own when the caller follows them). Malformed cookies and
   * those the URL may not set are skipped. Returns how many were stored (not counting
   * those that came expired: they only delete their namesakes).
   */
  setCookies(url: string | URL, setCookieHeaders: readonly string[]): number {
    const target = httpUrl(url);
    if (target === null) return 0;
    let stored = 0;
    let touched = false;
    for (const header of setCookieHeaders) {
      const cookie = Cookie.parse(header, { loose: true });
      if (cookie === undefined) continue;
      if (Buffer.byteLength(cookie.key) + Buffer.byteLength(cookie.value) > MAX_COOKIE_BYTES) {
        continue;
      }
      const now = Date.now();
      fixExpiry(cookie, now);
      // An expired cookie is stored too: it replaces (so deletes) one of the same name.
      if (this.jar.setCookieSync(cookie, target, { ignoreError: true }) === undefined) continue;
      touched = true;
      if (!isExpired(cookie, now)) stored++;
    }
    if (touched) this.enforceLimits();
    return stored;
  }

  /** The `Cookie` header for a request to `url`, or null when no cookie applies. */
  cookieHeader(url: string | URL): string | null {
    const target = httpUrl(url);
    if (target === null) return null;
    const header = this.jar.getCookieStringSync(target);
    return header === '' ? null : header;
  }

  /** The live cookies held, with their attributes (to hand to a browser context). */
  cookies(): StoredCookie[] {
    const now = Date.now();
    const out: StoredCookie[] = [];
    for (const c of this.all()) {
      if (isExpired(c, now) || c.domain == null) continue;
      const sameSite = String(c.sameSite ?? '').toLowerCase();
      out.push({
        name: c.key,
        value: c.value,
        domain: c.domain,
        hostOnly: c.hostOnly === true,
        path: c.path ?? '/',
        expiresMs: c.expires instanceof Date ? c.expires.getTime() : null,
        secure: c.secure,
        httpOnly: c.httpOnly,
        sameSite:
          sameSite === 'strict' || sameSite === 'lax' || sameSite === 'none' ? sameSite : null,
      });
    }
    return out;
  }

  /** Cookies held (expired ones not yet swept included) and their bytes. */
  size(): { cookies: number; bytes: number } {
    const all = this.all();
    return { cookies: all.length, bytes: all.reduce((sum, c) => sum + bytesOf(c), 0) };
  }

  clear(): void {
    this.jar.removeAllCookiesSync();
  }

  /** Expired cookies out; then the oldest of a site over its cap; then the oldest overall. */
  private enforceLimits(): void {
    const now = Date.now();
    const live: Cookie[] = [];
    for (const cookie of this.all()) {
      if (isExpired(cookie, now)) {
        this.remove(cookie);
      } else {
        live.push(cookie);
      }
    }
    // all() is in creation order, so each site's list and `kept` are oldest first.
    const bySite = new Map<string, Cookie[]>();
    for (const cookie of live) {
      const host = cookie.domain ?? '';
      const site = getDomain(host, { allowPrivateDomains: true }) ?? host;
      const list = bySite.get(site) ?? [];
      list.push(cookie);
      bySite.set(site, list);
    }
    const kept: Cookie[] = [];
    for (const list of bySite.values()) {
      const excess = list.length - this.maxPerSite;
      list.forEach((cookie, i) => (i < excess ? this.remove(cookie) : kept.push(cookie)));
    }
    kept.sort((a, b) => a.creationIndex - b.creationIndex);
    let bytes = kept.reduce((sum, c) => sum + bytesOf(c), 0);
    for (const cookie of kept) {
      if (bytes <= this.maxTotalBytes) break;
      bytes -= bytesOf(cookie);
      this.remove(cookie);
    }
  }

  private all(): Cookie[] {
    let cookies: Cookie[] = [];
    // MemoryCookieStore answers synchronously (tough-cookie's *Sync methods rely on it).
    this.store.getAllCookies((err: Error | null, result?: Cookie[]) => {
      if (err) throw err;
      cookies = result ?? [];
    });
    return cookies;
  }

  private remove(cookie: Cookie): void {
    const { domain, path, key } = cookie;
    if (domain == null || path == null) return;
    this.store.removeCookie(domain, path, key, (err: Error | null) => {
      if (err) throw err;
    });
  }
}

function isExpired(cookie: Cookie, now: number): boolean {
  const expiry = cookie.expiryTime();
  return expiry !== undefined && expiry <= now;
}

function bytesOf(cookie: Cookie): number {
  return Buffer.byteLength(cookie.key) + Buffer.byteLength(cookie.value);
}

/** Max-Age as an absolute time from now (it wins over Expires), both capped at 400 days. */
function fixExpiry(cookie: Cookie, now: number): void {
  let expires: number | undefined;
  if (typeof cookie.maxAge === 'number') {
    expires = cookie.maxAge <= 0 ? 0 : now + cookie.maxAge * 1000;
  } else if (cookie.maxAge === '-Infinity') {
    expires = 0;
  } else if (cookie.expires instanceof Date) {
    expires = cookie.expires.getTime();
  }
  if (cookie.maxAge !== null) cookie.maxAge = null;
  if (expires !== undefined) cookie.expires = new Date(Math.min(expires, now + MAX_LIFETIME_MS));
}

/** The URL when it is http(s), else null (no cookies for other schemes). */
function httpUrl(url: string | URL): URL | null {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return null;
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed : null;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer`);
  return value;
}
