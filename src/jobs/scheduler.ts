/**
 * Schedules of `trawl serve`: what the API asks of them (create, read, change, delete,
 * fire now, list their jobs) and the loop that fires them on time.
 *
 * The loop polls the store for due schedules (every `tickMs`), not one timer per schedule,
 * so a restart or several serve processes need no coordination beyond the store's claim:
 * each due fire is claimed with a compare-and-set on its due time, and only the process
 * whose claim matched creates the job. The next fire is computed from now, not from the
 * missed slot: fires missed while the service was down run once at start (catch-up), not
 * once per missed slot. A process that dies between its claim and the job's creation loses
 * that one fire (at most once, never twice).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CrawlSpec } from '../config/crawl-spec.js';
import { isFinalState, type JobInfo, type JobService } from './job-service.js';
import { checkCron, nextRunAfter } from './schedule-cron.js';
import type {
  Schedule,
  ScheduleListQuery,
  ScheduleOverlap,
  ScheduleStore,
} from './schedule-store.js';

export interface NewSchedule {
  cron: string;
  /** @default 'UTC' */
  timezone?: string;
  /** Already validated (clientSpec). */
  spec: CrawlSpec;
  /** Each job's meta besides `schedule` (the client's webhook). */
  meta?: Record<string, unknown>;
  /** @default true */
  enabled?: boolean;
  /** @default 'skip' */
  overlap?: ScheduleOverlap;
}

export interface ScheduleChange {
  enabled?: boolean;
  cron?: string;
  timezone?: string;
}

/** What the API uses (AppDeps.schedules). Cron and time zone errors are ScheduleInputError. */
export interface ScheduleService {
  create(input: NewSchedule): Promise<Schedule>;
  get(id: string): Promise<Schedule | null>;
  list(query: ScheduleListQuery): Promise<Schedule[]>;
  /** null when no such schedule. */
  update(id: string, change: ScheduleChange): Promise<Schedule | null>;
  delete(id: string): Promise<boolean>;
  /** Fires now, whatever the overlap setting (a client asked); null when no such schedule. */
  run(id: string): Promise<JobInfo | null>;
  /** Its jobs, newest first; null when no such schedule. */
  jobs(id: string, query: ScheduleListQuery): Promise<JobInfo[] | null>;
}

/** Loop settings that are not runtime config (tests drive the clock). */
export interface SchedulerTuning {
  /** How often due schedules are looked for, ms; 0: never (tests call tick()). @default 1000 */
  tickMs?: number;
  /** The scheduler's clock, epoch ms. @default Date.now */
  now?: () => number;
}

export interface SchedulerOptions extends SchedulerTuning {
  store: ScheduleStore;
  jobs: JobService;
  /** The SSRF guard set on every job's spec at fire time (the current policy, not the one at creation). */
  guard: CrawlSpec['addressGuard'];
  log: Logger;
}

/** Most due schedules fired per tick; the rest wait for the next one. */
const TICK_BATCH = 100;
/** How many of a schedule's latest jobs are looked through for the last completed one. */
const BASELINE_LOOKBACK = 50;

