import { TrawlError } from '../../core/errors.js';
import { canonicalize } from '../../core/url/canonicalize.js';
import type { CanonicalUrl } from '../../core/url/canonicalize.js';
import type { RedirectDecision } from '../fetcher.js';

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
): CanonicalUrl {
  const target = canonicalize(location, chain.current);
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

/** Throws the TrawlError an onRedirect decision other than 'follow' asks for. */
export function enforceDecision(decision: RedirectDecision, target: string, status: number): void {
  if (decision === 'follow') return;
  throw new TrawlError(decision, `redirect to ${target} stopped: ${decision}`, {
    status,
    finalUrl: target,
  });
}
