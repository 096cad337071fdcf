/**
 * Every name the S3 adapter builds, in one place: the object key of an artifact (the
 * store's prefix, then its key), its `s3://` location, and the URL a request goes to
 * (virtual-hosted or path-style).
 */
import { checkArtifactKey } from '../../storage/artifacts/artifact-store.js';
import { checkBucketName } from './bucket-name.js';

/**
 * The prefix as the adapter uses it: no leading or trailing "/", '' for none. It obeys the
 * key rules, so a prefix cannot smuggle in characters that would need URL encoding.
 */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  try {
    checkArtifactKey(trimmed);
  } catch (error) {
    throw new Error(
      `S3 prefix ${JSON.stringify(prefix)} is not valid: use [A-Za-z0-9._/-], no "." or ".." segments, no "//"`,
      { cause: error },
    );
  }
  return trimmed;
}

/** The object key of artifact `key` under a normalised `prefix`. */
export function objectKey(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}/${key}`;
}

/** `s3://bucket/prefix/key`, as records name the artifact. */
export function s3Location(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export interface BucketAddressOptions {
  bucket: string;
  region: string;
  /** e.g. `http://127.0.0.1:9000`; AWS's regional endpoint when absent. */
  endpoint?: string;
  /** @default true when `endpoint` is given, else false */
  forcePathStyle?: boolean;
}

/** Where a bucket's objects are: `origin + basePath + '/' + objectKey`. */
export interface BucketAddress {
  /** `https://bucket.s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`. */
  origin: string;
  /** The Host header (and so the signed host): host[:port] of `origin`. */
  host: string;
  /** '' (virtual-hosted) or `/bucket` (path-style), after any path of the endpoint. */
  basePath: string;
}

export function bucketAddress(options: BucketAddressOptions): BucketAddress {
  const { bucket, region } = options;
  checkBucketName(bucket);
  const base = new URL(options.endpoint ?? defaultEndpoint(region));
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`S3 endpoint ${JSON.stringify(options.endpoint)} must be http: or https:`);
  }
  if (base.search !== '' || base.hash !== '' || base.username !== '' || base.password !== '') {
    throw new Error(
      `S3 endpoint ${JSON.stringify(options.endpoint)} must not carry a query, fragment or user`,
    );
  }
  const endpointPath = base.pathname.replace(/\/+$/, '');
  // A dotted bucket name breaks TLS under virtual hosting (the wildcard certificate covers
  // one label), so it goes path-style over https, as the AWS SDKs do.
  const pathStyle =
    options.forcePathStyle ??
    (options.endpoint !== undefined || (bucket.includes('.') && base.protocol === 'https:'));
  if (pathStyle) {
    return { origin: base.origin, host: base.host, basePath: `${endpointPath}/${bucket}` };
  }
  const host = `${bucket}.${base.host}`;
  return { origin: `${base.protocol}//${host}`, host, basePath: endpointPath };
}

/** AWS's regional endpoint (China's regions live under amazonaws.com.cn). */
function defaultEndpoint(region: string): string {
  if (!/^[a-z0-9-]+$/.test(region)) {
    throw new Error(`S3 region ${JSON.stringify(region)} is not valid, e.g. "eu-west-1"`);
  }
  return `https://s3.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}
