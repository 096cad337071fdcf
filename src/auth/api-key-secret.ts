/**
 * The format of an API key and the hash stored for it. A key is `trawl_<id>_<secret>`:
 * the id (10 base62 characters) finds the row without a scan, the secret (32 random
 * bytes, base64url) is what proves possession. The stored hash is
 * `scrypt$N$r$p$<salt>$<hash>` with the parameters in the string, so they can be raised
 * later without invalidating existing keys.
 */
import { createHash, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

const PREFIX = 'trawl_';
const ID_LENGTH = 10;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_PATTERN = /^[0-9A-Za-z]{8,12}$/;
/** 32 bytes in base64url, no padding. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * N=2^14, r=8, p=1: about 50-60 ms of one core per hash on a 2024 server (the cost is the
 * point: a stolen hash cannot be brute-forced cheaply). That is far too slow for every
 * request, which is why verified keys are cached (createApiKeyStore).
 */
const SCRYPT = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

/** A new key id: 10 base62 characters (about 59 bits: ids do not collide in practice). */
export function newKeyId(): string {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += BASE62[randomInt(62)];
  return id;
}

/** A new secret: 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

export function formatKey(id: string, secret: string): string {
  return `${PREFIX}${id}_${secret}`;
}

/** The id and secret of a presented key, or null when it is not shaped like one. */
export function parseKey(key: string): { id: string; secret: string } | null {
  if (!key.startsWith(PREFIX)) return null;
  const rest = key.slice(PREFIX.length);
  // The id is base62 (no "_"); the secret is base64url and may contain "_".
  const sep = rest.indexOf('_');
  if (sep < 0) return null;
  const id = rest.slice(0, sep);
  const secret = rest.slice(sep + 1);
  return isKeyId(id) && SECRET_PATTERN.test(secret) ? { id, secret } : null;
}

export function isKeyId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** A short digest of a presented key: what the verification cache is keyed by (no secrets kept). */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** The stored form of a secret: `scrypt$N$r$p$<salt>$<hash>`. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(secret, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return [
    'scrypt',
    SCRYPT.N,
    SCRYPT.r,
    SCRYPT.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

/** Whether `secret` matches the stored hash (constant-time compare); false for a malformed hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a corrupted row from costing gigabytes or minutes.
  const sane =
    Number.isInteger(N) &&
    N >= 2 &&
    N <= 1_048_576 &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 32 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 16;
  if (!sane) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await derive(secret, salt, N, r, p, expected.length);
  return timingSafeEqual(actual, expected);
}

function derive(
  secret: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  length = KEY_BYTES,
): Promise<Buffer> {
  // Async: scrypt runs on libuv's thread pool, so the event loop keeps serving meanwhile.
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, { N, r, p, maxmem: 256 * N * r + 1_048_576 }, (err, key) =>
      err === null ? resolve(key) : reject(err),
    );
  });
}
