/**
 * Coalesces writes from every adapter sharing the database into one transaction per
 * event-loop turn (capped), and resolves each caller once its writes are committed.
 * One transaction per page would cap us near a few thousand commits/s; one per turn
 * keeps the window of uncommitted work to what completed in that turn.
 */
import type Database from 'better-sqlite3';

type Op = () => void;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WriteBatcher {
  private ops: Op[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  private readonly runAll: (ops: Op[]) => void;

  /** @param maxOpsPerCommit flush early past this many queued operations */
  constructor(
    db: Database.Database,
    private readonly maxOpsPerCommit = 5_000,
  ) {
    this.runAll = db.transaction((ops: Op[]) => {
      for (const op of ops) op();
    });
  }

  /** Queues `op` (synchronous statement calls) to run in the next commit. */
  write(op: Op): Promise<void> {
    this.ops.push(op);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.ops.length >= this.maxOpsPerCommit) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Commits everything queued now. */
  async flushNow(): Promise<void> {
    this.flush();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.ops.length === 0) return;
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    try {
      this.runAll(ops);
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    for (const w of waiters) w.resolve();
  }
}
