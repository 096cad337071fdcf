/**
 * Group commit: many callers' items sent to a backend in one call. While one batch is on
 * its way the next one gathers, so under load a batch grows with the round trip, and
 * when idle an item leaves on the next turn of the event loop. One call is one write to
 * the socket and one statement or script for the backend: the syscalls and per-call
 * overheads were the largest costs where this is used (Redis commits of a worker, job
 * rows of the service).
 *
 * Our own: the shape is ten lines around a promise per item, and the libraries that batch
 * (DataLoader, p-batch) either key and cache their items or flush on a timer.
 */
export class GroupCommit<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight = 0;

  /**
   * @param send sends one batch; resolves to one reply per item, in order (an item's reply
   *   may itself say it failed), or rejects, which fails every item of the batch
   * @param maxBatch most items per call, so one call never holds the backend long
   * @param maxInFlight most calls on their way at once: 1 keeps the calls in order (and
   *   the batches largest); more keeps a backend that serves calls in parallel busy
   */
  constructor(
    private readonly send: (batch: T[]) => Promise<R[]>,
    private readonly maxBatch = 128,
    private readonly maxInFlight = 1,
  ) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxBatch);
    this.inFlight++;
    let sent: Promise<R[]>;
    try {
      sent = this.send(batch.map((p) => p.item));
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent
      .then(
        (replies) => batch.forEach((p, i) => p.resolve(replies[i] as R)),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      )
      .finally(() => {
        this.inFlight--;
        this.schedule();
      });
  }
}
