/**
 * The browser engine's processes, found by the TRAWL_BROWSER_OWNER=<pid> mark every
 * Chromium process it starts carries in its environment (browser-pool.ts): how tests
 * check that none outlives a crawl, a stop or a kill.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** PIDs of live processes started by the browser engine of crawl process `owner`. */
export function browserProcessesOf(owner: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(join('/proc', entry, 'environ'), 'latin1');
      if (!env.split('\0').includes(`TRAWL_BROWSER_OWNER=${owner}`)) continue;
      const stat = readFileSync(join('/proc', entry, 'stat'), 'latin1');
      if (stat.split(') ')[1]?.startsWith('Z')) continue; // reaped soon
      pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

export async function noBrowserProcessesOf(owner: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = browserProcessesOf(owner);
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      assert.fail(`Chromium processes of crawl ${owner} still alive: ${left.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
