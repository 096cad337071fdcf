/**
 * Sends the webhooks of jobs whose meta has one (`meta.webhook`, see webhook-spec.ts):
 * `started` once the job runs, one `page` per stored page, then `completed` or `failed`
 * (cancelled too, as Firecrawl does), in that order per job, each signed and retried
 * (deliver-event.ts). It reads jobs only through the JobService, so it works the same in
 * both modes, and keeps each job's progress in the webhook store, leased, so a restart
 * carries on where it stopped and two serving processes never send a job's events twice.
 *
 * Jobs are tracked when created (webhookTrackingJobs wraps the JobService's create) and
 * found by a periodic scan of unfinished jobs (jobs created by another process). Every
 * `pollMs` the dispatcher renews its leases, takes jobs whose lease ran out, and runs a
 * pass over each job (at most `concurrency` jobs at once): the events that became due
 * since the last pass. Delivery is at least once: an event whose answer was lost to a
 * crash is sent again; its deliveryId stays the same, so receivers can drop repeats.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { jobView, pageView } from '../../api/routes/jobs/job-view.js';
import type { PageRecord } from '../../core/types.js';
import { isFinalState, type JobInfo, type JobService } from '../../jobs/job-service.js';
import { deliverEvent, type DeliveryOutcome, type PostFn } from '../../webhooks/deliver-event.js';
import type { DeliveryProgress, WebhookStore } from '../../webhooks/delivery-log.js';
import { wireEvent } from '../../webhooks/webhook-payload.js';
import { webhookRequest } from '../../webhooks/webhook-request.js';
import {
  PAGE_EVENTS,
  pageEventMatches,
  readWebhookSpec,
  type WebhookEvent,
  type WebhookSpec,
} from '../../webhooks/webhook-spec.js';

export interface WebhookDispatcherOptions {
  jobs: JobService;
  store: WebhookStore;
  post: PostFn;
  classifyError(err: unknown): { retryable: boolean; message: string };
  /** Signs the jobs created without an API key; null: those are refused at creation. */
  serviceSecret: string | null;
  log: Logger;
  /** Attempts per event (config.webhookMaxAttempts). */
  maxAttempts: number;
  /** Wait before the 2nd attempt, doubling after, ms. @default 1000 */
  baseDelayMs?: number;
  /** Longest wait between attempts, Retry-After included, ms. @default 60000 */
  maxDelayMs?: number;
  /** How often jobs are looked at, ms. @default 500 */
  pollMs?: number;
  /** How often unfinished jobs are scanned for webhooks not tracked yet, ms. @default 60000 */
  discoverEveryMs?: number;
  /** How long a job stays this dispatcher's without renewal (a crashed one's pass on after it), ms. @default 30000 */
  leaseMs?: number;
  /** Jobs delivering at once (each job's events go one at a time, in order). @default 8 */
  concurrency?: number;
  /** Pages read per results query. @default 100 */
  batchSize?: number;
  /** Events failed for good in a row after which a job's remaining events are abandoned. @default 10 */
  abandonAfterFailures?: number;
}

/** Thrown inside a pass when the dispatcher stops or loses the job's lease. */
class PassEnded extends Error {}

/** Thrown inside a pass when the receiver failed too many events in a row. */
class Abandoned extends PassEnded {}

export class WebhookDispatcher {
  private readonly owner = randomUUID();
  private readonly stopping = new AbortController();
  private readonly passes = new Map<string, Promise<void>>();
  /** Consecutive events failed for good, per job (reset by a delivery). */
  private readonly failures = new Map<string, number>();
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** A wake-up asked for while no sleep was under way: the next sleep is skipped. */
  private poked = false;
  private lastDiscovery = 0;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  private get leaseMs(): number {
    return this.options.leaseMs ?? 30_000;
  }

  /** Starts the loop (idempotent). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Tracks a job that has a webhook: its events start with the next pass, at once. */
  async track(job: JobInfo): Promise<void> {
    if (readWebhookSpec(job.meta) === null) return;
    await this.options.store.track(job.id, this.owner, this.leaseMs);
    this.poke();
  }