export class Scheduler implements ScheduleService {
  private readonly tickMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly options: SchedulerOptions) {
    this.tickMs = options.tickMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.tickMs > 0) this.schedule(0);
  }

  /** Stops the loop; a tick under way finishes first. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick()
        .then(() => undefined)
        .catch((err: unknown) => this.options.log.error({ err }, 'schedule tick failed'))
        .finally(() => {
          this.ticking = null;
          if (!this.stopped) this.schedule(this.tickMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Fires every due schedule this process claims; resolves to the jobs created. */
  async tick(): Promise<number> {
    const { store, log } = this.options;
    const now = this.now();
    let created = 0;
    for (const s of await store.due(now, TICK_BATCH)) {
      if (this.stopped && this.tickMs > 0) break;
      const next = nextRunAfter(s.cron, s.timezone, now);
      if (!(await store.claim(s.id, s.nextRunAt!, next, now))) continue;
      try {
        if ((await this.fire(s, false)) !== null) created++;
      } catch (err) {
        log.error({ err, scheduleId: s.id }, 'scheduled job not created');
      }
    }
    return created;
  }

  async create(input: NewSchedule): Promise<Schedule> {
    const timezone = input.timezone ?? 'UTC';
    const now = this.now();
    checkCron(input.cron, timezone, now);
    const schedule: Schedule = {
      id: randomUUID(),
      cron: input.cron,
      timezone,
      enabled: input.enabled ?? true,
      overlap: input.overlap ?? 'skip',
      spec: input.spec,
      meta: input.meta ?? {},
      nextRunAt: nextRunAfter(input.cron, timezone, now),
      lastRunAt: null,
      lastJobId: null,
      createdAt: now,
      runs: 0,
      skipped: 0,
    };
    await this.options.store.insert(schedule);
    return schedule;
  }

  get(id: string): Promise<Schedule | null> {
    return this.options.store.get(id);
  }

  list(query: ScheduleListQuery): Promise<Schedule[]> {
    return this.options.store.list(query);
  }

  async update(id: string, change: ScheduleChange): Promise<Schedule | null> {
    const current = await this.options.store.get(id);
    if (current === null) return null;
    const cron = change.cron ?? current.cron;
    const timezone = change.timezone ?? current.timezone;
    const now = this.now();
    checkCron(cron, timezone, now);
    // Counted from now: re-enabling does not catch up on the fires of the disabled time.
    return this.options.store.update(id, {
      ...change,
      nextRunAt: nextRunAfter(cron, timezone, now),
    });
  }

  delete(id: string): Promise<boolean> {
    return this.options.store.delete(id);
  }

  async run(id: string): Promise<JobInfo | null> {
    const schedule = await this.options.store.get(id);
    return schedule === null ? null : this.fire(schedule, true);
  }

  async jobs(id: string, query: ScheduleListQuery): Promise<JobInfo[] | null> {
    if ((await this.options.store.get(id)) === null) return null;
    const ids = await this.options.store.jobIds(id, query);
    const jobs = await Promise.all(ids.map((jobId) => this.options.jobs.get(jobId)));
    return jobs.filter((j): j is JobInfo => j !== null);
  }

  /** Creates the fire's job, or null when the overlap setting skips it (recorded). */
  private async fire(s: Schedule, manual: boolean): Promise<JobInfo | null> {
    const { store, jobs, log } = this.options;
    if (!manual && s.overlap === 'skip' && s.lastJobId !== null) {
      const last = await jobs.get(s.lastJobId);
      if (last !== null && !isFinalState(last.state)) {
        await store.recordSkip(s.id);
        log.info(
          { scheduleId: s.id, jobId: last.id },
          'schedule fire skipped: previous job not final',
        );
        return null;
      }
    }
    const previousJobId = await this.lastCompletedJob(s.id);
    const spec = withBaseline({ ...s.spec, addressGuard: this.options.guard }, previousJobId);
    const job = await jobs.create({
      spec,
      kind: 'crawl',
      meta: { ...s.meta, schedule: { id: s.id, previousJobId } },
    });
    await store.recordRun(s.id, job.id, this.now());
    log.info({ scheduleId: s.id, jobId: job.id, manual }, 'schedule fired');
    return job;
  }

  /** The schedule's newest completed job: the baseline of an incremental recrawl. */
  private async lastCompletedJob(id: string): Promise<string | null> {
    const ids = await this.options.store.jobIds(id, { limit: BASELINE_LOOKBACK });
    for (const jobId of ids) {
      const job = await this.options.jobs.get(jobId);
      if (job?.state === 'completed') return job.id;
    }
    return null;
  }
}

/**
 * A fire's spec with its baseline: the schedule's previous completed job, which the
 * recrawl is compared against (conditional requests, change labels). The first fire
 * keeps the baseline the schedule was created with, if any.
 */
export function withBaseline(spec: CrawlSpec, previousJobId: string | null): CrawlSpec {
  return previousJobId === null ? spec : { ...spec, baseline: { jobId: previousJobId } };
}
