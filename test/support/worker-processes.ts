/**
 * Real `trawl worker` processes for distributed tests: started against a sandbox, waited
 * for (their /health answers), stopped gracefully or killed.
 */
import type { ChildProcess } from 'node:child_process';
import { collect, spawnCli, type CliResult } from './cli.js';
import { waitFor } from './http-server.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the process exits. */
  exited: Promise<CliResult>;
  /** Its ops server, once it logged it ("health and metrics served"). */
  opsUrl(): string | null;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<CliResult>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<CliResult>;
}

/**
 * Starts `trawl worker` with the sandbox env (plus `env`) and waits until it serves
 * /health. Logs at info level on stderr, so the ops URL can be read from them.
 */
export async function startWorker(
  env: Record<string, string>,
  args: string[] = [],
): Promise<WorkerProcess> {
  const child = spawnCli(['worker', ...args], { ...env, TRAWL_LOG_LEVEL: 'info' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = collect(child);
  let exitedEarly: CliResult | null = null;
  void exited.then((r) => (exitedEarly = r));
  const opsUrl = (): string | null => {
    const m = /"url":"(http:\/\/[^"]+)","msg":"health and metrics served"/.exec(stderr);
    return m?.[1] ?? null;
  };
  await waitFor(() => opsUrl() !== null || exitedEarly !== null, 20_000, 'the worker to start');
  if (exitedEarly !== null) {
    throw new Error(`the worker exited at start: ${(exitedEarly as CliResult).stderr}`);
  }
  return {
    child,
    exited,
    opsUrl,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
