/**
 * Picks the artifact store for a target the user gave (a CLI flag, a job's spec): a
 * directory, or an S3-compatible bucket. The S3 adapter's credentials, region and endpoint
 * come from the environment, read here and nowhere else:
 *
 * | env | meaning | default |
 * |---|---|---|
 * | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` | the key pair (required for s3://) | |
 * | `AWS_SESSION_TOKEN` | for temporary credentials | none |
 * | `AWS_REGION` (else `AWS_DEFAULT_REGION`) | the signing region (`auto` for R2) | `us-east-1` |
 * | `TRAWL_S3_ENDPOINT` | a non-AWS service, e.g. `http://127.0.0.1:9000` | AWS |
 * | `TRAWL_S3_FORCE_PATH_STYLE` | `1`/`true` or `0`/`false` | on when an endpoint is set |
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { bucketNameProblem } from '../backends/s3/bucket-name.js';
import { normalisePrefix } from '../backends/s3/keys.js';
import { S3ArtifactStore } from '../backends/s3/s3-artifact-store.js';
import type { ArtifactStore } from '../storage/artifacts/artifact-store.js';
import { FsArtifactStore } from '../storage/artifacts/fs-artifact-store.js';

export type ArtifactTarget =
  /** An absolute directory. */
  | { kind: 'dir'; dir: string }
  /** A bucket, and a prefix without leading or trailing "/" ('' for none). */
  | { kind: 's3'; bucket: string; prefix: string };

/**
 * Reads `s3://bucket[/prefix]`, `file:///abs/dir` or a directory path (a relative one
 * resolves against the working directory).
 * @throws UsageError for an empty target, an unknown scheme, or a bad bucket or prefix
 */
export function parseArtifactTarget(target: string): ArtifactTarget {
  const text = target.trim();
  if (text === '')
    throw new UsageError('artifact target is empty: give a directory or s3://bucket');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme === 's3') return parseS3Target(text);
  if (scheme === 'file') {
    try {
      return { kind: 'dir', dir: fileURLToPath(text) };
    } catch (error) {
      throw new UsageError(`artifact target ${JSON.stringify(target)} is not a valid file: URL`, {
        cause: error,
      });
    }
  }
  // "C:\dir" has a one-letter "scheme"; anything longer followed by "//" is a URL we lack.
  if (scheme !== undefined && scheme.length > 1 && text.startsWith(`${scheme}://`, 0)) {
    throw new UsageError(
      `artifact target ${JSON.stringify(target)}: only s3:// URLs and directories are supported`,
    );
  }
  return { kind: 'dir', dir: resolve(text) };
}

function parseS3Target(target: string): ArtifactTarget {
  if (!/^s3:\/\//i.test(target)) {
    throw new UsageError(`artifact target ${JSON.stringify(target)}: write s3://bucket[/prefix]`);
  }
  const rest = target.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (bucket === '') {
    throw new UsageError(
      `artifact target ${JSON.stringify(target)} names no bucket: write s3://bucket[/prefix]`,
    );
  }
  const problem = bucketNameProblem(bucket);
  if (problem !== null) {
    throw new UsageError(
      `artifact target ${JSON.stringify(target)}: bucket name ${JSON.stringify(bucket)} is not valid: ${problem}`,
    );
  }
  try {
    return { kind: 's3', bucket, prefix: normalisePrefix(slash < 0 ? '' : rest.slice(slash + 1)) };
  } catch (error) {
    throw new UsageError(`artifact target ${JSON.stringify(target)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * The artifact store for `target` (see parseArtifactTarget). Opens nothing yet: the
 * directory is made on the first put, the bucket's connections on the first request.
 * The caller owns the store and closes it.
 * @throws UsageError for a bad target, or for s3:// without credentials or with a bad endpoint
 */
export function openArtifactStore(
  target: string,
  env: NodeJS.ProcessEnv = process.env,
): ArtifactStore {
  const parsed = parseArtifactTarget(target);
  if (parsed.kind === 'dir') return new FsArtifactStore(parsed.dir);
  const where = `s3://${parsed.bucket}`;
  const accessKeyId = required(env, 'AWS_ACCESS_KEY_ID', where);
  const secretAccessKey = required(env, 'AWS_SECRET_ACCESS_KEY', where);
  const sessionToken = optional(env, 'AWS_SESSION_TOKEN');
  return new S3ArtifactStore({
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    region: optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    endpoint: endpointFrom(env),
    forcePathStyle: flag(env, 'TRAWL_S3_FORCE_PATH_STYLE'),
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
  });
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: NodeJS.ProcessEnv, name: string, where: string): string {
  const value = optional(env, name);
  if (value === undefined) {
    throw new UsageError(`artifact store ${where} needs credentials: set ${name}`);
  }
  return value;
}

function endpointFrom(env: NodeJS.ProcessEnv): string | undefined {
  const value = optional(env, 'TRAWL_S3_ENDPOINT');
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new UsageError(`TRAWL_S3_ENDPOINT=${JSON.stringify(value)} is not a URL`, {
      cause: error,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `TRAWL_S3_ENDPOINT=${JSON.stringify(value)} must be an http: or https: URL`,
    );
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = optional(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new UsageError(`${name}=${JSON.stringify(value)}: use 1, true, 0 or false`);
}
