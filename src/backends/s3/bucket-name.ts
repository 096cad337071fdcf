/**
 * S3's naming rules for general-purpose buckets, checked before any request so that a typo
 * in `s3://...` is reported as such, not as a signature or DNS failure.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */

/** Prefixes and suffixes S3 reserves (access points, Object Lambda, directory buckets...). */
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why `name` is not a valid bucket name, or null when it is. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'it must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) {
    return 'it may hold only lowercase letters, digits, "." and "-"';
  }
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'it must begin and end with a letter or digit';
  if (name.includes('..')) return 'it must not hold two adjacent "."';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'it must not look like an IP address';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `the prefix "${prefix}" is reserved`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `the suffix "${suffix}" is reserved`;
  return null;
}

/** Throws a clear error when `name` is not a valid S3 bucket name. */
export function checkBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== null) {
    throw new Error(`S3 bucket name ${JSON.stringify(name)} is not valid: ${problem}`);
  }
}
