/**
 * The S3 adapter of the artifact-store port, for any S3-compatible service: AWS S3, MinIO,
 * Cloudflare R2, Ceph RGW, and the like.
 *
 * Why aws4 + undici rather than @aws-sdk/client-s3: the adapter makes two calls, PutObject
 * and GetObject, each one signed HTTP request. The SDK (engines: node >=20) would add 26
 * packages and 22 MB to the install for them, with its own HTTP stack, retry and credential
 * chain (which reads env and ~/.aws itself, where Trawl reads env once, in main/). aws4 is
 * the long-standing SigV4 signer (MIT, two small files, no dependencies, no engines limit), and
 * undici 7, already Trawl's HTTP client, sends the request. What the SDK would also give us
 * and is kept here, small: retries with backoff on throttling, 5xx and network failures, and
 * S3's error code in the error. Bodies are sent in one PUT (S3 takes up to 5 GB so): an
 * artifact is a screenshot or a PDF, not a multipart-sized upload.
 *
 * Every request is signed with the payload's SHA-256 (x-amz-content-sha256), so the service
 * refuses a body that arrives altered; a put resolves only on the service's 2xx.
 */
import aws4 from 'aws4';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import {
  checkArtifactKey,
  type ArtifactStore,
  type StoredArtifact,
} from '../../storage/artifacts/artifact-store.js';
import {
  bucketAddress,
  normalisePrefix,
  objectKey,
  s3Location,
  type BucketAddress,
} from './keys.js';
import { S3Error, s3ErrorFromResponse } from './s3-error.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** For temporary credentials (STS, SSO). */
  sessionToken?: string;
}

export interface S3ArtifactStoreOptions {
  /** Checked against S3's naming rules. */
  bucket: string;
  /** Key prefix inside the bucket, e.g. `crawls/2026`; leading and trailing "/" dropped. @default '' */
  prefix?: string;
  /** The region requests are signed for (`auto` for R2). @default 'us-east-1' */
  region?: string;
  /** The service's base URL, e.g. `http://127.0.0.1:9000`. @default AWS's endpoint of `region` */
  endpoint?: string;
  /**
   * `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`.
   * @default true when `endpoint` is given (MinIO, Ceph and most self-hosted services need it), else false
   */
  forcePathStyle?: boolean;
  credentials: S3Credentials;
  /** Deadline for a response's headers, and for each pause in its body, in ms. @default 30_000 */
  timeoutMs?: number;
  /** Tries per request when a failure may pass (throttling, 5xx, network). @default 3 */
  maxAttempts?: number;
}

/** The first retry waits about this long; each later one waits twice as long. */
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2_000;
const FALLBACK_TYPE = 'application/octet-stream';

interface Exchange {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

export class S3ArtifactStore implements ArtifactStore {
  readonly bucket: string;
  /** Normalised: no leading or trailing "/", '' for none. */
  readonly prefix: string;
  private readonly region: string;
  private readonly address: BucketAddress;
  private readonly credentials: S3Credentials;
  private readonly maxAttempts: number;
  private readonly agent: Agent;
  private closed = false;

  /** Validates the options and builds (does not open) the connection pool. */
  constructor(options: S3ArtifactStoreOptions) {
    const { credentials } = options;
    if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
      throw new Error('S3 artifact store: credentials need an accessKeyId and a secretAccessKey');
    }
    this.bucket = options.bucket;
    this.prefix = normalisePrefix(options.prefix ?? '');
    this.region = options.region ?? 'us-east-1';
    this.address = bucketAddress({
      bucket: options.bucket,
      region: this.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
    });
    this.credentials = { ...credentials };
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.agent = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<StoredArtifact> {
    checkArtifactKey(key);
    checkContentType(contentType);
    const name = objectKey(this.prefix, key);
    // A view, not a copy: aws4 hashes it and undici sends it as it is.
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    await this.call('put', 'PUT', name, { body: bytes, contentType });
    return {
      key,
      location: s3Location(this.bucket, name),
      bytes: bytes.byteLength,
      contentType,
    };
  }

  async get(key: string): Promise<{ body: Buffer; contentType: string } | null> {
    checkArtifactKey(key);
    try {
      const response = await this.call('get', 'GET', objectKey(this.prefix, key));
      return { body: response.body, contentType: response.contentType ?? FALLBACK_TYPE };
    } catch (error) {
      // A missing bucket is a setup error and is thrown; only a missing key reads as none.
      if (error instanceof S3Error && (error.code === 'NoSuchKey' || error.code === 'HTTP_404')) {
        return null;
      }
      throw error;
    }
  }

  /** Waits for the requests in flight, then closes the connections. Later calls throw. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  /** One S3 operation: a 2xx response, or the S3Error of the last try. */
  private async call(
    operation: string,
    method: 'GET' | 'PUT',
    name: string,
    payload?: { body: Buffer; contentType: string },
  ): Promise<Exchange> {
    if (this.closed) throw new Error(`S3 artifact store s3://${this.bucket} is closed`);
    const target = { bucket: this.bucket, key: name };
    let failure: S3Error | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (failure !== undefined) await sleep(backoffMs(attempt));
      let response: Exchange;
      try {
        response = await this.exchange(method, name, payload);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        failure = new S3Error(operation, target, 'NETWORK', undefined, detail, { cause: error });
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      failure = s3ErrorFromResponse(
        operation,
        target,
        response.status,
        response.body.toString('utf8'),
      );
      if (!failure.retryable) break;
    }
    throw failure;
  }

  /** Signs and sends one request (signed anew each try: the signature carries the time). */
  private async exchange(
    method: 'GET' | 'PUT',
    name: string,
    payload?: { body: Buffer; contentType: string },
  ): Promise<Exchange> {
    const path = `${this.address.basePath}/${name}`;
    const signed = aws4.sign(
      {
        method,
        host: this.address.host,
        path,
        service: 's3',
        region: this.region,
        headers: payload ? { 'Content-Type': payload.contentType } : {},
        ...(payload ? { body: payload.body } : {}),
      },
      this.credentials,
    );
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(signed.headers ?? {})) {
      if (value !== undefined) headers[header] = String(value);
    }
    const response = await request(`${this.address.origin}${path}`, {
      method,
      headers,
      body: payload?.body,
      dispatcher: this.agent,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    const contentType = response.headers['content-type'];
    return {
      status: response.statusCode,
      contentType: Array.isArray(contentType) ? contentType[0] : contentType,
      body,
    };
  }
}

/** Exponential, with jitter so that many workers throttled at once do not retry in step. */
function backoffMs(attempt: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 2));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** S3 stores the type as a header: printable ASCII, no line breaks. */
function checkContentType(contentType: string): void {
  if (!/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(contentType)) {
    throw new Error(
      `artifact content type ${JSON.stringify(contentType)} is not valid: use printable ASCII, e.g. "image/png"`,
    );
  }
}
