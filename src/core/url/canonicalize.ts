/**
 * PLACEHOLDER CONTRACT — being implemented by a helper. Do not rely on this body.
 */
export interface CanonicalUrl {
  /** The canonical URL string: the dedup key. */
  href: string;
  /** Lower-case host with port when not the scheme's default (URL.host). */
  host: string;
  /** Lower-case hostname without port (URL.hostname). */
  hostname: string;
  /** "http:" or "https:" */
  protocol: string;
}

export interface CanonicalizeOptions {
  /** Sort query parameters by name (stable). @default true */
  sortQuery?: boolean;
}

export function canonicalize(
  _input: string,
  _base?: string | URL,
  _options?: CanonicalizeOptions,
): CanonicalUrl | null {
  throw new Error('not implemented yet');
}
