/**
 * The result queue port: committed page records waiting to be written to the page store
 * (S4: Redis Stream -> batch writers -> PostgreSQL). The frontier's commit appends to it
 * (in the same atomic step); result writers read it in batches, write each batch in one
 * transaction through a PageSink, and acknowledge only after that commit, so a record is
 * never lost: a writer that dies leaves its batch pending, and another writer claims it.
 */
import type { PageRecord } from '../core/types.js';

export interface QueuedResult {
  /** The queue's id of this entry (a stream id in Redis). */
  id: string;
  record: PageRecord;
  /** Times the entry has been delivered to a writer, this delivery included. */
  deliveries: number;
}

export interface ResultQueue {
  /** Up to `max` entries of the job never delivered before, now delivered to this writer. */
  read(jobId: string, max: number): Promise<QueuedResult[]>;
  /**
   * Up to `max` entries delivered to some writer at least `minIdleMs` ago and never
   * acknowledged (that writer died or stalled), now delivered to this one.
   */
  claimStale(jobId: string, max: number, minIdleMs: number): Promise<QueuedResult[]>;
  /** The entries are in the page store: acknowledge and forget them. */
  ack(jobId: string, ids: string[]): Promise<void>;
  /** Moves an entry that cannot be stored to the job's dead letters, with the error, and acknowledges it. */
  deadLetter(jobId: string, entry: QueuedResult, error: string): Promise<void>;
  /** Entries of the job not yet acknowledged (the writers' backlog; 0 = caught up). */
  unwritten(jobId: string): Promise<number>;
  /** Entries of the job in its dead letters. */
  deadLetters(jobId: string): Promise<number>;
}
