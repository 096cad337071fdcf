/**
 * Webhook signatures: `sha256=<hex HMAC-SHA256 of the raw body>` with the secret of the
 * job's API key (or the service's), the format Firecrawl uses in X-Firecrawl-Signature,
 * so one verifier serves both. Receivers must verify over the raw bytes received, before
 * parsing: re-serialised JSON need not match byte for byte.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header value for `body` signed with `secret`. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `signature` (a header value) is `body` signed with `secret`, in constant time. */
export function verifySignature(
  secret: string,
  body: string | Buffer,
  signature: string | undefined,
): boolean {
  if (signature === undefined) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
