/**
 * Which URLs belong to a crawl: scope (same host / same registrable domain / any) plus
 * the user's include and exclude patterns. The spec is plain data so it can be sent to
 * parse workers, where links are filtered before they ever reach the main thread.
 */
import { getDomain } from 'tldts';
import type { CanonicalUrl } from './canonicalize.js';

export type Scope = 'host' | 'domain' | 'any';

export interface LinkFilterSpec {
  /** host: same host (and port) as a seed; domain: same registrable domain as a seed; any. */
  scope: Scope;
  /** Hosts of the seeds (`URL.host`: lower-case, port when not the default). */
  seedHosts: string[];
  /** Regex sources; when any is given a URL must match at least one. */
  include: string[];
  /** Regex sources; a URL matching any is dropped. */
  exclude: string[];
}

export type LinkFilter = (url: CanonicalUrl) => boolean;

/** The registrable domain ("example.co.uk") of a hostname; an IP or single label is its own. */
export function registrableDomain(hostname: string): string {
  return getDomain(hostname, { allowPrivateDomains: false }) ?? hostname;
}

export function createLinkFilter(spec: LinkFilterSpec): LinkFilter {
  const include = spec.include.map((s) => new RegExp(s));
  const exclude = spec.exclude.map((s) => new RegExp(s));
  const hosts = new Set(spec.seedHosts);
  const domains = new Set(spec.seedHosts.map((h) => registrableDomain(hostnameOf(h))));
  // One cached domain lookup per host: tldts is fast, but links repeat hosts heavily.
  const domainCache = new Map<string, boolean>();

  const inScope = (u: CanonicalUrl): boolean => {
    switch (spec.scope) {
      case 'any':
        return true;
      case 'host':
        return hosts.has(u.host);
      case 'domain': {
        let ok = domainCache.get(u.hostname);
        if (ok === undefined) {
          ok = domains.has(registrableDomain(u.hostname));
          if (domainCache.size > 10_000) domainCache.clear();
          domainCache.set(u.hostname, ok);
        }
        return ok;
      }
    }
  };

  return (u) => {
    if (!inScope(u)) return false;
    if (include.length > 0 && !include.some((re) => re.test(u.href))) return false;
    return !exclude.some((re) => re.test(u.href));
  };
}

/** "example.com:8080" -> "example.com"; "[::1]:80" -> "[::1]". */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
