/**
 * CPU time and memory of another process, read from Linux /proc without installing
 * anything. Polling misses what happens after the last sample (at most one interval),
 * which is why the runner prefers GNU time when it is installed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcSample {
  /** user + system CPU of the process and its reaped children, seconds. */
  cpuSeconds: number;
  /** The user part of cpuSeconds. */
  userSeconds: number;
  /** The system part of cpuSeconds. */
  systemSeconds: number;
  /** Current resident set, bytes. */
  rssBytes: number;
  /** Peak resident set so far (VmHWM), bytes. */
  peakRssBytes: number;
}

let clockTicks: number | undefined;

/** Clock ticks per second for /proc/<pid>/stat times (`getconf CLK_TCK`, almost always 100). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      clockTicks = 100;
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

/** One reading, or null when the process is gone (or this is not Linux). */
export function readProcStats(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14..17 (utime, stime, cutime, cstime) sit at 11..14 once pid and comm are gone.
    const tick = (k: number): number => Number(fields[k] ?? 0) / clockTicksPerSecond();
    const userSeconds = tick(11) + tick(13);
    const systemSeconds = tick(12) + tick(14);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      cpuSeconds: userSeconds + systemSeconds,
      userSeconds,
      systemSeconds,
      rssBytes: kibField(status, 'VmRSS') * 1024,
      peakRssBytes: kibField(status, 'VmHWM') * 1024,
    };
  } catch {
    return null;
  }
}

export interface ProcSampler {
  /** The last reading taken while the process was alive, or null if none was. */
  last(): ProcSample | null;
  stop(): void;
}

/** Reads a process every `intervalMs` and keeps the latest reading. @default 50 ms */
export function sampleProcess(pid: number, intervalMs = 50): ProcSampler {
  let last = readProcStats(pid);
  const timer = setInterval(() => {
    const s = readProcStats(pid);
    if (s) last = s;
  }, intervalMs);
  timer.unref();
  return {
    last: () => last,
    stop: () => clearInterval(timer),
  };
}

function kibField(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}
