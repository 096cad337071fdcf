/**
 * Where a job's screenshots and PDFs go: its spec's `artifacts` target (a directory or
 * `s3://bucket/prefix`), else the process's default, named as artifact-keys.ts says.
 */
import type { CrawlSpec } from '../config/crawl-spec.js';
import type { ArtifactSaver } from '../fetch/fetcher.js';
import type { ArtifactStore } from '../storage/artifacts/artifact-store.js';
import { artifactKeyOf } from '../storage/artifacts/artifact-keys.js';
import { openArtifactStore } from './artifact-store.js';

/** Where a worker keeps artifacts when neither the spec nor its config names a place. */
export const DEFAULT_ARTIFACTS_TARGET = 'trawl-data/artifacts';

export interface JobArtifacts {
  store: ArtifactStore;
  save: ArtifactSaver;
}

/** The job's artifact store and saver, or null when the job captures nothing. */
export function jobArtifacts(
  spec: CrawlSpec,
  jobId: string,
  defaultTarget: string,
): JobArtifacts | null {
  if (spec.screenshot === 'none' && !spec.pdf && !spec.errorScreenshots) return null;
  const store = openArtifactStore(spec.artifacts ?? defaultTarget);
  return {
    store,
    save: async (kind, url, body, contentType) =>
      (await store.put(artifactKeyOf(jobId, url, kind, contentType), body, contentType)).location,
  };
}
