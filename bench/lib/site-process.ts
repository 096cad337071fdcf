/**
 * Starts the synthetic site (bench/site/serve) as a child process, so its CPU is not
 * counted against whatever is measured, and talks to its /__stats endpoint.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SiteServerStats } from '../site/site-server.js';
import { firstLine } from './first-line.js';

export interface SiteProcessOptions {
  pages: number;
  /** @default 1 */
  seed?: number;
  /** @default 0 */
  latencyMs?: number;
  /** @default 0 (a free port) */
  port?: number;
}

export interface SiteProcess {
  url: string;
  pid: number;
  stats(): Promise<SiteServerStats>;
  resetStats(): Promise<SiteServerStats>;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<void>;
}

/** How long the server may take to print its URL, ms. */
const START_TIMEOUT_MS = 15_000;

export async function startSiteProcess(options: SiteProcessOptions): Promise<SiteProcess> {
  // Run serve.ts under tsx when we are run under tsx, serve.js from dist otherwise.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const script = fileURLToPath(new URL(`../site/serve${ext}`, import.meta.url));
  const args = [
    ...process.execArgv,
    script,
    '--pages',
    String(options.pages),
    '--seed',
    String(options.seed ?? 1),
    '--latency-ms',
    String(options.latencyMs ?? 0),
    '--port',
    String(options.port ?? 0),
    '--exit-on-stdin-close',
  ];
  // The stdin pipe is never written: it closes when this process dies, however it dies.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  exited.catch(() => undefined); // a spawn error surfaces through the race below or stop()

  const first = await firstLine(child, exited, 'site server', START_TIMEOUT_MS);
  const info = JSON.parse(first) as { url: string; pid: number };

  const get = async (path: string): Promise<SiteServerStats> => {
    const res = await fetch(info.url + path);
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return (await res.json()) as SiteServerStats;
  };

  return {
    url: info.url,
    pid: info.pid,
    stats: () => get('/__stats'),
    resetStats: () => get('/__stats/reset'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
