/**
 * A Redis lock for singleton duties (the lease reaper, schedulers): one key holding the
 * owner's token with a TTL, taken with SET NX PX and renewed or released only by the
 * token's owner (scripts/lock-*.lua), as in the single-instance Redis lock pattern.
 *
 * What it guarantees: while `held` is true, no other owner holds the key (assuming the
 * Redis server is not failed over to a replica that missed the write, and clocks run at
 * about the same rate). What it cannot guarantee: that a duty stops the instant it loses
 * the lock. A duty that ignores its AbortSignal, or an event loop stalled past the TTL,
 * can overlap the next owner; work that must never overlap needs fencing in the data.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { callScript, defineScripts } from './redis-scripts.js';

export interface RedisLockOptions {
  /** How long the lock lasts without a renewal, in ms (a positive integer). */
  ttlMs: number;
  /**
   * Identifies the owner; only this token can renew or release the lock.
   * @default a random UUID (unique per RedisLock)
   */
  token?: string;
}

/** One owner's handle on a lock key. Whoever creates the Redis connection closes it. */
export class RedisLock {
  /** The lock key, e.g. `globalKeys(prefix).lock('lease-reaper')`. */
  readonly key: string;
  /** This owner's token. */
  readonly token: string;
  /** TTL given to the key on every acquire and renew, in ms. */
  readonly ttlMs: number;
  readonly #redis: Redis | Cluster;
  /** performance.now() until which the lock is surely ours; 0 when it is not. */
  #validUntil = 0;
  #scriptsDefined = false;

