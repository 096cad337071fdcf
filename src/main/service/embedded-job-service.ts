/**
 * The job service of the embedded default: jobs crawl in this process, each on its own
 * SQLite database in `<dataDir>/jobs/<id>/` (the same crawl `trawl crawl --data-dir`
 * runs, so a job's directory can be exported or resumed from the CLI too), listed in
 * `<dataDir>/service.db`.
 *
 * At most `maxRunningJobs` crawl at once; the others wait, oldest first. Pausing drains
 * a job's requests in flight and keeps its frontier; resuming reopens it where it
 * stopped. A job that was running when the process died is queued again at the next
 * start and resumes from its database, as `trawl crawl` does after a crash.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PageChange } from '../../core/types.js';
import { parseCrawlSpec } from '../../config/parse-spec.js';
import type { CrawlSpec, CrawlSpecInput } from '../../config/crawl-spec.js';
import {
  JobNotFoundError,
  JobStateError,
  isFinalState,
  type CreateJobInput,
  type JobCounts,
  type JobInfo,
  type JobResults,
  type JobResultsQuery,
  type JobService,
  type JobState,
  type ListJobsQuery,
} from '../../jobs/job-service.js';
import type { JobRecord, JobRegistry } from '../../jobs/job-registry.js';
import { noChanges, type PageStore } from '../../storage/page-store.js';
import { DATABASE_FILE, openSqliteDatabase } from '../../backends/sqlite/sqlite-database.js';
import { createSqlitePageStore } from '../../backends/sqlite/sqlite-page-store.js';
import {
  openServiceDatabase,
  type ServiceDatabase,
} from '../../backends/sqlite/service-database.js';
import { createSqliteJobRegistry } from '../../backends/sqlite/sqlite-job-registry.js';
import { openEmbeddedCrawl, type EmbeddedCrawl } from '../embedded-crawl.js';
import { jobCounts, ZERO_COUNTS } from './job-counts.js';

export interface EmbeddedJobServiceOptions {
  dataDir: string;
  log: Logger;
  /** Jobs crawling at once; more wait in state queued. */
  maxRunningJobs: number;
  /** How long an idle job's database stays open after a results read, ms. @default 30000 */
  readerIdleMs?: number;
}

type StopReason = 'pause' | 'cancel' | 'shutdown';

interface ActiveJob {
  crawl: EmbeddedCrawl;
  /** Lets go of the baseline job's reader (an incremental recrawl); a no-op otherwise. */
  releaseBaseline: () => void;
  startedAt: number;
  done: Promise<void>;
  stopReason: StopReason | null;
}

interface Reader {
  store: PageStore;
  close(): Promise<void>;
  timer: NodeJS.Timeout;
  /** Recrawls reading this job as their baseline: the reader stays open while any does. */
  pins: number;
}

