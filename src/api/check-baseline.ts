/** A client's `baseline` (an incremental recrawl) must name a crawl job of this service that has finished. */
import type { CrawlSpec } from '../config/crawl-spec.js';
import { isFinalState, type JobService } from '../jobs/job-service.js';
import { ApiError } from './api-error.js';

export async function checkBaseline(
  jobs: JobService,
  spec: CrawlSpec,
  field: string,
): Promise<void> {
  if (spec.baseline === null) return;
  const { jobId } = spec.baseline;
  const job = await jobs.get(jobId);
  if (job === null || job.kind !== 'crawl') {
    throw new ApiError('invalid_request', `${field}: no crawl job ${jobId}`, { field });
  }
  if (!isFinalState(job.state)) {
    throw new ApiError(
      'invalid_request',
      `${field}: job ${jobId} is ${job.state}; a baseline must have finished`,
      { field },
    );
  }
}
