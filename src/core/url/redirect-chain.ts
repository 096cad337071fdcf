/**
 * Redirect chains: which statuses redirect, and the canonical target of one hop or the
 * error that stops the chain there. Shared by the HTTP engine (which follows redirects of
 * robots.txt and sitemaps itself) and the crawler (which queues each page hop through
 * the frontier, so every hop is a polite request of its own).
 */
import { TrawlError } from '../errors.js';
import { canonicalize } from './canonicalize.js';
import type { CanonicalizeOptions, CanonicalUrl } from './canonicalize.js';

/** True for the statuses that redirect a GET (300 and 305 are not followed). */
export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** The redirect chain so far. */
export interface RedirectChain {
  /** The URL first requested. */
  url: string;
  /** The URL that answered with the redirect. */
  current: string;
  /** Hop targets already followed. */
  redirects: readonly string[];
}

/**
 * The canonical target of a redirect hop, or a TrawlError when the chain must stop there:
 * invalid_url (unparsable or non-http(s) Location), redirect_loop (a URL already in the
 * chain) or too_many_redirects (more than `maxRedirects` hops). Every error carries the
 * 3xx status and, when known, the target as finalUrl.
 */
export function redirectTarget(
  location: string,
  status: number,
  chain: RedirectChain,
  maxRedirects: number,
  options?: CanonicalizeOptions,
): CanonicalUrl {
  const target = canonicalize(location, chain.current, options);
  if (target === null) {
    throw new TrawlError('invalid_url', `${status} to an invalid or non-http(s) Location`, {
      status,
      finalUrl: chain.current,
    });
  }
  const { href } = target;
  if (href === chain.url || chain.redirects.includes(href)) {
    throw new TrawlError('redirect_loop', `${status} back to ${href}, already in the chain`, {
      status,
      finalUrl: href,
    });
  }
  if (chain.redirects.length >= maxRedirects) {
    throw new TrawlError('too_many_redirects', `more than ${maxRedirects} redirects`, {
      status,
      finalUrl: href,
    });
  }
  return target;
}
