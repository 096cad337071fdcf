/**
 * In-memory politeness scheduler: per-host queues and a ready-heap of hosts ordered by
 * the time they may next be contacted. The embedded frontier runs it in-process; the
 * Redis frontier implements the same rules in Lua. Written here because it is Trawl's
 * core (no library schedules per-host gaps with leases and retries the way we need).
 *
 * Rules: a host is contacted at most `maxInFlight` at a time, and two request starts to
 * it are at least `delayMs` apart. With delayMs > 0 the gap is also counted from the end
 * of the previous contact the crawler reports, so the server sees at least delayMs
 * between two requests whatever the latency.
 */
import type { Clock } from '../core/clock.js';
import type { HostPolicy } from './frontier.js';
import { HostQueue } from './host-queue.js';
import { MinHeap } from './min-heap.js';

export interface SchedulerItem {
  url: string;
  host: string;
  priority: number;
}

interface HostState<T> {
  readonly host: string;
  readonly queue: HostQueue<T>;
  inFlight: number;
  /** Epoch ms before which no new request may start. */
  nextAt: number;
  policy: HostPolicy;
  /** Whether the host currently has an entry in the ready-heap. */
  inReady: boolean;
}

export class HostScheduler<T extends SchedulerItem> {
  private readonly hosts = new Map<string, HostState<T>>();
  private readonly ready = new MinHeap<HostState<T>>();
  /** Retries waiting for their not-before time. */
  private readonly delayed = new MinHeap<T>();
  private queuedCount = 0;
  private inFlightCount = 0;

  constructor(
    private readonly defaults: HostPolicy,
    private readonly clock: Clock,
  ) {}

  /** Waiting to be leased, including delayed retries. */
  get queued(): number {
    return this.queuedCount;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  enqueue(item: T): void {
    const state = this.state(item.host);
    state.queue.push(item.priority, item);
    this.queuedCount++;
    this.markReady(state);
  }

  /** Queue `item` again once `notBefore` has passed. */
  enqueueAt(item: T, notBefore: number): void {
    if (notBefore <= this.clock.now()) return this.enqueue(item);
    this.delayed.push(notBefore, item);
    this.queuedCount++;
  }

  setPolicy(host: string, policy: Partial<HostPolicy>): void {
    const state = this.state(host);
    state.policy = { ...state.policy, ...policy };
    this.markReady(state);
  }

  /** Takes up to `max` items whose hosts may be contacted now. */
  lease(max: number): T[] {
    const now = this.clock.now();
    this.promoteDelayed(now);
    const out: T[] = [];
    while (out.length < max && this.ready.size > 0) {
      const key = this.ready.peekKey()!;
      if (key > now) break;
      const state = this.ready.pop()!;
      state.inReady = false;
      // Entries are not updated in place; a host whose time moved on is re-filed.
      if (state.nextAt > now) {
        this.markReady(state);
        continue;
      }
      const spaced = state.policy.delayMs > 0;
      const room = Math.min(max - out.length, state.policy.maxInFlight - state.inFlight);
      const take = spaced ? Math.min(room, 1) : room;
      for (let i = 0; i < take; i++) {
        const item = state.queue.shift();
        if (item === undefined) break;
        out.push(item);
        state.inFlight++;
        this.queuedCount--;
        this.inFlightCount++;
      }
      if (spaced) state.nextAt = now + state.policy.delayMs;
      this.markReady(state);
    }
    return out;
  }

  /**
   * A leased item is done (or handed back). `contactedAt` is when its last contact with
   * the host ended: the host's next start is at least delayMs after it. `pausedUntil`
   * holds the whole host.
   */
  release(host: string, contactedAt: number | null, pausedUntil?: number): void {
    const state = this.state(host);
    state.inFlight--;
    this.inFlightCount--;
    if (contactedAt !== null && state.policy.delayMs > 0) {
      // +1: the clock counts whole milliseconds, so a contact that ended at t+0.9 reads t.
      state.nextAt = Math.max(state.nextAt, contactedAt + state.policy.delayMs + 1);
    }
    if (pausedUntil !== undefined) state.nextAt = Math.max(state.nextAt, pausedUntil);
    this.markReady(state);
  }

  /** null: nothing queued; otherwise the earliest time something may be leasable. */
  nextDueAt(): number | null {
    if (this.queuedCount === 0) return null;
    let due = Infinity;
    const readyKey = this.ready.peekKey();
    if (readyKey !== undefined) due = readyKey;
    const delayedKey = this.delayed.peekKey();
    if (delayedKey !== undefined) due = Math.min(due, delayedKey);
    // Queued but every such host is at its in-flight limit: a completion will wake us.
    return due === Infinity ? this.clock.now() : due;
  }

  private promoteDelayed(now: number): void {
    while (this.delayed.size > 0 && this.delayed.peekKey()! <= now) {
      const item = this.delayed.pop()!;
      this.queuedCount--;
      this.enqueue(item);
    }
  }

  private markReady(state: HostState<T>): void {
    if (state.inReady || state.queue.size === 0) return;
    if (state.inFlight >= state.policy.maxInFlight) return;
    state.inReady = true;
    this.ready.push(state.nextAt, state);
  }

  private state(host: string): HostState<T> {
    let state = this.hosts.get(host);
    if (state === undefined) {
      state = {
        host,
        queue: new HostQueue<T>(),
        inFlight: 0,
        nextAt: 0,
        policy: { ...this.defaults },
        inReady: false,
      };
      this.hosts.set(host, state);
    }
    return state;
  }
}