  private poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Stops: attempts under way finish, nothing new starts, the leases are released. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.poke();
    await this.loop;
    await Promise.allSettled([...this.passes.values()]);
    await this.options.store
      .release(this.owner)
      .catch((err: unknown) => this.options.log.warn({ err }, 'releasing webhook leases failed'));
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (err) {
        this.options.log.error({ err }, 'webhook dispatch failed; retrying');
      }
      if (this.poked) {
        this.poked = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs ?? 500);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
      this.poked = false;
    }
  }

  private async tick(): Promise<void> {
    const { store } = this.options;
    if (this.stopping.signal.aborted) return;
    if (Date.now() - this.lastDiscovery >= (this.options.discoverEveryMs ?? 60_000)) {
      this.lastDiscovery = Date.now();
      await this.discover();
    }
    const free = (this.options.concurrency ?? 8) - this.passes.size;
    // Renewing every tick keeps the leases of jobs with a pass under way too.
    const mine = (await store.renew(this.owner, this.leaseMs)).filter(
      (p) => !this.passes.has(p.jobId),
    );
    if (mine.length < free) {
      mine.push(...(await store.take(this.owner, this.leaseMs, free - mine.length)));
    }
    for (const progress of mine.slice(0, Math.max(0, free))) {
      const id = progress.jobId;
      const pass = this.pass(progress)
        .then(
          (busy) => busy,
          (err: unknown) => {
            if (!(err instanceof PassEnded)) {
              this.options.log.warn({ err, job: id }, 'webhook pass failed; retrying');
            }
            return false;
          },
        )
        .then((busy) => {
          this.passes.delete(id);
          // It sent something: more may be due already (pages stored meanwhile).
          if (busy) this.poke();
        });
      this.passes.set(id, pass);
    }
  }

  /** Tracks unfinished jobs with a webhook that nothing tracks (created elsewhere). */
  private async discover(): Promise<void> {
    const jobs = await this.options.jobs.list({
      states: ['queued', 'running', 'paused'],
      limit: 1_000,
    });
    for (const job of jobs) {
      if (readWebhookSpec(job.meta) !== null) {
        await this.options.store.track(job.id, this.owner, this.leaseMs);
      }
    }
  }

  /** Sends what became due for one job since its last pass; true when it sent anything and the job is not done. */
  private async pass(progress: DeliveryProgress): Promise<boolean> {
    const { jobs, store } = this.options;
    const p: DeliveryProgress = { ...progress, sent: [...progress.sent] };
    // Read before the results: a job final now has all its results stored, so draining
    // them below leaves no page behind its completed event.
    const job = await jobs.get(p.jobId);
    const spec = job === null ? null : readWebhookSpec(job.meta);
    if (job === null || spec === null) {
      await store.save(this.owner, p, true);
      return false;
    }
    const secret =
      spec.keyId === null ? this.options.serviceSecret : await store.keySecret(spec.keyId);
    let sent = 0;
    const send = async (event: WebhookEvent, page?: PageRecord): Promise<void> => {
      sent++;
      await this.send(job, spec, secret, event, page);
    };
    const save = async (done = false): Promise<void> => {
      if (!(await store.save(this.owner, p, done))) throw new PassEnded('lease lost');
    };
    try {
      return await this.events(job, spec, p, send, save).then((done) => !done && sent > 0);
    } catch (err) {
      if (!(err instanceof Abandoned)) throw err;
      await save(true);
      this.failures.delete(job.id);
      return false;
    }
  }

  /** The events due, in order; true when the job's last event is handled. */
  private async events(
    job: JobInfo,
    spec: WebhookSpec,
    p: DeliveryProgress,
    send: (event: WebhookEvent, page?: PageRecord) => Promise<void>,
    save: (done?: boolean) => Promise<void>,
  ): Promise<boolean> {
    if (!p.sent.includes('started') && (job.startedAt !== null || isFinalState(job.state))) {
      // A job that failed before it ever ran gets no started event.
      if (job.startedAt !== null && spec.events.includes('started')) await send('started');
      p.sent.push('started');
      await save();
    }
    const pageEvents = PAGE_EVENTS.filter((e) => spec.events.includes(e));
    if (pageEvents.length > 0) await this.sendPages(job, p, pageEvents, send, save);
    if (isFinalState(job.state)) {
      const event = job.state === 'completed' ? 'completed' : 'failed';
      if (!p.sent.includes(event)) {
        if (spec.events.includes(event)) await send(event);
        p.sent.push(event);
      }
      await save(true);
      this.failures.delete(job.id);
      return true;
    }
    return false;
  }

  private async sendPages(
    job: JobInfo,
    p: DeliveryProgress,
    events: WebhookEvent[],
    send: (event: WebhookEvent, page?: PageRecord) => Promise<void>,
    save: () => Promise<void>,
  ): Promise<void> {
    const batchSize = this.options.batchSize ?? 100;
    for (;;) {
      const { pages, last } = await this.options.jobs.results(job.id, {
        limit: batchSize,
        ...(p.pagePosition === null ? {} : { after: p.pagePosition }),
      });
      for (let i = p.pageOffset; i < pages.length; i++) {
        const page = pages[i]!;
        for (const event of events) {
          if (pageEventMatches(event, page.fields?.change)) await send(event, page);
        }
        p.pageOffset = i + 1;
        await save();
      }
      if (last !== null) {
        p.pagePosition = last;
        p.pageOffset = 0;
        await save();
      }
      if (pages.length < batchSize) return;
    }
  }

  /** Delivers one event; throws PassEnded when stopping or abandoning the job. */
  private async send(
    job: JobInfo,
    spec: WebhookSpec,
    secret: string | null,
    event: WebhookEvent,
    page?: PageRecord,
  ): Promise<void> {
    const { store, log } = this.options;
    const signal = this.stopping.signal;
    if (signal.aborted) throw new PassEnded('stopping');
    const wire = wireEvent(spec.flavor, job.kind, event);
    let outcome: DeliveryOutcome = 'failed';
    if (secret === null) {
      await store.append({
        jobId: job.id,
        event: wire,
        url: spec.url,
        attempt: 0,
        status: 'failed',
        httpStatus: null,
        error: `no signing secret: API key ${spec.keyId ?? '(none)'} no longer exists`,
        durationMs: null,
        createdAt: Date.now(),
      });
    } else {
      const req = webhookRequest({
        spec,
        jobId: job.id,
        kind: job.kind,
        event,
        ...(page === undefined ? {} : { page }),
        data: page === undefined ? jobView(job) : pageView(page, null, false),
        error: job.state === 'cancelled' ? 'the job was cancelled' : job.error,
        secret,
      });
      outcome = await deliverEvent(
        { ...req, jobId: job.id },
        {
          post: this.options.post,
          classifyError: this.options.classifyError,
          log: store,
          maxAttempts: this.options.maxAttempts,
          backoff: {
            baseDelayMs: this.options.baseDelayMs ?? 1_000,
            maxDelayMs: this.options.maxDelayMs ?? 60_000,
          },
          signal,
        },
      );
    }
    if (outcome === 'stopped') throw new PassEnded('stopping');
    if (outcome === 'delivered') {
      this.failures.delete(job.id);
      return;
    }
    const failed = (this.failures.get(job.id) ?? 0) + 1;
    this.failures.set(job.id, failed);
    const limit = this.options.abandonAfterFailures ?? 10;
    if (failed < limit) return;
    log.warn({ job: job.id, url: spec.url }, 'webhook receiver keeps failing: events abandoned');
    await store.append({
      jobId: job.id,
      event: wire,
      url: spec.url,
      attempt: 0,
      status: 'abandoned',
      httpStatus: null,
      error: `${failed} events in a row failed: no further events of this job are sent`,
      durationMs: null,
      createdAt: Date.now(),
    });
    throw new Abandoned('abandoned');
  }
}