export class EmbeddedJobService implements JobService {
  readonly mode = 'embedded' as const;
  private readonly active = new Map<string, ActiveJob>();
  /** Jobs being opened: counted against maxRunningJobs, not started twice. */
  private readonly starting = new Set<string>();
  private readonly readers = new Map<string, Reader>();
  private closed = false;
  private pumping: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: EmbeddedJobServiceOptions,
    private readonly database: ServiceDatabase,
    private readonly registry: JobRegistry,
  ) {}

  /** Opens the service database and resumes the jobs a previous process left running. */
  static async open(options: EmbeddedJobServiceOptions): Promise<EmbeddedJobService> {
    const database = openServiceDatabase(options.dataDir);
    const registry = createSqliteJobRegistry(database);
    const service = new EmbeddedJobService(options, database, registry);
    for (const job of await registry.list({ states: ['running'], limit: 1_000_000 })) {
      await registry.update(job.id, { state: 'queued' }, ['running']);
      options.log.info({ job: job.id }, 'resuming a job the last process left running');
    }
    service.pump();
    return service;
  }

  async create(input: CreateJobInput): Promise<JobInfo> {
    const record: JobRecord = {
      id: randomUUID(),
      kind: input.kind ?? 'crawl',
      state: 'queued',
      spec: input.spec,
      meta: input.meta ?? {},
      createdAt: Date.now(),
      startedAt: null,
      finishedAt: null,
      counts: null,
      error: null,
    };
    await this.registry.insert(record);
    this.pump();
    // As created (queued): a job the pump starts meanwhile says so at its next read.
    return this.info(record);
  }

  async get(id: string): Promise<JobInfo | null> {
    const record = await this.registry.get(id);
    return record === null ? null : this.info(record);
  }

  async list(query: ListJobsQuery): Promise<JobInfo[]> {
    const records = await this.registry.list(query);
    return Promise.all(records.map((r) => this.info(r)));
  }

  async pause(id: string): Promise<JobInfo> {
    const job = await this.mustGetRecord(id);
    if (job.state === 'paused') return this.info(job);
    if (isFinalState(job.state)) throw new JobStateError(id, job.state, 'pause');
    if (!(await this.registry.update(id, { state: 'paused' }, ['queued']))) {
      await this.stopActive(id, 'pause');
    }
    return this.mustGet(id);
  }

  async resume(id: string): Promise<JobInfo> {
    const job = await this.mustGetRecord(id);
    if (job.state === 'queued' || job.state === 'running') return this.info(job);
    if (job.state !== 'paused') throw new JobStateError(id, job.state, 'resume');
    await this.registry.update(id, { state: 'queued' }, ['paused']);
    this.pump();
    return this.mustGet(id);
  }

  async cancel(id: string): Promise<JobInfo> {
    const job = await this.mustGetRecord(id);
    if (job.state === 'cancelled') return this.info(job);
    if (job.state === 'completed' || job.state === 'failed') {
      throw new JobStateError(id, job.state, 'cancel');
    }
    const stopped = await this.registry.update(id, { state: 'cancelled', finishedAt: Date.now() }, [
      'queued',
      'paused',
    ]);
    if (!stopped) await this.stopActive(id, 'cancel');
    return this.mustGet(id);
  }

  async results(id: string, query: JobResultsQuery): Promise<JobResults> {
    await this.mustGetRecord(id);
    const store = await this.readableStore(id);
    if (store === null) return { pages: [], last: null };
    return store.queryPages(query);
  }

  async errorCounts(id: string): Promise<{ code: string; count: number }[]> {
    await this.mustGetRecord(id);
    return (await (await this.readableStore(id))?.countErrors()) ?? [];
  }

  async changeCounts(id: string): Promise<Record<PageChange, number>> {
    await this.mustGetRecord(id);
    const store = await this.readableStore(id);
    return store === null ? noChanges() : store.countChanges();
  }

  readiness(): { name: string; check(signal: AbortSignal): Promise<unknown> }[] {
    return [
      {
        name: 'sqlite',
        check: async () => this.database.db.prepare('SELECT 1').get(),
      },
    ];
  }

  /** Running jobs stop (their leases go back) and are resumed at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pumping;
    await Promise.all([...this.active.keys()].map((id) => this.stopActive(id, 'shutdown')));
    for (const id of [...this.readers.keys()]) await this.closeReader(id);
    await this.database.close();
  }

  private jobDir(id: string): string {
    return join(this.options.dataDir, 'jobs', id);
  }

  private async mustGetRecord(id: string): Promise<JobRecord> {
    const record = await this.registry.get(id);
    if (record === null) throw new JobNotFoundError(id);
    return record;
  }

  private async mustGet(id: string): Promise<JobInfo> {
    return this.info(await this.mustGetRecord(id));
  }

  private async info(record: JobRecord): Promise<JobInfo> {
    const active = this.active.get(record.id);
    let counts: JobCounts = record.counts ?? ZERO_COUNTS;
    if (active !== undefined) {
      const ranMs = Date.now() - (record.startedAt ?? active.startedAt);
      counts = jobCounts(await active.crawl.frontier.stats(), null, ranMs);
    }
    return {
      id: record.id,
      kind: record.kind,
      state: record.state,
      spec: record.spec as CrawlSpec,
      meta: record.meta,
      createdAt: record.createdAt,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      counts,
      error: record.error,
    };
  }

  /** Starts queued jobs, oldest first, while slots are free. Serialised. */
  private pump(): void {
    this.pumping = this.pumping
      .then(async () => {
        while (
          !this.closed &&
          this.active.size + this.starting.size < this.options.maxRunningJobs
        ) {
          const [next] = await this.oldestQueued();
          if (next === undefined) return;
          this.starting.add(next.id);
          try {
            await this.start(next);
          } finally {
            this.starting.delete(next.id);
          }
        }
      })
      .catch((err: unknown) => this.options.log.error({ err }, 'starting queued jobs failed'));
  }

  /** The oldest queued jobs not being started (a few: the loop asks again for more). */
  private async oldestQueued(): Promise<JobRecord[]> {
    const skip = this.active.size + this.starting.size;
    const queued = await this.registry.list({
      states: ['queued'],
      order: 'oldest',
      limit: skip + 1,
    });
    return queued.filter((j) => !this.active.has(j.id) && !this.starting.has(j.id));
  }

  private async start(record: JobRecord): Promise<void> {
    const { id } = record;
    const log = this.options.log.child({ job: id });
    await this.closeReader(id);
    let crawl: EmbeddedCrawl;
    let releaseBaseline = (): void => undefined;
    try {
      const spec = parseCrawlSpec(record.spec as CrawlSpecInput);
      let baseline: PageStore | undefined;
      if (spec.baseline !== null) {
        const pinned = await this.pinBaseline(spec.baseline.jobId);
        baseline = pinned.store;
        releaseBaseline = pinned.release;
      }
      crawl = await openEmbeddedCrawl({
        spec,
        dataDir: this.jobDir(id),
        jobId: id,
        log,
        ...(baseline === undefined ? {} : { baseline }),
      });
    } catch (err) {
      releaseBaseline();
      log.error({ err }, 'job could not start');
      await this.registry.update(id, {
        state: 'failed',
        finishedAt: Date.now(),
        error: oneLine(err),
      });
      return;
    }
    const startedAt = Date.now();
    if (!(await this.registry.update(id, { state: 'running' }, ['queued']))) {
      await crawl.close(); // paused or cancelled while opening
      releaseBaseline();
      return;
    }
    if (record.startedAt === null) await this.registry.update(id, { startedAt });
    const job: ActiveJob = {
      crawl,
      releaseBaseline,
      startedAt,
      stopReason: null,
      done: Promise.resolve(),
    };
    this.active.set(id, job);
    log.info('job started');
    job.done = crawl.crawler.run().then(
      () => this.ended(id, job, null),
      (err: unknown) => this.ended(id, job, err),
    );
  }

  private async ended(id: string, job: ActiveJob, error: unknown): Promise<void> {
    const log = this.options.log.child({ job: id });
    const record = await this.registry.get(id);
    const ranMs = Date.now() - (record?.startedAt ?? job.startedAt);
    let counts: JobCounts | null = null;
    try {
      counts = jobCounts(await job.crawl.frontier.stats(), null, ranMs);
    } catch (err) {
      log.warn({ err }, 'could not read the final counts');
    }
    await job.crawl.close().catch((err: unknown) => log.warn({ err }, 'close failed'));
    job.releaseBaseline();
    this.active.delete(id);
    const now = Date.now();
    let state: JobState;
    if (error !== null) state = 'failed';
    else if (job.stopReason === 'pause') state = 'paused';
    else if (job.stopReason === 'cancel') state = 'cancelled';
    else if (job.stopReason === 'shutdown') state = 'queued';
    else state = 'completed';
    const final = isFinalState(state);
    await this.registry.update(id, {
      state,
      ...(counts === null ? {} : { counts }),
      ...(final ? { finishedAt: now } : {}),
      ...(error !== null ? { error: oneLine(error) } : {}),
    });
    if (error !== null) log.error({ err: error }, 'job failed');
    else log.info({ state, ...counts }, 'job ended');
    if (!this.closed) this.pump();
  }

  private async stopActive(id: string, reason: StopReason): Promise<void> {
    // A job being opened becomes active within a moment: wait for it.
    while (this.starting.has(id)) await this.pumping;
    const job = this.active.get(id);
    if (job === undefined) {
      if (reason === 'shutdown') return;
      // Not started yet (queued behind others) or ended meanwhile.
      await this.registry.update(
        id,
        reason === 'pause' ? { state: 'paused' } : { state: 'cancelled', finishedAt: Date.now() },
        ['queued'],
      );
      return;
    }
    job.stopReason ??= reason;
    // Cancel and shutdown hand leases back at once; a pause lets requests in flight finish.
    job.crawl.crawler.stop(reason === 'pause' ? 'drain' : 'abort');
    await job.done;
  }

  /**
   * The page store of a recrawl's baseline job, held open until released. It must be a
   * job of this service whose database exists (an id, never any path).
   */
  private async pinBaseline(id: string): Promise<{ store: PageStore; release: () => void }> {
    const record = await this.registry.get(id);
    const store = record === null ? null : this.storeOf(id);
    if (store === null) throw new Error(`baseline job ${id} not found (or it stored nothing)`);
    const reader = this.readers.get(id);
    if (reader === undefined) return { store, release: () => undefined }; // running: its own store
    reader.pins++;
    let released = false;
    return {
      store,
      release: () => {
        if (released) return;
        released = true;
        reader.pins--;
        reader.timer.refresh();
      },
    };
  }

  /**
   * storeOf, once the job is not being started: a job's crawl takes its database's lock
   * while it opens, so a reader opened meanwhile would make the start fail (or itself).
   */
  private async readableStore(id: string): Promise<PageStore | null> {
    while (this.starting.has(id)) await this.pumping;
    return this.storeOf(id);
  }

  /** The page store of a job that is running, or else its database opened for reading. */
  private storeOf(id: string): PageStore | null {
    const active = this.active.get(id);
    if (active !== undefined) return active.crawl.store;
    const open = this.readers.get(id);
    if (open !== undefined) {
      open.timer.refresh();
      return open.store;
    }
    const dir = this.jobDir(id);
    if (!existsSync(join(dir, DATABASE_FILE))) return null;
    const database = openSqliteDatabase(dir);
    const store = createSqlitePageStore(database);
    const timer = setTimeout(() => void this.closeReader(id), this.options.readerIdleMs ?? 30_000);
    timer.unref();
    this.readers.set(id, {
      store,
      timer,
      pins: 0,
      close: async () => {
        await store.close();
        await database.close();
      },
    });
    return store;
  }

  private async closeReader(id: string): Promise<void> {
    const reader = this.readers.get(id);
    if (reader === undefined) return;
    // A recrawl reads it as its baseline: closed once released and idle (or at shutdown).
    if (reader.pins > 0 && !this.closed) return;
    this.readers.delete(id);
    clearTimeout(reader.timer);
    await reader.close();
  }
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 500);
}
