/**
 * What a failed S3 request tells its caller: S3's own error code (NoSuchBucket,
 * AccessDenied, SignatureDoesNotMatch...) as `code`, and a one-line message naming the
 * operation, bucket and key, never the raw XML body.
 */

/** Codes S3 documents as worth a retry (throttling, a node that failed or timed out). */
const RETRYABLE_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
]);

export class S3Error extends Error {
  /** S3's error code, `HTTP_<status>` when the response had none, or `NETWORK` when none came. */
  readonly code: string;
  /** The response status; undefined when no response came. */
  readonly status: number | undefined;
  readonly bucket: string;
  readonly key: string;
  /** True for throttling, 5xx and network failures: the same request may succeed later. */
  readonly retryable: boolean;

  constructor(
    operation: string,
    target: { bucket: string; key: string },
    code: string,
    status: number | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const what = status === undefined ? code : `${code} (HTTP ${status})`;
    super(
      `S3 ${operation} s3://${target.bucket}/${target.key} failed: ${what}${detail ? `: ${detail}` : ''}`,
      options,
    );
    this.name = 'S3Error';
    this.code = code;
    this.status = status;
    this.bucket = target.bucket;
    this.key = target.key;
    this.retryable =
      status === undefined || status >= 500 || status === 429 || RETRYABLE_CODES.has(code);
  }
}

/** The longest S3 message quoted in an error; the rest is cut. */
const MAX_DETAIL_CHARS = 300;

/**
 * The error for a response with status `status` and body `body` (S3's `<Error>` XML, or
 * nothing for a HEAD or a proxy's page). Only `<Code>` and `<Message>` are read.
 */
export function s3ErrorFromResponse(
  operation: string,
  target: { bucket: string; key: string },
  status: number,
  body: string,
): S3Error {
  const code = xmlText(body, 'Code');
  const message = xmlText(body, 'Message');
  const detail = message ?? (code === null ? statusText(status) : '');
  return new S3Error(
    operation,
    target,
    code !== null && /^[A-Za-z0-9.]{1,64}$/.test(code) ? code : `HTTP_${status}`,
    status,
    detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}...` : detail,
  );
}

/** The text of the first `<tag>` element in the `<Error>` document, entities decoded. */
function xmlText(xml: string, tag: string): string | null {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!match) return null;
  return (match[1] ?? '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(x[0-9a-fA-F]{1,6}|\d{1,7});/g, (entity, n: string) => {
      const point = n.startsWith('x') ? parseInt(n.slice(1), 16) : Number(n);
      return point <= 0x10ffff ? String.fromCodePoint(point) : entity;
    })
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function statusText(status: number): string {
  switch (status) {
    case 301:
    case 307:
      return 'the bucket is in another region or needs another endpoint';
    case 400:
      return 'bad request';
    case 403:
      return 'access denied';
    case 404:
      return 'not found';
    default:
      return status >= 500 ? 'server error' : '';
  }
}