  constructor(redis: Redis | Cluster, key: string, options: RedisLockOptions) {
    if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs < 1) {
      throw new RangeError(`lock ttlMs must be a positive integer, got ${options.ttlMs}`);
    }
    if (options.token === '') throw new RangeError('lock token must not be empty');
    this.#redis = redis;
    this.key = key;
    this.ttlMs = options.ttlMs;
    this.token = options.token ?? randomUUID();
  }

  /**
   * Whether this owner surely holds the lock now: it was granted (acquire or renew) less
   * than ttlMs before the request was sent, and not released or refused since. Measured
   * from the send time on a monotonic clock, so it turns false before the server expires
   * the key, never after.
   */
  get held(): boolean {
    return this.remainingMs > 0;
  }

  /** How long the lock is still surely held, in ms; 0 when it is not held. */
  get remainingMs(): number {
    return Math.max(0, this.#validUntil - performance.now());
  }

  /**
   * Takes the lock if it is free, or extends it if this token already holds it.
   * @returns true when held for ttlMs from the request; false when another owner has it
   * @throws the Redis error when the command fails (held is then left as it was)
   */
  acquire(): Promise<boolean> {
    return this.#grant('lock-acquire');
  }

  /**
   * Extends the lock by ttlMs if this token still holds it.
   * @returns false when it expired or another owner has taken it (held is then false)
   */
  renew(): Promise<boolean> {
    return this.#grant('lock-renew');
  }

  /**
   * Deletes the lock if this token holds it. `held` turns false at once, even if the
   * command fails: an owner that asked to let go must not act as the holder any more.
   * @returns false when the lock was not (or no longer) this token's
   */
  async release(): Promise<boolean> {
    this.#validUntil = 0;
    return (await this.#call('lock-release', [this.token])) === 1;
  }

  async #grant(script: 'lock-acquire' | 'lock-renew'): Promise<boolean> {
    // The server starts the TTL when it runs the script, after this moment, so validity
    // counted from here ends before the key does.
    const sentAt = performance.now();
    const granted = (await this.#call(script, [this.token, this.ttlMs])) === 1;
    this.#validUntil = granted ? sentAt + this.ttlMs : 0;
    return granted;
  }

  #call(script: string, args: (string | number)[]): Promise<unknown> {
    // Deferred to the first call: defining reads the script files (no I/O in constructors).
    if (!this.#scriptsDefined) {
      defineScripts(this.#redis);
      this.#scriptsDefined = true;
    }
    return callScript(this.#redis, script, [this.key], args);
  }
}

export interface SingletonOptions {
  /** The connection the lock lives on; the caller creates and closes it. */
  redis: Redis | Cluster;
  /** The lock key, e.g. `globalKeys(prefix).lock('lease-reaper')`. */
  key: string;
  /**
   * Lock TTL in ms: after the holder dies, another runner takes over within about
   * ttlMs + intervalMs. Renewals are sent every ttlMs / 3.
   */
  ttlMs: number;
  /** Pause between tries to acquire, and between the starts of two runs of duty, in ms. */
  intervalMs: number;
  /**
   * The work only one process may do at a time. Its signal aborts when the lock is lost
   * or the runner stops; it must then return promptly, since another process may take
   * over as soon as the lock expires. Errors it throws are logged and it runs again.
   */
  duty: (signal: AbortSignal) => Promise<void>;
  /** Stops the runner: the running duty is aborted and awaited, then the lock released. */
  signal: AbortSignal;
  log?: Logger;
}

/**
 * Runs `duty` every intervalMs in whichever one of the processes calling this with the
 * same key holds the lock; the others try to acquire it every intervalMs. Never runs two
 * duties at once in one runner. Resolves after `signal` aborts, once the running duty has
 * settled and the lock is released; never rejects on Redis errors (a lost connection is
 * logged and retried). Each lock command is given up on after the time the lock is still
 * held (ttlMs when not held), so shutting down with Redis unreachable takes up to ttlMs.
 */
export async function runSingleton(options: SingletonOptions): Promise<void> {
  const { redis, key, ttlMs, intervalMs, signal, log } = options;
  if (!Number.isFinite(intervalMs) || intervalMs < 1) {
    throw new RangeError(`singleton intervalMs must be at least 1, got ${intervalMs}`);
  }
  const lock = new RedisLock(redis, key, { ttlMs });
  // Set when a command failed or timed out: the server may still have applied it, so the
  // key may hold our token even though `held` is false.
  let uncertain = false;
  // While Redis stays unreachable only the first failure is a warning, not one per try.
  let failing = false;

  const attempt = async (
    what: string,
    op: () => Promise<boolean>,
    timeoutMs: number,
  ): Promise<boolean> => {
    const level = failing ? 'debug' : 'warn';
    try {
      const result = await within(op(), timeoutMs);
      if (result !== undefined) {
        if (failing) log?.info({ key }, 'singleton lock: Redis answers again');
        failing = false;
        return result;
      }
      log?.[level]({ key, timeoutMs }, `singleton lock ${what} timed out`);
    } catch (err) {
      log?.[level]({ err, key }, `singleton lock ${what} failed`);
    }
    failing = true;
    uncertain = true;
    return false;
  };

  while (!signal.aborted) {
    if (await attempt('acquire', () => lock.acquire(), ttlMs)) {
      log?.info({ key }, 'singleton lock acquired');
      await holdAndRun(lock, options, (timeoutMs) =>
        attempt('renew', () => lock.renew(), timeoutMs),
      );
      if (!signal.aborted) log?.warn({ key }, 'singleton lock lost; duty stopped');
    }
    await sleep(intervalMs, signal);
  }
  // Sent on the same connection after any timed-out acquire or renew, so the server runs
  // it after them: a late grant cannot outlive this release.
  if (lock.held || uncertain) {
    if (await attempt('release', () => lock.release(), ttlMs)) {
      log?.info({ key }, 'singleton lock released');
    }
  }
}

/** Runs the duty while the lock is held; returns when it is lost or the runner stops. */
async function holdAndRun(
  lock: RedisLock,
  { key, intervalMs, duty, signal, log }: SingletonOptions,
  renew: (timeoutMs: number) => Promise<boolean>,
): Promise<void> {
  const lost = new AbortController();
  const dutySignal = AbortSignal.any([lost.signal, signal]);
  const stopRenewing = new AbortController();
  const renewEveryMs = Math.max(1, Math.floor(lock.ttlMs / 3));

  // Renewals keep going while an aborted duty winds down, so the lock is not lost
  // (and taken over) before our duty has actually stopped.
  const renewals = (async () => {
    for (;;) {
      await sleep(renewEveryMs, stopRenewing.signal);
      if (stopRenewing.signal.aborted) return;
      // A renewal slower than the time the lock has left is as good as refused: by then
      // another process may hold it.
      if (!(await renew(lock.remainingMs))) {
        lost.abort(new Error(`singleton lock ${key} lost`));
        return;
      }
    }
  })();

  try {
    while (!dutySignal.aborted) {
      const startedAt = performance.now();
      try {
        await duty(dutySignal);
      } catch (err) {
        if (dutySignal.aborted) log?.debug({ err, key }, 'singleton duty ended on abort');
        else log?.error({ err, key }, 'singleton duty failed');
      }
      await sleep(intervalMs - (performance.now() - startedAt), dutySignal);
    }
  } finally {
    stopRenewing.abort();
    await renewals;
  }
}

/** `p`'s value, or undefined when it has not settled within timeoutMs. */
async function within<T>(p: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, timeoutMs), undefined);
  });
  try {
    // race subscribes to p, so a rejection after the timeout is handled, not unhandled.
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits ms (none when ≤ 0), or less when signal aborts; never rejects. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await delay(ms, undefined, { signal }).catch(() => undefined);
}
