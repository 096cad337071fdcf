/**
 * Runs one command to completion and measures it: wall time, user and system CPU, peak
 * RSS. With GNU time (Debian package `time`) the numbers come from the kernel's rusage at
 * exit and are exact; without it, /proc is polled every 50 ms, which misses the last
 * interval's CPU and any RSS peak between samples.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { sampleProcess } from './proc-stats.js';

export type MeasureMethod = 'gnu-time' | 'proc-poll';

export interface MeasuredRunOptions {
  argv: string[];
  stdoutFile: string;
  stderrFile: string;
  /** Kill the command (SIGTERM, then SIGKILL after 5 s) when it runs longer, ms. */
  timeoutMs: number;
  /** @default 'gnu-time' when available, else 'proc-poll' */
  method?: MeasureMethod;
  /** Aborting kills the command the same way as the timeout. */
  signal?: AbortSignal;
}

export interface MeasuredRun {
  method: MeasureMethod;
  exitCode: number | null;
  /** Set when the command died of a signal. */
  killedBy: string | null;
  timedOut: boolean;
  /** From spawn to exit as seen by this process, seconds. */
  wallSeconds: number;
  userSeconds: number | null;
  systemSeconds: number | null;
  peakRssBytes: number | null;
}

const GNU_TIME = '/usr/bin/time';
let gnuTime: boolean | undefined;

/** Whether /usr/bin/time is GNU time (BusyBox's lacks -o and %M). */
export function hasGnuTime(): boolean {
  if (gnuTime === undefined) {
    try {
      const out = execFileSync(GNU_TIME, ['--version'], { encoding: 'utf8', stdio: 'pipe' });
      gnuTime = /GNU/.test(out);
    } catch (err) {
      // GNU time 1.7 prints its version on stderr and exits non-zero.
      const e = err as { stderr?: string };
      gnuTime = typeof e.stderr === 'string' && /GNU/.test(e.stderr);
    }
  }
  return gnuTime;
}

export async function runMeasured(options: MeasuredRunOptions): Promise<MeasuredRun> {
  const method = options.method ?? (hasGnuTime() ? 'gnu-time' : 'proc-poll');
  const timeFile = `${options.stderrFile}.time`;
  const argv =
    method === 'gnu-time'
      ? [GNU_TIME, '-o', timeFile, '-f', '%e %U %S %M', ...options.argv]
      : options.argv;
  const out = openSync(options.stdoutFile, 'w');
  const err = openSync(options.stderrFile, 'w');
  const started = performance.now();
  // Own process group, so a timeout kills the crawler too and not only GNU time.
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: ['ignore', out, err],
    detached: true,
  });
  closeSync(out);
  closeSync(err);
  const exited = once(child, 'exit');
  exited.catch(() => undefined);
  await Promise.race([once(child, 'spawn'), exited]);
  const pid = child.pid as number;
  const sampler = method === 'proc-poll' ? sampleProcess(pid) : null;

  let timedOut = false;
  const kill = (): void => {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000).unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);
  options.signal?.addEventListener('abort', kill, { once: true });

  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  const wallSeconds = (performance.now() - started) / 1000;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', kill);
  sampler?.stop();
  // GNU time dies at once on SIGTERM while the crawler may still be shutting down and
  // writing its output: wait for the whole group before anyone reads or deletes files.
  await groupGone(pid, 10_000);

  const run: MeasuredRun = {
    method,
    exitCode: code,
    killedBy: signal,
    timedOut,
    wallSeconds,
    userSeconds: null,
    systemSeconds: null,
    peakRssBytes: null,
  };
  if (method === 'gnu-time') {
    // The last line; a line before it says "Command exited with non-zero status N".
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
    const [, user, sys, maxKib] = last.split(' ').map(Number);
    if (user !== undefined && sys !== undefined && maxKib !== undefined && !Number.isNaN(maxKib)) {
      run.userSeconds = user;
      run.systemSeconds = sys;
      run.peakRssBytes = maxKib * 1024;
    }
    // GNU time reports a child killed by a signal as its own exit status; keep it visible.
    if (/terminated by signal/.test(readFileSync(timeFile, 'utf8'))) run.killedBy ??= 'signal';
  } else {
    const last = sampler?.last();
    if (last) {
      run.userSeconds = last.userSeconds;
      run.systemSeconds = last.systemSeconds;
      run.peakRssBytes = last.peakRssBytes;
    }
  }
  return run;
}

/** Waits until no process of group `pgid` is left; SIGKILLs the rest after `graceMs`. */
async function groupGone(pgid: number, graceMs: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = performance.now() + graceMs;
  while (alive() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (alive()) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone in the meantime
    }
  }
}
