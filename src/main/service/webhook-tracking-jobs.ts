/** The JobService with webhook jobs tracked at creation (see WebhookDispatcher). */
import type { JobService } from '../../jobs/job-service.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';

/**
 * The JobService the API uses, with every job created through it that has a webhook
 * tracked by the dispatcher before the client hears of the job, however fast it finishes.
 */
export function webhookTrackingJobs(jobs: JobService, dispatcher: WebhookDispatcher): JobService {
  return {
    mode: jobs.mode,
    async create(input) {
      const job = await jobs.create(input);
      // The job exists now: failing the request would make the client create it twice.
      // The dispatcher's periodic scan tracks it if this failed.
      await dispatcher.track(job).catch(() => undefined);
      return job;
    },
    get: (id) => jobs.get(id),
    list: (query) => jobs.list(query),
    pause: (id) => jobs.pause(id),
    resume: (id) => jobs.resume(id),
    cancel: (id) => jobs.cancel(id),
    results: (id, query) => jobs.results(id, query),
    errorCounts: (id) => jobs.errorCounts(id),
    changeCounts: (id) => jobs.changeCounts(id),
    readiness: () => jobs.readiness(),
    close: () => jobs.close(),
  };
}
