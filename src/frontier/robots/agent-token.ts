import { UsageError } from '../../core/errors.js';

/** RFC 9309 product token characters. */
const TOKEN = /[A-Za-z_-]+/;

/**
 * The product token robots.txt groups are matched against, from a User-Agent header:
 * "Mozilla/5.0 (compatible; trawl/0.1; +https://example.org/bot)" -> "trawl" (the bot's
 * name inside "compatible;"), "trawl/0.1 (+https://...)" -> "trawl". Lower-cased, because
 * matching is case-insensitive.
 *
 * @throws UsageError when the header holds no token at all.
 */
export function robotsAgentToken(userAgent: string): string {
  const compatible = /\(\s*compatible\s*;\s*([^;)]*)/i.exec(userAgent)?.[1];
  const token = TOKEN.exec(compatible ?? '')?.[0] ?? TOKEN.exec(userAgent)?.[0];
  if (token === undefined) {
    throw new UsageError(`no robots.txt product token in user agent ${JSON.stringify(userAgent)}`);
  }
  return token.toLowerCase();
}
