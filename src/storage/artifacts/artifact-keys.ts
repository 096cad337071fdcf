/**
 * How a job's artifacts are named in a store: `<job folder>/<sha1 of URL>-<kind>.<ext>`,
 * so a retried page replaces its own file, two pages never share one, and a reader can
 * find a job's artifact from the file name a record's location ends with.
 */
import { createHash } from 'node:crypto';

export type ArtifactKind = 'screenshot' | 'pdf' | 'errorScreenshot';

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'application/pdf': 'pdf' };

/** The folder of a job's artifacts (its id, made a safe key segment). */
export function artifactFolder(jobId: string): string {
  return jobId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'job';
}

/** The store key of a page's artifact of `kind`. */
export function artifactKeyOf(
  jobId: string,
  url: string,
  kind: ArtifactKind,
  contentType: string,
): string {
  const hash = createHash('sha1').update(url).digest('hex');
  return `${artifactFolder(jobId)}/${hash}-${kind}.${EXTENSIONS[contentType] ?? 'bin'}`;
}

/** An artifact's file name in its job's folder. */
export const ARTIFACT_FILE = /^[0-9a-f]{40}-(?:screenshot|pdf|errorScreenshot)\.(?:png|pdf)$/;

/** The file name of an artifact from its location (for links to it), or null. */
export function artifactFile(location: string): string | null {
  const name = location.slice(location.lastIndexOf('/') + 1);
  return ARTIFACT_FILE.test(name) ? name : null;
}
