/**
 * One host's waiting URLs, highest priority first, FIFO within a priority. Priorities
 * are few (the default is -depth), so a bucket per priority beats a heap of URLs.
 */
export class HostQueue<T> {
  private readonly buckets = new Map<number, T[]>();
  private readonly heads = new Map<number, number>();
  /** Priorities present, highest first. */
  private readonly order: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(priority: number, item: T): void {
    let bucket = this.buckets.get(priority);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(priority, bucket);
      this.heads.set(priority, 0);
      let i = this.order.length;
      while (i > 0 && this.order[i - 1]! < priority) i--;
      this.order.splice(i, 0, priority);
    }
    bucket.push(item);
    this.count++;
  }

  /** The item shift() would return, left in place. */
  peek(): T | undefined {
    const priority = this.order[0];
    if (priority === undefined) return undefined;
    return this.buckets.get(priority)![this.heads.get(priority)!];
  }

  shift(): T | undefined {
    const priority = this.order[0];
    if (priority === undefined) return undefined;
    const bucket = this.buckets.get(priority)!;
    const head = this.heads.get(priority)!;
    const item = bucket[head]!;
    this.count--;
    if (head + 1 === bucket.length) {
      this.buckets.delete(priority);
      this.heads.delete(priority);
      this.order.shift();
    } else if (head > 1024 && head * 2 > bucket.length) {
      // Compact so a long-lived bucket does not keep consumed items alive.
      bucket.splice(0, head + 1);
      this.heads.set(priority, 0);
    } else {
      this.heads.set(priority, head + 1);
    }
    return item;
  }
}
